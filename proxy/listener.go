package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// defaultBacklog is NGX_LISTEN_BACKLOG on Linux: the listen(2) backlog of
// a `listen` without backlog=.
const defaultBacklog = 511

// soReusePort is Linux's SO_REUSEPORT, which package syscall does not name
// (15 on every architecture nginxws builds for).
const soReusePort = 0xf

// Bind retries, as ngx_open_listening_sockets: an address in use is tried
// five times, half a second apart, before giving up; any other error fails
// at once.
const (
	bindTries = 5
	bindDelay = 500 * time.Millisecond
)

// listenKey identifies a socket across reloads: a listen address that stays
// in the configuration keeps its socket.
type listenKey struct {
	network, addr string
}

func keyOf(spec directives.Listen) listenKey {
	return listenKey{spec.Network, spec.Addr}
}

// listener is one bound socket.
type listener struct {
	spec directives.Listen
	ln   net.Listener
	// deferred is whether TCP_DEFER_ACCEPT was set on it (nginx's
	// ls->deferred_accept): a reload changes it only when it differs.
	deferred bool
}

// addrText is the address as nginx prints it in messages: "127.0.0.1:80",
// "[::]:80", "unix:/run/app.sock".
func addrText(spec directives.Listen) string {
	if spec.Network == "unix" {
		return "unix:" + spec.Addr
	}
	return spec.Addr
}

func backlogOf(spec directives.Listen) int {
	if spec.Backlog > 0 {
		return spec.Backlog
	}
	return defaultBacklog
}

// BindError is a failure to open a listening socket, worded as nginx's
// ngx_open_listening_sockets: "bind() to 127.0.0.1:80 failed (98: Address
// already in use)".
type BindError struct {
	// Addr is the address as nginx prints it (addrText).
	Addr string
	// Call is the system call that failed: "socket", "bind", "listen" or a
	// "setsockopt(NAME)".
	Call    string
	Backlog int
	Err     error
}

func (e *BindError) Error() string {
	var msg string
	switch e.Call {
	case "bind":
		msg = "bind() to " + e.Addr + " failed"
	case "listen":
		msg = "listen() to " + e.Addr + ", backlog " + strconv.Itoa(e.Backlog) + " failed"
	case "socket":
		msg = "socket() " + e.Addr + " failed"
	case "chmod":
		msg = `chmod() "` + strings.TrimPrefix(e.Addr, "unix:") + `" failed`
	default:
		msg = e.Call + " " + e.Addr + " failed"
	}
	return msg + " (" + errlog.Errno(e.Err) + ")"
}

func (e *BindError) Unwrap() error { return e.Err }

// inUse reports whether err is a bind() that failed because the address is
// taken, the one failure nginx retries (and ignores under -t).
func inUse(err error) bool {
	var be *BindError
	return errors.As(err, &be) && be.Call == "bind" && errors.Is(be.Err, syscall.EADDRINUSE)
}

// sockets returns the sockets nginx would open for the listen addresses,
// in the order it opens them (ngx_http_optimize_servers and
// ngx_http_init_listening), so that failures are reported in nginx's
// order:
//
//   - addresses are grouped by family and port, groups in the order their
//     first address appears;
//   - in a group, addresses with a socket option of their own (bind,
//     backlog=, deferred, so_keepalive=…: nginx's lsopt.bind) come first,
//     then the others, then the wildcard address;
//   - when a group has a wildcard, the others without an option of their
//     own get no socket: the wildcard's socket serves them. Binding
//     127.0.0.1:80 beside a listening 0.0.0.0:80 would fail.
//
// A unix socket is a group of its own.
func sockets(specs []directives.Listen) []directives.Listen {
	type group struct {
		v6     bool
		port   uint16
		unix   string
		own    []directives.Listen // with options of their own
		others []directives.Listen
		wild   []directives.Listen
	}
	var groups []*group
	find := func(g group) *group {
		for _, x := range groups {
			if x.v6 == g.v6 && x.port == g.port && x.unix == g.unix {
				return x
			}
		}
		groups = append(groups, &g)
		return groups[len(groups)-1]
	}
	for _, s := range specs {
		var g *group
		ap, err := netip.ParseAddrPort(s.Addr)
		switch {
		case s.Network == "unix":
			g = find(group{unix: s.Addr})
		case err != nil:
			g = find(group{unix: "\x00" + s.Addr}) // not an IP: alone
		default:
			g = find(group{v6: ap.Addr().Is6() && !ap.Addr().Is4In6(), port: ap.Port()})
		}
		switch {
		case err == nil && ap.Addr().IsUnspecified():
			g.wild = append(g.wild, s)
		case s.Bind:
			g.own = append(g.own, s)
		default:
			g.others = append(g.others, s)
		}
	}
	out := make([]directives.Listen, 0, len(specs))
	for _, g := range groups {
		out = append(out, g.own...)
		if len(g.wild) == 0 {
			out = append(out, g.others...)
		}
		out = append(out, g.wild...)
	}
	return out
}

