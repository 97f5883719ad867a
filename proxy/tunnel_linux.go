//go:build linux

package proxy

import (
	"errors"
	"math"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// How tunnels move bytes on Linux: event loops, as nginx's workers do.
//
// A tunnel's two sockets leave Go's poller (their descriptors are
// duplicated and the net.Conns closed) and join one of the server's event
// loops: an epoll set of its own, edge-triggered, with EPOLLRDHUP, and a
// goroutine that waits on it. The goroutine does not block a thread in
// epoll_wait: the loop's epoll descriptor is itself registered with Go's
// poller, so the goroutine parks like any other until one of its sockets
// has an event, then takes the whole batch with a non-blocking
// epoll_wait.
//
// What this saves over a goroutine per direction is what nginx saves: a
// message costs one read and one write (a short read means the socket is
// drained, unless EPOLLRDHUP says a FIN is pending, so no read ends in
// EAGAIN), no goroutine is woken per message, and an idle tunnel costs its
// two descriptors and a small struct — no goroutine, no buffer.
//
// Messages are read into the loop's own buffer and written on at once;
// only bytes the destination cannot take yet are copied into a pooled
// buffer, held until they are written. A read that fills the loop's buffer
// means bulk: the rest of the burst is moved with splice(2), socket to
// pipe to socket, so that the payload does not cross into user space; the
// pipe is borrowed for the burst only.
//
// Everything about a tunnel on a loop (its descriptors, buffers, timers'
// bookkeeping, its end) is touched by the loop's goroutine only. Other
// goroutines talk to a loop through its queue: a tunnel to add, a timer
// that fired, a close (shutdown), a stop; an eventfd in the epoll set
// wakes the loop for them.

// splice(2) flags.
const (
	spliceMove     = 0x1
	spliceNonblock = 0x2
)

// pipeSize is the capacity asked of splice pipes: the most one splice
// moves. Larger pipes mean fewer system calls for bulk transfers; pipes
// are held only while bytes are in flight.
const pipeSize = 1 << 20

// moveBudget is how many bytes a direction moves in one turn before the
// loop's other tunnels get theirs: a fast bulk stream must not hold them
// up (their latency would be its transfer time).
const moveBudget = 4 << 20

// maxEvents is how many events one epoll_wait takes.
const maxEvents = 256

// Epoll registration of a tunnel socket: edge-triggered, both ways, with
// the peer's FIN reported on its own (nginx's pending_eof).
const (
	epollET        uint32 = 1 << 31
	tunnelSockMask        = uint32(syscall.EPOLLIN|syscall.EPOLLOUT|syscall.EPOLLRDHUP) | epollET
)

// wakeKey marks the loop's eventfd in events; tunnel sockets carry their
// slot and side.
const wakeKey = -1

// Socket flags (tunnelEv.flags), nginx's ready and pending_eof.
const (
	sockReadable uint8 = 1 << iota
	sockWritable
	sockRDHUP
)

// tunnelEv is a tunnel's state on its event loop.
type tunnelEv struct {
	loop *tunnelLoop
	// slot and gen are the tunnel's place in the loop's table; events
	// carry both, so that an event for a tunnel that ended finds nothing.
	slot, gen uint32
	// fd and flags are the sockets, indexed by side: the client's is
	// the toUpstream direction's source, the upstream's the toClient
	// direction's.
	fd    [2]int
	flags [2]uint8
	dir   [2]evDir
	// last is when bytes last moved (the loop's clock), moved only by
	// timerLazyDelay or more (rearm). timer fires at timerAt (0: not
	// armed) for the earliest of the tunnel's deadlines, checked lazily:
	// traffic does not re-arm it.
	last    int64
	timer   *time.Timer
	timerAt int64
	over    bool
	// terminated is set when the tunnel ends the way nginx terminates a
	// request (a client timeout, a shutdown): not $request_completion.
	terminated bool
	// clientFailed is set when a read or write of the client's socket
	// failed: no lingering close then (lingerTunnel).
	clientFailed bool
	// posted is set while the tunnel is on the loop's posted list.
	posted bool
}

// evDir is one direction of a tunnel on a loop.
type evDir struct {
	// buf holds the bytes buf.b[off:off+n] the destination could not
	// take yet; pipe holds inPipe bytes spliced from the source. Both are
	// borrowed while bytes are in flight only.
	buf    *buf
	off, n int
	pipe   *splicePipe
	inPipe int
	// bulk is set once a read filled the loop's buffer: the burst goes
	// on with splice until the source is drained.
	bulk bool
	// done is set once the source ended and the destination got its FIN.
	done bool
	// waiting is set while a write waits for the destination; since when
	// it last made progress is progressAt.
	waiting    bool
	progressAt int64
	// moved counts the bytes written to the destination.
	moved int64
}

// src and dst are the sides a direction reads and writes.
func src(dir int) int { return dir }
func dst(dir int) int { return 1 - dir }

// Loop commands.
const (
	opAdd   = iota // start moving a tunnel's bytes
	opTimer        // a tunnel's timer fired
	opClose        // end a tunnel without a log line
	opStop         // end every tunnel and the loop
	opStats        // count the tunnels holding a buffer or a pipe
)

// loopCmd is a command for a loop.
type loopCmd struct {
	t     *tunnel
	op    uint8
	reply chan int
}

// loopSlot is an entry of a loop's tunnel table.
type loopSlot struct {
	t   *tunnel
	gen uint32
}

// tunnelLoop is one event loop.
type tunnelLoop struct {
	bufs  *bufPool
	pipes *pipePool
	// epfd is the loop's epoll set, file the same descriptor as Go's
	// poller knows it; wakefd is the eventfd commands wake the loop with.
	epfd, wakefd int
	file         *os.File
	raw          syscall.RawConn
	done         chan struct{}

	mu     sync.Mutex
	queue  []loopCmd
	woken  bool
	closed bool

	// budget is moveBudget (tests make it smaller).
	budget int64

	// epoch is when the loop started: its clock (now, clock) counts
	// nanoseconds since, on the monotonic clock, so that a step of the
	// wall clock neither fires nor holds back a tunnel's timers.
	epoch time.Time

	// The loop goroutine's own: the queue's other slice, the tunnels to
	// go on with after the batch (having used up their budget) and the
	// other list, the table of tunnels, the clock of the current batch,
	// buffers, and whether a stop was asked.
	spare               []loopCmd
	posted, postedSpare []*tunnel
	slots               []loopSlot
	free                []uint32
	count               int
	now                 int64
	events              []syscall.EpollEvent
	scratch             []byte
	stopping            bool
}

// newTunnelLoop creates a loop and starts its goroutine. It fails when
// the loop's epoll set cannot be waited on through Go's poller.
func newTunnelLoop(bufs *bufPool, pipes *pipePool) (*tunnelLoop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	r, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		_ = syscall.Close(epfd)
		return nil, os.NewSyscallError("eventfd", errno)
	}
	wakefd := int(r)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | epollET, Fd: wakeKey}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		_ = syscall.Close(epfd)
		_ = syscall.Close(wakefd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	// A non-blocking descriptor given to os.NewFile joins Go's poller.
	if err := syscall.SetNonblock(epfd, true); err != nil {
		_ = syscall.Close(epfd)
		_ = syscall.Close(wakefd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	l := &tunnelLoop{
		bufs: bufs, pipes: pipes,
		epfd: epfd, wakefd: wakefd,
		file:    os.NewFile(uintptr(epfd), "tunnel-loop"),
		done:    make(chan struct{}),
		epoch:   time.Now(),
		budget:  moveBudget,
		events:  make([]syscall.EpollEvent, maxEvents),
		scratch: make([]byte, copySize),
	}
	raw, err := l.file.SyscallConn()
	if err == nil {
		// Proof that Go's poller waits for the loop's set: an event is
		// made, and must be seen through the poller without waiting.
		// Were the set not pollable, Read would fail at once instead.
		l.wake()
		err = raw.Read(func(uintptr) bool {
			n, errno := epollWait(l.epfd, l.events)
			return errno == 0 && n > 0
		})
	}
	if err != nil {
		_ = l.file.Close()
		_ = syscall.Close(wakefd)
		return nil, err
	}
	l.raw = raw
	go l.run()
	return l, nil
}

// clock reads the loop's clock: nanoseconds since its epoch.
func (l *tunnelLoop) clock() int64 { return int64(time.Since(l.epoch)) }

// epollWait takes the events ready now, without waiting: a call that
// cannot block needs none of the scheduler's bookkeeping of Syscall.
func epollWait(epfd int, events []syscall.EpollEvent) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd),
		uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	return int(r), errno
}

