package http1

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// held reports whether r holds any buffer.
func held(r *Reader) bool { return r.cur != nil || len(r.held) > 0 || r.rawBuf != nil }

func TestPipelined(t *testing.T) {
	var pools Pools
	in := "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
		"POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ndef\r\n0\r\n\r\n" +
		"GET /c HTTP/1.1\r\nHost: a\r\n\r\n"
	r := NewReader(strings.NewReader(in), &pools)
	lim := DefaultLimits()
	var req Request
	var lr LengthReader
	var cr ChunkedReader

	if err := r.ReadRequest(&req, &lim); err != nil || string(req.Path) != "/a" || req.ContentLength != 3 {
		t.Fatalf("first: %v %q %d", err, req.Path, req.ContentLength)
	}
	lr.Reset(r, req.ContentLength, false)
	if body, err := io.ReadAll(&lr); err != nil || string(body) != "abc" {
		t.Fatalf("first body %q %v", body, err)
	}
	r.Release()
	if len(r.Buffered()) == 0 {
		t.Fatal("the pipelined requests were dropped")
	}

	if err := r.ReadRequest(&req, &lim); err != nil || string(req.Path) != "/b" || !req.Chunked {
		t.Fatalf("second: %v %q", err, req.Path)
	}
	cr.Reset(r, 0, false)
	if body, err := readAllWith(&cr, 2); err != nil || string(body) != "def" {
		t.Fatalf("second body %q %v", body, err)
	}

	if err := r.ReadRequest(&req, &lim); err != nil || string(req.Path) != "/c" {
		t.Fatalf("third: %v %q", err, req.Path)
	}
	r.Release()
	if held(r) {
		t.Error("an idle Reader holds a buffer")
	}
	if err := r.ReadRequest(&req, &lim); err != io.EOF {
		t.Errorf("after the last request: %v, want io.EOF", err)
	}
}

// A pipelined request that starts near the end of the first buffer moves
// to a large buffer, as in nginx.
func TestPipelinedAcrossBuffers(t *testing.T) {
	var pools Pools
	lim := DefaultLimits()
	lim.HeaderBufferSize = 64
	first := "GET /1 HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("x", 20) + "\r\n\r\n"
	second := "GET /" + strings.Repeat("b", 100) + " HTTP/1.1\r\nHost: a\r\n\r\n"
	r := NewReader(strings.NewReader(first+second), &pools)
	var req Request
	if err := r.ReadRequest(&req, &lim); err != nil || string(req.Path) != "/1" {
		t.Fatalf("first: %v", err)
	}
	if err := r.ReadRequest(&req, &lim); err != nil || string(req.Path) != "/"+strings.Repeat("b", 100) {
		t.Fatalf("second: %v %q", err, req.Path)
	}
	r.Release()
	if held(r) {
		t.Error("an idle Reader holds a buffer")
	}
}

func TestPrereadBodyAndTunnel(t *testing.T) {
	var pools Pools
	in := "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello"
	r := NewReader(strings.NewReader(in), &pools)
	lim := DefaultLimits()
	var req Request
	if err := r.ReadRequest(&req, &lim); err != nil {
		t.Fatal(err)
	}
	if v, ok := req.Header("upgrade"); !ok || string(v) != "websocket" {
		t.Fatalf("Upgrade %q %v", v, ok)
	}
	if got := string(r.Buffered()); got != "\x81\x05hello" {
		t.Fatalf("Buffered %q", got)
	}
	r.Discard(2)
	rest, _ := io.ReadAll(r)
	if string(rest) != "hello" {
		t.Fatalf("rest %q", rest)
	}
	r.Release()
	if held(r) {
		t.Error("Reader holds a buffer after its bytes were read")
	}
}

func TestUnread(t *testing.T) {
	var pools Pools
	r := NewReader(strings.NewReader("GET / HTTP/1.1\r\nHost: a\r\n\r\nxyz"), &pools)
	lim := DefaultLimits()
	var req Request
	if err := r.ReadRequest(&req, &lim); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 2)
	r.Read(p)
	r.Unread([]byte("AB")) // fits in front of the unread bytes
	r.Unread([]byte("0123456789"))
	if string(req.Line) != "GET / HTTP/1.1" || string(req.Server) != "a" {
		t.Fatalf("Unread overwrote the head: %q %q", req.Line, req.Server)
	}
	rest, _ := io.ReadAll(r)
	if string(rest) != "0123456789ABz" {
		t.Fatalf("got %q", rest)
	}
}

func TestVirtualServerLimits(t *testing.T) {
	var pools Pools
	lim := limitsFor("vhost")
	var req Request
	r := NewReader(strings.NewReader("GET / HTTP/1.1\r\nHost: us.test\r\n\r\n"), &pools)
	if err := r.ReadRequest(&req, lim); err != nil {
		t.Fatal(err)
	}
	if req.Limits == lim || !req.Limits.UnderscoresInHeaders {
		t.Error("the virtual server's limits were not applied")
	}
}

