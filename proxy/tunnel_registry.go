package proxy

import (
	goruntime "runtime"
	"sync"
	"time"
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
	// one per processor (tunnelSet.loop); loopsFailed records that the
	// first could not be created (tunnels then run on goroutines).
	loops       []*tunnelLoop
	loopsFailed bool
	// maxLoops caps the loops (0: one per processor).
	maxLoops int
	// load is each loop's share of a processor over the last window
	// that ended at loadAt, when the loops had been busy for loadBusy.
	load     []float64
	loadBusy []time.Duration
	loadAt   time.Time

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

// Where a new tunnel goes: tunnels are packed onto as few event loops as
// keep up. A loop's tunnels share its wake-ups: when one wake-up finds
// the messages of twenty tunnels ready, the epoll_wait, the scheduling and
// the context switch are paid once for all twenty. Spreading tunnels over
// a loop per processor pays them per loop, and loops that are idle most
// of the time wake for every message: on two processors, 50 tunnels in
// ping-pong cost about 11 µs of CPU per round trip on two loops against
// 9 µs on one (make bench, row a). So a new tunnel goes to the first loop
// whose load over the last window was under packLoad, and a new loop is
// started only when every loop is busier than that; at the limit of one
// loop per processor, to the least busy.
//
// Tunnels stay on their loop for life, as a connection stays with its
// nginx worker: tunnels opened together while the loops were idle, then
// all busy at once, share one processor's worth of loop.
const (
	// packLoad is the share of a processor above which a loop takes no
	// more tunnels while another can.
	packLoad = 0.5
	// loadWindow is the shortest window a loop's load is measured over.
	loadWindow = 100 * time.Millisecond
)

// loop returns the event loop a new tunnel goes to, starting one when
// needed; nil when there is none (the set is closed, the platform has no
// loops, or they could not be created).
func (ts *tunnelSet) loop(bufs *bufPool) *tunnelLoop {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.closed || ts.loopsFailed {
		return nil
	}
	ts.measureLoad(time.Now())
	limit := ts.maxLoops
	if limit == 0 {
		limit = goruntime.GOMAXPROCS(0)
	}
	i := pickLoop(ts.load, limit)
	if i == len(ts.loops) {
		// The first loop waits in epoll_wait itself when that leaves a
		// processor free (tunnel_linux.go).
		waitsItself := i == 0 && goruntime.GOMAXPROCS(0) > 1
		l, err := newTunnelLoop(bufs, &ts.pipes, waitsItself)
		if err != nil {
			if len(ts.loops) == 0 {
				ts.loopsFailed = true
				return nil
			}
			return ts.loops[pickLoop(ts.load, len(ts.loops))]
		}
		ts.loops = append(ts.loops, l)
		ts.load = append(ts.load, 0)
		ts.loadBusy = append(ts.loadBusy, 0)
	}
	return ts.loops[i]
}

// measureLoad updates each loop's load once the window since loadAt has
// lasted loadWindow.
func (ts *tunnelSet) measureLoad(now time.Time) {
	window := now.Sub(ts.loadAt)
	if window < loadWindow {
		return
	}
	for i, l := range ts.loops {
		busy := l.busyTime()
		ts.load[i] = float64(busy-ts.loadBusy[i]) / float64(window)
		ts.loadBusy[i] = busy
	}
	ts.loadAt = now
}

// pickLoop returns the index of the loop a new tunnel goes to, given the
// loops' loads: the first under packLoad; else len(load), a new loop, if
// there may be limit loops; else the least busy.
func pickLoop(load []float64, limit int) int {
	for i, x := range load {
		if x < packLoad {
			return i
		}
	}
	if len(load) < limit {
		return len(load)
	}
	least := 0
	for i, x := range load {
		if x < load[least] {
			least = i
		}
	}
	return least
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
	ts.loops, ts.load, ts.loadBusy = nil, nil, nil
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
