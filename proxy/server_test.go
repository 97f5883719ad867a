package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// load compiles a configuration whose http block holds servers.
func load(t *testing.T, servers string) *directives.Config {
	t.Helper()
	return loadEvents(t, "", servers)
}

// loadEvents is load with the events block's contents.
func loadEvents(t *testing.T, events, servers string) *directives.Config {
	t.Helper()
	dir := t.TempDir()
	text := "events {" + events + "}\nhttp {\n    access_log off;\n" + servers + "}\n"
	cfg, err := directives.LoadString(filepath.Join(dir, "nginx.conf"), text, directives.LoadOptions{Prefix: dir + "/"})
	if err != nil {
		t.Fatalf("loading\n%s: %v", text, err)
	}
	return cfg
}

// servers returns one server block per listen argument, each answering
// every request with 200 "ok".
func servers(listens ...string) string {
	var b strings.Builder
	for _, l := range listens {
		b.WriteString("    server { listen " + l + "; return 200 ok; }\n")
	}
	return b.String()
}

// testLog returns an error log writing everything to a file, and a function
// reading its lines without time and pid ("[emerg] message").
func testLog(t *testing.T) (*errlog.Log, func() []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "error.log")
	set, err := errlog.Open([]errlog.Target{{Path: path, Level: errlog.LevelDebug}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	prefix := regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[[a-z]+\]) \d+#\d+: `)
	return errlog.New("nginxws", os.Getpid(), os.Stderr, set), func() []string {
		b, _ := os.ReadFile(path)
		s := strings.TrimSuffix(prefix.ReplaceAllString(string(b), "$1 "), "\n")
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// boundSocket returns a TCP socket bound to 127.0.0.1 on a port the
// kernel chose, not listening and closed at the end of the test, and its
// address.
func boundSocket(t *testing.T) (int, string) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	name, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fd, "127.0.0.1:" + strconv.Itoa(name.(*syscall.SockaddrInet4).Port)
}

// refusedAddr returns a 127.0.0.1 address that refuses connections for
// the rest of the test: its port is held by a socket bound to it that
// never listens, so that nothing else on the machine can be handed the
// port and answer where the test expects a refusal.
func refusedAddr(t *testing.T) string {
	t.Helper()
	_, addr := boundSocket(t)
	return addr
}

// served reports whether addr answers an HTTP/1.0 request with the
// servers' 200 "ok" and closes the connection.
func served(network, addr string) bool {
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		return false
	}
	b, err := io.ReadAll(c)
	return err == nil && strings.HasPrefix(string(b), "HTTP/1.1 200 OK\r\n") && strings.HasSuffix(string(b), "\r\n\r\nok")
}

func serve(t *testing.T, s *Server) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
}

func TestListenServeReload(t *testing.T) {
	a, b, c := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
	log, lines := testLog(t)
	first := load(t, servers(a, b))
	s := New(first, log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	for _, addr := range []string{a, b} {
		if !served("tcp", addr) {
			t.Errorf("%s does not accept and close", addr)
		}
	}
	kept := s.listeners[listenKey{"tcp", b}].ln

	second := load(t, servers(c, b))
	if err := s.Reload(second); err != nil {
		t.Fatal(err)
	}
	if s.Config() != second {
		t.Error("Config() is not the reloaded configuration")
	}
	if got := strings.Join(s.Addrs(), " "); got != c+" "+b {
		t.Errorf("Addrs() = %s, want %s %s (by port, as first written)", got, c, b)
	}
	if s.listeners[listenKey{"tcp", b}].ln != kept {
		t.Error("the address both configurations share got a new socket")
	}
	if !served("tcp", b) || !served("tcp", c) {
		t.Error("a listener of the new configuration does not serve")
	}
	if served("tcp", a) {
		t.Errorf("%s, dropped by the reload, still accepts", a)
	}
	if l := lines(); len(l) != 0 {
		t.Errorf("unexpected log lines:\n%s", strings.Join(l, "\n"))
	}
}

// TestReloadBindFailureKeepsOld: a reload whose new address cannot be bound
// changes nothing — configuration, sockets — and closes the other new
// sockets it had opened; the failures are logged as nginx logs them.
func TestReloadBindFailureKeepsOld(t *testing.T) {
	taken, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().String()
	a, fresh := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)

	log, lines := testLog(t)
	first := load(t, servers(a))
	s := New(first, log)
	s.bind.delay = time.Millisecond
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)

	if err := s.Reload(load(t, servers(fresh, busy))); err == nil {
		t.Fatal("Reload succeeded with an address in use")
	}
	if s.Config() != first {
		t.Error("a failed reload replaced the configuration")
	}
	if got := strings.Join(s.Addrs(), " "); got != a {
		t.Errorf("Addrs() = %s after a failed reload, want %s", got, a)
	}
	if !served("tcp", a) {
		t.Error("the old listener stopped serving")
	}
	if c, err := net.DialTimeout("tcp", fresh, time.Second); err == nil {
		c.Close()
		t.Errorf("%s, bound by the failed reload, was left open", fresh)
	}
	bindErr := "[emerg] bind() to " + busy + " failed (98: Address already in use)"
	var want []string
	for i := 0; i < 5; i++ {
		want = append(want, bindErr, "[notice] try again to bind() after 500ms")
	}
	want = append(want, "[emerg] still could not bind()")
	if got := lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestListenFailureLeavesNothingBound(t *testing.T) {
	a := "127.0.0.1:" + freePort(t)
	log, lines := testLog(t)
	s := New(load(t, servers(a, "192.0.2.1:"+freePort(t))), log)
	if err := s.Listen(); err == nil {
		t.Fatal("Listen succeeded on an address the host does not have")
	}
	if len(s.Addrs()) != 0 {
		t.Errorf("Addrs() = %v after a failed Listen", s.Addrs())
	}
	if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
		c.Close()
		t.Errorf("%s stayed bound after the failed Listen", a)
	}
	got := lines()
	if len(got) != 1 || !regexp.MustCompile(`^\[emerg\] bind\(\) to 192\.0\.2\.1:\d+ failed \(99: Cannot assign requested address\)$`).MatchString(got[0]) {
		t.Errorf("log: %q", got)
	}
}

