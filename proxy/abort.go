package proxy

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/proxy/errlog"
)

// abortDelay is how long a proxied request waits for the upstream's
// answer before the client connection is watched for a close. nginx
// watches from the start (ngx_http_upstream_check_broken_connection); a
// watcher costs a goroutine, so quick answers do without one, and a
// client that leaves during a long wait is noticed at most this late.
const abortDelay = 500 * time.Millisecond

// abortWatch watches the client connection while the request waits for
// its upstream: when the client closes, the upstream connection is closed
// too, which ends the wait (nginx's 499, proxy_ignore_client_abort off).
type abortWatch struct {
	c     *conn
	up    net.Conn
	timer *time.Timer
	mu    sync.Mutex
	state int // 0 armed, 1 watching, 2 stopped
	done  chan struct{}
	gone  atomic.Bool
}

// watchClient arms the watch for the wait on up.
func (x *exchange) watchClient(up net.Conn) *abortWatch {
	if x.conf.ProxyIgnoreClientAbort {
		return nil
	}
	w := &abortWatch{c: x.c, up: up}
	w.timer = time.AfterFunc(abortDelay, w.run)
	return w
}

func (w *abortWatch) run() {
	w.mu.Lock()
	if w.state != 0 {
		w.mu.Unlock()
		return
	}
	w.state = 1
	w.done = make(chan struct{})
	w.mu.Unlock()
	defer close(w.done)
	closed, _ := waitClientClose(w.c.sock)
	if closed {
		w.gone.Store(true)
		_ = w.up.Close()
	}
}

// peekResult is what a look at a socket without reading it found.
type peekResult uint8

const (
	peekNothing peekResult = iota // nothing has come (or no descriptor to look at)
	peekBytes                     // bytes wait to be read
	peekClosed                    // the peer's end of file, or a socket error
)

// peekFD looks at fd without reading (MSG_PEEK) or waiting.
func peekFD(fd uintptr) peekResult {
	var b [1]byte
	for {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return peekNothing
		case err != nil || n == 0:
			return peekClosed
		}
		return peekBytes
	}
}

// rawConn is nc's descriptor, for a connection that has one.
func rawConn(nc net.Conn) (syscall.RawConn, bool) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	return rc, err == nil
}

// peekConn is peekFD on nc's descriptor, now.
func peekConn(nc net.Conn) peekResult { return lookAt(nc, peekFD) }

// clientEOF reports whether the client's end of file or a socket error is
// already there, even behind bytes not read yet (a pipelined request):
// what nginx's pending_eof (EPOLLRDHUP) tells its posted read event for
// free, here at the price of one system call.
func clientEOF(nc net.Conn) bool { return lookAt(nc, sockState) == peekClosed }

// onSock runs f on nc's descriptor, now; false for a connection without
// one.
func onSock(nc net.Conn, f func(fd uintptr)) bool {
	rc, ok := rawConn(nc)
	if !ok {
		return false
	}
	_ = rc.Control(f)
	return true
}

// lookAt runs look on nc's descriptor, now; peekNothing for a connection
// without one.
func lookAt(nc net.Conn, look func(fd uintptr) peekResult) peekResult {
	r := peekNothing
	onSock(nc, func(fd uintptr) { r = look(fd) })
	return r
}

// sockErrText is the pending error of nc's socket (getsockopt SO_ERROR,
// which clears it), as nginx's ngx_http_upstream_check_broken_connection
// and ngx_http_test_reading print it after EPOLLRDHUP: "104: Connection
// reset by peer" for a client that reset; "" for none.
func sockErrText(nc net.Conn) string {
	e := 0
	onSock(nc, func(fd uintptr) {
		e, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
	})
	if e == 0 {
		return ""
	}
	return errlog.Errno(syscall.Errno(e))
}

// waitClientClose waits, reading nothing, for the peer's close or a
// socket error (true), the read deadline or this side's own close
// (false). Bytes that come meanwhile (a pipelined request) do not end the
// wait: nginx's ngx_http_upstream_check_broken_connection and
// ngx_http_test_reading act on EPOLLRDHUP alone (ev->pending_eof), so a
// close behind them still counts (where sockState cannot see one behind
// bytes, the bytes end the wait). watched is false for a connection
// without a descriptor, which it cannot wait on: it returns at once.
func waitClientClose(nc net.Conn) (closed, watched bool) {
	rc, ok := rawConn(nc)
	if !ok {
		return false, false
	}
	_ = rc.Read(func(fd uintptr) bool {
		r := sockState(fd)
		closed = r == peekClosed
		return closed || (r == peekBytes && !eofBehindBytes)
	})
	return closed, true
}

// clientGone ends a request whose client left while it waited for its
// upstream (the watch saw it and closed the upstream connection), as
// ngx_http_upstream_check_broken_connection does: nginx's info line with
// the connection's action, 499 unless a response head went out, and the
// connection closed without lingering.
func (x *exchange) clientGone(action string) {
	x.logEvent(levelInfo, "epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too", sockErrText(x.c.sock), action)
	if !x.headerSent {
		x.status = 499
	}
	// ngx_http_terminate_request: not complete, whether or not the
	// response had begun.
	x.broken, x.noLinger, x.aborted = true, true, true
}

// stop ends the watch; it reports whether the client had gone. Once it
// returns, the client connection is the caller's alone again.
func (w *abortWatch) stop() bool {
	if w == nil {
		return false
	}
	if w.timer.Stop() {
		return false
	}
	w.mu.Lock()
	st := w.state
	w.state = 2
	w.mu.Unlock()
	if st == 1 {
		// Wake the watcher if it still waits, then let the deadlines
		// be set afresh.
		past := time.Unix(1, 0)
		_ = w.c.nc.SetReadDeadline(past)
		<-w.done
		w.c.dl.read = past
	}
	return w.gone.Load()
}
