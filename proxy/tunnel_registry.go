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
	// loops are the event loops (one per processor, started with the
	// first tunnel), taken in turn; loopsFailed records that they could
	// not be created (tunnels then run on goroutines).
	loops       []*tunnelLoop
	next        int
	loopsFailed bool

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

// loop returns the next event loop, starting the loops on first use; nil
// when there are none (the set is closed, the platform has none, or they
// could not be created).
func (ts *tunnelSet) loop(bufs *bufPool) *tunnelLoop {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.closed || ts.loopsFailed {
		return nil
	}
	if ts.loops == nil {
		for range goruntime.GOMAXPROCS(0) {
			l, err := newTunnelLoop(bufs, &ts.pipes)
			if err != nil {
				break
			}
			ts.loops = append(ts.loops, l)
		}
		if len(ts.loops) == 0 {
			ts.loopsFailed = true
			return nil
		}
	}
	l := ts.loops[ts.next%len(ts.loops)]
	ts.next++
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
