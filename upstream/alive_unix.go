//go:build unix

package upstream

import (
	"net"
	"syscall"
)

// stillOpen reports whether an idle connection may carry another
// request: nothing to read, not even the end of the stream. Like nginx's
// keepalive close handler, it treats data the upstream sent unasked as a
// reason to close too.
func stillOpen(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = n < 0 && (e == syscall.EAGAIN || e == syscall.EWOULDBLOCK)
		return true
	})
	return err == nil && open
}
