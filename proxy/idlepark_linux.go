//go:build linux

package proxy

import (
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Idle keepalive connections wait without a goroutine.
//
// A connection idle past idleHandoff already waits on a fresh goroutine of
// Go's smallest stack; parking drops that goroutine too. Its socket joins
// the server's parking set, an epoll set of its own (one-shot, so that an
// event wakes it once), and a timer stands for keepalive_timeout. The
// first of the two to fire — bytes (or the peer's FIN) arriving, the
// timer, or whoever closes the socket (a shutdown, a connection reused for
// its slot) — takes the connection out of the set and starts a goroutine
// for it, which finds the bytes, the end of file, the deadline passed or
// the socket closed exactly as the goroutine it replaces would have.
//
// What an idle keepalive connection then costs is its socket, the conn
// and its reader (about a kilobyte of heap) and a timer: no stack. nginx's
// is its connection structures, about 0.7 KB.
//
// The parking set's descriptor is itself waited on through Go's poller,
// as the tunnel loops' are: one goroutine parks until the set has events,
// then takes them with a non-blocking epoll_wait.

// idleParker is a server's parking set.
type idleParker struct {
	epfd int
	file *os.File
	raw  syscall.RawConn
	done chan struct{}

	mu     sync.Mutex
	slots  []parkSlot
	free   []uint32
	closed bool
}

// parkSlot holds a parked connection; gen tells a slot's successive
// tenants apart, so that a late event or timer finds nothing.
type parkSlot struct {
	c     *conn
	gen   uint32
	timer *time.Timer
}

// parkRef is a connection's place in the parking set: its slot while
// parked, and whether its socket was ever added to the set (a socket
// stays in it, disarmed, between stays, until it closes).
type parkRef struct {
	slot, gen  uint32
	registered bool
}

// newIdleParker creates a parking set and its goroutine.
func newIdleParker() (*idleParker, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		_ = syscall.Close(epfd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	p := &idleParker{epfd: epfd, file: os.NewFile(uintptr(epfd), "idle-park"), done: make(chan struct{})}
	raw, err := p.file.SyscallConn()
	if err != nil {
		_ = p.file.Close()
		return nil, err
	}
	p.raw = raw
	go p.run()
	return p, nil
}

// run waits for events and wakes their connections until stop.
func (p *idleParker) run() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 64)
	_ = p.raw.Read(func(uintptr) bool {
		for {
			n, errno := epollWait(p.epfd, events)
			if errno == syscall.EINTR {
				continue
			}
			if errno != 0 {
				return true
			}
			for i := range events[:n] {
				p.wake(uint32(events[i].Fd), uint32(events[i].Pad))
			}
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed {
				return true
			}
			if n < len(events) {
				return false
			}
		}
	})
}

// park puts c, idle, in the set until its next bytes or until; it reports
// false when c cannot wait here (not a plain socket, its socket already
// closed, the set stopped): the caller then waits on a goroutine.
func (p *idleParker) park(c *conn, until time.Time) bool {
	sc, ok := c.nc.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return false
	}
	switch c.nc.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		// A TLS connection may hold decrypted bytes the socket no
		// longer shows.
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	i := takeSlot(&p.slots, &p.free)
	s := &p.slots[i]
	s.gen++
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(i), Pad: int32(s.gen)}
	var ctlErr error
	// Inside Control the socket cannot be closed: the descriptor number
	// is the connection's for the whole call.
	err = raw.Control(func(fd uintptr) {
		if c.park.registered {
			ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
			return
		}
		ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		if ctlErr == nil {
			c.park.registered = true
		}
	})
	if err != nil || ctlErr != nil {
		p.free = append(p.free, i)
		return false
	}
	s.c = c
	c.park.slot, c.park.gen = i, s.gen
	gen := s.gen
	s.timer = time.AfterFunc(time.Until(until), func() { p.wake(i, gen) })
	return true
}

// wake takes the connection in slot i (if it is still the tenant gen
// parked) out of the set and gives it a goroutine.
func (p *idleParker) wake(i, gen uint32) {
	p.mu.Lock()
	if int(i) >= len(p.slots) || p.slots[i].c == nil || p.slots[i].gen != gen {
		p.mu.Unlock()
		return
	}
	s := &p.slots[i]
	c := s.c
	s.c = nil
	s.timer.Stop()
	s.timer = nil
	p.free = append(p.free, i)
	p.mu.Unlock()
	go c.awaitRequest()
}

// wakeConn wakes c if it is parked: whoever closes an idle connection's
// socket calls it, so that its goroutine comes back to end it.
func (p *idleParker) wakeConn(c *conn) {
	p.mu.Lock()
	i, gen := c.park.slot, c.park.gen
	p.mu.Unlock()
	p.wake(i, gen)
}

// parked counts the connections in the set (tests).
func (p *idleParker) parked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.slots) - len(p.free)
}

// stop wakes every parked connection and ends the set's goroutine. The
// server calls it once no connection can be parked any more.
func (p *idleParker) stop() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	var parked []*conn
	for i := range p.slots {
		if c := p.slots[i].c; c != nil {
			parked = append(parked, c)
		}
	}
	p.mu.Unlock()
	for _, c := range parked {
		p.wakeConn(c)
	}
	// An event ends the goroutine's wait; it sees closed and returns.
	_ = p.file.SetReadDeadline(time.Now())
	<-p.done
	_ = p.file.Close()
}

// idleStackBound is the most stack an idle keepalive connection may cost
// (TestIdleConnectionCost): none, parked.
const idleStackBound = 256
