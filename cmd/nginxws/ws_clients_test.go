package main

// WebSocket tunnels side by side with nginx 1.22, driven by clients the side-by-side
// case format cannot express: real WebSocket libraries of other languages (Node's ws,
// Python's websockets) doing echo, ping/pong, fragments, large and compressed messages
// and close codes; and raw clients that pipeline a frame behind the handshake, stop
// reading, reset the connection, or outlive a reload and a graceful quit. Each scenario
// runs on nginx, then on nginxws, against the same backends; what the client saw, the
// access-log lines and the error-log lines of the tunnel's connection are compared.
//
// The Node and Python scenarios skip when their runtime or library is missing:
//
//	npm install --prefix DIR ws && export NODE_PATH=DIR/node_modules
//	apt-get install -y python3-websockets     (or pip install websockets)

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wscConf is the configuration of the scenarios (a template: PREFIX, PORT, BACKEND, RAW).
// Two access logs: "full" with the byte counts (deterministic for the scenarios that
// compare it), "short" without (for floods, whose counts depend on socket buffers).
const wscConf = `daemon off;
{{USER}}
worker_processes 1;
pid {{PREFIX}}nginx.pid;
error_log {{PREFIX}}error.log info;
worker_shutdown_timeout 1s;
events { worker_connections 1024; }
http {
    log_format full '$request $status $body_bytes_sent $upstream_status $upstream_bytes_received $request_completion';
    log_format short '$request $status $upstream_status';
    log_format comp '$request $status $request_completion';
    access_log {{PREFIX}}access.log full;
    access_log {{PREFIX}}short.log short;
    access_log {{PREFIX}}comp.log comp;

    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }

    server {
        listen 127.0.0.1:{{PORT}};
        server_name wsc;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;

        location / {
            proxy_pass http://{{BACKEND}};
        }
        location /slowclient/ {
            send_timeout 500ms;
            proxy_pass http://{{BACKEND}}/;
        }
        location /raw/ {
            proxy_send_timeout 500ms;
            proxy_pass http://{{RAW}};
        }
        location /raw/late {
            proxy_read_timeout 500ms;
            proxy_pass http://{{RAW}};
        }
    }
}
`

// wscEnv is one running proxy of a scenario run.
type wscEnv struct {
	addr, prefix string
	proc         *sbsProc
}

// wscScenario is one exchange: run plays the client side and returns what it saw, in
// words that do not depend on the proxy (its name, the time, ports); log names the
// access log whose lines are compared and lines how many the scenario writes.
type wscScenario struct {
	name  string
	log   string
	lines int
	run   func(t *testing.T, e *wscEnv) string
	// pending, when set, says why nginxws does not pass the scenario yet (and
	// where the fix is): a difference is then logged, not failed, and a pass
	// fails, so that the mark goes once the fix lands.
	pending string
}

// wscRequest is a WebSocket handshake with a fixed key, so that the accept value is
// the same on every run.
func wscRequest(path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: wsc\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
}

// wscFrame is a masked client frame (FIN set) of opcode op; payloads under 126 bytes.
func wscFrame(op byte, payload []byte) []byte {
	mask := [4]byte{1, 2, 3, 4}
	b := []byte{0x80 | op, 0x80 | byte(len(payload))}
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// wscHead reads a response head and returns it normalised: the Date value and the
// proxy's name in Server.
func wscHead(br *bufio.Reader) (string, error) {
	var out strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return out.String(), err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return out.String(), nil
		}
		if strings.HasPrefix(strings.ToLower(line), "date:") {
			line = "Date: <date>"
		}
		line = sbsNormaliseName(sbsServerName, line)
		out.WriteString(line + "\n")
	}
}

