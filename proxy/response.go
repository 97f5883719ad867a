package proxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
	"github.com/nginxws/nginxws/upstream"
)

// proxy is the content handler of a level with proxy_pass
// (ngx_http_proxy_handler and the upstream module): it reads the request
// body as nginx would, sends the request upstream, and relays the
// response.
func (x *exchange) proxy() {
	conf := x.conf
	plan := x.rt.plans[conf]
	if plan == nil {
		plan = newProxyPlan(conf)
	}
	if v := conf.ProxyCacheValue; v != nil && (x.methodCode == http1.MethodGET || x.methodCode == http1.MethodHEAD) {
		// ngx_http_upstream_cache_get: a zone chosen per request that no
		// proxy_cache_path declared fails the request (proxy_cache_methods'
		// default, GET and HEAD, only). A declared one nginx would use;
		// nginxws caches nothing, as -t warned.
		if zone := x.value(v); len(zone) > 0 && string(zone) != "off" && !x.rt.cfg.HTTP.ProxyCacheZones[string(zone)] {
			x.logEvent(levelError, `cache "`+string(zone)+`" not found`, "", "")
			x.finalize(500)
			return
		}
	}
	t, status := x.resolveTarget(conf.ProxyPass)
	if status != 0 {
		if status == 502 {
			// No resolver: nginx's upstream was set up, and ends.
			x.upstreamEnded()
		}
		x.finalize(status)
		return
	}
	if status := x.prepareBody(plan); status != 0 {
		if status > 0 {
			x.finalize(status)
		}
		return
	}

	// ngx_http_proxy_create_request runs once the client's body was
	// read: proxy_method and proxy_set_body (which may use
	// $request_body) are evaluated then.
	x.up.method = x.method
	if conf.ProxyMethod != nil {
		x.up.method = x.keep(x.value(conf.ProxyMethod))
	}
	x.up.setBody, x.up.hasSetBody = nil, conf.ProxySetBody != nil
	if x.up.hasSetBody {
		x.up.setBody = x.keep(x.value(conf.ProxySetBody))
	}

	hb := x.c.s.bufs.get(4096)
	defer func() { x.c.s.bufs.put(hb) }()
	uriStart := len(hb.b[:0])
	uri := x.appendUpstreamURI(hb.b[:0], t.uri, t.hasURI, t.vars)
	if len(uri) == uriStart {
		x.logEvent(levelError, "zero length URI to proxy", "", "")
		x.finalize(500)
		return
	}
	x.up.uri = x.keep(uri)
	if len(x.upInfo.States) > 0 {
		// A second upstream for the request (an error_page redirect):
		// nginx lists the groups' tries apart, " : ".
		x.upInfo.States = append(x.upInfo.States, directives.UpstreamState{})
	}
	head := x.appendUpstreamHead(hb.b[:0], plan, x.up.uri)
	hb.b = head
	if t.group == nil {
		x.logEvent(levelError, "no live upstreams", "", "connecting to upstream")
		x.upstreamEnded()
		x.finalize(502)
		return
	}
	x.proxyTo(t.group, head, plan)
}

// prepareBody decides how the request body goes upstream and reads it
// first when nginx would (proxy_request_buffering on, or a chunked body
// toward an HTTP/1.0 upstream, which gets Content-Length instead). It
// returns a status to answer with (negative: close without answering).
func (x *exchange) prepareBody(p *proxyPlan) int {
	b := &x.body
	if x.main != nil {
		// A subrequest's body is none, but its upstream is told the
		// main request's Content-Length
		// ($proxy_internal_body_length reads the shared headers_in).
		b.length = -1
		if !x.head.Chunked {
			b.length = x.head.ContentLength
		}
		return 0
	}
	x.testExpect()
	conf := x.conf
	if b.mem != nil || b.file != nil {
		// Read for an earlier attempt (an error_page redirect to a
		// proxied location): nginx sends the same body again.
		return 0
	}
	if b.consumed && x.hasBody() {
		// Streamed to an earlier upstream or discarded: nothing left.
		b.length = 0
		return 0
	}
	// proxy_set_body: the client's body is read whole and not sent
	// (nginx streams only what it passes on).
	setBody := conf.ProxySetBody != nil
	streamChunked := false
	if x.hasBody() && x.head.Chunked && !conf.ProxyRequestBuffering && p.version == 1001 && conf.ProxyPassRequestBody && !setBody {
		// nginx passes what came with the head through its chunked
		// filter before it contacts the upstream: a body broken there
		// is refused with 400, one a chunk takes over
		// client_max_body_size with 413 (the rest goes to the lingering
		// close).
		done, ok, data, big := http1.ScanChunkedMax(x.c.rd.Buffered(), conf.ClientMaxBodySize)
		if big > 0 {
			b.refusedData = data
			x.logEvent(levelError, "client intended to send too large chunked body: "+strconv.FormatInt(data, 10)+"+"+strconv.FormatInt(big, 10)+" bytes", "", "")
			b.refused = true
			b.tooLarge = true
			x.keepalive = false
			return 413
		}
		if !ok {
			b.refusedData = data
			x.logEvent(levelError, "client sent invalid chunked body", "", "")
			b.refused = true
			// Not discarded; the bad chunk is in header_in, so the
			// connection closes lingering (see clientBody.invalid).
			b.invalid, b.invalidPreread = true, true
			x.keepalive = false
			return 400
		}
		streamChunked = !done
	}
	switch {
	case !x.hasBody():
		x.startBody()
		if x.head.ContentLength == 0 && conf.ClientBodyInFileOnly != "off" {
			// ngx_http_request_body_save_filter: the empty body's last
			// buffer goes to a file as any other.
			if err := x.spill(nil); err != nil {
				return 500
			}
		}
		if x.head.ContentLength >= 0 {
			b.length = x.head.ContentLength
			// ngx_http_request_body_length_filter passes a last_buf
			// for Content-Length: 0, kept in rb->bufs: $request_body
			// is found, empty.
			x.info.RequestBody = []byte{}
		}
		return 0
	case streamChunked:
		// nginx streams a chunked body it has not read yet; one that
		// came whole with the head is read first and sent with a length.
		x.startBody()
		b.chunkedOut = true
		return 0
	case !x.head.Chunked && !conf.ProxyRequestBuffering && !setBody && !x.bodyPreread():
		// proxy_request_buffering off: streamed as it arrives. With it
		// on, nginx reads the whole body first (beyond
		// client_body_buffer_size into a temporary file), so that the
		// upstream sees no request until the client has sent it all.
		x.startBody()
		b.length = x.head.ContentLength
		return 0
	}
	if st := x.bufferBody(); st != 0 {
		return st
	}
	b.length = b.size
	return 0
}

