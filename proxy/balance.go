package proxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	goruntime "runtime"
	"strings"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
	"github.com/nginxws/nginxws/proxy/http1"
	"github.com/nginxws/nginxws/upstream"
)

// upstreamGroups are a configuration's peer groups, one per upstream
// block or implicit group, built with the runtime and shared by its
// requests: their peers' state (weights, failures, active connections)
// and keepalive pools live as long as the configuration, as in an nginx
// worker.
type upstreamGroups map[*directives.Upstream]*upstream.Group

// newUpstreamGroups builds cfg's groups. Keepalive pools hold what
// nginx's workers would hold together: `keepalive N` each, as many
// workers as worker_processes (auto: one per CPU).
func newUpstreamGroups(cfg *directives.Config) upstreamGroups {
	h := cfg.HTTP
	if h == nil {
		return nil
	}
	workers := cfg.Main.WorkerProcesses
	if workers == 0 {
		workers = goruntime.NumCPU()
	}
	gs := make(upstreamGroups, len(h.Upstreams))
	for _, u := range h.Upstreams {
		gs[u] = upstream.NewGroup(u, upstream.Options{Workers: workers})
	}
	return gs
}

// close closes the groups' idle keepalive connections: the configuration
// was replaced (nginx's old worker closes its cached connections as it
// exits). Requests still running on it finish; their connections close.
func (gs upstreamGroups) close() {
	for _, g := range gs {
		g.Close()
	}
}

// peerTry is a request's use of its upstream group: the attempt (peers
// tried, tries left) and the current try's connection until the response
// is over.
type peerTry struct {
	attempt upstream.Attempt
	conn    *upstream.Conn
	// keep is set when the response allows the connection to be kept
	// (HTTP/1.1, no "Connection: close").
	keep bool
	// hw reads the response head while the body is sent (earlyhead.go);
	// bodyDone is set once the body went out whole, bodyCut when the
	// upstream answered before that: the connection then carries a
	// request cut short and is not kept.
	hw                *headWait
	bodyDone, bodyCut bool
	// buffering is nginx's u->buffering: proxy_buffering when the run
	// starts, then what an upstream's X-Accel-Buffering made it
	// (upstreamHeadHandlers).
	buffering bool
}

// proxyTo sends the request to a peer of g and relays its answer, trying
// further peers as proxy_next_upstream allows (ngx_http_upstream_connect
// and ngx_http_upstream_next): each try is one entry of $upstream_addr,
// $upstream_status and the $upstream_*_time lists.
func (x *exchange) proxyTo(g *upstream.Group, head []byte, plan *proxyPlan) {
	conf := x.conf
	a := &x.peer.attempt
	s := upstream.Start{
		Next:          conf.ProxyNextUpstream,
		Tries:         conf.ProxyNextUpstreamTries,
		Timeout:       conf.ProxyNextUpstreamTimeout,
		NonIdempotent: nonIdempotent(x.method),
		// nginx numbers upstream connections from the same counter as
		// client ones, which $connection and "*N" show.
		Counter: &x.c.s.connSeq,
		Now:     time.Now(),
	}
	if k := g.HashKey(); k != nil {
		s.Key = x.value(k)
	}
	if g.UsesClientAddr() {
		// ip_hash: the address the realip module took, if any.
		s.Client = x.Conn().Remote.Addr()
	}
	a.Start(g, s)
	x.peer.buffering = conf.ProxyBuffering
	x.setLocal()
	// Each try's times count from its start; the first starts with the
	// attempt.
	start := s.Now
	for {
		p, err := a.Pick()
		if err != nil {
			// nginx names the group where a peer would be.
			x.up.addr = g.Name()
			x.upInfo.States = append(x.upInfo.States, directives.UpstreamState{Peer: g.Name(), ConnectTime: -1, HeaderTime: -1})
			x.logEvent(levelError, "no live upstreams", "", "connecting to upstream")
			_, status, _ := a.Fail(upstream.FailNoLive)
			x.upInfo.States[len(x.upInfo.States)-1].Status = status
			x.upstreamEnded()
			x.finalize(status)
			return
		}
		f, action := x.tryPeer(a, p, head, plan, start)
		if f == 0 {
			return
		}
		start = time.Now()
		if f == failRetried {
			continue
		}
		retry, status, disabled := a.Fail(f)
		if disabled {
			x.logEvent(errlog.LevelWarn, "upstream server temporarily disabled", "", action)
		}
		if f == upstream.FailTimeout {
			// nginx logs a timeout in ngx_http_upstream_next, after the
			// peer's release (and its "temporarily disabled").
			x.logEvent(levelError, "upstream timed out", "110: Connection timed out", action)
		}
		x.upInfo.States[len(x.upInfo.States)-1].Status = status
		if !retry {
			x.upstreamEnded()
			x.finalize(status)
			return
		}
	}
}

