package proxy

import (
	"net"
	"sync/atomic"
	"time"

	"github.com/nginxws/nginxws/proxy/errlog"
)

// The WebSocket tunnel (ngx_http_upstream_upgrade and
// ngx_http_upstream_process_upgraded). When a client that sent Upgrade
// gets a 101 from the upstream, the request's two connections become one
// byte tunnel: no frame is parsed, so text, binary, fragments, control
// frames, extensions and subprotocols pass untouched.
//
// Memory is the point of this design. A tunnel may live for hours and a
// proxy holds thousands, so an idle one must cost little more than its two
// sockets:
//
//   - The request's goroutine ends once the 101 is through (its stack grew
//     while it parsed and proxied the request), and what the tunnel keeps
//     of the request is a compact record for its log lines
//     (tunnel_record.go): the request's state goes back to its pools.
//   - On Linux the tunnel's two descriptors leave Go's poller and join an
//     event loop of the server's (tunnel_linux.go), which moves bytes the
//     way nginx's worker does: no goroutine per tunnel, no buffer held
//     while a tunnel waits, one timer per tunnel.
//   - Elsewhere (and on Linux if the loop cannot be had), each direction
//     is a goroutine copying through a pooled buffer (tunnel_plain.go).
//
// nginx's timers are kept: proxy_read_timeout closes a tunnel idle in both
// directions (traffic either way re-arms it, as every run of nginx's
// handler re-arms the upstream read timer); proxy_send_timeout bounds a
// blocked write to the upstream and send_timeout one to the client.
//
// A tunnel that ends while the client's bytes wait unread is closed on
// the client's side lingering, as nginx's finalized request is (linger).
//
// Unlike nginx 1.22, which ends the whole tunnel at the first end of file
// from either side, a FIN is passed on (shutdown of the other socket's
// write side) and the tunnel ends when both directions are done, or at the
// first error: a client that half-closes still gets the upstream's answer.

// copySize is the buffer tunnel bytes are read into; on Linux, a read
// that fills it switches the burst to splice.
const copySize = 16 << 10

// timerLazyDelay is nginx's NGX_TIMER_LAZY_DELAY: re-arming a timer that
// is already set does nothing unless the deadline moves by at least this
// much. A tunnel's timers follow it, so traffic within 300ms of the
// last re-arm does not put off proxy_read_timeout, and a 500ms timeout
// ends a tunnel whose only traffic came at 100ms at 500ms, as nginx's.
const timerLazyDelay = 300 * time.Millisecond

// tunnelAction is what nginx's log lines say the connection was doing.
const tunnelAction = "proxying upgraded connection"

// Directions, as indexes into a tunnel's per-direction arrays: toUpstream
// moves the client's bytes to the upstream, toClient the upstream's to the
// client.
const (
	toUpstream = 0
	toClient   = 1
)

// tunnel is one upgraded connection pair.
type tunnel struct {
	// rec is what the tunnel keeps of the request that opened it: its
	// log lines name that request, and its access log line is written
	// when the tunnel ends, under the configuration the tunnel started
	// with, whatever reloads happen meanwhile.
	rec *tunnelRecord
	s   *Server
	// peer is the upstream peer, as in $upstream_addr (the registry
	// counts tunnels per peer).
	peer string

	// idle is proxy_read_timeout; sendTimeout bounds a blocked write of
	// each direction (proxy_send_timeout to the upstream, send_timeout
	// to the client).
	idle        time.Duration
	sendTimeout [2]time.Duration
	// lingerSettings are the location's lingering_close, lingering_time
	// and lingering_timeout, for the client's side at the tunnel's end.
	lingerSettings lingerConf

	// atEnd runs when the tunnel is over, after both sockets are closed
	// (e.g. releasing the upstream peer's active connection).
	atEnd []func()

	// Until start, the request's state: its connection and exchange, the
	// sockets, and the upstream's bytes that came with its 101 head.
	// start hands them over and clears them.
	c          *conn
	x          *exchange
	client, up net.Conn
	early      int64
	// armed is when proxy_read_timeout starts counting (see upgrade).
	armed time.Time

	// Which engine moves the bytes: the event loop (ev, Linux) or a
	// goroutine per direction (plain). engine says which, once its state
	// is set up (close may come from any goroutine); closeAsked records a
	// close that came before.
	engine     atomic.Int32
	closeAsked atomic.Bool
	ev         tunnelEv
	plain      *plainTunnel
	// lingering is the client's connection while it is closed lingering
	// (linger), so that a close can cut that short.
	lingering atomic.Pointer[net.Conn]
}

// Engines (tunnel.engine).
const (
	engineNone int32 = iota
	engineEv
	enginePlain
)

