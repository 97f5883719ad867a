package proxy

import (
	"net"
	"net/netip"
	"strings"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// addrConf is what nginx keeps per listen address (ngx_http_addr_conf_t):
// the servers listening there, the default one, and the tables that pick a
// server by name. It is built once per configuration.
type addrConf struct {
	// text is the address as nginx prints it ("127.0.0.1:8080",
	// "unix:/run/app.sock").
	text string
	def  *vserver
	// names is nil when nginx would not look names up at all: one server
	// on the address and no regex name with captures
	// (ngx_http_optimize_servers).
	names *serverNames
	// limits is the default server's head-reading settings, with the
	// callback that switches to the named server's once the host is known.
	limits http1.Limits
	// tls is set for an address that speaks TLS (tls.go); sniLimits,
	// when servers there have names, holds each one's head-reading
	// settings (with the same switch to the Host's server) for the
	// connections whose handshake named it (conn.entry).
	tls       *tlsAddr
	sniLimits map[*vserver]*http1.Limits
	// proxyProtocol is set when a listen of the address says
	// proxy_protocol: then it holds for every connection to it.
	proxyProtocol bool
}

// serverNames are the name tables of one address, as ngx_http_server_names
// builds them: an exact hash, leading and trailing wildcards, and regexes in
// the order the servers and their names appear.
type serverNames struct {
	exact map[string]*vserver
	// head holds "*.example.com" (sub only) and ".example.com" (the
	// domain and its subdomains), keyed by "example.com".
	head map[string]wildHead
	// tail holds "www.example.*", keyed by "www.example".
	tail  map[string]*vserver
	regex []regexName
}

type wildHead struct {
	sub    *vserver // "*.name" or ".name": subdomains of name
	itself *vserver // ".name": name itself
}

type regexName struct {
	re  *directives.Regexp
	srv *vserver
}

// buildAddrs groups the servers of cfg by listen address.
func buildAddrs(h *directives.HTTP, vs map[*directives.Server]*vserver) map[listenKey]*addrConf {
	type entry struct {
		servers []*vserver
		def     *vserver
		text    string
		listens []directives.Listen
	}
	byAddr := map[listenKey]*entry{}
	var order []listenKey
	for _, s := range h.Servers {
		for _, l := range s.Listens {
			k := normAddr(l)
			e := byAddr[k]
			if e == nil {
				e = &entry{text: addrText(l)}
				byAddr[k] = e
				order = append(order, k)
			}
			e.listens = append(e.listens, l)
			v := vs[s]
			if len(e.servers) == 0 || e.servers[len(e.servers)-1] != v {
				e.servers = append(e.servers, v)
			}
			if l.DefaultServer && e.def == nil {
				e.def = v
			}
		}
	}
	out := make(map[listenKey]*addrConf, len(byAddr))
	for _, k := range order {
		e := byAddr[k]
		ac := &addrConf{text: e.text, def: e.def}
		if ac.def == nil {
			ac.def = e.servers[0]
		}
		if len(e.servers) > 1 || hasCaptures(ac.def) {
			ac.names = buildNames(e.servers)
		}
		ac.limits = ac.def.limits
		if ac.names != nil {
			names := ac.names
			ac.limits.VirtualServer = func(host []byte) *http1.Limits {
				if v := names.find(host, nil); v != nil {
					return &v.limits
				}
				return nil
			}
		}
		ac.tls = tlsOf(ac, e.listens, e.servers)
		for _, l := range e.listens {
			ac.proxyProtocol = ac.proxyProtocol || l.ProxyProtocol
		}
		if ac.tls != nil && ac.names != nil {
			ac.sniLimits = make(map[*vserver]*http1.Limits, len(e.servers))
			for _, v := range e.servers {
				l := v.limits
				l.VirtualServer = ac.limits.VirtualServer
				ac.sniLimits[v] = &l
			}
		}
		out[k] = ac
	}
	return out
}

// hasCaptures reports whether a server has a regex name with captures,
// which makes nginx look names up even for a lone server.
func hasCaptures(v *vserver) bool {
	for _, n := range v.srv.Names {
		if n.Regex != nil && n.Regex.NumSubexp() > 0 {
			return true
		}
	}
	return false
}

// buildNames fills the tables; a name already taken on the address keeps
// its first server (nginx warns "conflicting server name" at load).
func buildNames(servers []*vserver) *serverNames {
	sn := &serverNames{exact: map[string]*vserver{}, head: map[string]wildHead{}, tail: map[string]*vserver{}}
	// taken is ngx_hash_add_key's exact-conflict table: ".example.com"
	// claims "example.com" there too, so either of the two forms that
	// comes second is ignored whole.
	taken := map[string]bool{}
	for _, v := range servers {
		for _, n := range v.srv.Names {
			name := n.Name
			switch {
			case n.Regex != nil:
				sn.regex = append(sn.regex, regexName{re: n.Regex, srv: v})
			case strings.HasPrefix(name, "*.") && len(name) > 2:
				if _, dup := sn.head[name[2:]]; !dup {
					sn.head[name[2:]] = wildHead{sub: v}
				}
			case len(name) > 1 && name[0] == '.':
				base := name[1:]
				if taken[base] {
					continue
				}
				taken[base] = true
				if _, dup := sn.head[base]; !dup {
					sn.head[base] = wildHead{sub: v, itself: v}
				}
			case strings.HasSuffix(name, ".*") && len(name) > 2:
				if _, dup := sn.tail[name[:len(name)-2]]; !dup {
					sn.tail[name[:len(name)-2]] = v
				}
			default:
				if taken[name] {
					continue
				}
				taken[name] = true
				sn.exact[name] = v
			}
		}
	}
	return sn
}

// find returns the server whose name matches host (lower-case, no port),
// in nginx's order: exact name, the most specific leading wildcard, the
// most specific trailing wildcard, then the first matching regex, run
// through mt when given (which records its captures).
func (sn *serverNames) find(host []byte, mt matcher) *vserver {
	if v, ok := sn.exact[string(host)]; ok {
		return v
	}
	if v := sn.findHead(host); v != nil {
		return v
	}
	if v := sn.findTail(host); v != nil {
		return v
	}
	if len(host) == 0 {
		return nil
	}
	for _, r := range sn.regex {
		var ok bool
		if mt != nil {
			ok, _ = mt.Match(r.re, host)
		} else {
			ok = r.re.Match(host)
		}
		if ok {
			return r.srv
		}
	}
	return nil
}

// findHead mirrors ngx_hash_find_wc_head: the longest suffix of host, at a
// label boundary, that a leading wildcard names.
func (sn *serverNames) findHead(host []byte) *vserver {
	if len(sn.head) == 0 || len(host) == 0 {
		return nil
	}
	if w, ok := sn.head[string(host)]; ok && w.itself != nil {
		return w.itself
	}
	for i := 0; i < len(host); i++ {
		if host[i] != '.' {
			continue
		}
		if w, ok := sn.head[string(host[i+1:])]; ok && w.sub != nil {
			return w.sub
		}
	}
	return nil
}

// findTail mirrors ngx_hash_find_wc_tail: the longest prefix of host, at a
// label boundary and followed by at least one more label, that a trailing
// wildcard names.
func (sn *serverNames) findTail(host []byte) *vserver {
	if len(sn.tail) == 0 {
		return nil
	}
	for i := len(host) - 1; i > 0; i-- {
		if host[i] != '.' || i == len(host)-1 {
			continue
		}
		if v, ok := sn.tail[string(host[:i])]; ok {
			return v
		}
	}
	return nil
}

// selectServer picks the virtual server for a request whose host (nginx's
// headers_in.server: from the request line or Host, lower-cased, without
// port) is host. A request without a host looks up the empty name, as
// nginx does, which servers without server_name carry.
func (ac *addrConf) selectServer(host []byte, mt matcher) *vserver {
	if ac.names == nil {
		return ac.def
	}
	if v := ac.names.find(host, mt); v != nil {
		return v
	}
	return ac.def
}

// addrFor finds the listen address a connection came in on: the socket's
// own address, or — for a wildcard socket — the specific address of the
// connection's local end when the configuration listens on it, else the
// wildcard's.
func (rt *runtime) addrFor(network string, local net.Addr) *addrConf {
	if network == "unix" {
		if ua, ok := local.(*net.UnixAddr); ok {
			return rt.addrs[listenKey{"unix", ua.Name}]
		}
		return nil
	}
	ta, ok := local.(*net.TCPAddr)
	if !ok {
		return nil
	}
	ap := ta.AddrPort()
	ip := ap.Addr().Unmap()
	if ac := rt.addrs[listenKey{"tcp", netip.AddrPortFrom(ip, ap.Port()).String()}]; ac != nil {
		return ac
	}
	wild := netip.IPv4Unspecified()
	if ip.Is6() {
		wild = netip.IPv6Unspecified()
	}
	if ac := rt.addrs[listenKey{"tcp", netip.AddrPortFrom(wild, ap.Port()).String()}]; ac != nil || !ap.Addr().Is4In6() {
		return ac
	}
	// An IPv4 client of a dual-stack socket ("listen [::]:80
	// ipv6only=off") arrives on an IPv4-mapped address: the socket is
	// the IPv6 wildcard.
	return rt.addrs[listenKey{"tcp", netip.AddrPortFrom(netip.IPv6Unspecified(), ap.Port()).String()}]
}
