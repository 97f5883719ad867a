package upstream

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// Conn is a connection to a peer. The embedded net.Conn is the socket
// itself (a *net.TCPConn or *net.UnixConn), for callers that splice, or a
// *tls.Conn over it for a peer spoken to over TLS (ConnectWith).
type Conn struct {
	net.Conn
	// secure is set for a connection over TLS: its bytes cannot be
	// looked at on the socket (Ready, Peek), and a request over plain
	// HTTP must not be given it from the pool.
	secure bool
	// peer is the peer's name: pooled connections are matched by it.
	peer string
	pool *Pool
	// requests counts the requests the connection has carried, this one
	// included (nginx's c->requests).
	requests int
	created  time.Time
	// sent counts the bytes written for the current request.
	sent int64

	// probe checks the connection when it leaves the pool.
	probe probe

	// Pool bookkeeping, guarded by the pool's mutex.
	idle      bool
	idleSince time.Time
	timer     *time.Timer
}

// Requests is how many requests the connection has carried, the current
// one included.
func (c *Conn) Requests() int { return c.requests }

// Write writes to the connection, counting the bytes for Sent.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.sent += int64(n)
	return n, err
}

// Sent is how many bytes the current request wrote through Write (nginx's
// c->sent, $upstream_bytes_sent).
func (c *Conn) Sent() int64 { return c.sent }

// Ready reports whether a read on the connection would return at once
// (bytes, the end of the stream or an error are waiting), without reading
// anything. nginx's unbuffered relay reads what is ready right after the
// head in one go and names the failures it finds there differently from
// those a later read event brings ("sending to client", "reading
// upstream"); this tells the two apart. Where the socket cannot be looked
// at, it reports false.
func (c *Conn) Ready() bool {
	if c.secure {
		return false
	}
	c.probe.ensure(c.Conn)
	return !c.probe.stillOpen()
}

// Peek copies into p, without consuming them or waiting, the bytes that
// have already arrived on the connection, and returns how many. nginx
// reads an upstream body with its whole free buffer, so bytes sent past
// the body's announced end in the same go are read (and warned about)
// with it; this finds them.
func (c *Conn) Peek(p []byte) int {
	if c.secure {
		return 0
	}
	c.probe.ensure(c.Conn)
	return c.probe.peekInto(p)
}

// Release ends the connection's use by a request: with reuse (the
// response was read to its end, the upstream did not ask to close, the
// request went out whole) it goes back to its group's keepalive pool, if
// the group has one and the connection is within keepalive_requests and
// keepalive_time; otherwise it is closed.
func (c *Conn) Release(reuse bool) {
	if reuse && c.pool != nil {
		c.pool.put(c)
		return
	}
	_ = c.Conn.Close()
}

// Connect gives a connection to the current peer: the group's most
// recently pooled one to it, if any (Cached then reports true), or a new
// one dialed within timeout. socketKeepalive turns on TCP keepalive
// probes (proxy_socket_keepalive); without it the socket has none, as
// nginx's. Connect must follow a successful Pick.
func (a *Attempt) Connect(timeout time.Duration, socketKeepalive bool) (*Conn, error) {
	return a.ConnectWith(timeout, socketKeepalive, nil, netip.AddrPort{})
}

// HandshakeError is a TLS handshake with the peer that failed (or timed
// out: Unwrap gives the deadline's error).
type HandshakeError struct{ Err error }

func (e *HandshakeError) Error() string { return e.Err.Error() }
func (e *HandshakeError) Unwrap() error { return e.Err }

// BindError is a failure to bind a new connection's socket to the local
// address ConnectWith was given (nginx's "bind(ADDR) failed", which ends
// the request with 500 instead of trying another peer).
type BindError struct {
	Local netip.AddrPort
	Err   error
}

func (e *BindError) Error() string { return "bind(" + e.Local.String() + ") failed: " + e.Err.Error() }

func (e *BindError) Unwrap() error { return e.Err }