// bodyPreread reports whether the whole body of known length came with
// the head as nginx reads it: ngx_http_read_client_request_body then
// calls its handler with request_body_no_buffering cleared, so even with
// proxy_request_buffering off the body is a buffered one ($request_body,
// retries).
func (x *exchange) bodyPreread() bool {
	x.startBody()
	return x.nginxPreread() >= x.head.ContentLength
}

// sendRequest writes the head and the body upstream, each write within
// proxy_send_timeout. It returns a status when the request could not be
// sent, and sets *upFail when the upstream is to blame (not the client's
// body).
func (x *exchange) sendRequest(uc net.Conn, head []byte, p *proxyPlan, upFail *upstream.Failure) int {
	conf := x.conf
	b := &x.body
	send := func(p []byte) error {
		setWriteDeadline(uc, conf.ProxySendTimeout)
		_, err := uc.Write(p)
		return err
	}
	fail := func(err error) int {
		if isTimeout(err) {
			// Logged by proxyTo after the peer's release, as nginx.
			*upFail = upstream.FailTimeout
			return 504
		}
		x.logEvent(levelError, "send() failed", errnoText(err), "sending request to upstream")
		*upFail = upstream.FailError
		return 502
	}
	if x.up.hasSetBody {
		// nginx writes proxy_set_body's value in the head's buffer.
		if err := send(append(head, x.up.setBody...)); err != nil {
			return fail(err)
		}
		return 0
	}
	passBody := conf.ProxyPassRequestBody
	// A small buffered body goes in the same write as the head.
	if passBody && b.mem != nil && b.file == nil && len(head)+len(b.mem.b) <= 16384 {
		if err := send(append(head, b.mem.b...)); err != nil {
			return fail(err)
		}
		return 0
	}
	if passBody && b.mem == nil && b.file == nil && !b.consumed && !b.chunkedOut {
		// A streamed body's bytes that came with the client's head go
		// in the same write as the request head, as nginx's output chain
		// (request_bufs with the preread body) does.
		if n := min(len(x.c.rd.Buffered()), 16384); n > 0 {
			out := slices.Grow(head, n)
			k, err := x.readSome(out[len(head) : len(head)+n])
			if err != nil && err != io.EOF {
				return x.bodyError(err)
			}
			head = out[:len(head)+k]
		}
	}
	if err := send(head); err != nil {
		return fail(err)
	}
	if !passBody {
		return 0
	}
	if b.mem != nil || b.file != nil {
		x.peer.hw = x.startHeadWait(upstreamNetConn(uc))
		return x.copyToUpstream(uc, x.bufferedBody(), fail, false)
	}
	if b.consumed {
		return 0
	}
	x.peer.hw = x.startHeadWait(upstreamNetConn(uc))
	return x.copyToUpstream(uc, readerFunc(x.readSome), fail, b.chunkedOut)
}

// upstreamNetConn is the connection under a peer connection, which the
// response head is read from.
func upstreamNetConn(uc net.Conn) net.Conn {
	if c, ok := uc.(*upstream.Conn); ok {
		return c.Conn
	}
	return uc
}

