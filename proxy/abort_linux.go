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
	revents, ok := pollNow(fd, pollIn|pollRdHup)
	switch {
	case !ok:
		// A failed poll says nothing: look the old way.
		return peekFD(fd)
	case revents&(pollRdHup|pollHup|pollErr) != 0:
		return peekClosed
	case revents&pollIn != 0:
		return peekBytes
	}
	return peekNothing
}

// sockTakesWrite tells whether a write to fd would be taken at once, as
// epoll's EPOLLOUT tells nginx (c->write->ready).
func sockTakesWrite(fd uintptr) bool {
	revents, ok := pollNow(fd, pollOut)
	return !ok || revents&pollOut != 0
}

// poll(2)'s event bits.
const (
	pollIn    = 0x1
	pollOut   = 0x4
	pollErr   = 0x8
	pollHup   = 0x10
	pollRdHup = 0x2000
)

// pollNow polls fd for events without waiting and returns what it
// reported (0: nothing); ok is false when the poll itself failed.
func pollNow(fd uintptr, events int16) (revents int16, ok bool) {
	pfd := struct {
		fd              int32
		events, revents int16
	}{fd: int32(fd), events: events}
	var ts syscall.Timespec
	for {
		n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno != 0:
			return 0, false
		case n == 0:
			return 0, true
		}
		return pfd.revents, true
	}
}
