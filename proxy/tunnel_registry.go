package proxy

import (
	goruntime "runtime"
	"sync"
)

// tunnelSet is a Server's registry of live WebSocket tunnels: counted per
// upstream peer (the figure least_conn and max_conns weigh, and metrics
// show), closed together when a graceful shutdown runs out of time, and
// the owner of what tunnels share: the event loops and the pool of splice
// pipes. The zero value is ready to use.
type tunnelSet struct {
	mu     sync.Mutex
	live   map[*tunnel]struct{}
	peers  map[string]int
	closed bool
	// loops are the event loops, started as tunnels need them, at most
	// one per processor (tunnelSet.loop), and placed counts the tunnels
	// given to them; loopsFailed records that the first could not be
	// created (tunnels then run on goroutines).
	loops       []*tunnelLoop
	placed      int
	loopsFailed bool
	// maxLoops caps the loops (0: one per processor; tests set it).
	maxLoops int

	pipes pipePool
}

// TunnelStats is a snapshot of a Server's live WebSocket tunnels.
type TunnelStats struct {
	// Open is the number of live tunnels.
	Open int
	// InFlight is the number of tunnels holding a buffer or a pipe (bytes
	// their destination has not taken yet); idle tunnels hold none.
	InFlight int
	// PerPeer counts them by upstream peer, named as in $upstream_addr
	// ("127.0.0.1:9001", "unix:/run/app.sock").
	PerPeer map[string]int
}

// Tunnels returns how many WebSocket tunnels are open, in all and per
// upstream peer.
func (s *Server) Tunnels() TunnelStats {
	ts := &s.tunnels
	ts.mu.Lock()
	st := TunnelStats{Open: len(ts.live), PerPeer: make(map[string]int, len(ts.peers))}
	for p, n := range ts.peers {
		st.PerPeer[p] = n
	}
	loops := ts.loops
	ts.mu.Unlock()
	for _, l := range loops {
		st.InFlight += l.stats()
	}
	st.InFlight += ts.plainInFlight()
	return st
}

// TunnelsTo returns how many WebSocket tunnels to peer are open.
func (s *Server) TunnelsTo(peer string) int {
	ts := &s.tunnels
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.peers[peer]
}

// add registers a tunnel that is about to start; it reports false once
// the set is closed (the server has stopped).
func (ts *tunnelSet) add(t *tunnel) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.closed {
		return false
	}
	if ts.live == nil {
		ts.live = map[*tunnel]struct{}{}
		ts.peers = map[string]int{}
	}
	ts.live[t] = struct{}{}
	ts.peers[t.peer]++
	return true
}

// remove forgets an ended tunnel.
func (ts *tunnelSet) remove(t *tunnel) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if _, ok := ts.live[t]; !ok {
		return
	}
	delete(ts.live, t)
	if ts.peers[t.peer]--; ts.peers[t.peer] <= 0 {
		delete(ts.peers, t.peer)
	}
}

// Where a new tunnel goes: to the event loops in turn, sixteen tunnels
// at a time, as nginx 1.22's workers take connections: with
// EPOLLEXCLUSIVE the first worker would accept them all, so each re-adds
// its listening socket every 16 connections (ngx_reorder_accept_events),
// and the next worker takes the next ones. Tunnels stay on their loop for
// life, as a connection stays with its worker; dealing them out by count
// keeps tunnels that are opened while idle and turn busy together spread
// over every processor, where placing them by the loops' load at the
// time would put them all on one.
const loopBlock = 16

// loop returns the event loop a new tunnel goes to, starting one when
// needed; nil when there is none (the set is closed, the platform has no
// loops, or they could not be created).
func (ts *tunnelSet) loop(bufs *bufPool) *tunnelLoop {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.closed || ts.loopsFailed {
		return nil
	}
	limit := ts.maxLoops
	if limit == 0 {
		limit = goruntime.GOMAXPROCS(0)
	}
	i := ts.placed / loopBlock % limit
	ts.placed++
	if i < len(ts.loops) {
		return ts.loops[i]
	}
	l, err := newTunnelLoop(bufs, &ts.pipes)
	if err != nil {
		if len(ts.loops) == 0 {
			ts.loopsFailed = true
			return nil
		}
		// A loop that could not be started is stood in for by those
		// that were, in turn.
		return ts.loops[i%len(ts.loops)]
	}
	ts.loops = append(ts.loops, l)
	return l
}

// closeAll ends every live tunnel at once, without a log line, as nginx's
// worker does when worker_shutdown_timeout expires, and refuses new ones.
func (ts *tunnelSet) closeAll() {
	ts.mu.Lock()
	ts.closed = true
	live := make([]*tunnel, 0, len(ts.live))
	for t := range ts.live {
		live = append(live, t)
	}
	ts.mu.Unlock()
	for _, t := range live {
		t.close()
	}
}

// stop refuses new tunnels and stops the event loops; the server calls it
// once every connection has ended.
func (ts *tunnelSet) stop() {
	ts.mu.Lock()
	ts.closed = true
	loops := ts.loops
	ts.loops = nil
	ts.mu.Unlock()
	for _, l := range loops {
		l.stop()
	}
	ts.pipes.drain()
}

// plainInFlight counts the tunnels run by goroutines: each holds a buffer
// while its goroutines live.
func (ts *tunnelSet) plainInFlight() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := 0
	for t := range ts.live {
		if t.engine.Load() == enginePlain {
			n++
		}
	}
	return n
}
