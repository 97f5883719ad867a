package proxy

import (
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/nginxws/nginxws/directives"
)

func TestSockets(t *testing.T) {
	tcp := func(addr string) directives.Listen { return directives.Listen{Network: "tcp", Addr: addr} }
	in := []directives.Listen{
		tcp("127.0.0.1:80"), // served by 0.0.0.0:80
		tcp("0.0.0.0:80"),   // the wildcard
		tcp("127.0.0.1:81"), // no wildcard on 81
		tcp("[::1]:80"),     // IPv6: the IPv4 wildcard does not cover it
		tcp("10.0.0.1:80"),  // served by 0.0.0.0:80
		{Network: "tcp", Addr: "10.0.0.2:80", ReusePort: true, Bind: true}, // its own socket
		{Network: "tcp", Addr: "10.0.0.3:80", Backlog: 10, Bind: true},     // its own socket
		tcp("[::]:8080"),
		tcp("[::1]:8080"), // served by [::]:8080
		{Network: "unix", Addr: "/run/app.sock"},
	}
	var got []string
	for _, s := range sockets(in) {
		got = append(got, s.Addr)
	}
	// nginx's order: by family and port as they first appear; in a port,
	// sockets with options first, the wildcard last.
	want := "10.0.0.2:80 10.0.0.3:80 0.0.0.0:80 127.0.0.1:81 [::1]:80 [::]:8080 /run/app.sock"
	if strings.Join(got, " ") != want {
		t.Errorf("sockets:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestBindErrorText(t *testing.T) {
	taken, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, c := range []struct {
		spec directives.Listen
		want string
	}{
		{directives.Listen{Network: "tcp", Addr: taken.Addr().String()},
			"bind() to " + taken.Addr().String() + " failed (98: Address already in use)"},
		{directives.Listen{Network: "tcp", Addr: "192.0.2.1:8080"},
			"bind() to 192.0.2.1:8080 failed (99: Cannot assign requested address)"},
		{directives.Listen{Network: "unix", Addr: "/nonexistent/dir/app.sock"},
			"bind() to unix:/nonexistent/dir/app.sock failed (2: No such file or directory)"},
	} {
		l, err := bindOne(c.spec, false)
		if err == nil {
			l.ln.Close()
			t.Errorf("%s: bound", c.spec.Addr)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("got  %s\nwant %s", err, c.want)
		}
	}
}

// TestBacklog: the listen(2) backlog is nginx's 511 by default and
// backlog= otherwise, as `ss` reports it (Send-Q of a listening socket).
func TestBacklog(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss (iproute2) is not installed")
	}
	for _, c := range []struct {
		backlog int
		want    string
	}{{0, "511"}, {100, "100"}} {
		addr := "127.0.0.1:" + freePort(t)
		l, err := bindOne(directives.Listen{Network: "tcp", Addr: addr, Backlog: c.backlog}, false)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ss", "-Hltn", "src", addr).Output()
		l.ln.Close()
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(out))
		if len(f) < 3 || f[2] != c.want {
			t.Errorf("backlog %d: ss says %q, want Send-Q %s", c.backlog, out, c.want)
		}
	}
}

// TestIPv6Only: ipv6only=on (nginx's default) lets [::]:P and 0.0.0.0:P
// coexist; with ipv6only=off the IPv6 socket takes the IPv4 port too.
func TestIPv6Only(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 on this host")
	} else {
		ln.Close()
	}
	port := freePort(t)
	v6, err := bindOne(directives.Listen{Network: "tcp", Addr: "[::]:" + port, IPv6Only: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	v4, err := bindOne(directives.Listen{Network: "tcp", Addr: "0.0.0.0:" + port}, false)
	if err != nil {
		t.Errorf("0.0.0.0:%s beside [::]:%s ipv6only=on: %v", port, port, err)
	} else {
		v4.ln.Close()
	}
	v6.ln.Close()

	dual, err := bindOne(directives.Listen{Network: "tcp", Addr: "[::]:" + port, IPv6Only: false}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer dual.ln.Close()
	if l, err := bindOne(directives.Listen{Network: "tcp", Addr: "0.0.0.0:" + port}, false); err == nil {
		l.ln.Close()
		t.Errorf("0.0.0.0:%s bound beside a dual-stack [::]:%s", port, port)
	}
}

// TestAcceptedNoKeepalive: accepted connections have no TCP keepalive
// probes, as nginx's without so_keepalive.
func TestAcceptedNoKeepalive(t *testing.T) {
	l, err := bindOne(directives.Listen{Network: "tcp", Addr: "127.0.0.1:" + freePort(t)}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.ln.Close()
	c, err := net.Dial("tcp", l.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := l.ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	rc, err := sc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	on, gerr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) {
		on, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if on != 0 {
		t.Errorf("SO_KEEPALIVE is %d on an accepted connection, want 0", on)
	}
}
