package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	goruntime "runtime"
	"testing"
	"time"
)

// TestIdleConnectionCost: connections waiting for a request — new ones
// that have sent nothing, and keepalive ones past idleHandoff — hold no
// request state and no buffer; new ones wait on a goroutine of Go's
// smallest stack (2 KiB), keepalive ones on none (idlepark_linux.go). The figures are the Go heap and stack growth per
// connection, client sides (in this process too) included: about 3.1 KB
// and 2.1 KiB here; 4.3 KB and 4.1 KiB when the request state was taken
// before the wait and the wait ran under the serving loop's frames.
func TestIdleConnectionCost(t *testing.T) {
	port := freePort(t)
	log, _ := testLog(t)
	s := New(loadEvents(t, "worker_connections 4096;", "server { listen 127.0.0.1:"+port+
		"; keepalive_timeout 300s; access_log off; location / { return 200 ok; } }"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	const n = 1000
	conns := make([]net.Conn, 0, 2*n+1)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		return c
	}
	request := func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	request(dial()) // what the first request allocates once
	measure := func() (heap, stack uint64) {
		var m goruntime.MemStats
		goruntime.GC()
		goruntime.GC()
		goruntime.ReadMemStats(&m)
		return m.HeapInuse, m.StackInuse
	}
	// within polls measure until the growth per connection since
	// (heap0, stack0) is under the bounds, for as long as wait.
	within := func(what string, heap0, stack0 uint64, maxHeap, maxStack float64, wait time.Duration) (uint64, uint64) {
		deadline := time.Now().Add(wait)
		for {
			heap, stack := measure()
			perHeap, perStack := (float64(heap)-float64(heap0))/n, (float64(stack)-float64(stack0))/n
			if perHeap < maxHeap && perStack < maxStack {
				t.Logf("%s: %.0f B of heap, %.0f B of stack per connection", what, perHeap, perStack)
				return heap, stack
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %.0f B of heap, %.0f B of stack per connection; want under %.0f and %.0f",
					what, perHeap, perStack, maxHeap, maxStack)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	heap0, stack0 := measure()
	for range n {
		dial()
	}
	heap1, stack1 := within("new connections that sent nothing", heap0, stack0, 3300, 2600*stackScale, 5*time.Second)
	for range n {
		request(dial())
	}
	// The keepalive connections leave their goroutines once idle for
	// idleHandoff (parked, where epoll is: no stack at all, else a
	// goroutine of the smallest stack); their request state went back at
	// the end of their request.
	within("idle keepalive connections", heap1, stack1, 3300, idleStackBound*stackScale, idleHandoff+5*time.Second)
}