// run is the loop's goroutine.
func (l *tunnelLoop) run() {
	defer close(l.done)
	// The callback returns true only to stop: between calls, Read parks
	// the goroutine until the epoll set is readable.
	err := l.raw.Read(l.poll)
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	if err != nil || !l.stopping {
		// The set can no longer be waited on (it never happens short of
		// a bug): its tunnels end rather than hang.
		l.endAll()
	}
	_ = l.file.Close()
	_ = syscall.Close(l.wakefd)
}

// poll handles what is ready; it reports true when the loop is to stop.
func (l *tunnelLoop) poll(uintptr) bool {
	for {
		n, errno := epollWait(l.epfd, l.events)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return true
		}
		if n > 0 || len(l.posted) > 0 {
			l.now = l.clock()
		}
		for i := range l.events[:n] {
			l.dispatch(&l.events[i])
		}
		l.runPosted()
		if l.stopping && l.count == 0 {
			return true
		}
		// Fewer events than room means none was left behind: whatever
		// happens from now on makes the set readable anew. Tunnels
		// that used up their budget go on without waiting.
		if n < len(l.events) && len(l.posted) == 0 {
			return false
		}
	}
}

// postTunnel puts a tunnel that used up its budget on the list of those
// to go on with after the batch (nginx's posted events).
func (l *tunnelLoop) postTunnel(t *tunnel) {
	if !t.ev.posted {
		t.ev.posted = true
		l.posted = append(l.posted, t)
	}
}

