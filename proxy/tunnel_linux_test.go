//go:build linux

package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	goruntime "runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestPipePoolBound: at most maxPipes pipes are lent at once; pipes given
// back or discarded make room again, and the pool keeps at most
// maxIdlePipes of them open.
func TestPipePoolBound(t *testing.T) {
	noLeaks(t)
	basePipes := countFDs(t, "pipe:")
	var pp pipePool
	lent := make([]*splicePipe, 0, maxPipes)
	for range maxPipes {
		p, err := pp.get()
		if err != nil {
			t.Fatalf("pipe %d of %d: %v", len(lent)+1, maxPipes, err)
		}
		lent = append(lent, p)
	}
	if _, err := pp.get(); !errors.Is(err, errNoPipe) {
		t.Fatalf("pipe %d: %v, want errNoPipe", maxPipes+1, err)
	}
	pp.discard(lent[0])
	pp.put(lent[1])
	lent = lent[2:]
	for range 2 {
		p, err := pp.get()
		if err != nil {
			t.Fatalf("after two came back: %v", err)
		}
		lent = append(lent, p)
	}
	for _, p := range lent {
		pp.put(p)
	}
	if n := countFDs(t, "pipe:") - basePipes; n != 2*maxIdlePipes {
		t.Errorf("%d pipe descriptors open with every pipe back, want %d", n, 2*maxIdlePipes)
	}
	pp.drain()
	if n := countFDs(t, "pipe:") - basePipes; n != 0 {
		t.Errorf("%d pipe descriptors open after drain", n)
	}
}

// TestTunnelNoPipes: with every splice pipe lent, bulk transfers are
// copied through buffers and arrive whole.
func TestTunnelNoPipes(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")
	pipes := &e.s.tunnels.pipes
	var lent []*splicePipe
	for {
		p, err := pipes.get()
		if err != nil {
			break
		}
		lent = append(lent, p)
	}
	defer func() {
		for _, p := range lent {
			pipes.put(p)
		}
	}()
	c := e.dial(t, "/echo", nil)
	echoOnce(t, c, pattern(4<<20, false))
	if st := e.s.Tunnels(); st.InFlight != 0 {
		t.Errorf("%d tunnels hold a buffer after the echo", st.InFlight)
	}
}

// TestTunnelMoveBudget: a direction that has more to move than its budget
// stops there and is posted to go on after the batch, so that a fast
// stream does not hold up the loop's other tunnels; its turns go on until
// the source is drained, every byte in order.
func TestTunnelMoveBudget(t *testing.T) {
	noLeaks(t)
	// A loop without its goroutine: the test takes the turns.
	l := &tunnelLoop{bufs: &bufPool{}, pipes: &pipePool{}, scratch: make([]byte, copySize), budget: 64 << 10}
	// client <-> proxy's client side, proxy's upstream side <-> upstream.
	cl, pc := socketPair(t)
	pu, up := socketPair(t)
	tn := &tunnel{}
	tn.ev.fd = [2]int{pc, pu}
	tn.ev.flags = [2]uint8{sockWritable, sockWritable}
	// The client's bytes are all waiting before the first turn: three
	// budgets' worth.
	msg := pattern(3*int(l.budget), false)
	if n, err := syscall.Write(cl, msg); n != len(msg) {
		t.Fatalf("client wrote %d of %d B: %v", n, len(msg), err)
	}
	got := make([]byte, 0, len(msg))
	buf := make([]byte, 256<<10)
	posts := 0
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < len(msg) && time.Now().Before(deadline) {
		tn.ev.flags[0] |= sockReadable
		before := tn.ev.dir[toUpstream].moved
		if !tn.move(l, toUpstream) {
			t.Fatal("the tunnel ended")
		}
		moved := tn.ev.dir[toUpstream].moved
		if turn := moved - before; turn > l.budget+pipeSize {
			t.Fatalf("one turn moved %d B, past the budget of %d B", turn, l.budget)
		}
		for int64(len(got)) < moved {
			n, err := syscall.Read(up, buf)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:n]...)
		}
		if len(l.posted) > 0 {
			if l.posted[0] != tn || len(l.posted) != 1 {
				t.Fatalf("posted %v, want the tunnel once", l.posted)
			}
			l.posted, tn.ev.posted = l.posted[:0], false
			posts++
		}
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("%d B arrived, want the %d B sent, in order", len(got), len(msg))
	}
	if posts == 0 {
		t.Errorf("%d B moved with a budget of %d B, and the tunnel was never posted", len(msg), l.budget)
	}
	for _, fd := range []int{cl, pc, pu, up} {
		_ = syscall.Close(fd)
	}
	if d := &tn.ev.dir[toUpstream]; d.buf != nil {
		l.bufs.put(d.buf)
	}
	if d := &tn.ev.dir[toUpstream]; d.pipe != nil {
		l.pipes.discard(d.pipe)
	}
	l.pipes.drain()
}

// socketPair returns a connected pair of non-blocking stream sockets with
// buffers large enough for the tests' messages.
func socketPair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4<<20)
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<20)
	}
	return fds[0], fds[1]
}

