package proxy

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/upstream"
)

// target is where a request is proxied: a peer group and the URI part of
// proxy_pass.
type target struct {
	group   *upstream.Group
	uri     []byte
	hasURI  bool
	vars    bool
	grpName string
}

// resolveTarget works out the peer and URI part of proxy_pass for this
// request, setting $proxy_host and $proxy_port. With variables the URL is
// evaluated and parsed as ngx_http_proxy_eval does; a host that names no
// upstream block and is no address is resolved by the level's resolver
// (without one, nginx's 502). It returns a status to answer with when the
// URL cannot be used.
func (x *exchange) resolveTarget(pp *directives.ProxyPass) (target, int) {
	x.proxied = true
	x.upInfo.ProxyHost, x.upInfo.ProxyPort = "", ""
	if pp.Value == nil {
		x.up.secure, x.up.host = pp.Scheme == "https", hostOnly(pp.Host)
		x.upInfo.ProxyHost = pp.Host
		if pp.Port != 0 {
			x.upInfo.ProxyPort = strconv.Itoa(pp.Port)
		}
		t := target{uri: []byte(pp.URI), hasURI: pp.HasURI}
		t.group = x.rt.groups[pp.Upstream]
		return t, 0
	}
	url := x.value(pp.Value)
	skip, defaultPort := 0, 80
	switch {
	case len(url) > 7 && directives.EqualFoldASCII(url[:7], "http://"):
		skip = 7
	case len(url) > 8 && directives.EqualFoldASCII(url[:8], "https://"):
		skip, defaultPort = 8, 443
		x.up.secure = true
	default:
		x.logEvent(levelError, `invalid URL prefix in "`+string(url)+`"`, "", "")
		return target{}, 500
	}
	u, ok := parseProxyURL(string(url[skip:]))
	if !ok {
		x.logEvent(levelError, `invalid host in upstream "`+string(url[skip:])+`"`, "", "")
		return target{}, 500
	}
	x.up.host = u.host
	t := target{vars: true}
	if u.uri != "" {
		t.uri, t.hasURI = []byte(u.uri), true
		if u.uri[0] == '?' {
			t.uri = []byte("/" + u.uri)
		}
	}
	switch {
	case u.unix != "":
		x.upInfo.ProxyHost, x.upInfo.ProxyPort = "localhost", ""
		t.group = upstream.NewAddrGroup("unix:" + u.unix)
		return t, 0
	case u.noPort || u.port == defaultPort:
		x.upInfo.ProxyHost, x.upInfo.ProxyPort = u.host, strconv.Itoa(defaultPort)
	default:
		x.upInfo.ProxyHost, x.upInfo.ProxyPort = u.host+":"+strconv.Itoa(u.port), strconv.Itoa(u.port)
	}
	port := u.port
	if u.noPort {
		port = defaultPort
	}
	// ngx_http_upstream_init_request looks the host up among the groups
	// first, those proxy_pass URLs without variables made included (an
	// address in the URL then shares their peers' state: failures,
	// keepalive connections, TLS sessions).
	if h := x.rt.cfg.HTTP; h != nil {
		for _, g := range h.Upstreams {
			if !strings.EqualFold(g.Name, u.host) {
				continue
			}
			if g.Implicit && g.Port == port || !g.Implicit && ((g.Port == 0 && u.noPort) || g.Port == port || g.Port == 0) {
				t.group = x.rt.groups[g]
				t.grpName = g.Name
				return t, 0
			}
		}
	}
	host := strings.Trim(u.host, "[]")
	if ip, err := netip.ParseAddr(host); err == nil {
		t.group = upstream.NewAddrGroup(netip.AddrPortFrom(ip, uint16(port)).String())
		return t, 0
	}
	if x.conf.Resolver == nil || len(x.conf.Resolver.Servers) == 0 {
		x.logEvent(levelError, "no resolver defined to resolve "+u.host, "", "")
		return target{}, 502
	}
	addrs, code, msg := x.resolve(x.conf.Resolver, x.conf.ResolverTimeout, host)
	if code != 0 {
		// ngx_http_upstream_resolve_handler's error, then 502.
		x.logEvent(levelError, host+" could not be resolved ("+strconv.Itoa(code)+": "+msg+")", "", "")
		return target{}, 502
	}
	// ngx_http_upstream_create_round_robin_peer: one peer per address,
	// the group named by the host.
	srv := &directives.UpstreamServer{Name: host, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second}
	for _, ip := range addrs {
		srv.Addrs = append(srv.Addrs, netip.AddrPortFrom(ip, uint16(port)).String())
	}
	t.group = upstream.NewGroup(&directives.Upstream{Name: host, Implicit: true, Servers: []*directives.UpstreamServer{srv}}, upstream.Options{})
	return t, 0
}

