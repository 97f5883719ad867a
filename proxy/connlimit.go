package proxy

import (
	"cmp"
	goruntime "runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// worker_connections, as one process keeps it.
//
// Each nginx worker has worker_connections connection slots, taken by its
// listening sockets, its channel to the master, client connections and
// upstream connections. When a new connection finds few slots free
// (ngx_drain_connections: a sixteenth or less), the worker closes some of
// its "reusable" connections first — those waiting for a request, oldest
// first — with a [warn] at most once a second; when none is free, it logs
// "worker_connections are not enough" at [alert] and closes the new one.
// That is also nginx's answer to a flood of idle connections: they make
// room for new clients instead of taking the last descriptors.
//
// nginxws keeps worker_processes × worker_connections slots (auto: one
// worker per CPU), less each worker's listening sockets and channel. It
// counts client connections and the upstream side of WebSocket tunnels;
// the upstream connections of plain requests are not counted (they are
// short, and pooled ones are held by the upstream package), so nginxws
// lets a few more connections in than nginx would under that load.
//
// Whether a connection waits for a request is an atomic of its own
// (conn.waiting), set and cleared without a lock on the request path; the
// live connections are scanned for the oldest waiting ones only when
// slots run short.

// slotCapacity is the slots a configuration gives clients and tunnels.
func slotCapacity(cfg *directives.Config) int {
	workers := cfg.Main.WorkerProcesses
	if workers == 0 {
		workers = goruntime.NumCPU()
	}
	per := cfg.Events.WorkerConnections - len(cfg.Listeners()) - 1
	return max(workers*max(per, 1), 1)
}

// connSlots counts the connection slots in use. The zero value is ready.
type connSlots struct {
	mu   sync.Mutex
	used int
	// warned is the unix second of the last "reusing connections" line.
	warned int64
}

// takeSlot reserves a slot for a new client connection, closing idle
// connections that wait for a request if slots run short. It reports
// false, with nginx's alert logged, when no slot is left.
func (s *Server) takeSlot() bool {
	rt := s.rt.Load()
	capacity, perWorker := rt.slotCap, rt.cfg.Events.WorkerConnections
	cs := &s.slots
	cs.mu.Lock()
	free := capacity - cs.used
	if free <= capacity/16 {
		if reused := s.reuseIdle(); reused > 0 {
			cs.used -= reused
			if now := time.Now().Unix(); cs.warned != now {
				cs.warned = now
				s.log.Warn().Msg(strconv.Itoa(perWorker) + " worker_connections are not enough, reusing connections")
			}
		}
	}
	ok := cs.used < capacity
	if ok {
		cs.used++
	}
	cs.mu.Unlock()
	if !ok {
		s.log.Alert().Msg(strconv.Itoa(perWorker) + " worker_connections are not enough")
	}
	return ok
}

// addSlot counts one more connection without a check: a tunnel's upstream
// side, connected already.
func (s *Server) addSlot() {
	s.slots.mu.Lock()
	s.slots.used++
	s.slots.mu.Unlock()
}

// giveSlots returns n slots.
func (s *Server) giveSlots(n int) {
	s.slots.mu.Lock()
	s.slots.used -= n
	s.slots.mu.Unlock()
}

// reuseIdle closes the oldest connections waiting for a request, as many
// as ngx_drain_connections does (an eighth of them, 1 to 32), and returns
// how many. Their slots are free at once; they give none back when they
// end.
func (s *Server) reuseIdle() int {
	type waiter struct {
		c     *conn
		since int64
	}
	var ws []waiter
	s.connsMu.Lock()
	for c := range s.live {
		if since := c.waiting.Load(); since > 0 {
			ws = append(ws, waiter{c, since})
		}
	}
	s.connsMu.Unlock()
	if len(ws) == 0 {
		return 0
	}
	n := max(min(32, len(ws)/8), 1)
	slices.SortFunc(ws, func(a, b waiter) int { return cmp.Compare(a.since, b.since) })
	reused := 0
	for _, w := range ws {
		if reused == n {
			break
		}
		// Claimed only if it still waits: bytes that arrived meanwhile
		// made it busy.
		if w.c.waiting.CompareAndSwap(w.since, -1) {
			s.stats.waiting.Add(-1)
			// The socket: a connection in its TLS handshake has not
			// settled on what it reads from yet.
			_ = w.c.sock.Close()
			s.wakeParked(w.c)
			reused++
		}
	}
	return reused
}

// setWaiting marks c as waiting for a request (reusable) from now; a
// connection claimed for reuse stays claimed.
func (c *conn) setWaiting() {
	if v := c.waiting.Load(); v == 0 && c.waiting.CompareAndSwap(0, time.Now().UnixNano()) {
		c.s.stats.waiting.Add(1)
	}
}

// clearWaiting marks c busy: bytes of a request arrived, or it closes.
func (c *conn) clearWaiting() {
	if v := c.waiting.Load(); v > 0 && c.waiting.CompareAndSwap(v, 0) {
		c.s.stats.waiting.Add(-1)
	}
}

// wasReused reports whether c was closed to free its slot.
func (c *conn) wasReused() bool { return c.waiting.Load() < 0 }
