package proxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/proxy/errlog"
	"github.com/nginxws/nginxws/proxy/http1"
)

// The WebSocket tunnel (ngx_http_upstream_upgrade and
// ngx_http_upstream_process_upgraded). When a client that sent Upgrade
// gets a 101 from the upstream, the request's two connections become one
// byte tunnel: no frame is parsed, so text, binary, fragments, control
// frames, extensions and subprotocols pass untouched.
//
// Memory is the point of this file's design. A tunnel may live for hours
// and a proxy holds thousands, so an idle one must cost little more than
// its two sockets:
//
//   - The request's goroutine ends once the 101 is through (its stack grew
//     while it parsed and proxied the request); the tunnel keeps only the
//     request's state, for its log lines.
//   - Each direction is moved by a fresh goroutine only while bytes flow.
//     It waits for readability before borrowing anything (a splice pipe,
//     see tunnel_linux.go), so a waiting direction holds no buffer and no
//     pipe; after parkAfter without traffic it hands its socket to the
//     server's readiness loop (epoll) and ends, so an idle tunnel holds no
//     goroutine either.
//   - Timers are one runtime timer per tunnel, re-armed lazily.
//
// nginx's timers are kept: proxy_read_timeout closes a tunnel idle in both
// directions (traffic either way re-arms it, as every run of nginx's
// handler re-arms the upstream read timer); proxy_send_timeout bounds a
// blocked write to the upstream and send_timeout one to the client.
//
// Unlike nginx 1.22, which ends the whole tunnel at the first end of file
// from either side, a FIN is passed on (shutdown of the other socket's
// write side) and the tunnel ends when both directions are done, or at the
// first error: a client that half-closes still gets the upstream's answer.

// tunnelAction is what nginx's log lines say the connection was doing.
const tunnelAction = "proxying upgraded connection"

// Direction states. A direction is owned by exactly one party at a time:
// a goroutine moving its bytes (running), the readiness loop (parked), or
// nobody once it is over (done). Ownership changes by compare-and-swap.
const (
	dirRunning int32 = iota
	dirParked
	dirDone
)

// tunnel is one upgraded connection pair.
type tunnel struct {
	// rec is what the tunnel keeps of the request that opened it: its
	// log lines name that request, and its access log line is written
	// when the tunnel ends, under the configuration the tunnel started
	// with, whatever reloads happen meanwhile.
	rec  *tunnelRecord
	x    *exchange
	c    *conn
	reg  *tunnelSet
	peer string

	client, up net.Conn
	// toUp moves the client's bytes upstream; toClient the upstream's
	// to the client.
	toUp, toClient direction

	// idle is proxy_read_timeout; last is when bytes last moved (unix
	// nanoseconds); blocked counts writes waiting for their peer to
	// read, during which the write's own timeout governs.
	idle    time.Duration
	last    atomic.Int64
	blocked atomic.Int32
	timer   *time.Timer

	// pending counts the directions not yet done; the last one to finish
	// ends the tunnel.
	pending atomic.Int32
	// mu orders the first failure (its log line) before the end of the
	// tunnel (the access log line, the request state given back).
	mu      sync.Mutex
	closing bool
	// closingFlag mirrors closing for lock-free checks on the data path.
	closingFlag atomic.Bool

	// atEnd runs when the tunnel is over, after both sockets are closed
	// (e.g. releasing the upstream peer's active connection).
	atEnd []func()
	// started is when the 101 went to the client.
	started time.Time
	// earlyBytes counts the upstream's bytes that came with its 101
	// head, for $upstream_bytes_received.
	earlyBytes int64
}