// readerFunc adapts a read method to io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// copyToUpstream sends a body, re-framed as chunks when chunked is set.
func (x *exchange) copyToUpstream(uc net.Conn, src io.Reader, fail func(error) int, chunked bool) int {
	b := x.c.s.bufs.get(16384)
	defer x.c.s.bufs.put(b)
	room := b.b[:cap(b.b)]
	for {
		off := 0
		if chunked {
			off = 10 // room for a hex size and CRLF
		}
		n, rerr := src.Read(room[off : len(room)-2])
		if rerr != nil && x.bodyStopped() {
			return 0
		}
		if n > 0 {
			out := room[off : off+n]
			if chunked {
				size := appendHex(nil, n)
				start := off - len(size) - 2
				copy(room[start:], size)
				room[off-2], room[off-1] = '\r', '\n'
				room[off+n], room[off+n+1] = '\r', '\n'
				out = room[start : off+n+2]
			}
			if err := x.sendBodyPart(uc, out); err != nil {
				if err == errBodyStopped {
					return 0
				}
				return fail(err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			var he *http1.Error
			if errors.As(rerr, &he) {
				return x.bodyError(rerr)
			}
			return fail(rerr)
		}
	}
	if chunked {
		if err := x.sendBodyPart(uc, []byte("0\r\n\r\n")); err != nil {
			if err == errBodyStopped {
				return 0
			}
			return fail(err)
		}
	}
	if x.bodyStopped() {
		return 0
	}
	x.peer.bodyDone = true
	return 0
}

// sendBodyPart writes p upstream within proxy_send_timeout. It gives up
// silently (errBodyStopped) when the upstream's answer came meanwhile.
func (x *exchange) sendBodyPart(uc net.Conn, p []byte) error {
	setWriteDeadline(uc, x.conf.ProxySendTimeout)
	if x.bodyStopped() {
		return errBodyStopped
	}
	_, err := uc.Write(p)
	if err != nil && x.bodyStopped() {
		return errBodyStopped
	}
	return err
}

// appendHex appends n in lower-case hexadecimal.
func appendHex(dst []byte, n int) []byte {
	const digits = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[n&0xf]
		n >>= 4
		if n == 0 {
			break
		}
	}
	return append(dst, tmp[i:]...)
}

// bodiless reports whether the upstream's response has no body to read
// (204, 304, a reply to HEAD, Content-Length 0): ngx_http_proxy_process_header
// marks such a connection reusable at the head, "to keep connections alive
// in case of r->header_only or X-Accel-Redirect", so that a response the
// request does not relay (an intercepted error, an X-Accel-Redirect) still
// leaves it to the keepalive pool.
func (x *exchange) bodiless() bool {
	return x.resp.Framing(directives.EqualFoldASCII(x.up.method, "head")) == http1.FramingNone
}

// relayResponse passes on a response whose head was read (readHead): a
// 101 to a client that asked to upgrade becomes a tunnel; an error status
// with proxy_intercept_errors and a matching error_page goes to that
// page; anything else is relayed with nginx's header rules. The peer is
// released (upstreamDone) as soon as its response is over, before
// anything else happens to the request, as nginx finalizes its upstream
// first.
func (x *exchange) relayResponse(uc net.Conn, p *proxyPlan) {
	conf := x.conf
	resp := x.resp
	if conf.ProxyInterceptErrors && resp.Status >= 300 && x.hasErrorPage(resp.Status) {
		if resp.Status == 401 {
			// ngx_http_upstream_intercept_errors keeps the upstream's
			// first challenge for the error page's response.
			if h, ok := firstHeader(resp.Headers, "www-authenticate"); ok {
				x.addChallenge(x.keep(h.Name), x.keep(h.Value))
			}
		}
		x.upstreamDone(x.bodiless())
		x.upstreamEnded()
		x.finalize(resp.Status)
		return
	}
	if v, ok := resp.Header("x-accel-redirect"); ok && conf.ProxyIgnoreHeaders&directives.IgnoreXAccelRedirect == 0 {
		// Even empty: nginx then finds the URI unsafe (404). A 101
		// redirects too: ngx_http_upstream_process_headers follows the
		// header before ngx_http_upstream_send_response would upgrade.
		x.upstreamDone(x.bodiless())
		x.accelRedirect(v)
		return
	}
	if resp.Status == 101 && x.hasUpgrade() {
		if x.main != nil {
			// ngx_http_upstream_upgrade refuses, and its NGX_ERROR
			// terminates the main request with no status.
			x.logEvent(levelError, "connection upgrade in subrequest", "", "reading response header from upstream")
			x.upstreamDone(false)
			x.status, x.broken, x.noLinger = 0, true, true
			return
		}
		x.upgrade(uc, p)
		return
	}
	buffering := x.peer.buffering
	x.copyResponseHead(p)
	headerOnly := x.isHead() || resp.Status == 204 || resp.Status == 304
	if !buffering && !headerOnly {
		// ngx_http_upstream_send_response: an unbuffered response is
		// never rate-limited. A header-only one (HEAD, 204, 304) ends
		// before that, and its head goes out at the limit_rate (or
		// X-Accel-Limit-Rate) it has.
		x.setLimitRate(0)
	}
	upHead := directives.EqualFoldASCII(x.up.method, "head")
	framing := resp.Framing(upHead)
	if resp.Version == 9 {
		// nginx relays what the upstream sent as is, with no head, and
		// keeps the client connection open afterwards. Its status is
		// none (r->headers_out.status 0): the access log says "009".
		framing = http1.FramingClose
		x.raw09 = true
		x.status = 9
		if upHead {
			framing = http1.FramingNone
		}
	}
	if framing == http1.FramingNone || x.headerOnly || x.isHead() {
		// nginx's header filter marks a HEAD request header-only (not
		// when the answer had no head), and the request ends before
		// its pipe starts. Otherwise the pipe runs for a body of
		// length 0 (204, 304, Content-Length 0, a reply to HEAD), and
		// bytes that came with the head are counted and warned about.
		if framing == http1.FramingNone && (!x.isHead() || x.raw09) {
			// Unbuffered, nginx passes the preread to its filter
			// before it changes its log's action.
			action := "reading upstream"
			if !buffering {
				action = "reading response header from upstream"
			}
			extra := x.unexpectedBody("upstream sent more data than specified in \"Content-Length\" header", action)
			if n := len(x.upInfo.States); n > 0 {
				x.upInfo.States[n-1].ResponseLength = extra
			}
		}
		x.upstreamDone(framing == http1.FramingNone)
		x.upstreamEnded()
		x.sendWhole(nil)
		return
	}
	x.relayBody(uc, framing, buffering)
}

// unexpectedBody warns (msg) about bytes that followed a response body,
// or came where none was expected, in the upstream's buffer, as nginx's
// pipe input filters do, and returns how many there are. They count in
// $upstream_response_length (nginx's pipe read them), and the connection
// is not reused (upstreamDone sees them buffered).
func (x *exchange) unexpectedBody(msg, action string) int64 {
	extra := int64(len(x.ur.Buffered()))
	if extra > 0 {
		x.logEvent(levelWarn, msg, "", action)
	}
	return extra
}

// responseHeadSize is the size of an upstream response head as received
// (for $upstream_bytes_received).
func responseHeadSize(r *http1.Response) int64 {
	return r.HeadSize
}

// accelRedirectHeaders are the upstream headers an X-Accel-Redirect
// carries over to the response of the redirect (the "redirect" entries
// of ngx_http_upstream_headers_in).
var accelRedirectHeaders = []string{"content-type", "set-cookie", "content-disposition", "cache-control", "expires", "accept-ranges"}

// accelRedirect follows an upstream's X-Accel-Redirect, once the caller
// has ended the upstream try (its connection kept when the response had
// no body): a few of its headers are kept, and the request is
// redirected internally to the URI (or named location) it names, with GET
// unless it is a HEAD — nginx's way for a backend to have a protected
// location served.
func (x *exchange) accelRedirect(v []byte) {
	x.carry = x.carry[:0]
	for i := range x.resp.Headers {
		h := &x.resp.Headers[i]
		for _, n := range accelRedirectHeaders {
			if h.Is(n) {
				value := h.Value
				// Its copy handler rewrites a Set-Cookie as for any
				// response (ngx_http_upstream_rewrite_set_cookie).
				if n == "set-cookie" && hasCookieRules(x.conf) {
					if v, ok := x.rewriteCookie(value); ok {
						value = v
					}
				}
				x.carry = append(x.carry, http1.Header{Name: x.keep(h.Name), Value: x.keep(value)})
				break
			}
		}
	}
	uri := x.keep(v)
	if len(uri) > 0 && uri[0] == '@' {
		name := string(uri[1:])
		if x.srv.named[name] == nil {
			// Said while the request is still reading the upstream's
			// head, as nginx's connection log says it.
			x.logEvent(levelError, `could not find named location "@`+name+`"`, "", "reading response header from upstream")
			x.finalize(500)
			return
		}
		x.namedLocation(name)
		return
	}
	var args []byte
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri, args = uri[:i], uri[i+1:]
	}
	if !safeURI(uri) {
		x.logEvent(levelError, `unsafe URI "`+string(uri)+`" was detected`, "", "reading response header from upstream")
		x.finalize(404)
		return
	}
	if bytes.IndexByte(uri, '%') >= 0 {
		uri = x.keep(unescapeURI(uri))
		if !safeURI(uri) {
			x.logEvent(levelError, `unsafe URI "`+string(uri)+`" was detected`, "", "reading response header from upstream")
			x.finalize(404)
			return
		}
	}
	if !x.isHead() {
		x.method, x.methodCode = []byte("GET"), methodGET
	}
	x.internalRedirect(uri, args, args != nil)
}