// setLocal is ngx_http_upstream_set_local: the address proxy_bind gives
// the request's upstream connections, evaluated once per request; a value
// that is empty binds nothing, one that is not an address is logged and
// binds nothing.
func (x *exchange) setLocal() {
	x.up.local, x.up.localName = netip.AddrPort{}, ""
	b := x.conf.ProxyBind
	switch {
	case b == nil:
	case b.Value == nil:
		x.up.local, x.up.localName = b.Addr, b.Name
	default:
		v := x.value(b.Value)
		if len(v) == 0 {
			return
		}
		a, ok := directives.ParseAddrPort(v)
		if !ok {
			x.logEvent(levelError, `invalid local address "`+string(v)+`"`, "", "")
			return
		}
		x.up.local, x.up.localName = a, string(v)
	}
}

// failRetried is tryPeer's report of a response status
// proxy_next_upstream skips: the peer is released already, the next one
// is picked.
const failRetried upstream.Failure = 1 << 31

// nonIdempotent reports whether nginx would not repeat the request on
// another peer once sent: POST, LOCK and PATCH.
func nonIdempotent(method []byte) bool {
	return bytes.Equal(method, []byte("POST")) || bytes.Equal(method, []byte("LOCK")) || bytes.Equal(method, []byte("PATCH"))
}