// runPosted gives each posted tunnel another turn; those that use up
// their budget again are posted for the next.
func (l *tunnelLoop) runPosted() {
	if len(l.posted) == 0 {
		return
	}
	list := l.posted
	l.posted = l.postedSpare[:0]
	for _, t := range list {
		t.ev.posted = false
		if !t.ev.over {
			t.process(l)
		}
	}
	clear(list)
	l.postedSpare = list
}

// dispatch handles one event.
func (l *tunnelLoop) dispatch(ev *syscall.EpollEvent) {
	if ev.Fd == wakeKey {
		l.runQueue()
		return
	}
	key := uint32(ev.Fd)
	i := int(key >> 1)
	if i >= len(l.slots) || l.slots[i].t == nil || l.slots[i].gen != uint32(ev.Pad) {
		return
	}
	t := l.slots[i].t
	e := &t.ev
	side := key & 1
	if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		e.flags[side] |= sockReadable
	}
	if ev.Events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP) != 0 {
		e.flags[side] |= sockRDHUP
	}
	if ev.Events&(syscall.EPOLLOUT|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		e.flags[side] |= sockWritable
	}
	t.process(l)
}

// post queues a command; false when the loop has stopped.
func (l *tunnelLoop) post(c loopCmd) bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	l.queue = append(l.queue, c)
	wake := !l.woken
	l.woken = true
	l.mu.Unlock()
	if wake {
		l.wake()
	}
	return true
}

// wake makes the loop's eventfd readable.
func (l *tunnelLoop) wake() {
	one := [8]byte{1}
	_, _ = syscall.Write(l.wakefd, one[:])
}

// runQueue runs the queued commands.
func (l *tunnelLoop) runQueue() {
	var b [8]byte
	_, _ = syscall.Read(l.wakefd, b[:])
	l.mu.Lock()
	q := l.queue
	l.queue, l.woken = l.spare[:0], false
	l.mu.Unlock()
	for _, c := range q {
		switch c.op {
		case opAdd:
			c.t.addEv(l)
		case opTimer:
			if !c.t.ev.over {
				c.t.ev.timerAt = 0
				c.t.checkTimers(l)
			}
		case opClose:
			if !c.t.ev.over {
				c.t.ev.terminated = true
				c.t.endEv(l, nil)
			}
		case opStop:
			l.stopping = true
			l.endAll()
		case opStats:
			c.reply <- l.inFlight()
		}
	}
	clear(q)
	l.spare = q
}

