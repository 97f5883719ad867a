package directives

import (
	"net/netip"
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// AccessRule is an allow or deny rule.
type AccessRule struct {
	Allow bool
	// All is "all"; Unix is "unix:" (connections over unix sockets);
	// otherwise Prefix is the address or network.
	All    bool
	Unix   bool
	Prefix netip.Prefix
	Pos    parser.Pos
}

// setAccess reproduces ngx_http_access_rule for allow and deny.
func (l *loader) setAccess(d *parser.Directive, sc *scope) error {
	v := d.Args[0].Value
	r := &AccessRule{Allow: d.Name == "allow", Pos: d.Pos}
	switch v {
	case "all":
		r.All = true
	case "unix:":
		r.Unix = true
	default:
		p, meaningless, ok := parseCIDR(v)
		if !ok {
			return l.errf(d, `invalid parameter "%s"`, v)
		}
		if meaningless {
			l.warnf(d, "low address bits of %s are meaningless", v)
		}
		r.Prefix = p
	}
	sc.loc.AccessRules = append(sc.loc.AccessRules, r)
	return nil
}

// parseCIDR reproduces ngx_ptocidr: an address or address/bits, IPv4 or
// IPv6; host bits set under the mask are cleared with a warning.
func parseCIDR(s string) (netip.Prefix, bool, bool) {
	addr, bits, hasBits := strings.Cut(s, "/")
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" || (ip.Is4() && !isDottedQuad(addr)) {
		return netip.Prefix{}, false, false
	}
	n := ip.BitLen()
	if hasBits {
		v, ok := atoi(bits)
		if !ok || v > int64(ip.BitLen()) {
			return netip.Prefix{}, false, false
		}
		n = int(v)
	}
	p := netip.PrefixFrom(ip, n)
	masked := p.Masked()
	return masked, masked.Addr() != ip, true
}
