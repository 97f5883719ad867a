//go:build linux

package proxy

import (
	"errors"
	"sync"
	"syscall"
	"time"
)

// How a tunnel moves bytes on Linux.
//
// A direction waits for its source with syscall.RawConn.Read, whose
// callback (pump) does the moving itself: the socket is non-blocking, so a
// read takes what has arrived or fails with EAGAIN, and only then does the
// goroutine wait for readability. Whatever it borrows (a buffer, a splice
// pipe) is borrowed inside the callback and given back before it waits: a
// waiting direction holds no buffer, no pipe (no descriptors), and pays no
// extra system call for its readiness check.
//
// Messages are read into a small pooled buffer and written on. A read
// that fills the buffer means bulk: the rest of the burst is moved with
// splice(2), socket to pipe to socket, so that the payload does not cross
// into user space. Either way the source is read until EAGAIN before the
// goroutine waits: a short read does not prove the socket drained of its
// end of file, since Go's poller folds the data's and the FIN's edges into
// one wake-up and does not report EPOLLRDHUP (nginx's pending_eof), so
// skipping that read could leave a FIN unnoticed (tried: a third more
// round trips per second for small messages, and a lost half-close).
//
// A direction quiet for the park delay registers its source socket,
// one-shot, with the server's readiness loop (one epoll set and one
// goroutine for all tunnels) and its goroutine ends; the loop starts a
// fresh goroutine when the socket becomes readable again.

// splice(2) flags.
const (
	spliceMove     = 0x1
	spliceNonblock = 0x2
)

// pipeSize is the capacity asked of splice pipes: the most one splice
// moves. Larger pipes mean fewer system calls for bulk transfers; pipes
// are held only while bytes are in flight.
const pipeSize = 1 << 20

// copySize is the buffer small messages are moved with; a read that fills
// it switches the burst to splice.
const copySize = 16 << 10

// errTunnelOver is returned when a direction tries to park after its
// tunnel ended.
var errTunnelOver = errors.New("tunnel over")

// dirOS is what a direction keeps on Linux.
type dirOS struct {
	// buf (with the unsent bytes buf.b[off:off+n]) and pipe (with inPipe
	// bytes) are borrowed while bytes are in flight; nil while the
	// direction waits.
	buf    *buf
	off, n int
	pipe   *splicePipe
	inPipe int
	// eof, rerr and werr end the direction: the source's end of file,
	// a read error, a write error.
	eof        bool
	rerr, werr error
	// waited is set while a write waits for the destination to read.
	waited bool
	// readFn, writeFn and spliceFn are the RawConn callbacks, made once.
	readFn, writeFn, spliceFn func(fd uintptr) bool
	// noPark is set when the direction cannot park (no readiness loop):
	// it then waits on its goroutine without a deadline.
	noPark bool

	// The readiness loop's registration, guarded by the loop's mutex:
	// the loop p, the slot and its generation, whether the socket was
	// added to the epoll set, and whether the tunnel ended.
	p          *tunnelPoller
	slot, gen  uint32
	hasSlot    bool
	registered bool
	released   bool
}

// start begins moving a direction: parked in the readiness loop until its
// source has bytes, or on a goroutine when there is no loop.
func (d *direction) start() {
	if d.srcRaw == nil || d.dstRaw == nil {
		go d.runPlain()
		return
	}
	d.os.readFn = d.pump
	d.os.writeFn = d.writeOut
	d.os.spliceFn = d.spliceOut
	if d.t.reg.parkDelay() < 0 || !d.park() {
		d.os.noPark = true
		go d.run()
	}
}

// run moves bytes until the source ends, the tunnel fails, or the source
// stays quiet for the park delay (the direction then parks and run
// returns).
func (d *direction) run() {
	o := &d.os
	for {
		d.armPark()
		err := d.srcRaw.Read(o.readFn)
		switch {
		case err != nil && isTimeout(err) && !o.noPark:
			if d.park() {
				return
			}
			o.noPark = true
			continue
		case err != nil:
			d.moveFailed(err, true)
		case o.rerr != nil:
			d.moveFailed(o.rerr, true)
		case o.werr != nil:
			d.moveFailed(o.werr, false)
		case o.eof:
			d.srcEnded()
		}
		d.finish()
		return
	}
}

