package upstream

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// backend is a listener that keeps every accepted connection, so that a
// test can see which connections the pool opened, closed or reused.
type backend struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	added chan struct{}
}

func newBackend(t *testing.T) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{ln: ln, added: make(chan struct{}, 100)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			b.added <- struct{}{}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
	})
	return b
}

func (b *backend) addr() string { return b.ln.Addr().String() }

// conn waits for the i-th accepted connection.
func (b *backend) conn(t *testing.T, i int) net.Conn {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		b.mu.Lock()
		if i < len(b.conns) {
			c := b.conns[i]
			b.mu.Unlock()
			return c
		}
		b.mu.Unlock()
		select {
		case <-b.added:
		case <-deadline:
			t.Fatalf("connection %d never accepted", i)
		}
	}
}

func (b *backend) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns)
}

// closedByPeer reports whether the backend's side of c saw the proxy
// close it, waiting up to a few seconds (io.Copy reports a clean end of
// stream as no error).
func closedByPeer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, c) // what the proxy wrote, then the end
	return err == nil
}

func keepaliveGroup(t *testing.T, c *clock, n int, addrs ...string) *Group {
	u := &directives.Upstream{Name: "ka", Keepalive: n, KeepaliveTimeout: time.Minute, KeepaliveRequests: 1000, KeepaliveTime: time.Hour}
	for _, a := range addrs {
		u.Servers = append(u.Servers, srv(a))
	}
	now := time.Now
	if c != nil {
		now = c.now
	}
	g := NewGroup(u, Options{Now: now})
	t.Cleanup(g.Close)
	return g
}

// use runs one request on g: pick, connect, release the connection with
// reuse, release the peer. It returns the connection and whether it was
// pooled.
func use(t *testing.T, g *Group, reuse bool) (*Conn, bool) {
	t.Helper()
	var a Attempt
	a.Start(g, Start{})
	if _, err := a.Pick(); err != nil {
		t.Fatal(err)
	}
	c, err := a.Connect(time.Second, false)
	if err != nil {
		t.Fatal(err)
	}
	cached := a.Cached()
	c.Release(reuse)
	a.Release(Done)
	return c, cached
}

