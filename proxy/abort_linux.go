package proxy

import (
	"syscall"
	"unsafe"
)

// eofBehindBytes tells whether sockState sees a peer's end of file even
// when bytes are queued before it.
const eofBehindBytes = true

// sockState looks at fd without reading or waiting, as epoll tells nginx
// with EPOLLRDHUP (ev->pending_eof): the peer's shutdown of its writing
// side, a reset or a socket error is peekClosed even while bytes are still
// queued before it (a pipelined request, part of one); else peekBytes when
// bytes wait, peekNothing otherwise.
func sockState(fd uintptr) peekResult {
	const (
		pollIn    = 0x1
		pollErr   = 0x8
		pollHup   = 0x10
		pollRdHup = 0x2000
	)
	pfd := struct {
		fd              int32
		events, revents int16
	}{fd: int32(fd), events: pollIn | pollRdHup}
	var ts syscall.Timespec
	for {
		n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno != 0:
			// A failed poll says nothing: look the old way.
			return peekFD(fd)
		case n == 0:
			return peekNothing
		case pfd.revents&(pollRdHup|pollHup|pollErr) != 0:
			return peekClosed
		case pfd.revents&pollIn != 0:
			return peekBytes
		}
		return peekNothing
	}
}

// sockTakesWrite tells whether a write to fd would be taken at once, as
// epoll's EPOLLOUT tells nginx (c->write->ready).
func sockTakesWrite(fd uintptr) bool {
	const pollOut = 0x4
	pfd := struct {
		fd              int32
		events, revents int16
	}{fd: int32(fd), events: pollOut}
	var ts syscall.Timespec
	for {
		n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno != 0:
			return true
		}
		return n == 1 && pfd.revents&pollOut != 0
	}
}