// endAll ends every tunnel of the loop without a log line.
func (l *tunnelLoop) endAll() {
	for i := range l.slots {
		if t := l.slots[i].t; t != nil {
			t.ev.terminated = true
			t.endEv(l, nil)
		}
	}
}

// inFlight counts the loop's tunnels holding a buffer or a pipe.
func (l *tunnelLoop) inFlight() int {
	n := 0
	for i := range l.slots {
		if t := l.slots[i].t; t != nil {
			for d := range t.ev.dir {
				if t.ev.dir[d].buf != nil || t.ev.dir[d].pipe != nil {
					n++
					break
				}
			}
		}
	}
	return n
}

// stats asks the loop how many of its tunnels hold a buffer or a pipe.
func (l *tunnelLoop) stats() int {
	reply := make(chan int, 1)
	if !l.post(loopCmd{op: opStats, reply: reply}) {
		return 0
	}
	select {
	case n := <-reply:
		return n
	case <-l.done:
		return 0
	}
}

// stop ends the loop (and any tunnel still on it) and waits for its
// goroutine.
func (l *tunnelLoop) stop() {
	l.post(loopCmd{op: opStop})
	<-l.done
}

// takeFD duplicates a connection's descriptor, for the loop to own.
func takeFD(nc any) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, errors.ErrUnsupported
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	err = rc.Control(func(s uintptr) {
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if errno != 0 {
			derr = os.NewSyscallError("fcntl", errno)
			return
		}
		fd = int(r)
	})
	if err != nil {
		return -1, err
	}
	return fd, derr
}

// startEv hands the tunnel to an event loop; false when it must run on
// goroutines (no loop, or a connection without a descriptor).
func (t *tunnel) startEv() bool {
	l := t.s.tunnels.loop(&t.s.bufs)
	if l == nil {
		return false
	}
	cfd, err := takeFD(t.client)
	if err != nil {
		return false
	}
	ufd, err := takeFD(t.up)
	if err != nil {
		_ = syscall.Close(cfd)
		return false
	}
	// The net.Conns leave Go's poller; the sockets stay open through the
	// duplicates.
	_ = t.client.Close()
	_ = t.up.Close()
	t.client, t.up = nil, nil
	e := &t.ev
	e.loop = l
	e.fd = [2]int{cfd, ufd}
	// Writable until a write says otherwise; readable once an event
	// says so (the first comes as the sockets join the set).
	e.flags = [2]uint8{sockWritable, sockWritable}
	if !l.post(loopCmd{t: t, op: opAdd}) {
		// The server is stopping.
		_ = syscall.Close(cfd)
		_ = syscall.Close(ufd)
		e.over = true
		t.finalize(0, 0, false)
		return true
	}
	t.engine.Store(engineEv)
	return true
}

// closeEv asks the tunnel's loop to end it without a log line.
func (t *tunnel) closeEv() { t.ev.loop.post(loopCmd{t: t, op: opClose}) }

// timerFired is the tunnel's timer callback.
func (t *tunnel) timerFired() { t.ev.loop.post(loopCmd{t: t, op: opTimer}) }

// addEv puts the tunnel's sockets in the loop's set.
func (t *tunnel) addEv(l *tunnelLoop) {
	e := &t.ev
	i := takeSlot(&l.slots, &l.free)
	s := &l.slots[i]
	s.gen++
	s.t = t
	e.slot, e.gen = i, s.gen
	l.count++
	if l.now == 0 {
		l.now = l.clock()
	}
	// The idle timer runs from when nginx would have armed it (upgrade).
	e.last = l.now - int64(t.armedAgo(l.epoch.Add(time.Duration(l.now))))
	for side := range e.fd {
		ev := syscall.EpollEvent{Events: tunnelSockMask, Fd: int32(i<<1 | uint32(side)), Pad: int32(s.gen)}
		if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, e.fd[side], &ev); err != nil {
			fd := e.fd[side]
			t.endEv(l, func() {
				t.rec.logEvent(levelAlert, "epoll_ctl(1, "+strconv.Itoa(fd)+") failed", errnoText(err), tunnelAction)
			})
			return
		}
	}
	if t.idle > 0 {
		t.armTimer(l, e.last+int64(t.idle))
	}
}