// armPark sets the source's read deadline to the park delay from now
// (lazily: see deadlines), or clears it when the direction cannot park.
func (d *direction) armPark() {
	if d.os.noPark {
		d.dl.setRead(d.src, time.Time{}, 0)
		return
	}
	d.dl.setRead(d.src, time.Now(), d.t.reg.parkDelay())
}

// pump is the source's RawConn.Read callback: it moves what the source
// has to the destination and returns false to wait for more, true when
// the direction is over (end of file or an error, in d.os).
func (d *direction) pump(fd uintptr) bool {
	o := &d.os
	bufs := &d.t.c.s.bufs
	for {
		o.buf = bufs.get(copySize)
		n, err := syscall.Read(int(fd), o.buf.b[:copySize])
		switch {
		case err == syscall.EINTR:
			bufs.put(o.buf)
			o.buf = nil
			continue
		case err == syscall.EAGAIN:
			bufs.put(o.buf)
			o.buf = nil
			return false
		case err != nil:
			o.rerr = err
			return true
		case n == 0:
			o.eof = true
			return true
		}
		o.off, o.n = 0, n
		if !d.write(o.writeFn) {
			return true
		}
		bufs.put(o.buf)
		o.buf = nil
		d.t.touch()
		d.armPark()
		if n < copySize {
			continue
		}
		switch d.spliceBurst(fd) {
		case burstOver:
			return true
		case burstDrained:
			return false
		}
	}
}

// spliceBurst's outcomes.
const (
	burstOver    = iota // the direction is over (d.os says why)
	burstDrained        // the source said EAGAIN
	burstNoPipe         // no pipe to be had: go on copying
)

// spliceBurst moves a bulk transfer with splice(2) until the source has
// nothing more (EAGAIN).
func (d *direction) spliceBurst(fd uintptr) int {
	o := &d.os
	pipes := &d.t.reg.pipes
	for {
		if o.pipe == nil {
			p, err := pipes.get()
			if err != nil {
				// No pipe (descriptors exhausted).
				return burstNoPipe
			}
			o.pipe = p
		}
		n, err := syscall.Splice(int(fd), nil, o.pipe.w, nil, pipeSize, spliceMove|spliceNonblock)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			pipes.put(o.pipe)
			o.pipe = nil
			return burstDrained
		case err != nil:
			o.rerr = err
			return burstOver
		case n == 0:
			o.eof = true
			return burstOver
		}
		o.inPipe = int(n)
		if !d.write(o.spliceFn) {
			return burstOver
		}
		d.t.touch()
		d.armPark()
	}
}

// write runs fn, a destination RawConn.Write callback, within the send
// timeout; it reports success (an error is left in d.os.werr).
func (d *direction) write(fn func(uintptr) bool) bool {
	o := &d.os
	d.dl.setWrite(d.dst, d.sendTimeout)
	err := d.dstRaw.Write(fn)
	if o.waited {
		o.waited = false
		d.t.blocked.Add(-1)
	}
	if err != nil && o.werr == nil {
		o.werr = err
	}
	return o.werr == nil
}

// writeOut is the destination's RawConn.Write callback for buffered
// bytes.
func (d *direction) writeOut(fd uintptr) bool {
	o := &d.os
	progressed := false
	for o.n > 0 {
		n, err := syscall.Write(int(fd), o.buf.b[o.off:o.off+o.n])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			d.blockedWrite(progressed)
			return false
		case err != nil:
			o.werr = err
			return true
		}
		progressed = true
		o.off += n
		o.n -= n
		d.moved.Add(int64(n))
	}
	return true
}