// wscUpgrade connects to the proxy and completes a handshake for path, with extra
// bytes written in the same write as the request.
func wscUpgrade(e *wscEnv, path string, extra []byte) (net.Conn, *bufio.Reader, string, error) {
	c, err := net.DialTimeout("tcp", e.addr, 2*time.Second)
	if err != nil {
		return nil, nil, "", err
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(append([]byte(wscRequest(path)), extra...)); err != nil {
		c.Close()
		return nil, nil, "", err
	}
	br := bufio.NewReader(c)
	head, err := wscHead(br)
	if err != nil {
		c.Close()
		return nil, nil, head, err
	}
	return c, br, head, nil
}

// wscReadFrame reads one unmasked server frame with a short payload.
func wscReadFrame(br *bufio.Reader) (string, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return "", err
	}
	n := int(h[1] & 0x7f)
	if n >= 126 {
		return "", fmt.Errorf("frame of %d bytes: too long for this reader", n)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		return "", err
	}
	return fmt.Sprintf("frame fin=%v op=%d %q", h[0]&0x80 != 0, h[0]&0x0f, p), nil
}

// wscEnd says how a connection ended, within d: closed (an orderly close or a reset:
// which one depends on timing, as the side-by-side suite says), or still open.
func wscEnd(c net.Conn, br io.Reader, d time.Duration) string {
	_ = c.SetReadDeadline(time.Now().Add(d))
	rest, err := io.ReadAll(br)
	switch {
	case len(rest) > 0 && (err == nil || sbsClosed(err)):
		return fmt.Sprintf("%d more bytes, then closed", len(rest))
	case len(rest) > 0:
		return fmt.Sprintf("%d more bytes, then %s", len(rest), sbsErrText(err))
	case err == nil || sbsClosed(err):
		return "closed"
	default:
		return "still open: " + sbsErrText(err)
	}
}