// safeURI is ngx_http_parse_unsafe_uri's test: not empty, no NUL, no ".."
// segment.
func safeURI(u []byte) bool {
	if len(u) == 0 || u[0] == '?' {
		return false
	}
	if u[0] == '.' && len(u) > 1 && u[1] == '.' && (len(u) == 2 || u[2] == '/') {
		return false
	}
	for i, c := range u {
		if c == 0 {
			return false
		}
		if c == '/' && len(u)-i > 2 && u[i+1] == '.' && u[i+2] == '.' && (len(u)-i == 3 || u[i+3] == '/') {
			return false
		}
	}
	return true
}

// unescapeURI decodes %XX escapes as ngx_unescape_uri with no type: a
// "%" not followed by a hex digit is dropped, and a "%X" not followed by a
// second one is dropped with the byte after it.
func unescapeURI(src []byte) []byte {
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); i++ {
		if src[i] != '%' {
			out = append(out, src[i])
			continue
		}
		if i+1 >= len(src) {
			break
		}
		hi, ok := unhexByte(src[i+1])
		if !ok {
			out = append(out, src[i+1])
			i++
			continue
		}
		if i+2 >= len(src) {
			break
		}
		if lo, ok := unhexByte(src[i+2]); ok {
			out = append(out, hi<<4|lo)
		}
		i += 2
	}
	return out
}

// hasUpgrade reports whether the client asked to switch protocols.
func (x *exchange) hasUpgrade() bool {
	_, ok := x.head.Header("upgrade")
	return ok
}

// hasErrorPage reports whether the level has an error_page for status
// (ngx_http_upstream_intercept_errors).
func (x *exchange) hasErrorPage(status int) bool {
	for _, ep := range x.conf.ErrorPages {
		for _, c := range ep.Codes {
			if c == status {
				return true
			}
		}
	}
	return false
}

