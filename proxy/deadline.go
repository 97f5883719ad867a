package proxy

import (
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"
)

// deadlines arms a connection's read and write deadlines lazily: a
// deadline already set close enough to the one asked for (within 1/64 of
// the timeout, at most a second earlier) is kept, so that a busy
// keepalive connection does not reprogram a runtime timer for every
// request and every write. A timeout can thus fire up to that slack
// early, never late.
type deadlines struct {
	read, write time.Time
}

// slack is how much earlier than asked a kept deadline may be.
func slack(d time.Duration) time.Duration { return min(d/64, time.Second) }

// setRead arms the read deadline at now+d (none for d <= 0).
func (dl *deadlines) setRead(c net.Conn, now time.Time, d time.Duration) {
	if d <= 0 {
		if !dl.read.IsZero() {
			dl.read = time.Time{}
			_ = c.SetReadDeadline(dl.read)
		}
		return
	}
	t := now.Add(d)
	if !dl.read.After(t) && dl.read.After(t.Add(-slack(d))) {
		return
	}
	dl.read = t
	_ = c.SetReadDeadline(t)
}

// setNear arms a read deadline about d from now: one already between d/2
// and 2d away is kept. For waits whose length does not matter much (the
// move of an idle connection to a fresh goroutine).
func (dl *deadlines) setNear(c net.Conn, now time.Time, d time.Duration) {
	if left := dl.read.Sub(now); left >= d/2 && left <= 2*d {
		return
	}
	dl.read = now.Add(d)
	_ = c.SetReadDeadline(dl.read)
}

// setReadAt arms the read deadline at t exactly.
func (dl *deadlines) setReadAt(c net.Conn, t time.Time) {
	if !dl.read.Equal(t) {
		dl.read = t
		_ = c.SetReadDeadline(t)
	}
}

// setWrite arms send_timeout for a write to the client: the deadline at
// now+d (a timeout of 0 as nginx's timer of 0, see zeroTimerTurn).
func (dl *deadlines) setWrite(c net.Conn, d time.Duration) {
	d = writeTimer(d)
	t := time.Now().Add(d)
	if !dl.write.After(t) && dl.write.After(t.Add(-slack(d))) {
		return
	}
	dl.write = t
	_ = c.SetWriteDeadline(t)
}

// headSource is what the client's request reader reads from: the socket,
// with a switch from keepalive_timeout to client_header_timeout at the
// first read that needs more of a request head than its first bytes (the
// first bytes are read through the descriptor, see http1.Reader). A head
// that arrives in one read costs no extra deadline.
type headSource struct {
	c *conn
	// pending is set while a keepalive request's head is being read
	// under keepalive_timeout; timeout is client_header_timeout.
	pending bool
	timeout time.Duration
}

func (h *headSource) Read(p []byte) (int, error) {
	if h.pending {
		h.pending = false
		h.c.dl.setRead(h.c.nc, time.Now(), h.timeout)
	}
	n, err := h.c.nc.Read(p)
	if n > 0 {
		h.c.clearWaiting()
	}
	return n, err
}

// SyscallConn gives the reader the descriptor, so that it waits for a
// request without holding a buffer. A TLS connection has none to give:
// its bytes must go through crypto/tls, which may hold some already.
func (h *headSource) SyscallConn() (syscall.RawConn, error) {
	sc, ok := h.c.nc.(syscall.Conn)
	if !ok {
		return nil, errNoDescriptor
	}
	return sc.SyscallConn()
}

// errNoDescriptor is returned for a connection without a file descriptor.
var errNoDescriptor = &net.OpError{Op: "syscallconn", Err: syscall.EINVAL}

// dateCache holds the Date header's value for the current second, as
// nginx's ngx_cached_http_time: formatting a date is the most expensive
// part of a small response head.
type dateCache struct {
	v atomic.Pointer[cachedDate]
}

type cachedDate struct {
	sec int64
	b   []byte
}

// get returns the formatted current time.
func (d *dateCache) get() []byte {
	now := time.Now()
	if c := d.v.Load(); c != nil && c.sec == now.Unix() {
		return c.b
	}
	c := &cachedDate{sec: now.Unix(), b: now.UTC().AppendFormat(make([]byte, 0, 29), http.TimeFormat)}
	d.v.Store(c)
	return c.b
}
