package directives

import (
	"net/netip"
	"strings"
)

// ForwardedAddr is ngx_http_get_forwarded_addr: the headers' lines are
// read from the last, each from its last address back, for as long as the
// address reached so far is trusted (one step only without recursive). It
// reports false when the peer itself is not trusted or the first address
// read is not one.
func ForwardedAddr(peer netip.AddrPort, unix bool, lines [][]byte, from []RealIPFrom, recursive bool) (netip.AddrPort, bool) {
	addr, found := peer, false
	for i := len(lines) - 1; i >= 0; i-- {
		next, done, ok := forwardedLine(addr, unix && !found, lines[i], from, recursive)
		if !ok {
			return addr, found
		}
		addr, found, unix = next, true, false
		if done || !recursive {
			return addr, true
		}
	}
	return addr, found
}

// forwardedLine is ngx_http_get_forwarded_addr_internal on one line: it
// returns the address reached, whether the walk stopped inside the line
// (an untrusted address or a word that is not one, after a first
// address), and false when not even a first address was taken.
func forwardedLine(addr netip.AddrPort, unix bool, xff []byte, from []RealIPFrom, recursive bool) (netip.AddrPort, bool, bool) {
	found := false
	n := len(xff)
	for {
		if !realIPTrusted(addr, unix && !found, from) {
			return addr, found, found
		}
		if n <= 0 {
			return addr, found, found
		}
		p := n - 1
		for p > 0 && (xff[p] == ' ' || xff[p] == ',') {
			p--
			n--
		}
		for p > 0 {
			if xff[p] == ' ' || xff[p] == ',' {
				p++
				break
			}
			p--
		}
		next, ok := ParseAddrPort(xff[p:n])
		if !ok {
			return addr, found, found
		}
		addr, found = next, true
		n = p - 1
		if !recursive || p <= 0 {
			return addr, false, true
		}
	}
}

// realIPTrusted is ngx_cidr_match against set_real_ip_from: an IPv4
// address mapped into IPv6 matches the IPv4 networks.
func realIPTrusted(addr netip.AddrPort, unix bool, from []RealIPFrom) bool {
	a := addr.Addr()
	if a.Is4In6() {
		a = a.Unmap()
	}
	for _, f := range from {
		switch {
		case f.Unix:
			if unix {
				return true
			}
		case unix:
		case f.Prefix.Addr().Is4() == a.Is4() && f.Prefix.Contains(a):
			return true
		}
	}
	return false
}

// ParseAddrPort is ngx_parse_addr_port: an address, or an address and a
// port (IPv6 in brackets then); without a port the port is 0.
func ParseAddrPort(b []byte) (netip.AddrPort, bool) {
	if a, ok := ParseAddr(b); ok {
		return netip.AddrPortFrom(a, 0), true
	}
	text := b
	var p int
	if len(b) > 0 && b[0] == '[' {
		i := strings.IndexByte(string(b), ']')
		if i < 0 || i == len(b)-1 || b[i+1] != ':' {
			return netip.AddrPort{}, false
		}
		p, text = i+1, b[1:i]
	} else {
		p = strings.IndexByte(string(b), ':')
		if p < 0 {
			return netip.AddrPort{}, false
		}
		text = b[:p]
	}
	port := 0
	digits := b[p+1:]
	if len(digits) == 0 {
		return netip.AddrPort{}, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return netip.AddrPort{}, false
		}
		port = port*10 + int(c-'0')
		if port > 65535 {
			return netip.AddrPort{}, false
		}
	}
	if port < 1 {
		return netip.AddrPort{}, false
	}
	a, ok := ParseAddr(text)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}