func TestReadErrors(t *testing.T) {
	var pools Pools
	lim := DefaultLimits()
	var req Request
	if err := NewReader(strings.NewReader(""), &pools).ReadRequest(&req, &lim); err != io.EOF {
		t.Errorf("empty: %v, want io.EOF", err)
	}
	boom := errors.New("boom")
	err := NewReader(io.MultiReader(strings.NewReader("GET /"), errReader{boom}), &pools).ReadRequest(&req, &lim)
	var herr *Error
	if !errors.As(err, &herr) || !errors.Is(err, boom) || herr.Status != 400 {
		t.Errorf("failing reader: %v", err)
	}
	var resp Response
	err = NewReader(strings.NewReader(""), &pools).ReadResponse(&resp, 4096)
	if !errors.As(err, &herr) || herr.Status != 502 || herr.Msg != "upstream prematurely closed connection" {
		t.Errorf("empty response: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln := listen(t)
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func TestTCPReader(t *testing.T) {
	client, server := tcpPair(t)
	var pools Pools
	r := NewReader(server, &pools)
	if r.raw == nil {
		t.Fatal("no raw connection for a TCP socket")
	}
	lim := DefaultLimits()
	var req Request
	go func() {
		client.Write([]byte("GET /x HTTP/1.1\r\n"))
		client.Write([]byte("Host: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n"))
	}()
	for _, want := range []string{"/x", "/y"} {
		if err := r.ReadRequest(&req, &lim); err != nil || string(req.Path) != want {
			t.Fatalf("%v %q, want %q", err, req.Path, want)
		}
	}
	r.Release()
	if held(r) {
		t.Error("idle TCP reader holds a buffer")
	}

	// Waiting for a request that does not come: the deadline error comes
	// back unwrapped and no buffer is held.
	server.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if err := r.ReadRequest(&req, &lim); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want the deadline", err)
	}
	if held(r) {
		t.Error("reader holds a buffer after a timed-out wait")
	}

	// A deadline in the middle of a head is nginx's "client timed out".
	client.Write([]byte("GET / HTTP/1.1\r\n"))
	server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	err := r.ReadRequest(&req, &lim)
	var herr *Error
	if !errors.As(err, &herr) || herr.Status != 408 || herr.Msg != "client timed out" {
		t.Fatalf("got %v, want client timed out", err)
	}
	server.SetReadDeadline(time.Time{})

	// The peer closing first is a clean end.
	r.Release()
	client.Close()
	if err := r.ReadRequest(&req, &lim); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
}

// While the socket has nothing to read, the raw read callback gives its
// buffer back before asking to wait.
func TestRawReadHoldsNothingWhileWaiting(t *testing.T) {
	_, server := tcpPair(t)
	var pools Pools
	r := NewReader(server, &pools)
	r.rawSize = 1024
	var ready bool
	err := r.raw.Control(func(fd uintptr) { ready = r.rawRead(fd) })
	if err != nil {
		t.Fatal(err)
	}
	if ready || r.rawBuf != nil {
		t.Errorf("ready=%v buffer held=%v on an empty socket", ready, r.rawBuf != nil)
	}
}

// TestOraclePipelined checks that nginx, like TestPipelined's Reader,
// serves requests sent back to back in one segment.
func TestOraclePipelined(t *testing.T) {
	o := startOracle(t)
	in := "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b?c HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(o.ports[""]))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(in))
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	got, _ := io.ReadAll(c)
	for _, want := range []string{"\r\n\r\nGET|/a||a|/a|HTTP/1.1", "\r\n\r\nGET|/b|c|b|/b?c|HTTP/1.1"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("nginx answered %q, want %q in it", got, want)
		}
	}
}

// WaitRequest reads a head's first bytes, which ReadRequest then parses
// whole with the rest; with bytes buffered (pipelined) it returns at once;
// it holds no buffer when its wait fails, and ends with io.EOF when the
// peer closes first.
func TestWaitRequest(t *testing.T) {
	client, server := tcpPair(t)
	var pools Pools
	r := NewReader(server, &pools)
	lim := DefaultLimits()
	var req Request
	go func() {
		client.Write([]byte("GET /x HTTP/1.1\r\n"))
		client.Write([]byte("Host: a\r\n\r\nGET /y HTTP/1.1\r\nHost: a\r\n\r\n"))
	}()
	for _, want := range []string{"/x", "/y"} {
		if err := r.WaitRequest(lim.HeaderBufferSize); err != nil || len(r.Buffered()) == 0 {
			t.Fatalf("WaitRequest: %v, %d B buffered", err, len(r.Buffered()))
		}
		if err := r.ReadRequest(&req, &lim); err != nil || string(req.Path) != want {
			t.Fatalf("%v %q, want %q", err, req.Path, want)
		}
	}
	server.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if err := r.WaitRequest(0); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want the deadline", err)
	}
	if held(r) {
		t.Error("reader holds a buffer after a timed-out wait")
	}
	server.SetReadDeadline(time.Time{})
	client.Close()
	if err := r.WaitRequest(0); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
}
