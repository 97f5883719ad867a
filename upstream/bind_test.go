package upstream

import (
	"errors"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// connectFrom picks g's peer and connects it from local.
func connectFrom(t *testing.T, g *Group, local netip.AddrPort) (*Conn, error) {
	t.Helper()
	var a Attempt
	a.Start(g, Start{})
	if _, err := a.Pick(); err != nil {
		t.Fatal(err)
	}
	defer a.Release(Done)
	return a.ConnectWith(time.Second, false, nil, local)
}

// TestConnectWithBinds: the backend sees the address proxy_bind gives.
func TestConnectWithBinds(t *testing.T) {
	b := newBackend(t)
	g := keepaliveGroup(t, nil, 0, b.addr())
	c, err := connectFrom(t, g, netip.MustParseAddrPort("127.0.0.2:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release(false)
	peer := b.conn(t, 0).RemoteAddr().String()
	if got, _ := netip.ParseAddrPort(peer); got.Addr() != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("backend saw %s, want 127.0.0.2", peer)
	}
}

// TestConnectWithBindErrors: the kernel's refusals nginx reports as
// "bind() failed" come back as BindError with nginx's errno.
func TestConnectWithBindErrors(t *testing.T) {
	b := newBackend(t)
	g := keepaliveGroup(t, nil, 0, b.addr())
	for _, c := range []struct {
		local string
		errno syscall.Errno
	}{
		{"192.0.2.1:0", syscall.EADDRNOTAVAIL}, // not an address of this machine
		{"[::1]:0", syscall.EAFNOSUPPORT},      // IPv6 for an IPv4 peer
	} {
		_, err := connectFrom(t, g, netip.MustParseAddrPort(c.local))
		var be *BindError
		var se *os.SyscallError
		if !errors.As(err, &be) || !errors.As(err, &se) || se.Err != c.errno {
			t.Errorf("%s: %v, want a BindError with %v", c.local, err, c.errno)
		}
	}
}

// TestConnectNumbersAfterBind: nginx numbers an upstream connection
// ($connection) once its socket is bound; a proxy_bind that fails takes no
// number, one that succeeds takes one, as does a connection without one.
func TestConnectNumbersAfterBind(t *testing.T) {
	b := newBackend(t)
	g := keepaliveGroup(t, nil, 0, b.addr())
	var n atomic.Uint64
	connect := func(local string) error {
		var a Attempt
		a.Start(g, Start{Counter: &n})
		if _, err := a.Pick(); err != nil {
			t.Fatal(err)
		}
		defer a.Release(Done)
		var l netip.AddrPort
		if local != "" {
			l = netip.MustParseAddrPort(local)
		}
		c, err := a.ConnectWith(time.Second, false, nil, l)
		if err == nil {
			c.Release(false)
		}
		return err
	}
	for _, c := range []struct {
		local string
		fails bool
		want  uint64
	}{
		{"192.0.2.1:0", true, 0}, // not an address of this machine
		{"127.0.0.2:0", false, 1},
		{"", false, 2},
		{"192.0.2.1:0", true, 2},
	} {
		if err := connect(c.local); (err != nil) != c.fails {
			t.Fatalf("from %q: %v", c.local, err)
		}
		if got := n.Load(); got != c.want {
			t.Errorf("after a connection from %q: counter %d, want %d", c.local, got, c.want)
		}
	}
}