// tryPeer is one try of the peer p, from start: connect (or take a kept
// connection), send the request, read the response head, and relay the
// response. It returns the failure that ends the try, with the action it
// happened in, or 0 when the request was answered (the peer is released
// then).
func (x *exchange) tryPeer(a *upstream.Attempt, p *upstream.Peer, head []byte, plan *proxyPlan, start time.Time) (upstream.Failure, string) {
	conf := x.conf
	x.up.addr = p.Name
	x.upInfo.States = append(x.upInfo.States, directives.UpstreamState{Peer: p.Name, ConnectTime: -1, HeaderTime: -1, ResponseTime: -1})
	state := func() *directives.UpstreamState { return &x.upInfo.States[len(x.upInfo.States)-1] }
	x.upStart = start
	tc, sslName := x.upstreamTLSConfig(plan, p)
	uc, err := a.ConnectContext(x.c.s.cutCtx, conf.ProxyConnectTimeout, conf.ProxySocketKeepalive, tc, x.up.local)
	if err != nil && x.c.s.cutting() {
		// The server stopped waiting for requests (cut.go) while this
		// one connected.
		state().ResponseTime = time.Since(x.upStart)
		a.Release(upstream.Done)
		x.cutShort()
		return 0, ""
	}
	var be *upstream.BindError
	if errors.As(err, &be) {
		// ngx_event_connect_peer fails before the peer is named: the
		// request ends with 500, no other peer is tried.
		st := state()
		st.Peer, st.ResponseTime = "", time.Since(x.upStart)
		x.logEvent(levelCrit, "bind("+x.up.localName+") failed", errnoText(be.Err), "connecting to upstream")
		a.Release(upstream.Done)
		x.finalize(500)
		return 0, ""
	}
	var he *upstream.HandshakeError
	if err == nil || !strings.HasPrefix(p.Name, "unix:") {
		// A retry clears what an earlier try's head left
		// (ngx_http_upstream_reinit) once its connect() is under way:
		// nginx's non-blocking TCP connect() always is, whatever comes
		// of it (refused, timed out, a TLS handshake that fails); a
		// unix socket's fails at once and leaves the earlier try's
		// header lines to $upstream_http_*, as does "no live
		// upstreams".
		x.upRead = false
	}
	switch {
	case errors.As(err, &he):
		state().ResponseTime = time.Since(x.upStart)
		return x.handshakeFailed(he.Err), tlsUpstreamAction
	case err != nil:
		state().ResponseTime = time.Since(x.upStart)
		return x.connectFailed(p, err), "connecting to upstream"
	}
	if tc != nil && !a.Cached() {
		if msg := upstreamHandshaken(plan.tls.conf, uc, p, sslName); msg != "" {
			state().ResponseTime = time.Since(x.upStart)
			x.logEvent(levelError, msg, "", tlsUpstreamAction)
			uc.Release(false)
			return upstream.FailError, tlsUpstreamAction
		}
	}
	state().ConnectTime = time.Since(x.upStart)
	if !x.c.holdUpstream(uc.Conn) {
		// The server stopped waiting for requests while this one
		// connected.
		state().ResponseTime = time.Since(x.upStart)
		uc.Release(false)
		a.Release(upstream.Done)
		x.cutShort()
		return 0, ""
	}
	defer x.c.dropUpstream(uc.Conn)
	if len(x.upInfo.States) == 1 && !conf.ProxyIgnoreClientAbort && clientEOF(x.c.sock) {
		// nginx posts the client's read event as it sets the upstream
		// up (ngx_http_upstream_init_request): an end of file that came
		// with the request ends it there, before anything is sent.
		state().ResponseTime = time.Since(x.upStart)
		uc.Release(false)
		a.Release(upstream.Done)
		x.clientGone("connecting to upstream")
		return 0, ""
	}
	b := &x.body
	a.MarkSent(conf.ProxyPassRequestBody && x.hasBody() && b.mem == nil && b.file == nil)
	var sendFail upstream.Failure
	x.peer.bodyDone, x.peer.bodyCut = false, false
	status := x.sendRequest(uc, head, plan, &sendFail)
	hw := x.peer.hw
	early := hw != nil && hw.sent()
	if early {
		// The upstream answered, or failed, before it had the whole
		// body: what ended the sending is no error of its own. A body
		// streamed from the client is left unread (nginx's
		// r->reading_body): the client connection closes after the
		// response.
		status, sendFail = 0, 0
		x.peer.bodyCut = !x.peer.bodyDone
		if x.peer.bodyCut && !b.consumed && b.mem == nil && b.file == nil {
			b.abandoned = true
		}
	}
	state().BytesSent = uc.Sent()
	if status != 0 {
		if hw != nil {
			hw.cancel()
			x.peer.hw = nil
		}
		state().ResponseTime = time.Since(x.upStart)
		uc.Release(false)
		if sendFail != 0 {
			return sendFail, "sending request to upstream"
		}
		a.Release(upstream.Done)
		if status > 0 {
			// The client's body failed (400, 408, 413): nginx ends the
			// upstream with that status (ngx_http_upstream_finalize_request),
			// which does not make it the try's: $upstream_status says "-".
			x.upstreamEnded()
			x.finalize(status)
		}
		// Otherwise the client went away while its body was streamed:
		// nothing is answered (bodyError set what the log says).
		return 0, ""
	}
	var f upstream.Failure
	if hw != nil {
		f, status = hw.await(early)
		x.peer.hw = nil
	} else {
		f, status = x.readHead(uc.Conn)
	}
	if status != 0 {
		state().ResponseTime = time.Since(x.upStart)
		uc.Release(false)
		if f != 0 {
			return f, "reading response header from upstream"
		}
		a.Release(upstream.Done)
		return 0, ""
	}
	x.upstreamHeadHandlers()
	if retry, disabled := a.RetryStatus(x.resp.Status); retry {
		// nginx drops the answer and tries the next peer; the try is
		// listed with the status the peer answered.
		if disabled {
			x.logEvent(errlog.LevelWarn, "upstream server temporarily disabled", "", "reading response header from upstream")
		}
		state().ResponseTime = time.Since(x.upStart)
		uc.Release(x.skippedKeepsAlive())
		return failRetried, ""
	}
	x.peer.conn, x.peer.keep = uc, upstreamKeepsAlive(x.resp)
	x.relayResponse(uc.Conn, plan)
	if tun := x.c.tun; tun != nil && x.peer.conn == uc {
		// A WebSocket tunnel owns the connection now: the peer stays
		// active (least_conn and max_conns count it) until it ends.
		// The hold is taken off the attempt, which lives in the
		// request's pooled state: that goes back at the 101.
		x.peer.conn = nil
		tun.onEnd(a.Hold().Release)
		return 0, ""
	}
	x.upstreamDone(false)
	return 0, ""
}

