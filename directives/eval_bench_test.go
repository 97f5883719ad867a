package directives

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// seedConf is the seed configuration's proxy location (examples/nginx.conf).
const seedConf = `
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }
    upstream demo {
        hash $remote_addr consistent;
        server 127.0.0.1:9001;
        server 127.0.0.1:9002;
    }
    server {
        listen 127.0.0.1:8080;
        server_name localhost;
        location /ws {
            proxy_pass http://demo;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
`

// browserRequest is a typical browser request for a WebSocket.
const browserRequest = "GET /ws?room=1 HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n" +
	"Accept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nSec-WebSocket-Version: 13\r\nOrigin: http://localhost:8080\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: keep-alive, Upgrade\r\nCookie: session=abc123; theme=dark\r\nX-Forwarded-For: 203.0.113.7\r\n" +
	"Pragma: no-cache\r\nCache-Control: no-cache\r\nUpgrade: websocket\r\n\r\n"

func seedSetup(b *testing.B) (*Engine, []*Header, *testReq) {
	cfg := mustLoad(b, seedConf)
	loc := cfg.HTTP.Servers[0].Locations[0]
	r := parseTestRequest(b, browserRequest)
	r.server = cfg.HTTP.Servers[0]
	r.conn.Remote = netip.MustParseAddrPort("198.51.100.20:51234")
	r.conn.Local = netip.MustParseAddrPort("127.0.0.1:8080")
	return cfg.HTTP.Engine(), loc.Conf.ProxySetHeaders, r
}

// BenchmarkSeedHeaders evaluates the seed location's four proxy_set_header
// values for one request with a pooled State (the steady state: the
// buffers are reused from the previous request).
func BenchmarkSeedHeaders(b *testing.B) {
	e, hdrs, r := seedSetup(b)
	var s State
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		s.Reset(e, r)
		dst = dst[:0]
		for _, h := range hdrs {
			dst = append(dst, h.Name...)
			dst = append(dst, ": "...)
			dst = s.Eval(h.Value, dst)
			dst = append(dst, "\r\n"...)
		}
	}
	if want := "Host: localhost\r\nUpgrade: websocket\r\nConnection: upgrade\r\nX-Forwarded-For: 203.0.113.7, 198.51.100.20\r\n"; string(dst) != want {
		b.Fatalf("got %q", dst)
	}
}

// BenchmarkSeedHeadersFreshState is BenchmarkSeedHeaders with a new State
// and output buffer per request (no pooling): the allocations a caller
// pays without reuse.
func BenchmarkSeedHeadersFreshState(b *testing.B) {
	e, hdrs, r := seedSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		s := new(State)
		s.Reset(e, r)
		dst := make([]byte, 0, 256)
		for _, h := range hdrs {
			dst = s.Eval(h.Value, dst)
		}
	}
}

// bigMapConf is a map of 1,000 entries, 50 of them regexes (last), and a
// value that uses it.
func bigMapConf() string {
	var b strings.Builder
	b.WriteString("map $http_x_key $big {\n    default none;\n")
	for i := range 950 {
		fmt.Fprintf(&b, "    key-%d.example.com value-%d;\n", i, i)
	}
	for i := range 50 {
		fmt.Fprintf(&b, "    ~^/api/v%d/(?<rest>.+)$ regex-%d-$rest;\n", i, i)
	}
	b.WriteString("}\nserver {\n    listen 127.0.0.1:8080;\n    location / { return 200 $big; }\n}\n")
	return b.String()
}

func BenchmarkMap1000(b *testing.B) {
	cfg := mustLoad(b, bigMapConf())
	text := cfg.HTTP.Servers[0].Locations[0].Conf.Script[0].Text
	e := cfg.HTTP.Engine()
	for _, c := range []struct{ name, key, want string }{
		{"exact", "Key-500.example.com", "value-500"},
		{"first-regex", "/api/v0/users", "regex-0-users"},
		{"last-regex", "/api/v49/users", "regex-49-users"},
		{"miss", "/nothing/here", "none"},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := parseTestRequest(b, "GET / HTTP/1.1\r\nHost: a\r\nX-Key: "+c.key+"\r\n\r\n")
			var s State
			var dst []byte
			b.ReportAllocs()
			for b.Loop() {
				s.Reset(e, r)
				dst = s.Eval(text, dst[:0])
			}
			if string(dst) != c.want {
				b.Fatalf("got %q, want %q", dst, c.want)
			}
		})
	}
}

// BenchmarkLocationRegexPCRE measures the PCRE engine on the common
// "deny dot files except .well-known" location, against RE2 on a pattern
// of the same size.
func BenchmarkLocationRegexPCRE(b *testing.B) {
	for _, c := range []struct{ name, pattern string }{
		{"regexp2", `/\.(?!well-known)`},
		{"re2", `/\.[^w]`},
	} {
		b.Run(c.name, func(b *testing.B) {
			re, err := compileRegexp(c.pattern, false)
			if err != nil {
				b.Fatal(err)
			}
			var s State
			uri := []byte("/static/js/app.min.js")
			b.ReportAllocs()
			for b.Loop() {
				if ok, _ := s.Match(re, uri); ok {
					b.Fatal("matched")
				}
			}
		})
	}
}
