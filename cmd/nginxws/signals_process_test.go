package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// heldBackend accepts connections and, for each, reads the request head
// and answers only once release is closed: a request kept in flight. A
// request for a path starting with /stream gets a chunked head and a first
// chunk at once, the rest after release; one for /ws is switched to a
// tunnel at once, which echoes what comes.
type heldBackend struct {
	ln       net.Listener
	arrived  chan struct{}
	release  chan struct{}
	released bool
}

func newHeldBackend(t *testing.T) *heldBackend {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &heldBackend{ln: ln, arrived: make(chan struct{}, 16), release: make(chan struct{})}
	t.Cleanup(func() { b.free(); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				stream, ws := false, false
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					stream = stream || strings.HasPrefix(l, "GET /stream")
					ws = ws || strings.HasPrefix(l, "GET /ws")
					if l == "\r\n" {
						break
					}
				}
				if ws {
					_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
					_, _ = io.Copy(c, r)
					return
				}
				if stream {
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\nfirst\n\r\n")
				}
				b.arrived <- struct{}{}
				<-b.release
				if stream {
					_, _ = io.WriteString(c, "5\r\nrest\n\r\n0\r\n\r\n")
					return
				}
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nheld\n")
			}()
		}
	}()
	return b
}

func (b *heldBackend) port() int { return b.ln.Addr().(*net.TCPAddr).Port }

// free lets every held request, and any later one, be answered.
func (b *heldBackend) free() {
	if !b.released {
		b.released = true
		close(b.release)
	}
}

// signalLine matches a signal's line and the [crit] that may follow it,
// as "[level] message" once the time and pid are cut, with nginx's
// " from PID" (the sender) removed: Go does not tell nginxws the sender.
var signalLine = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[[a-z]+\]) \d+#\d+: (signal \d+ \(SIG[A-Z0-9]+\) received)(?: from \d+)?(.*)$|^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[crit\]) \d+#\d+: (the changing binary signal .*)$`)

// signalLines returns the signal lines of an error log (signalLine), but
// for SIGCHLD, which nginx's master gets from its workers.
func signalLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		m := signalLine.FindStringSubmatch(l)
		switch {
		case m == nil, strings.Contains(l, "(SIGCHLD)"): // nginx's workers
		case m[1] != "":
			out = append(out, m[1]+" "+m[2]+m[3])
		default:
			out = append(out, m[4]+" "+m[5])
		}
	}
	return out
}