// process moves what can be moved both ways, as one run of nginx's
// ngx_http_upstream_process_upgraded.
func (t *tunnel) process(l *tunnelLoop) {
	e := &t.ev
	for dir := range e.dir {
		if !e.dir[dir].done && !t.move(l, dir) {
			return
		}
	}
	if e.dir[toUpstream].done && e.dir[toClient].done {
		t.endEv(l, nil)
	}
}

// move moves one direction's bytes until its source has none or its
// destination takes no more. It reports false when the tunnel ended.
func (t *tunnel) move(l *tunnelLoop, dir int) bool {
	e := &t.ev
	d := &e.dir[dir]
	in, out := src(dir), dst(dir)
	budget := d.moved + l.budget
	for {
		if d.n > 0 || d.inPipe > 0 {
			if e.flags[out]&sockWritable == 0 {
				return true
			}
			flushed, err := t.flush(l, dir)
			if err != nil {
				return t.moveFailed(l, dir, err, false)
			}
			if !flushed {
				return true
			}
		}
		if e.flags[in]&sockReadable == 0 {
			return true
		}
		if d.moved >= budget {
			// A stream this fast would hold up the loop's other
			// tunnels: the rest waits for the end of the batch.
			l.postTunnel(t)
			return true
		}
		if d.bulk {
			if !t.spliceIn(l, dir) {
				return !e.over
			}
			continue
		}
		n, errno := rawRead(e.fd[in], l.scratch)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno == syscall.EAGAIN:
			e.flags[in] &^= sockReadable
			return true
		case errno != 0:
			return t.moveFailed(l, dir, errno, true)
		case n == 0:
			t.srcEnded(dir)
			return true
		}
		rearm(&e.last, l.now)
		if n == len(l.scratch) {
			d.bulk = true
		} else if e.flags[in]&sockRDHUP == 0 {
			// A short read drained the socket: the next bytes bring
			// an event of their own (nginx's ngx_unix_recv).
			e.flags[in] &^= sockReadable
		}
		w, errno := 0, syscall.Errno(0)
		if e.flags[out]&sockWritable != 0 {
			w, errno = writeAll(e.fd[out], l.scratch[:n])
			d.moved += int64(w)
		}
		switch {
		case errno == syscall.EAGAIN:
			e.flags[out] &^= sockWritable
		case errno != 0:
			return t.moveFailed(l, dir, errno, false)
		}
		if w < n {
			d.buf = l.bufs.get(n - w)
			d.off, d.n = 0, copy(d.buf.b, l.scratch[w:n])
			t.writeWaits(l, dir)
		}
	}
}

// srcEnded passes the source's end of file on to the destination (its
// write side is shut down) and ends the direction.
func (t *tunnel) srcEnded(dir int) {
	e := &t.ev
	e.flags[src(dir)] &^= sockReadable
	_ = syscall.Shutdown(e.fd[dst(dir)], syscall.SHUT_WR)
	e.dir[dir].done = true
}

// spliceIn moves the source's bytes into the direction's pipe. It reports
// false when the burst is over: the source is drained (the pipe goes
// back), at its end, or the tunnel failed (e.over).
func (t *tunnel) spliceIn(l *tunnelLoop, dir int) bool {
	e := &t.ev
	d := &e.dir[dir]
	if d.pipe == nil {
		p, err := l.pipes.get()
		if err != nil {
			// No pipe (descriptors exhausted): copy instead.
			d.bulk = false
			return true
		}
		d.pipe = p
	}
	for {
		n, err := rawSplice(e.fd[src(dir)], d.pipe.w, pipeSize)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			// The pipe is empty (it is flushed before each splice into
			// it), so the socket is drained.
			e.flags[src(dir)] &^= sockReadable
			d.bulk = false
			l.pipes.put(d.pipe)
			d.pipe = nil
			return false
		case err != 0:
			t.moveFailed(l, dir, err, true)
			return false
		case n == 0:
			l.pipes.put(d.pipe)
			d.pipe = nil
			d.bulk = false
			t.srcEnded(dir)
			return false
		}
		d.inPipe = n
		rearm(&e.last, l.now)
		return true
	}
}

