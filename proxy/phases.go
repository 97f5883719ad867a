package proxy

import (
	"errors"
	"net/netip"
	"strconv"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// The methods nginx switches a request to.
const (
	methodGET  = http1.MethodGET
	methodHEAD = http1.MethodHEAD
)

// process serves a request whose head was read: nginx's
// ngx_http_process_request, then its phases from server rewrite to
// content.
func (x *exchange) process() {
	if x.misdirected() {
		return
	}
	x.selectServer()
	if x.c.plainOnTLS {
		x.logEvent(levelInfo, "client sent plain HTTP request to HTTPS port", "", "reading client request headers")
		x.finalize(497)
		return
	}
	if x.clientCertRefused() {
		return
	}
	// The post-read phase.
	x.realIP(x.srv.srv.Conf)
	x.serverRewrite()
}

// selectServer picks the virtual server by the request's host and
// records a regex name's captures.
func (x *exchange) selectServer() {
	v := x.ac.selectServer(x.head.Server, x.vs)
	x.srv = v
	x.setConf(v.top, v.srv.Conf)
	// ngx_http_handler: keepalive as the request asked, then
	// ngx_http_update_location_config's limits are applied per location.
}

// logInvalidHeaders logs the header lines ignore_invalid_headers dropped,
// as ngx_http_process_request_headers does when it meets each: at info,
// "while reading client request headers", under the virtual server chosen
// by then — by an absolute URI's host, or by a Host header that came
// before the line — whose error_log gets it; before any Host the line
// has no host and goes to the address's default server.
func (x *exchange) logInvalidHeaders() {
	h := x.head
	if len(h.Invalid) == 0 {
		return
	}
	firstHost := -1
	for i := range h.Headers {
		if h.Headers[i].Is("host") {
			firstHost = i
			break
		}
	}
	def := x.srv
	for _, inv := range h.Invalid {
		hostSeen := firstHost >= 0 && firstHost < inv.Kept
		x.srv = def
		if h.Server != nil && (h.Scheme != nil || hostSeen) {
			x.srv = x.ac.selectServer(h.Server, x.vs)
		}
		log := x.rt.errLogs.forConf(x.srv.srv.Conf, x.c.s.log)
		if !log.Enabled(levelInfo) {
			continue
		}
		ec := x.eventContext()
		if !hostSeen {
			ec.host, ec.hasHost = nil, false
		}
		ec.write(log, levelInfo, `client sent invalid header line: "`+string(inv.Line)+`"`, "", "reading client request headers")
	}
	x.srv = def
}

// badRequest answers a request whose head could not be read, as nginx
// does: a connection failure mid-head (client closed, timed out) ends the
// connection without a response (the access log still gets a line with
// 400 or 408); anything else gets nginx's status and page, and the
// connection closes.
func (x *exchange) badRequest(err error) {
	var he *http1.Error
	if !errors.As(err, &he) {
		x.status = 400
		x.broken = true
		return
	}
	if x.head.Server != nil {
		x.selectServer()
	} else {
		x.setConf(x.srv.top, x.srv.srv.Conf)
	}
	x.keepalive = false
	action := "reading client request line"
	if x.c.pipelined {
		action = "reading client pipelined request line"
	}
	if len(x.head.Line) > 0 {
		action = "reading client request headers"
	}
	if he.Err != nil {
		x.status = he.Status
		x.broken = true
		x.noLinger = true
		errno := ""
		if he.Status == 408 {
			errno = "110: Connection timed out"
		} else {
			// ngx_unix_recv's ngx_connection_error: "recv() failed
			// (104: Connection reset by peer)".
			errno = sysErrnoText(he.Err)
		}
		x.logEvent(levelInfo, he.Msg, errno, action)
		return
	}
	x.logEvent(levelInfo, he.Msg, "", action)
	// The connection's log keeps the action: a reset read by the
	// lingering close is logged "while reading client request ...".
	x.action = action
	// Only a header too large for the large buffers sets
	// r->lingering_close (ngx_http_process_request_headers); after a 414,
	// 501 or 505 nginx lingers only if bytes wait (header_in, or ready).
	x.lingering = he.Status == 494
	x.finalize(he.Status)
}

// serverRewrite runs the server level's rewrite statements, then finds the
// location (nginx's server rewrite and find-config phases).
func (x *exchange) serverRewrite() {
	x.setConf(x.srv.top, x.srv.srv.Conf)
	switch x.runScript(x.srv.srv.Conf.Script) {
	case scriptDone:
		return
	}
	x.findConfig()
}

// findConfig runs nginx's find-config, rewrite and post-rewrite phases
// until the URI stops changing, then access and content.
func (x *exchange) findConfig() {
	for {
		x.uriChanged = false
		m, rc := x.srv.find(x.uri, x.vs)
		if rc == locError {
			x.finalize(500)
			return
		}
		redirect := rc == locDone
		x.setConf(m.loc, m.loc.conf)
		// ngx_http_update_location_config: a method limit_except does
		// not name is served under the block's level.
		if lx := x.conf.LimitExcept; lx != nil && uint32(x.methodCode)&x.conf.LimitExceptMethods != 0 {
			x.setConf(m.loc, lx)
		}
		x.validLocation = true
		if !x.internal && x.conf.Internal {
			x.finalize(404)
			return
		}
		x.updateLocation()
		if lim := x.conf.ClientMaxBodySize; lim > 0 && x.head.ContentLength > lim {
			x.logEvent(levelError, "client intended to send too large body: "+strconv.FormatInt(x.head.ContentLength, 10)+" bytes", "", "")
			x.expectTested = true
			x.lingering = true
			x.finalize(413)
			return
		}
		if redirect {
			x.autoRedirect()
			return
		}
		if !x.locationRewrite() {
			return
		}
		if !x.uriChanged {
			break
		}
		x.uriChanges--
		if x.uriChanges == 0 {
			x.logEvent(levelError, `rewrite or internal redirection cycle while processing "`+string(x.uri)+`"`, "", "")
			x.finalize(500)
			return
		}
	}
	// The preaccess phase, its handlers in nginx's order.
	x.realIP(x.conf)
	if !x.limitReq() || !x.limitConn() {
		return
	}
	x.access()
}

// locationRewrite runs the location's rewrite statements; false when they
// answered the request.
func (x *exchange) locationRewrite() bool {
	if x.loc == x.srv.top {
		return true
	}
	return x.runScript(x.conf.Script) != scriptDone
}

// updateLocation applies ngx_http_update_location_config's connection
// rules: keepalive ends with keepalive_timeout 0, after keepalive_requests
// requests, after keepalive_time, and for the browsers keepalive_disable
// names (MSIE 6 POSTs, Safari).
func (x *exchange) updateLocation() {
	c := x.conf
	if !x.keepalive {
		return
	}
	switch {
	case c.KeepaliveTimeout == 0:
		x.keepalive = false
	case x.c.requests >= c.KeepaliveRequests:
		x.keepalive = false
	case x.start.Sub(x.c.start).Milliseconds() > c.KeepaliveTime.Milliseconds():
		// nginx compares its millisecond clock, and keepalive_time 0 is
		// a limit too: keepalive ends once a millisecond has passed
		// since the connection came.
		x.keepalive = false
	case c.KeepaliveDisable&directives.KeepaliveDisableMSIE6 != 0 && x.methodCode == http1.MethodPOST && x.userAgent()&uaMSIE6 != 0:
		x.keepalive = false
	case c.KeepaliveDisable&directives.KeepaliveDisableSafari != 0 && x.userAgent()&uaSafari != 0:
		x.keepalive = false
	}
}

// autoRedirect answers "/a" for a location "/a/" that proxies: 301 to the
// location's name, arguments kept.
func (x *exchange) autoRedirect() {
	loc := x.loc.escapedName
	v := x.keepString(loc)
	if len(x.args) > 0 {
		start := len(x.scratch)
		x.scratch = append(x.scratch, loc...)
		x.scratch = append(x.scratch, '?')
		x.scratch = append(x.scratch, x.args...)
		v = x.keep(x.scratch[start:])
		x.scratch = x.scratch[:start]
	}
	x.out.setLocation(v)
	x.finalize(301)
}

// access applies allow/deny (ngx_http_access_module): the first rule of
// the client's family that matches decides; a deny is 403. nginx keeps
// one list per family ("all" is in each): a unix-socket client is checked
// against "unix:" rules, an IPv4 client against IPv4 rules, an IPv6
// client against IPv6 rules, and an IPv4 client of a dual-stack socket
// (::ffff:a.b.c.d) against the IPv4 rules when the level has any, else
// against the IPv6 rules with its mapped address.
func (x *exchange) access() {
	// ngx_http_core_access_phase over the access module, then
	// auth_basic; with "satisfy any" the first that lets the request in
	// is enough, and the refusals wait for the end of the phase
	// (ngx_http_core_post_access_phase).
	//
	// A subrequest skips the phase (ngx_http_core_access_phase).
	if x.main != nil {
		x.content()
		return
	}
	any := x.conf.SatisfyAny
	code := 0
	for _, handler := range [...]func() int{x.accessRules, x.authBasic, x.authRequest} {
		rc := handler()
		switch {
		case rc == accessDeclined:
			continue
		case rc == accessDone:
			return
		case rc == accessOK:
			if any {
				x.dropChallenge()
				x.content()
				return
			}
			continue
		case any && (rc == 403 || rc == 401):
			if code != 401 {
				code = rc
			}
			continue
		}
		x.refuse(rc)
		return
	}
	if code != 0 {
		if code == 403 {
			x.logEvent(levelError, "access forbidden by rule", "", "")
		}
		x.refuse(code)
		return
	}
	x.content()
}

// refuse ends the access phase with its status: a 401 waits auth_delay
// first (ngx_http_core_auth_delay), so that a wrong password takes as
// long to refuse as any; a client that leaves meanwhile ends the request
// with 499, as ngx_http_test_reading does.
func (x *exchange) refuse(status int) {
	if status != 401 || x.conf.AuthDelay <= 0 {
		x.finalize(status)
		return
	}
	x.logEvent(levelInfo, "delaying unauthorized request", "", "")
	until := time.Now().Add(x.conf.AuthDelay)
	for {
		left := time.Until(until)
		if left <= 0 {
			break
		}
		_ = x.c.sock.SetReadDeadline(until)
		closed, watched := waitClientClose(x.c.sock)
		if closed {
			_ = x.c.sock.SetReadDeadline(time.Time{})
			x.logEvent(levelInfo, "client prematurely closed connection", sockErrText(x.c.sock), "")
			x.finalize(499)
			return
		}
		if !watched || readable(x.c.sock) {
			// Bytes wait (a pipelined request), or there is no
			// socket to watch: the rest of the delay is slept.
			time.Sleep(time.Until(until))
		}
	}
	_ = x.c.sock.SetReadDeadline(time.Time{})
	x.finalize(401)
}

// The results of access-phase handlers besides an HTTP status.
const (
	accessDeclined = -1
	accessOK       = 0
	// accessDone: the handler ended the request itself.
	accessDone = -2
)

// accessRules is ngx_http_access_handler: the first allow/deny rule that
// covers the client decides (accessOK or 403); none, or no rules,
// declines.
func (x *exchange) accessRules() int {
	rules := x.conf.AccessRules
	if len(rules) == 0 {
		return accessDeclined
	}
	fam, addr := x.accessFamily(rules)
	for _, r := range rules {
		if !ruleMatches(r, fam, addr) {
			continue
		}
		if !r.Allow {
			// With "satisfy any" the phase's end logs it, if no other
			// handler lets the request in.
			if !x.conf.SatisfyAny {
				x.logEvent(levelError, "access forbidden by rule", "", "")
			}
			return 403
		}
		return accessOK
	}
	return accessDeclined
}

// The rule lists of ngx_http_access_loc_conf_t.
const (
	accessUnix = iota
	accessV4
	accessV6
)

// accessFamily chooses the rule list the client is checked against and
// the address it is checked with.
func (x *exchange) accessFamily(rules []*directives.AccessRule) (int, netip.Addr) {
	c := x.Conn()
	if x.c.network == "unix" && !c.Realip {
		return accessUnix, netip.Addr{}
	}
	raw := c.Remote.Addr()
	switch {
	case raw.Is4():
		return accessV4, raw
	case raw.Is4In6():
		for _, r := range rules {
			if r.All || (!r.Unix && r.Prefix.Addr().Is4()) {
				return accessV4, raw.Unmap()
			}
		}
	}
	return accessV6, raw
}

// ruleMatches reports whether an allow/deny rule of the client's family
// list covers the client.
func ruleMatches(r *directives.AccessRule, fam int, addr netip.Addr) bool {
	switch {
	case r.All:
		return true
	case r.Unix:
		return fam == accessUnix
	case fam == accessUnix:
		return false
	case fam == accessV4:
		return r.Prefix.Addr().Is4() && r.Prefix.Contains(addr)
	}
	return r.Prefix.Addr().Is6() && r.Prefix.Contains(addr)
}

// content runs the precontent (try_files) and content phases: proxy_pass
// when the level has one, else static files.
func (x *exchange) content() {
	// try_files has its phase before the content handler's, whatever
	// the handler (nginx's ngx_http_core_try_files_phase): a file found
	// changes the URI the handler then serves, proxy_pass included.
	if x.conf.TryFiles != nil {
		if !x.tryFiles() {
			return
		}
	}
	if x.conf.EmptyGIF {
		x.emptyGIF()
		return
	}
	if x.conf.ProxyPass != nil {
		x.proxy()
		return
	}
	if x.conf.StubStatus {
		x.stubStatus()
		return
	}
	x.static()
}

// internalRedirect mirrors ngx_http_internal_redirect: the request starts
// over at server rewrite with a new URI. found tells whether empty args
// are found all the same ($args "" rather than "-"): nginx's r->args with
// data and no length, as a '?' ending the new URI, or try_files's
// ngx_http_split_args, leave it.
func (x *exchange) internalRedirect(uri, args []byte, found bool) {
	x.uriChanges--
	if x.uriChanges == 0 {
		x.logEvent(levelError, `rewrite or internal redirection cycle while internally redirecting to "`+string(uri)+`"`, "", "")
		x.finalize(500)
		return
	}
	x.uri = uri
	x.args, x.emptyArgs = args, found
	x.vs.RedirectArgs()
	x.internal = true
	x.validUnparsedURI = false
	x.restartResponse()
	// ngx_http_handler clears the connection's log action.
	x.action = ""
	x.serverRewrite()
}

// restartResponse starts the response again for an internal redirect.
// nginx keeps r->headers_out across one; what nginxws keeps of it is what
// a handler may have set before the redirect: the access phase's
// challenges (error_page 401) and a redirect's Location (error_page 301
// /moved.html sends the page with the Location, made absolute as any);
// an upstream's X-Accel-Charset (override_charset); then the headers an
// X-Accel-Redirect carries.
func (x *exchange) restartResponse() {
	loc := x.out.location
	x.out = outHeaders{headers: x.out.headers[:0], tail: x.out.tail[:0], contentLength: -1, overrideCharset: x.out.overrideCharset}
	x.keepChallenges()
	if loc != nil {
		x.out.setLocation(loc)
	}
	x.applyCarry()
}

// applyCarry puts the headers an X-Accel-Redirect kept into the response
// being built: Content-Type in its place, the others in the list.
func (x *exchange) applyCarry() {
	for _, h := range x.carry {
		if h.Is("content-type") {
			x.out.setUpstreamContentType(h.Value)
			continue
		}
		x.out.add(h.Name, h.Value)
	}
	x.carry = x.carry[:0]
}

// namedLocation mirrors ngx_http_named_location: the request continues at
// the rewrite phase of the named location, URI unchanged.
func (x *exchange) namedLocation(name string) {
	l := x.srv.named[name]
	if l == nil {
		x.logEvent(levelError, `could not find named location "@`+name+`"`, "", "")
		x.finalize(500)
		return
	}
	x.uriChanges--
	if x.uriChanges == 0 {
		x.logEvent(levelError, `rewrite or internal redirection cycle while redirect to named location "@`+name+`"`, "", "")
		x.finalize(500)
		return
	}
	x.internal = true
	x.restartResponse()
	x.setConf(l, l.conf)
	x.updateLocation()
	if !x.locationRewrite() {
		return
	}
	if x.uriChanged {
		x.uriChanged = false
		x.findConfig()
		return
	}
	x.access()
}
