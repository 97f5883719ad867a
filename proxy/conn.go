package proxy

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// lingerConf is what lingering_close, lingering_time and lingering_timeout
// say about closing a client connection after its last response: nginx
// shuts down its side and reads and drops what arrives, so that a client
// still sending sees the response rather than a reset.
type lingerConf struct {
	mode          string
	time, timeout time.Duration
}

// lingerConfOf takes a location's lingering settings.
func lingerConfOf(c *directives.LocConf) lingerConf {
	return lingerConf{mode: c.LingeringClose, time: c.LingeringTime, timeout: c.LingeringTimeout}
}

// wanted reports whether a connection closes lingering
// (ngx_http_finalize_connection): always with "always", never with "off",
// and with "on" when the client may still be sending (mayBeSending, asked
// only then).
func (lc lingerConf) wanted(mayBeSending func() bool) bool {
	switch lc.mode {
	case directives.LingeringAlways:
		return true
	case directives.LingeringOff:
		return false
	}
	return mayBeSending()
}

// drain reads and drops with read what the client still sends, as
// ngx_http_set_lingering_close and ngx_http_lingering_close_handler do:
// the first wait is lingering_timeout; after each read, the time left of
// lingering_time (counted from the start in nginx's whole seconds) is
// checked, and the wait is re-armed for the smaller of it and
// lingering_timeout, lazily as nginx's timers are (timerLazyDelay: a
// deadline that would move by less is kept). It returns the read's error
// that ended it (the client's close, a reset, a wait that timed out), or
// nil when lingering_time is up.
func (lc lingerConf) drain(setDeadline func(time.Time) error, read func() error) error {
	start := time.Now()
	end := start.Unix() + int64(lc.time/time.Second)
	deadline := start.Add(lc.timeout)
	_ = setDeadline(deadline)
	for {
		if err := read(); err != nil {
			return err
		}
		now := time.Now()
		left := time.Duration(end-now.Unix()) * time.Second
		if left <= 0 {
			return nil
		}
		if next := now.Add(min(left, lc.timeout)); next.Sub(deadline).Abs() >= timerLazyDelay {
			deadline = next
			_ = setDeadline(deadline)
		}
	}
}

// conn is one client connection, served by one goroutine that owns the
// socket: it reads a request, serves it, and loops while keepalive allows.
// Between requests it holds no buffer: the request reader waits for the
// socket to become readable before borrowing one.
type conn struct {
	s *Server
	// sock is the accepted socket; nc is what requests are read from and
	// written to: the socket, or a *tls.Conn over it once a TLS
	// handshake is done (tls.go). Looks at the socket that read nothing
	// (readiness, the client's close) go to sock.
	sock    net.Conn
	nc      net.Conn
	network string
	// plainOnTLS is set when a client sent plain HTTP to a TLS address
	// (nginx's hc->ssl without c->ssl): its request is answered 497.
	plainOnTLS bool
	// proxyRead is set once the PROXY protocol header is read (nginx
	// reads it once, before the first request).
	proxyRead bool
	// sni is the server name a TLS handshake sent, as names are looked
	// up (nil on a plain connection, or without one): see entry.
	sni *[]byte
	// number is nginx's connection number: "*N" in error log lines and
	// $connection.
	number uint64
	start  time.Time

	rd  *http1.Reader
	src headSource
	dl  deadlines
	// rs is the request being served, borrowed from the server's pool
	// for the request: an idle connection holds none.
	rs *reqState

	// requests is $connection_requests (nginx's c->requests).
	requests int
	// keepaliveTimeout is the keepalive_timeout of the location that
	// served the last request: how long to wait for the next one.
	keepaliveTimeout time.Duration
	// idleSince is when the connection went idle (zero while serving);
	// fresh is set on a goroutine the connection was handed to; idle is
	// set while it waits for a request (for a graceful shutdown).
	idleSince time.Time
	fresh     bool
	idle      atomic.Bool
	// lastConf is the level that served the last request, under lastRT
	// (idleEnd logs there).
	lastConf *directives.LocConf
	lastRT   *runtime
	// awaited is set when awaitRequest's wait is over, with its result
	// in awaitErr; waitSize is the first read's buffer size it uses.
	awaited  bool
	awaitErr error
	waitSize int

	remoteIP                                     netip.Addr
	remoteAddr, remotePort, localAddr, localPort string
	// info is what the variable engine knows of the connection.
	info directives.ConnInfo
	// pipelined is set while the request being read was already
	// buffered when the previous one ended.
	pipelined bool
	// tun is set when the request became a WebSocket tunnel, which then
	// owns the connection (tunnel.go).
	tun *tunnel
	// waiting is when the connection began to wait for a request (unix
	// nanoseconds; 0 while busy, -1 once closed to free its slot): nginx's
	// reusable connections (connlimit.go).
	waiting atomic.Int64
	// park is the connection's place in the server's parking set, where
	// it waits for a request without a goroutine (idlepark_linux.go).
	park parkRef
	// up are the upstream connections the request being served waits
	// on, which a shutdown that stops waiting closes (cut.go); upMu
	// guards them.
	upMu sync.Mutex
	up   []net.Conn
}

