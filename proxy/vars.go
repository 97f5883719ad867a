package proxy

import (
	"net/http"
	"strconv"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// This file is where the variable engine (package directives) plugs in:
// an exchange is the engine's directives.Request, and every value the
// configuration computes per request goes through the request's
// directives.State, borrowed from the server's pool for the request.

// evalValue appends the value of c, evaluated for this request, to dst.
// Variables that are not found evaluate to nothing, as in nginx's complex
// values.
func (x *exchange) evalValue(dst []byte, c *directives.Complex) []byte {
	if c == nil {
		return dst
	}
	return x.vs.Eval(c, dst)
}

// value evaluates c; the result is valid until the request ends. Literal
// values come back without a copy.
func (x *exchange) value(c *directives.Complex) []byte {
	if c == nil || len(c.Segments) == 0 {
		return nil
	}
	return x.vs.Value(c)
}

// match runs a regex as ngx_http_regex_exec: on a match its captures
// become $1…$9 and its named captures variables. A match the PCRE engine
// abandons is logged and reported as an error (nginx answers 500).
func (x *exchange) match(re *directives.Regexp, subject []byte) (bool, error) {
	ok, err := x.vs.Match(re, subject)
	if err != nil {
		x.logEvent(levelError, `regex "`+re.Source+`" match failed on "`+string(subject)+`"`, err.Error(), "")
	}
	return ok, err
}

// matchScript is match for a rewrite statement's regex
// (ngx_http_script_regex_start_code): a URI that does not match clears
// the captures, so $1 is then empty, as after a failed "if" test.
func (x *exchange) matchScript(re *directives.Regexp, subject []byte) (bool, error) {
	ok, err := x.vs.MatchScript(re, subject)
	if err != nil {
		x.logEvent(levelError, `regex "`+re.Source+`" match failed on "`+string(subject)+`"`, err.Error(), "")
	}
	return ok, err
}

// setArgs changes the request's arguments (rewrite, internal redirect), for
// the engine's $args as well.
func (x *exchange) setArgs(args []byte) {
	x.args, x.emptyArgs = args, false
	x.vs.SetArgs(args)
}

// curArgs are the arguments the request has now: its own, or what "set
// $args" made them.
func (x *exchange) curArgs() []byte {
	a, _ := x.vs.Args()
	return a
}

// The directives.Request methods.

// RequestLine is $request. A head that failed within its request line
// shows the part read, as nginx does.
func (x *exchange) RequestLine() []byte {
	if len(x.head.Line) == 0 {
		return x.head.PartialLine
	}
	return x.head.Line
}

// Method is $request_method: the method as sent, or GET after an
// error_page redirect; a subrequest's is its main request's.
func (x *exchange) Method() []byte {
	if x.main != nil {
		return x.main.method
	}
	return x.method
}

// RequestURI is $request_uri.
func (x *exchange) RequestURI() []byte { return x.head.URI }

// Protocol is $server_protocol.
func (x *exchange) Protocol() []byte { return x.head.Proto }

// URI is $uri: the normalised path, or what a rewrite or an internal
// redirect made it.
func (x *exchange) URI() []byte { return x.uri }

// Args are the request's arguments (rewrites included).
func (x *exchange) Args() []byte { return x.args }

// EmptyArgsFound tells the engine that empty arguments are found
// ($args "", not "-"): see http1.Request.EmptyArgsFound.
func (x *exchange) EmptyArgsFound() bool { return x.emptyArgs && len(x.args) == 0 }

// Host is the host the virtual server was chosen by.
func (x *exchange) Host() []byte { return x.head.Server }

// NumHeaders returns the length of a header list.
func (x *exchange) NumHeaders(set directives.HeaderSet) int {
	switch set {
	case directives.RequestHeaders:
		return len(x.head.Headers)
	case directives.UpstreamHeaders:
		if !x.upRead {
			return 0
		}
		return len(x.resp.Headers)
	case directives.ResponseHeaders:
		return len(x.out.headers) + len(x.sentExtra())
	case directives.ResponseTrailers:
		return len(x.out.trailers)
	}
	return 0
}

// Header returns header i of a list.
func (x *exchange) Header(set directives.HeaderSet, i int) (name, value []byte) {
	switch set {
	case directives.RequestHeaders:
		h := &x.head.Headers[i]
		return h.Name, h.Value
	case directives.UpstreamHeaders:
		h := &x.resp.Headers[i]
		return h.Name, h.Value
	case directives.ResponseTrailers:
		h := &x.out.trailers[i]
		return h.Name, h.Value
	}
	if i < len(x.out.headers) {
		h := &x.out.headers[i]
		return h.Name, h.Value
	}
	e := x.sentExtra()[i-len(x.out.headers)]
	return e.name, e.value
}

type sentHeader struct{ name, value []byte }

// sentExtra are the response headers nginx keeps outside its list but
// $sent_http_NAME finds: Content-Type, Content-Length, Last-Modified.
func (x *exchange) sentExtra() []sentHeader {
	o := &x.out
	var out []sentHeader
	if len(o.contentType) > 0 {
		out = append(out, sentHeader{[]byte("Content-Type"), o.contentType})
	}
	if o.contentLength >= 0 && x.status != 0 {
		out = append(out, sentHeader{[]byte("Content-Length"), x.keep(strconv.AppendInt(nil, o.contentLength, 10))})
	}
	if !o.lastModified.IsZero() {
		out = append(out, sentHeader{[]byte("Last-Modified"), x.keep(o.lastModified.UTC().AppendFormat(nil, http.TimeFormat))})
	}
	return out
}

// Server is the virtual server serving the request.
func (x *exchange) Server() *directives.Server {
	if x.srv == nil {
		return nil
	}
	return x.srv.srv
}

// Conn describes the client connection.
func (x *exchange) Conn() *directives.ConnInfo {
	if x.realip.Realip {
		return &x.realip
	}
	return &x.c.info
}

// Info returns the request's counters and response facts, brought up to
// date.
func (x *exchange) Info() *directives.RequestInfo {
	in := &x.info
	in.Start = x.start
	in.Length = x.requestLength
	in.Status = x.logStatus()
	in.BytesSent, in.HeaderBytes = x.bytesSent, x.headerSize
	in.KeepAlive = x.keepalive
	in.KeepAliveTimeout = 0
	if x.conf != nil {
		in.KeepAliveTimeout = int(x.conf.KeepaliveHeaderTimeout / time.Second)
	}
	in.Chunked = x.out.chunked
	in.Completed = x.completed
	in.LimitConnStatus = limitStatusNames[x.limitStatus]
	in.LimitReqStatus = limitReqStatusNames[x.limitReqStatus]
	in.BodyLength = x.chunkedLength()
	return in
}

// chunkedLength is what nginx's r->headers_in.content_length_n holds for a
// chunked request, which $content_length shows when it is not negative:
// -1 until a body filter ran; with the body read for a handler
// (ngx_http_request_body_chunked_filter) the data bytes it took, even when
// it stopped at a chunk too large or broken, except while the body is still
// streamed upstream (r->reading_body: not found); with the body discarded
// (ngx_http_discard_request_body_filter) 0 once it ended, or what the
// parser wants to see next, at least a large header buffer, while it did not.
func (x *exchange) chunkedLength() int64 {
	b := &x.body
	if x.head.Chunked && b.refused && !b.discarding {
		// Refused before it was read (a streamed body's preread).
		return b.refusedData
	}
	if !x.head.Chunked || !b.started {
		return -1
	}
	if !b.discarding {
		streamed := b.mem == nil && b.file == nil
		if streamed && !b.consumed && (b.chunkedOut || b.abandoned) {
			return -1
		}
		return b.cr.Size()
	}
	if b.consumed {
		return 0
	}
	if b.refused {
		return -1
	}
	n := b.cr.MinLength()
	if x.srv != nil {
		n = max(n, int64(x.srv.limits.LargeHeaderBufferSize))
	}
	return n
}

// Upstream describes the proxying, nil before proxy_pass runs.
func (x *exchange) Upstream() *directives.UpstreamInfo {
	if !x.proxied {
		return nil
	}
	return &x.upInfo
}

// Now is the current time.
func (x *exchange) Now() time.Time { return time.Now() }

// UninitializedVariable logs nginx's warning for a variable of "set" read
// before a "set" ran (ngx_http_rewrite_var), under the
// uninitialized_variable_warn of where the request is.
func (x *exchange) UninitializedVariable(name string) {
	conf := x.levelConf()
	if !conf.UninitializedVariableWarn {
		return
	}
	action := ""
	if x.logging && x.main == nil {
		// A subrequest's line (log_subrequest) is written as it ends,
		// under the connection's action of then.
		action = logAction
	}
	x.logEvent(levelWarn, `using uninitialized "`+name+`" variable`, "", action)
}
