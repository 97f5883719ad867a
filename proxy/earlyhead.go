package proxy

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nginxws/nginxws/upstream"
)

// headWait reads the upstream's response head while the request body is
// still being sent. nginx's upstream read handler is
// ngx_http_upstream_process_header from the connect on, so an upstream that
// answers before it has the whole body (a 413 or a 401 to an upload) is
// answered at once, and the rest of the body is not sent
// (ngx_http_upstream_send_request_handler stops once u->header_sent). A head
// read that ends (complete, or failed: the upstream closed) while the body
// is being sent stops the sending: the body loop finds stopped set, its
// blocked read of the client or write to the upstream woken by a deadline
// in the past. No read deadline runs meanwhile: nginx arms
// proxy_read_timeout once the body is sent.
type headWait struct {
	x  *exchange
	uc net.Conn
	mu sync.Mutex
	// sending is set while the body loop runs; only then does the end
	// of the head read interrupt it.
	sending bool
	stopped atomic.Bool
	done    chan struct{}
	err     error
}

// errBodyStopped ends a read of the client's body that the upstream's
// early answer made useless.
var errBodyStopped = errors.New("request body no longer sent")

// startHeadWait starts reading the upstream's response head on uc while
// the body goes out.
func (x *exchange) startHeadWait(uc net.Conn) *headWait {
	x.ur.Reset(uc)
	_ = uc.SetReadDeadline(time.Time{})
	hw := &headWait{x: x, uc: uc, sending: true, done: make(chan struct{})}
	go hw.run()
	return hw
}

func (hw *headWait) run() {
	defer close(hw.done)
	hw.err = hw.x.ur.ReadResponse(hw.x.resp, int(hw.x.conf.ProxyBufferSize))
	hw.mu.Lock()
	defer hw.mu.Unlock()
	if !hw.sending {
		return
	}
	hw.stopped.Store(true)
	// The body loop sets its deadline, then looks at stopped, then
	// blocks: one of the two sees the other.
	past := time.Unix(1, 0)
	_ = hw.x.c.nc.SetReadDeadline(past)
	_ = hw.uc.SetWriteDeadline(past)
}

// bodyStopped reports whether the body being sent is to be given up: the
// upstream's answer (or its failure) came first.
func (x *exchange) bodyStopped() bool {
	hw := x.peer.hw
	return hw != nil && hw.stopped.Load()
}

// sent ends the body loop's part: it reports whether the head read
// stopped it. The client connection's read deadline is then in the past,
// which its cached value is made to say.
func (hw *headWait) sent() bool {
	hw.mu.Lock()
	hw.sending = false
	hw.mu.Unlock()
	if hw.stopped.Load() {
		hw.x.c.dl.read = time.Unix(1, 0)
		return true
	}
	return false
}

// cancel ends a head read that is no longer wanted (the request could not
// be sent) and waits for it.
func (hw *headWait) cancel() {
	_ = hw.uc.SetReadDeadline(time.Unix(1, 0))
	<-hw.done
}

// await waits for the head, as readHead does once the body is sent: within
// proxy_read_timeout, the client watched for a close (unless the head came
// while the body was still on its way: nginx was then reading the body,
// not looking for a close).
func (hw *headWait) await(early bool) (upstream.Failure, int) {
	x := hw.x
	var w *abortWatch
	if !early {
		setReadDeadline(hw.uc, x.conf.ProxyReadTimeout)
		w = x.watchClient(hw.uc)
	}
	<-hw.done
	return x.headRead(hw.err, w, !early)
}
