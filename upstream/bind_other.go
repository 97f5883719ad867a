//go:build !linux

package upstream

import (
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
)

// bindAddressNoPort does nothing where IP_BIND_ADDRESS_NO_PORT does not
// exist: the port is chosen at bind time.
func bindAddressNoPort(_, _ string, _ syscall.RawConn) error { return nil }

// bindInControl leaves the bind to the dialer here: the connection is
// numbered before it.
func bindInControl(*net.Dialer, netip.AddrPort, *atomic.Uint64) bool { return false }