// wscStartBackend starts the WebSocket backend (gorilla/websocket, compression on):
//
//	/echo          echoes every message; answers pings (gorilla's default)
//	/close?code=N  closes at once with code N, reason "server bye"
//	/flood         sends 64 KiB binary messages until the connection fails
//	/refuse        403, no upgrade
func wscStartBackend(t *testing.T) string {
	t.Helper()
	up := websocket.Upgrader{EnableCompression: true, CheckOrigin: func(*http.Request) bool { return true }}
	upgrade := func(w http.ResponseWriter, r *http.Request) *websocket.Conn {
		h := http.Header{}
		if p := websocket.Subprotocols(r); len(p) > 0 {
			h.Set("Sec-WebSocket-Protocol", p[0])
		}
		c, err := up.Upgrade(w, r, h)
		if err != nil {
			return nil
		}
		c.SetReadLimit(64 << 20)
		return c
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		c := upgrade(w, r)
		if c == nil {
			return
		}
		defer c.Close()
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		c := upgrade(w, r)
		if c == nil {
			return
		}
		defer c.Close()
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, "server bye"), time.Now().Add(time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/flood", func(w http.ResponseWriter, r *http.Request) {
		c := upgrade(w, r)
		if c == nil {
			return
		}
		defer c.Close()
		msg := bytes.Repeat([]byte("f"), 64<<10)
		c.EnableWriteCompression(false)
		for {
			_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/refuse", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// wscStartRaw starts a backend that answers every request with a bare 101 and then,
// by path: /raw/hold never reads again (the proxy's writes to it block); /raw/rst
// resets the connection 100ms later; /raw/lateN answers N milliseconds after the
// request and then reads until the proxy closes.
func wscStartRaw(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				for {
					l, err := br.ReadString('\n')
					if err != nil || l == "\r\n" {
						break
					}
				}
				if _, ms, ok := strings.Cut(line, "/raw/late"); ok {
					n, _ := strconv.Atoi(strings.Fields(ms)[0])
					time.Sleep(time.Duration(n) * time.Millisecond)
				}
				_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
				switch {
				case strings.Contains(line, "/raw/late"):
					_, _ = io.Copy(io.Discard, br)
				case strings.Contains(line, "/raw/hold"):
					// Never reads; the proxy gives up first.
					select {
					case <-stop:
					case <-time.After(5 * time.Second):
					}
				case strings.Contains(line, "/raw/rst"):
					time.Sleep(100 * time.Millisecond)
					if tc, ok := c.(*net.TCPConn); ok {
						_ = tc.SetLinger(0)
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// wscStartProxy starts prog (nginx or nginxws) on the scenarios' configuration in a
// fresh prefix and waits until it accepts connections.
func wscStartProxy(t *testing.T, prog string, vars map[string]string) *wscEnv {
	t.Helper()
	prefix := t.TempDir() + "/"
	if err := os.Chmod(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := wscConf
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf = strings.ReplaceAll(conf, "{{USER}}", user)
	conf = strings.ReplaceAll(conf, "{{PREFIX}}", prefix)
	for k, v := range vars {
		conf = strings.ReplaceAll(conf, "{{"+k+"}}", v)
	}
	if err := os.WriteFile(prefix+"nginx.conf", []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := sbsStartProc(prog, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	if err := p.ready(conf, prefix); err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	return &wscEnv{addr: "127.0.0.1:" + vars["PORT"], prefix: prefix, proc: p}
}

// wscWaitLog waits (5s at most) until the error log holds text after its first since
// bytes.
func wscWaitLog(e *wscEnv, since int64, text string) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(sbsReadFrom(e.prefix+"error.log", since), text) {
		time.Sleep(10 * time.Millisecond)
	}
}

// wscConnLine matches the error-log lines of a client connection (those with a
// connection number), which are the ones a tunnel writes.
var wscConnLine = regexp.MustCompile(`^\S+ \S+ \[[a-z]+\] \d+#\d+: \*\d+ `)

// wscErrorLines returns the connection lines of the error log written since offset,
// normalised, without keepalive chatter (a plain connection's close is not the tunnel's).
func wscErrorLines(path string, offset int64) []string {
	var lines []string
	for _, l := range strings.Split(sbsReadFrom(path, offset), "\n") {
		if !wscConnLine.MatchString(l) || strings.Contains(l, "closed keepalive connection") {
			continue
		}
		lines = append(lines, l)
	}
	var out strings.Builder
	sbsErrorLogText(&out, lines, nil)
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

// wscPlay runs the scenarios on prog and returns a transcript per scenario.
func wscPlay(t *testing.T, prog string, vars map[string]string, scenarios []wscScenario) map[string]string {
	t.Helper()
	e := wscStartProxy(t, prog, vars)
	// The next proxy listens on the same port.
	defer e.proc.stop()
	out := map[string]string{}
	for _, s := range scenarios {
		started := time.Now()
		logPath := e.prefix + s.log
		sbsSettle(logPath, e.prefix+"error.log")
		before := sbsLogCount(logPath)
		errAt := sbsFileSize(e.prefix + "error.log")
		var b strings.Builder
		b.WriteString(s.run(t, e))
		for _, l := range sbsWaitLog(logPath, before, s.lines, time.Time{}) {
			fmt.Fprintf(&b, "log: %s\n", l)
		}
		sbsSettle(e.prefix + "error.log")
		for _, l := range wscErrorLines(e.prefix+"error.log", errAt) {
			if l != "" {
				fmt.Fprintf(&b, "%s\n", l)
			}
		}
		out[s.name] = b.String()
		if testing.Verbose() {
			t.Logf("%s: %s took %v", filepath.Base(prog), s.name, time.Since(started))
		}
	}
	return out
}

// wscCompare runs the scenarios on nginx and nginxws and reports each difference.
func wscCompare(t *testing.T, scenarios []wscScenario) {
	t.Helper()
	nginx := oracle(t)
	vars := map[string]string{
		"PORT":    strconv.Itoa(freePort(t)),
		"BACKEND": wscStartBackend(t),
		"RAW":     wscStartRaw(t),
	}
	want := wscPlay(t, nginx, vars, scenarios)
	got := wscPlay(t, binary, vars, scenarios)
	for _, s := range scenarios {
		if testing.Verbose() {
			t.Logf("%s on nginx:\n%s", s.name, want[s.name])
		}
		switch {
		case got[s.name] != want[s.name] && s.pending != "":
			t.Logf("%s: pending (%s); nginxws differs from nginx 1.22\n--- nginx:\n%s--- nginxws:\n%s", s.name, s.pending, want[s.name], got[s.name])
		case got[s.name] != want[s.name]:
			t.Errorf("%s: nginxws differs from nginx 1.22\n--- nginx:\n%s--- nginxws:\n%s", s.name, want[s.name], got[s.name])
		case s.pending != "":
			t.Errorf("%s passes now: remove its pending mark (%s)", s.name, s.pending)
		}
	}
}

// TestWSClientsRaw: raw clients side by side with nginx — a frame pipelined behind
// the handshake, a client that stops reading (send_timeout), an upstream that stops
// reading (proxy_send_timeout), a reset from either side, and a tunnel that outlives a
// reload.
func TestWSClientsRaw(t *testing.T) {
	// A client that reads nothing while the backend floods it: the proxy's
	// write to it stays blocked for send_timeout (500ms), and it gives up.
	clientStopsReading := func(t *testing.T, e *wscEnv) string {
		errAt := sbsFileSize(e.prefix + "error.log")
		c, br, head, err := wscUpgrade(e, "/slowclient/flood", nil)
		if err != nil {
			return head + "! " + sbsErrText(err) + "\n"
		}
		defer c.Close()
		// Read nothing until the proxy has logged that it gave up (its
		// send_timeout, 500ms, of a blocked write to this client), then
		// read what is left.
		_ = c.SetDeadline(time.Time{})
		wscWaitLog(e, errAt, "client timed out")
		end := wscEnd(c, br, 5*time.Second)
		if strings.Contains(end, "more bytes") {
			// The bytes already in the socket buffers vary.
			end = "bytes, then " + end[strings.LastIndex(end, " ")+1:]
		}
		return head + "end: " + end + "\n"
	}
	scenarios := []wscScenario{
		{name: "pipelined-frame", log: "access.log", lines: 1, run: func(t *testing.T, e *wscEnv) string {
			c, br, head, err := wscUpgrade(e, "/echo", wscFrame(1, []byte("hello")))
			if err != nil {
				return head + "! " + sbsErrText(err) + "\n"
			}
			defer c.Close()
			var out strings.Builder
			out.WriteString(head)
			f, err := wscReadFrame(br)
			fmt.Fprintf(&out, "echo: %s %v\n", f, err)
			_, _ = c.Write(wscFrame(8, []byte{0x03, 0xe8}))
			f, err = wscReadFrame(br)
			fmt.Fprintf(&out, "close: %s %v\n", f, err)
			fmt.Fprintf(&out, "end: %s\n", wscEnd(c, br, 3*time.Second))
			return out.String()
		}},
		{name: "client-stops-reading", log: "short.log", lines: 1, run: clientStopsReading},
		{name: "client-stops-reading-completion", log: "comp.log", lines: 1, run: clientStopsReading},
		{name: "upstream-stops-reading", log: "short.log", lines: 1, run: func(t *testing.T, e *wscEnv) string {
			errAt := sbsFileSize(e.prefix + "error.log")
			c, br, head, err := wscUpgrade(e, "/raw/hold", nil)
			if err != nil {
				return head + "! " + sbsErrText(err) + "\n"
			}
			defer c.Close()
			// Write until the buffers are full (a write blocks for 200ms): the
			// proxy's write to the upstream is blocked from then on, and
			// after proxy_send_timeout (500ms) it gives up. (nginx then
			// closes lingering, nginxws at once: which of a close or a reset
			// the client sees is not compared, see docs/differences.md.)
			chunk := make([]byte, 64<<10)
			for !strings.Contains(sbsReadFrom(e.prefix+"error.log", errAt), "upstream timed out") {
				_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
				if _, err := c.Write(chunk); err != nil {
					break
				}
			}
			wscWaitLog(e, errAt, "upstream timed out")
			return head + "end: " + wscEnd(c, br, 3*time.Second) + "\n"
		}},
		// The same, looked at closely: nginx finalizes the request and
		// closes lingering (the client's bytes wait unread): its side is
		// shut down (an orderly end of file, no reset), what the client
		// sends on is read and dropped, and the access log line comes when
		// the client closes.
		{name: "upstream-stops-reading-lingers", log: "short.log", lines: 1, run: func(t *testing.T, e *wscEnv) string {
			errAt := sbsFileSize(e.prefix + "error.log")
			c, br, head, err := wscUpgrade(e, "/raw/hold", nil)
			if err != nil {
				return head + "! " + sbsErrText(err) + "\n"
			}
			defer c.Close()
			logged := sbsLogCount(e.prefix + "short.log")
			// Write until a write blocks, or the proxy gave up first (it then
			// reads and drops what comes).
			chunk := make([]byte, 64<<10)
			for !strings.Contains(sbsReadFrom(e.prefix+"error.log", errAt), "upstream timed out") {
				_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
				if _, err := c.Write(chunk); err != nil {
					break
				}
			}
			wscWaitLog(e, errAt, "upstream timed out")
			var out strings.Builder
			out.WriteString(head)
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			_, err = br.ReadByte()
			switch {
			case errors.Is(err, io.EOF):
				out.WriteString("read: end of file\n")
			default:
				fmt.Fprintf(&out, "read: %v\n", sbsErrText(err))
			}
			_ = c.SetWriteDeadline(time.Now().Add(3 * time.Second))
			_, err = c.Write(chunk)
			fmt.Fprintf(&out, "a write after it: %v\n", err == nil)
			fmt.Fprintf(&out, "access log line before the client closes: %v\n", sbsLogCount(e.prefix+"short.log") > logged)
			return out.String()
		}},
		{name: "client-resets", log: "access.log", lines: 1, run: func(t *testing.T, e *wscEnv) string {
			c, br, head, err := wscUpgrade(e, "/echo", nil)
			if err != nil {
				return head + "! " + sbsErrText(err) + "\n"
			}
			_, _ = c.Write(wscFrame(1, []byte("hi")))
			f, err := wscReadFrame(br)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
			return head + fmt.Sprintf("echo: %s %v\n", f, err)
		}},
		{name: "upstream-resets", log: "access.log", lines: 1, run: func(t *testing.T, e *wscEnv) string {
			c, br, head, err := wscUpgrade(e, "/raw/rst", nil)
			if err != nil {
				return head + "! " + sbsErrText(err) + "\n"
			}
			defer c.Close()
			return head + "end: " + wscEnd(c, br, 3*time.Second) + "\n"
		}},
		{name: "reload-keeps-tunnel", log: "access.log", lines: 2, run: func(t *testing.T, e *wscEnv) string {
			c, br, head, err := wscUpgrade(e, "/echo", nil)
			if err != nil {
				return head + "! " + sbsErrText(err) + "\n"
			}
			defer c.Close()
			var out strings.Builder
			out.WriteString(head)
			_, _ = c.Write(wscFrame(1, []byte("before")))
			f, err := wscReadFrame(br)
			fmt.Fprintf(&out, "echo: %s %v\n", f, err)
			errAt := sbsFileSize(e.prefix + "error.log")
			_ = e.proc.cmd.Process.Signal(syscall.SIGHUP)
			// Ready when the reload was logged and the new configuration answers.
			wscWaitLog(e, errAt, "reconfiguring")
			if nc, _, h, err := wscUpgrade(e, "/echo", nil); err == nil {
				fmt.Fprintf(&out, "new tunnel after the reload: %s", strings.SplitN(h, "\n", 2)[0]+"\n")
				logged := sbsLogCount(e.prefix + "access.log")
				if tc, ok := nc.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
				nc.Close()
				// Its line first (nginx's workers log independently).
				sbsWaitLog(e.prefix+"access.log", logged, 1, time.Time{})
			}
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write(wscFrame(1, []byte("after")))
			f, err = wscReadFrame(br)
			fmt.Fprintf(&out, "echo on the old tunnel: %s %v\n", f, err)
			_, _ = c.Write(wscFrame(8, []byte{0x03, 0xe8}))
			f, err = wscReadFrame(br)
			fmt.Fprintf(&out, "close: %s %v\n", f, err)
			fmt.Fprintf(&out, "end: %s\n", wscEnd(c, br, 3*time.Second))
			return out.String()
		}},
		// proxy_read_timeout (500ms) was armed when the request went: a 101
		// 150ms later does not move it (nginx moves a timer by 300ms or
		// more only), so the tunnel ends 350ms after the 101; a 101 400ms
		// later does, and it ends 500ms after the 101.
		{name: "timer-from-request", log: "short.log", lines: 2, run: func(t *testing.T, e *wscEnv) string {
			var out strings.Builder
			for _, ms := range []int{150, 400} {
				c, br, head, err := wscUpgrade(e, "/raw/late"+strconv.Itoa(ms), nil)
				if err != nil {
					return head + "! " + sbsErrText(err) + "\n"
				}
				start := time.Now()
				end := wscEnd(c, br, 3*time.Second)
				d := time.Since(start)
				c.Close()
				fmt.Fprintf(&out, "101 after %dms: %s; closed after the 101 at %s\n", ms, end,
					map[bool]string{true: "<425ms", false: ">=425ms"}[d < 425*time.Millisecond])
			}
			return out.String()
		}},
		// Last: the proxy goes away. A graceful quit leaves the tunnel open
		// until worker_shutdown_timeout (1s), which then closes it.
		{name: "quit-closes-tunnel-at-shutdown-timeout", log: "comp.log", lines: 1,
			run: func(t *testing.T, e *wscEnv) string {
				c, br, head, err := wscUpgrade(e, "/echo", nil)
				if err != nil {
					return head + "! " + sbsErrText(err) + "\n"
				}
				defer c.Close()
				var out strings.Builder
				out.WriteString(head)
				_ = e.proc.cmd.Process.Signal(syscall.SIGQUIT)
				start := time.Now()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_, _ = c.Write(wscFrame(1, []byte("during")))
				f, err := wscReadFrame(br)
				fmt.Fprintf(&out, "echo while quitting: %s %v\n", f, err)
				end := wscEnd(c, br, 5*time.Second)
				d := time.Since(start)
				fmt.Fprintf(&out, "end: %s, within 0.8-3s of the quit: %v\n", end, d > 800*time.Millisecond && d < 3*time.Second)
				select {
				case <-e.proc.done:
					out.WriteString("the proxy exited\n")
				case <-time.After(5 * time.Second):
					out.WriteString("the proxy still runs 5s after the tunnel ended\n")
				}
				return out.String()
			}},
	}
	wscCompare(t, scenarios)
}

// wscNodeClient is the Node client (ws package): one session through /echo with a
// subprotocol and permessage-deflate, a server-initiated close, a refused upgrade.
const wscNodeClient = `
const WebSocket = require('ws');
const base = process.argv[2];
const log = (...a) => console.log(a.join(' '));
const fnv = (b) => { let h = 2166136261; for (const c of b) h = Math.imul(h ^ c, 16777619) >>> 0; return h.toString(16); };
function open(path, protocols, deflate) {
  return new Promise((res, rej) => {
    const ws = new WebSocket(base + path, protocols, { perMessageDeflate: deflate });
    ws.once('open', () => res(ws));
    ws.once('unexpected-response', (req, resp) => rej(new Error('unexpected response ' + resp.statusCode)));
    ws.once('error', rej);
  });
}
const next = (ws) => new Promise((res) => ws.once('message', (data, isBinary) => res({ data, isBinary })));
const closed = (ws) => new Promise((res) => ws.once('close', (code, reason) => res(code + ' ' + JSON.stringify(reason.toString()))));
async function main() {
  let ws = await open('/echo', ['chat'], true);
  log('open protocol', ws.protocol, 'extensions', JSON.stringify(ws.extensions));
  ws.send('hello'); let m = await next(ws); log('text', m.isBinary, m.data.toString());
  const bin = Buffer.alloc(256); for (let i = 0; i < 256; i++) bin[i] = i;
  ws.send(bin); m = await next(ws); log('binary', m.isBinary, m.data.length, fnv(m.data));
  const pong = new Promise((res) => ws.once('pong', (d) => res(d)));
  ws.ping('p1'); log('pong', (await pong).toString());
  const big = Buffer.alloc(1 << 20); for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 255;
  ws.send(big); m = await next(ws); log('large', m.data.length, fnv(m.data) === fnv(big));
  const noise = Buffer.alloc(4 << 20); let x = 2463534242;
  for (let i = 0; i < noise.length; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; noise[i] = x & 255; }
  ws.send(noise); m = await next(ws); log('incompressible', m.data.length, fnv(m.data) === fnv(noise));
  ws.send('frag-', { fin: false }); ws.send('ment', { fin: true }); m = await next(ws); log('fragmented', m.data.toString());
  const c1 = closed(ws); ws.close(4001, 'bye'); log('close', await c1);
  ws = await open('/close?code=4002', [], false);
  log('server close', await closed(ws));
  try { await open('/refuse', [], false); log('refuse opened'); } catch (e) { log('refuse', e.message); }
}
main().then(() => process.exit(0), (e) => { log('error', e.message); process.exit(1); });
`

// wscPythonClient is the same session with Python's websockets.
const wscPythonClient = `
import asyncio, json, sys, websockets
base = sys.argv[1]
def fnv(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xffffffff
    return format(h, 'x')
async def main():
    async with websockets.connect(base + '/echo', subprotocols=['chat'], max_size=None) as ws:
        print('open protocol', ws.subprotocol, 'extensions', [e.name for e in ws.extensions])
        await ws.send('hello'); print('text', await ws.recv())
        b = bytes(range(256)); await ws.send(b); r = await ws.recv(); print('binary', type(r).__name__, len(r), fnv(r))
        w = await ws.ping(b'p1'); await w; print('pong')
        big = bytes((i * 7) & 255 for i in range(1 << 20)); await ws.send(big); r = await ws.recv()
        print('large', len(r), r == big)
        noise = bytearray(1 << 20); x = 2463534242
        for i in range(len(noise)):
            x ^= (x << 13) & 0xffffffff; x ^= x >> 17; x ^= (x << 5) & 0xffffffff; noise[i] = x & 255
        await ws.send(bytes(noise)); r = await ws.recv(); print('incompressible', len(r), r == noise)
        await ws.send(['frag-', 'ment']); print('fragmented', await ws.recv())
        await ws.close(code=4001, reason='bye'); print('close', ws.close_code, json.dumps(ws.close_reason))
    async with websockets.connect(base + '/close?code=4002') as ws:
        try:
            await ws.recv()
        except websockets.ConnectionClosed as e:
            print('server close', e.rcvd.code, json.dumps(e.rcvd.reason))
    try:
        async with websockets.connect(base + '/refuse') as ws:
            print('refuse opened')
    except websockets.InvalidStatusCode as e:
        print('refuse', e.status_code)
asyncio.run(main())
`

// wscScript returns a scenario running a client program: argv plus the proxy's base URL.
func wscScript(name string, argv ...string) wscScenario {
	return wscScenario{name: name, log: "access.log", lines: 3, run: func(t *testing.T, e *wscEnv) string {
		cmd := exec.Command(argv[0], append(argv[1:], "ws://"+e.addr)...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			return "! " + err.Error() + "\n"
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				return out.String() + "! " + err.Error() + ": " + errOut.String() + "\n"
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			return out.String() + "! the client did not finish in 30s\n"
		}
		return out.String()
	}}
}

// TestWSClientsNode: Node's ws client through nginx and through nginxws.
func TestWSClientsNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: no Node WebSocket client to run (apt-get install -y nodejs)")
	}
	if out, err := exec.Command(node, "-e", "require('ws')").CombinedOutput(); err != nil {
		t.Skipf("Node's ws package is not found (npm install --prefix DIR ws; NODE_PATH=DIR/node_modules): %s", firstLine(out))
	}
	script := filepath.Join(t.TempDir(), "client.js")
	if err := os.WriteFile(script, []byte(wscNodeClient), 0o644); err != nil {
		t.Fatal(err)
	}
	wscCompare(t, []wscScenario{wscScript("node-ws", node, script)})
}

// TestWSClientsPython: Python's websockets client through nginx and through nginxws.
func TestWSClientsPython(t *testing.T) {
	var python string
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import websockets").Run() == nil {
			python = path
			break
		}
	}
	if python == "" {
		t.Skip("no python3 with the websockets package (apt-get install -y python3-websockets): no Python WebSocket client to run")
	}
	script := filepath.Join(t.TempDir(), "client.py")
	if err := os.WriteFile(script, []byte(wscPythonClient), 0o644); err != nil {
		t.Fatal(err)
	}
	wscCompare(t, []wscScenario{wscScript("python-websockets", python, script)})
}

// firstLine is the first line of a command's output, for a skip message.
func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	return string(line)
}