// flush writes the direction's held bytes; it reports whether all went.
func (t *tunnel) flush(l *tunnelLoop, dir int) (bool, error) {
	e := &t.ev
	d := &e.dir[dir]
	fd := e.fd[dst(dir)]
	progressed := false
	defer func() {
		if progressed {
			rearm(&d.progressAt, l.now)
			rearm(&e.last, l.now)
		}
	}()
	if d.n > 0 {
		w, errno := writeAll(fd, d.buf.b[d.off:d.off+d.n])
		if w > 0 {
			progressed = true
			d.off += w
			d.n -= w
			d.moved += int64(w)
		}
		switch {
		case errno == syscall.EAGAIN:
			e.flags[dst(dir)] &^= sockWritable
			return false, nil
		case errno != 0:
			return false, errno
		}
	}
	if d.buf != nil {
		l.bufs.put(d.buf)
		d.buf = nil
	}
	for d.inPipe > 0 {
		n, err := rawSplice(d.pipe.r, fd, d.inPipe)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			e.flags[dst(dir)] &^= sockWritable
			t.writeWaits(l, dir)
			return false, nil
		case err != 0:
			return false, err
		}
		progressed = true
		d.inPipe -= int(n)
		d.moved += int64(n)
	}
	d.waiting = false
	return true, nil
}

// writeWaits notes a write that must wait for the destination: its send
// timeout runs from now (a write that makes progress gets it afresh, as
// nginx re-arms its write timer whenever a write moves bytes: the timeout
// bounds a stuck write, not a slow reader's whole backlog), and the idle
// timer leaves the tunnel alone meanwhile.
func (t *tunnel) writeWaits(l *tunnelLoop, dir int) {
	d := &t.ev.dir[dir]
	if d.waiting {
		return
	}
	d.waiting, d.progressAt = true, l.now
	// A timeout of 0 fires at once, as nginx's timer of 0 does at its
	// loop's next turn: a write that cannot go times out.
	t.armTimer(l, l.now+int64(t.sendTimeout[dir]))
}

// moveFailed ends the tunnel after a read (reading) or write error of
// direction dir, with nginx's line; it reports false (the tunnel ended).
func (t *tunnel) moveFailed(l *tunnelLoop, dir int, err error, reading bool) bool {
	t.ev.clientFailed = (dir == toUpstream) == reading
	t.endEv(l, func() { logMoveError(t.rec, err, dir == toUpstream, reading) })
	return false
}

// rearm moves a running timer's start (*at, the loop's clock) to now as
// nginx's ngx_add_timer moves a timer already set: only when that shifts
// its deadline by timerLazyDelay or more.
func rearm(at *int64, now int64) {
	if now-*at >= int64(timerLazyDelay) {
		*at = now
	}
}

// armTimer makes the tunnel's timer fire by due (unix nanoseconds) at the
// latest. A timer already due earlier is left alone: when it fires the
// deadlines are checked afresh.
func (t *tunnel) armTimer(l *tunnelLoop, due int64) {
	e := &t.ev
	if e.timerAt != 0 && e.timerAt <= due {
		return
	}
	d := time.Duration(due - l.now)
	if e.timer == nil {
		e.timer = time.AfterFunc(d, t.timerFired)
	} else {
		e.timer.Reset(d)
	}
	e.timerAt = due
}

