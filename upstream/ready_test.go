//go:build unix

package upstream

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// TestConnReady checks Ready and Peek on a connection outside any pool:
// nothing to read, then bytes waiting (not consumed by either look), then
// the end of the stream.
func TestConnReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	c := &Conn{Conn: nc}
	if c.Ready() {
		t.Fatal("ready with nothing sent")
	}
	// eventually polls Ready: loopback delivery is quick but not
	// synchronous with the peer's call.
	eventually := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Second); !c.Ready(); runtime.Gosched() {
			if time.Now().After(deadline) {
				t.Fatalf("not ready after %s", what)
			}
		}
	}
	if _, err := peer.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	eventually("a byte")
	buf := make([]byte, 4)
	if n := c.Peek(buf); n != 1 || buf[0] != 'x' {
		t.Fatalf("Peek found %d bytes %q, want \"x\"", n, buf[:n])
	}
	if n, err := nc.Read(buf); n != 1 || err != nil {
		t.Fatalf("read %d, %v after Ready: the look consumed the byte", n, err)
	}
	if c.Ready() {
		t.Fatal("ready once the byte was read")
	}
	peer.Close()
	eventually("the peer's close")
}
