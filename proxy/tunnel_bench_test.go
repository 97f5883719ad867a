package proxy

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/nginxws/nginxws/proxy/errlog"
)

// benchTunnel opens a tunnel through an in-process Server to a raw echo
// upstream and returns the client's connection and reader.
func benchTunnel(b *testing.B) (net.Conn, *bufio.Reader) {
	b.Helper()
	upstream := benchUpstream(b, func(c net.Conn, br *bufio.Reader) {
		if _, err := readHead(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, resp101)
		_, _ = io.Copy(c, br)
	})
	c, br := benchProxy(b, errlog.LevelInfo, func(port, dir string) string {
		return tunnelConf(port, dir, upstream, "")
	})
	if _, err := io.WriteString(c, wsRequest); err != nil {
		b.Fatal(err)
	}
	if _, err := readHead(br); err != nil {
		b.Fatal(err)
	}
	return c, br
}

// BenchmarkTunnelRoundTrip64: one 64-byte round trip through the tunnel
// (client -> proxy -> echo -> proxy -> client) per operation.
func BenchmarkTunnelRoundTrip64(b *testing.B) {
	c, br := benchTunnel(b)
	msg := make([]byte, 64)
	got := make([]byte, 64)
	b.SetBytes(64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(br, got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTunnelBulk1MiB: one 1 MiB round trip per operation (the bulk
// path: splice).
func BenchmarkTunnelBulk1MiB(b *testing.B) {
	c, br := benchTunnel(b)
	msg := make([]byte, 1<<20)
	got := make([]byte, 1<<20)
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for b.Loop() {
		go func() { _, _ = c.Write(msg) }()
		if _, err := io.ReadFull(br, got); err != nil {
			b.Fatal(err)
		}
	}
}