// skippedKeepsAlive reports whether the connection of a response
// proxy_next_upstream skipped may go back to the keepalive pool. nginx
// releases a 403 or 404 so skipped as NGX_PEER_NEXT, not failed, so the
// keepalive module keeps its connection when the proxy module found it
// reusable at the head: a bodiless answer (Content-Length 0, a reply to
// HEAD) that does not close, to a request that went out whole
// (ngx_http_proxy_process_header, ngx_http_upstream_free_keepalive_peer).
// Any other skipped status is a failure, whose connection is closed.
func (x *exchange) skippedKeepsAlive() bool {
	resp := x.resp
	if resp.Status != 403 && resp.Status != 404 {
		return false
	}
	return x.bodiless() && upstreamKeepsAlive(resp) && x.upstreamReusable()
}

// upstreamReusable reports whether the current try's connection is in a
// state to carry another request: nothing of the response left unread
// behind what was used, and the request's body (if any) sent whole.
func (x *exchange) upstreamReusable() bool {
	b := &x.body
	bodySent := (!x.hasBody() || b.consumed || b.mem != nil || b.file != nil) && !x.peer.bodyCut
	return len(x.ur.Buffered()) == 0 && bodySent
}

// upstreamDone ends the current try once its response is over (read to
// its end when complete is set): the connection goes back to the
// group's keepalive pool if everything allows it, or closes, and the peer
// is released (nginx's ngx_http_upstream_finalize_request). It does
// nothing the second time.
func (x *exchange) upstreamDone(complete bool) {
	t := &x.peer
	uc := t.conn
	if uc == nil {
		return
	}
	t.conn = nil
	if i := len(x.upInfo.States) - 1; i >= 0 {
		x.upInfo.States[i].ResponseTime = time.Since(x.upStart)
	}
	uc.Release(complete && t.keep && x.upstreamReusable())
	t.attempt.Release(upstream.Done)
}

// upstreamKeepsAlive reports whether the upstream's response lets its
// connection carry another request: HTTP/1.1 or later, without "close"
// in Connection (ngx_http_proxy_process_status, ngx_http_upstream_process_connection),
// and not a 101: ngx_http_proxy_process_header never keeps a connection
// that switched protocols, tunnel or not (a 101 to a HEAD request, whose
// bodiless answer would otherwise leave it to the cache).
func upstreamKeepsAlive(r *http1.Response) bool {
	if r.Version < 1001 || r.Status == 101 {
		return false
	}
	for i := range r.Headers {
		h := &r.Headers[i]
		if h.Is("connection") && indexFold(h.Value, "close") >= 0 {
			return false
		}
	}
	return true
}

// readHead reads the upstream's response head within proxy_read_timeout.
// On failure it logs nginx's line (proxyTo logs a timeout) and returns the
// failure with the status nginx would answer; a client that went away meanwhile gets status -1
// and no failure (nginx's 499, the peer released as answered).
func (x *exchange) readHead(uc net.Conn) (upstream.Failure, int) {
	conf := x.conf
	up := x.ur
	up.Reset(uc)
	resp := x.resp
	setReadDeadline(uc, conf.ProxyReadTimeout)
	w := x.watchClient(uc)
	err := up.ReadResponse(resp, int(conf.ProxyBufferSize))
	return x.headRead(err, w, true)
}

