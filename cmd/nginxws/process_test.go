package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// runConf is a configuration for a running nginxws: pid file and error log
// (at notice, to see nginx's process messages) in dir, one server per port.
func runConf(dir string, ports ...int) string {
	var b strings.Builder
	b.WriteString("pid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log notice;\nevents {}\nhttp {\n    access_log off;\n")
	for _, p := range ports {
		b.WriteString("    server { listen 127.0.0.1:" + strconv.Itoa(p) + "; }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// startLines are the notices nginxws logs once it runs (ngx_os_status).
var startLines = []string{
	"[notice] nginxws/" + Version,
	`\[notice\] built with go1\.\S+`,
	`\[notice\] OS: \S+ \S+`,
	`\[notice\] getrlimit\(RLIMIT_NOFILE\): \d+:\d+`,
}

// checkLog compares log lines with expectations: startLines first (as
// patterns), then the given lines exactly.
func checkLog(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(startLines)+len(want) {
		t.Fatalf("log has %d lines, want %d:\n%s", len(got), len(startLines)+len(want), strings.Join(got, "\n"))
	}
	for i, p := range startLines {
		if i == 0 {
			p = regexp.QuoteMeta(p)
		}
		if !regexp.MustCompile("^" + p + "$").MatchString(got[i]) {
			t.Errorf("log line %d is %q, want %s", i+1, got[i], p)
		}
	}
	for i, w := range want {
		if got[len(startLines)+i] != w {
			t.Errorf("log line %d is %q, want %q", len(startLines)+i+1, got[len(startLines)+i], w)
		}
	}
}

// args are the command-line options that point nginxws at dir.
func args(dir string, extra ...string) []string {
	return append([]string{"-p", dir + "/", "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "startup.log")}, extra...)
}

// TestRunAndTerminate: nginxws binds, then writes its pid file (so the
// ports accept as soon as the file exists), sends stderr to the error log,
// and on SIGTERM exits 0, removing the pid file, with nginx's lines.
func TestRunAndTerminate(t *testing.T) {
	dir := t.TempDir()
	p1, p2 := freePort(t), freePort(t)
	write(t, filepath.Join(dir, "nginx.conf"), runConf(dir, p1, p2))
	pidFile := filepath.Join(dir, "nginx.pid")
	s := start(t, dir, pidFile, args(dir)...)

	for _, p := range []int{p1, p2} {
		if !accepts(p) {
			t.Errorf("port %d does not accept although the pid file is written", p)
		}
	}
	if fd2, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/2", s.pid())); err != nil || fd2 != filepath.Join(dir, "error.log") {
		t.Errorf("stderr of the running process is %q (%v); nginx points it at the error log", fd2, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "startup.log")); err != nil || len(b) != 0 {
		t.Errorf("start-up log: %q, %v; want it created and empty", b, err)
	}

	s.signal(t, syscall.SIGTERM)
	if code := s.wait(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file still there after exit: %v", err)
	}
	if accepts(p1) || accepts(p2) {
		t.Error("a port still accepts after exit")
	}
	checkLog(t, logLines(t, filepath.Join(dir, "error.log"), s.pid()),
		"[notice] signal 15 (SIGTERM) received, exiting",
		"[notice] exiting",
		"[notice] exit")
	if s.stderr.Len() != 0 {
		t.Errorf("stderr: %q", s.stderr)
	}
}

// TestQuitAndInterrupt: SIGQUIT (also sent by -s quit) is a graceful exit,
// never Go's goroutine dump; SIGINT a fast one.
func TestQuitAndInterrupt(t *testing.T) {
	for _, c := range []struct {
		name string
		send func(t *testing.T, s *server, dir string)
		want []string
	}{
		{"SIGQUIT", func(t *testing.T, s *server, _ string) { s.signal(t, syscall.SIGQUIT) },
			[]string{"[notice] signal 3 (SIGQUIT) received, shutting down", "[notice] gracefully shutting down", "[notice] exiting", "[notice] exit"}},
		{"-s quit", func(t *testing.T, _ *server, dir string) {
			if r := nginxws(t, dir, args(dir, "-s", "quit")...); r.code != 0 || r.stderr != "" {
				t.Fatalf("-s quit: exit %d, stderr %q", r.code, r.stderr)
			}
		}, []string{"[notice] signal 3 (SIGQUIT) received, shutting down", "[notice] gracefully shutting down", "[notice] exiting", "[notice] exit"}},
		{"SIGINT", func(t *testing.T, s *server, _ string) { s.signal(t, syscall.SIGINT) },
			[]string{"[notice] signal 2 (SIGINT) received, exiting", "[notice] exiting", "[notice] exit"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			port := freePort(t)
			write(t, filepath.Join(dir, "nginx.conf"), runConf(dir, port))
			pidFile := filepath.Join(dir, "nginx.pid")
			s := start(t, dir, pidFile, args(dir)...)
			c.send(t, s, dir)
			if code := s.wait(t); code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
			if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("pid file still there after exit: %v", err)
			}
			checkLog(t, logLines(t, filepath.Join(dir, "error.log"), s.pid()), c.want...)
		})
	}
}

// listenInode returns the inode of the socket listening on 127.0.0.1:port,
// from /proc/net/tcp, so that a test can tell a kept socket from a new one.
func listenInode(t *testing.T, port int) string {
	t.Helper()
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	defer f.Close()
	local := fmt.Sprintf("0100007F:%04X", port)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 9 && fs[1] == local && fs[3] == "0A" {
			return fs[9]
		}
	}
	return ""
}

// TestReload: SIGHUP with a broken file keeps the running configuration
// (its listeners keep accepting) and logs the [emerg] with file:line; with
// a good file it reconciles the listeners: an address that stays keeps its
// very socket, a new one is bound, a dropped one is closed; each reload
// logs what it changed. -s reload and -s stop do the same through the pid
// file. Watching is off (-w off): this is the signal's path, and a watcher
// reacting to the same writes would race with it (reload_test.go tests
// watching).
func TestReload(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	p1, p2, p3 := freePort(t), freePort(t), freePort(t)
	good := runConf(dir, p1, p2)
	write(t, conf, good)
	s := start(t, dir, filepath.Join(dir, "nginx.pid"), args(dir, "-w", "off")...)
	errorLog := filepath.Join(dir, "error.log")
	inode := listenInode(t, p2)
	if inode == "" {
		t.Fatalf("no listening socket on port %d", p2)
	}

	brokenLine := strings.Count(good, "\n") + 1
	write(t, conf, good+"bogus_directive on;\n")
	s.signal(t, syscall.SIGHUP)
	emerg := "[emerg] unknown directive \"bogus_directive\" in " + conf + ":" + strconv.Itoa(brokenLine)
	waitFor(t, "the reload's [emerg]", func() bool {
		ls := logLines(t, errorLog, s.pid())
		return len(ls) > 0 && ls[len(ls)-1] == emerg
	})
	if !accepts(p1) || !accepts(p2) || accepts(p3) {
		t.Fatal("a failed reload changed the listeners")
	}

	write(t, conf, runConf(dir, p2, p3))
	s.signal(t, syscall.SIGHUP)
	waitFor(t, "the reload to bind port "+strconv.Itoa(p3)+" and close "+strconv.Itoa(p1), func() bool {
		return accepts(p3) && !accepts(p1)
	})
	if got := listenInode(t, p2); got != inode {
		t.Errorf("port %d: socket inode %s after reload, was %s: the kept address got a new socket", p2, got, inode)
	}

	// The same through the pid file: -s reload, then -s stop.
	write(t, conf, runConf(dir, p3))
	r := nginxws(t, dir, args(dir, "-s", "reload")...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("-s reload: exit %d, stderr %q", r.code, r.stderr)
	}
	waitFor(t, "-s reload to close port "+strconv.Itoa(p2), func() bool { return !accepts(p2) })
	if !accepts(p3) {
		t.Error("port kept by the last reload does not accept")
	}
	if r := nginxws(t, dir, args(dir, "-s", "stop")...); r.code != 0 {
		t.Fatalf("-s stop: exit %d, stderr %q", r.code, r.stderr)
	}
	if code := s.wait(t); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	hup := []string{"[notice] signal 1 (SIGHUP) received, reconfiguring", "[notice] reconfiguring"}
	server := func(p int) string { return `"" 127.0.0.1:` + strconv.Itoa(p) }
	want := append(append(append(append([]string{}, hup...), emerg), hup...),
		"[notice] reconfigured in T; files: 1 changed ("+conf+"); servers: 1 added ("+server(p3)+"), 1 removed ("+server(p1)+"); upstreams unchanged")
	want = append(append(want, hup...),
		"[notice] reconfigured in T; files: 1 changed ("+conf+"); servers: 1 removed ("+server(p2)+"); upstreams unchanged")
	took := regexp.MustCompile(`^(\[notice\] reconfigured in )[0-9.]+[µm]?s;`)
	lines := logLines(t, errorLog, s.pid())
	for i, l := range lines {
		lines[i] = took.ReplaceAllString(l, "${1}T;")
	}
	checkLog(t, lines, append(want,
		"[notice] signal 15 (SIGTERM) received, exiting", "[notice] exiting", "[notice] exit")...)
	// Each signaller logged to the start-up log (-e) it was given.
	b, _ := os.ReadFile(filepath.Join(dir, "startup.log"))
	if got := normalise(string(b), dir); got != strings.Repeat("LOG [notice] signal process started\n", 2) {
		t.Errorf("start-up log of the signallers:\n%s", got)
	}
}

// TestReopen: -s reopen (SIGUSR1) reopens the error log by name, so that a
// rotated file is recreated, and points stderr at the new file.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "nginx.conf"), runConf(dir, freePort(t)))
	s := start(t, dir, filepath.Join(dir, "nginx.pid"), args(dir)...)
	errorLog := filepath.Join(dir, "error.log")
	if err := os.Rename(errorLog, errorLog+".1"); err != nil {
		t.Fatal(err)
	}
	if r := nginxws(t, dir, args(dir, "-s", "reopen")...); r.code != 0 {
		t.Fatalf("-s reopen: exit %d, stderr %q", r.code, r.stderr)
	}
	fd2 := fmt.Sprintf("/proc/%d/fd/2", s.pid())
	waitFor(t, "a new error log with stderr pointing at it", func() bool {
		l, err := os.Readlink(fd2)
		return err == nil && l == errorLog
	})
	s.signal(t, syscall.SIGTERM)
	s.wait(t)
	checkLog(t, logLines(t, errorLog+".1", s.pid()),
		"[notice] signal 10 (SIGUSR1) received, reopening logs", "[notice] reopening logs")
	if got := logLines(t, errorLog, s.pid()); strings.Join(got, "\n") != "[notice] signal 15 (SIGTERM) received, exiting\n[notice] exiting\n[notice] exit" {
		t.Errorf("new error log:\n%s", strings.Join(got, "\n"))
	}
}

// TestBindFailure: an address in use is retried as nginx does (five
// tries, each failed one followed by a notice and 500 ms, the last too),
// then nginxws exits 1 without a pid file, with nginx's lines on stderr
// and in the error log.
func TestBindFailure(t *testing.T) {
	ln, port := occupy(t)
	defer ln.Close()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "nginx.conf"), runConf(dir, port))
	r := nginxws(t, dir, args(dir)...)
	bindErr := "bind() to 127.0.0.1:" + strconv.Itoa(port) + " failed (98: Address already in use)"
	want := strings.Repeat("nginxws: [emerg] "+bindErr+"\n", 5) + "nginxws: [emerg] still could not bind()\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", r.code, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "nginx.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file written although binding failed: %v", err)
	}
	var wantLog []string
	for i := 0; i < 5; i++ {
		wantLog = append(wantLog, "[emerg] "+bindErr, "[notice] try again to bind() after 500ms")
	}
	wantLog = append(wantLog, "[emerg] still could not bind()")
	b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	got := strings.Split(strings.TrimSuffix(logPrefix.ReplaceAllString(string(b), "[$1] "), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(wantLog, "\n") {
		t.Errorf("error log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLog, "\n"))
	}
}

// TestAccessLogEmptyName: access_log ” logs to the standard error, as
// ngx_conf_open_file opens an empty name, and the standard error is the
// error log once the server runs: the access lines land there (nginx
// 1.22 does the same; -t passes).
func TestAccessLogEmptyName(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	write(t, filepath.Join(dir, "nginx.conf"), "pid "+dir+"/nginx.pid;\nerror_log "+dir+"/error.log;\nevents {}\n"+
		"http { server { listen 127.0.0.1:"+strconv.Itoa(port)+"; location / { access_log ''; return 200 \"x\\n\"; } } }\n")
	tc := exec.Command(binary, "-t", "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"))
	if out, err := tc.CombinedOutput(); err != nil {
		t.Fatalf("-t: %v\n%s", err, out)
	}
	start(t, dir, filepath.Join(dir, "nginx.pid"), args(dir)...)
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /empty-name HTTP/1.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(c); !strings.HasSuffix(string(b), "\r\n\r\nx\n") {
		t.Fatalf("answer %q", b)
	}
	waitFor(t, "the access line in the error log", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return regexp.MustCompile(`(?m)^127\.0\.0\.1 - - \[[^]]+\] "GET /empty-name HTTP/1\.0" 200 2 "-" "-"$`).Match(b)
	})
}