// closeWriter is a connection whose writing half can be shut down alone
// (*net.TCPConn, *net.UnixConn): lingering close and half-closed tunnels.
type closeWriter interface{ CloseWrite() error }

// newConn prepares the state of a freshly accepted connection.
func newConn(s *Server, nc net.Conn, network string) *conn {
	c := &conn{s: s, sock: nc, nc: nc, network: network, start: time.Now(), number: s.connSeq.Add(1)}
	c.src.c = c
	c.rd = http1.NewReader(&c.src, &s.pools)
	switch a := nc.RemoteAddr().(type) {
	case *net.TCPAddr:
		ap := a.AddrPort()
		c.remoteIP = ap.Addr().Unmap()
		// Log lines name the client as nginx's addr_text does: an IPv4
		// client of a dual-stack socket is "::ffff:a.b.c.d".
		c.remoteAddr = ap.Addr().String()
		c.remotePort = strconv.Itoa(int(ap.Port()))
	default:
		c.remoteAddr = "unix:"
	}
	switch a := nc.LocalAddr().(type) {
	case *net.TCPAddr:
		ap := a.AddrPort()
		c.localAddr = ap.Addr().Unmap().String()
		c.localPort = strconv.Itoa(int(ap.Port()))
		c.info.Local = ap
	case *net.UnixAddr:
		c.localAddr = "unix:"
		c.info.UnixPath = a.Name
	default:
		c.localAddr = "unix:"
	}
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		c.info.Remote = ta.AddrPort()
	}
	c.info.Number = c.number
	c.info.Start = c.start
	return c
}

// reqState is what serving one request needs beyond its connection: the
// exchange, the parsed request head, the upstream response and its
// reader. Pooled by the Server, so that idle connections hold none of it
// and serving a request reuses the slices of earlier ones.
type reqState struct {
	x    exchange
	head http1.Request
	resp http1.Response
	up   *http1.Reader
	// sub is the request's subrequest, made on the first auth_request
	// and kept with the state.
	sub *subState
}

// eofReader is the source of the upstream reader before its first use.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// idleHandoff is how long a connection waits for its next request on the
// goroutine that served the last one. A request grows its goroutine's
// stack; a connection still idle after this wait moves to a fresh
// goroutine, whose small stack is all an idle keepalive connection then
// costs besides its socket (DESIGN.md: no buffer, a parked goroutine).
// Busy connections never pay the move.
const idleHandoff = 250 * time.Millisecond

