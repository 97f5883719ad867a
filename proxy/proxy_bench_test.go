package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// benchUpstream runs a raw upstream on loopback that hands every
// connection to serve, and returns its address.
func benchUpstream(b *testing.B, serve func(c net.Conn, br *bufio.Reader)) string {
	b.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String()
}

// benchProxy runs an in-process Server on the http block httpConf makes
// for a free port and a scratch directory (its error log at level), and
// returns a client connection to it and the connection's reader.
func benchProxy(b *testing.B, level errlog.Level, httpConf func(port, dir string) string) (net.Conn, *bufio.Reader) {
	b.Helper()
	pl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := strconv.Itoa(pl.Addr().(*net.TCPAddr).Port)
	pl.Close()
	dir := b.TempDir()
	cfg, err := directives.LoadString(filepath.Join(dir, "nginx.conf"),
		"events {}\nhttp {\n"+httpConf(port, dir)+"}\n", directives.LoadOptions{Prefix: dir + "/"})
	if err != nil {
		b.Fatal(err)
	}
	set, err := errlog.Open([]errlog.Target{{Path: filepath.Join(dir, "error.log"), Level: level}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { set.Close() })
	s := New(cfg, errlog.New("nginxws", os.Getpid(), os.Stderr, set))
	s.SetVersion("nginxws")
	if err := s.Listen(); err != nil {
		b.Fatal(err)
	}
	go func() { _ = s.Serve() }()
	b.Cleanup(func() { _ = s.Close() })
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// BenchmarkProxyKeepalive: one request proxied per operation, the
// client's connection and the upstream's both kept alive (upstream
// keepalive, proxy_http_version 1.1): what a production reverse proxy
// does most. The upstream answers a fixed 1 KiB response at once, so the
// figures are mostly the proxy's own (ns/op and allocs/op per request;
// the client's http.ReadResponse allocates too). keepalive_requests is
// raised on both sides: at nginx's 1000 the proxy closes the connections
// in turn.
func BenchmarkProxyKeepalive(b *testing.B) {
	body := make([]byte, 1024)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	resp := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1024\r\n\r\n" + string(body)
	upstream := benchUpstream(b, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, err := readHead(br); err != nil {
				return
			}
			if _, err := io.WriteString(c, resp); err != nil {
				return
			}
		}
	})
	c, br := benchProxy(b, errlog.LevelError, func(port, _ string) string {
		return " access_log off;\n upstream be { server " + upstream + "; keepalive 8; keepalive_requests 1000000000; }\n" +
			" server { listen 127.0.0.1:" + port + "; keepalive_requests 1000000000;\n" +
			"  location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection \"\";\n" +
			"   proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } }\n"
	})
	req := []byte("GET /page?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	get := func() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		r, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if err != nil || r.StatusCode != 200 || n != 1024 {
			b.Fatalf("status %d, %d B, %v", r.StatusCode, n, err)
		}
	}
	get()
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
}
