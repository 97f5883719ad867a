package directives

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// Geo is a geo block (ngx_http_geo_module, networks mode): Var takes the
// value of the most specific network holding the address, the client's
// or Source's, "" when none (nginx's radix trees with a "" root).
type Geo struct {
	// Var is the defined variable, lower-cased, without "$".
	Var string
	// Source is the address's value; nil for the client's address (after
	// realip).
	Source *Complex
	// Proxies are the "proxy" networks: from one of them, the address is
	// taken from X-Forwarded-For as realip does, recursively with
	// proxy_recursive.
	Proxies        []RealIPFrom
	ProxyRecursive bool
	nets           [2]geoNets // IPv4, IPv6
	Pos            parser.Pos
}

// geoNets are one family's networks by prefix length, lengths longest
// first.
type geoNets struct {
	byLen map[int]map[netip.Prefix]string
	lens  []int
}

func (g *geoNets) get(p netip.Prefix) (string, bool) {
	v, ok := g.byLen[p.Bits()][p]
	return v, ok
}

func (g *geoNets) set(p netip.Prefix, v string) {
	if g.byLen == nil {
		g.byLen = map[int]map[netip.Prefix]string{}
	}
	m := g.byLen[p.Bits()]
	if m == nil {
		m = map[netip.Prefix]string{}
		g.byLen[p.Bits()] = m
		g.lens = append(g.lens, p.Bits())
		slices.SortFunc(g.lens, func(a, b int) int { return b - a })
	}
	m[p] = v
}

func (g *geoNets) del(p netip.Prefix) bool {
	m := g.byLen[p.Bits()]
	if _, ok := m[p]; !ok {
		return false
	}
	delete(m, p)
	return true
}

// Lookup is ngx_http_geo_cidr_variable's search: an IPv4 address mapped
// into IPv6 is looked up as IPv4; an invalid address (a unix socket, a
// Source that is not an address) as 255.255.255.255.
func (g *Geo) Lookup(a netip.Addr) string {
	if !a.IsValid() {
		a = netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	a = a.Unmap()
	nets := &g.nets[0]
	if a.Is6() {
		nets = &g.nets[1]
	}
	for _, n := range nets.lens {
		p, _ := a.Prefix(n)
		if v, ok := nets.byLen[n][p]; ok {
			return v
		}
	}
	return ""
}

// setGeo reproduces ngx_http_geo_block and ngx_http_geo for the networks
// mode; "ranges" and "proxy" are refused until implemented.
func (l *loader) setGeo(d *parser.Directive, _ *scope) error {
	name := d.Args[0].Value
	if !strings.HasPrefix(name, "$") {
		return l.errf(d, `invalid variable name "%s"`, name)
	}
	g := &Geo{Pos: d.Pos}
	if len(d.Args) == 2 {
		// The source is looked up by name (ngx_http_get_variable_index),
		// not compiled as a value: the whole rest of the word is the
		// name, so "$1" or "$a-b" is an unknown variable at the end of
		// http, and "${host}" the unknown "{host}".
		v := lowerString(name[1:])
		if v == "" {
			return l.errf(d, `invalid variable name "$"`)
		}
		l.useVar(v)
		g.Source = &Complex{Raw: name, Segments: []Segment{{Var: v}}}
		name = d.Args[1].Value
		if !strings.HasPrefix(name, "$") {
			return l.errf(d, `invalid variable name "%s"`, name)
		}
	}
	if err := l.addVariable(d, name[1:]); err != nil {
		return err
	}
	g.Var = lowerString(name[1:])
	for _, e := range d.Block {
		if e.IsBlock() {
			return l.errf(e, `unexpected "{"`)
		}
		if len(e.Args) == 0 && e.Name == "ranges" {
			return l.errf(e, `"%s" in "geo" is not supported`, e.Name)
		}
		if len(e.Args) == 0 && e.Name == "proxy_recursive" {
			g.ProxyRecursive = true
			continue
		}
		if len(e.Args) != 1 {
			return l.errf(e, "invalid number of the geo parameters")
		}
		switch e.Name {
		case "proxy":
			p, err := l.geoNet(e, e.Args[0].Value)
			if err != nil {
				return err
			}
			g.Proxies = append(g.Proxies, RealIPFrom{Prefix: p})
			continue
		case "default":
			g.add(l, e, netip.PrefixFrom(netip.IPv4Unspecified(), 0), e.Args[0].Value, e.Name)
			g.add(l, e, netip.PrefixFrom(netip.IPv6Unspecified(), 0), e.Args[0].Value, e.Name)
			continue
		case "delete":
			p, err := l.geoNet(e, e.Args[0].Value)
			if err != nil {
				return err
			}
			if !g.nets[geoFamily(p)].del(p) {
				l.warnf(e, `no network "%s" to delete`, e.Args[0].Value)
			}
			continue
		}
		p, err := l.geoNet(e, e.Name)
		if err != nil {
			return err
		}
		g.add(l, e, p, e.Args[0].Value, e.Name)
	}
	// The roots' "" (ngx_http_variable_null_value) unless a default
	// was given.
	for i, p := range [...]netip.Prefix{netip.PrefixFrom(netip.IPv4Unspecified(), 0), netip.PrefixFrom(netip.IPv6Unspecified(), 0)} {
		if _, ok := g.nets[i].get(p); !ok {
			g.nets[i].set(p, "")
		}
	}
	l.http.h.Geos = append(l.http.h.Geos, g)
	l.http.h.defineHandler(g.Var, g)
	return nil
}

func geoFamily(p netip.Prefix) int {
	if p.Addr().Is4() {
		return 0
	}
	return 1
}

// add is ngx_http_geo_cidr_add: a network given twice keeps the later
// value, with nginx's warning.
func (g *Geo) add(l *loader, d *parser.Directive, p netip.Prefix, v, net string) {
	nets := &g.nets[geoFamily(p)]
	if old, ok := nets.get(p); ok {
		l.warnf(d, `duplicate network "%s", value: "%s", old value: "%s"`, net, v, old)
	}
	nets.set(p, v)
}

// geoNet is ngx_http_geo_cidr_value: "255.255.255.255", or a network
// (host bits under the mask warned of and cleared).
func (l *loader) geoNet(d *parser.Directive, net string) (netip.Prefix, error) {
	if net == "255.255.255.255" {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), 32), nil
	}
	p, meaningless, ok := parseCIDR(net)
	if !ok {
		return netip.Prefix{}, l.errf(d, `invalid network "%s"`, net)
	}
	if meaningless {
		l.warnf(d, "low address bits of %s are meaningless", net)
	}
	return p, nil
}

