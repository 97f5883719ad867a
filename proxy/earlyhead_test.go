package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestEarlyUpstreamAnswer checks an upstream that answers before it has
// the body streamed to it (proxy_request_buffering off): as nginx, the
// answer reaches the client at once, and the connection, whose body was
// not read to its end, closes after it. Under the race detector it also
// checks the head read running beside the body's sending.
func TestEarlyUpstreamAnswer(t *testing.T) {
	be := startBackend(t, "HTTP/1.1 413 Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig\n")
	be.setHeadOnly(true)
	addr, _ := proxyFor(t, "server { listen 127.0.0.1:{{PORT}}; location / { proxy_request_buffering off; proxy_http_version 1.1; proxy_pass http://{{B}}; } }\n", be)
	for _, tc := range []struct{ name, head, part string }{
		{"length", "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", "hello"},
		{"chunked", "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhello\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tc.head+tc.part); err != nil {
				t.Fatal(err)
			}
			// The rest of the body never comes: the answer must not wait
			// for it.
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			var out bytes.Buffer
			if _, ok := readResponse(bufio.NewReader(c), &out, false); !ok {
				t.Fatalf("no complete response: %q", out.String())
			}
			got := out.String()
			if !strings.HasPrefix(got, "HTTP/1.1 413 Too Large\r\n") || !strings.HasSuffix(got, "\r\n\r\nbig\n") {
				t.Fatalf("response %q", got)
			}
			// nginx's r->reading_body: the connection ends after the
			// response instead of waiting for the rest of the body.
			var b [64]byte
			n, err := c.Read(b[:])
			if n != 0 || err == nil || isTimeout(err) {
				t.Fatalf("after the response: %d bytes, %v; want the connection closed", n, err)
			}
		})
	}
}
