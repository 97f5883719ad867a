package proxy

import (
	"math/rand"
	"net"
	"strings"
	"testing"
	"time"
)

// TestGarbageNeverPanics throws malformed and random requests at a server
// with proxying, static files, rewrites and error pages; no connection may
// panic (a recovered panic is logged at [alert]) and the server must keep
// answering.
func TestGarbageNeverPanics(t *testing.T) {
	be := startBackend(t, okReply, crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\n"), "garbage", crlf("HTTP/1.1 302 Found\nLocation: /x\nX-Accel-Redirect: %zz/../\n\n"))
	dir := t.TempDir()
	conf := `server { listen 127.0.0.1:{{PORT}}; root ` + dir + `;
    location /p/ { proxy_pass http://{{B}}/u/; proxy_read_timeout 300ms; error_page 502 504 /err; }
    location /v { proxy_pass http://{{B}}$request_uri; }
    location ~ ^/re/(.*)$ { rewrite ^/re/(.*)$ /p/$1?$args last; }
    location /t { try_files $uri $uri/ @n; }
    location @n { return 200 "$uri $args $http_x"; }
    location = /err { return 500 "err"; }
}
`
	addr, lines := proxyFor(t, conf, be)
	r := rand.New(rand.NewSource(1))
	pieces := []string{"GET ", "POST ", "HEAD ", "/p/", "/v", "/re/", "/t", "%", "%2e", "..", "/", "?", "&", "#", " HTTP/1.1\r\n", " HTTP/1.0\r\n",
		"Host: ", "h", "\r\n", "\r\n\r\n", "Content-Length: 3\r\n", "Transfer-Encoding: chunked\r\n", "3\r\nabc\r\n0\r\n\r\n",
		"Expect: 100-continue\r\n", "Range: bytes=0-1,5-\r\n", "\x00", "\xff", "Upgrade: websocket\r\n", "X: \x01\r\n", "zz\r\n"}
	for i := 0; i < 300; i++ {
		var b strings.Builder
		for j := r.Intn(12); j >= 0; j-- {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
		_, _ = c.Write([]byte(b.String()))
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		c.Close()
	}
	if got := exchangeRaw(t, addr, crlf("GET /t/x?a=1 HTTP/1.0\n\n"), 2*time.Second); !strings.HasSuffix(got, "/t/x a=1 ") {
		t.Errorf("server no longer answers: %q", got)
	}
	for _, l := range lines() {
		if strings.HasPrefix(l, "[alert]") {
			t.Errorf("log: %s", l)
		}
	}
}
