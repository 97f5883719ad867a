package upstream

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// ErrNoLive is Pick's error when every peer is down, failed, at
// max_conns or already tried by the request: nginx's "no live
// upstreams".
var ErrNoLive = errors.New("no live upstreams")

// Options tune a group for tests; the zero value is what nginxws runs
// with.
type Options struct {
	// Now is the clock (time.Now when nil). Failure windows count whole
	// seconds of it, as nginx's do.
	Now func() time.Time
	// Rand returns a uniformly random non-negative number, for the
	// random method (math/rand/v2 when nil).
	Rand func() uint64
	// Workers is how many nginx worker processes the configuration asks
	// for (worker_processes, 1 when 0). nginx keeps `keepalive N` idle
	// connections per worker; the one process here keeps N × Workers,
	// the same total.
	Workers int
}

// Group is a peer group: an upstream block, or the implicit group of a
// proxy_pass to host:port. It is safe for concurrent use; its peers'
// state is guarded by one mutex, held only while a peer is chosen or
// released.
type Group struct {
	name     string
	method   directives.Balancer
	key      *directives.Complex
	primary  *peerSet
	maxPeers int // the larger set's size: the tried bits needed

	consistent bool
	ring       ring // hash … consistent
	// ranges are the cumulative weights of the random method.
	ranges []int
	two    bool // random two

	pool *Pool // keepalive; nil without

	now  func() time.Time
	rand func() uint64

	mu sync.Mutex
}

// NewGroup builds the group of a compiled upstream. A group without
// servers (which the configuration loader does not let through) has no
// peers and answers every Pick with ErrNoLive.
func NewGroup(u *directives.Upstream, opts Options) *Group {
	g := &Group{name: u.Name, method: u.Balancer, now: opts.Now, rand: opts.Rand}
	if g.now == nil {
		g.now = time.Now
	}
	if g.rand == nil {
		g.rand = rand.Uint64
	}
	g.primary = buildSet(u.Servers, false)
	if g.primary == nil {
		g.primary = &peerSet{}
	}
	if b := buildSet(u.Servers, true); b != nil {
		g.primary.backup = b
		g.primary.single = false
	}
	g.maxPeers = len(g.primary.peers)
	if b := g.primary.backup; b != nil && len(b.peers) > g.maxPeers {
		g.maxPeers = len(b.peers)
	}
	switch u.Balancer {
	case directives.BalanceHash:
		g.key = u.HashKey
		if u.HashConsistent {
			g.consistent = true
			g.ring = buildRing(g.primary.peers)
		}
	case directives.BalanceRandom:
		g.two = u.RandomTwo
		g.ranges = make([]int, len(g.primary.peers))
		total := 0
		for i, p := range g.primary.peers {
			g.ranges[i] = total
			total += p.Weight
		}
	}
	if u.Keepalive > 0 {
		g.pool = newPool(u, max(opts.Workers, 1), g.now)
	}
	return g
}

// NewAddrGroup is the one-peer group nginx makes for a request whose
// proxy_pass with variables names an address (ngx_http_upstream_create_round_robin_peer):
// weight 1, max_fails 1, fail_timeout 10s, no keepalive, state kept only
// as long as the group.
func NewAddrGroup(addr string) *Group {
	return NewGroup(&directives.Upstream{
		Name:     addr,
		Implicit: true,
		Servers:  []*directives.UpstreamServer{{Name: addr, Addrs: []string{addr}, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}},
	}, Options{})
}

// Name is the upstream block's name (or the implicit group's host), as
// $upstream_addr shows it when no peer was live.
func (g *Group) Name() string { return g.name }

// HashKey is the hash method's key, for the caller to evaluate per
// request; nil for the other methods.
func (g *Group) HashKey() *directives.Complex { return g.key }

// UsesClientAddr reports whether the group balances by client address
// (ip_hash).
func (g *Group) UsesClientAddr() bool { return g.method == directives.BalanceIPHash }

// Peers returns the primary peers then the backup ones, in
// configuration order.
func (g *Group) Peers() []*Peer {
	out := append([]*Peer(nil), g.primary.peers...)
	if b := g.primary.backup; b != nil {
		out = append(out, b.peers...)
	}
	return out
}

// State returns a snapshot of a peer's run-time state.
func (g *Group) State(p *Peer) PeerState {
	g.mu.Lock()
	defer g.mu.Unlock()
	return PeerState{
		CurrentWeight:   p.currentWeight,
		EffectiveWeight: p.effectiveWeight,
		Conns:           p.conns,
		Fails:           p.fails,
		Accessed:        p.accessed,
		Checked:         p.checked,
	}
}

// Close closes the group's idle keepalive connections and keeps those
// still in use from joining the pool: the group's configuration was
// replaced.
func (g *Group) Close() {
	if g.pool != nil {
		g.pool.close()
	}
}

