package proxy

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// getBody makes one HTTP/1.0 request to addr and returns the response.
func getBody(t *testing.T, addr, path string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUpstreamTLSKeepalive: connections to a TLS upstream go back to the
// group's keepalive pool like plain ones and carry the next request
// without another handshake.
func TestUpstreamTLSKeepalive(t *testing.T) {
	var conns atomic.Int32
	be := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "tls:"+r.URL.Path)
	}))
	be.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	be.StartTLS()
	t.Cleanup(be.Close)
	port := freePort(t)
	log, _ := testLog(t)
	s := New(load(t, "upstream u { server "+be.Listener.Addr().String()+"; keepalive 4; }\n"+
		"server { listen 127.0.0.1:"+port+"; location / { proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_pass https://u; } }\n"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	for _, path := range []string{"/a", "/b", "/c"} {
		if got := getBody(t, "127.0.0.1:"+port, path); !strings.HasSuffix(got, "\r\n\r\ntls:"+path) {
			t.Fatalf("%s: %q", path, got)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections to the upstream, want 1 kept alive", n)
	}
}

// TestUpstreamTLSFailures: a peer that does not speak TLS, and one that
// never answers the handshake, as nginx answers and logs them.
func TestUpstreamTLSFailures(t *testing.T) {
	// A plain HTTP server answers the ClientHello with its 400 at once.
	plain := acceptingPeer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
	})
	silent := acceptingPeer(t, func(net.Conn) {})
	port := freePort(t)
	log, lines := testLog(t)
	s := New(load(t, "server { listen 127.0.0.1:"+port+";\n"+
		" location /plain/ { proxy_pass https://"+plain+"; }\n"+
		" location /silent/ { proxy_connect_timeout 300ms; proxy_pass https://"+silent+"; } }\n"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	if got := getBody(t, "127.0.0.1:"+port, "/plain/x"); !strings.HasPrefix(got, "HTTP/1.1 502 ") {
		t.Errorf("plain peer: %q", got)
	}
	logged(t, lines, `^\[error\] \*\d+ SSL_do_handshake\(\) failed \(SSL: error:0A00010B:SSL routines::wrong version number\) while SSL handshaking to upstream, client: 127\.0\.0\.1, server: , request: "GET /plain/x HTTP/1\.0", upstream: "https://`+plain+`/plain/x"`)
	if got := getBody(t, "127.0.0.1:"+port, "/silent/x"); !strings.HasPrefix(got, "HTTP/1.1 504 ") {
		t.Errorf("silent peer: %q", got)
	}
	logged(t, lines, `^\[error\] \*\d+ upstream timed out \(110: Connection timed out\) while SSL handshaking to upstream`)
}

// acceptingPeer is a TCP peer that runs greet on each connection it
// accepts, then holds it open until the test ends.
func acceptingPeer(t *testing.T, greet func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			greet(c)
			held = append(held, c)
		}
	}()
	return ln.Addr().String()
}
