package main

// The side-by-side suite: every directory under testdata/sidebyside/ is a configuration
// (nginx.conf, a template) with the static files it serves and a `cases` file of named
// exchanges. TestSideBySide starts the real nginx 1.22 on the configuration, plays every
// case against it, stops it, starts nginxws on the same configuration, ports and backends,
// plays the cases again, and compares per case what the client got (status line, headers
// in order, body), what the backends received (request line, headers in order and case,
// body) and, where a case asks, the access-log lines it wrote.
//
// testdata/sidebyside/README.md documents the case format. testdata/sidebyside/PENDING
// lists cases (DIR/CASE) or whole directories (DIR) nginxws does not pass yet, with the
// reason: they are run and reported as skipped while they differ; a listed case that
// passes, or a listed directory all of whose cases pass, fails the test, so the list only
// shrinks.
// docs/differences.md lists the normalisations (Date, the version in Server and in error
// pages) and the differences that are on purpose.
//
// NGINXWS_SIDEBYSIDE selects what is compared:
//
//	(unset)     nginx against nginxws, PENDING honoured (what make test runs)
//	all         nginx against nginxws, PENDING ignored: every difference fails
//	nginx-only  nginx against a second run of nginx: checks that the cases are deterministic
//
// NGINXWS_SIDEBYSIDE_SHOW=1 logs nginx's transcript of every case (with -v), which is how
// a new case's expectations are read.

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sbsDir is where the case directories are.
const sbsDir = "testdata/sidebyside"

// sbsMinimumCases guards against a suite that silently shrinks and passes vacuously.
const sbsMinimumCases = 80

// sbsFileTime is the modification time given to every static file of a case, so that
// Last-Modified and ETag are the same on every run.
var sbsFileTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// sbsHeader is prepended to every configuration: nginx in the foreground with its pid
// file and error log in the case's prefix, one worker. {{USER}} is "user root;" when the
// test runs as root (nginx's workers would otherwise be nobody, who cannot read the
// temporary directories).
const sbsHeader = `daemon off;
{{USER}}
worker_processes 1;
pid {{PREFIX}}nginx.pid;
error_log {{PREFIX}}error.log;
events { worker_connections 1024; }
`

// sbsListen finds the listen addresses of a rendered configuration, for the readiness
// check.
var sbsListen = regexp.MustCompile(`(?m)^\s*listen\s+([^\s;]+)`)

// sbsRun is what one proxy produced for the cases of a directory.
type sbsRun struct {
	transcripts map[string]string
	took        map[string]time.Duration // how long each case took
	errorLogs   map[string]string        // what each case added to the error log (not compared)
	startErr    string                   // the proxy did not start: its stderr and error log
}

// Time limits of the second run. A case may take sbsSlack plus twice what it took nginx;
// after sbsMaxOverruns cases of a directory overran, its remaining cases are not played.
// A proxy that accepts and never answers thus costs seconds per directory, not a
// timeout per case.
const (
	sbsSlack       = time.Second
	sbsMaxOverruns = 3
)

func TestSideBySide(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx"
		if _, err := os.Stat(nginx); err != nil {
			t.Skip("nginx not installed: apt-get install -y nginx-light (the side-by-side suite compares nginxws with it)")
		}
	}
	if out, _ := exec.Command(nginx, "-v").CombinedOutput(); !strings.Contains(string(out), "nginx/1.22.") {
		t.Skipf("the side-by-side suite compares with nginx 1.22; this is %q", strings.TrimSpace(string(out)))
	}
	mode := os.Getenv("NGINXWS_SIDEBYSIDE")
	candidate, candidateName := binary, "nginxws"
	switch mode {
	case "", "all":
	case "nginx-only":
		candidate, candidateName = nginx, "nginx (second run)"
	default:
		t.Fatalf("NGINXWS_SIDEBYSIDE=%q: want unset, all or nginx-only", mode)
	}
	show := os.Getenv("NGINXWS_SIDEBYSIDE_SHOW") != ""

	entries, err := os.ReadDir(sbsDir)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dirs = append(dirs, e.Name())
		names[e.Name()] = true
		cases, err := sbsParseCases(filepath.Join(sbsDir, e.Name(), "cases"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			names[e.Name()+"/"+c.name] = true
		}
	}
	if n := len(names) - len(dirs); n < sbsMinimumCases {
		t.Fatalf("the side-by-side suite has %d cases, want at least %d", n, sbsMinimumCases)
	}
	pending := map[string]string{}
	if mode == "" {
		pending = sbsLoadPending(t, names)
	}

	for _, d := range dirs {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			sbsRunDir(t, d, nginx, candidate, candidateName, pending, show)
		})
	}
}