// TestSignalsLikeNginx: every signal nginx's master catches gets nginx's
// line, while running and during a graceful shutdown, checked against
// nginx itself: WINCH (stop accepting, which a foreground nginx does not
// do), ALRM and IO are only logged; USR2 (a binary upgrade) is refused as
// a foreground nginx refuses it; once QUIT has started a graceful shutdown,
// HUP, USR1 and QUIT are logged with their action but nothing more happens
// (no reload, no reopening of the logs) while the request in flight
// finishes.
func TestSignalsLikeNginx(t *testing.T) {
	running := []syscall.Signal{syscall.SIGWINCH, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGIO}
	draining := []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGQUIT, syscall.SIGWINCH, syscall.SIGUSR2}
	want := []string{
		"[notice] signal 28 (SIGWINCH) received",
		"[notice] signal 12 (SIGUSR2) received, ignoring",
		"[crit] the changing binary signal is ignored: you should shutdown or terminate before either old or new binary's process",
		"[notice] signal 14 (SIGALRM) received",
		"[notice] signal 29 (SIGIO) received",
		"[notice] signal 3 (SIGQUIT) received, shutting down",
		"[notice] signal 1 (SIGHUP) received, reconfiguring",
		"[notice] signal 10 (SIGUSR1) received, reopening logs",
		"[notice] signal 3 (SIGQUIT) received, shutting down",
		"[notice] signal 28 (SIGWINCH) received",
		"[notice] signal 12 (SIGUSR2) received, ignoring",
		"[crit] the changing binary signal is ignored: you should shutdown or terminate before either old or new binary's process",
	}
	run := func(t *testing.T, prog string) {
		dir := t.TempDir()
		backend := newHeldBackend(t)
		port := freePort(t)
		conf := filepath.Join(dir, "nginx.conf")
		pidFile := filepath.Join(dir, "nginx.pid")
		errorLog := filepath.Join(dir, "error.log")
		text := "pid " + pidFile + ";\nerror_log " + errorLog + " notice;\nevents {}\nhttp {\n    access_log off;\n" +
			"    server {\n        listen 127.0.0.1:" + strconv.Itoa(port) + ";\n" +
			"        location / { proxy_pass http://127.0.0.1:" + strconv.Itoa(backend.port()) + "; }\n    }\n}\n"
		write(t, conf, text)
		s := startProgram(t, prog, dir, pidFile, "-p", dir+"/", "-c", conf, "-e", filepath.Join(dir, "startup.log"), "-g", "daemon off;")
		// Each signal is sent once the previous one's lines are there,
		// so that the order is the order sent.
		seen := 0
		send := func(sig syscall.Signal) {
			t.Helper()
			s.signal(t, sig)
			seen++
			if sig == syscall.SIGUSR2 {
				seen++
			}
			waitFor(t, "the line of "+signalName(sig), func() bool { return len(signalLines(t, errorLog)) >= seen })
		}
		for _, sig := range running {
			send(sig)
		}
		if !accepts(port) {
			t.Fatal("the port stopped accepting after WINCH, USR2, ALRM and IO")
		}

		// A request in flight, then a graceful shutdown.
		c := sendTo(t, port, "GET /held HTTP/1.0\r\nHost: x\r\n\r\n")
		<-backend.arrived
		send(syscall.SIGQUIT)
		waitFor(t, "the listening socket to close", func() bool { return !accepts(port) })
		// A rotated log is not reopened during the shutdown, and the
		// configuration is not read again: a broken one says nothing.
		if err := os.Rename(errorLog, errorLog+".1"); err != nil {
			t.Fatal(err)
		}
		errorLog += ".1"
		write(t, conf, text+"bogus;\n")
		for _, sig := range draining {
			send(sig)
		}
		backend.free()
		answer, err := io.ReadAll(c)
		if err != nil || !strings.HasPrefix(string(answer), "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(string(answer), "\r\n\r\nheld\n") {
			t.Errorf("the request in flight during the shutdown got %q, %v", answer, err)
		}
		if code := s.wait(t); code != 0 {
			t.Errorf("exit code %d, want 0", code)
		}
		if got := signalLines(t, errorLog); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("signal lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if _, err := os.Stat(filepath.Join(dir, "error.log")); err == nil {
			t.Error("the error log was reopened during the graceful shutdown")
		}
		b, _ := os.ReadFile(errorLog)
		for _, no := range []string{"[emerg]", ": reconfiguring\n", ": reopening logs\n"} {
			if strings.Contains(string(b), no) {
				t.Errorf("the error log holds %q: something happened during the shutdown:\n%s", no, b)
			}
		}
	}
	t.Run("nginxws", func(t *testing.T) { run(t, binary) })
	nginx := oracle(t)
	t.Run("nginx", func(t *testing.T) { run(t, nginx) })
}