// direction is one way through a tunnel.
type direction struct {
	t        *tunnel
	src, dst net.Conn
	// srcRaw and dstRaw are the descriptors (nil without: see run).
	srcRaw, dstRaw syscall.RawConn
	// toUpstream tells which way this is, for log lines and counters.
	toUpstream bool
	// sendTimeout bounds a blocked write to dst.
	sendTimeout time.Duration
	state       atomic.Int32
	// moved counts the bytes written to dst.
	moved atomic.Int64
	// dl are the direction's deadlines: reads on src (the wait before
	// parking) and writes to dst; each socket is read by one direction
	// and written by the other, so they never share a deadline.
	dl deadlines
	// eofSeen is set once src ended and dst got its FIN.
	eofSeen bool
	// os holds what the platform's copier keeps between runs (the
	// readiness loop's slot).
	os dirOS
}

// upgrade switches to a tunnel after the upstream answered 101 to a
// client that asked to upgrade (ngx_http_upstream_upgrade): the 101 head
// goes to the client with nginx's header rules ("Connection: upgrade"),
// then the bytes the upstream sent after its head, then the bytes the
// client sent after its request (they were held back until the 101 came).
// The tunnel is then handed to c.tun; the connection's goroutine starts it
// as it ends (see conn.serve).
func (x *exchange) upgrade(uc net.Conn, p *proxyPlan) {
	buffering := false
	x.copyResponseHead(p, &buffering)
	x.keepalive = false
	x.out.contentLength = -1
	x.headerOnly = true
	// The connection ends with the tunnel, without a lingering close
	// (nginx closes both sockets when the tunnel is finalized).
	x.broken = true
	x.noLinger = true
	if err := x.sendHead(nil); err != nil {
		return
	}
	cc := x.c.nc
	var early int64
	if b := x.ur.Buffered(); len(b) > 0 {
		early = int64(len(b))
		if !x.tunnelWrite(cc, b, false) {
			return
		}
		x.ur.Discard(len(b))
	}
	if b := x.c.rd.Buffered(); len(b) > 0 {
		if !x.tunnelWrite(uc, b, true) {
			return
		}
		x.c.rd.Discard(len(b))
	}
	x.detachUpstreamReader()
	t := &tunnel{
		x:       x,
		c:       x.c,
		reg:     &x.c.s.tunnels,
		peer:    x.up.addr,
		client:  cc,
		up:      uc,
		idle:    x.conf.ProxyReadTimeout,
		started: time.Now(),
	}
	t.toUp.init(t, cc, uc, true, x.conf.ProxySendTimeout)
	t.toClient.init(t, uc, cc, false, x.conf.SendTimeout)
	t.earlyBytes = early
	if !t.reg.add(t) {
		// The server is closing: nginx's exiting worker would not have
		// accepted the connection in the first place.
		return
	}
	x.c.tun = t
}

// detachUpstreamReader lets the upstream reader's buffer (proxy_buffer_size,
// the largest part of a request's memory) go for the tunnel's lifetime: the
// response head's slices, which the access log may still read, are copied
// into one block of their exact size, and the reader is dropped rather than
// given back to the pool, so that a variable value cached from its buffer
// stays valid (the collector keeps the buffer only then). tunnel.end gives
// the request state a new reader.
func (x *exchange) detachUpstreamReader() {
	resp, o := x.resp, &x.out
	n := len(resp.StatusLine) + len(o.statusLine) + len(o.contentType) + len(o.location)
	for _, hs := range [...][]http1.Header{resp.Headers, o.headers, o.tail} {
		for i := range hs {
			n += len(hs[i].Name) + len(hs[i].Value)
		}
	}
	blk := make([]byte, 0, n)
	keep := func(b []byte) []byte {
		if len(b) == 0 {
			return b
		}
		start := len(blk)
		blk = append(blk, b...)
		return blk[start:len(blk):len(blk)]
	}
	resp.StatusLine = keep(resp.StatusLine)
	o.statusLine = keep(o.statusLine)
	o.contentType = keep(o.contentType)
	o.location = keep(o.location)
	for _, hs := range [...][]http1.Header{resp.Headers, o.headers, o.tail} {
		for i := range hs {
			hs[i].Name, hs[i].Value = keep(hs[i].Name), keep(hs[i].Value)
		}
	}
	x.c.rs.up, x.ur = nil, nil
}