// sbsLoadPending reads testdata/sidebyside/PENDING: "DIR/CASE reason" or "DIR reason" per
// line. Every name must exist, so the list cannot rot.
func sbsLoadPending(t *testing.T, names map[string]bool) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(sbsDir, "PENDING"))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pending := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		if !names[name] {
			t.Fatalf("PENDING:%d: no case or directory %q", n, name)
		}
		if _, dup := pending[name]; dup {
			t.Fatalf("PENDING:%d: %q listed twice", n, name)
		}
		pending[name] = strings.TrimSpace(reason)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return pending
}

// sbsRunDir runs one case directory on nginx, then on the candidate, and compares.
func sbsRunDir(t *testing.T, d, nginx, candidate, candidateName string, pending map[string]string, show bool) {
	src := filepath.Join(sbsDir, d)
	tmpl, err := os.ReadFile(filepath.Join(src, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	casesText, err := os.ReadFile(filepath.Join(src, "cases"))
	if err != nil {
		t.Fatal(err)
	}
	// One case needing IPv6 skips the directory: its configuration would not load.
	plain, err := sbsParseCases(filepath.Join(src, "cases"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range plain {
		if c.requires != "ipv6" {
			continue
		}
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skipf("case %s needs IPv6 on loopback: %v", c.name, err)
		}
		ln.Close()
		break
	}
	need := sbsNeeds(string(tmpl), string(casesText))

	// Unix socket paths are limited to about 100 bytes: a short directory of their own.
	sockDir, err := os.MkdirTemp("", "sbs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	if err := os.Chmod(sockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	backends, vars, err := sbsStartBackends(need["BACKEND"], sockDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backends.close)

	for i := 1; i <= need["BLACKHOLE"]; i++ {
		h, err := sbsStartBlackhole()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.close)
		vars["BLACKHOLE"+strconv.Itoa(i)] = h.addr
	}

	prefix := t.TempDir() + "/"
	if err := sbsCopyStatic(src, prefix); err != nil {
		t.Fatal(err)
	}
	vars["PREFIX"] = prefix
	vars["SOCKDIR"] = sockDir
	vars["USER"] = ""
	if os.Geteuid() == 0 {
		vars["USER"] = "user root;"
	}

	// Ports are found free, then bound by nginx: another program can take one in
	// between, so a bind failure of the reference run is retried on new ports.
	var cases []*sbsCase
	var ref *sbsRun
	for attempt := 1; ; attempt++ {
		for i := 1; i <= need["PORT"]; i++ {
			vars["PORT"+strconv.Itoa(i)] = strconv.Itoa(freePort(t))
		}
		for i := 1; i <= need["DEAD"]; i++ {
			addr, release, err := sbsDeadAddr()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(release)
			vars["DEAD"+strconv.Itoa(i)] = addr
		}
		conf := sbsRender(sbsHeader, vars) + sbsRender(string(tmpl), vars)
		if err := os.WriteFile(prefix+"nginx.conf", []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		cases, err = sbsParseCases(filepath.Join(src, "cases"), vars)
		if err != nil {
			t.Fatal(err)
		}
		ref = sbsRunProxy(nginx, prefix, conf, cases, backends, vars, "nginx", nil)
		if ref.startErr == "" {
			break
		}
		if attempt == 3 || !strings.Contains(ref.startErr, "Address already in use") {
			t.Fatalf("nginx did not start on %s:\n%s\nconfiguration:\n%s", d, ref.startErr, conf)
		}
	}
	conf, _ := os.ReadFile(prefix + "nginx.conf")
	got := sbsRunProxy(candidate, prefix, string(conf), cases, backends, vars, "candidate", ref.took)

	_, dirPending := pending[d]
	differing := 0
	defer func() {
		if dirPending && differing == 0 && !t.Skipped() {
			t.Errorf("every case of %s passes now: remove %q from %s/PENDING", d, d, sbsDir)
		}
	}()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := ref.transcripts[c.name]
			if show {
				t.Logf("nginx (%s:%d):\n%s", filepath.Join(src, "cases"), c.line, want)
			}
			have := got.transcripts[c.name]
			if got.startErr != "" {
				have = candidateName + " did not start:\n" + got.startErr
			}
			// A case listed by name must fail; a directory listed as a whole may
			// pass case by case until all of it does.
			reason, isPending := pending[d+"/"+c.name]
			if have == want {
				if isPending {
					t.Errorf("%s/%s passes now: remove it from %s/PENDING", d, c.name, sbsDir)
				}
				return
			}
			differing++
			if !isPending {
				reason, isPending = pending[d]
			}
			msg := fmt.Sprintf("%s:%d: %s differs from nginx 1.22\n%s--- nginx:\n%s--- %s:\n%s",
				filepath.Join(src, "cases"), c.line, candidateName, sbsFirstDiff(want, have), want, candidateName, have)
			if l := got.errorLogs[c.name]; l != "" {
				msg += "--- " + candidateName + "'s error log during the case (not compared):\n" + l
			}
			if isPending {
				t.Log(msg)
				t.Skipf("pending: %s", reason)
			}
			t.Error(msg)
		})
	}
}

// sbsFirstDiff names the first line where two transcripts differ.
func sbsFirstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("first difference, line %d:\n  nginx: %s\n  other: %s\n", i+1, x, y)
		}
	}
	return ""
}

