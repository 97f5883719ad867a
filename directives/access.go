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
	ip, ok := ParseAddr([]byte(addr))
	if !ok {
		return netip.Prefix{}, false, false
	}
	n := ip.BitLen()
	if hasBits {
		v, ok := Atoi(bits)
		if !ok || v > int64(ip.BitLen()) {
			return netip.Prefix{}, false, false
		}
		n = int(v)
	}
	p := netip.PrefixFrom(ip, n)
	masked := p.Masked()
	return masked, masked.Addr() != ip, true
}

// setSatisfy reads satisfy all|any (ngx_conf_set_enum_slot).
func (l *loader) setSatisfy(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	switch v := d.Args[0].Value; v {
	case "all":
		sc.loc.SatisfyAny = false
	case "any":
		sc.loc.SatisfyAny = true
	default:
		return l.errf(d, `invalid value "%s"`, v)
	}
	return nil
}

// limitExceptMethods are ngx_methods_names: the methods limit_except
// names, with their request-method bits (nginx's NGX_HTTP_*).
var limitExceptMethods = map[string]uint32{
	"GET": 0x2, "HEAD": 0x4, "POST": 0x8, "PUT": 0x10, "DELETE": 0x20, "MKCOL": 0x40,
	"COPY": 0x80, "MOVE": 0x100, "OPTIONS": 0x200, "PROPFIND": 0x400, "PROPPATCH": 0x800,
	"LOCK": 0x1000, "UNLOCK": 0x2000, "PATCH": 0x4000,
}

// setLimitExcept reproduces ngx_http_core_limit_except: the block is a
// level of its own, inheriting from the location, that requests with
// another method than those named (GET naming HEAD too) are served under.
func (l *loader) setLimitExcept(d *parser.Directive, sc *scope) error {
	if sc.loc.LimitExcept != nil {
		return l.dup(d)
	}
	limited := ^uint32(0)
	for _, a := range d.Args {
		bit, ok := limitExceptMethods[strings.ToUpper(a.Value)]
		if !ok {
			return l.errf(d, `invalid method "%s"`, a.Value)
		}
		limited &^= bit
	}
	if limited&0x2 == 0 {
		limited &^= 0x4
	}
	conf := newLocConf()
	conf.from = "limit_except"
	sc.loc.LimitExcept, sc.loc.LimitExceptMethods = conf, limited
	ls := &scope{ctx: cLimitExcept, open: sc.open, srvConf: sc.srvConf, server: sc.server, loc: conf, location: sc.location}
	return l.block(d.Block, ls)
}