// spliceOut is the destination's RawConn.Write callback for the pipe's
// bytes.
func (d *direction) spliceOut(fd uintptr) bool {
	o := &d.os
	progressed := false
	for o.inPipe > 0 {
		n, err := syscall.Splice(o.pipe.r, nil, int(fd), nil, o.inPipe, spliceMove|spliceNonblock)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			d.blockedWrite(progressed)
			return false
		case err != nil:
			o.werr = err
			return true
		}
		progressed = true
		o.inPipe -= int(n)
		d.moved.Add(n)
	}
	return true
}

// blockedWrite notes a write that must wait for the destination. The
// idle timer leaves such a tunnel alone (the write's own timeout
// governs), and a write that made progress gets its timeout afresh, as
// nginx re-arms its write timer whenever a write moves bytes: the timeout
// bounds a stuck write, not a slow reader's whole backlog.
func (d *direction) blockedWrite(progressed bool) {
	o := &d.os
	if !o.waited {
		o.waited = true
		d.t.blocked.Add(1)
	} else if progressed {
		d.dl.setWrite(d.dst, d.sendTimeout)
	}
	if progressed {
		d.t.touch()
	}
}

// park hands the direction to the readiness loop. It reports false when
// the direction is still the caller's to run (no loop); true when the
// caller must let go of it (parked, or taken over by the tunnel's end).
func (d *direction) park() bool {
	p := d.t.reg.poller()
	if p == nil {
		return false
	}
	d.os.p = p
	d.state.Store(dirParked)
	if d.t.closingFlag.Load() {
		if d.state.CompareAndSwap(dirParked, dirRunning) {
			// Still ours: run on, and find the sockets closed.
			return false
		}
		return true
	}
	if err := p.arm(d); err != nil {
		return !d.state.CompareAndSwap(dirParked, dirRunning)
	}
	return true
}

// finish ends a direction run by a goroutine.
func (d *direction) finish() {
	if d.os.pipe != nil {
		// Bytes may be left in it: it cannot be reused.
		d.os.pipe.close()
		d.os.pipe = nil
	}
	if d.os.buf != nil {
		d.t.c.s.bufs.put(d.os.buf)
		d.os.buf = nil
	}
	d.state.Store(dirDone)
	d.t.dirDone()
}

// release drops the direction's registration with the readiness loop once
// its tunnel ended.
func (d *direction) release() {
	if p := d.os.p; p != nil {
		p.release(d)
	}
}

// tunnelPoller is the readiness loop idle tunnel directions park in: one
// epoll set, registrations one-shot, and one goroutine that starts a
// direction's goroutine when its socket becomes readable. Events carry a
// slot number and its generation rather than a descriptor, so that an
// event for a socket closed and reused meanwhile finds nothing.
type tunnelPoller struct {
	epfd, wakefd int
	done         chan struct{}

	mu    sync.Mutex
	slots []pollSlot
	free  []uint32
}

// pollSlot holds a parked direction.
type pollSlot struct {
	d   *direction
	gen uint32
}

// wakeKey marks the loop's own wake-up descriptor in events.
const wakeKey = -1

// newTunnelPoller creates the epoll set and starts the loop.
func newTunnelPoller() (*tunnelPoller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	r, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		_ = syscall.Close(epfd)
		return nil, errno
	}
	wakefd := int(r)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: wakeKey}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		_ = syscall.Close(epfd)
		_ = syscall.Close(wakefd)
		return nil, err
	}
	p := &tunnelPoller{epfd: epfd, wakefd: wakefd, done: make(chan struct{})}
	go p.loop()
	return p, nil
}