// serve runs the keepalive loop until the connection ends, or hands it to
// a fresh goroutine (see idleHandoff). Each request is served under the
// configuration current when it starts; a connection whose listen address
// a reload dropped is closed when it goes idle. A panic while serving is a bug: it
// is logged with its stack and ends this connection only.
func (c *conn) serve() {
	handedOff, panicked := false, false
	defer func() {
		if v := recover(); v != nil {
			c.s.log.Alert().Uint64("conn", c.number).Msg("panic while serving a connection: " + toString(v) + "\n" + string(debug.Stack()))
			handedOff, panicked = false, true
		}
		if handedOff {
			return
		}
		c.rd.Reset(eofReader{})
		if c.rs != nil && !panicked {
			c.s.putReq(c.rs)
		}
		c.rs = nil
		_ = c.nc.Close()
		c.clearWaiting()
		c.s.stats.active.Add(-1)
		c.s.setLive(c, false)
		c.s.untrack(c.sock)
		if !c.wasReused() {
			c.s.giveSlots(1)
		}
	}()
	handedOff = c.loop()
	switch {
	case c.tun != nil:
		// The connection became a WebSocket tunnel, which closes it
		// when it ends (tunnel.go); this goroutine, whose stack the
		// request grew, is not kept for it.
		c.tun.start()
	case handedOff:
		if !c.s.parkIdle(c) {
			go c.awaitRequest()
		}
	}
}

// awaitRequest is the goroutine an idle connection is moved to: it waits
// for the next request's first bytes with nothing else on its stack, so
// that the stack stays at Go's smallest while the connection is idle, then
// serves. The keepalive deadline, the idle flag and the reusable mark were
// set by the goroutine that moved it.
func (c *conn) awaitRequest() {
	c.awaitErr = c.rd.WaitRequest(c.waitSize)
	c.awaited = true
	c.serve()
}