// headRead is the end of readHead: what the read of the head (err) means
// for the try. checkEOF tells whether a client end of file that is there
// already ends the request.
func (x *exchange) headRead(err error, w *abortWatch, checkEOF bool) (upstream.Failure, int) {
	conf := x.conf
	resp := x.resp
	// Whatever happened, the header lines parsed so far are the ones
	// $upstream_http_* sees (nginx parses into u->headers_in as it reads).
	x.upRead = true
	n := len(x.upInfo.States)
	if n > 0 {
		// nginx counts every byte it read of the head as it reads it
		// (ngx_http_upstream_process_header), whatever happens next: a
		// timeout, a client that left, a status proxy_next_upstream skips.
		x.upInfo.States[n-1].BytesReceived = resp.Received
	}
	// A client end of file that came while the head was awaited ends
	// the request too: nginx's read event for it comes before the
	// upstream's (the watch starts late, so a quick answer is checked
	// once here).
	gone := w.stop() || (checkEOF && err == nil && !conf.ProxyIgnoreClientAbort && clientEOF(x.c.sock))
	if err != nil && x.c.s.cutting() {
		// A shutdown closed the upstream connection (cut.go).
		x.cutShort()
		return 0, -1
	}
	if gone {
		// nginx's log action is the upstream connection's: it becomes
		// "reading response header" when the upstream is first read
		// (ngx_http_upstream_process_header), and a status line parsed
		// by then is the try's $upstream_status
		// (ngx_http_proxy_process_status_line).
		action := "sending request to upstream"
		if resp.Received > 0 {
			action = "reading response header from upstream"
		}
		if n > 0 && resp.Version != 9 {
			x.upInfo.States[n-1].Status = resp.Status
		}
		x.clientGone(action)
		return 0, -1
	}
	if err != nil && isTimeout(err) {
		return upstream.FailTimeout, 504 // logged by proxyTo
	}
	if err != nil {
		status := x.upstreamHeadError(err)
		var he *http1.Error
		switch {
		case status == 504:
			return upstream.FailTimeout, status
		case errors.As(err, &he) && he.Err == nil:
			return upstream.FailInvalidHeader, status
		}
		return upstream.FailError, status
	}
	if resp.Version == 9 {
		x.logEvent(levelError, "upstream sent no valid HTTP/1.0 header", "", "reading response header from upstream")
	}
	x.up.status = resp.Status
	if n := len(x.upInfo.States); n > 0 {
		st := &x.upInfo.States[n-1]
		st.Status = resp.Status
		st.HeaderTime = time.Since(x.upStart)
	}
	return 0, 0
}

// tlsUpstreamAction is what nginx's lines say during the handshake.
const tlsUpstreamAction = "SSL handshaking to upstream"

// handshakeFailed logs a TLS handshake with the upstream that failed, as
// ngx_ssl_handshake does for an upstream connection (at error), and
// returns the failure: a timeout is logged by proxyTo ("upstream timed
// out").
func (x *exchange) handshakeFailed(err error) upstream.Failure {
	if isTimeout(err) {
		return upstream.FailTimeout
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		x.logEvent(levelError, "peer closed connection in SSL handshake", "", tlsUpstreamAction)
	case errors.Is(err, syscall.ECONNRESET):
		x.logEvent(levelError, "peer closed connection in SSL handshake", errnoText(err), tlsUpstreamAction)
	default:
		x.logEvent(levelError, "SSL_do_handshake() failed (SSL: "+opensslReason(err)+")", "", tlsUpstreamAction)
	}
	return upstream.FailError
}

// connectFailed logs a failed connect as nginx does and classifies it. A
// timeout is logged by proxyTo, after the peer's release, as nginx logs
// it.
func (x *exchange) connectFailed(p *upstream.Peer, err error) upstream.Failure {
	if isTimeout(err) {
		return upstream.FailTimeout
	}
	var errno syscall.Errno
	errors.As(err, &errno)
	if len(p.Name) > 5 && p.Name[:5] == "unix:" {
		// A unix socket connects at once: nginx names the peer, at crit
		// unless the error is one of the "network" ones.
		lvl := levelCrit
		switch errno {
		case syscall.ECONNREFUSED, syscall.EAGAIN, syscall.ECONNRESET, syscall.ENETDOWN, syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.EHOSTUNREACH:
			lvl = levelError
		}
		x.logEvent(lvl, "connect() to "+p.Name+" failed", errnoText(err), "connecting to upstream")
		return upstream.FailError
	}
	x.logEvent(levelError, "connect() failed", errnoText(err), "connecting to upstream")
	return upstream.FailError
}
