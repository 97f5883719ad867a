package directives

import (
	"net/netip"

	"github.com/nginxws/nginxws/parser"
)

// RealIPFrom is one set_real_ip_from: the addresses whose word about the
// client (real_ip_header) is trusted — a network, or "unix:" for
// connections over unix sockets.
type RealIPFrom struct {
	Unix   bool
	Prefix netip.Prefix
}

// The kinds of real_ip_header (ngx_http_realip_module compares the names
// to the letter; any other spelling is a header looked up by name).
const (
	RealIPXRealIP       = "X-Real-IP"
	RealIPXForwardedFor = "X-Forwarded-For"
	RealIPProxyProtocol = "proxy_protocol"
)

// setRealIPFrom reproduces ngx_http_realip_from: "unix:", an address or
// network (host bits set under the mask give nginx's warning), or a host
// name, resolved now, each of its addresses trusted.
func (l *loader) setRealIPFrom(d *parser.Directive, sc *scope) error {
	v := d.Args[0].Value
	if sc.loc.RealIPFrom == nil {
		sc.loc.RealIPFrom = []RealIPFrom{}
	}
	if v == "unix:" {
		sc.loc.RealIPFrom = append(sc.loc.RealIPFrom, RealIPFrom{Unix: true})
		return nil
	}
	if p, meaningless, ok := parseCIDR(v); ok {
		if meaningless {
			l.warnf(d, "low address bits of %s are meaningless", v)
		}
		sc.loc.RealIPFrom = append(sc.loc.RealIPFrom, RealIPFrom{Prefix: p})
		return nil
	}
	u := resolveHost(urlParse{host: v}, l.resolve)
	if u.err != "" {
		return l.errf(d, `%s in set_real_ip_from "%s"`, u.err, v)
	}
	for _, a := range u.addrs {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			continue
		}
		ip := ap.Addr()
		sc.loc.RealIPFrom = append(sc.loc.RealIPFrom, RealIPFrom{Prefix: netip.PrefixFrom(ip, ip.BitLen())})
	}
	return nil
}