// TestShutdown: Shutdown stops accepting at once, waits for open
// connections, and closes those still open when its context ends.
func TestShutdown(t *testing.T) {
	a := "127.0.0.1:" + freePort(t)
	log, _ := testLog(t)
	s := New(load(t, servers(a)), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)

	// A connection in flight, as a proxied request or tunnel will be: its
	// handler ends when the connection is closed under it.
	mine, theirs := net.Pipe()
	defer mine.Close()
	if !s.track(theirs) {
		t.Fatal("track refused a connection on a running server")
	}
	go func() {
		_, _ = io.Copy(io.Discard, theirs)
		s.untrack(theirs)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the context's deadline", err)
	}
	if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
		c.Close()
		t.Error("the listener still accepts after Shutdown")
	}
	if _, err := mine.Write([]byte("x")); err == nil {
		t.Error("the open connection was not closed when the deadline passed")
	}
	if s.track(theirs) {
		t.Error("track accepted a connection after Shutdown")
	}
	if err := s.Reload(s.Config()); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Reload after Shutdown = %v, want ErrServerClosed", err)
	}
}

func TestShutdownWaitsForConnections(t *testing.T) {
	log, _ := testLog(t)
	s := New(load(t, servers("127.0.0.1:"+freePort(t))), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	_, conn := net.Pipe()
	s.track(conn)
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while a connection was open", err)
	case <-time.After(50 * time.Millisecond):
	}
	conn.Close()
	s.untrack(conn)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown = %v, want nil once the connection ended", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return after the last connection ended")
	}
}

func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.sock")
	log, lines := testLog(t)
	s := New(load(t, servers("unix:"+path)), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o666 {
		t.Errorf("socket mode %v, want 0666 as nginx sets", fi.Mode().Perm())
	}
	if !served("unix", path) {
		t.Error("the unix socket does not serve")
	}
	if err := s.Reload(load(t, servers("127.0.0.1:"+freePort(t)))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file still there after the reload dropped it: %v", err)
	}
	if got := lines(); len(got) != 1 || got[0] != "[warn] deleting socket "+path {
		t.Errorf("log: %q", got)
	}
}

func TestUnixSocketInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.sock")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	log, lines := testLog(t)
	s := New(load(t, servers("unix:"+path)), log)
	s.bind.tries, s.bind.delay = 1, time.Millisecond
	if err := s.Listen(); err == nil {
		t.Fatal("Listen succeeded over an existing file")
	}
	want := []string{"[emerg] bind() to unix:" + path + " failed (98: Address already in use)", "[notice] try again to bind() after 500ms", "[emerg] still could not bind()"}
	if got := lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log: %q, want %q", got, want)
	}
}

// TestReloadDroppedAddressAnswersWaitingRequest: a request that was on
// its way on a connection accepted before a reload dropped the address
// is still answered, under the configuration it came to, as nginx's old
// worker answers it.
func TestReloadDroppedAddressAnswersWaitingRequest(t *testing.T) {
	a, b := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
	log, _ := testLog(t)
	s := New(load(t, servers(a, b)), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	c, err := net.Dial("tcp4", b)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.stats.reading.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the request's first bytes were not read")
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Reload(load(t, servers(a))); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || !strings.HasPrefix(string(got), "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(string(got), "\r\n\r\nok") {
		t.Errorf("answer %q, %v; want the 200 of the configuration it came to", got, err)
	}
}
