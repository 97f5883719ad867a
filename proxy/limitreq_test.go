package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// TestLimitReqDelay: past limit_req's delay (here none: burst=3 without
// nodelay), a request waits as long as its excess asks — at 5r/s, 200 ms
// for one request of excess — and is served, logged as DELAYED with
// nginx's [warn]; within it (nodelay) it goes at once. A reload that keeps
// the zone keeps the buckets; one that changes its key fails.
func TestLimitReqDelay(t *testing.T) {
	port := freePort(t)
	log, lines := testLog(t)
	dir := t.TempDir()
	conf := func(key string) string {
		return "log_format lr '$request_uri $limit_req_status $status';\n" +
			"limit_req_zone " + key + " zone=slow:1m rate=5r/s;\n" +
			"server { listen 127.0.0.1:" + port + "; access_log " + dir + "/access.log lr;\n" +
			" location /w/ { limit_req zone=slow burst=3; alias " + dir + "/; }\n" +
			" location /n/ { limit_req zone=slow burst=3 nodelay; alias " + dir + "/; } }\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("f"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := New(load(t, conf("$arg_k")), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	get := func(path string) time.Duration {
		t.Helper()
		start := time.Now()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return time.Since(start)
	}
	get("/w/f?k=a")
	if d := get("/w/f?k=a"); d < 100*time.Millisecond {
		t.Errorf("the second request within the burst took %v; want it delayed about 200ms", d)
	}
	logged(t, lines, `^\[warn\] \*\d+ delaying request, excess: [01]\.\d{3}, by zone "slow", client: 127\.0\.0\.1, server: , request: "GET /w/f\?k=a HTTP/1\.1", host: "x"$`)
	// nodelay: served at once, within the burst.
	get("/n/f?k=b")
	if d := get("/n/f?k=b"); d > time.Second {
		t.Errorf("nodelay: the second request took %v", d)
	}
	// The same zone and key across a reload: the bucket of k=c is kept, so
	// the third request in a row is past the burst of 3 only if counted.
	get("/n/f?k=c")
	get("/n/f?k=c")
	if err := s.Reload(load(t, conf("$arg_k"))); err != nil {
		t.Fatal(err)
	}
	get("/n/f?k=c")
	get("/n/f?k=c")
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET /n/f?k=c HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("fifth request of k=c after a reload: %v %v, want 503", resp, err)
	}
	resp.Body.Close()
	err = s.Reload(load(t, conf("$arg_j")))
	if want := `limit_req "slow" uses the "$arg_j" key while previously it used the "$arg_k" key`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("reload with another key: %v, want %s", err, want)
	}
	// A client that leaves during its delay ends its request at once: 499.
	get("/w/f?k=z")
	gone, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(gone, "GET /w/f?k=z HTTP/1.1\r\nHost: x\r\n\r\n")
	gone.Close()
	logged(t, lines, `^\[info\] \*\d+ client prematurely closed connection, client: 127\.0\.0\.1, server: , request: "GET /w/f\?k=z HTTP/1\.1", host: "x"$`)
	// A request's access line is written after its response.
	deadline := time.Now().Add(5 * time.Second)
	for {
		text, _ := os.ReadFile(filepath.Join(dir, "access.log"))
		if strings.Contains(string(text), "/w/f?k=a DELAYED 200\n") && strings.Contains(string(text), "/n/f?k=c REJECTED 503\n") &&
			strings.Contains(string(text), "/w/f?k=z DELAYED 499\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("access log:\n%s", text)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLimitReqZoneCapacity: a zone holds about size/128 buckets, as
// nginx's does; a new key in a full zone drops the least recently used
// one, so a flood of keys costs bounded memory.
func TestLimitReqZoneCapacity(t *testing.T) {
	zone := &directives.LimitReqZone{LimitZone: directives.LimitZone{Name: "z", Size: 32 << 10}, Rate: 16}
	lim := &directives.LimitReq{Zone: zone}
	z := &limitReqZone{nodes: map[string]*reqNode{}}
	now := int64(1 << 40)
	if rc, _, _ := z.lookup("first", lim, now, true); rc != reqOK {
		t.Fatalf("first request: %d", rc)
	}
	if rc, _, _ := z.lookup("first", lim, now, true); rc != reqBusy {
		t.Fatalf("second request of the same key at once: %d, want busy", rc)
	}
	for i := range 256 {
		z.lookup(fmt.Sprint("k", i), lim, now, true)
	}
	if n := len(z.nodes); n != 256 {
		t.Fatalf("%d buckets in a 32k zone, want 256", n)
	}
	// "first" was the least recently used: its bucket is gone.
	if rc, _, _ := z.lookup("first", lim, now, true); rc != reqOK {
		t.Fatalf("the dropped key again: %d, want a fresh bucket", rc)
	}
}
