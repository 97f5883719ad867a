package proxy

import (
	"net/http"
	"os"
	"path/filepath"
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
