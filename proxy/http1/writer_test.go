package http1

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAppendRequestHead(t *testing.T) {
	hs := []Header{{Name: []byte("Host"), Value: []byte("b:8080")}, {Name: []byte("x-Mixed"), Value: []byte("1")}}
	got := string(AppendRequestHead(nil, []byte("GET"), []byte("/a?b"), 1000, hs))
	want := "GET /a?b HTTP/1.0\r\nHost: b:8080\r\nx-Mixed: 1\r\n\r\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := string(AppendRequestLine(nil, []byte("POST"), []byte("/"), 1001)); got != "POST / HTTP/1.1\r\n" {
		t.Errorf("got %q", got)
	}
	if got := string(AppendHeader([]byte("x"), "Connection", []byte("close"))); got != "xConnection: close\r\n" {
		t.Errorf("got %q", got)
	}
}

func TestAppendResponseHead(t *testing.T) {
	hs := []Header{{Name: []byte("X-A"), Value: []byte("b")}}
	for _, tc := range []struct {
		code int
		line string
		want string
	}{
		{200, "", "HTTP/1.1 200 OK\r\nX-A: b\r\n\r\n"},
		{404, "404 Nope", "HTTP/1.1 404 Nope\r\nX-A: b\r\n\r\n"},
		{299, "", "HTTP/1.1 299 \r\nX-A: b\r\n\r\n"},
		{42, "", "HTTP/1.1 042 \r\nX-A: b\r\n\r\n"},
		{503, "", "HTTP/1.1 503 Service Temporarily Unavailable\r\nX-A: b\r\n\r\n"},
	} {
		if got := string(AppendResponseHead(nil, tc.code, []byte(tc.line), hs)); got != tc.want {
			t.Errorf("%d %q: got %q, want %q", tc.code, tc.line, got, tc.want)
		}
	}
}

// The writers append into the caller's slice: with enough capacity they
// do not allocate.
func TestAppendNoAlloc(t *testing.T) {
	hs := make([]Header, 12)
	for i := range hs {
		hs[i] = Header{Name: []byte("X-Header-" + strconv.Itoa(i)), Value: []byte("value")}
	}
	buf := make([]byte, 0, 4096)
	method, uri := []byte("GET"), []byte("/index.html")
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendRequestHead(buf[:0], method, uri, 1001, hs)
		buf = AppendResponseHead(buf, 200, nil, hs)
		buf = AppendHeader(buf, "Server", "nginx")
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run", allocs)
	}
}

// TestOracleStatusLines compares StatusLine with the status line nginx
// sends for `return CODE` for every code from 200 to 599, except those
// nginx turns into another status (494-497 become 400) or answers by
// closing the connection (408, 444, 499).
func TestOracleStatusLines(t *testing.T) {
	o := startOracle(t)
	for code := 200; code < 600; code++ {
		switch code {
		case 408, 444, 494, 495, 496, 497, 499:
			continue
		}
		got := o.send(t, "status", "GET /"+strconv.Itoa(code)+" HTTP/1.0\r\n\r\n", 3*time.Second)
		want := strings.TrimSuffix(string(AppendStatusLine(nil, code, nil)), "\r\n")
		if got.line != want {
			t.Errorf("%d: nginx sent %q, want %q", code, got.line, want)
		}
	}
}
