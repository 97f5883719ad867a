package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWorkerConnectionsReuse: with worker_connections 10 (one worker, one
// listening socket, the channel: 8 slots for clients), 14 connections that
// send nothing make room for each other as nginx 1.22 does — measured
// side by side: the 6 oldest are closed without a word, the 8 newest are
// served, and one [warn] says so.
func TestWorkerConnectionsReuse(t *testing.T) {
	lines := reuseScenario(t, "", "")
	var warns []string
	for _, l := range lines {
		if strings.HasPrefix(l, "[warn]") || strings.HasPrefix(l, "[alert]") || strings.Contains(l, "closed") {
			warns = append(warns, l)
		}
	}
	if want := "[warn] 10 worker_connections are not enough, reusing connections"; len(warns) != 1 || warns[0] != want {
		t.Errorf("error log: %q, want only %q", warns, want)
	}
}

// reuseScenario runs the reuse measured side by side: a server listening
// with listenParams on worker_connections 10 (8 slots for clients), 14
// connections that send nothing; the 6 oldest must be closed without a
// word, the 8 newest served when they send preface and a request. It
// returns the error log's lines.
func reuseScenario(t *testing.T, listenParams, preface string) []string {
	t.Helper()
	noLeaks(t)
	port := freePort(t)
	log, lines := testLog(t)
	s := New(loadEvents(t, "worker_connections 10;", servers("127.0.0.1:"+port+listenParams)), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	conns := make([]net.Conn, 14)
	for i := range conns {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	// The sixth is the last one reused, when the fourteenth came.
	for i, c := range conns[:6] {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("connection %d: %d B, %v; want it closed to make room", i, n, err)
		}
	}
	for i, c := range conns[6:] {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, preface+"GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatalf("connection %d: %v", i+6, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d: %v %v, want 200", i+6, resp, err)
		}
		resp.Body.Close()
	}
	return lines()
}

// TestWorkerConnectionsTunnels: a tunnel takes two slots (its client and
// its upstream); with every slot taken by tunnels, none waiting for a
// request, a new connection is closed with nginx's [alert], and once a
// tunnel ends, the next one is served.
func TestWorkerConnectionsTunnels(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	// 6 slots, less the listening socket and the channel: two tunnels.
	e := startTunnelProxyEvents(t, be.addr(), "", "worker_connections 6;")
	first := e.dial(t, "/echo", nil)
	e.dial(t, "/echo", nil)
	waitEngines(t, e.s, 2)
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("a connection past the slots: %d B, %v; want it closed", n, err)
	}
	logged(t, e.lines, `^\[alert\] 6 worker_connections are not enough$`)
	// stub_status: the refused connection was accepted, not handled.
	if a, h := e.s.stats.accepted.Load(), e.s.stats.handled.Load(); a != 3 || h != 2 {
		t.Errorf("accepted %d, handled %d; want 3 and 2", a, h)
	}
	first.Close()
	waitTunnels(t, e.s, 1)
	// The slots come back as the tunnel's end is finalized.
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := &e.s.slots
		s.mu.Lock()
		used := s.used
		s.mu.Unlock()
		if used == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d slots used with one tunnel left, want 2", used)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.dial(t, "/echo", nil)
}

// waitEngines waits until n tunnels are live and each has been handed to
// an engine (its upstream side then counts against worker_connections).
func waitEngines(t *testing.T, s *Server, n int) {
	t.Helper()
	ready := 0
	eventually(t, 5*time.Second, func() bool {
		s.tunnels.mu.Lock()
		defer s.tunnels.mu.Unlock()
		ready = 0
		for tn := range s.tunnels.live {
			if tn.engine.Load() != engineNone {
				ready++
			}
		}
		return ready == n
	}, func() string { return fmt.Sprintf("%d of %d tunnels handed to an engine", ready, n) })
}

// TestWorkerConnectionsBusyNotReused: a connection whose request is being
// served is not reusable, however long ago it was accepted — nginx marks
// it busy (ngx_reusable_connection(c, 0)) as soon as its first bytes are
// read. With the 8 client slots of worker_connections 10, a request that
// waits for its upstream, then 9 connections that send nothing: the
// oldest idle one is closed to make room, and the request gets its whole
// response.
func TestWorkerConnectionsBusyNotReused(t *testing.T) {
	noLeaks(t)
	got, release := make(chan struct{}, 1), make(chan struct{})
	up := rawBackend(t, func(c net.Conn, _ *bufio.Reader, _ string) {
		got <- struct{}{}
		<-release
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nslow\n")
	})
	port := freePort(t)
	log, lines := testLog(t)
	s := New(loadEvents(t, "worker_connections 10;",
		"server { listen 127.0.0.1:"+port+"; location / { proxy_pass http://"+up+"; } }"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	busy, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	// The whole head in one write: the proxy reads it in one read.
	if _, err := io.WriteString(busy, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not reach the upstream")
	}
	idle := make([]net.Conn, 9)
	for i := range idle {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle[i] = c
	}
	_ = idle[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := idle[0].Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("oldest idle connection: %d B, %v; want it closed to make room", n, err)
	}
	close(release)
	_ = busy.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil {
		t.Fatalf("the busy connection: %v; want its response", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "slow\n" || err != nil {
		t.Fatalf("the busy connection: %d %q %v", resp.StatusCode, body, err)
	}
	logged(t, lines, `^\[warn\] 10 worker_connections are not enough, reusing connections$`)
}
