package proxy

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestTerminatedRequestResets: a request that ends because its client
// closed (499, here while limit_req delays it) is terminated as nginx's
// ngx_http_terminate_request does, without a lingering close, so that
// bytes the client sent before its close (part of a next request) make
// the close a reset. (The side-by-side suite cannot tell a reset from an
// end of file.)
func TestTerminatedRequestResets(t *testing.T) {
	be := startBackend(t, crlf("HTTP/1.1 200 OK\nContent-Length: 2\n\n")+"ok")
	conf := "limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;\n" +
		"server { listen 127.0.0.1:{{PORT}}; location / { limit_req zone=z burst=5; proxy_pass http://{{B}}; } }\n"
	addr, _ := proxyFor(t, conf, be)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The second request is delayed a second; the client sends part of
	// a third, then closes its side.
	_, _ = c.Write([]byte("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"))
	time.Sleep(300 * time.Millisecond)
	_, _ = c.Write([]byte("GET /x"))
	time.Sleep(100 * time.Millisecond)
	_ = c.(*net.TCPConn).CloseWrite()
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(c)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read %q, then %v; want the first response, then a reset", b, err)
	}
}
