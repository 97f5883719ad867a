package proxy

import (
	"net/netip"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// maxURIChanges is NGX_HTTP_MAX_URI_CHANGES: how many times a request may
// be rewritten or internally redirected before nginx gives up with 500.
const maxURIChanges = 10

// exchange is one request on a client connection and its response
// (nginx's ngx_http_request_t). It lives inside its conn and is reset for
// each request, so serving a request allocates little.
type exchange struct {
	// main is set on a subrequest (authrequest.go): the request it
	// serves (nginx's r->main); nil on a main request.
	main *exchange
	c    *conn
	rt   *runtime
	ac   *addrConf
	srv  *vserver
	head *http1.Request
	resp *http1.Response
	// ur reads the upstream's response; it is reset onto each upstream
	// connection.
	ur *http1.Reader
	// start is when the request began, for $request_time.
	start time.Time
	// logging is set while the access log lines are made: nginx's log
	// action then is "logging request".
	logging bool
	// realip is the connection as the realip module left it for the
	// request (realip.Realip set: Remote is the address it took), with
	// realipText, its text (realip.go).
	realip     directives.ConnInfo
	realipText string
	// limitStatus is $limit_conn_status, set once per request (nginx's
	// r->main->limit_conn_status); limitHeld are the limit_conn counts
	// the request holds (limitconn.go).
	limitStatus    uint8
	limitReqStatus uint8
	limitHeld      []limitHold
	// statReading and statWriting tell which of the stub_status
	// counters counts the request now (nginx's r->stat_reading and
	// r->stat_writing).
	statReading, statWriting bool

	// The request as the phases see it: method, $uri and $args, which
	// rewrites and internal redirects change.
	method     []byte
	methodCode http1.Method
	uri, args  []byte
	internal   bool
	// emptyArgs: the request line's empty arguments are found all the
	// same (http1.Request.EmptyArgsFound), until args change.
	emptyArgs bool
	// validUnparsedURI tells whether the request line's URI still
	// describes the request (no rewrite or internal redirect), so that
	// proxy_pass without a URI part may send it unchanged.
	validUnparsedURI bool
	// validLocation is nginx's r->valid_location: proxy_pass with a URI
	// part replaces the location's prefix only while it is set.
	validLocation bool
	quotedURI     bool
	uriChanges    int
	// uriChanged is set by a rewrite that changed the URI: the location
	// is searched again.
	uriChanged bool

	loc  *location
	conf *directives.LocConf
	// vs is the request's variable state (values, captures), borrowed
	// from the server's pool for the request.
	vs *directives.State
	// info and upInfo are what the variable engine reads about the
	// request and its proxying (see Info and Upstream).
	info    directives.RequestInfo
	upInfo  directives.UpstreamInfo
	proxied bool
	// disableNotModified is nginx's r->disable_not_modified, set once an
	// upstream's response head became the response (without
	// proxy_cache, no upstream response is cacheable): the not-modified
	// filter leaves it alone.
	disableNotModified bool
	// upRead is set once an upstream response head has been read, or
	// begun: resp's header lines are then what nginx's u->headers_in
	// holds, $upstream_http_* included; those parsed before a head
	// failed (an invalid or too big header, a timeout, a close) stay, as
	// nginx keeps them. A retry's connection clears them
	// (ngx_http_upstream_reinit).
	upRead bool
	// upStart is when the current upstream try began; upBody counts the
	// response body bytes read from it.
	upStart time.Time
	upBody  int64
	// peer is the request's way through its upstream group: the peers
	// tried, the current connection (balance.go).
	peer peerTry
	// carry are the upstream headers an X-Accel-Redirect keeps for the
	// redirected request's response.
	carry []http1.Header

	// challenges are the WWW-Authenticate headers the access phase set
	// (auth_basic, auth_request), kept across internal redirects;
	// challengePos is the last one's place in out.headers + 1 while it is
	// there (0: none), for "satisfy any" to drop it (authrequest.go).
	challenges   []http1.Header
	challengePos int
	// action is the log action of lines logged without one of their
	// own: nginx's connection keeps the last it was given, which after a
	// proxied subrequest is "sending to client" until an internal
	// redirect clears it.
	action string

	// errorPage is set once an error_page redirect was taken, so that an
	// error in the page's own request gets the built-in page
	// (recursive_error_pages off).
	errorPage bool
	// errStatus is nginx's r->err_status: the status the response goes out
	// with whatever the serving handler sets (error_page =code, 494 sent
	// as 400).
	errStatus    int
	keepalive    bool
	lingering    bool
	noLinger     bool
	expectTested bool
	body         clientBody

	// The response.
	headerSent bool
	headerOnly bool
	status     int
	out        outHeaders
	// bytesSent counts every byte written to the client; headerSize the
	// head's share of it.
	bytesSent, headerSize int64
	// limit is the response's limit_rate pacing.
	limit         rateLimit
	requestLength int64
	// broken is set when the response could not be completed: the
	// connection must close.
	broken bool
	// writeFailed is set when a write to the client failed; completed,
	// set as the request ends, is nginx's r->request_complete (see
	// finish).
	writeFailed, completed bool
	// aborted is set when the request ended because the client left
	// while it waited for its upstream (clientGone).
	aborted bool
	// raw09 is set for an upstream answer without a status line, relayed
	// as is (nginx's r->http_version = 9).
	raw09 bool
	// gz is the body's compression when the gzip filter took the
	// response (gzip.go); flushBody makes each piece of the body go out
	// at once, as nginx's flush flag does for an unbuffered upstream.
	gz        *gzipStream
	flushBody bool
	// subFilter is the body's sub_filter state when the sub filter took
	// the response (sub.go).
	subFilter *subStream
	// endApart is set for a proxied body: nginx's upstream module ends
	// it with an empty last buffer of its own, apart from the data.
	endApart bool

	up upstreamInfo

	// scratch is a reusable evaluation buffer; arena holds byte slices
	// that must stay valid for the whole request (evaluated values,
	// rewritten headers).
	scratch []byte
	arena   []byte
}

// upstreamInfo is what the request knows about its upstream, for
// variables and log lines.
type upstreamInfo struct {
	addr   string
	uri    []byte
	status int
	// secure is set for "proxy_pass https://": the peers are spoken to
	// over TLS (upstream_tls.go); host is the URL's host, the default
	// proxy_ssl_name.
	secure bool
	host   string
	// method is the method sent upstream (proxy_method's, or the
	// client's); setBody is proxy_set_body's value, sent instead of the
	// client's body when hasSetBody.
	method     []byte
	setBody    []byte
	hasSetBody bool
	// local is proxy_bind's address for the request's upstream
	// connections (not valid: none); localName as nginx names it.
	local     netip.AddrPort
	localName string
}

// begin resets x for a new request, read into c.rs.head.
func (x *exchange) begin(c *conn, rt *runtime, ac *addrConf) {
	*x = exchange{
		c:          c,
		rt:         rt,
		ac:         ac,
		head:       &c.rs.head,
		resp:       &c.rs.resp,
		ur:         c.rs.up,
		start:      time.Now(),
		scratch:    x.scratch[:0],
		upInfo:     directives.UpstreamInfo{States: x.upInfo.States[:0]},
		carry:      x.carry[:0],
		challenges: x.challenges[:0],
		limitHeld:  x.limitHeld[:0],
		arena:      x.arena[:0],
		out:        outHeaders{headers: x.out.headers[:0], tail: x.out.tail[:0], contentLength: -1},
		body:       clientBody{length: -1},
	}
	x.uriChanges = maxURIChanges + 1
	// $pipe: the request was read from bytes the previous one left
	// (nginx's r->pipeline, set in ngx_http_set_keepalive).
	x.info.Pipelined = c.pipelined
	// The configuration's logs stay open until the request ends
	// (release).
	rt.acquire()
	x.srv, _ = c.entry(ac)
	h := x.head
	x.method, x.methodCode = h.MethodName, h.Method
	x.uri, x.args = h.Path, h.Args
	x.emptyArgs = h.EmptyArgsFound
	x.quotedURI = h.QuotedURI
	x.validUnparsedURI = !h.EmptyPathInURI
	x.keepalive = h.KeepAlive
	x.requestLength = headLength(h)
	c.info.Requests = c.requests
	x.vs = c.s.getState()
	var eng *directives.Engine
	if rt.cfg.HTTP != nil {
		eng = rt.cfg.HTTP.Engine()
	}
	x.vs.Reset(eng, x)
}

// headLength is the size of a request head as received, for
// $request_length: nginx's count of the request line and header lines
// read (proxy/http1's HeadLength).
func headLength(h *http1.Request) int64 { return h.HeadLength }

// keep copies b into the request's arena and returns the copy, valid until
// the request ends. When the arena is full a new one is started; slices
// into the old one stay valid.
func (x *exchange) keep(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if cap(x.arena)-len(x.arena) < len(b) {
		x.arena = make([]byte, 0, max(2*cap(x.arena), len(b), 512))
	}
	start := len(x.arena)
	x.arena = append(x.arena, b...)
	return x.arena[start:len(x.arena):len(x.arena)]
}

// keepString is keep for a string.
func (x *exchange) keepString(s string) []byte {
	if cap(x.arena)-len(x.arena) < len(s) {
		x.arena = make([]byte, 0, max(2*cap(x.arena), len(s), 512))
	}
	start := len(x.arena)
	x.arena = append(x.arena, s...)
	return x.arena[start:len(x.arena):len(x.arena)]
}

// isHead reports whether the request is a HEAD.
func (x *exchange) isHead() bool { return x.methodCode == http1.MethodHEAD }

// finish ends the request: the rest of its body is read and dropped when
// the connection may serve another, a connection that does not is closed
// lingering when nginx would, the access log line is written, and the
// request's buffers go back to the pools. It reports whether the
// connection stays open for another request.
func (x *exchange) finish() bool {
	keep := x.settle()
	lingered := false
	if !keep {
		// ngx_http_set_lingering_close keeps the request until
		// ngx_http_lingering_close_handler closes it: its access-log
		// line (with $request_time), its limit_conn slot and its place
		// among stub_status's writing requests wait for the end of the
		// lingering close.
		lingered = x.c.closeLingering(x)
	}
	// nginx's worker exits on SIGTERM leaving unlogged the requests it
	// had not finalized: those the shutdown cut short (waiting for their
	// upstream, a write, the rest of a body: broken) and those in a
	// lingering close. A request whose response went out whole was
	// finalized in the event of its last write, before the worker saw
	// the signal: it is logged, however late this goroutine gets here.
	if x.c.s.cut.Load() != cutTerminate || !x.broken && !lingered {
		x.logAccess()
	}
	x.releaseLimits()
	x.statEnd()
	x.release()
	if !keep {
		return false
	}
	x.c.rd.Release()
	return true
}

// settle brings the request to the state the access log sees it end in,
// and reports whether the connection stays open for another request. A
// tunnel's record (recordTunnel) settles the request when the tunnel
// starts, as nothing of it changes afterwards but its counters.
func (x *exchange) settle() bool {
	c := x.c
	discardFailed := false
	if x.body.abandoned {
		// ngx_http_finalize_connection: a body still being read ends
		// keepalive; the connection closes with a lingering close.
		x.keepalive = false
	} else if x.body.tooLarge {
		// The rest of a chunked body over client_max_body_size goes to
		// the lingering close (ngx_http_request_body_chunked_filter's
		// r->lingering_close), so that the client reads the 413.
		x.keepalive = false
		x.lingering = true
	} else if x.body.invalid {
		// Not discarded after the 400 (nginx's discard returns at once
		// for a body it was reading); the connection closes, lingering
		// only if the bad bytes came with the head.
		x.keepalive = false
		x.lingering = x.body.invalidPreread
	} else if !x.broken && x.headerSent && !x.body.done() {
		// A body the response did not need is read and dropped first,
		// whether or not the connection stays (nginx's discarded-body
		// handler), so that the client is not cut off mid-upload.
		if !x.discardRest() {
			x.broken, x.noLinger = true, true
			discardFailed = true
		}
	}
	keep := x.keepalive && !x.broken && x.headerSent && c.keepaliveTimeout > 0
	if x.body.remaining() && !x.body.invalid {
		x.lingering = true
	}
	// What the access log sees of the ending, as nginx: a request that
	// ngx_http_terminate_request ends (a client that timed out, left or
	// could not be written to; 444) is not complete and keeps
	// r->keepalive; any other went through the normal end, which sets
	// request_complete even after an upstream failed mid-body, and
	// clears r->keepalive (ngx_http_set_keepalive, or the flush after an
	// upstream error), so that $sent_http_connection reads "close" and
	// $sent_http_keep_alive is not found whatever the response said.
	terminated := x.writeFailed || x.aborted || (x.broken && !x.headerSent)
	switch x.logStatus() {
	case 408, 444, 499:
		terminated = true
	}
	x.completed = x.headerSent && !terminated
	// A discard that ends badly after the response (the client left,
	// stalled or broke its chunked body) closes the request from
	// ngx_http_discarded_request_body_handler, not through
	// ngx_http_set_keepalive: r->keepalive stays as it was.
	if keep || (!terminated && !discardFailed) {
		x.keepalive = false
	}
	return keep
}

// release gives back what the request borrowed: its body's buffers and
// its variable state.
func (x *exchange) release() {
	if x.rt != nil {
		x.rt.release()
	}
	x.body.release(x)
	x.gzipRelease()
	x.subFilterRelease()
	x.vs.Reset(nil, nil)
	x.c.s.putState(x.vs)
	x.vs = nil
	if cap(x.arena) > 4096 {
		x.arena = nil
	}
	if cap(x.scratch) > 4096 {
		x.scratch = nil
	}
}
