package proxy

import (
	"sync"
	"time"
)

// defaultParkAfter is how long a tunnel direction's goroutine waits for
// more bytes before it hands its socket to the readiness loop and ends.
// Busy tunnels (a chat, a game) keep their goroutines and never pay the
// hand-over; quiet ones cost no goroutine. It mirrors idleHandoff for
// keepalive connections.
const defaultParkAfter = 250 * time.Millisecond

// tunnelSet is a Server's registry of live WebSocket tunnels: counted per
// upstream peer (the figure least_conn and max_conns weigh, and metrics
// show), closed together when a graceful shutdown runs out of time, and
// the owner of what tunnels share: the readiness loop idle directions park
// in and the pool of splice pipes. The zero value is ready to use.
type tunnelSet struct {
	mu     sync.Mutex
	live   map[*tunnel]struct{}
	peers  map[string]int
	closed bool
	// poll is the readiness loop, started with the first tunnel that
	// parks; pollFailed records that it could not be created (the
	// tunnels then keep their goroutines).
	poll       *tunnelPoller
	pollFailed bool

	// parkAfter overrides defaultParkAfter (tests); negative never parks.
	parkAfter time.Duration

	pipes pipePool
}

// TunnelStats is a snapshot of a Server's live WebSocket tunnels.
type TunnelStats struct {
	// Open is the number of live tunnels.
	Open int
	// PerPeer counts them by upstream peer, named as in $upstream_addr
	// ("127.0.0.1:9001", "unix:/run/app.sock").
	PerPeer map[string]int
}

// Tunnels returns how many WebSocket tunnels are open, in all and per
// upstream peer.
func (s *Server) Tunnels() TunnelStats {
	ts := &s.tunnels
	ts.mu.Lock()
	defer ts.mu.Unlock()
	st := TunnelStats{Open: len(ts.live), PerPeer: make(map[string]int, len(ts.peers))}
	for p, n := range ts.peers {
		st.PerPeer[p] = n
	}
	return st
}

// TunnelsTo returns how many WebSocket tunnels to peer are open.
func (s *Server) TunnelsTo(peer string) int {
	ts := &s.tunnels
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.peers[peer]
}

// parkDelay is how long a direction waits before parking (<= 0: never).
func (ts *tunnelSet) parkDelay() time.Duration {
	if ts.parkAfter == 0 {
		return defaultParkAfter
	}
	return ts.parkAfter
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

// poller returns the readiness loop, starting it on first use; nil when
// it cannot run (the set is closed, or the platform has none).
func (ts *tunnelSet) poller() *tunnelPoller {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.poll != nil || ts.closed || ts.pollFailed {
		return ts.poll
	}
	p, err := newTunnelPoller()
	if err != nil {
		ts.pollFailed = true
		return nil
	}
	ts.poll = p
	return p
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
		t.fail(levelInfo, "", "")
	}
}

// stop refuses new tunnels and stops the readiness loop; the server calls
// it once every connection has ended.
func (ts *tunnelSet) stop() {
	ts.mu.Lock()
	ts.closed = true
	p := ts.poll
	ts.poll = nil
	ts.mu.Unlock()
	if p != nil {
		p.stop()
	}
	ts.pipes.drain()
}