// hostOnly is a "host[:port]" without its port (an IPv6 address keeps
// its brackets).
func hostOnly(hp string) string {
	if strings.HasPrefix(hp, "[") {
		if i := strings.IndexByte(hp, ']'); i >= 0 {
			return hp[:i+1]
		}
		return hp
	}
	if i := strings.IndexByte(hp, ':'); i >= 0 {
		return hp[:i]
	}
	return hp
}

// proxyURL is a proxy_pass URL after "http://", parsed as ngx_parse_url
// parses it with uri_part.
type proxyURL struct {
	host   string
	port   int
	noPort bool
	unix   string
	uri    string
}

func parseProxyURL(s string) (proxyURL, bool) {
	var u proxyURL
	if strings.HasPrefix(strings.ToLower(s), "unix:") {
		path := s[5:]
		if i := strings.IndexByte(path, ':'); i >= 0 {
			path, u.uri = path[:i], path[i+1:]
		}
		if path == "" {
			return u, false
		}
		u.unix = path
		return u, true
	}
	end := len(s)
	if i := strings.IndexAny(s, "/?"); i >= 0 {
		end = i
		u.uri = s[i:]
	}
	hp := s[:end]
	host, portText := hp, ""
	if strings.HasPrefix(hp, "[") {
		i := strings.IndexByte(hp, ']')
		if i < 0 {
			return u, false
		}
		host = hp[:i+1]
		if rest := hp[i+1:]; rest != "" {
			if rest[0] != ':' {
				return u, false
			}
			portText = rest[1:]
		}
	} else if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		host, portText = hp[:i], hp[i+1:]
	}
	if host == "" {
		return u, false
	}
	u.host = host
	if portText == "" {
		u.noPort = true
		return u, true
	}
	p, err := strconv.Atoi(portText)
	if err != nil || p < 1 || p > 65535 {
		return u, false
	}
	u.port = p
	return u, true
}

// zeroTimerTurn is how long a timer of 0 (proxy_send_timeout 0,
// send_timeout 0) leaves a write: nginx arms its send timer only once a
// write would block, and a timer of 0 fires at the event loop's next turn,
// so a write that can go at once goes and one that cannot times out.
const zeroTimerTurn = time.Millisecond

// writeTimer is how long a write may block under a send timeout of d.
func writeTimer(d time.Duration) time.Duration {
	if d <= 0 {
		return zeroTimerTurn
	}
	return d
}

// setReadDeadline arms proxy_read_timeout, d from now, for the upstream's
// response head. A timeout of 0 has expired already: nginx arms its read
// timer with 0 once the request is sent, and it fires before an answer
// can come (504, "upstream timed out").
func setReadDeadline(c net.Conn, d time.Duration) {
	_ = c.SetReadDeadline(time.Now().Add(max(d, 0)))
}

// setWriteDeadline arms proxy_send_timeout, d from now, for a write to the
// upstream (see zeroTimerTurn for 0).
func setWriteDeadline(c net.Conn, d time.Duration) {
	_ = c.SetWriteDeadline(time.Now().Add(writeTimer(d)))
}
