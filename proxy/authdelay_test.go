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

// authDelayServer runs a Server asking for basic authentication (its user
// file is what /htpasswd serves) with auth_delay delay and an access log
// of statuses; it returns the port, the error log's lines and the access
// log's path.
func authDelayServer(t *testing.T, delay string) (port string, lines func() []string, access string) {
	t.Helper()
	dir := t.TempDir()
	users := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(users, []byte("alice:{PLAIN}secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	access = filepath.Join(dir, "access.log")
	port = freePort(t)
	log, lines := testLog(t)
	s := New(load(t, "log_format st '$status';\nserver { listen 127.0.0.1:"+port+"; access_log "+access+
		" st; auth_basic r; auth_basic_user_file "+users+"; auth_delay "+delay+"; location / { root "+dir+"; } }"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	return port, lines, access
}

// TestAuthDelay: a 401 of the access phase is answered auth_delay after
// the request, never sooner (the side-by-side 456 checks what is answered
// and logged; only the wait is timed here, as a lower bound).
func TestAuthDelay(t *testing.T) {
	port, _, _ := authDelayServer(t, "400ms")
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
	port, lines, access := authDelayServer(t, "30s")
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
