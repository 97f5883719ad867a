//go:build linux

package proxy

import (
	"errors"
	"testing"
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