// loop serves requests; it returns true to move the connection, idle, to
// a fresh goroutine, false when the connection is done.
func (c *conn) loop() bool {
	for {
		rt := c.s.rt.Load()
		ac := rt.addrFor(c.network, c.nc.LocalAddr())
		if ac == nil {
			// A reload dropped this address; nginx's old worker closes
			// its idle connections the same way.
			return false
		}
		entry, lim := c.entry(ac)
		headerTimeout := entry.srv.ClientHeaderTimeout
		handoff := false
		// Bytes left from the last request are a pipelined one (nginx's
		// ngx_http_set_keepalive), read "while reading client pipelined
		// request line", $pipe "p". Bytes an awaited wait (awaitRequest,
		// after the connection was moved off this goroutine) read are
		// not: they came after the connection went idle.
		c.pipelined = c.requests > 0 && len(c.rd.Buffered()) > 0 && !c.awaited
		switch {
		case c.requests == 0:
			c.dl.setReadAt(c.nc, c.start.Add(headerTimeout))
			if ac.proxyProtocol && !c.proxyRead {
				size := lim.HeaderBufferSize
				if ac.tls != nil {
					size = proxyProtocolTLSPeek
				}
				if !c.readProxyProtocol(ac, size, ac.tls != nil) {
					return false
				}
				c.proxyRead = true
			}
			if ac.tls != nil && c.info.TLSState == nil && !c.plainOnTLS {
				if !c.startTLS(ac, c.start.Add(headerTimeout)) {
					return false
				}
				_, lim = c.entry(ac)
			}
		case len(c.rd.Buffered()) == 0:
			// Wait for the next request under keepalive_timeout; once
			// its first bytes are in, the rest of the head gets
			// client_header_timeout (headSource).
			if c.idleSince.IsZero() {
				c.idleSince = time.Now()
				if !c.fresh && c.keepaliveTimeout > idleHandoff {
					handoff = true
					c.dl.setNear(c.nc, c.idleSince, idleHandoff)
					break
				}
			}
			c.dl.setRead(c.nc, c.idleSince, c.keepaliveTimeout)
			c.src.pending, c.src.timeout = true, headerTimeout
		default:
			c.dl.setRead(c.nc, time.Now(), headerTimeout)
		}
		if handoff {
			c.src.pending, c.src.timeout = true, headerTimeout
		}
		idle := c.requests > 0 && len(c.rd.Buffered()) == 0
		if idle {
			c.idle.Store(true)
			if c.s.draining.Load() {
				return false
			}
		}
		if len(c.rd.Buffered()) == 0 {
			// Reusable until the request's first bytes arrive.
			c.setWaiting()
		}
		// The wait for the request's first bytes holds no buffer and no
		// request state. A connection moved off its serving goroutine
		// waits on the fresh one's small stack (awaitRequest).
		var err error
		switch {
		case c.awaited:
			err, c.awaited, c.awaitErr = c.awaitErr, false, nil
		case c.fresh && idle:
			c.waitSize = lim.HeaderBufferSize
			return true
		default:
			err = c.rd.WaitRequest(lim.HeaderBufferSize)
		}
		// Set by this goroutine or, for an awaited wait, by the one
		// that moved the connection.
		c.idle.Store(false)
		var rs *reqState
		if err == nil {
			// A request has begun: the connection is busy, not one to
			// close to make room (nginx's ngx_reusable_connection(c, 0)
			// in ngx_http_wait_request_handler), unless it was claimed
			// while its bytes came.
			c.clearWaiting()
			if c.wasReused() {
				return false
			}
			rs = c.s.getReq()
			c.rs = rs
			// stub_status counts the request from here (reading).
			c.s.stats.requests.Add(1)
			c.s.stats.reading.Add(1)
			err = c.rd.ReadRequest(&rs.head, lim)
		}
		c.src.pending = false
		if err != nil && !c.headStarted(err) {
			if rs != nil {
				c.s.stats.reading.Add(-1)
				c.rs = nil
				c.s.putReq(rs)
			}
			if handoff && isTimeout(err) {
				// Still idle: the wait goes on on a fresh goroutine.
				c.fresh = true
				continue
			}
			c.idleEnd(err, c.requests == 0)
			return false
		}
		// A reload while the connection waited for the request (a
		// keepalive wait, or a new connection's first) or read its head
		// replaced the configuration loaded above, whose logs may be
		// closed by now: the request is served under the one in use.
		// Unless that one dropped the address: then the request is
		// answered under the one it came to, as nginx's old worker
		// answers it (its log lines may be lost).
		if cur := c.s.rt.Load(); cur != rt {
			if nac := cur.addrFor(c.network, c.nc.LocalAddr()); nac != nil {
				rt, ac = cur, nac
			}
		}
		c.idleSince, c.fresh = time.Time{}, false
		c.requests++
		x := &rs.x
		x.begin(c, rt, ac)
		x.statReading = true
		x.logInvalidHeaders()
		if err != nil {
			x.badRequest(err)
		} else {
			x.statHeadRead()
			x.process()
		}
		if c.tun != nil {
			return true
		}
		// Where the request ended is where the connection's next
		// lines go (idleEnd).
		c.lastConf, c.lastRT = x.levelConf(), rt
		if !x.finish() {
			return false
		}
		c.rs = nil
		c.s.putReq(rs)
	}
}

// headStarted reports whether a ReadRequest error came after the first
// byte of a request (then nginx has a request to answer or log), rather
// than a connection that ended or timed out while idle.
func (c *conn) headStarted(err error) bool {
	var he *http1.Error
	return errors.As(err, &he)
}