// ConnectWith is Connect for a peer spoken to over TLS with cfg (nil:
// plain HTTP), from local (proxy_bind) when it is valid.
//
// TLS: a pooled connection must have been made with TLS too, and a new
// one is handshaken within what is left of timeout (nginx's connect timer
// runs on through ngx_http_upstream_ssl_handshake); a failed handshake is
// a *HandshakeError.
//
// local: a new connection's socket is bound to it first; a port of 0 lets
// the kernel choose one as the connection is made
// (IP_BIND_ADDRESS_NO_PORT, as nginx); a failed bind is a *BindError. A
// pooled connection is reused whatever address it was bound to, as
// nginx's keepalive cache does.
func (a *Attempt) ConnectWith(timeout time.Duration, socketKeepalive bool, cfg *tls.Config, local netip.AddrPort) (*Conn, error) {
	return a.ConnectContext(context.Background(), timeout, socketKeepalive, cfg, local)
}

// ConnectContext is ConnectWith with a context that, cancelled, ends the
// making of a new connection (the dial, the TLS handshake) at once: the
// caller no longer waits for it (a server that stops).
func (a *Attempt) ConnectContext(ctx context.Context, timeout time.Duration, socketKeepalive bool, cfg *tls.Config, local netip.AddrPort) (*Conn, error) {
	p := a.current
	pool := a.g.pool
	if pool != nil {
		if c := pool.get(p, cfg != nil); c != nil {
			c.requests++
			c.sent = 0
			a.cached = true
			return c, nil
		}
	}
	deadline := time.Now().Add(timeout)
	d := net.Dialer{Timeout: timeout, KeepAlive: -1}
	if timeout <= 0 {
		// proxy_connect_timeout 0: nginx's connect timer of 0 fires
		// before a TCP connect() under way completes (504, "upstream
		// timed out"), where a unix socket's connect() is done at once
		// and needs no timer.
		d.Timeout = 0
		if p.network != "unix" {
			d.Deadline = deadline
		}
	}
	if socketKeepalive {
		d.KeepAlive = 0
	}
	numbered := false
	if local.IsValid() {
		if p.network == "unix" {
			// nginx binds the unix socket to an inet address: the
			// kernel refuses.
			return nil, &BindError{Local: local, Err: os.NewSyscallError("bind", syscall.EINVAL)}
		}
		if peer, err := netip.ParseAddrPort(p.address); err == nil && peer.Addr().Is4() != local.Addr().Is4() {
			// nginx's socket has the peer's family; the kernel refuses
			// an address of the other (inet_bind, inet6_bind).
			errno := syscall.EINVAL
			if peer.Addr().Is4() {
				errno = syscall.EAFNOSUPPORT
			}
			return nil, &BindError{Local: local, Err: os.NewSyscallError("bind", errno)}
		}
		if bindInControl(&d, local, a.counter) {
			// The socket is numbered once bound (below: before).
			numbered = true
		} else {
			d.LocalAddr = net.TCPAddrFromAddrPort(local)
			if local.Port() == 0 {
				d.Control = bindAddressNoPort
			}
		}
	}
	if a.counter != nil && !numbered {
		a.counter.Add(1)
	}
	nc, err := d.DialContext(ctx, p.network, p.address)
	if err != nil {
		var se *os.SyscallError
		if local.IsValid() && errors.As(err, &se) && se.Syscall == "bind" {
			return nil, &BindError{Local: local, Err: se}
		}
		return nil, err
	}
	c := &Conn{Conn: nc, peer: p.Name, pool: pool, requests: 1, created: a.g.now()}
	if pool != nil {
		// The socket: an idle TLS connection is looked at there too
		// (an upstream's close, or its close_notify, ends it).
		c.probe.init(nc)
	}
	if cfg != nil {
		tc := tls.Client(nc, cfg)
		_ = nc.SetDeadline(deadline)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, &HandshakeError{Err: err}
		}
		_ = nc.SetDeadline(time.Time{})
		c.Conn, c.secure = tc, true
	}
	return c, nil
}