// netFor picks the network Go must listen on. "tcp" with 0.0.0.0 would make
// Go open a dual-stack IPv6 socket, which then collides with nginx's
// separate `listen [::]:80`; the explicit family avoids that.
func netFor(spec directives.Listen) string {
	if spec.Network == "unix" {
		return "unix"
	}
	if ap, err := netip.ParseAddrPort(spec.Addr); err == nil {
		if ap.Addr().Is4() || ap.Addr().Is4In6() {
			return "tcp4"
		}
		return "tcp6"
	}
	return "tcp"
}

// control applies the socket options nginx sets before bind(): SO_REUSEPORT
// for reuseport (not under -t, as ngx_open_listening_sockets skips it when
// testing: a unix socket, which does not support it, passes the test and
// fails at start), IPV6_V6ONLY as ipv6only= says (nginx's default is on).
// Go has already set SO_REUSEADDR on the listening socket, as nginx does.
func control(spec directives.Listen, test bool) func(network, address string, c syscall.RawConn) error {
	return func(network, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if spec.ReusePort && !test {
				if e := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1); e != nil {
					serr = os.NewSyscallError("setsockopt(SO_REUSEPORT)", e)
					return
				}
			}
			if network == "tcp6" {
				v := 0
				if spec.IPv6Only {
					v = 1
				}
				if e := syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, v); e != nil {
					serr = os.NewSyscallError("setsockopt(IPV6_V6ONLY)", e)
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
}

// bindOne opens one listening socket as nginx does: socket options, bind,
// listen with the configured backlog; a unix socket is then made writable
// by everyone (nginx's chmod 0666), so that clients of any user can
// connect.
func bindOne(spec directives.Listen, test bool) (*listener, error) {
	// Go sets no keepalive on accepted connections (its default would
	// probe every 15 seconds): they inherit the listening socket's, which
	// nginx sets only for so_keepalive= (configure).
	lc := net.ListenConfig{Control: control(spec, test), KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), netFor(spec), spec.Addr)
	if err != nil {
		return nil, bindError(spec, err)
	}
	// Go listens with the kernel's somaxconn; listen(2) again on the bound
	// socket sets nginx's backlog.
	if err := relisten(ln, backlogOf(spec)); err != nil {
		_ = ln.Close()
		return nil, &BindError{Addr: addrText(spec), Call: "listen", Backlog: backlogOf(spec), Err: err}
	}
	if spec.Network == "unix" {
		if err := os.Chmod(spec.Addr, 0o666); err != nil {
			_ = ln.Close()
			return nil, &BindError{Addr: addrText(spec), Call: "chmod", Err: err}
		}
	}
	return &listener{spec: spec, ln: ln}, nil
}

// TCP options package syscall does not name.
const (
	tcpKeepIdle    = 0x4
	tcpKeepIntvl   = 0x5
	tcpKeepCnt     = 0x6
	tcpDeferAccept = 0x9
	tcpFastOpen    = 0x17
)

// configure sets the options nginx sets on a bound listening socket, at
// start and again at every reload (ngx_configure_listening_sockets), in
// its order: SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE and its TCP_KEEPIDLE,
// TCP_KEEPINTVL, TCP_KEEPCNT, TCP_FASTOPEN, the backlog (listen(2) again,
// for a kept socket whose backlog changed: prev is the listen it had, nil
// for a new socket), and TCP_DEFER_ACCEPT when deferred changes. Options a
// reload drops stay as they were, as in nginx. A failure is logged at
// [alert] in nginx's words and ignored.
func configure(l *listener, prev *directives.Listen, log *errlog.Log) {
	o := l.spec.Opts
	addr := addrText(l.spec)
	// set sets one option, or logs nginx's alert and reports false:
	// "setsockopt(NAME, V) WHERE failed, ignored (errno)".
	set := func(level, name int, text string, v int, where string) bool {
		err := withFd(l.ln, func(fd int) error { return syscall.SetsockoptInt(fd, level, name, v) })
		if err != nil {
			log.Alert().Msg("setsockopt(" + text + ", " + strconv.Itoa(v) + ") " + where + " failed, ignored (" + errlog.Errno(err) + ")")
			return false
		}
		return true
	}
	if o.HasRcvBuf {
		set(syscall.SOL_SOCKET, syscall.SO_RCVBUF, "SO_RCVBUF", o.RcvBuf, addr)
	}
	if o.HasSndBuf {
		set(syscall.SOL_SOCKET, syscall.SO_SNDBUF, "SO_SNDBUF", o.SndBuf, addr)
	}
	if o.KeepAlive != 0 {
		v := 0
		if o.KeepAlive == 1 {
			v = 1
		}
		set(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, "SO_KEEPALIVE", v, addr)
	}
	if o.KeepIdle != 0 {
		set(syscall.IPPROTO_TCP, tcpKeepIdle, "TCP_KEEPIDLE", o.KeepIdle, addr)
	}
	if o.KeepIntvl != 0 {
		set(syscall.IPPROTO_TCP, tcpKeepIntvl, "TCP_KEEPINTVL", o.KeepIntvl, addr)
	}
	if o.KeepCnt != 0 {
		set(syscall.IPPROTO_TCP, tcpKeepCnt, "TCP_KEEPCNT", o.KeepCnt, addr)
	}
	if o.HasFastOpen {
		set(syscall.IPPROTO_TCP, tcpFastOpen, "TCP_FASTOPEN", o.FastOpen, addr)
	}
	if prev != nil && backlogOf(*prev) != backlogOf(l.spec) {
		if err := relisten(l.ln, backlogOf(l.spec)); err != nil {
			log.Alert().Msg((&BindError{Addr: addr, Call: "listen", Backlog: backlogOf(l.spec), Err: err}).Error())
		}
	}
	if o.Deferred != l.deferred {
		// One second: how long a connection may wait for its first
		// bytes cannot be known (nginx's reasoning), and the kernel
		// hands it over after that anyway.
		v := 0
		if o.Deferred {
			v = 1
		}
		if set(syscall.IPPROTO_TCP, tcpDeferAccept, "TCP_DEFER_ACCEPT", v, "for "+addr) {
			l.deferred = o.Deferred
		}
	}
}

