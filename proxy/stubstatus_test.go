package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// statusRE parses stub_status's page.
var statusRE = regexp.MustCompile(`^Active connections: (\d+) \nserver accepts handled requests\n (\d+) (\d+) (\d+) \nReading: (\d+) Writing: (\d+) Waiting: (\d+) \n$`)

// statusCounts are the page's figures, in its order.
type statusCounts [7]int

// The figures' places in statusCounts.
const (
	stActive = iota
	stAccepts
	stHandled
	stRequests
	stReading
	stWriting
	stWaiting
)

// TestStubStatusCounts: a WebSocket tunnel counts as an active connection
// whose request is writing until the tunnel ends; connections waiting for
// a request count as waiting; each request, the status request included,
// counts once.
func TestStubStatusCounts(t *testing.T) {
	noLeaks(t)
	be := startWSBackend(t)
	port := freePort(t)
	log, _ := testLog(t)
	s := New(load(t, "map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"+
		"server { listen 127.0.0.1:"+port+"; access_log off;\n"+
		" location = /status { stub_status; }\n"+
		" location / { proxy_pass http://"+be.addr()+"; proxy_http_version 1.1;\n"+
		"  proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; } }\n"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	e := &tunnelEnv{port: port, addr: "127.0.0.1:" + port, s: s}
	status := func() statusCounts {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := statusRE.FindStringSubmatch(string(b))
		if m == nil || resp.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("status page %q (%s)", b, resp.Header.Get("Content-Type"))
		}
		var st statusCounts
		for i := range st {
			st[i], _ = strconv.Atoi(m[i+1])
		}
		return st
	}
	// waitStatus asks until the page shows what ok wants: connections
	// that ended are uncounted as their goroutines notice.
	waitStatus := func(want string, ok func(statusCounts) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := status()
			if ok(got) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("status: %+v\nwant:   %s", got, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	tun := e.dial(t, "/echo", nil)
	echoOnce(t, tun, pattern(10, false))
	waitEngines(t, s, 1)
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// The tunnel, two idle connections and the status request's own.
	want := statusCounts{stActive: 4, stAccepts: 4, stHandled: 4, stRequests: 2, stReading: 0, stWriting: 2, stWaiting: 2}
	waitStatus(fmt.Sprint(want), func(st statusCounts) bool { return st == want })
	// The tunnel's end and the idle connections' closing uncount them;
	// each status request asked meanwhile was one connection and one
	// request more.
	tun.Close()
	for _, c := range idle {
		c.Close()
	}
	waitStatus("active 1, all handled, reading 0, writing 1, waiting 0", func(st statusCounts) bool {
		return st[stActive] == 1 && st[stHandled] == st[stAccepts] && st[stReading] == 0 && st[stWriting] == 1 && st[stWaiting] == 0
	})
}
