package proxy

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// limitConf is a WebSocket location under limit_conn zone=1 per client
// address, keyed by key.
func limitConf(port, upstream, key string) string {
	return "map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n" +
		"limit_conn_zone " + key + " zone=ws:1m;\n" +
		"server { listen 127.0.0.1:" + port + "; limit_conn ws 1;\n" +
		" location / { proxy_pass http://" + upstream + "; proxy_http_version 1.1;\n" +
		"  proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; } }\n"
}

// TestLimitConnTunnel: a WebSocket tunnel holds its limit_conn count for
// as long as it lives, as nginx's request does; a reload that keeps the
// zone keeps the count, one that changes the zone's key fails with
// nginx's [emerg].
func TestLimitConnTunnel(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	port := freePort(t)
	log, lines := testLog(t)
	s := New(load(t, limitConf(port, be.addr(), "$binary_remote_addr")), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	e := &tunnelEnv{port: port, addr: "127.0.0.1:" + port, s: s}
	first := e.dial(t, "/echo", nil)
	echoOnce(t, first, pattern(10, false))
	refused := func() {
		t.Helper()
		_, resp, err := websocket.DefaultDialer.Dial("ws://"+e.addr+"/echo", nil)
		if err == nil || resp == nil || resp.StatusCode != 503 {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Fatalf("second tunnel: %v (status %d), want 503", err, status)
		}
	}
	refused()
	logged(t, lines, `^\[error\] \*\d+ limiting connections by zone "ws", client: 127\.0\.0\.1, server: , request: "GET /echo HTTP/1\.1", host: "127\.0\.0\.1:\d+"$`)

	// The same zone and key across a reload: the tunnel is still counted.
	if err := s.Reload(load(t, limitConf(port, be.addr(), "$binary_remote_addr"))); err != nil {
		t.Fatal(err)
	}
	refused()
	// Another key for the zone: nginx refuses the new configuration.
	err := s.Reload(load(t, limitConf(port, be.addr(), "$remote_addr")))
	if want := `limit_conn_zone "ws" uses the "$remote_addr" key while previously it used the "$binary_remote_addr" key`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("reload with another key: %v, want %s", err, want)
	}
	logged(t, lines, `^\[emerg\] limit_conn_zone "ws" uses the "\$remote_addr" key while previously it used the "\$binary_remote_addr" key$`)

	// The tunnel's end gives its count back.
	first.Close()
	waitTunnels(t, s, 0)
	echoOnce(t, e.dial(t, "/echo", nil), pattern(10, false))
}