// TestTunnelLoopPlacement: tunnels go to the loops in turn, loopBlock at
// a time (nginx's ngx_reorder_accept_events), a loop starting when its
// first tunnel comes, never more loops than the limit; tunnels on each
// echo.
func TestTunnelLoopPlacement(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")
	ts := &e.s.tunnels
	ts.mu.Lock()
	ts.maxLoops = 2
	ts.mu.Unlock()

	var order []*tunnelLoop
	for range 2*loopBlock + loopBlock/2 {
		ts.mu.Lock()
		before := make(map[*tunnel]bool, len(ts.live))
		for tn := range ts.live {
			before[tn] = true
		}
		ts.mu.Unlock()
		c := e.dial(t, "/echo", nil)
		echoOnce(t, c, []byte("placed"))
		ts.mu.Lock()
		for tn := range ts.live {
			if !before[tn] {
				order = append(order, tn.ev.loop)
			}
		}
		ts.mu.Unlock()
	}
	if len(order) != 2*loopBlock+loopBlock/2 {
		t.Fatalf("%d tunnels found in the registry", len(order))
	}
	first, second := order[0], order[loopBlock]
	if first == second {
		t.Fatal("the tunnel after the first block went to the first loop")
	}
	for i, l := range order {
		want := first
		if i/loopBlock%2 == 1 {
			want = second
		}
		if l != want {
			t.Errorf("tunnel %d went to the wrong loop (want the %s)", i, map[bool]string{true: "first", false: "second"}[want == first])
		}
	}
	ts.mu.Lock()
	n := len(ts.loops)
	ts.mu.Unlock()
	if n != 2 {
		t.Errorf("%d loops, want 2", n)
	}
}

// TestTunnelIdleCost: idle tunnels hold no goroutine (the event loops'
// few goroutines serve them all), no buffer and no pipe, whatever they
// moved before (here a bulk message, which borrows a pipe); pipes in use
// do not grow with the number of tunnels.
func TestTunnelIdleCost(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	e := startTunnelProxy(t, be.addr(), "")
	basePipes := countFDs(t, "pipe:")
	// The first tunnel starts the loops; the goroutines counted from then
	// on are the clients' and the backend's, and the tunnels' if any.
	first := e.dial(t, "/echo", nil)
	echoOnce(t, first, pattern(10, false))
	baseG := goruntime.NumGoroutine()
	const n = 50
	for i := range n {
		c := e.dial(t, "/echo", nil)
		echoOnce(t, c, pattern(100000, false))
		_ = i
	}
	// Each backend connection has a goroutine of its own (net/http's
	// conn, running the echo handler); the clients have none while they
	// do not read. A proxy goroutine per tunnel direction would add 2
	// more per tunnel.
	if g := goruntime.NumGoroutine() - baseG; g > 2*n {
		t.Errorf("%d goroutines for %d idle tunnels", g, n)
	}
	if got := tunnelGoroutines(); got != 0 {
		t.Errorf("%d tunnels run on goroutines", got)
	}
	if st := e.s.Tunnels(); st.Open != n+1 || st.InFlight != 0 {
		t.Errorf("tunnel stats %+v, want %d open, none in flight", st, n+1)
	}
	if p := countFDs(t, "pipe:") - basePipes; p > maxIdlePipes {
		t.Errorf("%d pipes open for %d idle tunnels", p, n)
	}
}

// TestTunnelChaos runs many tunnels at once, each ending its own way —
// a full echo then a close, a half-close, a client reset, an upstream
// reset, an upstream FIN mid-stream, a client gone at once — and checks
// that every byte that should arrive does, that no tunnel hangs, and that
// nothing is left once they are over: no tunnel, no buffer, no pipe.
func TestTunnelChaos(t *testing.T) {
	noLeaks(t)
	up := rawBackend(t, func(c net.Conn, br *bufio.Reader, head string) {
		// Copies through plain Read and Write: Go would splice between
		// the sockets through pipes of its own, which the test counts.
		w, r := struct{ io.Writer }{c}, struct{ io.Reader }{br}
		if _, err := io.WriteString(c, resp101); err != nil {
			return
		}
		switch {
		case strings.HasPrefix(head, "GET /rst "):
			_, _ = io.CopyN(io.Discard, r, 1000)
			_ = c.(*net.TCPConn).SetLinger(0)
		case strings.HasPrefix(head, "GET /fin "):
			// The first 1000 bytes back, then a FIN (the rest is
			// read, so that closing sends no reset).
			_, _ = io.CopyN(w, r, 1000)
			_ = c.(*net.TCPConn).CloseWrite()
			_, _ = io.Copy(io.Discard, r)
		default:
			// Echo, and pass the client's FIN back once all is echoed.
			_, _ = io.Copy(w, r)
			_ = c.(*net.TCPConn).CloseWrite()
			_, _ = io.Copy(io.Discard, r)
		}
	})
	e := startTunnelProxy(t, up, "")
	basePipes := countFDs(t, "pipe:")
	const n = 120
	modes := []string{"echo", "halfclose", "clientrst", "rst", "fin", "gone"}
	rng := mathrand.New(mathrand.NewPCG(5, 7))
	sizes := make([]int, n)
	for i := range sizes {
		sizes[i] = 1 + rng.IntN(300<<10)
	}
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		mode := modes[i%len(modes)]
		path := "/echo"
		if mode == "rst" || mode == "fin" {
			path = "/" + mode
		}
		c, br, head := e.rawUpgrade(t, strings.Replace(wsRequest, "GET /ws ", "GET "+path+" ", 1))
		if !strings.HasPrefix(head, "HTTP/1.1 101 ") {
			t.Fatalf("tunnel %d: %q", i, head)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := chaosClient(c.(*net.TCPConn), br, mode, pattern(sizes[i], false)); err != nil {
				errs <- fmt.Errorf("tunnel %d (%s, %d B): %w", i, mode, sizes[i], err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	waitTunnels(t, e.s, 0)
	if st := e.s.Tunnels(); st.InFlight != 0 {
		t.Errorf("%d tunnels in flight after all ended", st.InFlight)
	}
	if p := countFDs(t, "pipe:") - basePipes; p > 2*maxIdlePipes {
		t.Errorf("%d pipe descriptors open after the tunnels ended", p)
	}
}
