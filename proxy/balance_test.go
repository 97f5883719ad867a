package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// kaBackend is an HTTP/1.1 backend that keeps connections open and
// reports when the proxy closes one.
type kaBackend struct {
	ln     net.Listener
	mu     sync.Mutex
	conns  int
	closed chan struct{}
}

func startKABackend(t *testing.T) *kaBackend {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &kaBackend{ln: ln, closed: make(chan struct{}, 16)}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns++
			b.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						b.closed <- struct{}{}
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return b
}

func (b *kaBackend) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conns
}

// waitClosed waits for the proxy to close one of the backend's
// connections.
func (b *kaBackend) waitClosed(t *testing.T, what string) {
	t.Helper()
	select {
	case <-b.closed:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: the idle upstream connection was not closed", what)
	}
}

// get sends one HTTP/1.0 request to the proxy and checks the answer.
func get(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

// TestKeepaliveAcrossReload: requests share one pooled upstream
// connection; a reload closes the old configuration's idle connections
// (nginx's old worker exits), and a graceful shutdown closes the new
// ones.
func TestKeepaliveAcrossReload(t *testing.T) {
	be := startKABackend(t)
	addr := "127.0.0.1:" + freePort(t)
	conf := fmt.Sprintf(`    upstream ka { server %s; keepalive 4; }
    server {
        listen %s;
        location / { proxy_pass http://ka; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
`, be.ln.Addr(), addr)
	log, _ := testLog(t)
	s := New(load(t, conf), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	for i := 0; i < 3; i++ {
		get(t, addr)
	}
	if n := be.count(); n != 1 {
		t.Fatalf("3 requests used %d upstream connections, want 1 (keepalive)", n)
	}
	if err := s.Reload(load(t, conf)); err != nil {
		t.Fatal(err)
	}
	be.waitClosed(t, "reload")
	get(t, addr)
	get(t, addr)
	if n := be.count(); n != 2 {
		t.Fatalf("%d upstream connections after the reload, want 2", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	be.waitClosed(t, "shutdown")
	<-done
}