func TestPoolReuse(t *testing.T) {
	b := newBackend(t)
	g := keepaliveGroup(t, nil, 2, b.addr())
	c1, cached := use(t, g, true)
	if cached || c1.Requests() != 1 {
		t.Fatalf("first request: cached %v, requests %d", cached, c1.Requests())
	}
	if _, err := c1.Write([]byte("abc")); err != nil || c1.Sent() != 3 {
		t.Fatalf("Write: %v, Sent %d", err, c1.Sent())
	}
	c2, cached := use(t, g, true)
	if c2.Sent() != 0 {
		t.Fatalf("a pooled connection starts with Sent %d, want 0", c2.Sent())
	}
	if !cached || c2 != c1 || c2.Requests() != 2 {
		t.Fatalf("second request: cached %v, same %v, requests %d", cached, c2 == c1, c2.Requests())
	}
	c3, cached := use(t, g, false)
	if !cached || c3 != c1 {
		t.Fatal("third request did not reuse")
	}
	if !closedByPeer(b.conn(t, 0)) {
		t.Fatal("a connection released without reuse was not closed")
	}
	if _, cached := use(t, g, true); cached {
		t.Fatal("a closed connection came from the pool")
	}
	b.conn(t, 1)
	if n := b.count(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// TestPoolPerPeer: a connection serves only its own peer, most recently
// cached first.
// A request's deadlines (proxy_read_timeout, proxy_send_timeout) end with
// it: nginx deletes a cached connection's timers. One left on the socket
// passes while the connection waits, and the pool would then close it
// instead of handing it out.
func TestPoolClearsDeadlines(t *testing.T) {
	b := newBackend(t)
	g := keepaliveGroup(t, nil, 2, b.addr())
	var a Attempt
	a.Start(g, Start{})
	if _, err := a.Pick(); err != nil {
		t.Fatal(err)
	}
	c1, err := a.Connect(time.Second, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = c1.SetReadDeadline(time.Now().Add(time.Millisecond))
	_ = c1.SetWriteDeadline(time.Now().Add(time.Millisecond))
	c1.Release(true)
	a.Release(Done)
	time.Sleep(20 * time.Millisecond)
	c2, cached := use(t, g, true)
	if !cached || c2 != c1 {
		t.Fatalf("after the request's deadline passed: cached %v, same connection %v; want the pooled one", cached, c2 == c1)
	}
	if n := b.count(); n != 1 {
		t.Fatalf("backend accepted %d connections, want 1", n)
	}
}

func TestPoolPerPeer(t *testing.T) {
	b1, b2 := newBackend(t), newBackend(t)
	g := keepaliveGroup(t, nil, 4, b1.addr(), b2.addr())
	// Round robin: b1, b2, b1, b2 …
	x, _ := use(t, g, true)
	y, _ := use(t, g, true)
	if x == y {
		t.Fatal("two peers, one connection")
	}
	if c, cached := use(t, g, true); !cached || c != x {
		t.Fatal("b1's request did not get b1's connection")
	}
	if c, cached := use(t, g, true); !cached || c != y {
		t.Fatal("b2's request did not get b2's connection")
	}
}

// TestPoolEvictsLRU: keepalive N caps the idle connections of the whole
// group; the least recently used one goes.
func TestPoolEvictsLRU(t *testing.T) {
	b := newBackend(t)
	g := keepaliveGroup(t, nil, 2, b.addr())
	var held []*Attempt
	var conns []*Conn
	for i := 0; i < 3; i++ {
		a := &Attempt{}
		a.Start(g, Start{})
		a.Pick()
		c, err := a.Connect(time.Second, false)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, a)
		conns = append(conns, c)
	}
	for i, c := range conns {
		c.Release(true)
		held[i].Release(Done)
	}
	if n := g.Pool().Idle(); n != 2 {
		t.Fatalf("%d idle, want 2", n)
	}
	if !closedByPeer(b.conn(t, 0)) {
		t.Fatal("the least recently used connection was not closed")
	}
	if c, _ := use(t, g, true); c != conns[2] {
		t.Fatal("the most recently cached connection was not taken first")
	}
}

func TestPoolLimits(t *testing.T) {
	b := newBackend(t)
	c := newClock()
	u := &directives.Upstream{Name: "ka", Keepalive: 4, KeepaliveTimeout: time.Minute, KeepaliveRequests: 2, KeepaliveTime: 10 * time.Second, Servers: []*directives.UpstreamServer{srv(b.addr())}}
	g := NewGroup(u, Options{Now: c.now})
	defer g.Close()
	x, _ := use(t, g, true)
	if y, cached := use(t, g, true); !cached || y != x {
		t.Fatal("second request not on the pooled connection")
	}
	if g.Pool().Idle() != 0 {
		t.Fatal("a connection that served keepalive_requests was kept")
	}
	if !closedByPeer(b.conn(t, 0)) {
		t.Fatal("not closed after keepalive_requests")
	}
	use(t, g, true)
	c.add(11 * time.Second)
	use(t, g, true)
	if g.Pool().Idle() != 0 {
		t.Fatal("a connection older than keepalive_time was kept")
	}
}

func TestPoolIdleTimeout(t *testing.T) {
	b := newBackend(t)
	u := &directives.Upstream{Name: "ka", Keepalive: 4, KeepaliveTimeout: 50 * time.Millisecond, KeepaliveRequests: 100, KeepaliveTime: time.Hour, Servers: []*directives.UpstreamServer{srv(b.addr())}}
	g := NewGroup(u, Options{})
	defer g.Close()
	use(t, g, true)
	if !closedByPeer(b.conn(t, 0)) {
		t.Fatal("idle connection not closed after keepalive_timeout")
	}
	if g.Pool().Idle() != 0 {
		t.Fatal("expired connection still pooled")
	}
}

// TestPoolDropsClosed: a pooled connection the upstream closed, or sent
// data on, is not handed out.
func TestPoolDropsClosed(t *testing.T) {
	for _, how := range []string{"close", "data"} {
		t.Run(how, func(t *testing.T) {
			b := newBackend(t)
			g := keepaliveGroup(t, nil, 4, b.addr())
			x, _ := use(t, g, true)
			sc := b.conn(t, 0)
			if how == "close" {
				sc.Close()
			} else {
				sc.Write([]byte("x"))
			}
			// Readiness: the kernel has delivered the FIN or the byte.
			deadline := time.Now().Add(5 * time.Second)
			for x.probe.stillOpen() && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			y, cached := use(t, g, true)
			if cached || y == x {
				t.Fatal("a connection the upstream closed was reused")
			}
		})
	}
}

func TestGroupCloseEmptiesPool(t *testing.T) {
	b := newBackend(t)
	g := keepaliveGroup(t, nil, 4, b.addr())
	var a Attempt
	a.Start(g, Start{})
	a.Pick()
	inFlight, err := a.Connect(time.Second, false)
	if err != nil {
		t.Fatal(err)
	}
	use(t, g, true)
	g.Close()
	if !closedByPeer(b.conn(t, 1)) {
		t.Fatal("idle connection survived Close")
	}
	inFlight.Release(true)
	a.Release(Done)
	if !closedByPeer(b.conn(t, 0)) {
		t.Fatal("a connection released after Close was pooled")
	}
}

// TestConcurrentUse hammers a group from many goroutines (run with -race):
// every connection count returns to zero.
func TestConcurrentUse(t *testing.T) {
	for _, m := range []directives.Balancer{directives.BalanceRoundRobin, directives.BalanceLeastConn, directives.BalanceHash, directives.BalanceIPHash, directives.BalanceRandom} {
		u := ups(m, "a:1 weight=2", "b:1", "c:1 max_conns=3")
		u.HashConsistent = true
		g := NewGroup(u, Options{})
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var a Attempt
				for i := 0; i < 2000; i++ {
					a.Start(g, Start{Key: []byte{byte(i), byte(w)}, Next: directives.NextError})
					if _, err := a.Pick(); err != nil {
						continue
					}
					if i%7 == 0 {
						if retry, _, _ := a.Fail(FailError); retry {
							if _, err := a.Pick(); err == nil {
								a.Release(Done)
							}
						}
						continue
					}
					a.Release(Done)
				}
			}()
		}
		wg.Wait()
		for _, p := range g.Peers() {
			if n := g.State(p).Conns; n != 0 {
				t.Errorf("method %d: %s has %d connections", m, p.Name, n)
			}
		}
	}
}

// TestPoolWorkers: the pool holds keepalive × workers idle connections,
// what nginx's workers hold together.
func TestPoolWorkers(t *testing.T) {
	b := newBackend(t)
	u := &directives.Upstream{Name: "ka", Keepalive: 1, KeepaliveTimeout: time.Minute, KeepaliveRequests: 100, KeepaliveTime: time.Hour, Servers: []*directives.UpstreamServer{srv(b.addr())}}
	for _, workers := range []int{0, 1, 3} {
		g := NewGroup(u, Options{Workers: workers})
		var held []*Attempt
		var conns []*Conn
		for i := 0; i < 4; i++ {
			a := &Attempt{}
			a.Start(g, Start{})
			a.Pick()
			c, err := a.Connect(time.Second, false)
			if err != nil {
				t.Fatal(err)
			}
			held, conns = append(held, a), append(conns, c)
		}
		for i, c := range conns {
			c.Release(true)
			held[i].Release(Done)
		}
		if got, want := g.Pool().Idle(), max(workers, 1); got != want {
			t.Errorf("workers %d: %d idle, want %d", workers, got, want)
		}
		g.Close()
	}
}
