package directives

import "testing"

// InetAddr and Inet6Addr read addresses as ngx_inet_addr and
// ngx_inet6_addr do (each case checked with nginx 1.22's "allow" at -t),
// leniencies included, not as net/netip does.
func TestInetAddrLikeNginx(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":       "127.0.0.1",
		"127.0.0.":        "127.0.0.0",
		"127..0.1":        "127.0.0.1",
		"010.000.0.01":    "10.0.0.1",
		"255.255.255.255": "", // INADDR_NONE
		"256.0.0.1":       "",
		"127.1":           "",
		"1.2.3.4.5":       "",
		"":                "",
		"0x7f.0.0.1":      "",
	} {
		a, ok := InetAddr(in)
		if got := a.String(); !ok && want != "" || ok && got != want {
			t.Errorf("InetAddr(%q) = %v %v, want %q", in, got, ok, want)
		}
	}
	for in, want := range map[string]string{
		"::1":                   "::1",
		":1::":                  "1::",
		"::1.02.3.4":            "::102:304",
		"::ffff:1.2.3.4":        "::ffff:1.2.3.4",
		"1:2:3:4:5:6:1.2.3.4":   "1:2:3:4:5:6:102:304",
		"1:2:3:4:5:6:7::":       "",
		"1:2:3:4:5:6:7:1.2.3.4": "",
		"::255.255.255.255":     "",
		"::1.2.3":               "",
		"fe80::1%lo":            "",
		"1::2::3":               "",
		":::1":                  "",
		"12345::":               "",
		"1234":                  "",
	} {
		a, ok := Inet6Addr(in)
		if got := a.String(); !ok && want != "" || ok && got != want {
			t.Errorf("Inet6Addr(%q) = %v %v, want %q", in, got, ok, want)
		}
	}
}
