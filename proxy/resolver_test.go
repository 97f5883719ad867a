package proxy

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// fakeDNS answers A queries for the names of its table over UDP, "no such
// name" for the others and an empty answer for other types: a name server
// for the resolver directive, on the loopback.
type fakeDNS struct {
	conn    *net.UDPConn
	names   map[string]net.IP
	mu      sync.Mutex
	queries []string
}

func startFakeDNS(t *testing.T, names map[string]net.IP) *fakeDNS {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{conn: c, names: names}
	t.Cleanup(func() { c.Close() })
	go d.serve()
	return d
}

func (d *fakeDNS) addr() string { return d.conn.LocalAddr().String() }

func (d *fakeDNS) serve() {
	buf := make([]byte, 512)
	for {
		_ = d.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, from, err := d.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		q := buf[:n]
		if len(q) < 12 {
			continue
		}
		i, labels := 12, []string{}
		for i < len(q) && q[i] != 0 {
			l := int(q[i])
			if i+1+l > len(q) {
				break
			}
			labels = append(labels, string(q[i+1:i+1+l]))
			i += 1 + l
		}
		if i+5 > len(q) {
			continue
		}
		qtype := binary.BigEndian.Uint16(q[i+1:])
		question := q[12 : i+5]
		name := strings.ToLower(strings.Join(labels, "."))
		d.mu.Lock()
		d.queries = append(d.queries, name)
		d.mu.Unlock()
		ip, known := d.names[name]
		flags, answers := uint16(0x8180), []byte(nil)
		switch {
		case !known:
			flags = 0x8183 // NXDOMAIN
		case qtype == 1:
			answers = append([]byte{0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4}, ip.To4()...)
		}
		resp := make([]byte, 12, 12+len(question)+len(answers))
		binary.BigEndian.PutUint16(resp[0:], binary.BigEndian.Uint16(q[0:]))
		binary.BigEndian.PutUint16(resp[2:], flags)
		binary.BigEndian.PutUint16(resp[4:], 1)
		if answers != nil {
			binary.BigEndian.PutUint16(resp[6:], 1)
		}
		resp = append(append(resp, question...), answers...)
		_, _ = d.conn.WriteToUDP(resp, from)
	}
}