// upstreamHeadError logs a failure to read the response head as nginx
// does and returns the status to answer with.
func (x *exchange) upstreamHeadError(err error) int {
	const action = "reading response header from upstream"
	var he *http1.Error
	if !errors.As(err, &he) {
		x.logEvent(levelError, "recv() failed", errnoText(err), action)
		return 502
	}
	switch {
	case he.Status == 504:
		x.logEvent(levelError, "upstream timed out", "110: Connection timed out", action)
	case he.Err != nil && errors.Is(he.Err, io.ErrUnexpectedEOF):
		x.logEvent(levelError, he.Msg, "", action)
	case he.Err != nil:
		x.logEvent(levelError, he.Msg, errnoText(he.Err), action)
	default:
		x.logEvent(levelError, upstreamMsg(he.Msg), "", action)
	}
	return he.Status
}

// upstreamHeadHandlers does to the request what nginx's upstream header
// handlers (ngx_http_upstream_headers_in) do as the head is parsed, before
// anything is decided about the response: X-Accel-Limit-Rate fixes the
// request's rate (ngx_http_upstream_process_limit_rate), X-Accel-Charset
// its override charset (ngx_http_upstream_process_charset). Both hold for
// whatever is then sent: the upstream's response, the target of its
// X-Accel-Redirect, an intercepted error's page (restartResponse keeps
// the override charset, as an internal redirect keeps r->headers_out),
// the next peer's answer. X-Accel-Buffering "yes" or "no" sets the
// buffering of this upstream run (ngx_http_upstream_process_buffering's
// u->buffering), which a try that proxy_next_upstream skips leaves to
// the next.
func (x *exchange) upstreamHeadHandlers() {
	ignore := x.conf.ProxyIgnoreHeaders
	for i := range x.resp.Headers {
		h := &x.resp.Headers[i]
		switch {
		case h.Is("x-accel-buffering") && ignore&directives.IgnoreXAccelBuffering == 0:
			switch {
			case directives.EqualFoldASCII(h.Value, "yes"):
				x.peer.buffering = true
			case directives.EqualFoldASCII(h.Value, "no"):
				x.peer.buffering = false
			}
		case h.Is("x-accel-limit-rate") && ignore&directives.IgnoreXAccelLimitRate == 0:
			x.xAccelLimitRate(h.Value)
		case h.Is("x-accel-charset") && ignore&directives.IgnoreXAccelCharset == 0:
			x.out.overrideCharset = x.keep(h.Value)
		}
	}
}

// copyResponseHead fills the client's response head from the upstream's
// (ngx_http_upstream_process_headers with ngx_http_upstream_headers_in's
// handlers): hidden headers dropped, Content-Type and Content-Length moved
// to their places, hop-by-hop headers dropped, Location and Refresh
// rewritten by proxy_redirect, Set-Cookie by the proxy_cookie_* rules, the
// rest kept in order and case.
func (x *exchange) copyResponseHead(p *proxyPlan) {
	resp := x.resp
	o := &x.out
	x.status = resp.Status
	o.statusLine = resp.StatusLine
	x.disableNotModified = true
	o.action = "reading response header from upstream"
	o.contentLength = resp.ContentLength
	if resp.Chunked {
		o.contentLength = -1
	}
	for i := range resp.Headers {
		h := &resp.Headers[i]
		if p.hides(h.Name) {
			continue
		}
		switch {
		case h.Is("content-type"):
			o.setUpstreamContentType(h.Value)
			continue
		case h.Is("content-length"), h.Is("connection"), h.Is("keep-alive"), h.Is("transfer-encoding"):
			continue
		case h.Is("server"):
			o.serverSet = true
		case h.Is("date"):
			o.dateSet = true
		case h.Is("location"):
			if v, ok := x.rewriteRedirect(p, h.Value, 0); ok {
				o.add(h.Name, v)
				o.locPos = len(o.headers)
				o.location = v
				continue
			}
		case h.Is("set-cookie"):
			if hasCookieRules(x.conf) {
				if v, ok := x.rewriteCookie(h.Value); ok {
					o.add(h.Name, v)
					continue
				}
			}
		case h.Is("refresh"):
			if i := indexFold(h.Value, "url="); i >= 0 {
				if v, ok := x.rewriteRedirect(p, h.Value, i+4); ok {
					o.add(h.Name, v)
					continue
				}
			}
		}
		o.add(h.Name, h.Value)
	}
	// ngx_http_proxy_process_header adds an empty Server and Date to the
	// upstream's headers when it sent none; passed (proxy_pass_header),
	// the empty one becomes headers_out.server (date) with its hash
	// cleared: not written, yet the header filter then writes no Server
	// (Date) of its own either. An HTTP/0.9 answer has no header part.
	if resp.Version != 9 {
		o.serverSet = o.serverSet || p.passServer
		o.dateSet = o.dateSet || p.passDate
	}
}

// indexFold returns the index of the lower-case ASCII s in b, ignoring
// case, or -1.
func indexFold(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if directives.EqualFoldASCII(b[i:i+len(s)], s) {
			return i
		}
	}
	return -1
}

