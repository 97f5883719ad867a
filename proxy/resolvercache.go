package proxy

import (
	"net/netip"
	"sync"
	"time"

	"github.com/nginxws/nginxws/directives"
)

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
