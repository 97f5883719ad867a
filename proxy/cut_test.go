package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// silentUpstream accepts connections, reads each request head and never
// answers; arrived gets one value per request read.
func silentUpstream(t *testing.T) (addr string, arrived chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	arrived = make(chan struct{}, 4)
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
			go func() {
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == "\r\n" {
						arrived <- struct{}{}
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return ln.Addr().String(), arrived
}

// TestStopCutsProxiedRequests: Close (SIGTERM) and a Shutdown whose
// context ends (worker_shutdown_timeout) do not wait for a request whose
// upstream never answers: its upstream connection is closed, and nothing
// is logged of it.
func TestStopCutsProxiedRequests(t *testing.T) {
	for _, graceful := range []bool{false, true} {
		up, arrived := silentUpstream(t)
		s, served, c, lines := startCutCase(t, up)
		<-arrived
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			if !graceful {
				_ = s.Close()
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown = %v, want the context's deadline", err)
			}
		}()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			t.Fatalf("graceful %v: the server still waits for the upstream", graceful)
		}
		if b, _ := io.ReadAll(c); len(b) != 0 {
			t.Errorf("graceful %v: the client got %q, want the connection closed", graceful, b)
		}
		if l := lines(); len(l) != 0 {
			t.Errorf("graceful %v: error log lines:\n%q", graceful, l)
		}
		if graceful {
			_ = s.Close()
		}
		<-served
	}
}

// startCutCase starts a server proxying every request to up and sends it
// a request, for the tests of the shutdown cut.
func startCutCase(t *testing.T, up string) (*Server, <-chan error, net.Conn, func() []string) {
	t.Helper()
	a := "127.0.0.1:" + freePort(t)
	log, lines := testLog(t)
	s := New(load(t, "    server { listen "+a+"; location / { proxy_pass http://"+up+"; } }\n"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	c, err := net.Dial("tcp4", a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return s, served, c, lines
}

// fullBacklog returns the address of a listening socket whose accept
// queue is full: a new connection to it waits (its SYN dropped) until
// its connect timeout.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, addr := boundSocket(t)
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp4", addr, 200*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
		if i == 16 {
			t.Fatal("the accept queue does not fill up")
		}
	}
}

// TestStopCutsConnect: Close does not wait for a connection to an
// upstream being made either (proxy_connect_timeout, 60s by default).
func TestStopCutsConnect(t *testing.T) {
	s, served, c, lines := startCutCase(t, fullBacklog(t))
	// The request is connecting once nothing comes back for a while.
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if b, err := c.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("the request got %d bytes, %v; want it to wait for its connect", b, err)
	}
	stopped := make(chan struct{})
	go func() { _ = s.Close(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Close still waits for the connect")
	}
	<-served
	if l := lines(); len(l) != 0 {
		t.Errorf("error log lines:\n%q", l)
	}
}
