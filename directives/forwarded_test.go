package directives

import (
	"net/netip"
	"testing"
)

// TestParseAddrPort: ngx_parse_addr_port's forms, as nginx 1.22 reads them
// in X-Real-IP (checked side by side in 353-realip).
func TestParseAddrPort(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":          "192.0.2.1:0",
		"192.0.2.1:8080":     "192.0.2.1:8080",
		"010.001.1.1":        "10.1.1.1:0",
		"1..2.3":             "1.0.2.3:0",
		"[2001:db8::1]:443":  "[2001:db8::1]:443",
		"2001:db8::2":        "[2001:db8::2]:0",
		"::ffff:192.0.2.9":   "[::ffff:192.0.2.9]:0",
		"255.255.255.255":    "",
		"192.0.2.1:0":        "",
		"192.0.2.1:65536":    "",
		"192.0.2.1:":         "",
		"[2001:db8::1]":      "",
		"fe80::1%eth0":       "",
		"unknown":            "",
		"256.1.1.1":          "",
		"1.2.3":              "",
		"":                   "",
		"192.0.2.1:80:90":    "",
		"[2001:db8::1]x:443": "",
	} {
		got, ok := ParseAddrPort([]byte(in))
		s := ""
		if ok {
			s = got.String()
		}
		if s != want {
			t.Errorf("%q: got %q, want %q", in, s, want)
		}
	}
}

// TestForwardedAddr: ngx_http_get_forwarded_addr's walk over
// X-Forwarded-For lines, from the last address back.
func TestForwardedAddr(t *testing.T) {
	from := []RealIPFrom{{Prefix: netip.MustParsePrefix("127.0.0.0/8")}, {Prefix: netip.MustParsePrefix("10.0.0.0/8")}}
	peer := netip.MustParseAddrPort("127.0.0.1:40000")
	for _, c := range []struct {
		lines     []string
		recursive bool
		want      string
	}{
		{[]string{"203.0.113.5, 10.0.0.2"}, false, "10.0.0.2:0"},
		{[]string{"203.0.113.5, 10.0.0.2"}, true, "203.0.113.5:0"},
		{[]string{"203.0.113.5", "10.0.0.3"}, true, "203.0.113.5:0"},
		{[]string{"203.0.113.5", "10.0.0.3"}, false, "10.0.0.3:0"},
		{[]string{"203.0.113.5, 198.51.100.9, 10.0.0.2"}, true, "198.51.100.9:0"},
		{[]string{"203.0.113.5, junk"}, true, ""},
		{[]string{"junk, 10.0.0.2"}, true, "10.0.0.2:0"},
		{[]string{",10.0.0.2"}, true, ""},
		{[]string{"198.51.100.7 ,, "}, false, "198.51.100.7:0"},
		{[]string{"203.0.113.5", ""}, true, ""},
	} {
		lines := make([][]byte, len(c.lines))
		for i, l := range c.lines {
			lines[i] = []byte(l)
		}
		got, ok := ForwardedAddr(peer, false, lines, from, c.recursive)
		s := ""
		if ok {
			s = got.String()
		}
		if s != c.want {
			t.Errorf("%q recursive=%v: got %q, want %q", c.lines, c.recursive, s, c.want)
		}
	}
	// An untrusted peer's word is not taken; a unix peer is trusted by
	// "unix:".
	if _, ok := ForwardedAddr(netip.MustParseAddrPort("192.0.2.50:1"), false, [][]byte{[]byte("1.2.3.4")}, from, false); ok {
		t.Error("an untrusted peer's header was taken")
	}
	unix := []RealIPFrom{{Unix: true}}
	if got, ok := ForwardedAddr(netip.AddrPort{}, true, [][]byte{[]byte("1.2.3.4")}, unix, false); !ok || got.Addr().String() != "1.2.3.4" {
		t.Errorf("unix peer: %v %v", got, ok)
	}
}
