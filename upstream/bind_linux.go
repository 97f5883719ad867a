package upstream

import (
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
)

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT (linux/in.h).
const ipBindAddressNoPort = 24

// bindAddressNoPort asks the kernel to choose the local port of a socket
// bound to an address with port 0 only when it connects, so that many
// connections from one local address are not limited by the ports bind
// would reserve (nginx sets it for proxy_bind without a port). A kernel
// that lacks the option is not an error, as in nginx.
func bindAddressNoPort(_, _ string, c syscall.RawConn) error {
	return c.Control(setBindNoPort)
}

// setBindNoPort sets IP_BIND_ADDRESS_NO_PORT on a socket (see
// bindAddressNoPort).
func setBindNoPort(fd uintptr) {
	_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
}

// bindInControl has d bind its socket to local itself, as the socket is
// made (with IP_BIND_ADDRESS_NO_PORT for port 0), and only then take a
// number from counter: nginx numbers an upstream connection after its
// bind() succeeded (ngx_event_connect_peer), so a proxy_bind that fails
// takes none. A failed bind is returned as the bind system call's error,
// as the dialer's own would be. It reports false, leaving d alone, for an
// address it does not bind this way (one with an IPv6 zone).
func bindInControl(d *net.Dialer, local netip.AddrPort, counter *atomic.Uint64) bool {
	var sa syscall.Sockaddr
	switch a := local.Addr(); {
	case a.Zone() != "":
		return false
	case a.Is4():
		sa = &syscall.SockaddrInet4{Port: int(local.Port()), Addr: a.As4()}
	default:
		sa = &syscall.SockaddrInet6{Port: int(local.Port()), Addr: a.As16()}
	}
	noPort := local.Port() == 0
	d.Control = func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			if noPort {
				setBindNoPort(fd)
			}
			err = syscall.Bind(int(fd), sa)
		}); cerr != nil {
			return cerr
		}
		if err != nil {
			return os.NewSyscallError("bind", err)
		}
		if counter != nil {
			counter.Add(1)
		}
		return nil
	}
	return true
}
