package proxy

import (
	"strconv"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// This file is ngx_http_auth_request_module and the part of nginx's
// subrequests it uses (ngx_http_subrequest with
// NGX_HTTP_SUBREQUEST_WAITED, header only). nginx runs the subrequest on
// the same connection while the main request waits in its access phase;
// here it runs to its end in place, on an exchange of its own that shares
// what nginx's subrequest shares with its parent: the connection, the
// request's head (headers_in), its variables (directives.State) and its
// arena (the pool), and writes nothing to the client.

// subState is what a request keeps for its subrequests, made on the first
// and kept with the request's state: the exchange, and an upstream
// response and reader of their own, so that the parent's upstream state
// (its $upstream_http_*) is not touched.
type subState struct {
	x    exchange
	resp http1.Response
	// readers are the upstream readers of the request's subrequests, one
	// each (used so far): the variables, which a subrequest shares with
	// its parent, may keep slices of their buffers (a header its "set"
	// stored, a $sent_http_* its log line cached), so the buffers stay
	// until the request ends (end), as nginx's pool does.
	readers []*http1.Reader
	used    int
	// vals holds auth_request_set's values between the subrequest's end
	// and their assignment in the parent.
	vals [][]byte
}

// reader returns an upstream reader for the next subrequest of the
// request.
func (ss *subState) reader(pools *http1.Pools) *http1.Reader {
	if ss.used == len(ss.readers) {
		ss.readers = append(ss.readers, http1.NewReader(eofReader{}, pools))
	}
	ss.used++
	return ss.readers[ss.used-1]
}

// upstreamEnded notes, for a subrequest, that its upstream was finalized
// (ngx_http_upstream_finalize_request, but after an X-Accel-Redirect):
// nginx's connection log then says "sending to client", in the
// subrequest's later lines and its main request's, until an internal
// redirect clears it. A main request's lines give their actions
// themselves.
func (x *exchange) upstreamEnded() {
	if x.main != nil {
		x.action = "sending to client"
	}
}

// authRequest is the access phase's ngx_http_auth_request_handler, the last
// of the phase (after allow/deny and auth_basic): where auth_request names
// a URI, a subrequest to it decides. Its 2xx lets the request in, a 401
// (with the subrequest's upstream's WWW-Authenticate, if any) and a 403 are
// the answer, anything else is logged and answered with 500. Whatever the
// status, auth_request_set's values are computed in the subrequest's
// context and set for the request first. accessDone means the subrequest
// ended the request (the connection closes).
func (x *exchange) authRequest() int {
	uri := x.conf.AuthRequest
	if uri == "" {
		return accessDeclined
	}
	sub := x.subrequest([]byte(uri))
	if sub.broken {
		// A subrequest that closes the connection (444, a client that
		// left) terminates the main request (ngx_http_terminate_request),
		// which logs its status.
		x.status, x.broken, x.noLinger = sub.status, true, sub.noLinger
		return accessDone
	}
	status := sub.status
	switch {
	case status == 403:
		return 403
	case status == 401:
		if name, value, ok := x.subChallenge(sub); ok {
			x.addChallenge(name, value)
		}
		return 401
	case status >= 200 && status < 300:
		return accessOK
	}
	x.logEvent(levelError, "auth request unexpected status: "+strconv.Itoa(status), "", "")
	return 500
}

// subChallenge is the WWW-Authenticate the auth request's 401 passes on:
// the subrequest's own (an intercepted upstream 401 gives its response
// one), else the first its upstream sent, name and value as received.
func (x *exchange) subChallenge(sub *exchange) (name, value []byte, ok bool) {
	if n := len(sub.challenges); n > 0 {
		h := sub.challenges[n-1]
		return h.Name, h.Value, true
	}
	if !sub.upRead {
		return nil, nil, false
	}
	if h, ok := firstHeader(sub.resp.Headers, "www-authenticate"); ok {
		return x.keep(h.Name), x.keep(h.Value), true
	}
	return nil, nil, false
}

// firstHeader finds the first header named name (lower case) of an
// upstream response, as ngx_http_upstream_process_header_line keeps it.
func firstHeader(hs []http1.Header, name string) (*http1.Header, bool) {
	for i := range hs {
		if hs[i].Is(name) {
			return &hs[i], true
		}
	}
	return nil, false
}

// subrequest runs a subrequest to uri as ngx_http_subrequest makes it: a
// GET without arguments, internal, of the parent's virtual server, from
// the server rewrite phase on, whose access phase is skipped; its body is
// none (the parent's Content-Length is still what its upstream is told),
// and it answers with its head only, which goes nowhere. Once it ended,
// auth_request_set's values are computed in its context and given to the
// parent. It returns the subrequest, whose status and upstream response
// are valid until the parent's next subrequest; what it holds is given
// back when the request's state is (subState.end).
func (x *exchange) subrequest(uri []byte) *exchange {
	ss := x.c.rs.sub
	if ss == nil {
		ss = &subState{}
		x.c.rs.sub = ss
	}
	sub := &ss.x
	*sub = exchange{
		c:       x.c,
		rt:      x.rt,
		ac:      x.ac,
		srv:     x.srv,
		head:    x.head,
		resp:    &ss.resp,
		ur:      ss.reader(&x.c.s.pools),
		main:    x,
		start:   time.Now(),
		scratch: sub.scratch[:0],
		// The parent's arena (nginx's sr->pool is r->pool): what the
		// subrequest keeps stays valid for the parent.
		arena:      x.arena,
		upInfo:     directives.UpstreamInfo{States: sub.upInfo.States[:0]},
		carry:      sub.carry[:0],
		out:        outHeaders{headers: sub.out.headers[:0], tail: sub.out.tail[:0], contentLength: -1},
		challenges: sub.challenges[:0],
		// A body already read, and empty (auth_request's fake
		// request_body): nothing is read from the client for it.
		body:         clientBody{length: -1, started: true, consumed: true},
		method:       []byte("GET"),
		methodCode:   methodGET,
		uri:          uri,
		internal:     true,
		expectTested: true,
		headerOnly:   true,
		// Set once per main request (r->main->…), and the realip
		// module's address is the connection's.
		realip:         x.realip,
		realipText:     x.realipText,
		limitStatus:    x.limitStatus,
		limitReqStatus: x.limitReqStatus,
		limitHeld:      x.limitHeld,
	}
	sub.uriChanges = maxURIChanges + 1
	sub.vs = x.vs
	saved := x.vs.EnterSubrequest(sub)
	sub.serverRewrite()
	// The connection's log action, which the subrequest leaves as it was
	// when it ended.
	x.action = sub.action
	if !sub.broken && sub.conf != nil && sub.conf.LogSubrequest {
		// log_subrequest: the line is written as the subrequest ends
		// (ngx_http_finalize_request), in its context; a subrequest
		// that terminated the request is not logged.
		sub.logAccess()
	}

	// auth_request_set, in the subrequest's context, then assigned to
	// the parent (ngx_http_auth_request_set_variables) — unless the
	// subrequest terminated the request, which then never resumes.
	sets := x.conf.AuthRequestSets
	if sub.broken {
		sets = nil
	}
	ss.vals = ss.vals[:0]
	for _, st := range sets {
		ss.vals = append(ss.vals, x.vs.AssignedValue(st))
	}
	x.vs.LeaveSubrequest(saved)
	for i, st := range sets {
		x.vs.Assign(st, ss.vals[i])
	}
	clear(ss.vals)

	x.arena = sub.arena
	x.realip, x.realipText = sub.realip, sub.realipText
	x.limitStatus, x.limitReqStatus, x.limitHeld = sub.limitStatus, sub.limitReqStatus, sub.limitHeld
	// The subrequest's level set the connection's keepalive timeout.
	x.setConf(x.loc, x.conf)
	return sub
}

// end gives back what the request's subrequests hold (their upstream
// readers' buffers, their references to the request), once the request
// is over.
func (ss *subState) end() {
	for _, r := range ss.readers[:ss.used] {
		r.Reset(eofReader{})
	}
	ss.used = 0
	ss.x = exchange{scratch: ss.x.scratch[:0], upInfo: ss.x.upInfo, carry: ss.x.carry[:0], out: ss.x.out, challenges: ss.x.challenges[:0]}
}

// wwwAuthenticate is the name nginx gives the challenges it makes.
var wwwAuthenticate = []byte("WWW-Authenticate")

// addChallenge adds a WWW-Authenticate the access phase sets
// (r->headers_out.www_authenticate): auth_basic's, the one an auth
// request's 401 passes on, or an intercepted upstream 401's. The response keeps them across internal
// redirects (error_page 401), as nginx's headers_out does, and under
// "satisfy any" a later handler letting the request in drops the last one
// (dropChallenge).
func (x *exchange) addChallenge(name, value []byte) {
	h := http1.Header{Name: name, Value: value}
	x.challenges = append(x.challenges, h)
	x.out.headers = append(x.out.headers, h)
	x.challengePos = len(x.out.headers)
}

// dropChallenge is ngx_http_core_access_phase's "www_authenticate->hash =
// 0" when a handler lets a "satisfy any" request in: the last challenge
// set is not sent.
func (x *exchange) dropChallenge() {
	if x.challengePos == 0 {
		return
	}
	x.out.removeAt(x.challengePos - 1)
	x.challengePos = 0
	x.challenges = x.challenges[:len(x.challenges)-1]
}

// keepChallenges puts the access phase's challenges back into a response
// that an internal redirect started again: nginx's headers_out keeps them.
func (x *exchange) keepChallenges() {
	x.out.headers = append(x.out.headers, x.challenges...)
	x.challengePos = len(x.challenges)
}
