package proxy

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// BenchmarkUpstreamHead measures building the upstream request head for
// the demo's location: six proxy_set_header values (variables and a map),
// then the client's headers.
func BenchmarkUpstreamHead(b *testing.B) {
	conf := `map $http_upgrade $connection_upgrade { default upgrade; '' close; }
server { listen 127.0.0.1:18082; server_name localhost;
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    location / { proxy_pass http://127.0.0.1:9001; }
}
`
	cfg, err := directives.LoadString("/tmp/bench.conf", "events {}\nhttp { access_log off;\n"+conf+"}\n", directives.LoadOptions{Prefix: "/tmp/"})
	if err != nil {
		b.Fatal(err)
	}
	rt := newRuntime(cfg, nil)
	var ac *addrConf
	for _, a := range rt.addrs {
		ac = a
	}
	s := &Server{version: "nginxws"}
	c := &conn{s: s, remoteAddr: "127.0.0.1", remotePort: "50000", localAddr: "127.0.0.1", localPort: "8080"}
	c.rs = s.getReq()
	c.info.Remote = netip.MustParseAddrPort("127.0.0.1:50000")
	c.info.Local = netip.MustParseAddrPort("127.0.0.1:8080")
	raw := "GET /path/to/page?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n" +
		"Accept: text/html,application/xhtml+xml\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\n" +
		"Cookie: session=abc; theme=dark\r\nConnection: keep-alive\r\n\r\n"
	rd := http1.NewReader(bytes.NewReader([]byte(raw)), &s.pools)
	if err := rd.ReadRequest(&c.rs.head, &ac.limits); err != nil {
		b.Fatal(err)
	}
	x := &c.rs.x
	x.begin(c, rt, ac)
	x.selectServer()
	m, _ := x.srv.find(x.uri, x.vs)
	x.setConf(m.loc, m.loc.conf)
	plan := rt.plans[x.conf]
	t, _ := x.resolveTarget(x.conf.ProxyPass)
	uri := x.appendUpstreamURI(nil, t.uri, t.hasURI, t.vars)
	x.up.method = x.method
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		// A request's variable state starts empty, as for a new request.
		x.vs.Reset(cfg.HTTP.Engine(), x)
		dst = x.appendUpstreamHead(dst[:0], plan, uri)
	}
	b.StopTimer()
	if !bytes.HasPrefix(dst, []byte("GET /path/to/page?x=1 HTTP/1.1\r\n")) || !bytes.Contains(dst, []byte("Connection: close\r\n")) || !bytes.Contains(dst, []byte("X-Forwarded-For: 127.0.0.1\r\n")) {
		b.Fatalf("unexpected head:\n%s", dst)
	}
}
