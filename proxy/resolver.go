package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// resolve returns a host's addresses as the level's resolver directive r
// gives them: its answer kept from an earlier request while valid=
// lasts (resolverCache), else the name servers' (lookupWithResolver),
// then kept. A failure is nginx's ngx_resolver_strerror code and text.
func (x *exchange) resolve(r *directives.Resolver, timeout time.Duration, host string) ([]netip.Addr, int, string) {
	now := time.Now()
	if addrs, ok := x.rt.resolved.lookup(r, host, now); ok {
		return addrs, 0, ""
	}
	addrs, code, msg := x.lookupWithResolver(r, timeout, host)
	if code == 0 {
		x.rt.resolved.store(r, host, addrs, now)
	}
	return addrs, code, msg
}

// lookupWithResolver asks the resolver directive's name servers (the
// first, then the next on failure, as nginx turns through them) for a
// host's addresses: A, and AAAA unless ipv6=off, within resolver_timeout.
// A failure is nginx's ngx_resolver_strerror code and text: 3 "Host not
// found", 2 "Server failure", 110 "Operation timed out" — also for a name
// server that refuses the datagram: nginx logs the refusal to the main
// error log and waits for an answer until resolver_timeout. (Go's resolver
// reads /etc/hosts before asking, where nginx's asks only the servers.)
func (x *exchange) lookupWithResolver(r *directives.Resolver, timeout time.Duration, host string) ([]netip.Addr, int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Go asks for A and AAAA in parallel: Dial runs concurrently.
	var next atomic.Uint32
	var refused atomic.Bool
	res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		addr := r.Servers[int(next.Add(1)-1)%len(r.Servers)]
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if uc, ok := c.(*net.UDPConn); ok && err == nil {
			// Still a PacketConn: Go frames queries by that.
			return refusalConn{uc, &refused}, nil
		}
		return c, err
	}}
	network := "ip"
	if !r.IPv6 {
		network = "ip4"
	}
	ips, err := res.LookupNetIP(ctx, network, host)
	var de *net.DNSError
	switch {
	case err == nil && len(ips) > 0:
		for i := range ips {
			ips[i] = ips[i].Unmap()
		}
		return ips, 0, ""
	case err == nil, errors.As(err, &de) && de.IsNotFound:
		return nil, 3, "Host not found"
	case errors.As(err, &de) && de.IsTimeout, errors.Is(err, context.DeadlineExceeded):
		return nil, 110, "Operation timed out"
	case refused.Load():
		// The resolver logs to the main error log (ngx_resolver_create
		// takes the cycle's), not the level's.
		log := x.c.s.log
		if log.Enabled(levelError) {
			// With one query (ipv6=off) the refusal comes to its
			// recv(); with A and AAAA sent back to back, to the send()
			// of the second, and again to the retry's.
			msg, lines := "recv() failed", 1
			if r.IPv6 {
				msg, lines = "send() failed", 2
			}
			for range lines {
				e := log.WithLevel(levelError).Str(errlog.FieldErrno, "111: Connection refused").
					Str(errlog.FieldAction, "resolving").Str("resolver", r.Servers[0])
				errlog.Msg(e, msg)
			}
		}
		<-ctx.Done()
		return nil, 110, "Operation timed out"
	}
	return nil, 2, "Server failure"
}

// refusalConn notes a name server's refusal (ECONNREFUSED, an ICMP port
// unreachable answering a query), which Go's resolver reports only as
// text.
type refusalConn struct {
	*net.UDPConn
	refused *atomic.Bool
}

func (c refusalConn) Read(b []byte) (int, error) {
	n, err := c.UDPConn.Read(b)
	if errors.Is(err, syscall.ECONNREFUSED) {
		c.refused.Store(true)
	}
	return n, err
}

// resolverCacheMax bounds how many names a configuration's resolvers keep
// answers for. Names may come from the request ($http_host in proxy_pass),
// so the cache must not grow with what clients send; nginx bounds its own
// by dropping nodes unused for 30 seconds as it resolves.
const resolverCacheMax = 4096

// resolverCache holds the answers of a configuration's resolver
// directives, as nginx's resolver does (ngx_resolve_name: "resolve
// cached"). Each resolver directive is a resolver of its own with its own
// cache, as in nginx, where a reload starts them all afresh: the cache
// lives with the configuration's runtime.
//
// An answer is kept for the directive's valid= only. nginx keeps one for
// its TTL when valid= is not given, and Go's resolver does not tell the
// TTL: without valid=, every request asks the name servers.
type resolverCache struct {
	mu      sync.Mutex
	answers map[resolverKey]resolverAnswer
}

// resolverKey is a name asked of one resolver directive.
type resolverKey struct {
	resolver *directives.Resolver
	host     string
}

// resolverAnswer is a name's addresses and until when they may be used.
type resolverAnswer struct {
	addrs []netip.Addr
	until time.Time
}

// lookup returns the answer kept for host, if it is still valid.
func (c *resolverCache) lookup(r *directives.Resolver, host string, now time.Time) ([]netip.Addr, bool) {
	if r.Valid <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[resolverKey{r, host}]
	if !ok || !now.Before(a.until) {
		return nil, false
	}
	return a.addrs, true
}

// store keeps addrs for host for the resolver's valid= time. A full cache
// first drops the answers whose time is up, then, if that was not enough,
// an eighth of the others (whichever the map yields first), so that a
// cache kept full by fresh names costs one sweep per many stores.
func (c *resolverCache) store(r *directives.Resolver, host string, addrs []netip.Addr, now time.Time) {
	if r.Valid <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answers == nil {
		c.answers = map[resolverKey]resolverAnswer{}
	}
	if len(c.answers) >= resolverCacheMax {
		for k, a := range c.answers {
			if !now.Before(a.until) {
				delete(c.answers, k)
			}
		}
		for k := range c.answers {
			if len(c.answers) < resolverCacheMax-resolverCacheMax/8 {
				break
			}
			delete(c.answers, k)
		}
	}
	c.answers[resolverKey{r, host}] = resolverAnswer{addrs: addrs, until: now.Add(r.Valid)}
}
