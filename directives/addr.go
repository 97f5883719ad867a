package directives

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// urlParse is nginx's ngx_url_t after ngx_parse_url: the parts of a
// "host:port/uri", "[v6]:port" or "unix:/path" address.
type urlParse struct {
	url      string // as given
	host     string // "" for a wildcard listen
	port     int
	noPort   bool
	uri      string // from the first "/" or "?" when uri parts are allowed
	unix     string // socket path for unix: addresses
	wildcard bool
	addrs    []string // resolved "ip:port" (IPv6 bracketed)
	err      string   // nginx's u->err
}

// urlOpts selects ngx_parse_url's modes.
type urlOpts struct {
	listen      bool // a bare number is a port; "*" is the wildcard
	uriPart     bool // a "/uri" may follow (proxy_pass)
	noResolve   bool // names are kept, not resolved
	defaultPort int
}

// resolver resolves a host name the way nginx's getaddrinfo() does at
// load: /etc/hosts, then DNS. It returns IPs in the resolver's order.
type resolver func(host string) ([]netip.Addr, error)

// systemResolver is the default resolver: the system's, bounded in time so
// that an unreachable DNS server cannot hang a reload.
func systemResolver(host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		out = append(out, ip.Unmap())
	}
	return out, nil
}

// joinHostPort formats an address as nginx prints it (ngx_sock_ntop with
// the port): "1.2.3.4:80", "[::1]:80".
func joinHostPort(ip netip.Addr, port int) string {
	return netip.AddrPortFrom(ip, uint16(port)).String()
}

// parseURL reproduces ngx_parse_url (ngx_parse_inet_url,
// ngx_parse_inet6_url, ngx_parse_unix_domain_url) for the cases nginx's
// http modules use, including their error texts in u.err.
func parseURL(s string, o urlOpts, resolve resolver) urlParse {
	u := urlParse{url: s}
	if len(s) >= 5 && strings.EqualFold(s[:5], "unix:") {
		return parseUnixURL(u, o)
	}
	if strings.HasPrefix(s, "[") {
		return parseInet6URL(u, o)
	}
	host, last := s, len(s)
	colon := strings.IndexByte(s, ':')
	uri := strings.IndexByte(s, '/')
	if q := strings.IndexByte(s, '?'); q >= 0 && (uri < 0 || q < uri) {
		uri = q
	}
	if uri >= 0 {
		if o.listen || !o.uriPart {
			u.err = "invalid host"
			return u
		}
		u.uri = s[uri:]
		last = uri
		if uri < colon {
			colon = -1
		}
	}
	if colon >= 0 {
		n, ok := Atoi(s[colon+1 : last])
		if !ok || n < 1 || n > 65535 {
			u.err = "invalid port"
			return u
		}
		u.port = int(n)
		last = colon
	} else {
		if uri < 0 && o.listen {
			if n, ok := Atoi(s[:last]); ok {
				if n < 1 || n > 65535 {
					u.err = "invalid port"
					return u
				}
				u.port = int(n)
				u.wildcard = true
				u.addrs = []string{joinHostPort(netip.IPv4Unspecified(), u.port)}
				return u
			}
		}
		u.noPort = true
		u.port = o.defaultPort
	}
	host = s[:last]
	if host == "" {
		u.err = "no host"
		return u
	}
	u.host = host
	if o.listen && host == "*" {
		u.host = ""
		u.wildcard = true
		u.addrs = []string{joinHostPort(netip.IPv4Unspecified(), u.port)}
		return u
	}
	if ip, ok := InetAddr(host); ok {
		u.wildcard = ip.IsUnspecified()
		u.addrs = []string{joinHostPort(ip, u.port)}
		return u
	}
	if o.noResolve {
		return u
	}
	return resolveHost(u, resolve)
}

