package upstream

import (
	"sync"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// Pool is a group's keepalive cache (ngx_http_upstream_keepalive_module):
// at most `keepalive N` idle connections for the whole group (times the
// workers nginx would run, see Options.Workers), most
// recently used first. A connection is taken for the peer the balancer
// chose (the most recently cached one to that peer); one put back when
// the cache is full pushes out the least recently used. An idle
// connection closes after keepalive_timeout; one that has served
// keepalive_requests requests or lived keepalive_time is not kept.
type Pool struct {
	max      int
	timeout  time.Duration
	requests int
	maxAge   time.Duration
	now      func() time.Time

	mu sync.Mutex
	// idle holds the cached connections, least recently used first.
	idle   []*Conn
	closed bool
}

// newPool makes the pool of an upstream block with keepalive, for
// workers nginx workers.
func newPool(u *directives.Upstream, workers int, now func() time.Time) *Pool {
	return &Pool{
		max:      u.Keepalive * workers,
		timeout:  u.KeepaliveTimeout,
		requests: u.KeepaliveRequests,
		maxAge:   u.KeepaliveTime,
		now:      now,
		idle:     make([]*Conn, 0, u.Keepalive*workers),
	}
}

// Idle reports how many connections the pool holds.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// get takes the most recently cached connection to peer, over TLS or
// not as secure says, that is still open. Connections the upstream closed while they waited (nginx notices
// those as they close; here they are found on the way) are dropped.
func (p *Pool) get(peer *Peer, secure bool) *Conn {
	for {
		p.mu.Lock()
		var c *Conn
		for i := len(p.idle) - 1; i >= 0; i-- {
			if p.idle[i].peer == peer.Name && p.idle[i].secure == secure {
				c = p.idle[i]
				p.idle = append(p.idle[:i], p.idle[i+1:]...)
				c.idle = false
				break
			}
		}
		p.mu.Unlock()
		if c == nil {
			return nil
		}
		c.timer.Stop()
		if c.probe.stillOpen() {
			return c
		}
		_ = c.Conn.Close()
	}
}

// put caches c, or closes it when it has served its requests or its
// time, or the pool was closed.
func (p *Pool) put(c *Conn) {
	now := p.now()
	if c.requests >= p.requests || now.Sub(c.created) > p.maxAge {
		_ = c.Conn.Close()
		return
	}
	// The request's timers end with it, as nginx deletes the cached
	// connection's read and write timers
	// (ngx_http_upstream_free_keepalive_peer): a proxy_read_timeout
	// deadline left on the socket would pass while it waits and fail the
	// probe that takes it out of the pool, so that the connection would
	// be closed instead of reused.
	_ = c.Conn.SetDeadline(time.Time{})
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = c.Conn.Close()
		return
	}
	var evicted *Conn
	if len(p.idle) == p.max {
		evicted = p.idle[0]
		evicted.idle = false
		p.idle = append(p.idle[:0], p.idle[1:]...)
	}
	c.idle = true
	c.idleSince = now
	p.idle = append(p.idle, c)
	if c.timer == nil {
		c.timer = time.AfterFunc(p.timeout, func() { p.expire(c) })
	} else {
		c.timer.Reset(p.timeout)
	}
	p.mu.Unlock()
	if evicted != nil {
		_ = evicted.Conn.Close()
	}
}

// expire closes c if it is still idle and has been for keepalive_timeout;
// a timer left from an earlier idle spell re-arms for the rest of the
// current one.
func (p *Pool) expire(c *Conn) {
	p.mu.Lock()
	if !c.idle {
		p.mu.Unlock()
		return
	}
	if left := p.timeout - p.now().Sub(c.idleSince); left > 0 {
		c.timer.Reset(left)
		p.mu.Unlock()
		return
	}
	for i, ic := range p.idle {
		if ic == c {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	c.idle = false
	p.mu.Unlock()
	_ = c.Conn.Close()
}

// close empties the pool for good.
func (p *Pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.closed = true
	for _, c := range idle {
		c.idle = false
	}
	p.mu.Unlock()
	for _, c := range idle {
		if c.timer != nil {
			c.timer.Stop()
		}
		_ = c.Conn.Close()
	}
}