// relayBody copies the upstream's body to the client.
//
// With proxy_buffering off every read is sent at once, the head first and
// right away, so that a stream such as server-sent events reaches the
// client as it is produced. With it on, data goes out in whole
// proxy_buffers-sized blocks, and at the end: like nginx's event pipe,
// which hands a buffer to the client side only once it is full, and holds
// the head back with the first of them (postpone_output), so that a body
// that fails before the first block leaves the client with nothing but a
// closed connection.
func (x *exchange) relayBody(uc net.Conn, framing http1.Framing, buffering bool) {
	x.upBody = 0
	x.endApart = true
	var lr http1.LengthReader
	var cr http1.ChunkedReader
	conf := x.conf
	up := x.ur
	// What came with the head (nginx's preread): counted in
	// resp.Received already.
	preread := int64(len(up.Buffered()))
	// past counts the bytes beyond a Content-Length body that nginx's
	// last read would have taken from the socket with it.
	past := int64(0)
	defer func() {
		if n := len(x.upInfo.States); n > 0 {
			// nginx counts the bytes its pipe read (read_length), a
			// chunked body's framing and what followed the body in
			// the same reads included; those beyond the preread are
			// added to what the head's reads brought.
			body := x.upBody
			if framing == http1.FramingChunked {
				body = cr.RawSize()
			}
			body += int64(len(up.Buffered())) + past
			x.upInfo.States[n-1].ResponseLength = body
			x.upInfo.States[n-1].BytesReceived = x.resp.Received + max(body-preread, 0)
		}
	}()
	var body http1.Source = up
	probe := !buffering && x.peer.conn != nil
	if buffering && x.resp.HeadSize == conf.ProxyBufferSize && preread == 0 {
		// A head that filled proxy_buffer_size to its last byte: nginx's
		// event pipe starts with that buffer, full, and its first read
		// into it (readv of no bytes) returns 0, taken as the upstream's
		// end of file: a body of unknown length ends empty, one of a
		// known length or chunked is cut short ("upstream prematurely
		// closed connection while reading upstream"). Unbuffered, nginx
		// reads it.
		body = exhaustedSource{}
	}
	// Unbuffered, a read that starts in the preread may go on to the
	// socket (a chunked body cut inside its framing): an end of file or
	// a failed recv found there is nginx's next read, made by its
	// downstream handler at once if the upstream was ready when the
	// preread was used up, else by the upstream's read event.
	var edge *prereadEdge
	if !buffering && probe && preread > 0 {
		edge = &prereadEdge{Source: body, up: up, conn: x.peer.conn}
		body = edge
	}
	var src io.Reader
	switch framing {
	case http1.FramingLength:
		lr.Reset(body, x.resp.ContentLength, true)
		src = &lr
	case http1.FramingChunked:
		cr.Reset(body, 0, true)
		src = &cr
	default:
		src = body
	}
	block := max(int(conf.ProxyBufferSize), 1024)
	size := block
	if buffering {
		block = max(int(conf.ProxyBuffers.Size), 1024)
		size = max(block, int(min(int64(conf.ProxyBuffers.Num)*conf.ProxyBuffers.Size, 64<<10)))
		size -= size % block
	}
	b := x.c.s.bufs.get(size)
	defer x.c.s.bufs.put(b)
	room := b.b[:size]
	n := 0
	// send writes room[:k] (with the head, the first time) and keeps
	// the rest at the front.
	send := func(k int) bool {
		var err error
		if !x.headerSent {
			err = x.sendHead(room[:k])
		} else {
			err = x.writeBody(room[:k])
		}
		n = copy(room, room[k:n])
		return err == nil
	}
	// Buffered, the relay follows nginx's event pipe. The body is read
	// into buffers: the first is the one the head was read into
	// (proxy_buffer_size, less the head), then proxy_buffers-sized ones.
	// A buffer goes to the input filter, and so may go out, once it is
	// full (bufEnd, in raw upstream bytes); for a chunked body also once
	// it holds the least the chunk parser wants to see (need, p->length
	// from the parser's state when it last ran: "0" LF LF before the
	// first), after which reading goes on in a new buffer (bufStart).
	// What was filtered (bytes at the front of room) is written
	// only when the upstream has nothing more to read at once, or room
	// is full: nginx reads all that is there before it writes, so a
	// failure found in the same go leaves the client with nothing of
	// it.
	bufStart, bufEnd := int64(0), int64(block)
	if first := conf.ProxyBufferSize - x.resp.HeadSize; first > 0 {
		bufEnd = first
	}
	// marks are where, in room, each filtered buffer's data ends: the
	// pipe writes whole buffers, at most proxy_busy_buffers_size of them
	// per output call (one chunk each to a chunked client).
	need := int64(3)
	var marks []int
	busy := int(conf.ProxyBusyBuffersSize)
	if busy <= 0 {
		busy = 2 * block
	}
	// A client that takes nothing while every buffer is full: nginx's
	// pipe writes the buffers to a temporary file (within
	// proxy_max_temp_file_size) and reads on; the file goes out first
	// once the client takes data again.
	var spill *respSpill
	var spillBuf []byte
	defer func() { spill.close() }()
	maxTemp := conf.ProxyMaxTempFileSize()
	mustSpill := func() bool {
		return buffering && maxTemp > 0 && x.headerSent && !x.headerOnly && n == len(room) && len(marks) > 0 &&
			(spill == nil || spill.written+int64(marks[len(marks)-1]) <= maxTemp) && !x.clientReady()
	}
	flush := func() bool {
		for {
			if mustSpill() {
				k := marks[len(marks)-1]
				if !x.spillResponse(&spill, room[:k]) {
					return false
				}
				n = copy(room, room[k:n])
				marks = marks[:0]
				if spillBuf == nil {
					spillBuf = make([]byte, block)
				}
				return true
			}
			if !spill.pending() {
				break
			}
			if !x.sendSpilled(spill, spillBuf, mustSpill) {
				return false
			}
		}
		for len(marks) > 0 {
			// The grouping shows only in a chunked client's chunk
			// sizes; otherwise all goes in one write.
			i := len(marks)
			if x.out.chunked || !x.headerSent {
				i = 1
				for i < len(marks) && marks[i] <= busy {
					i++
				}
			}
			k := marks[i-1]
			if !send(k) {
				return false
			}
			marks = marks[i:]
			for j := range marks {
				marks[j] -= k
			}
		}
		return true
	}
	filter := func() {
		if n > 0 && (len(marks) == 0 || marks[len(marks)-1] < n) {
			marks = append(marks, n)
		}
		need = cr.MinLength()
	}
	raw := func() int64 {
		if framing == http1.FramingChunked {
			return cr.RawSize()
		}
		return x.upBody
	}
	// Unbuffered, nginx marks every piece of the body for flushing.
	x.flushBody = !buffering
	if !buffering && len(up.Buffered()) == 0 {
		if x.sendHead(nil) != nil {
			return
		}
	}
	// A body that takes more than one read may take long (a stream):
	// the client is watched meanwhile, as nginx watches it while it
	// waits for the upstream, so that one that leaves ends the request.
	var watch *abortWatch
	defer func() { watch.stop() }()
	// The read timer goes on from the one set when the request was sent
	// (readTimer).
	timer := readTimer{d: conf.ProxyReadTimeout}
	if i := len(x.upInfo.States) - 1; i >= 0 && timer.d > 0 {
		timer.at = x.upStart.Add(x.upInfo.States[i].ConnectTime).Add(timer.d)
	}
	// waited is set once a read had to wait for the upstream: what
	// nginx's log says about a failure depends on it (bodyAction).
	// Whether the next read will wait is looked at right after a read,
	// before its bytes go to the client (ready, checked): nginx reads
	// the upstream again as soon as it has written them, and a client
	// that answers what it got must not make the difference.
	waited, ready, checked := false, false, false
	// resumed is set once a read that waited brought bytes: nginx's
	// upstream read event handled them.
	resumed := false
	for reads := 0; ; reads++ {
		if reads == 1 || (reads == 0 && len(up.Buffered()) == 0) {
			// Also the first read, when it has to go to the socket: a
			// body that is slow to start is a wait like any other.
			watch = x.watchClient(uc)
		}
		fromPreread := len(up.Buffered()) > 0
		if probe && !fromPreread && !waited {
			if !checked {
				ready = x.peer.conn.Ready()
			}
			waited = !ready
		}
		checked = false
		action := bodyAction(buffering, fromPreread, waited)
		limit := len(room)
		if buffering && framing == http1.FramingChunked {
			// A read does not cross the end of nginx's buffer: where
			// it ends in the decoded data is known only there.
			limit = n + int(min(int64(len(room)-n), bufEnd-raw()))
		}
		timer.arm(uc)
		if edge != nil {
			// Only a read that starts in the preread is probed: a later
			// look could take a reset's error off the socket.
			edge.active = fromPreread
		}
		k, err := src.Read(room[n:limit])
		if probe && !waited && err == nil && len(up.Buffered()) == 0 {
			ready, checked = x.peer.conn.Ready(), true
		}
		n += k
		x.upBody += int64(k)
		if waited && k > 0 {
			resumed = true
		}
		done := err == io.EOF || (framing == http1.FramingLength && lr.Remaining() == 0)
		if framing == http1.FramingClose && err != nil && errors.Is(err, io.ErrUnexpectedEOF) {
			done = true
		}
		if err != nil && !done {
			if watch.stop() {
				// The watch closed the upstream connection: the client
				// left (ngx_http_upstream_check_broken_connection), said
				// with the action nginx's connection has then: its
				// pipe's, or the unbuffered relay's.
				// Unbuffered, nginx's connection still says "sending
				// to client" when the preread went out from its
				// downstream handler and no upstream read event came
				// since; without a preread, its upstream handler read
				// at once (ngx_http_upstream_send_response).
				action := "reading upstream"
				if !buffering && preread > 0 && !resumed {
					action = "sending to client"
				}
				x.clientGone(action)
				return
			}
			if x.c.s.cutting() {
				// A shutdown closed the upstream connection (cut.go).
				x.cutShort()
				return
			}
			// An upstream that closes early: what arrived still goes
			// out (nginx flushes its pipe on upstream EOF or error).
			// Invalid framing aborts at once, and so does a timeout
			// (ngx_http_upstream_process_upstream does not run the
			// pipe then): a buffered body's data stays unsent, only
			// the head goes out.
			var he *http1.Error
			switch {
			case errors.As(err, &he) && he.Err == nil:
			case buffering && isTimeout(err):
				if !x.headerSent {
					n = 0
					send(0)
				}
			case n > 0 || !x.headerSent:
				if x.sendSpilled(spill, spillBuf, nil) {
					send(n)
				}
			}
			// nginx's upstream finalizer flushes what was sent
			// (NGX_HTTP_FLUSH): the compressor gives up what it holds.
			x.gzipFlush()
			if fe := (*http1.Error)(nil); fromPreread && edge != nil && edge.probed && (!errors.As(err, &fe) || fe.Err != nil) {
				// Not a framing error found in the preread.
				action = bodyAction(false, false, !edge.ready)
			}
			x.upstreamBodyError(err, action, buffering)
			x.broken = true
			return
		}
		if done {
			// The upstream's part is over before the last write: read
			// to the end its framing announced, its connection may be
			// kept (not when more bytes came after the body, which
			// nginx's input filters warn about).
			switch framing {
			case http1.FramingLength:
				const msg = "upstream sent more data than specified in \"Content-Length\" header"
				if x.unexpectedBody(msg, action) == 0 && x.peer.conn != nil {
					if past = int64(x.peer.conn.Peek(room[n:])); past > 0 {
						x.logEvent(levelWarn, msg, "", action)
						x.peer.keep = false
					}
				}
			case http1.FramingChunked:
				_ = x.unexpectedBody("upstream sent data after final chunk", action)
			}
			x.upstreamDone(framing != http1.FramingClose)
			if !x.sendSpilled(spill, spillBuf, nil) {
				return
			}
			if (n > 0 || !x.headerSent) && !send(n) {
				return
			}
			_ = x.endBody()
			return
		}
		if !buffering {
			if n > 0 && !send(n) {
				return
			}
			continue
		}
		switch r := raw(); {
		case framing != http1.FramingChunked:
			// Raw bytes are the data: every buffer the read filled
			// is filtered.
			base := r - int64(n)
			for ; r >= bufEnd; bufStart, bufEnd = bufEnd, bufEnd+int64(block) {
				if m := int(bufEnd - base); m > 0 && (len(marks) == 0 || marks[len(marks)-1] < m) {
					marks = append(marks, m)
				}
			}
		case r >= bufEnd:
			bufStart, bufEnd = bufEnd, bufEnd+int64(block)
			filter()
		case r-bufStart >= need:
			// Each whole chunk reaches the client as it arrives
			// (server-sent events).
			bufStart, bufEnd = r, r+int64(block)
			filter()
		}
		if n == len(room) && len(marks) == 0 {
			// room is smaller than nginx's buffer (proxy_buffer_size
			// over what proxy_buffers give): what it holds goes out.
			marks = append(marks, n)
		}
		if len(marks) > 0 && (n == len(room) || x.peer.conn == nil || !x.peer.conn.Ready()) && !flush() {
			return
		}
	}
}

