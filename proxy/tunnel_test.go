package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// Tunnel tests: a real WebSocket client (gorilla/websocket) through an
// in-process Server to a gorilla/websocket backend, or to a raw backend
// where the exact bytes matter. Timings use short timeouts (300 ms) and
// wait for events (a read returning, a write failing), not for sleeps;
// only the traffic patterns that must keep a tunnel alive are paced.

// noLeaks checks, when the test's cleanups have run, that no goroutine the
// test started is left (the tunnel's, the readiness loop's, the
// backends').
func noLeaks(t *testing.T) {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

// wsBackend is a gorilla/websocket upstream.
type wsBackend struct {
	srv *httptest.Server
	// closes receives the close code of each client close frame.
	closes chan int
}

// startWSBackend serves:
//
//	/echo            every message back, same type; accepts deflate and the
//	                 first subprotocol offered
//	/close?code=N    a close frame with code N, first thing
//	/ping            a ping; the pong's payload comes back as a text message
//	/die[?rst=1]     echoes one message, then drops the TCP connection (RST
//	                 with rst=1)
//	/refuse          403 "no", no upgrade
func startWSBackend(t *testing.T) *wsBackend {
	t.Helper()
	b := &wsBackend{closes: make(chan int, 16)}
	up := websocket.Upgrader{
		EnableCompression: true,
		CheckOrigin:       func(*http.Request) bool { return true },
	}
	var wg sync.WaitGroup
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
				var ce *websocket.CloseError
				if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
					select {
					case b.closes <- ce.Code:
					default:
					}
				}
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
	mux.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		c := upgrade(w, r)
		if c == nil {
			return
		}
		defer c.Close()
		c.SetPongHandler(func(data string) error {
			return c.WriteMessage(websocket.TextMessage, []byte("pong: "+data))
		})
		_ = c.WriteControl(websocket.PingMessage, []byte("srv-ping"), time.Now().Add(time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/die", func(w http.ResponseWriter, r *http.Request) {
		c := upgrade(w, r)
		if c == nil {
			return
		}
		typ, msg, err := c.ReadMessage()
		if err == nil {
			_ = c.WriteMessage(typ, msg)
		}
		if r.URL.Query().Get("rst") == "1" {
			_ = c.NetConn().(*net.TCPConn).SetLinger(0)
		}
		_ = c.NetConn().Close()
	})
	mux.HandleFunc("/refuse", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	})
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		mux.ServeHTTP(w, r)
	}))
	b.srv.Start()
	t.Cleanup(func() {
		b.srv.Close()
		wg.Wait()
	})
	return b
}

func (b *wsBackend) addr() string { return b.srv.Listener.Addr().String() }

// rawBackend accepts connections, reads each request head and hands the
// connection to serve (in its own goroutine).
func rawBackend(t *testing.T, serve func(c net.Conn, br *bufio.Reader, head string)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return rawBackendOn(t, ln, serve)
}

// stalled101Backend is an upstream that answers 101, then neither reads
// nor writes until the test ends.
func stalled101Backend(t *testing.T) string {
	t.Helper()
	hold := make(chan struct{})
	addr := rawBackend(t, func(c net.Conn, _ *bufio.Reader, _ string) {
		_, _ = io.WriteString(c, resp101)
		<-hold
	})
	// Registered after rawBackend's cleanup, so run before it: the
	// connections' goroutines end first.
	t.Cleanup(func() { close(hold) })
	return addr
}

// rawBackendOn is rawBackend on a listener of the caller's.
func rawBackendOn(t *testing.T, ln net.Listener, serve func(c net.Conn, br *bufio.Reader, head string)) string {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				head, err := readHead(br)
				if err != nil {
					return
				}
				serve(c, br, head)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// readHead reads an HTTP head up to its blank line.
func readHead(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if line == "\r\n" {
			return b.String(), nil
		}
	}
}

// resp101 is a raw backend's switch.
const resp101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"

// wsRequest is a client's upgrade request, as a browser would send it.
const wsRequest = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// tunnelEnv is a Server proxying WebSocket requests to one upstream.
type tunnelEnv struct {
	// port and dir are what the configuration was made with
	// (tunnelConf), for a reload to make another.
	port, dir string
	addr      string
	s         *Server
	lines     func() []string
	access    string
}

// tunnelConf is the usual WebSocket location (nginx's documented idiom);
// extra goes inside the location.
func tunnelConf(port, dir, upstream, extra string) string {
	listen := "listen 127.0.0.1:" + port + ";"
	if os.Getenv(tlsTunnelEnv) != "" {
		listen = tlsListen(port, dir)
	}
	return "map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n" +
		"server { " + listen + " access_log " + dir + "/access.log;\n" +
		" location / { proxy_pass http://" + upstream + "; proxy_http_version 1.1;\n" +
		"  proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;\n" +
		"  " + extra + " } }\n"
}

// startTunnelProxy runs a Server on tunnelConf.
func startTunnelProxy(t *testing.T, upstream, extra string) *tunnelEnv {
	t.Helper()
	return startTunnelProxyEvents(t, upstream, extra, "")
}

