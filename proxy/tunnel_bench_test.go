package proxy

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// benchTunnel opens a tunnel through an in-process Server to a raw echo
// upstream and returns the client's connection and reader.
func benchTunnel(b *testing.B) (net.Conn, *bufio.Reader) {
	b.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := readHead(br); err != nil {
					return
				}
				_, _ = io.WriteString(c, resp101)
				_, _ = io.Copy(c, br)
			}()
		}
	}()
	pl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := strconv.Itoa(pl.Addr().(*net.TCPAddr).Port)
	pl.Close()
	dir := b.TempDir()
	cfg, err := directives.LoadString(filepath.Join(dir, "nginx.conf"),
		"events {}\nhttp {\n"+tunnelConf(port, dir, ln.Addr().String(), "")+"}\n", directives.LoadOptions{Prefix: dir + "/"})
	if err != nil {
		b.Fatal(err)
	}
	set, err := errlog.Open([]errlog.Target{{Path: filepath.Join(dir, "error.log"), Level: errlog.LevelInfo}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { set.Close() })
	s := New(cfg, errlog.New("nginxws", os.Getpid(), os.Stderr, set))
	if err := s.Listen(); err != nil {
		b.Fatal(err)
	}
	go func() { _ = s.Serve() }()
	b.Cleanup(func() { _ = s.Close() })
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, wsRequest); err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReader(c)
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