// idleEnd logs, at nginx's info level, a connection that ended before a
// request started: in the error log of the address's default server for
// a connection that had no request (nginx's listening log), of the level
// that served the last request for a keepalive one (the connection's log
// stays where that request set it).
func (c *conn) idleEnd(err error, first bool) {
	if c.wasReused() {
		// A connection closed to free its slot ends without a word,
		// as nginx's reused ones do.
		return
	}
	rt := c.s.rt.Load()
	rt.acquire()
	defer rt.release()
	log := c.s.log
	if ac := rt.addrFor(c.network, c.nc.LocalAddr()); ac != nil {
		entry, _ := c.entry(ac)
		log = rt.errLogs.forConf(entry.srv.Conf, c.s.log)
	}
	if !first && c.lastConf != nil && c.lastRT == rt {
		log = rt.errLogs.forConf(c.lastConf, c.s.log)
	}
	if !log.Enabled(levelInfo) {
		return
	}
	action := "waiting for request"
	if !first {
		action = "keepalive"
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		if first {
			log.Info().Uint64("conn", c.number).Str("errno", "110: Connection timed out").Str("action", action).Str("client", c.remoteAddr).Str("server", c.localText()).Msg("client timed out")
		}
	case err == io.EOF:
		if first {
			log.Info().Uint64("conn", c.number).Str("action", action).Str("client", c.remoteAddr).Str("server", c.localText()).Msg("client closed connection")
			return
		}
		// ngx_http_keepalive_handler logs without its context.
		log.Info().Uint64("conn", c.number).Msg("client " + c.remoteAddr + " closed keepalive connection")
	case errors.Is(err, syscall.ECONNRESET):
		errno := sysErrnoText(err)
		if first {
			// ngx_http_wait_request_handler's recv: ngx_connection_error.
			log.Info().Uint64("conn", c.number).Str("errno", errno).Str("action", action).Str("client", c.remoteAddr).Str("server", c.localText()).Msg("recv() failed")
			return
		}
		// ngx_http_keepalive_handler ignores ECONNRESET in its recv
		// (NGX_ERROR_IGNORE_ECONNRESET) and takes it for a close, with
		// the errno.
		log.Info().Uint64("conn", c.number).Str("errno", errno).Msg("client " + c.remoteAddr + " closed keepalive connection")
	}
}

// localText is the listening address nginx prints as "server:" before a
// request exists.
func (c *conn) localText() string {
	if ac := c.s.rt.Load().addrFor(c.network, c.nc.LocalAddr()); ac != nil {
		return ac.text
	}
	return c.localAddr + ":" + c.localPort
}

// closeLingering ends a connection as ngx_http_finalize_connection does
// when keepalive is off, under the lingering settings of the location the
// request ended in: with lingering_close on, when the client may still be
// sending (an unread body, pipelined bytes, or data waiting on the
// socket), or always, the write side is shut down and incoming bytes are
// read and dropped (lingerConf.drain), so that the client reads the
// response before the connection closes. It reports whether it lingered.
func (c *conn) closeLingering(x *exchange) bool {
	if x.noLinger {
		return false
	}
	lc := lingerConfOf(c.lastConf)
	// Bytes read after a refused body's bad chunk are nginx's rb->buf,
	// not header_in: they do not count.
	if !lc.wanted(func() bool { return x.lingering || (len(c.rd.Buffered()) > 0 && !x.body.invalid) || readable(c.sock) }) {
		return false
	}
	cw, ok := c.nc.(closeWriter)
	if !ok || cw.CloseWrite() != nil {
		return false
	}
	// Reusable meanwhile, as in nginx's ngx_http_set_lingering_close.
	c.setWaiting()
	b := c.s.bufs.get(4096)
	defer c.s.bufs.put(b)
	err := lc.drain(func(t time.Time) error { c.dl.setReadAt(c.nc, t); return nil }, func() error {
		_, err := c.rd.Read(b.b)
		return err
	})
	if errors.Is(err, syscall.ECONNRESET) {
		// ngx_http_lingering_close_handler's recv: ngx_connection_error
		// at info, in the request's context, without an action.
		x.logEvent(levelInfo, "recv() failed", sysErrnoText(err), "")
	}
	return true
}

// readable reports whether bytes are waiting on nc (nginx's
// c->read->ready), without blocking or consuming them.
func readable(nc net.Conn) bool { return peekConn(nc) == peekBytes }

// toString renders a recovered panic value.
func toString(v any) string {
	switch t := v.(type) {
	case error:
		return t.Error()
	case string:
		return t
	}
	return "unknown panic"
}

// pidOf is the process id printed in log lines and $pid.
func pidOf() int { return os.Getpid() }