// arm registers d's source socket for one readability event.
func (p *tunnelPoller) arm(d *direction) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := &d.os
	if o.released {
		return errTunnelOver
	}
	if !o.hasSlot {
		var i uint32
		if n := len(p.free); n > 0 {
			i, p.free = p.free[n-1], p.free[:n-1]
		} else {
			i = uint32(len(p.slots))
			p.slots = append(p.slots, pollSlot{})
		}
		s := &p.slots[i]
		s.gen++
		s.d = d
		o.slot, o.gen, o.hasSlot = i, s.gen, true
	}
	ev := syscall.EpollEvent{
		Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
		Fd:     int32(o.slot),
		Pad:    int32(o.gen),
	}
	op := syscall.EPOLL_CTL_MOD
	if !o.registered {
		op = syscall.EPOLL_CTL_ADD
	}
	var cerr error
	err := d.srcRaw.Control(func(fd uintptr) {
		cerr = syscall.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	if err != nil {
		return err
	}
	if cerr != nil {
		return cerr
	}
	o.registered = true
	return nil
}

// release frees d's slot. Its socket leaves the epoll set as it closes
// (the tunnel closed it before): no event can name the slot's new owner,
// whose generation differs.
func (p *tunnelPoller) release(d *direction) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := &d.os
	o.released = true
	if o.hasSlot {
		p.slots[o.slot].d = nil
		p.free = append(p.free, o.slot)
		o.hasSlot = false
	}
}

// loop waits for parked sockets to become readable and gives each one's
// direction a fresh goroutine.
func (p *tunnelPoller) loop() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 256)
	var ready []*direction
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		stop := false
		ready = ready[:0]
		p.mu.Lock()
		for i := range events[:n] {
			ev := &events[i]
			if ev.Fd == wakeKey {
				stop = true
				continue
			}
			if int(ev.Fd) < 0 || int(ev.Fd) >= len(p.slots) {
				continue
			}
			if s := &p.slots[ev.Fd]; s.d != nil && s.gen == uint32(ev.Pad) {
				ready = append(ready, s.d)
			}
		}
		p.mu.Unlock()
		for _, d := range ready {
			if d.state.CompareAndSwap(dirParked, dirRunning) {
				go d.run()
			}
		}
		clear(ready)
		if stop {
			return
		}
	}
}

// stop ends the loop and closes its descriptors.
func (p *tunnelPoller) stop() {
	one := [8]byte{1}
	_, _ = syscall.Write(p.wakefd, one[:])
	<-p.done
	_ = syscall.Close(p.epfd)
	_ = syscall.Close(p.wakefd)
}

// splicePipe is a pipe used to splice between two sockets.
type splicePipe struct {
	r, w int
}

// close closes both ends.
func (sp *splicePipe) close() {
	_ = syscall.Close(sp.r)
	_ = syscall.Close(sp.w)
}

// maxIdlePipes bounds the empty pipes kept for the next bulk burst; more
// are closed as they come back, so that quiet times hold few descriptors.
const maxIdlePipes = 8

// pipePool lends empty splice pipes. It keeps no finalizer-closed pipes:
// every pipe is either borrowed (and closed or given back by its
// direction) or in the free list, which drain closes, so no descriptor
// outlives the server.
type pipePool struct {
	mu     sync.Mutex
	free   []*splicePipe
	closed bool
}

// get returns an empty pipe.
func (pp *pipePool) get() (*splicePipe, error) {
	pp.mu.Lock()
	if n := len(pp.free); n > 0 {
		sp := pp.free[n-1]
		pp.free = pp.free[:n-1]
		pp.mu.Unlock()
		return sp, nil
	}
	pp.mu.Unlock()
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return nil, err
	}
	// Best effort: a smaller pipe works, with more system calls.
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(fds[0]), syscall.F_SETPIPE_SZ, pipeSize)
	return &splicePipe{r: fds[0], w: fds[1]}, nil
}

// put gives back an empty pipe.
func (pp *pipePool) put(sp *splicePipe) {
	pp.mu.Lock()
	if pp.closed || len(pp.free) >= maxIdlePipes {
		pp.mu.Unlock()
		sp.close()
		return
	}
	pp.free = append(pp.free, sp)
	pp.mu.Unlock()
}

// drain closes the pooled pipes and those given back later (the server is
// stopping).
func (pp *pipePool) drain() {
	pp.mu.Lock()
	free := pp.free
	pp.free, pp.closed = nil, true
	pp.mu.Unlock()
	for _, sp := range free {
		sp.close()
	}
}