// Pool is the group's keepalive pool, nil when the block has no
// keepalive directive.
func (g *Group) Pool() *Pool { return g.pool }

// nowSec is the clock in whole seconds (nginx's ngx_time()).
func (g *Group) nowSec() int64 { return g.now().Unix() }

// Start describes a request to its Attempt.
type Start struct {
	// Key is the evaluated hash key (hash method).
	Key []byte
	// Client is the client's address as the socket reports it (ip_hash):
	// IPv4 hashes its first three bytes, IPv6 (IPv4-mapped included) its
	// sixteen; an invalid address (a unix-socket client) hashes as three
	// zero bytes.
	Client netip.Addr
	// Next is proxy_next_upstream; Tries and Timeout are
	// proxy_next_upstream_tries and _timeout (0: no limit).
	Next    directives.NextUpstream
	Tries   int
	Timeout time.Duration
	// NonIdempotent is set for POST, LOCK and PATCH: once sent, such a
	// request is tried again only with proxy_next_upstream
	// non_idempotent.
	NonIdempotent bool
	// Counter, when set, numbers each new connection as its socket is
	// made, before it connects (nginx's ngx_connection_counter in
	// ngx_event_connect_peer, which $connection shows): a connection
	// from the keepalive pool takes no number.
	Counter *atomic.Uint64
	// Now is the request's start, when the caller has read the clock
	// already; otherwise the group's clock is read when a choice needs
	// it (a peer with failures, proxy_next_upstream_timeout). Like
	// nginx's cached time, it serves the request's first choice; a retry
	// reads the clock again.
	Now time.Time
}

// Attempt is one request's way through a group: nginx's per-request
// peer data (the tried peers, the hash position, the tries left). Its
// zero value is ready for Start; it may be reused for another request
// after Start, and must not be copied once started.
type Attempt struct {
	g   *Group
	set *peerSet
	// current is the peer chosen last and not yet released.
	current *Peer
	tried   []uint64
	buf     [2]uint64
	// tries is nginx's pc->tries: peers left to try.
	tries int

	// Balancer state across tries.
	key       []byte
	hash      uint32 // hash: the running sum; consistent: the ring index
	rehash    uint32
	hashTries int
	ip        [16]byte
	ipLen     int
	iphash    uint32

	// The request's policy (see Start).
	counter       *atomic.Uint64
	next          directives.NextUpstream
	timeout       time.Duration
	nonIdempotent bool
	start         time.Time
	// now is the clock in seconds for the current choice, read when
	// first needed (nowOK) unless the caller gave it.
	now    int64
	nowOK  bool
	digits [20]byte
	// sent and cached describe the current try (see MarkSent, Connect).
	sent, cached bool
	noBuffering  bool
}

// Start prepares a for a request to g (nginx's peer init and
// ngx_http_upstream_init_request's limits). It keeps Key, which must
// stay unchanged until the request ends.
func (a *Attempt) Start(g *Group, s Start) {
	// Field by field rather than a fresh value: the attempt is reused
	// per request, and this is the hot path.
	a.g, a.set, a.current = g, g.primary, nil
	a.key, a.hash, a.rehash, a.hashTries = s.Key, 0, 0, 0
	a.ipLen, a.iphash = 0, 89
	a.next, a.timeout, a.nonIdempotent = s.Next, s.Timeout, s.NonIdempotent
	a.counter = s.Counter
	a.sent, a.cached, a.noBuffering = false, false, false
	a.now, a.nowOK = 0, false
	tried := a.tried
	words := (g.maxPeers + 63) / 64
	switch {
	case words <= len(a.buf):
		a.buf = [len(a.buf)]uint64{}
		a.tried = a.buf[:words]
	case cap(tried) >= words:
		a.tried = tried[:words]
		clear(a.tried)
	default:
		a.tried = make([]uint64, words)
	}
	a.tries = g.primary.tries
	if b := g.primary.backup; b != nil {
		a.tries += b.tries
	}
	if s.Tries > 0 && a.tries > s.Tries {
		a.tries = s.Tries
	}
	a.start = s.Now
	if !a.start.IsZero() {
		a.now, a.nowOK = a.start.Unix(), true
	} else if s.Timeout > 0 {
		a.start = g.now()
	}
	switch {
	case g.method == directives.BalanceIPHash:
		switch c := s.Client; {
		case c.Is4():
			b := c.As4()
			a.ipLen = copy(a.ip[:], b[:3])
		case c.Is6():
			b := c.As16()
			a.ipLen = copy(a.ip[:], b[:])
		default:
			a.ip = [16]byte{}
			a.ipLen = 3
		}
	case g.consistent:
		a.hash = g.ring.find(crc32IEEE(s.Key))
	}
}

// clock is the time in seconds for the current choice (nginx's cached
// ngx_time()).
func (a *Attempt) clock() int64 {
	if !a.nowOK {
		a.now, a.nowOK = a.g.nowSec(), true
	}
	return a.now
}