// checkTimers runs when the tunnel's timer fires. A write waiting longer
// than its send timeout ends the tunnel ("upstream timed out" for a write
// to the upstream, "client timed out" for one to the client); so does a
// tunnel without traffic for proxy_read_timeout, unless a write waits,
// whose own timeout then governs. Otherwise the timer is set for the next
// deadline.
func (t *tunnel) checkTimers(l *tunnelLoop) {
	e := &t.ev
	now := l.clock()
	next := int64(math.MaxInt64)
	blocked := false
	for dir := range e.dir {
		d := &e.dir[dir]
		if !d.waiting {
			continue
		}
		blocked = true
		due := d.progressAt + int64(t.sendTimeout[dir])
		if now >= due {
			up := dir == toUpstream
			// A client timeout terminates the request (408).
			e.terminated = !up
			t.endEv(l, func() { logTimeout(t.rec, up) })
			return
		}
		next = min(next, due)
	}
	if t.idle > 0 {
		due := e.last + int64(t.idle)
		if now >= due {
			if !blocked {
				t.endEv(l, func() { logTimeout(t.rec, true) })
				return
			}
			due = now + int64(t.idle)
		}
		next = min(next, due)
	}
	if next != math.MaxInt64 {
		l.now = now
		t.armTimer(l, next)
	}
}

// endEv ends a tunnel on its loop: both sockets closed (which takes them
// out of the set), what it borrowed given back, its slot freed. The rest
// of the end runs on a goroutine of its own: why (when not nil) writes
// the error-log line saying why the tunnel ended, then the tunnel is
// finalized (its access log line, the upstream peer's release), so that
// a log file slow to take lines holds up no other tunnel of the loop.
func (t *tunnel) endEv(l *tunnelLoop, why func()) {
	e := &t.ev
	if e.over {
		return
	}
	e.over = true
	if e.timer != nil {
		e.timer.Stop()
	}
	// The client's socket is closed lingering when nginx would
	// (lingerTunnel): taken out of the set, its write side shut down.
	lingerFd := -1
	if !e.terminated && !e.clientFailed && !e.dir[toUpstream].done && t.lingerSettings.wanted(func() bool { return pendingBytes(e.fd[0]) }) {
		_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, e.fd[0], nil)
		if syscall.Shutdown(e.fd[0], syscall.SHUT_WR) == nil {
			lingerFd = e.fd[0]
		}
	}
	if lingerFd < 0 {
		_ = syscall.Close(e.fd[0])
	}
	_ = syscall.Close(e.fd[1])
	for dir := range e.dir {
		d := &e.dir[dir]
		if d.buf != nil {
			l.bufs.put(d.buf)
			d.buf = nil
		}
		if d.pipe != nil {
			if d.inPipe > 0 {
				// Bytes are left in it: it cannot be reused.
				l.pipes.discard(d.pipe)
			} else {
				l.pipes.put(d.pipe)
			}
			d.pipe = nil
		}
	}
	if s := &l.slots[e.slot]; s.t == t {
		s.t = nil
		l.free = append(l.free, e.slot)
		l.count--
	}
	down, up, complete := e.dir[toClient].moved, e.dir[toUpstream].moved, !e.terminated
	go func() {
		if why != nil {
			why()
		}
		if lingerFd >= 0 {
			t.lingerFd(lingerFd)
		}
		t.finalize(down, up, complete)
	}()
}

// pendingBytes reports whether bytes wait unread on a socket (nginx's
// c->read->ready at the tunnel's end).
func pendingBytes(fd int) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(fd, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err == nil && n > 0
}

// lingerFd closes a tunnel's client socket lingering (lingerTunnel); the
// descriptor, out of the loop's set with its write side shut down, goes
// to Go's poller for the reads.
func (t *tunnel) lingerFd(fd int) {
	f := os.NewFile(uintptr(fd), "tunnel client")
	nc, err := net.FileConn(f)
	_ = f.Close()
	if err != nil {
		return
	}
	t.linger(nc)
}

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket:
// they cannot block, so they skip the scheduler's bookkeeping of Syscall.
func rawRead(fd int, b []byte) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(r), errno
}

func rawWrite(fd int, b []byte) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(r), errno
}

// rawSplice is splice(2) between a socket and a pipe, both non-blocking
// (and SPLICE_F_NONBLOCK): like rawRead, it cannot block. Through Syscall,
// each call would also wake the runtime's monitor thread, which then polls
// while a bulk stream lasts: an eighth of the proxy's time in a transfer.
func rawSplice(from, to, n int) (int, syscall.Errno) {
	r, _, errno := syscall.RawSyscall6(syscall.SYS_SPLICE, uintptr(from), 0, uintptr(to), 0, uintptr(n), spliceMove|spliceNonblock)
	return int(r), errno
}