// withFd runs f on ln's socket.
func withFd(ln net.Listener, f func(fd int) error) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return syscall.EINVAL
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// relisten calls listen(2) on ln's socket with backlog.
func relisten(ln net.Listener, backlog int) error {
	if _, ok := ln.(syscall.Conn); !ok {
		return nil
	}
	return withFd(ln, func(fd int) error { return syscall.Listen(fd, backlog) })
}

// bindError turns Go's listen error into nginx's wording, naming the
// system call that failed.
func bindError(spec directives.Listen, err error) error {
	be := &BindError{Addr: addrText(spec), Call: "bind", Backlog: backlogOf(spec), Err: err}
	var se *os.SyscallError
	if errors.As(err, &se) {
		be.Call, be.Err = se.Syscall, se.Err
		if be.Call == "setsockopt" {
			be.Call = "setsockopt(SO_REUSEADDR)" // the only option Go sets on a listener
		}
	}
	return be
}

// errBind is returned when binding failed; the failures themselves have
// been logged, line by line, as nginx logs them.
var errBind = errors.New("could not bind the listen addresses")

// binder opens sockets the way ngx_open_listening_sockets does.
type binder struct {
	log *errlog.Log
	// tries and delay are the retries of an address in use.
	tries int
	delay time.Duration
	// test is nginx -t: an address in use is neither an error nor retried,
	// since another process (a running nginxws) may hold it.
	test bool
}

// all opens every socket of specs, retrying addresses in use, and logs
// each failure at [emerg]. On failure nothing it opened stays open.
func (b binder) all(specs []directives.Listen) ([]*listener, error) {
	bound := make([]*listener, len(specs))
	closeAll := func() {
		for _, l := range bound {
			if l != nil {
				_ = l.ln.Close()
			}
		}
	}
	for try := 1; ; try++ {
		failed := false
		for i, spec := range specs {
			if bound[i] != nil {
				continue
			}
			l, err := bindOne(spec, b.test)
			if err == nil {
				bound[i] = l
				continue
			}
			if inUse(err) {
				if b.test {
					continue
				}
				failed = true
				b.log.Emerg().Msg(err.Error())
				continue
			}
			b.log.Emerg().Msg(err.Error())
			closeAll()
			return nil, errBind
		}
		if !failed {
			break
		}
		// nginx announces and sleeps through a retry after the last
		// try as well, before giving up: five notices, 2.5 s in all.
		b.log.Notice().Msg("try again to bind() after 500ms")
		time.Sleep(b.delay)
		if try >= b.tries {
			b.log.Emerg().Msg("still could not bind()")
			closeAll()
			return nil, errBind
		}
	}
	out := bound[:0]
	for _, l := range bound {
		if l != nil {
			out = append(out, l)
		}
	}
	return out, nil
}

// CheckListen opens and closes every listen address of cfg, as `nginx -t`
// does, so that an address that cannot be bound (a privileged port, an
// address the host does not have) fails the test. An address in use is
// fine: the running server holds it. Failures are logged at [emerg]; the
// error only reports that there were some.
func CheckListen(cfg *directives.Config, log *errlog.Log) error {
	ls, err := binder{log: log, tries: 1, test: true}.all(sockets(cfg.Listeners()))
	for _, l := range ls {
		_ = l.ln.Close()
	}
	return err
}