// prereadEdge is an unbuffered body's source while the bytes that came
// with the head last: it notes, when a read first goes past them to the
// socket, whether the upstream had something ready then (nginx's
// rev->ready after the head's recv, which decides whether its downstream
// handler reads on at once).
type prereadEdge struct {
	http1.Source
	up            *http1.Reader
	conn          *upstream.Conn
	active        bool // the body read under way started in the preread
	probed, ready bool
}

func (p *prereadEdge) Read(b []byte) (int, error) {
	if p.active && !p.probed && len(p.up.Buffered()) == 0 {
		p.probed, p.ready = true, p.conn.Ready()
	}
	return p.Source.Read(b)
}

// exhaustedSource is an upstream body source at its end of file.
type exhaustedSource struct{}

func (exhaustedSource) Read([]byte) (int, error) { return 0, io.EOF }
func (exhaustedSource) Unread([]byte)            {}

// readTimer is nginx's upstream read timer as ngx_add_timer moves it: a
// new expiry less than timerLazyDelay away from the one set leaves it
// where it is. So a proxy_read_timeout of 300ms or less is never put off
// by a trickling body, and a head that came early leaves the body what
// remains of the timer set when the request was sent.
type readTimer struct {
	d   time.Duration
	at  time.Time // the expiry set (or, before set, the head's)
	set bool
}