// startTunnelProxyEvents is startTunnelProxy with the events block's
// contents (worker_connections).
func startTunnelProxyEvents(t *testing.T, upstream, extra, events string) *tunnelEnv {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	log, lines := testLog(t)
	s := New(loadEvents(t, events, tunnelConf(port, dir, upstream, extra)), log)
	s.SetVersion("nginx/1.22.1")
	if os.Getenv(plainEngineEnv) != "" {
		// As if the event loops could not be had.
		s.tunnels.loopsFailed = true
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	return &tunnelEnv{port: port, dir: dir, addr: "127.0.0.1:" + port, s: s, lines: lines, access: filepath.Join(dir, "access.log")}
}

// dial opens a WebSocket through the proxy.
func (e *tunnelEnv) dial(t *testing.T, path string, d *websocket.Dialer) *websocket.Conn {
	t.Helper()
	if d == nil {
		d = &websocket.Dialer{}
	}
	d.HandshakeTimeout = 5 * time.Second
	scheme := "ws://"
	if os.Getenv(tlsTunnelEnv) != "" {
		scheme = "wss://"
		d.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	c, resp, err := d.Dial(scheme+e.addr+path, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawUpgrade opens a TCP connection to the proxy, sends req and reads the
// response head.
func (e *tunnelEnv) rawUpgrade(t *testing.T, req string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	var c net.Conn
	var err error
	if os.Getenv(tlsTunnelEnv) != "" {
		c, err = tls.Dial("tcp", e.addr, &tls.Config{InsecureSkipVerify: true})
	} else {
		c, err = net.Dial("tcp", e.addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	head, err := readHead(br)
	if err != nil {
		t.Fatalf("head %q: %v", head, err)
	}
	_ = c.SetReadDeadline(time.Time{})
	return c, br, head
}

// waitTunnels waits until the server has n tunnels open.
func waitTunnels(t *testing.T, s *Server, n int) {
	t.Helper()
	eventually(t, 10*time.Second, func() bool { return s.Tunnels().Open == n },
		func() string { return fmt.Sprintf("%d tunnels open, want %d", s.Tunnels().Open, n) })
}

// waitEngine waits until the server's one live tunnel has been handed to
// an engine (a moment after it is registered) and returns which.
func waitEngine(t *testing.T, s *Server) int32 {
	t.Helper()
	waitEngines(t, s, 1)
	s.tunnels.mu.Lock()
	defer s.tunnels.mu.Unlock()
	for tn := range s.tunnels.live {
		return tn.engine.Load()
	}
	return engineNone
}

// waitFileClosed waits until the process holds no descriptor of path.
func waitFileClosed(t *testing.T, path string) {
	t.Helper()
	eventually(t, 5*time.Second, func() bool { return countFDs(t, path) == 0 },
		func() string { return path + " still open" })
}

// waitFileContains waits for a log file to hold want: access logs are
// written by a goroutine per file, after the request has ended.
func waitFileContains(t *testing.T, path, want string) {
	t.Helper()
	var b []byte
	eventually(t, 5*time.Second, func() bool {
		b, _ = os.ReadFile(path)
		return strings.Contains(string(b), want)
	}, func() string { return fmt.Sprintf("%s: %q, want it to contain %q", path, b, want) })
}

// logged waits for an error log line matching re.
func logged(t *testing.T, lines func() []string, re string) string {
	t.Helper()
	r := regexp.MustCompile(re)
	var found string
	eventually(t, 5*time.Second, func() bool {
		for _, l := range lines() {
			if r.MatchString(l) {
				found = l
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("no log line matching %q in %q", re, lines()) })
	return found
}

// pattern returns n bytes of a repeating pattern (text) or random bytes.
func pattern(n int, text bool) []byte {
	b := make([]byte, n)
	if text {
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		return b
	}
	_, _ = rand.Read(b)
	return b
}

// TestTunnelEcho: text and binary messages from 0 B to 16 MiB come back
// unchanged, and the registry counts the tunnel while it is open.
func TestTunnelEcho(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")
	c := e.dial(t, "/echo", nil)
	waitTunnels(t, e.s, 1) // registered a moment after the 101 is written
	// The engine: the event loop, or two goroutines (TestTunnelPlainEngine).
	want, wantG := engineEv, 0
	if os.Getenv(plainEngineEnv) != "" || os.Getenv(tlsTunnelEnv) != "" {
		want, wantG = enginePlain, 2
	}
	if got := waitEngine(t, e.s); got != want {
		t.Errorf("tunnel on engine %d, want %d", got, want)
	}
	if g := tunnelGoroutines(); g != wantG {
		t.Errorf("%d goroutines move the tunnel's bytes, want %d", g, wantG)
	}
	if st := e.s.Tunnels(); st.Open != 1 || st.PerPeer[be.addr()] != 1 || e.s.TunnelsTo(be.addr()) != 1 {
		t.Errorf("registry %+v, want one tunnel to %s", st, be.addr())
	}
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20} {
		for _, typ := range []int{websocket.TextMessage, websocket.BinaryMessage} {
			msg := pattern(n, typ == websocket.TextMessage)
			_ = c.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if err := c.WriteMessage(typ, msg); err != nil {
				t.Fatalf("%d B: write: %v", n, err)
			}
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			gt, got, err := c.ReadMessage()
			if err != nil || gt != typ || !bytes.Equal(got, msg) {
				t.Fatalf("%d B type %d: got type %d, %d B, %v", n, typ, gt, len(got), err)
			}
		}
	}
	c.Close()
	waitTunnels(t, e.s, 0)
}

// TestTunnelFragmented: a message sent as many frames (gorilla flushes a
// frame whenever its small write buffer fills) is reassembled by the
// backend and echoed whole.
func TestTunnelFragmented(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")
	c := e.dial(t, "/echo", &websocket.Dialer{WriteBufferSize: 256})
	msg := pattern(20000, true)
	w, err := c.NextWriter(websocket.TextMessage)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(msg); i += 1000 {
		if _, err := w.Write(msg[i : i+1000]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("fragmented echo: %d B, %v", len(got), err)
	}
}

// TestTunnelBytesUntouched: the tunnel parses no frame. Hand-made frames
// (fragments with a ping between them, a close with a code, one with a
// reserved bit set as permessage-deflate sets it) reach the other side
// byte for byte, both ways.
func TestTunnelBytesUntouched(t *testing.T) {
	noLeaks(t)
	frames := func(mask bool) []byte {
		var b []byte
		add := func(first byte, payload string) {
			b = append(b, first)
			if mask {
				b = append(b, 0x80|byte(len(payload)), 1, 2, 3, 4)
				for i := range len(payload) {
					b = append(b, payload[i]^byte(1+i%4))
				}
				return
			}
			b = append(b, byte(len(payload)))
			b = append(b, payload...)
		}
		add(0x01, "Hel")                 // text, not final
		add(0x89, "ping")                // ping between fragments
		add(0x00, "lo ")                 // continuation
		add(0x80, "world")               // final continuation
		add(0xc2, "\x00\x01deflated?")   // binary with RSV1
		add(0x88, "\x0f\xa1going away!") // close 4001
		return b
	}
	up, down := frames(true), frames(false)
	got := make(chan []byte, 1)
	addr := rawBackend(t, func(c net.Conn, br *bufio.Reader, _ string) {
		_, _ = io.WriteString(c, resp101)
		_, _ = c.Write(down)
		b := make([]byte, len(up))
		_, _ = io.ReadFull(br, b)
		got <- b
	})
	e := startTunnelProxy(t, addr, "")
	c, br, _ := e.rawUpgrade(t, wsRequest)
	if _, err := c.Write(up); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, len(down))
	if _, err := io.ReadFull(br, b); err != nil || !bytes.Equal(b, down) {
		t.Errorf("client got %q (%v), want %q", b, err, down)
	}
	if b := <-got; !bytes.Equal(b, up) {
		t.Errorf("backend got %q, want %q", b, up)
	}
}

// TestTunnelPingPong: pings both ways are answered by the far end.
func TestTunnelPingPong(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")

	c := e.dial(t, "/echo", nil)
	pong := make(chan string, 1)
	c.SetPongHandler(func(s string) error { pong <- s; return nil })
	if err := c.WriteControl(websocket.PingMessage, []byte("cli-ping"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	_ = c.WriteMessage(websocket.TextMessage, []byte("after ping"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, m, err := c.ReadMessage(); err != nil || string(m) != "after ping" {
		t.Fatalf("echo after ping: %q %v", m, err)
	}
	select {
	case s := <-pong:
		if s != "cli-ping" {
			t.Errorf("pong %q", s)
		}
	default:
		t.Error("no pong before the echo")
	}

	// The backend pings; gorilla's default handler answers, and the
	// backend reports the pong's payload.
	c2 := e.dial(t, "/ping", nil)
	_ = c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, m, err := c2.ReadMessage(); err != nil || string(m) != "pong: srv-ping" {
		t.Fatalf("backend's ping: %q %v", m, err)
	}
}

// TestTunnelCloseCodes: close frames and their codes pass both ways.
func TestTunnelCloseCodes(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")

	c := e.dial(t, "/echo", nil)
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "client bye"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4001 {
		t.Errorf("client's close came back as %v, want code 4001", err)
	}
	select {
	case code := <-be.closes:
		if code != 4001 {
			t.Errorf("backend saw close code %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Error("backend saw no close frame")
	}

	c2 := e.dial(t, "/close?code=4002", nil)
	_ = c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = c2.ReadMessage()
	if !errors.As(err, &ce) || ce.Code != 4002 || ce.Text != "server bye" {
		t.Errorf("backend's close arrived as %v, want 4002 server bye", err)
	}
}

// TestTunnelDeflateAndSubprotocols: permessage-deflate and a subprotocol
// are negotiated end to end (the proxy passes the headers and the frames
// as they are).
func TestTunnelDeflateAndSubprotocols(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")
	d := &websocket.Dialer{EnableCompression: true, Subprotocols: []string{"chat.v2", "chat.v1"}, HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial("ws://"+e.addr+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Errorf("extensions %q, want permessage-deflate", ext)
	}
	if p := c.Subprotocol(); p != "chat.v2" {
		t.Errorf("subprotocol %q, want chat.v2", p)
	}
	c.EnableWriteCompression(true)
	msg := bytes.Repeat([]byte("hello, compressible world; "), 4000)
	if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("compressed echo: %d B %v", len(got), err)
	}
}

// TestTunnelOrder: a frame the client pipelines with its handshake goes
// upstream only after the upstream's 101, and what the upstream sends
// with its 101 reaches the client before anything else.
func TestTunnelOrder(t *testing.T) {
	noLeaks(t)
	early := make(chan error, 1)
	pipelined := []byte{0x81, 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1}
	addr := rawBackend(t, func(c net.Conn, br *bufio.Reader, head string) {
		// Nothing may follow the request head before the 101: the
		// proxy holds the client's frame back.
		_ = c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
		if _, err := br.Peek(1); err == nil {
			early <- errors.New("bytes arrived before the 101")
			return
		}
		_ = c.SetReadDeadline(time.Time{})
		_, _ = io.WriteString(c, resp101+"\x81\x05first")
		b := make([]byte, len(pipelined))
		if _, err := io.ReadFull(br, b); err != nil || !bytes.Equal(b, pipelined) {
			early <- fmt.Errorf("after the 101 the backend got %q (%v)", b, err)
			return
		}
		_, _ = io.WriteString(c, "\x81\x04echo")
		early <- nil
	})
	e := startTunnelProxy(t, addr, "")
	c, br, head := e.rawUpgrade(t, wsRequest+string(pipelined))
	if !strings.HasPrefix(head, "HTTP/1.1 101 Switching Protocols\r\n") || !strings.Contains(head, "\r\nConnection: upgrade\r\n") ||
		!strings.Contains(head, "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") {
		t.Errorf("head %q", head)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 13)
	if _, err := io.ReadFull(br, b); err != nil || string(b) != "\x81\x05first\x81\x04echo" {
		t.Errorf("client got %q (%v)", b, err)
	}
	if err := <-early; err != nil {
		t.Error(err)
	}
}

// TestTunnelIdleTimeout: a tunnel silent both ways for proxy_read_timeout
// is closed, with nginx's log line ([info], as nginx logs a timeout on the
// client's connection) and access log line (101, the bytes sent).
func TestTunnelIdleTimeout(t *testing.T) {
	noLeaks(t)
	addr := rawBackend(t, func(c net.Conn, br *bufio.Reader, _ string) {
		_, _ = io.WriteString(c, resp101+"12345")
		_, _ = io.Copy(io.Discard, br)
	})
	e := startTunnelProxy(t, addr, "proxy_read_timeout 300ms;")
	c, br, _ := e.rawUpgrade(t, wsRequest)
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(br)
	elapsed := time.Since(start)
	if err != nil || string(b) != "12345" {
		t.Fatalf("read %q, %v", b, err)
	}
	if elapsed < 280*time.Millisecond || elapsed > 1500*time.Millisecond {
		t.Errorf("closed after %v, want ~300ms", elapsed)
	}
	want := `[info] *1 upstream timed out (110: Connection timed out) while proxying upgraded connection, client: 127.0.0.1, server: , request: "GET /ws HTTP/1.1", upstream: "http://` + addr + `/ws", host: "h"`
	if l := logged(t, e.lines, "upstream timed out"); l != want {
		t.Errorf("log\n%s\nwant\n%s", l, want)
	}
	waitTunnels(t, e.s, 0)
	waitFileContains(t, e.access, `"GET /ws HTTP/1.1" 101 5 "-" "-"`)
}

// TestTunnelTrafficKeepsAlive: traffic in either direction alone re-arms
// proxy_read_timeout, as in nginx; once it stops, the timeout closes the
// tunnel. The timeout is 500ms: nginx moves a timer only by 300ms or more
// (timerLazyDelay), so traffic every 100ms re-arms it every 300ms, and the
// end comes 200–500ms after the last traffic. (With 300ms or less nginx
// never re-arms it: 431-tunnel-ends shows the lazy re-arm side by side.)
func TestTunnelTrafficKeepsAlive(t *testing.T) {
	noLeaks(t)
	for _, fromClient := range []bool{true, false} {
		t.Run(map[bool]string{true: "client sends", false: "upstream sends"}[fromClient], func(t *testing.T) {
			addr := rawBackend(t, func(c net.Conn, br *bufio.Reader, _ string) {
				_, _ = io.WriteString(c, resp101)
				if fromClient {
					_, _ = io.Copy(io.Discard, br)
					return
				}
				for range 10 {
					if _, err := c.Write([]byte("x")); err != nil {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
				_, _ = io.Copy(io.Discard, br)
			})
			e := startTunnelProxy(t, addr, "proxy_read_timeout 500ms;")
			c, br, _ := e.rawUpgrade(t, wsRequest)
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			var last time.Time
			if fromClient {
				for i := range 10 {
					if i > 0 {
						time.Sleep(100 * time.Millisecond)
					}
					if _, err := c.Write([]byte("y")); err != nil {
						t.Fatalf("tunnel closed under traffic: %v", err)
					}
					last = time.Now()
				}
			} else {
				b := make([]byte, 10)
				if _, err := io.ReadFull(br, b); err != nil {
					t.Fatalf("tunnel closed under traffic: %v after %q", err, b)
				}
				last = time.Now()
			}
			if b, err := io.ReadAll(br); err != nil || len(b) != 0 {
				t.Fatalf("read %q %v", b, err)
			}
			if d := time.Since(last); d < 150*time.Millisecond || d > 1500*time.Millisecond {
				t.Errorf("closed %v after the last traffic, want 200-500ms", d)
			}
			logged(t, e.lines, `^\[info\] \*\d+ upstream timed out \(110: Connection timed out\) while proxying upgraded connection`)
		})
	}
}

// TestTunnelSendTimeouts: proxy_send_timeout ends a tunnel whose upstream
// stops reading, send_timeout one whose client stops reading, each with
// nginx's line (a timeout of 0 as nginx's timer of 0: at the first write
// that would block); a slow reader that keeps making progress is not cut
// off.
func TestTunnelSendTimeouts(t *testing.T) {
	noLeaks(t)
	for _, timeout := range []string{"300ms", "0"} {
		testTunnelSendTimeout(t, timeout)
	}
	t.Run("slow reader", func(t *testing.T) {
		const total = 8 << 20
		addr := rawBackend(t, func(c net.Conn, _ *bufio.Reader, _ string) {
			_, _ = io.WriteString(c, resp101)
			_, _ = c.Write(make([]byte, total))
		})
		e := startTunnelProxy(t, addr, "send_timeout 1s; proxy_read_timeout 20s;")
		c, br, _ := e.rawUpgrade(t, wsRequest)
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		// Reading 256 KiB every 50 ms takes 1.6 s, more than the timeout;
		// each write makes progress within it (the kernel reports a socket
		// writable once a third of its send buffer is free: here some
		// 300 ms of reading).
		b := make([]byte, 256<<10)
		n := 0
		for n < total {
			k, err := io.ReadFull(br, b[:min(len(b), total-n)])
			n += k
			if err != nil {
				t.Fatalf("cut off after %d B: %v\n%q", n, err, e.lines())
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, l := range e.lines() {
			if strings.Contains(l, "timed out") {
				t.Errorf("unexpected %s", l)
			}
		}
	})
}

// testTunnelSendTimeout is TestTunnelSendTimeouts' part for a timeout.
func testTunnelSendTimeout(t *testing.T, timeout string) {
	t.Run("upstream stops reading, proxy_send_timeout "+timeout, func(t *testing.T) {
		e := startTunnelProxy(t, stalled101Backend(t), "proxy_send_timeout "+timeout+"; proxy_read_timeout 20s;")
		c, br, _ := e.rawUpgrade(t, wsRequest)
		go func() {
			chunk := make([]byte, 1<<20)
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
		if _, err := io.ReadAll(br); err != nil && !isPeerGone(err) {
			t.Fatalf("client read: %v", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("closed after %v", d)
		}
		logged(t, e.lines, `^\[info\] \*\d+ upstream timed out \(110: Connection timed out\) while proxying upgraded connection, client: 127\.0\.0\.1`)
	})
	t.Run("client stops reading, send_timeout "+timeout, func(t *testing.T) {
		failed := make(chan time.Time, 1)
		addr := rawBackend(t, func(c net.Conn, _ *bufio.Reader, _ string) {
			_, _ = io.WriteString(c, resp101)
			chunk := make([]byte, 1<<20)
			for {
				if _, err := c.Write(chunk); err != nil {
					failed <- time.Now()
					return
				}
			}
		})
		e := startTunnelProxy(t, addr, "send_timeout "+timeout+"; proxy_read_timeout 20s;")
		start := time.Now()
		e.rawUpgrade(t, wsRequest)
		select {
		case at := <-failed:
			if d := at.Sub(start); d > 10*time.Second {
				t.Errorf("closed after %v", d)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the tunnel was not closed")
		}
		logged(t, e.lines, `^\[info\] \*\d+ client timed out \(110: Connection timed out\) while proxying upgraded connection, client: 127\.0\.0\.1`)
	})
}

// TestTunnelConnectTimeout: proxy_connect_timeout bounds the dial of a
// WebSocket request like any other (504, nginx's line).
func TestTunnelConnectTimeout(t *testing.T) {
	noLeaks(t)
	e := startTunnelProxy(t, fullBacklog(t), "proxy_connect_timeout 300ms;")
	start := time.Now()
	_, resp, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial("ws://"+e.addr+"/ws", nil)
	if err == nil || resp == nil || resp.StatusCode != 504 {
		t.Fatalf("dial: %v %v, want 504", err, resp)
	}
	if d := time.Since(start); d < 280*time.Millisecond || d > 2*time.Second {
		t.Errorf("504 after %v, want ~300ms", d)
	}
	logged(t, e.lines, `^\[error\] \*\d+ upstream timed out \(110: Connection timed out\) while connecting to upstream`)
}

// TestTunnelHalfClose: a FIN from either side is passed on, and the other
// direction keeps working until it ends too.
func TestTunnelHalfClose(t *testing.T) {
	noLeaks(t)
	t.Run("client first", func(t *testing.T) {
		got := make(chan string, 1)
		addr := rawBackend(t, func(c net.Conn, br *bufio.Reader, _ string) {
			_, _ = io.WriteString(c, resp101)
			b, _ := io.ReadAll(br)
			got <- string(b)
			_, _ = io.WriteString(c, "AFTER")
		})
		e := startTunnelProxy(t, addr, "")
		c, br, _ := e.rawUpgrade(t, wsRequest)
		_, _ = io.WriteString(c, "ping")
		_ = c.(*net.TCPConn).CloseWrite()
		if s := <-got; s != "ping" {
			t.Errorf("backend got %q before EOF", s)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if b, err := io.ReadAll(br); err != nil || string(b) != "AFTER" {
			t.Errorf("client got %q %v after its FIN", b, err)
		}
		waitTunnels(t, e.s, 0)
	})
	t.Run("upstream first", func(t *testing.T) {
		got := make(chan string, 1)
		addr := rawBackend(t, func(c net.Conn, br *bufio.Reader, _ string) {
			_, _ = io.WriteString(c, resp101+"bye")
			_ = c.(*net.TCPConn).CloseWrite()
			b, _ := io.ReadAll(br)
			got <- string(b)
		})
		e := startTunnelProxy(t, addr, "")
		c, br, _ := e.rawUpgrade(t, wsRequest)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if b, err := io.ReadAll(br); err != nil || string(b) != "bye" {
			t.Errorf("client got %q %v", b, err)
		}
		_, _ = io.WriteString(c, "LATE")
		_ = c.(*net.TCPConn).CloseWrite()
		if s := <-got; s != "LATE" {
			t.Errorf("backend got %q after its FIN", s)
		}
		waitTunnels(t, e.s, 0)
	})
}

// TestTunnelMany: 1,000 tunnels at once, each echoing.
func TestTunnelMany(t *testing.T) {
	noLeaks(t)
	const n = 1000
	be := startWSBackend(t)
	// Each tunnel takes two of worker_connections' slots, and a sixteenth
	// must stay free, or connections still waiting for their request
	// are reused (closed) as new ones come.
	e := startTunnelProxyEvents(t, be.addr(), "", "worker_connections 4096;")
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	errs := make(chan error, n)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, _, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).Dial("ws://"+e.addr+"/echo", nil)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	// The client's handshake ends when the 101 arrives; the proxy may
	// register the tunnel a moment after writing it.
	waitTunnels(t, e.s, n)
	if st := e.s.Tunnels(); st.Open != n || st.PerPeer[be.addr()] != n {
		t.Fatalf("registry %d open (%v), want %d", st.Open, st.PerPeer, n)
	}
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := []byte("message " + strconv.Itoa(i))
			_ = c.SetWriteDeadline(time.Now().Add(20 * time.Second))
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
				errs <- err
				return
			}
			if _, got, err := c.ReadMessage(); err != nil || !bytes.Equal(got, msg) {
				errs <- fmt.Errorf("tunnel %d: %q %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, c := range conns {
		c.Close()
	}
	waitTunnels(t, e.s, 0)
}

// TestTunnelNotUpgraded: an upstream that refuses the upgrade gives an
// ordinary response; so does a configuration that does not pass Upgrade
// upstream (nginx's idiom needs proxy_set_header and HTTP/1.1). No tunnel
// is counted.
func TestTunnelNotUpgraded(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")
	_, resp, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial("ws://"+e.addr+"/refuse", nil)
	if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("refused upgrade: %v %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "no\n" {
		t.Errorf("body %q", body)
	}

	port := freePort(t)
	log, _ := testLog(t)
	s := New(load(t, "server { listen 127.0.0.1:"+port+"; location / { proxy_pass http://"+be.addr()+"; } }\n"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	_, resp, err = (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial("ws://127.0.0.1:"+port+"/echo", nil)
	if err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("upgrade without the config's headers: %v %v, want the backend's 400", err, resp)
	}
	if e.s.Tunnels().Open != 0 || s.Tunnels().Open != 0 {
		t.Error("a tunnel was counted")
	}
}

// TestTunnelUpstreamDies: an upstream that goes away mid-tunnel (FIN or
// reset) leaves the client with a closed connection; a reset is logged as
// nginx logs it.
func TestTunnelUpstreamDies(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")
	for _, path := range []string{"/die", "/die?rst=1"} {
		c := e.dial(t, path, nil)
		_ = c.WriteMessage(websocket.TextMessage, []byte("last"))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, m, err := c.ReadMessage(); err != nil || string(m) != "last" {
			t.Fatalf("%s: echo %q %v", path, m, err)
		}
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseAbnormalClosure {
			t.Errorf("%s: client saw %v, want the connection closed (1006)", path, err)
		}
		c.Close()
		waitTunnels(t, e.s, 0)
	}
	logged(t, e.lines, `^\[error\] \*\d+ recv\(\) failed \(104: Connection reset by peer\) while proxying upgraded connection, client: 127\.0\.0\.1, server: , request: "GET /die\?rst=1 HTTP/1\.1", upstream: "http://`)
}

// TestTunnelReload: a tunnel keeps the configuration it started with (its
// timeout) across a reload; tunnels opened after get the new one.
// TestTunnelLingers: a tunnel that ends by proxy_send_timeout (the
// upstream stopped reading) while the client's bytes wait unread closes
// the client's side lingering, as nginx's finalized request does: the
// client reads an orderly end of file, what it sends on is read and
// dropped, and the access log line is written once the client closes. A
// tunnel the client's side ends (its timeout) closes at once.
func TestTunnelLingers(t *testing.T) {
	noLeaks(t)
	e := startTunnelProxy(t, stalled101Backend(t), "proxy_send_timeout 300ms;")
	c, br, _ := e.rawUpgrade(t, wsRequest)
	defer c.Close()
	// Write until a write blocks, or the proxy gave up first (from then
	// on it reads and drops what comes).
	chunk := make([]byte, 64<<10)
	timedOut := func() bool {
		for _, l := range e.lines() {
			if strings.Contains(l, "upstream timed out") {
				return true
			}
		}
		return false
	}
	for !timedOut() {
		_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := c.Write(chunk); err != nil {
			break
		}
	}
	logged(t, e.lines, `^\[info\] \*\d+ upstream timed out \(110: Connection timed out\) while proxying upgraded connection`)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the tunnel ended: %v, want an orderly end of file", err)
	}
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(chunk); err != nil {
		t.Errorf("a write while the proxy lingers: %v", err)
	}
	if b, _ := os.ReadFile(e.access); len(b) != 0 {
		t.Errorf("access log line before the client closed: %q", b)
	}
	c.Close()
	waitFileContains(t, e.access, `"GET /ws HTTP/1.1" 101 `)
	waitTunnels(t, e.s, 0)
}

func TestTunnelReload(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	port := freePort(t)
	dir := t.TempDir()
	log, _ := testLog(t)
	s := New(load(t, tunnelConf(port, dir, be.addr(), "proxy_read_timeout 300ms;")), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	e := &tunnelEnv{addr: "127.0.0.1:" + port, s: s}
	old := e.dial(t, "/echo", nil)
	if err := s.Reload(load(t, tunnelConf(port, dir, be.addr(), "proxy_read_timeout 20s;"))); err != nil {
		t.Fatal(err)
	}
	fresh := e.dial(t, "/echo", nil)
	for _, c := range []*websocket.Conn{old, fresh} {
		_ = c.WriteMessage(websocket.TextMessage, []byte("hi"))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, m, err := c.ReadMessage(); err != nil || string(m) != "hi" {
			t.Fatalf("echo after reload: %q %v", m, err)
		}
	}
	last := time.Now()
	_ = old.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := old.ReadMessage(); err == nil {
		t.Fatal("old tunnel got a message")
	}
	if d := time.Since(last); d > 1500*time.Millisecond {
		t.Errorf("old tunnel closed after %v idle, want its 300ms", d)
	}
	_ = fresh.WriteMessage(websocket.TextMessage, []byte("still"))
	if _, m, err := fresh.ReadMessage(); err != nil || string(m) != "still" {
		t.Errorf("new tunnel after %v idle: %q %v", time.Since(last), m, err)
	}
}

// TestTunnelShutdown: a graceful shutdown lets tunnels run until they end,
// or until its deadline (worker_shutdown_timeout), then closes them.
func TestTunnelShutdown(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	t.Run("deadline", func(t *testing.T) {
		e := startTunnelProxy(t, be.addr(), "")
		c := e.dial(t, "/echo", nil)
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- e.s.Shutdown(ctx) }()
		_ = c.WriteMessage(websocket.TextMessage, []byte("draining"))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, m, err := c.ReadMessage(); err != nil || string(m) != "draining" {
			t.Fatalf("echo while draining: %q %v", m, err)
		}
		if _, _, err := c.ReadMessage(); err == nil {
			t.Fatal("tunnel not closed at the deadline")
		}
		if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown: %v", err)
		}
		if d := time.Since(start); d < 350*time.Millisecond || d > 3*time.Second {
			t.Errorf("closed after %v, want ~400ms", d)
		}
	})
	t.Run("tunnel ends first", func(t *testing.T) {
		e := startTunnelProxy(t, be.addr(), "")
		c := e.dial(t, "/echo", nil)
		done := make(chan error, 1)
		go func() { done <- e.s.Shutdown(context.Background()) }()
		select {
		case err := <-done:
			t.Fatalf("Shutdown returned with a tunnel open: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		c.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Shutdown still waits after the tunnel ended")
		}
	})
}

// plainEngineEnv, set in the environment, makes the tunnel tests run on
// the portable engine (a goroutine per direction): see
// TestTunnelPlainEngine.
const plainEngineEnv = "NGINXWS_TEST_TUNNEL_ENGINE_PLAIN"

// TestTunnelPlainEngine runs the tunnel tests again on the portable engine,
// which Linux uses only when its event loops cannot be had (and for
// connections without a descriptor), in a child process of this test
// binary with plainEngineEnv set.
func TestTunnelPlainEngine(t *testing.T) {
	if os.Getenv(plainEngineEnv) != "" {
		return
	}
	rerunTunnelTests(t, plainEngineEnv, "on the portable engine",
		"Echo", "Fragmented", "BytesUntouched", "PingPong", "CloseCodes", "DeflateAndSubprotocols", "Order",
		"IdleTimeout", "TrafficKeepsAlive", "SendTimeouts", "ConnectTimeout", "HalfClose", "Many", "NotUpgraded",
		"UpstreamDies", "Reload", "Shutdown", "Chaos", "UnixUpstream", "Lingers", "IdleBuffers", "LingeringClose")
}

// rerunTunnelTests runs the named TestTunnel tests again in a child
// process of this test binary with env set, and fails unless each of them
// passed there; how says how they ran ("over TLS").
func rerunTunnelTests(t *testing.T, env, how string, names ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the tunnel tests again")
	}
	tests := "^TestTunnel(" + strings.Join(names, "|") + ")$"
	cmd := exec.Command(os.Args[0], "-test.run", tests, "-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tunnel tests %s: %v\n%s", how, err, out)
	}
	for _, name := range names {
		if !strings.Contains(string(out), "--- PASS: TestTunnel"+name+" ") {
			t.Errorf("TestTunnel%s did not pass %s:\n%s", name, how, out)
		}
	}
}

// tlsTunnelEnv, set in the environment, makes the tunnel tests' proxy
// listen with TLS and their clients speak wss:// (TestTunnelOverTLS).
const tlsTunnelEnv = "NGINXWS_TEST_TUNNEL_TLS"

// tlsListen is a TLS listen with a throwaway certificate written to dir.
func tlsListen(port, dir string) string {
	cert, key := selfSignedPEM()
	for name, b := range map[string][]byte{"cert.pem": cert, "key.pem": key} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			panic(err)
		}
	}
	return "listen 127.0.0.1:" + port + " ssl; ssl_certificate " + dir + "/cert.pem; ssl_certificate_key " + dir + "/key.pem;"
}

// selfSignedPEM makes a certificate and its key, afresh (no key in the
// tree).
func selfSignedPEM() (cert, key []byte) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nginxws-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// TestTunnelOverTLS runs the tunnel tests again with wss:// clients: a
// tunnel over TLS runs on the goroutine engine (crypto/tls moves its
// bytes, not the socket), with the same echo, timers, registry, reload
// and shutdown behaviour as a plain one.
func TestTunnelOverTLS(t *testing.T) {
	if os.Getenv(tlsTunnelEnv) != "" || os.Getenv(plainEngineEnv) != "" {
		return
	}
	// Not Lingers: its client writes until a write times out, after which
	// a TLS client cannot write at all.
	rerunTunnelTests(t, tlsTunnelEnv, "over TLS",
		"Echo", "Fragmented", "BytesUntouched", "PingPong", "CloseCodes", "IdleTimeout", "TrafficKeepsAlive",
		"UpstreamDies", "Reload", "Shutdown", "IdleBuffers")
}

// echoOnce sends msg and waits for its echo.
func echoOnce(t *testing.T, c *websocket.Conn, msg []byte) {
	t.Helper()
	if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, got, err := c.ReadMessage()
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo of %d B: got %d B, %v", len(msg), len(got), err)
	}
}

// tunnelGoroutines counts goroutines moving tunnel bytes on their own
// (the portable engine).
func tunnelGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtimeStack(buf)]
	return strings.Count(string(buf), "proxy.(*tunnel).runPlain(")
}

// runtimeStack writes every goroutine's stack into buf.
func runtimeStack(buf []byte) int { return goruntime.Stack(buf, true) }

// countFDs counts the process's descriptors whose target starts with
// prefix ("pipe:", "socket:").
func countFDs(t *testing.T, prefix string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// TestTunnelNoLeaks runs tunnels through every way of ending (normal close,
// timeout, reset, shutdown) and checks that no goroutine and no descriptor
// is left once the server is closed.
func TestTunnelNoLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	sockets, pipes := countFDs(t, "socket:"), countFDs(t, "pipe:")
	func() {
		be := startWSBackend(t)
		port := freePort(t)
		log, _ := testLog(t)
		s := New(load(t, tunnelConf(port, t.TempDir(), be.addr(), "proxy_read_timeout 300ms;")), log)
		if err := s.Listen(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = s.Serve() }()
		e := &tunnelEnv{addr: "127.0.0.1:" + port, s: s}
		d := &websocket.Dialer{HandshakeTimeout: 5 * time.Second}
		var open []*websocket.Conn
		for _, path := range []string{"/echo", "/echo", "/die?rst=1", "/echo"} {
			c, _, err := d.Dial("ws://"+e.addr+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			open = append(open, c)
			_ = c.WriteMessage(websocket.BinaryMessage, pattern(1<<20, false))
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _, _ = c.ReadMessage()
		}
		open[0].Close()                 // normal end
		_, _, _ = open[1].ReadMessage() // idle timeout
		_, _, _ = open[2].ReadMessage() // reset by the upstream
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_ = s.Shutdown(ctx) // closes the last one
		cancel()
		_ = s.Close()
		for _, c := range open {
			c.Close()
		}
		be.srv.Close()
	}()
	goleak.VerifyNone(t, opt)
	if n := countFDs(t, "socket:"); n > sockets {
		t.Errorf("%d sockets left open", n-sockets)
	}
	if n := countFDs(t, "pipe:"); n > pipes {
		t.Errorf("%d pipes left open", n-pipes)
	}
}

// chaosClient plays one client of TestTunnelChaos; every wait is bounded.
func chaosClient(c *net.TCPConn, br *bufio.Reader, mode string, msg []byte) error {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	switch mode {
	case "gone":
		return nil
	case "clientrst":
		if _, err := c.Write(msg[:len(msg)/2]); err != nil {
			return err
		}
		return c.SetLinger(0)
	case "rst", "fin":
		// The upstream stops after 1000 bytes: with a FIN after their
		// echo (fin), which the client gets after them, or with a reset
		// (rst), after which the client sees the tunnel close. Never a
		// hang.
		go func() { _, _ = c.Write(msg) }()
		got, err := io.ReadAll(br)
		if mode == "fin" && (err != nil || !bytes.Equal(got, msg[:min(1000, len(msg))])) {
			return fmt.Errorf("got %d B (%v), want the first %d echoed, then EOF", len(got), err, min(1000, len(msg)))
		}
		if err != nil && !isPeerGone(err) {
			return err
		}
		return nil
	}
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		if err == nil && mode == "halfclose" {
			err = c.CloseWrite()
		}
		werr <- err
	}()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(br, got); err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo differs")
	}
	if err := <-werr; err != nil {
		return err
	}
	if mode == "halfclose" {
		// The upstream's FIN, passed on.
		if b, err := br.ReadByte(); err != io.EOF {
			return fmt.Errorf("after the echo: %q, %v, want EOF", b, err)
		}
	}
	return nil
}

// TestTunnelUnixUpstream: a tunnel to an upstream on a unix socket moves
// small messages and a bulk burst (spliced from and to the unix socket)
// both ways, and passes the client's FIN on.
func TestTunnelUnixUpstream(t *testing.T) {
	noLeaks(t)
	path := filepath.Join(t.TempDir(), "up.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	rawBackendOn(t, ln, func(c net.Conn, br *bufio.Reader, _ string) {
		_, _ = io.WriteString(c, resp101)
		// Echo, then pass the client's FIN back.
		_, _ = io.Copy(struct{ io.Writer }{c}, struct{ io.Reader }{br})
		_ = c.(*net.UnixConn).CloseWrite()
	})
	e := startTunnelProxy(t, "unix:"+path+":", "")
	c, br, head := e.rawUpgrade(t, wsRequest)
	if !strings.HasPrefix(head, "HTTP/1.1 101 ") {
		t.Fatalf("head %q", head)
	}
	if got := waitEngine(t, e.s); os.Getenv(plainEngineEnv) == "" && got != engineEv {
		t.Errorf("tunnel on engine %d, want the event loop", got)
	}
	msg := append([]byte("hello"), pattern(3<<20, false)...)
	go func() {
		_, _ = c.Write(msg)
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(br)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo through the unix upstream: %d of %d B, %v", len(got), len(msg), err)
	}
	waitTunnels(t, e.s, 0)
}

// TestTunnelLogAfterReload: a tunnel writes its line to its location's
// error_log even when it ends after a reload replaced the configuration
// (nginx's old worker keeps its logs until it exits); that log's file is
// closed once the tunnel is over, not before.
func TestTunnelLogAfterReload(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	logs := t.TempDir()
	oldLog, newLog := filepath.Join(logs, "old.log"), filepath.Join(logs, "new.log")
	e := startTunnelProxy(t, be.addr(), "proxy_read_timeout 300ms; error_log "+oldLog+" info;")
	old := e.dial(t, "/echo", nil)
	waitEngines(t, e.s, 1)
	if err := e.s.Reload(load(t, tunnelConf(e.port, e.dir, be.addr(), "error_log "+newLog+" info;"))); err != nil {
		t.Fatal(err)
	}
	// The reload opened new.log and kept old.log for the tunnel.
	if o, n := countFDs(t, oldLog), countFDs(t, newLog); o != 1 || n != 1 {
		t.Errorf("after the reload old.log is open %d times, new.log %d, want 1 and 1", o, n)
	}
	_ = old.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := old.ReadMessage(); err == nil {
		t.Fatal("old tunnel got a message")
	}
	waitFileContains(t, oldLog, "upstream timed out (110: Connection timed out) while proxying upgraded connection")
	// The tunnel over, old.log is closed.
	waitFileClosed(t, oldLog)
}

// TestTunnelAccessLogAfterReload: a tunnel's access line goes to the file
// its location named when it began, even when a reload since names
// another one; that file closes once the tunnel is over.
func TestTunnelAccessLogAfterReload(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	logs := t.TempDir()
	before, after := filepath.Join(logs, "before.log"), filepath.Join(logs, "after.log")
	e := startTunnelProxy(t, be.addr(), "access_log "+before+";")
	old := e.dial(t, "/echo?old", nil)
	waitEngines(t, e.s, 1)
	if err := e.s.Reload(load(t, tunnelConf(e.port, e.dir, be.addr(), "access_log "+after+";"))); err != nil {
		t.Fatal(err)
	}
	if b, a := countFDs(t, before), countFDs(t, after); b != 1 || a != 1 {
		t.Errorf("after the reload before.log is open %d times, after.log %d, want 1 and 1", b, a)
	}
	old.Close()
	waitFileContains(t, before, `"GET /echo?old HTTP/1.1" 101 `)
	// The tunnel over, before.log is closed.
	waitFileClosed(t, before)
}

// TestTunnelIdleBuffers: idle tunnels hold no pooled buffer, whatever
// they moved before (a bulk message each way, then a small one) and
// whichever engine runs them; over TLS, where the client's connection may
// hold decrypted bytes its socket does not show, the client's direction
// waits with a 1 KiB buffer (idleReadSize), the upstream's with none.
func TestTunnelIdleBuffers(t *testing.T) {
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")
	const n = 20
	for range n {
		c := e.dial(t, "/echo", nil)
		echoOnce(t, c, pattern(100000, false))
		echoOnce(t, c, pattern(10, false))
	}
	want := int64(0)
	if os.Getenv(tlsTunnelEnv) != "" {
		want = n * idleReadSize
	}
	// The last echo's bytes reach the client before its direction has
	// given its buffer back: wait for the count to settle.
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := e.s.bufs.lent.Load()
		if got <= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes of buffers lent with %d idle tunnels, want at most %d", got, n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