// tunnelWrite writes bytes that arrived with a head on to the other side
// before the tunnel starts, within that side's send timeout; it logs a
// failure as nginx does and reports success.
func (x *exchange) tunnelWrite(dst net.Conn, b []byte, toUpstream bool) bool {
	timeout := x.conf.SendTimeout
	if toUpstream {
		timeout = x.conf.ProxySendTimeout
	}
	if timeout > 0 {
		_ = dst.SetWriteDeadline(time.Now().Add(timeout))
	}
	n, err := dst.Write(b)
	if !toUpstream {
		x.bytesSent += int64(n)
	}
	if err != nil {
		logMoveError(x, err, toUpstream, false)
		return false
	}
	return true
}

// init sets up a direction from src to dst.
func (d *direction) init(t *tunnel, src, dst net.Conn, toUpstream bool, sendTimeout time.Duration) {
	d.t, d.src, d.dst, d.toUpstream, d.sendTimeout = t, src, dst, toUpstream, sendTimeout
}

// start runs the tunnel. It is called by the connection's goroutine as
// that goroutine ends, so that no stack grown by the request stays behind.
func (t *tunnel) start() {
	t.rec = t.c.recordTunnel(t.x, t.earlyBytes)
	t.x = nil
	// Deadlines left by the request (client_header_timeout, send_timeout
	// of the 101, proxy_read_timeout of the head) must not fire inside
	// the tunnel, which arms its own.
	for _, nc := range [...]net.Conn{t.client, t.up} {
		_ = nc.SetDeadline(time.Time{})
	}
	t.pending.Store(2)
	t.last.Store(time.Now().UnixNano())
	if t.idle > 0 {
		// Created far off, then set: the callback reads t.timer.
		t.timer = time.AfterFunc(time.Hour, t.idleCheck)
		t.timer.Reset(t.idle)
	}
	for _, d := range [...]*direction{&t.toUp, &t.toClient} {
		d.srcRaw, d.dstRaw = rawConn(d.src), rawConn(d.dst)
		d.start()
	}
}

// rawConn returns c's descriptor access, or nil.
func rawConn(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// touch records traffic: it re-arms the idle timer (lazily, see
// idleCheck).
func (t *tunnel) touch() { t.last.Store(time.Now().UnixNano()) }

// idleCheck runs when the idle timer fires: a tunnel that has seen
// traffic since is given the rest of its time, one without is closed with
// nginx's line. While a write is blocked, that write's timeout governs.
func (t *tunnel) idleCheck() {
	if t.closingFlag.Load() {
		return
	}
	left := t.idle - time.Since(time.Unix(0, t.last.Load()))
	if t.blocked.Load() > 0 && left <= 0 {
		left = t.idle
	}
	if left > 0 {
		t.timer.Reset(left)
		return
	}
	t.fail(levelInfo, "upstream timed out", "110: Connection timed out")
}

// fail ends the tunnel for a reason logged in nginx's words (none when
// msg is empty): the first failure is logged, both sockets are closed, and
// the directions end as they notice.
func (t *tunnel) fail(lvl errlog.Level, msg, errno string) {
	t.mu.Lock()
	if t.closing {
		t.mu.Unlock()
		return
	}
	t.closing = true
	t.closingFlag.Store(true)
	if msg != "" {
		t.rec.logEvent(lvl, msg, errno, tunnelAction)
	}
	t.mu.Unlock()
	t.shut()
}

// shut closes both sockets, which ends running directions (their waits
// and writes fail) and takes over parked ones.
func (t *tunnel) shut() {
	_ = t.client.Close()
	_ = t.up.Close()
	for _, d := range [...]*direction{&t.toUp, &t.toClient} {
		if d.state.CompareAndSwap(dirParked, dirDone) {
			t.dirDone()
		}
	}
}

// dirDone records that a direction is over; the last one ends the tunnel.
func (t *tunnel) dirDone() {
	if t.pending.Add(-1) == 0 {
		t.end()
	}
}

// end is the tunnel's finalization (ngx_http_upstream_finalize_request):
// both sockets closed, the request's counters and timings completed, its
// access log line written, the connection's state given back.
func (t *tunnel) end() {
	t.mu.Lock()
	t.closing = true
	t.closingFlag.Store(true)
	t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
	}
	_ = t.client.Close()
	_ = t.up.Close()
	t.toUp.release()
	t.toClient.release()
	t.reg.remove(t)
	for _, f := range t.atEnd {
		f()
	}

	c := t.c
	t.rec.finish(t.toClient.moved.Load())
	c.tun = nil
	c.s.untrack(c.nc)
}