// arm sets c's read deadline as nginx would re-arm its timer now.
func (t *readTimer) arm(c net.Conn) {
	if t.d <= 0 {
		return
	}
	next := time.Now().Add(t.d)
	if !t.at.IsZero() {
		if diff := next.Sub(t.at); diff < timerLazyDelay && diff > -timerLazyDelay {
			if t.set {
				return
			}
			next = t.at
		}
	}
	t.at, t.set = next, true
	_ = c.SetReadDeadline(next)
}

// bodyAction is the action nginx's error log names while it reads an
// upstream body. Buffered, its pipe always says "reading upstream".
// Unbuffered (ngx_http_upstream_send_response and the non-buffered
// handlers, which share the client connection's log), the bytes that
// came with the head are filtered while it still says "reading response
// header from upstream"; the reads that follow at once, before any wait,
// happen in the downstream handler ("sending to client"); a read event
// of the upstream says "reading upstream".
func bodyAction(buffering, fromPreread, waited bool) string {
	switch {
	case buffering || waited:
		return "reading upstream"
	case fromPreread:
		return "reading response header from upstream"
	}
	return "sending to client"
}

// upstreamBodyError logs a failure while reading the upstream's body,
// with the action bodyAction gave (a timeout always comes from the
// upstream's read event). A failed read is named by the call nginx made:
// its pipe reads with readv() (recv_chain), the unbuffered relay with
// recv().
func (x *exchange) upstreamBodyError(err error, action string, buffering bool) {
	var he *http1.Error
	switch {
	case isTimeout(err):
		x.logEvent(levelError, "upstream timed out", "110: Connection timed out", "reading upstream")
	case errors.As(err, &he) && he.Err != nil && errors.Is(he.Err, io.ErrUnexpectedEOF):
		x.logEvent(levelError, "upstream prematurely closed connection", "", action)
	case errors.As(err, &he) && he.Err == nil:
		x.logEvent(levelError, he.Msg, "", action)
	case buffering:
		x.logEvent(levelError, "readv() failed", errnoText(err), action)
	default:
		x.logEvent(levelError, "recv() failed", errnoText(err), action)
	}
}
