//go:build linux

package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	goruntime "runtime"
	"testing"
	"time"
)

// parkedServer starts a server whose idle keepalive connections park
// after idleHandoff, with keepalive_timeout ka.
func parkedServer(t *testing.T, ka string) (*Server, string) {
	t.Helper()
	port := freePort(t)
	log, _ := testLog(t)
	s := New(load(t, "server { listen 127.0.0.1:"+port+"; keepalive_timeout "+ka+"; location / { return 200 ok; } }"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	return s, "127.0.0.1:" + port
}

// askOn sends a request on c and reads the response.
func askOn(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

// waitParked polls until n connections are parked (they move after
// idleHandoff).
func waitParked(t *testing.T, s *Server, n int) {
	t.Helper()
	got := 0
	eventually(t, 5*time.Second, func() bool {
		s.parkerMu.Lock()
		p := s.parker
		s.parkerMu.Unlock()
		got = 0
		if p != nil {
			got = p.parked()
		}
		return got == n
	}, func() string { return fmt.Sprintf("%d connections parked, want %d", got, n) })
}

// TestIdleParking: idle keepalive connections wait without goroutines and
// come back for their next request, their peer's FIN, their
// keepalive_timeout and a shutdown, as a connection waiting on a
// goroutine would.
func TestIdleParking(t *testing.T) {
	s, addr := parkedServer(t, "2s")
	serve(t, s)
	const n = 50
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i], readers[i] = c, bufio.NewReader(c)
		askOn(t, c, readers[i])
	}
	base := goruntime.NumGoroutine()
	waitParked(t, s, n)
	if g := goruntime.NumGoroutine(); g > base-n/2 {
		t.Errorf("%d goroutines with %d connections parked, %d before: parked connections keep goroutines", g, n, base)
	}

	// Bytes wake a parked connection: the next request is served, and
	// the connection parks again afterwards.
	askOn(t, conns[0], readers[0])
	askOn(t, conns[0], readers[0])
	waitParked(t, s, n)

	// The peer's FIN ends it.
	_ = conns[1].(*net.TCPConn).CloseWrite()
	_ = conns[1].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := readers[1].ReadByte(); err != io.EOF {
		t.Fatalf("after the client's FIN: %v, want EOF", err)
	}
	waitParked(t, s, n-1)

	// keepalive_timeout (2s from the last request) closes the others.
	start := time.Now()
	_ = conns[2].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := readers[2].ReadByte(); err != io.EOF {
		t.Fatalf("waiting for keepalive_timeout: %v, want EOF", err)
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("closed %v after the wait began, keepalive_timeout is 2s", waited)
	}
	waitParked(t, s, 0)
}

// oneParked serves parkedServer with a keepalive_timeout of 300s and
// returns it, what its Serve returns, and a client connection parked
// after one request, with its reader.
func oneParked(t *testing.T) (*Server, chan error, net.Conn, *bufio.Reader) {
	t.Helper()
	s, addr := parkedServer(t, "300s")
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	br := bufio.NewReader(c)
	askOn(t, c, br)
	waitParked(t, s, 1)
	return s, done, c, br
}

// TestIdleParkingShutdown: a graceful shutdown closes parked connections
// at once and returns without waiting for their keepalive_timeout.
func TestIdleParkingShutdown(t *testing.T) {
	s, done, c, br := oneParked(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v (a parked connection was not closed)", err)
	}
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("client after shutdown: %v, want EOF", err)
	}
}

// TestIdleParkingClose: Close (fast shutdown) ends parked connections
// too.
func TestIdleParkingClose(t *testing.T) {
	s, done, _, _ := oneParked(t)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs on a parked connection")
	}
	<-done
}
