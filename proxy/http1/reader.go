package http1

import (
	"io"
	"syscall"
)

// Reader reads HTTP/1.x heads from one connection (a client's or an
// upstream's) and hands out the bytes that follow them. It borrows its
// buffers from a shared [Pools] and gives them back in Release, so between
// requests it holds none — except when the client has already sent more
// bytes (a pipelined request), which stay buffered as nginx keeps them.
//
// A Reader is owned by the goroutine serving its connection; it is not safe
// for concurrent use.
type Reader struct {
	src   io.Reader
	raw   syscall.RawConn // src's descriptor, when it has one: first reads wait without a buffer
	pools *Pools

	cur   *buffer // the buffer being parsed or holding unread bytes; nil when idle
	pos   int     // next unread byte in cur
	last  int     // end of the bytes read into cur
	end   int     // usable size of cur (nginx's buffer end: a limit, not cur's capacity)
	floor int     // Unread never writes below this: the head lives there
	large bool    // cur counts against large_client_header_buffers

	held   []*buffer // buffers the current head points into (cur included)
	nlarge int       // large buffers used by the current head (nginx's hc->nbusy)
	rerr   error     // a read error that arrived together with data

	rawSize int
	rawBuf  *buffer
	rawN    int
	rawErr  error
	rawFn   func(fd uintptr) bool
}

// NewReader returns a Reader for src that borrows buffers from pools. When
// src exposes its descriptor (syscall.Conn, as *net.TCPConn and
// *net.UnixConn do), the wait for the first byte of each head is done
// without holding a buffer, as nginx frees c->buffer while a connection is
// idle; other readers (TLS, pipes) hold one small buffer while they wait.
func NewReader(src io.Reader, pools *Pools) *Reader {
	r := &Reader{pools: pools, held: make([]*buffer, 0, 8)}
	r.rawFn = r.rawRead
	r.Reset(src)
	return r
}

// Reset releases every buffer and makes r read from src, as a new Reader
// would. Unread bytes are dropped.
func (r *Reader) Reset(src io.Reader) {
	r.Release()
	if r.cur != nil {
		r.pools.put(r.cur)
		r.cur = nil
	}
	r.pos, r.last, r.end, r.floor, r.large, r.rerr = 0, 0, 0, 0, false, nil
	r.src, r.raw = src, nil
	if sc, ok := src.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			r.raw = raw
		}
	}
}

// Release ends the current head: its slices become invalid and its buffers
// go back to the pool, except the one holding bytes not yet read (the start
// of a pipelined request), which stays until they are consumed. A Reader
// with nothing buffered holds no memory after Release.
func (r *Reader) Release() {
	for _, b := range r.held {
		if b != r.cur {
			r.pools.put(b)
		}
	}
	r.held = r.held[:0]
	r.nlarge = 0
	if r.cur != nil && r.pos == r.last {
		r.pools.put(r.cur)
		r.cur = nil
		r.pos, r.last, r.end, r.large = 0, 0, 0, false
	}
	r.floor = r.pos
}