// upgrade switches to a tunnel after the upstream answered 101 to a
// client that asked to upgrade (ngx_http_upstream_upgrade): the 101 head
// goes to the client with nginx's header rules ("Connection: upgrade"),
// then the bytes the upstream sent after its head, then the bytes the
// client sent after its request (they were held back until the 101 came).
// The tunnel is then handed to c.tun; the connection's goroutine starts it
// as it ends (see conn.serve).
func (x *exchange) upgrade(uc net.Conn, p *proxyPlan) {
	x.copyResponseHead(p)
	x.keepalive = false
	// The upstream's Content-Length, if any, is passed on as nginx's
	// header filter does (it means nothing for the tunnel's bytes, which
	// are not counted against it).
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
		// nginx's $upstream_bytes_sent is every byte written to the
		// upstream connection (its c->sent), the tunnel's included.
		if n := len(x.upInfo.States); n > 0 {
			x.upInfo.States[n-1].BytesSent += int64(len(b))
		}
	}
	// nginx armed the upstream read timer (proxy_read_timeout) once the
	// request had gone, and a 101 within timerLazyDelay of that does not
	// move it (ngx_add_timer): the tunnel's idle time then counts from
	// the request. The request is taken to have gone once connected (a
	// handshake has no body; with one, nginx's timer starts after it,
	// up to the time the body took later).
	armed := time.Now()
	if n := len(x.upInfo.States); n > 0 && x.upInfo.States[n-1].ConnectTime >= 0 {
		if sent := x.upStart.Add(x.upInfo.States[n-1].ConnectTime); armed.Sub(sent) < timerLazyDelay {
			armed = sent
		}
	}
	t := &tunnel{
		armed:          armed,
		s:              x.c.s,
		peer:           x.up.addr,
		idle:           x.conf.ProxyReadTimeout,
		sendTimeout:    [2]time.Duration{toUpstream: x.conf.ProxySendTimeout, toClient: x.conf.SendTimeout},
		lingerSettings: lingerConfOf(x.conf),
		c:              x.c,
		x:              x,
		client:         cc,
		up:             uc,
		early:          early,
	}
	if !t.s.tunnels.add(t) {
		// The server is closing: nginx's exiting worker would not have
		// accepted the connection in the first place.
		return
	}
	x.handLimitsTo(t)
	x.c.tun = t
}

// armedAgo is how long before now proxy_read_timeout started counting
// (armed, see upgrade); 0 when armed is unset or not before now.
func (t *tunnel) armedAgo(now time.Time) time.Duration {
	if t.armed.IsZero() {
		return 0
	}
	return max(0, now.Sub(t.armed))
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

// start runs the tunnel. It is called by the connection's goroutine as
// that goroutine ends, so that no stack grown by the request stays behind.
// The request's state is given back (a record stays, for the log lines),
// the connection stops counting as served (it is the tunnel's now), and
// the sockets go to an engine.
func (t *tunnel) start() {
	c := t.c
	t.rec = c.recordTunnel(t.x, t.early)
	c.s.setLive(c, false)
	c.s.forget(c.sock)
	// The upstream connection counts against worker_connections too
	// while the tunnel holds it (the client's slot is the tunnel's now).
	c.s.addSlot()
	c.tun = nil
	t.c, t.x = nil, nil
	// Deadlines left by the request (client_header_timeout, send_timeout
	// of the 101, proxy_read_timeout of the head) must not fire inside
	// the tunnel, which arms its own.
	for _, nc := range [...]net.Conn{t.client, t.up} {
		_ = nc.SetDeadline(time.Time{})
	}
	if !t.startEv() {
		t.startPlain()
	}
	// A close that came while the engine was being set up.
	if t.closeAsked.Load() {
		t.close()
	}
}

// close ends the tunnel without a log line (a shutdown that ran out of
// time, as nginx's worker closes its connections at
// worker_shutdown_timeout). It may be called from any goroutine, before
// or after start.
func (t *tunnel) close() {
	t.closeAsked.Store(true)
	if c := t.lingering.Load(); c != nil {
		_ = (*c).Close()
	}
	switch t.engine.Load() {
	case engineEv:
		t.closeEv()
	case enginePlain:
		t.closePlain()
	}
}

// finalize is the tunnel's end once both sockets are closed
// (ngx_http_upstream_finalize_request): the registry forgets it, the
// upstream peer is released, the request's access log line is written
// (down bytes went to the client through the tunnel, up bytes to the
// upstream; complete is false when nginx would have terminated the
// request), and the server stops waiting for the connection.
func (t *tunnel) finalize(down, up int64, complete bool) {
	t.s.tunnels.remove(t)
	for _, f := range t.atEnd {
		f()
	}
	t.rec.finish(down, up, complete)
	// The request and its client connection end for stub_status.
	t.s.stats.writing.Add(-1)
	t.s.stats.active.Add(-1)
	t.s.giveSlots(2)
	t.s.tunnelDone()
}

// linger closes the client's connection, whose write side is shut down
// already, as nginx's lingering close (ngx_http_set_lingering_close) when
// a tunnel ends with bytes of the client's still unread: what arrives is
// read and dropped until the client closes, lingering_timeout passes
// without a byte, or lingering_time in all (lingerConf.drain), so that the client gets an
// orderly end rather than a reset. nginx ends a tunnel this way when it
// finalizes the request normally (the upstream's side ended or failed,
// proxy_read_timeout or proxy_send_timeout expired), not when it
// terminates it (the client's side failed or timed out, a shutdown). The
// request's access log line comes after, as nginx writes it when the
// connection closes.
func (t *tunnel) linger(nc net.Conn) {
	defer nc.Close()
	t.lingering.Store(&nc)
	if t.closeAsked.Load() {
		return
	}
	b := t.s.bufs.get(4096)
	defer t.s.bufs.put(b)
	_ = t.lingerSettings.drain(nc.SetReadDeadline, func() error {
		_, err := nc.Read(b.b[:cap(b.b)])
		return err
	})
}

// onEnd registers f to run once the tunnel is over, after both sockets
// are closed: the upstream package releases the peer's active connection
// (least_conn, max_conns) this way. It is called before start.
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
		logTimeout(x, upstreamSide)
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

// logTimeout logs a tunnel's timer as nginx does: "upstream timed out"
// when the upstream's side was waited for, "client timed out" otherwise.
func logTimeout(x eventLogger, upstreamSide bool) {
	if upstreamSide {
		x.logEvent(levelInfo, "upstream timed out", "110: Connection timed out", tunnelAction)
	} else {
		x.logEvent(levelInfo, "client timed out", "110: Connection timed out", tunnelAction)
	}
}
