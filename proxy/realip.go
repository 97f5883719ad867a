package proxy

import (
	"net/netip"
	"strings"

	"github.com/nginxws/nginxws/directives"
)

// realIP is ngx_http_realip_handler, run in the post-read phase with the
// server's settings and in the preaccess phase with the location's: when
// the connection's peer is trusted (set_real_ip_from), the client address
// real_ip_header names replaces it for the rest of the request — in
// $remote_addr and $remote_port, allow/deny, limit_conn keys, upstream
// hashes and the error log's "client:". It applies once per request; the
// connection's next request starts from its own peer again.
func (x *exchange) realIP(conf *directives.LocConf) {
	if x.realip.Realip || conf.RealIPFrom == nil {
		return
	}
	var values [][]byte
	c := &x.c.info
	switch h := conf.RealIPHeader; h {
	case directives.RealIPXForwardedFor:
		// Every X-Forwarded-For line, in order.
		for i := range x.head.Headers {
			if x.head.Headers[i].Is("x-forwarded-for") {
				values = append(values, x.head.Headers[i].Value)
			}
		}
	case directives.RealIPProxyProtocol:
		// The header's source address, as sent (a v1 text that is no
		// address changes nothing).
		if c.ProxyProtocol == nil {
			return
		}
		values = append(values, []byte(c.ProxyProtocol.SrcAddr))
	default:
		// X-Real-IP or another header: its first line.
		if v, ok := x.head.Header(strings.ToLower(h)); ok {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return
	}
	addr, ok := directives.ForwardedAddr(c.Remote, c.UnixPath != "", values, conf.RealIPFrom, conf.RealIPRecursive)
	if !ok {
		return
	}
	if conf.RealIPHeader == directives.RealIPProxyProtocol {
		// $remote_port becomes the header's source port.
		addr = netip.AddrPortFrom(addr.Addr(), c.ProxyProtocol.SrcPort)
	}
	x.realip = *c
	x.realip.Realip, x.realip.Peer, x.realip.Remote = true, c.Remote, addr
	x.realipText = addr.Addr().String()
}

// clientText is the client's address in error log lines (nginx's
// c->addr_text): the realip address while the request has one.
func (x *exchange) clientText() string {
	if x.realip.Realip {
		return x.realipText
	}
	return x.c.remoteAddr
}