// Group is the group the attempt was started on.
func (a *Attempt) Group() *Group { return a.g }

// Current is the peer chosen last and not yet released, or nil.
func (a *Attempt) Current() *Peer { return a.current }

// TriesLeft is how many peers may still be tried (nginx's pc->tries).
func (a *Attempt) TriesLeft() int { return a.tries }

// MarkSent records that the request started going to the current peer
// (nginx's u->request_sent); noBuffering says that its body is streamed
// from the client, so that it cannot be sent again.
func (a *Attempt) MarkSent(noBuffering bool) {
	a.sent = true
	a.noBuffering = noBuffering
}

// Cached reports whether the current connection came from the keepalive
// pool.
func (a *Attempt) Cached() bool { return a.cached }

// isTried and setTried keep the request's tried bits for the current set.
func (a *Attempt) isTried(i int) bool { return a.tried[i>>6]&(1<<(uint(i)&63)) != 0 }
func (a *Attempt) setTried(i int)     { a.tried[i>>6] |= 1 << (uint(i) & 63) }

// Pick chooses the next peer by the group's method, counts it as an
// active connection, and makes it current. It returns ErrNoLive when no
// peer may be tried.
func (a *Attempt) Pick() (*Peer, error) {
	g := a.g
	a.sent, a.cached, a.noBuffering = false, false, false
	g.mu.Lock()
	var p *Peer
	switch g.method {
	case directives.BalanceHash:
		if g.consistent {
			p = a.chash()
		} else {
			p = a.hashPick()
		}
	case directives.BalanceIPHash:
		p = a.ipHash()
	case directives.BalanceLeastConn:
		p = a.leastConn()
	case directives.BalanceRandom:
		if g.two {
			p = a.random2()
		} else {
			p = a.random()
		}
	default:
		p = a.roundRobin()
	}
	if p != nil && p.next != nil {
		// A request that started before a reload chose again: its
		// connection counts on the peer's newest incarnation.
		p.conns--
		ng, np := g.newest(p)
		np.conns++
		ng.mu.Unlock()
	} else {
		g.mu.Unlock()
	}
	if p == nil {
		return nil, ErrNoLive
	}
	return p, nil
}

// Outcome is how a try of a peer ended, for Release.
type Outcome int

// The outcomes nginx tells its balancers (NGX_PEER_*).
const (
	// Done: the peer answered (whatever the status).
	Done Outcome = iota
	// Failed: the peer failed; it counts toward max_fails.
	Failed
	// Next: the peer answered with a status proxy_next_upstream skips
	// (403, 404) without counting a failure.
	Next
)

// Held is a peer's active connection held past the request that chose
// the peer (a WebSocket tunnel): least_conn and max_conns count it until
// Release. It does not refer to the Attempt, which the request may reuse.
type Held struct {
	g      *Group
	p      *Peer
	single bool
}

// Hold hands the current peer over to a Held, as a try that succeeded:
// the attempt forgets the peer, and Held.Release ends its connection.
func (a *Attempt) Hold() Held {
	h := Held{g: a.g, p: a.current, single: a.set != nil && a.set.single}
	a.current = nil
	return h
}

// Release ends the held connection, as Attempt.Release(Done) would have.
// A zero Held does nothing.
func (h Held) Release() {
	p, g := h.p, h.g
	if p == nil {
		return
	}
	g.mu.Lock()
	if p.next != nil {
		g, p = g.newest(p)
	}
	defer g.mu.Unlock()
	if !h.single && p.accessed < p.checked {
		p.fails = 0
	}
	p.conns--
}

// Release ends the try of the current peer: its active connection ends
// and a failure is counted (ngx_http_upstream_free_round_robin_peer). It
// reports whether the failure took the peer out of rotation (nginx's
// "upstream server temporarily disabled" warning). Release without a
// current peer does nothing.
func (a *Attempt) Release(o Outcome) (disabled bool) {
	p := a.current
	if p == nil {
		return false
	}
	a.current = nil
	g := a.g
	g.mu.Lock()
	if p.next != nil {
		// Chosen before a reload: the outcome is the newest
		// incarnation's.
		g, p = g.newest(p)
	}
	defer g.mu.Unlock()
	if a.set.single {
		p.conns--
		a.tries = 0
		return false
	}
	if o == Failed {
		now := g.nowSec()
		p.fails++
		p.accessed, p.checked = now, now
		if p.MaxFails != 0 {
			p.effectiveWeight -= p.Weight / p.MaxFails
			disabled = p.fails >= p.MaxFails
		}
		if p.effectiveWeight < 0 {
			p.effectiveWeight = 0
		}
	} else if p.accessed < p.checked {
		p.fails = 0
	}
	p.conns--
	if a.tries > 0 {
		a.tries--
	}
	return disabled
}