// onEnd registers f to run once the tunnel is over, after both sockets
// are closed: the upstream package releases the peer's active connection
// (least_conn, max_conns) this way.
func (t *tunnel) onEnd(f func()) { t.atEnd = append(t.atEnd, f) }

// eventLogger writes error-log lines in a request's context: the
// exchange while it serves the request, the tunnel's record after.
type eventLogger interface {
	logEvent(lvl errlog.Level, msg, errno, action string)
}

// logMoveError logs a failed read or write in a tunnel as nginx does
// (ngx_connection_error): the upstream's connection logs at error, the
// client's at info; a timeout is "upstream timed out" or "client timed
// out" at info.
func logMoveError(x eventLogger, err error, toUpstream, reading bool) {
	upstreamSide := toUpstream != reading // the socket that failed
	if isTimeout(err) {
		if upstreamSide {
			x.logEvent(levelInfo, "upstream timed out", "110: Connection timed out", tunnelAction)
		} else {
			x.logEvent(levelInfo, "client timed out", "110: Connection timed out", tunnelAction)
		}
		return
	}
	lvl := levelInfo
	if upstreamSide {
		lvl = levelError
	}
	msg := "send() failed"
	if reading {
		msg = "recv() failed"
	}
	x.logEvent(lvl, msg, errnoText(err), tunnelAction)
}

// moveFailed ends the tunnel after a read (reading) or write error of d.
// An error caused by the tunnel closing its own sockets is not logged.
func (d *direction) moveFailed(err error, reading bool) {
	t := d.t
	t.mu.Lock()
	if t.closing || errors.Is(err, net.ErrClosed) {
		t.mu.Unlock()
		t.shut()
		return
	}
	t.closing = true
	t.closingFlag.Store(true)
	logMoveError(t.rec, err, d.toUpstream, reading)
	t.mu.Unlock()
	t.shut()
}

// srcEnded passes src's end of file on to dst (its write side is shut
// down) and ends the direction.
func (d *direction) srcEnded() {
	d.eofSeen = true
	type closeWriter interface{ CloseWrite() error }
	if cw, ok := d.dst.(closeWriter); ok {
		_ = cw.CloseWrite()
	}
}

// runPlain moves bytes with a pooled buffer, for connections without a
// descriptor to splice or wait on (none today; TLS listeners will be). It
// holds its buffer while it waits.
func (d *direction) runPlain() {
	t := d.t
	b := t.c.s.bufs.get(16384)
	defer t.c.s.bufs.put(b)
	buf := b.b[:cap(b.b)]
	for {
		n, err := d.src.Read(buf)
		if n > 0 {
			t.touch()
			d.dl.setWrite(d.dst, d.sendTimeout)
			t.blocked.Add(1)
			w, werr := d.dst.Write(buf[:n])
			t.blocked.Add(-1)
			d.moved.Add(int64(w))
			if werr != nil {
				d.moveFailed(werr, false)
				break
			}
		}
		if err == io.EOF {
			d.srcEnded()
			break
		}
		if err != nil {
			d.moveFailed(err, true)
			break
		}
	}
	d.finish()
}