// resolverSetup starts a name server that knows app.test (127.0.0.1) and
// a backend answering 200 "ok", and returns them, the backend's port and
// the resolver directives that ask that server (valid=30s, A only).
func resolverSetup(t *testing.T) (*fakeDNS, *backend, string, string) {
	t.Helper()
	dns := startFakeDNS(t, map[string]net.IP{"app.test": net.IPv4(127, 0, 0, 1)})
	be := startBackend(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	port := be.addr()[strings.LastIndexByte(be.addr(), ':')+1:]
	return dns, be, port, "resolver " + dns.addr() + " valid=30s ipv6=off; resolver_timeout 2s;"
}

// TestResolverForVariableHost: "set $upstream app; resolver …; proxy_pass
// http://$upstream:port" (the Docker idiom of Jellyfin's and many other
// applications' configurations) asks the resolver's name servers and
// proxies to the address; a name they do not know is nginx's "could not be
// resolved (3: Host not found)" and 502; without a resolver, nginx's "no
// resolver defined" and 502.
func TestResolverForVariableHost(t *testing.T) {
	dns, be, port, resolver := resolverSetup(t)
	addr, errs := proxyFor(t, `server { listen 127.0.0.1:{{PORT}};
    location /ok/ { `+resolver+` set $b app.test; proxy_pass http://$b:`+port+`; }
    location /nx/ { `+resolver+` set $b nosuch.test; proxy_pass http://$b:`+port+`; }
    location /none/ { set $b app.test; proxy_pass http://$b:`+port+`; }
}
`, be)
	for _, tc := range []struct{ path, status, errlog string }{
		{"/ok/a", "HTTP/1.1 200 ", ""},
		{"/nx/b", "HTTP/1.1 502 ", "nosuch.test could not be resolved (3: Host not found)"},
		{"/none/c", "HTTP/1.1 502 ", "no resolver defined to resolve app.test"},
	} {
		resp := exchangeRaw(t, addr, "GET "+tc.path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3*time.Second)
		if !strings.HasPrefix(resp, tc.status) {
			t.Errorf("%s: got %q, want %s", tc.path, resp, tc.status)
		}
		if tc.errlog == "" {
			continue
		}
		eventually(t, 2*time.Second, func() bool {
			for _, l := range errs() {
				if strings.Contains(l, tc.errlog) {
					return true
				}
			}
			return false
		}, func() string {
			return tc.path + ": no error-log line " + tc.errlog + " in " + strings.Join(errs(), "\n")
		})
	}
	if got := be.requests(); len(got) != 1 || !strings.HasPrefix(got[0], "GET /ok/a HTTP/1.0") {
		t.Errorf("backend got %q", got)
	}
	if !oracle() {
		dns.mu.Lock()
		defer dns.mu.Unlock()
		if strings.Join(dns.queries, " ") != "app.test nosuch.test" {
			t.Errorf("queries %q", dns.queries)
		}
	}
}

// TestResolverCachesForValid: with valid=, a resolver's answer serves the
// requests that follow it for that long, as nginx's cache does ("resolve
// cached"): three requests, one query. Each resolver directive has its own
// cache: the same name in another location with its own directive is
// asked again.
func TestResolverCachesForValid(t *testing.T) {
	dns, be, port, resolver := resolverSetup(t)
	addr, _ := proxyFor(t, `server { listen 127.0.0.1:{{PORT}};
    location /a/ { `+resolver+` set $b app.test; proxy_pass http://$b:`+port+`; }
    location /b/ { `+resolver+` set $b app.test; proxy_pass http://$b:`+port+`; }
}
`, be)
	for _, path := range []string{"/a/1", "/a/2", "/a/3", "/b/1", "/b/2"} {
		resp := exchangeRaw(t, addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 3*time.Second)
		if !strings.HasPrefix(resp, "HTTP/1.1 200 ") {
			t.Fatalf("%s: got %q, want 200", path, resp)
		}
	}
	if got := be.requests(); len(got) != 5 {
		t.Errorf("backend got %d requests, want 5: %q", len(got), got)
	}
	dns.mu.Lock()
	defer dns.mu.Unlock()
	if got := strings.Join(dns.queries, " "); got != "app.test app.test" {
		t.Errorf("queries %q, want one per resolver directive: \"app.test app.test\"", got)
	}
}

// TestResolverCacheBounded: names come from requests, so the cache keeps
// at most resolverCacheMax answers; a full cache drops the expired ones
// first, and keeps the answers still valid when that is enough.
func TestResolverCacheBounded(t *testing.T) {
	var c resolverCache
	short := &directives.Resolver{Valid: time.Second}
	long := &directives.Resolver{Valid: time.Hour}
	now := time.Now()
	addr := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	c.store(long, "kept.test", addr, now)
	for i := range resolverCacheMax - 1 {
		c.store(short, "n"+strconv.Itoa(i)+".test", addr, now)
	}
	later := now.Add(2 * time.Second)
	c.store(long, "new.test", addr, later)
	if len(c.answers) != 2 {
		t.Errorf("%d answers after the expired ones were dropped, want 2", len(c.answers))
	}
	for _, h := range []string{"kept.test", "new.test"} {
		if _, ok := c.lookup(long, h, later); !ok {
			t.Errorf("%s: not kept", h)
		}
	}
	for i := range 2 * resolverCacheMax {
		c.store(long, "m"+strconv.Itoa(i)+".test", addr, later)
	}
	if len(c.answers) > resolverCacheMax {
		t.Errorf("%d answers, want at most %d", len(c.answers), resolverCacheMax)
	}
	if _, ok := c.lookup(&directives.Resolver{}, "kept.test", later); ok {
		t.Error("a resolver without valid= found a cached answer")
	}
}
