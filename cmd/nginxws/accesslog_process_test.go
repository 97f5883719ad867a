package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestAccessLogBufferAndSignals runs the binary with a buffered access log
// (buffer=64k, no flush=): lines stay in memory, SIGUSR1 writes them to the
// rotated file and reopens the log by name, and SIGQUIT writes the rest
// before nginxws exits, as nginx's exiting worker flushes its buffers.
func TestAccessLogBufferAndSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			port := freePort(t)
			access := filepath.Join(dir, "access.log")
			write(t, filepath.Join(dir, "nginx.conf"), "pid "+dir+"/nginx.pid;\nerror_log "+dir+"/error.log notice;\nevents {}\n"+
				"http {\n    log_format short '$request $status';\n"+
				"    access_log "+access+" short buffer=64k;\n"+
				"    server { listen 127.0.0.1:"+strconv.Itoa(port)+"; location / { return 200 \"ok\\n\"; } }\n}\n")
			s := start(t, dir, filepath.Join(dir, "nginx.pid"), args(dir)...)
			get := func(path string) {
				t.Helper()
				resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			get("/one")
			time.Sleep(50 * time.Millisecond)
			if b, _ := os.ReadFile(access); len(b) != 0 {
				t.Fatalf("buffered line written at once: %q", b)
			}
			if err := os.Rename(access, access+".1"); err != nil {
				t.Fatal(err)
			}
			s.signal(t, syscall.SIGUSR1)
			waitFileHolds(t, access+".1", "GET /one HTTP/1.1 200\n")
			waitFileHolds(t, access, "")
			get("/two")
			s.signal(t, sig)
			if code := s.wait(t); code != 0 {
				t.Errorf("exit code %d", code)
			}
			if b, _ := os.ReadFile(access); string(b) != "GET /two HTTP/1.1 200\n" {
				t.Errorf("after %v the log holds %q, want the buffered line", sig, b)
			}
		})
	}
}

// waitFileHolds waits until path exists and holds want.
func waitFileHolds(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil && string(b) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q (%v), want %q", path, b, err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