// Read reads the bytes that follow the last head: first those already
// buffered, then straight from the connection into p (no copy through a
// buffer). Use it for bodies and for the first bytes of a tunnel.
func (r *Reader) Read(p []byte) (int, error) {
	if r.pos < r.last {
		n := copy(p, r.cur.b[r.pos:r.last])
		r.pos += n
		return n, nil
	}
	if r.rerr != nil {
		err := r.rerr
		r.rerr = nil
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	return r.src.Read(p)
}

// Buffered returns the bytes read from the connection but not yet consumed,
// without consuming them; the slice is valid until the next call on r.
func (r *Reader) Buffered() []byte {
	if r.cur == nil {
		return nil
	}
	return r.cur.b[r.pos:r.last]
}

// Discard consumes n buffered bytes (at most len(Buffered())).
func (r *Reader) Discard(n int) {
	r.pos += min(n, r.last-r.pos)
}

// Unread puts b back in front of the buffered bytes, so that the next Read
// or head starts with it. A body decoder uses it to return the bytes it read
// past the end of a body (the next pipelined request). b is copied.
func (r *Reader) Unread(b []byte) {
	if len(b) == 0 {
		return
	}
	if r.cur != nil && r.pos-r.floor >= len(b) {
		r.pos -= len(b)
		copy(r.cur.b[r.pos:], b)
		return
	}
	pending := r.Buffered()
	size := len(b) + len(pending)
	nb := r.pools.get(size)
	copy(nb.b, b)
	copy(nb.b[len(b):], pending)
	r.retire(r.cur)
	r.cur, r.pos, r.last, r.end, r.floor, r.large = nb, 0, size, len(nb.b), 0, false
	r.held = append(r.held, nb)
}

// retire gives b back to the pool unless the current head still uses it
// (then Release does).
func (r *Reader) retire(b *buffer) {
	if b == nil {
		return
	}
	for _, h := range r.held {
		if h == b {
			return
		}
	}
	r.pools.put(b)
}

// begin makes r ready to parse a new head: it keeps parsing bytes already
// buffered, or waits for the connection to send some, reading them into a
// fresh buffer of size bytes. It returns io.EOF, or the connection's error,
// unwrapped, when the connection ends or fails before sending a byte.
func (r *Reader) begin(size int) error {
	r.Release()
	if r.cur != nil {
		r.held = append(r.held, r.cur)
		if r.large {
			r.nlarge = 1
		}
		return nil
	}
	if r.rerr != nil {
		err := r.rerr
		r.rerr = nil
		return err
	}
	if err := r.firstRead(size); err != nil {
		return err
	}
	r.held = append(r.held, r.cur)
	return nil
}

// firstRead waits for the connection's first bytes and reads them into a new
// buffer of size bytes.
func (r *Reader) firstRead(size int) error {
	if r.raw != nil {
		return r.firstRawRead(size)
	}
	b := r.pools.get(size)
	for tries := 0; ; tries++ {
		n, err := r.src.Read(b.b[:size])
		if n > 0 {
			r.take(b, n, size, err)
			return nil
		}
		if err == nil && tries < 100 {
			continue
		}
		r.pools.put(b)
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
}

// firstRawRead reads through the descriptor: a buffer is taken from the pool
// only once the socket is readable, and given back if the read finds
// nothing, so a connection parked here holds no buffer.
func (r *Reader) firstRawRead(size int) error {
	r.rawSize, r.rawN, r.rawErr = size, 0, nil
	err := r.raw.Read(r.rawFn)
	b, n := r.rawBuf, r.rawN
	r.rawBuf = nil
	if err == nil {
		err = r.rawErr
	}
	if n > 0 {
		r.take(b, n, size, nil)
		return nil
	}
	r.pools.put(b)
	if err == nil {
		err = io.EOF
	}
	return err
}

// rawRead is the syscall.RawConn read callback of firstRawRead. It returns
// false (wait for readability) when the socket has nothing to read.
func (r *Reader) rawRead(fd uintptr) bool {
	if r.rawBuf == nil {
		r.rawBuf = r.pools.get(r.rawSize)
	}
	for {
		n, err := syscall.Read(int(fd), r.rawBuf.b[:r.rawSize])
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			r.pools.put(r.rawBuf)
			r.rawBuf = nil
			return false
		}
		r.rawN, r.rawErr = max(n, 0), err
		return true
	}
}

// take makes b, holding n fresh bytes, the current buffer; err, when the
// read that brought them also failed, is kept for the next read.
func (r *Reader) take(b *buffer, n, size int, err error) {
	r.cur, r.pos, r.last, r.end, r.floor, r.large = b, 0, n, size, 0, false
	r.rerr = err
}

// fill reads more bytes into cur[last:end], which must have room.
func (r *Reader) fill() error {
	if r.rerr != nil {
		err := r.rerr
		r.rerr = nil
		return err
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.src.Read(r.cur.b[r.last:r.end])
		r.last += n
		if n > 0 {
			r.rerr = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// grow moves the unfinished line cur[from:pos] to the front of a new large
// buffer of size bytes, which becomes cur (the line then starts at 0).
// When keepOld is false the old buffer holds nothing the head needs and goes
// back to the pool at once.
func (r *Reader) grow(from, size int, keepOld bool) {
	nb := r.pools.get(size)
	n := copy(nb.b[:size], r.cur.b[from:r.pos])
	if !keepOld {
		r.dropHeld(r.cur)
	}
	r.cur, r.pos, r.last, r.end, r.large = nb, n, n, size, true
	r.held = append(r.held, nb)
	r.nlarge++
}

// dropHeld removes b from the held list and returns it to the pool.
func (r *Reader) dropHeld(b *buffer) {
	for i, h := range r.held {
		if h == b {
			r.held = append(r.held[:i], r.held[i+1:]...)
			break
		}
	}
	r.pools.put(b)
}