// writeAll writes b until it is all written or the socket says why not.
func writeAll(fd int, b []byte) (int, syscall.Errno) {
	done := 0
	for done < len(b) {
		n, errno := rawWrite(fd, b[done:])
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return done, errno
		}
		done += n
	}
	return done, 0
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

// maxPipes bounds the pipes lent at once (two descriptors each). A pipe
// stays lent while its bytes wait for a destination that does not read,
// so without a bound, clients that send bulk and never read could take
// every descriptor; past it, bursts are copied through buffers.
const maxPipes = 512

// errNoPipe is get's answer past maxPipes.
var errNoPipe = errors.New("splice pipes exhausted")

// pipePool lends empty splice pipes. Every pipe is either lent (and
// discarded or given back by its direction) or in the free list, which
// drain closes, so no descriptor outlives the server.
type pipePool struct {
	mu     sync.Mutex
	free   []*splicePipe
	lent   int
	closed bool
}

// get returns an empty pipe.
func (pp *pipePool) get() (*splicePipe, error) {
	pp.mu.Lock()
	if pp.lent >= maxPipes {
		pp.mu.Unlock()
		return nil, errNoPipe
	}
	pp.lent++
	if n := len(pp.free); n > 0 {
		sp := pp.free[n-1]
		pp.free = pp.free[:n-1]
		pp.mu.Unlock()
		return sp, nil
	}
	pp.mu.Unlock()
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		pp.mu.Lock()
		pp.lent--
		pp.mu.Unlock()
		return nil, err
	}
	// Best effort: a smaller pipe works, with more system calls.
	_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(fds[0]), syscall.F_SETPIPE_SZ, pipeSize)
	return &splicePipe{r: fds[0], w: fds[1]}, nil
}

// put gives back an empty pipe.
func (pp *pipePool) put(sp *splicePipe) {
	pp.mu.Lock()
	pp.lent--
	if pp.closed || len(pp.free) >= maxIdlePipes {
		pp.mu.Unlock()
		sp.close()
		return
	}
	pp.free = append(pp.free, sp)
	pp.mu.Unlock()
}

// discard closes a lent pipe that still holds bytes.
func (pp *pipePool) discard(sp *splicePipe) {
	pp.mu.Lock()
	pp.lent--
	pp.mu.Unlock()
	sp.close()
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

// readinessWaiter returns a function that waits until src, a plain
// socket, has bytes, its end of file or an error to read, reading
// nothing and clearing no pending socket error (ppoll, not a peek: a
// MSG_PEEK recv would take an ECONNRESET the read must report). It is
// nil for a connection without a socket of its own to wait on (TLS).
func readinessWaiter(src net.Conn) func() {
	switch src.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return nil
	}
	rc, ok := rawConn(src)
	if !ok {
		return nil
	}
	return func() {
		// An error (a deadline, the socket closed) is the Read's to
		// report.
		_ = rc.Read(func(fd uintptr) bool { return pollReadable(fd) })
	}
}

// pollReadable reports, without waiting, whether fd has something to
// read (bytes, the peer's FIN, an error).
func pollReadable(fd uintptr) bool {
	pfd := struct {
		fd              int32
		events, revents int16
	}{fd: int32(fd), events: 0x1 | 0x2000} // POLLIN | POLLRDHUP
	var ts syscall.Timespec
	for {
		n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		// A failed poll says nothing: the Read finds out.
		return errno != 0 || n > 0
	}
}

// takeSlot returns the index of a free slot of an epoll set's table (the
// tunnel loops', the idle parking set's), reusing one given back to free
// before growing the table by a zero slot. Slots carry a generation that
// the caller moves on, so that a late event for a slot's last tenant finds
// nothing.
func takeSlot[T any](slots *[]T, free *[]uint32) uint32 {
	if n := len(*free); n > 0 {
		i := (*free)[n-1]
		*free = (*free)[:n-1]
		return i
	}
	var zero T
	*slots = append(*slots, zero)
	return uint32(len(*slots) - 1)
}
