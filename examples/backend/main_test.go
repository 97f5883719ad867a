package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dial opens a WebSocket to url with a deadline so a broken echo fails the
// test instead of hanging it.
func dial(t *testing.T, d *websocket.Dialer, url string, h http.Header) (*websocket.Conn, *http.Response) {
	t.Helper()
	conn, resp, err := d.Dial(url, h)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return conn, resp
}

// roundTrip sends one message and checks that the same type and payload come
// back.
func roundTrip(t *testing.T, conn *websocket.Conn, typ int, payload []byte) {
	t.Helper()
	if err := conn.WriteMessage(typ, payload); err != nil {
		t.Fatalf("write: %v", err)
	}
	gotTyp, got, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if gotTyp != typ || !bytes.Equal(got, payload) {
		t.Fatalf("echo = type %d, %d bytes %.40q; want type %d, %d bytes %.40q", gotTyp, len(got), got, typ, len(payload), payload)
	}
}

func newTestServer(t *testing.T, name string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newHandler(name, log.New(io.Discard, "", 0)))
	t.Cleanup(srv.Close)
	return srv
}

func wsURL(srv *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}

func TestEchoTextAndBinary(t *testing.T) {
	srv := newTestServer(t, "b-1")
	conn, resp := dial(t, websocket.DefaultDialer, wsURL(srv, "/ws"), nil)
	if got := resp.Header.Get("X-Backend"); got != "b-1" {
		t.Errorf("101 X-Backend = %q, want %q", got, "b-1")
	}
	roundTrip(t, conn, websocket.TextMessage, []byte("hello, echo"))
	roundTrip(t, conn, websocket.TextMessage, []byte{})
	big := bytes.Repeat([]byte{0, 1, 2, 0xff, 'x'}, 300_000) // 1.5 MB, binary
	roundTrip(t, conn, websocket.BinaryMessage, big)
}

func TestGreetingNamesTheBackend(t *testing.T) {
	srv := newTestServer(t, "backend-7")
	conn, _ := dial(t, websocket.DefaultDialer, wsURL(srv, "/ws?greet=1"), nil)
	typ, msg, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if typ != websocket.TextMessage || string(msg) != "hello from backend-7" {
		t.Fatalf("greeting = type %d %q, want text %q", typ, msg, "hello from backend-7")
	}
	roundTrip(t, conn, websocket.TextMessage, []byte("after greeting"))
}

func TestCompressionAndSubprotocol(t *testing.T) {
	srv := newTestServer(t, "b")
	d := &websocket.Dialer{EnableCompression: true, Subprotocols: []string{"chat.v2", "chat.v1"}}
	conn, resp := dial(t, d, wsURL(srv, "/ws"), nil)
	if got := conn.Subprotocol(); got != "chat.v2" {
		t.Errorf("subprotocol = %q, want the client's first, %q", got, "chat.v2")
	}
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Errorf("Sec-WebSocket-Extensions = %q, want permessage-deflate", ext)
	}
	roundTrip(t, conn, websocket.TextMessage, bytes.Repeat([]byte("compressible "), 10_000))
}

func TestPingAndCloseCode(t *testing.T) {
	srv := newTestServer(t, "b")
	conn, _ := dial(t, websocket.DefaultDialer, wsURL(srv, "/ws"), nil)

	pong := make(chan string, 1)
	conn.SetPongHandler(func(data string) error { pong <- data; return nil })
	if err := conn.WriteControl(websocket.PingMessage, []byte("p1"), time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	// The pong handler runs inside a read; an echo after the ping makes the
	// read return once the pong has been seen.
	roundTrip(t, conn, websocket.TextMessage, []byte("x"))
	select {
	case got := <-pong:
		if got != "p1" {
			t.Errorf("pong payload = %q, want %q", got, "p1")
		}
	default:
		t.Error("no pong before the echo that followed the ping")
	}

	msg := websocket.FormatCloseMessage(4001, "bye")
	if err := conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, _, err := conn.ReadMessage()
	if !websocket.IsCloseError(err, 4001) {
		t.Fatalf("after close 4001, read error = %v, want the server's close with code 4001", err)
	}
}

func TestPageAndRoutes(t *testing.T) {
	srv := newTestServer(t, `b<&>"`)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q, want 200 text/html", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`"/ws?greet=1"`, "new WebSocket(url)", `b&lt;&amp;&gt;&#34;`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("page lacks %s", want)
		}
	}
	// No external assets: the page must work without any other request.
	for _, bad := range []string{"src=\"http", "href=\"http", "<link "} {
		if bytes.Contains(body, []byte(bad)) {
			t.Errorf("page refers to an external asset (%s)", bad)
		}
	}

	resp, err = http.Get(srv.URL + "/nothing-here")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("X-Backend") == "" {
		t.Errorf("GET /nothing-here = %d, X-Backend %q; want 404 naming the backend", resp.StatusCode, resp.Header.Get("X-Backend"))
	}

	// A plain GET of /ws is not an upgrade: gorilla answers 400.
	resp, err = http.Get(srv.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain GET /ws = %d, want 400", resp.StatusCode)
	}
}

// TestRun runs the program as main does (flags, listener, shutdown) and does
// a real echo against it.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-name", "from-flags"}, &stderr, func(a net.Addr) { addrc <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	}

	conn, resp := dial(t, websocket.DefaultDialer, "ws://"+addr.String()+"/ws", nil)
	if got := resp.Header.Get("X-Backend"); got != "from-flags" {
		t.Errorf("X-Backend = %q, want the -name flag's %q", got, "from-flags")
	}
	roundTrip(t, conn, websocket.TextMessage, []byte("through run"))

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
	// The listener is closed: a new connection is refused.
	if c, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		c.Close()
		t.Error("listener still accepting after run returned")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-listen", "127.0.0.1:notaport"},
		{"-bogus"},
		{"extra-arg"},
	} {
		var stderr bytes.Buffer
		if err := run(context.Background(), args, &stderr, nil); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}