// TestShutdownCutsRequests: a request waiting for its upstream, or for
// the rest of a streamed response, does not hold a shutdown back: SIGTERM
// ends it at once and it is not logged, nor is a WebSocket tunnel (nginx's
// worker just exits); a graceful shutdown ends it when
// worker_shutdown_timeout expires, as nginx closes every connection then,
// upstream ones included, and logs it (status 000 when no response head
// went out) and the tunnel, with no error line. So is a request whose
// body is still coming.
// Checked against nginx itself.
func TestShutdownCutsRequests(t *testing.T) {
	for _, c := range []struct {
		name    string
		sig     syscall.Signal
		timeout string // worker_shutdown_timeout, "" for none
		want    string // the access log, its lines sorted
	}{
		{"SIGTERM", syscall.SIGTERM, "", "GET / HTTP/1.1 200 3\n"},
		{"SIGQUIT", syscall.SIGQUIT, "200ms", "GET / HTTP/1.1 200 3\nGET /held HTTP/1.1 000 0\nGET /stream HTTP/1.1 200 11\nGET /ws HTTP/1.1 101 5\nPOST /upload HTTP/1.1 000 0\n"},
	} {
		run := func(t *testing.T, prog string) {
			dir := t.TempDir()
			backend := newHeldBackend(t)
			port := freePort(t)
			conf := filepath.Join(dir, "nginx.conf")
			pidFile := filepath.Join(dir, "nginx.pid")
			text := "pid " + pidFile + ";\nerror_log " + dir + "/error.log info;\nevents {}\n"
			if c.timeout != "" {
				text += "worker_shutdown_timeout " + c.timeout + ";\n"
			}
			text += "http {\n    log_format t '$request $status $body_bytes_sent';\n    access_log " + dir + "/access.log t;\n" +
				"    server {\n        listen 127.0.0.1:" + strconv.Itoa(port) + ";\n" +
				"        location = / { return 200 \"hi\\n\"; }\n" +
				"        location / { proxy_pass http://127.0.0.1:" + strconv.Itoa(backend.port()) + "; proxy_buffering off; }\n" +
				"        location /ws { proxy_pass http://127.0.0.1:" + strconv.Itoa(backend.port()) + "; proxy_http_version 1.1;\n" +
				"            proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection upgrade; }\n    }\n}\n"
			write(t, conf, text)
			s := startProgram(t, prog, dir, pidFile, "-p", dir+"/", "-c", conf, "-e", filepath.Join(dir, "startup.log"), "-g", "daemon off;")
			var conns []net.Conn
			// A request whose body has not all come (proxy_request_
			// buffering reads it before the upstream is contacted).
			// It goes first: by the time the others have had their
			// answers, its head has been read.
			up := sendTo(t, port, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
			conns = append(conns, up)
			for _, path := range []string{"/", "/stream", "/held", "/ws"} {
				req := "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"
				if path == "/ws" {
					req = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
				}
				cn := sendTo(t, port, req)
				r := bufio.NewReader(cn)
				switch path {
				case "/":
					// An idle keepalive connection once answered.
					waitFor(t, "the answer to /", func() bool { l, err := r.ReadString('\n'); return err == nil && strings.HasSuffix(l, "hi\n") })
				case "/stream":
					<-backend.arrived
					waitFor(t, "the first chunk", func() bool { l, err := r.ReadString('\n'); return err == nil && strings.HasSuffix(l, "first\n") })
				case "/ws":
					// A tunnel that has moved bytes.
					waitFor(t, "the 101", func() bool { l, err := r.ReadString('\n'); return err == nil && l == "\r\n" })
					if _, err := io.WriteString(cn, "ping\n"); err != nil {
						t.Fatal(err)
					}
					waitFor(t, "the echo", func() bool { l, err := r.ReadString('\n'); return err == nil && l == "ping\n" })
				default:
					<-backend.arrived
				}
				conns = append(conns, cn)
			}
			s.signal(t, c.sig)
			// The backend never answers: only the cut ends the requests.
			if code := s.wait(t); code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
			for i, cn := range conns {
				_ = cn.SetReadDeadline(time.Now().Add(waitTimeout))
				if _, err := io.ReadAll(cn); err != nil && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("connection %d: %v after the exit, want its end", i, err)
				}
			}
			// The cut requests end in no set order.
			lines := strings.SplitAfter(readFile(t, filepath.Join(dir, "access.log")), "\n")
			sort.Strings(lines)
			if got := strings.Join(lines, ""); got != c.want {
				t.Errorf("access log:\n%s\nwant:\n%s", got, c.want)
			}
			for _, l := range strings.Split(readFile(t, filepath.Join(dir, "error.log")), "\n") {
				if strings.Contains(l, "] ") && !strings.Contains(l, "[notice]") {
					t.Errorf("error log line: %s", l)
				}
			}
		}
		t.Run(c.name+"/nginxws", func(t *testing.T) { run(t, binary) })
		t.Run(c.name+"/nginx", func(t *testing.T) { run(t, oracle(t)) })
	}
}

