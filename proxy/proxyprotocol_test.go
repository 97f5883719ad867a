package proxy

import (
	"strings"
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// v2 builds a v2 header: version/command, family/transport, the body.
func v2(verCmd, famTrans byte, body string) string {
	n := len(body)
	return string(proxyV2Signature[:]) + string([]byte{verCmd, famTrans, byte(n >> 8), byte(n)}) + body
}

func TestParseProxyHeader(t *testing.T) {
	ipv4 := "\xc0\x00\x02\x01\xc0\x00\x02\x02\x04\xd2\x01\xbb"
	tests := []struct {
		name, in string
		n        int // -1: refused
		header   *directives.ProxyHeader
		errMsg   string
	}{
		{"tcp4", "PROXY TCP4 1.2.3.4 5.6.7.8 80 443\r\nGET", 35, &directives.ProxyHeader{SrcAddr: "1.2.3.4", DstAddr: "5.6.7.8", SrcPort: 80, DstPort: 443}, ""},
		{"text kept", "PROXY TCP6 ::1 aBc 0 00080\r\n", 28, &directives.ProxyHeader{SrcAddr: "::1", DstAddr: "aBc", DstPort: 80}, ""},
		{"empty address", "PROXY TCP4  x 1 2\r\n", -1, nil, `broken header: "PROXY TCP4  x 1 2` + "\r\n" + `"`},
		{"unknown", "PROXY UNKNOWN\r\nGET", 15, nil, ""},
		{"unknown text", "PROXY UNKNOWN whatever\r\n", 24, nil, ""},
		{"unknown no crlf", "PROXY UNKNOWN\n", -1, nil, `broken header: "PROXY UNKNOWN` + "\n" + `"`},
		{"short", "PROXY T", -1, nil, `broken header: "PROXY T"`},
		{"port too big", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 1\r\n", -1, nil, `broken header: "PROXY TCP4 1.2.3.4 5.6.7.8 65536 1` + "\r\n" + `"`},
		{"port sign", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 1\r\n", -1, nil, `broken header: "PROXY TCP4 1.2.3.4 5.6.7.8 +1 1` + "\r\n" + `"`},
		{"cr without lf", "PROXY TCP4 1.2.3.4 5.6.7.8 1 1\r", -1, nil, `broken header: "PROXY TCP4 1.2.3.4 5.6.7.8 1 1` + "\r" + `"`},
		{"v2 ipv4 tlv", v2(0x21, 0x11, ipv4+"\x02\x00\x01x") + "GET", 32, &directives.ProxyHeader{SrcAddr: "192.0.2.1", DstAddr: "192.0.2.2", SrcPort: 1234, DstPort: 443}, ""},
		{"v2 ipv6 mapped", v2(0x21, 0x21, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x01\x02\x03\x04"+"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"+"\x00\x01\x00\x02"), 52, &directives.ProxyHeader{SrcAddr: "::ffff:1.2.3.4", DstAddr: "2001:db8::1", SrcPort: 1, DstPort: 2}, ""},
		{"v2 local", v2(0x20, 0x11, ipv4), 28, nil, ""},
		{"v2 unix family", v2(0x21, 0x31, ipv4), 28, nil, ""},
		{"v2 version", v2(0x11, 0x11, ipv4), -1, nil, "unknown PROXY protocol version: 1"},
		{"v2 truncated", v2(0x21, 0x11, ipv4)[:20], -1, nil, "header is too large"},
		{"v2 short address", v2(0x21, 0x11, "\x01\x02"), -1, nil, ""},
		{"v2 signature cut", string(proxyV2Signature[:10]), -1, nil, `broken header: "` + string(proxyV2Signature[:10]) + `"`},
	}
	for _, tt := range tests {
		got := parseProxyHeader([]byte(tt.in))
		if got.n != tt.n || got.errMsg != tt.errMsg || (got.header == nil) != (tt.header == nil) || got.header != nil && *got.header != *tt.header {
			t.Errorf("%s: got n=%d %+v %q, want n=%d %+v %q", tt.name, got.n, got.header, got.errMsg, tt.n, tt.header, tt.errMsg)
		}
	}
}

// FuzzParseProxyHeader: any bytes give a verdict within them, never a panic.
func FuzzParseProxyHeader(f *testing.F) {
	f.Add([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 80 443\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add([]byte(v2(0x21, 0x21, "0123456789abcdef0123456789abcdef0123")))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := parseProxyHeader(b)
		if r.n > len(b) || r.n == 0 || r.n < -1 {
			t.Fatalf("n=%d of %d bytes", r.n, len(b))
		}
	})
}

// TestProxyProtocolReusable: a connection awaiting its PROXY protocol
// header is reusable, as nginx's are from accept: with worker_connections
// 10 (8 slots for clients), 14 connections that send nothing make room for
// each other — the 6 oldest are closed without a word, the newest are
// served once their header comes.
func TestProxyProtocolReusable(t *testing.T) {
	lines := reuseScenario(t, " proxy_protocol", "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n")
	for _, l := range lines {
		if strings.Contains(l, "PROXY") || strings.HasPrefix(l, "[alert]") || strings.HasPrefix(l, "[error]") {
			t.Errorf("error log: %q", l)
		}
	}
}