// ParseAddr is ngx_parse_addr: ngx_inet_addr's IPv4 (see InetAddr), else
// ngx_inet6_addr's IPv6 (see Inet6Addr).
func ParseAddr(b []byte) (netip.Addr, bool) {
	if a, ok := InetAddr(b); ok {
		return a, true
	}
	return Inet6Addr(b)
}

// InetAddr is ngx_inet_addr, nginx's own IPv4 parser: four decimal parts
// of at most 255, any of them empty or with leading zeros ("127..1" is
// 127.0.0.1 with an empty part, "127.0.0." is 127.0.0.0); 255.255.255.255
// is its error value (INADDR_NONE), so not an address.
func InetAddr[T string | []byte](b T) (netip.Addr, bool) {
	var v4 [4]byte
	octet, dots := 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			octet = octet*10 + int(c-'0')
			if octet > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && dots < 3:
			v4[dots] = byte(octet)
			octet = 0
			dots++
		default:
			return netip.Addr{}, false
		}
	}
	if dots != 3 {
		return netip.Addr{}, false
	}
	v4[3] = byte(octet)
	if v4 == [4]byte{255, 255, 255, 255} {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(v4), true
}

// getGeo is ngx_http_geo_cidr_variable: the address is the client's (as
// the realip module left it), or Source's value parsed as nginx does.
func getGeo(s *State, d *varDef) ([]byte, bool) {
	g := d.geo
	var a netip.Addr
	valid := true
	unix := false
	if g.Source != nil {
		a, valid = ParseAddr(s.Value(g.Source))
	} else if c := s.r.Conn(); c != nil {
		unix = c.UnixPath != "" && !c.Realip
		a = c.Remote.Addr()
	}
	if valid && len(g.Proxies) > 0 {
		// ngx_http_geo_addr: X-Forwarded-For from a trusted proxy.
		var lines [][]byte
		for i, n := 0, s.r.NumHeaders(RequestHeaders); i < n; i++ {
			if name, v := s.r.Header(RequestHeaders, i); strings.EqualFold(string(name), "x-forwarded-for") {
				lines = append(lines, v)
			}
		}
		if len(lines) > 0 {
			if fa, ok := ForwardedAddr(netip.AddrPortFrom(a, 0), unix, lines, g.Proxies, g.ProxyRecursive); ok {
				a, unix = fa.Addr(), false
			}
		}
	}
	if unix {
		a = netip.Addr{}
	}
	return s.str(g.Lookup(a))
}

// Inet6Addr is ngx_inet6_addr, nginx's own IPv6 parser, with its
// leniencies: a leading ":" is skipped (":1::" is read), the IPv4 tail is
// ngx_inet_addr's ("::1.02.3.4"), no zone.
func Inet6Addr[T string | []byte](p T) (netip.Addr, bool) {
	if len(p) == 0 {
		return netip.Addr{}, false
	}
	var addr [16]byte
	ai, zero, digit, len4 := 0, -1, -1, 0
	nibbles, word, n := 0, 0, 8
	i := 0
	if p[0] == ':' {
		i++
	}
	for ; i < len(p); i++ {
		c, left := p[i], len(p)-i
		if c == ':' {
			if nibbles > 0 {
				digit, len4 = i+1, left
				addr[ai], addr[ai+1] = byte(word>>8), byte(word)
				ai += 2
				if n--; n != 0 {
					nibbles, word = 0, 0
					continue
				}
			} else if zero < 0 {
				digit, len4, zero = i+1, left, ai
				continue
			}
			return netip.Addr{}, false
		}
		if c == '.' && nibbles > 0 {
			if n < 2 || digit < 0 {
				return netip.Addr{}, false
			}
			v4, ok := InetAddr(p[digit : digit+len4-1])
			if !ok {
				return netip.Addr{}, false
			}
			b := v4.As4()
			addr[ai], addr[ai+1] = b[0], b[1]
			ai += 2
			word = int(b[2])<<8 | int(b[3])
			n--
			break
		}
		if nibbles++; nibbles > 4 {
			return netip.Addr{}, false
		}
		switch {
		case c >= '0' && c <= '9':
			word = word*16 + int(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			word = word*16 + int(c|0x20-'a') + 10
		default:
			return netip.Addr{}, false
		}
	}
	if nibbles == 0 && zero < 0 {
		return netip.Addr{}, false
	}
	addr[ai], addr[ai+1] = byte(word>>8), byte(word)
	ai += 2
	if n--; n != 0 {
		if zero < 0 {
			return netip.Addr{}, false
		}
		// Move what follows "::" to the end, zeros in between.
		n *= 2
		for s := ai - 1; s >= zero; s-- {
			addr[s+n] = addr[s]
		}
		clear(addr[zero : zero+n])
		return netip.AddrFrom16(addr), true
	}
	if zero >= 0 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(addr), true
}
