//go:build !linux

package upstream

import "syscall"

// bindAddressNoPort does nothing where IP_BIND_ADDRESS_NO_PORT does not
// exist: the port is chosen at bind time.
func bindAddressNoPort(_, _ string, _ syscall.RawConn) error { return nil }
