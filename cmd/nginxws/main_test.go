package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is nginxws built once for every test of the package (TestMain).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nginxws-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "nginxws")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/nginxws: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// waitTimeout bounds every wait of these tests: a hang fails, it never
// blocks the test binary.
const waitTimeout = 15 * time.Second

// result is what one finished run printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// execute runs prog with args in dir and waits for it.
func execute(t *testing.T, dir, prog string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not finish within %v", prog, strings.Join(args, " "), waitTimeout)
	}
	r := result{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running %s: %v", prog, err)
	}
	return r
}

// nginxws runs the binary under test in dir.
func nginxws(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return execute(t, dir, binary, args...)
}

// oracle returns the real nginx 1.22 for side-by-side checks, or skips.
func oracle(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("nginx")
	if err != nil {
		path = "/usr/sbin/nginx"
		if _, err := os.Stat(path); err != nil {
			t.Skip("nginx is not installed (apt-get install -y nginx-light): no oracle to compare with")
		}
	}
	out, _ := exec.Command(path, "-v").CombinedOutput()
	if !strings.Contains(string(out), "nginx/1.22.") {
		t.Skipf("the oracle is nginx 1.22; this is %q", strings.TrimSpace(string(out)))
	}
	return path
}

// logPrefix matches the start of an error-log line: time, level, pid#tid.
var logPrefix = regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[([a-z]+)\] \d+#\d+: `)

// normalise makes nginx's and nginxws's output comparable: the program
// name, the time and pid of log lines, and the directory of the case.
func normalise(s, dir string) string {
	if dir != "" {
		s = strings.ReplaceAll(s, dir, "$DIR")
	}
	s = logPrefix.ReplaceAllString(s, "LOG [$1] ")
	return regexp.MustCompile(`(?m)^nginx: `).ReplaceAllString(s, "nginxws: ")
}

// logLines returns the lines of an error log without their time and pid
// ("[notice] message"), checking that each has nginx's prefix with pid.
func logLines(t *testing.T, path string, pid int) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	want := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[[a-z]+\]) ` + strconv.Itoa(pid) + `#` + strconv.Itoa(pid) + `: (.*)$`)
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if l == "" {
			continue
		}
		m := want.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("%s: line not in nginx's format for pid %d: %q", path, pid, l)
		}
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

// waitFor polls cond until it holds; this is a readiness check (a file
// appears, a port accepts), never a fixed sleep.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// occupy listens on a free port of 127.0.0.1, as another program would.
func occupy(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// accepts reports whether something accepts connections on 127.0.0.1:port.
func accepts(port int) bool {
	c, err := net.DialTimeout("tcp4", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// server is a running nginxws.
type server struct {
	cmd    *exec.Cmd
	dir    string
	stderr *bytes.Buffer
	done   chan struct{}
	code   int
}

// start runs nginxws in the foreground in dir and returns once its pid file
// exists with its pid (nginx writes it after binding, so the listeners are
// ready then). The process is killed at the end of the test if it still
// runs.
func start(t *testing.T, dir, pidFile string, args ...string) *server {
	t.Helper()
	return startProgram(t, binary, dir, pidFile, args...)
}

// startProgram is start for another program: prog is nginxws or nginx.
func startProgram(t *testing.T, prog, dir, pidFile string, args ...string) *server {
	t.Helper()
	s := &server{dir: dir, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(prog, args...)
	s.cmd.Dir = dir
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := s.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			s.code = ee.ExitCode()
		}
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	want := strconv.Itoa(s.cmd.Process.Pid) + "\n"
	waitFor(t, "the pid file "+pidFile, func() bool {
		select {
		case <-s.done:
			t.Fatalf("%s exited with %d before writing its pid file; stderr:\n%s", prog, s.code, s.stderr)
		default:
		}
		b, err := os.ReadFile(pidFile)
		return err == nil && string(b) == want
	})
	return s
}

func (s *server) pid() int { return s.cmd.Process.Pid }

func (s *server) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (s *server) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.done:
		return s.code
	case <-time.After(waitTimeout):
		t.Fatalf("nginxws did not exit within %v", waitTimeout)
		return -1
	}
}
