//go:build unix

package upstream

import (
	"net"
	"syscall"
)

// probe looks at an idle connection without reading from it. It is set up
// once per connection, so that checking costs one system call and no
// allocation.
type probe struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	open bool
	buf  [1]byte
}

// init prepares the probe of c (a connection without a descriptor is
// taken as open).
func (p *probe) init(c net.Conn) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	p.rc = rc
	p.fn = p.peek
}

// ensure sets the probe up for c unless it is already (connections
// outside a keepalive pool get theirs on first use).
func (p *probe) ensure(c net.Conn) {
	if p.rc == nil {
		p.init(c)
	}
}

// peek is the probe's system call: one byte peeked without waiting.
func (p *probe) peek(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	p.open = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
	return true
}

// peekInto peeks at most len(p) waiting bytes into p without waiting; 0
// when there are none or the socket cannot be looked at.
func (p *probe) peekInto(b []byte) int {
	if p.rc == nil || len(b) == 0 {
		return 0
	}
	n := 0
	_ = p.rc.Read(func(fd uintptr) bool {
		m, _, err := syscall.Recvfrom(int(fd), b, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if err == nil && m > 0 {
			n = m
		}
		return true
	})
	return n
}

// stillOpen reports whether an idle connection may carry another
// request: nothing to read, not even the end of the stream. Like nginx's
// keepalive close handler, it treats data the upstream sent unasked as a
// reason to close too.
func (p *probe) stillOpen() bool {
	if p.rc == nil {
		return true
	}
	p.open = false
	if err := p.rc.Read(p.fn); err != nil {
		return false
	}
	return p.open
}
