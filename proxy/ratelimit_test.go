package proxy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLimitRatePacing: a 24 KiB file at limit_rate 8k goes out as nginx's
// write filter paces it, about 8 KiB a second (its allowance is rate × the
// whole seconds since the request began, plus one), so it takes close to
// two seconds; with limit_rate_after covering the file there is no pause,
// and a "set $limit_rate 0" lifts the limit. Only lower bounds and the
// difference between the runs are checked: the machine may be slow, never
// faster than the pacing allows.
func TestLimitRatePacing(t *testing.T) {
	root := t.TempDir()
	body := bytes.Repeat([]byte("0123456789abcdef"), 24<<10/16)
	if err := os.WriteFile(filepath.Join(root, "f.bin"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	log, _ := testLog(t)
	s := New(load(t, "server { listen 127.0.0.1:"+port+"; root "+root+";\n"+
		"location /slow/ { alias "+root+"/; limit_rate 8k; }\n"+
		"location /after/ { alias "+root+"/; limit_rate 8k; limit_rate_after 64k; }\n"+
		"location /lifted/ { alias "+root+"/; limit_rate 8k; set $limit_rate 0; }\n}\n"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	get := func(path string) time.Duration {
		t.Helper()
		start := time.Now()
		resp, err := http.Get("http://127.0.0.1:" + port + path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%s: %d bytes, %v", path, len(got), err)
		}
		return time.Since(start)
	}
	slow := get("/slow/f.bin")
	after := get("/after/f.bin")
	lifted := get("/lifted/f.bin")
	if slow < 1500*time.Millisecond {
		t.Errorf("24 KiB at 8k/s took %v, want about 2s", slow)
	}
	for name, d := range map[string]time.Duration{"limit_rate_after": after, "set $limit_rate 0": lifted} {
		if slow-d < time.Second {
			t.Errorf("with %s the file took %v, the limited one %v: no pause expected", name, d, slow)
		}
	}
}

// TestLimitRateUnbufferedHeaderOnly: nginx lifts the limit for an
// unbuffered response (ngx_http_upstream_send_response) only after it
// ended a header-only one, so the head of a HEAD answer goes out at the
// upstream's X-Accel-Limit-Rate (1 byte a second here: a byte or two in
// 300 ms), while a GET's comes at once.
func TestLimitRateUnbufferedHeaderOnly(t *testing.T) {
	be := startBackend(t, "HTTP/1.1 200 OK\r\nX-Accel-Limit-Rate: 1\r\nContent-Length: 5\r\n\r\nhello")
	addr, _ := proxyFor(t, "server { listen 127.0.0.1:{{PORT}}; location / { proxy_buffering off; proxy_pass http://{{B}}; } }\n", be)
	for _, tc := range []struct {
		method string
		whole  bool
	}{{"GET", true}, {"HEAD", false}} {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(c, tc.method+" / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		got, _ := io.ReadAll(c)
		c.Close()
		if whole := bytes.HasSuffix(got, []byte("\r\n\r\n")) || bytes.HasSuffix(got, []byte("hello")); whole != tc.whole || (!whole && len(got) > 2) {
			t.Errorf("%s: %d bytes in 300 ms (%q), want the whole response: %v", tc.method, len(got), got, tc.whole)
		}
	}
}