// TestReloadKeepsKeepaliveConnections: a reload closes no client
// connection. An idle keepalive connection serves its next request with
// the new configuration; a request in flight finishes on the old one,
// keeps its connection ("Connection: keep-alive"), and the next request
// on it gets the new one. nginx's old worker closes both (the idle one at
// once, the busy one after its response, sent with "Connection: close"):
// docs/differences.md.
func TestReloadKeepsKeepaliveConnections(t *testing.T) {
	dir := t.TempDir()
	backend := newHeldBackend(t)
	port := freePort(t)
	conf := filepath.Join(dir, "nginx.conf")
	pidFile := filepath.Join(dir, "nginx.pid")
	errorLog := filepath.Join(dir, "error.log")
	text := func(answer string) string {
		return "pid " + pidFile + ";\nerror_log " + errorLog + " notice;\nevents {}\nhttp {\n" +
			"    log_format t '$request $status';\n    access_log " + filepath.Join(dir, answer+".log") + " t;\n" +
			"    server {\n        listen 127.0.0.1:" + strconv.Itoa(port) + ";\n" +
			"        location = / { return 200 \"" + answer + "\\n\"; }\n" +
			"        location = /status { stub_status; access_log off; }\n" +
			"        location / { proxy_pass http://127.0.0.1:" + strconv.Itoa(backend.port()) + "; }\n    }\n}\n"
	}
	write(t, conf, text("old"))
	s := start(t, dir, pidFile, args(dir, "-w", "off")...)

	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	get := func(c net.Conn, path string) {
		t.Helper()
		if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(r *bufio.Reader, body string) {
		t.Helper()
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != body || resp.Header.Get("Connection") != "keep-alive" {
			t.Fatalf("answer %q (%v), Connection %q; want %q and keep-alive", b, err, resp.Header.Get("Connection"), body)
		}
	}
	idle, idleR := dial()
	get(idle, "/")
	expect(idleR, "old\n")
	busy, busyR := dial()
	get(busy, "/held")
	<-backend.arrived
	// A connection whose request head is half read at the reload.
	fresh, freshR := dial()
	if _, err := io.WriteString(fresh, "GET / HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the half request to be read", func() bool {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/status")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return strings.Contains(string(b), "Reading: 1 ")
	})

	write(t, conf, text("new"))
	s.signal(t, syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { return strings.Contains(readFile(t, errorLog), "reconfigured in ") })

	get(idle, "/")
	expect(idleR, "new\n")
	if _, err := io.WriteString(fresh, "Host: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	expect(freshR, "new\n")
	backend.free()
	expect(busyR, "held\n")
	get(busy, "/")
	expect(busyR, "new\n")
	// Each request is in the access log of the configuration that
	// served it.
	waitFileHolds(t, filepath.Join(dir, "old.log"), "GET / HTTP/1.1 200\nGET /held HTTP/1.1 200\n")
	waitFileHolds(t, filepath.Join(dir, "new.log"), "GET / HTTP/1.1 200\nGET / HTTP/1.1 200\nGET / HTTP/1.1 200\n")
}

// sendTo connects to 127.0.0.1:port and sends req; the connection is
// closed at the end of the test.
func sendTo(t *testing.T, port int, req string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return c
}