// resolveHost fills u.addrs with every address of u.host, as
// ngx_inet_resolve_host; a failure is nginx's "host not found".
func resolveHost(u urlParse, resolve resolver) urlParse {
	if ip, ok := inetAton(u.host); ok {
		// getaddrinfo() takes the numeric forms inet_aton() knows
		// ("0", "127.1", "0x7f.0.0.1") without a lookup.
		u.addrs = []string{joinHostPort(ip, u.port)}
		return u
	}
	ips, err := resolve(u.host)
	if err != nil || len(ips) == 0 {
		u.err = "host not found"
		return u
	}
	seen := map[netip.Addr]bool{}
	for _, ip := range ips {
		if seen[ip] {
			continue
		}
		seen[ip] = true
		u.addrs = append(u.addrs, joinHostPort(ip, u.port))
	}
	return u
}

// parseInet6URL handles "[addr]:port[/uri]".
func parseInet6URL(u urlParse, o urlOpts) urlParse {
	s := u.url
	end := strings.IndexByte(s, ']')
	if end < 0 {
		u.err = "invalid host"
		return u
	}
	rest := s[end+1:]
	if rest != "" && rest[0] != ':' && rest[0] != '/' && rest[0] != '?' {
		u.err = "invalid host"
		return u
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		if o.listen || !o.uriPart {
			u.err = "invalid host"
			return u
		}
		u.uri = rest[i:]
		rest = rest[:i]
	}
	if strings.HasPrefix(rest, ":") {
		n, ok := Atoi(rest[1:])
		if !ok || n < 1 || n > 65535 {
			u.err = "invalid port"
			return u
		}
		u.port = int(n)
	} else {
		u.noPort = true
		u.port = o.defaultPort
	}
	host := s[1:end]
	if host == "" {
		u.err = "no host"
		return u
	}
	ip, ok := Inet6Addr(host)
	if !ok {
		u.err = "invalid IPv6 address"
		return u
	}
	u.host = s[:end+1]
	u.wildcard = ip.IsUnspecified()
	u.addrs = []string{joinHostPort(ip, u.port)}
	return u
}

// maxUnixPath is sizeof(sun_path) minus its NUL.
const maxUnixPath = 107

// parseUnixURL handles "unix:/path" (and "unix:/path:/uri" for proxy_pass).
func parseUnixURL(u urlParse, o urlOpts) urlParse {
	path := u.url[5:]
	if o.uriPart {
		if i := strings.IndexByte(path, ':'); i >= 0 {
			u.uri = path[i+1:]
			path = path[:i]
		}
	}
	if path == "" {
		u.err = "no path in the unix domain socket"
		return u
	}
	if len(path) > maxUnixPath {
		u.err = "too long path in the unix domain socket"
		return u
	}
	u.unix = path
	u.host = "unix:" + path
	u.addrs = []string{"unix:" + path}
	return u
}

// itoa formats a decimal number.
func itoa(n int) string { return strconv.Itoa(n) }

// inetAton parses the IPv4 forms of inet_aton(3): one to four parts,
// each decimal, octal (leading 0) or hexadecimal (0x); the last part
// fills the remaining bytes.
func inetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var vals []uint64
	for _, p := range parts {
		v, err := strconv.ParseUint(p, 0, 32)
		if p == "" || err != nil || strings.HasPrefix(p, "+") || strings.Contains(p, "_") || (len(p) > 1 && p[0] == '0' && (p[1] == 'b' || p[1] == 'B' || p[1] == 'o' || p[1] == 'O')) {
			return netip.Addr{}, false
		}
		vals = append(vals, v)
	}
	var addr uint64
	n := len(vals)
	for i, v := range vals[:n-1] {
		if v > 0xff {
			return netip.Addr{}, false
		}
		addr |= v << (24 - 8*uint(i))
	}
	if last := vals[n-1]; last >= 1<<(8*uint(5-n)) {
		return netip.Addr{}, false
	} else {
		addr |= last
	}
	return netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}), true
}
