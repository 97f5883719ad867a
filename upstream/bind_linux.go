package upstream

import "syscall"

// ipBindAddressNoPort is Linux's IP_BIND_ADDRESS_NO_PORT (linux/in.h).
const ipBindAddressNoPort = 24

// bindAddressNoPort asks the kernel to choose the local port of a socket
// bound to an address with port 0 only when it connects, so that many
// connections from one local address are not limited by the ports bind
// would reserve (nginx sets it for proxy_bind without a port). A kernel
// that lacks the option is not an error, as in nginx.
func bindAddressNoPort(_, _ string, c syscall.RawConn) error {
	return c.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	})
}