// sbsCopyStatic copies a case's files other than nginx.conf and cases into the prefix and
// gives them (and their directories) the fixed modification time; symlinks are made
// again as symlinks.
func sbsCopyStatic(src, prefix string) error {
	var dirs []string
	err := filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == "." || rel == "nginx.conf" || rel == "cases" {
			return nil
		}
		dst := filepath.Join(prefix, rel)
		if e.IsDir() {
			dirs = append(dirs, dst)
			return os.MkdirAll(dst, 0o755)
		}
		if e.Type()&fs.ModeSymlink != 0 {
			// A symlink stays one (autoindex lists it by its target).
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		return os.Chtimes(dst, sbsFileTime, sbsFileTime)
	})
	if err != nil {
		return err
	}
	// Deepest first, so setting a directory's time is not undone by writing into it.
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if err := os.Chtimes(d, sbsFileTime, sbsFileTime); err != nil {
			return err
		}
	}
	return nil
}

// sbsProc is a running proxy (nginx's master or nginxws), in its own process group so
// that nginx's worker is stopped with it whatever happens.
type sbsProc struct {
	cmd    *exec.Cmd
	stderr sbsLockedWriter
	done   chan struct{}
}

// sbsStartProc starts prog on prefix's nginx.conf in the foreground, in a process group
// of its own, its error log in the prefix; done closes when it exits.
func sbsStartProc(prog, prefix string) (*sbsProc, error) {
	p := &sbsProc{done: make(chan struct{})}
	p.cmd = exec.Command(prog, "-p", prefix, "-c", prefix+"nginx.conf", "-e", prefix+"error.log")
	p.cmd.Dir = prefix
	p.cmd.Stderr = &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// sbsRunProxy starts prog on the configuration in prefix, plays the cases, stops it, and
// returns the transcripts. The logs are moved aside afterwards (to *.<label>) so the next
// proxy starts with none. With budget (what each case took the first proxy), the cases
// are held to the time limits above.
func sbsRunProxy(prog, prefix, conf string, cases []*sbsCase, backends *sbsBackends, vars map[string]string, label string, budget map[string]time.Duration) *sbsRun {
	run := &sbsRun{transcripts: map[string]string{}, took: map[string]time.Duration{}, errorLogs: map[string]string{}}
	// Every *.log of the prefix: cases may name other log files than these two.
	logs, _ := filepath.Glob(prefix + "*.log")
	for _, f := range append(logs, prefix+"access.log", prefix+"error.log", prefix+"nginx.pid") {
		_ = os.Remove(f)
	}
	// A unix socket file left by a proxy that failed to start (nginx does not remove
	// it then) would make the next bind fail.
	for _, m := range sbsListen.FindAllStringSubmatch(conf, -1) {
		if path, ok := strings.CutPrefix(m[1], "unix:"); ok {
			_ = os.Remove(path)
		}
	}
	p, err := sbsStartProc(prog, prefix)
	if err != nil {
		run.startErr = err.Error()
		return run
	}
	defer func() {
		p.stop()
		logs, _ := filepath.Glob(prefix + "*.log")
		for _, f := range logs {
			_ = os.Rename(f, f+"."+label)
		}
	}()

	if err := p.ready(conf, prefix); err != nil {
		run.startErr = err.Error()
		return run
	}
	overruns := 0
	for _, c := range cases {
		if overruns >= sbsMaxOverruns {
			run.transcripts[c.name] = fmt.Sprintf("! not played: %d earlier cases of this directory overran their time limit\n", overruns)
			continue
		}
		to := c.to
		if to == "" {
			to = "127.0.0.1:" + vars["PORT1"]
		}
		start := time.Now()
		var limit time.Time
		if budget != nil {
			limit = start.Add(2*budget[c.name] + sbsSlack)
		}
		accessLog, errorLog := prefix+"access.log", prefix+"error.log"
		if c.logFile != "" {
			accessLog = prefix + c.logFile
		}
		if c.errFile != "" {
			errorLog = prefix + c.errFile
		}
		if c.logGiven || c.errLines > 0 {
			sbsSettle(accessLog, errorLog)
		}
		before, errLinesBefore := sbsLogCount(accessLog), sbsLogCount(errorLog)
		backends.begin(c.replies)
		errBefore := sbsFileSize(prefix + "error.log")
		var out strings.Builder
		played, pages := sbsPlay(c, to, backends.release, p.signal, limit)
		out.WriteString(played)
		sbsUpstreamText(&out, backends.end(), c.masks)
		if c.logGiven {
			if c.logLines == 0 {
				// Lines are written after the response: "log 0" reads
				// once the file has stopped growing.
				sbsSettle(accessLog)
			}
			sbsLogText(&out, sbsWaitLog(accessLog, before, c.logLines, limit), c.masks, pages)
		}
		if c.errLines > 0 {
			sbsErrorLogText(&out, sbsWaitLog(errorLog, errLinesBefore, c.errLines, limit), c.masks)
		}
		run.errorLogs[c.name] = sbsReadFrom(prefix+"error.log", errBefore)
		run.took[c.name] = time.Since(start)
		if !limit.IsZero() && time.Now().After(limit) {
			overruns++
		}
		text := out.String()
		for _, m := range c.masks {
			if m.side == "text" {
				text = regexp.MustCompile(m.name).ReplaceAllString(text, "<masked>")
			}
		}
		run.transcripts[c.name] = text
	}
	return run
}

// sbsLockedWriter lets exec's copying goroutine write stderr while the test reads it.
type sbsLockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *sbsLockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *sbsLockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// ready waits until every listen address of conf accepts connections, or the process
// exits.
func (p *sbsProc) ready(conf, prefix string) error {
	var targets []string
	for _, m := range sbsListen.FindAllStringSubmatch(conf, -1) {
		targets = append(targets, sbsDialTarget(m[1]))
	}
	deadline := time.Now().Add(waitTimeout)
	for _, target := range targets {
		for {
			select {
			case <-p.done:
				return fmt.Errorf("exited with %v; stderr:\n%s\nerror log:\n%s",
					p.cmd.ProcessState, p.stderr.String(), sbsTail(prefix+"error.log", 20))
			default:
			}
			if c, err := sbsDial(target, ""); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not accept connections after %v; stderr:\n%s",
					target, waitTimeout, p.stderr.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

// sbsDialTarget turns a listen argument into an address the client can connect to.
func sbsDialTarget(listen string) string {
	switch {
	case strings.HasPrefix(listen, "unix:"):
		return listen
	case strings.HasPrefix(listen, "[::]:"):
		return "[::1]:" + strings.TrimPrefix(listen, "[::]:")
	case strings.HasPrefix(listen, "*:"), strings.HasPrefix(listen, "0.0.0.0:"):
		_, port, _ := strings.Cut(listen, ":")
		return "127.0.0.1:" + port
	case !strings.Contains(listen, ":"):
		return "127.0.0.1:" + listen
	}
	return listen
}

// stop asks the proxy to quit gracefully (SIGQUIT, as nginx -s quit) and waits; whatever
// is left of its process group afterwards is killed.
func (p *sbsProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.done:
	case <-time.After(waitTimeout):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// sbsLogCount counts the complete lines of a log file (0 if it does not exist).
func sbsLogCount(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// sbsWaitLog waits for n lines after the first `before` of a log file and returns them.
// nginx writes an access-log line after the response has gone out, so the client can
// finish first; the wait is a readiness check bounded by sbsReadTimeout.
func sbsWaitLog(path string, before, n int, limit time.Time) []string {
	deadline := time.Now().Add(sbsReadTimeout)
	if !limit.IsZero() && limit.Before(deadline) {
		deadline = limit
	}
	for {
		b, _ := os.ReadFile(path)
		lines := strings.SplitAfter(string(b), "\n")
		var complete []string
		for _, l := range lines {
			if strings.HasSuffix(l, "\n") {
				complete = append(complete, strings.TrimSuffix(l, "\n"))
			}
		}
		if len(complete) >= before+n || time.Now().After(deadline) {
			if len(complete) < before {
				return []string{"(the log shrank)"}
			}
			got := complete[before:]
			if len(got) < n {
				got = append(got, fmt.Sprintf("(only %d of %d lines)", len(got), n))
			}
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sbsFileSize is the size of a file, 0 if it does not exist.
func sbsFileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// sbsReadFrom returns what a file holds from offset on. A line still being written may be
// cut: the text is for people reading a failure, not compared.
func sbsReadFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

// sbsTail returns the last n lines of a file.
func sbsTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
