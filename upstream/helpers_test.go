package upstream

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// srv describes a server line in tests: "name[=addr,addr] key=value … flag".
// Without "=addrs" the name is its own single address.
func srv(spec string) *directives.UpstreamServer {
	f := strings.Fields(spec)
	name, addrs, _ := strings.Cut(f[0], "=")
	s := &directives.UpstreamServer{Name: name, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
	if addrs == "" {
		s.Addrs = []string{name}
	} else {
		s.Addrs = strings.Split(addrs, ",")
	}
	for _, p := range f[1:] {
		k, v, _ := strings.Cut(p, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "weight":
			s.Weight = n
		case "max_fails":
			s.MaxFails = n
		case "fail_timeout":
			s.FailTimeout = time.Duration(n) * time.Second
		case "max_conns":
			s.MaxConns = n
		case "backup":
			s.Backup = true
		case "down":
			s.Down = true
		default:
			panic("srv: unknown parameter " + p)
		}
	}
	return s
}

// ups builds a compiled upstream block.
func ups(b directives.Balancer, servers ...string) *directives.Upstream {
	u := &directives.Upstream{Name: "backend", Balancer: b}
	for _, s := range servers {
		u.Servers = append(u.Servers, srv(s))
	}
	return u
}

// group builds a group on a test clock.
func group(t testing.TB, u *directives.Upstream, c *clock) *Group {
	t.Helper()
	return NewGroup(u, Options{Now: c.now})
}

// pickOne starts a request, picks a peer and releases it as o, returning
// the peer's name ("" for no live peer).
func pickOne(t testing.TB, g *Group, s Start, o Outcome) string {
	t.Helper()
	var a Attempt
	a.Start(g, s)
	p, err := a.Pick()
	if err != nil {
		return ""
	}
	a.Release(o)
	return p.Name
}

// crcTable and refCRC32 are a bitwise CRC-32 (IEEE, reflected
// 0xEDB88320), written out here so that the tests do not check the
// package's hashing against the same library it uses.
func refCRC32(parts ...[]byte) uint32 {
	crc := ^uint32(0)
	for _, p := range parts {
		for _, b := range p {
			crc ^= uint32(b)
			for i := 0; i < 8; i++ {
				if crc&1 != 0 {
					crc = crc>>1 ^ 0xEDB88320
				} else {
					crc >>= 1
				}
			}
		}
	}
	return ^crc
}
