package proxy

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/nginxws/nginxws/proxy/errlog"
)

// benchTunnelProxy runs an in-process Server proxying WebSocket
// upgrades to a raw upstream that answers 101 and echoes what follows,
// and returns a client connection to the Server and its reader.
func benchTunnelProxy(b *testing.B) (net.Conn, *bufio.Reader) {
	b.Helper()
	upstream := benchUpstream(b, func(c net.Conn, br *bufio.Reader) {
		if _, err := readHead(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, resp101)
		_, _ = io.Copy(c, br)
	})
	return benchProxy(b, errlog.LevelInfo, func(port, dir string) string {
		return tunnelConf(port, dir, upstream, "")
	})
}

// benchTunnel opens a tunnel through an in-process Server to a raw echo
// upstream and returns the client's connection and reader.
func benchTunnel(b *testing.B) (net.Conn, *bufio.Reader) {
	b.Helper()
	c, br := benchTunnelProxy(b)
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

// BenchmarkTunnelOpen: one tunnel's whole life per operation, as a
// reconnect storm sees it: the client connects, upgrades, echoes 64 bytes
// and closes. It is the handshake path (request head, upstream connect,
// 101, the move to an event loop, the end) that a fleet of clients
// reconnecting after a deploy costs the proxy.
func BenchmarkTunnelOpen(b *testing.B) {
	c, _ := benchTunnelProxy(b)
	addr := c.RemoteAddr().String()
	msg := make([]byte, 64)
	got := make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		br := bufio.NewReader(c)
		if _, err := io.WriteString(c, wsRequest); err != nil {
			b.Fatal(err)
		}
		if _, err := readHead(br); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(br, got); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
