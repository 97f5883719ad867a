package proxy

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAuthDelay: a 401 of the access phase is answered auth_delay after
// the request, never sooner (the side-by-side 456 checks what is answered
// and logged; only the wait is timed here, as a lower bound).
func TestAuthDelay(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(users, []byte("alice:{PLAIN}secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	log, _ := testLog(t)
	s := New(load(t, "server { listen 127.0.0.1:"+port+"; auth_basic r; auth_basic_user_file "+users+
		"; auth_delay 400ms; location / { root "+dir+"; } }"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	start := time.Now()
	resp, err := http.Get("http://127.0.0.1:" + port + "/htpasswd")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if took := time.Since(start); resp.StatusCode != 401 || took < 400*time.Millisecond {
		t.Fatalf("status %d after %v, want 401 after auth_delay's 400ms", resp.StatusCode, took)
	}
}

// TestAuthDelayClientLeaves: a client that closes its connection while its
// 401 waits out auth_delay ends the request at once, as
// ngx_http_test_reading does: nginx's info line, 499 in the access log,
// and no wait for the rest of the delay.
func TestAuthDelayClientLeaves(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(users, []byte("alice:{PLAIN}secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	access := filepath.Join(dir, "access.log")
	port := freePort(t)
	log, lines := testLog(t)
	s := New(load(t, "log_format st '$status';\nserver { listen 127.0.0.1:"+port+"; access_log "+access+
		" st; auth_basic r; auth_basic_user_file "+users+"; auth_delay 30s; location / { root "+dir+"; } }"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /htpasswd HTTP/1.1\r\nHost: x\r\n\r\n")
	logged(t, lines, `^\[info\] \*\d+ delaying unauthorized request, client: 127\.0\.0\.1, server: , request: "GET /htpasswd HTTP/1\.1", host: "x"$`)
	c.Close()
	// logged waits 5 s at most: far less than the 30 s of the delay.
	logged(t, lines, `^\[info\] \*\d+ client prematurely closed connection, client: 127\.0\.0\.1, server: , request: "GET /htpasswd HTTP/1\.1", host: "x"$`)
	logged(t, func() []string {
		b, _ := os.ReadFile(access)
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}, `^499$`)
}
