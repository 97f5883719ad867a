package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// This file is where the variable engine (issue 3, package directives)
// plugs in. Until it lands, values are evaluated here: literal segments,
// regex captures, the variables a request defines (nginx's builtins, from
// the facts this package holds), set and map variables. When the engine
// arrives, evalValue and lookupVar become calls into it, and the builtin
// table below becomes the request-facing interface it asks.

// userVar is a variable the configuration defines (set, map, named
// capture), cached for the request.
type userVar struct {
	name  string
	value []byte
}

// evalValue appends the value of c, evaluated for this request, to dst.
// Variables that are not found evaluate to nothing, as in nginx's complex
// values.
func (x *exchange) evalValue(dst []byte, c *directives.Complex) []byte {
	if c == nil {
		return dst
	}
	for i := range c.Segments {
		s := &c.Segments[i]
		switch {
		case s.Var != "":
			dst, _ = x.appendVar(dst, s.Var)
		case s.Capture > 0:
			dst = x.appendCapture(dst, s.Capture)
		default:
			dst = append(dst, s.Literal...)
		}
	}
	return dst
}

// value evaluates c into the request's arena and returns it; literal
// values come back without a copy.
func (x *exchange) value(c *directives.Complex) []byte {
	if c == nil || len(c.Segments) == 0 {
		return nil
	}
	if len(c.Segments) == 1 && c.Segments[0].Var == "" && c.Segments[0].Capture == 0 {
		return []byte(c.Segments[0].Literal)
	}
	start := len(x.scratch)
	x.scratch = x.evalValue(x.scratch, c)
	v := x.keep(x.scratch[start:])
	x.scratch = x.scratch[:start]
	return v
}

// appendCapture appends $n of the last regex match that had captures.
func (x *exchange) appendCapture(dst []byte, n int) []byte {
	if 2*n+1 >= len(x.caps) || x.caps[2*n] < 0 {
		return dst
	}
	return append(dst, x.capSrc[x.caps[2*n]:x.caps[2*n+1]]...)
}

// setCaptures records a regex match: its numbered captures for $1…$9 and
// its named ones as variables, as ngx_http_regex_exec does.
func (x *exchange) setCaptures(re *directives.Regexp, caps []int, src []byte) {
	if caps == nil {
		return
	}
	x.caps, x.capSrc = caps, src
	for i, name := range re.SubexpNames() {
		if name == "" || 2*i+1 >= len(caps) {
			continue
		}
		var v []byte
		if caps[2*i] >= 0 {
			v = src[caps[2*i]:caps[2*i+1]]
		}
		x.setVar(name, v)
	}
}

// setVar gives a configuration variable its value for this request.
func (x *exchange) setVar(name string, v []byte) {
	for i := range x.vars {
		if x.vars[i].name == name {
			x.vars[i].value = v
			return
		}
	}
	x.vars = append(x.vars, userVar{name: name, value: v})
}

// appendVar appends the value of variable name (lower-case, without "$")
// and reports whether it was found.
func (x *exchange) appendVar(dst []byte, name string) ([]byte, bool) {
	for i := range x.vars {
		if x.vars[i].name == name {
			return append(dst, x.vars[i].value...), true
		}
	}
	if m := x.rt.maps[name]; m != nil {
		v := x.evalMap(m)
		if !m.Volatile {
			x.setVar(name, v)
		}
		return append(dst, v...), true
	}
	return x.builtin(dst, name)
}

// evalMap finds a map's value for this request: exact keys (compared
// without case, as nginx lower-cases the source for its hash), with
// "hostnames" the wildcard forms, then regexes in order, then the default.
func (x *exchange) evalMap(m *directives.Map) []byte {
	src := x.value(m.Source)
	key := src
	if m.Hostnames && len(key) > 0 && key[len(key)-1] == '.' {
		key = key[:len(key)-1]
	}
	for _, e := range m.Entries {
		if e.Regex == nil && strings.EqualFold(e.Key, string(key)) {
			return x.value(e.Value)
		}
	}
	if m.Hostnames {
		if v := x.mapWildcard(m, key); v != nil {
			return v
		}
	}
	for _, e := range m.Entries {
		if e.Regex == nil {
			continue
		}
		if caps := e.Regex.FindSubmatchIndex(src); caps != nil {
			x.setCaptures(e.Regex, caps, src)
			return x.value(e.Value)
		}
	}
	return x.value(m.Default)
}

// mapWildcard matches "hostnames" keys: ".example.com" and
// "*.example.com" by the longest suffix, then "www.example.*".
func (x *exchange) mapWildcard(m *directives.Map, host []byte) []byte {
	h := strings.ToLower(string(host))
	best, bestLen := (*directives.MapEntry)(nil), -1
	for _, e := range m.Entries {
		k := strings.ToLower(e.Key)
		var base string
		sub := false
		switch {
		case strings.HasPrefix(k, "*."):
			base, sub = k[2:], true
		case strings.HasPrefix(k, "."):
			base = k[1:]
		default:
			continue
		}
		ok := strings.HasSuffix(h, "."+base) || (!sub && h == base)
		if ok && len(base) > bestLen {
			best, bestLen = e, len(base)
		}
	}
	if best != nil {
		return x.value(best.Value)
	}
	for _, e := range m.Entries {
		k := strings.ToLower(e.Key)
		if strings.HasSuffix(k, ".*") && strings.HasPrefix(h, k[:len(k)-1]) && len(h) > len(k)-1 {
			return x.value(e.Value)
		}
	}
	return nil
}

// builtin appends the value of one of nginx's own variables.
func (x *exchange) builtin(dst []byte, name string) ([]byte, bool) {
	h := x.head
	switch name {
	case "host":
		if len(h.Server) > 0 {
			return append(dst, h.Server...), true
		}
		return append(dst, x.srv.name...), true
	case "hostname":
		return append(dst, x.rt.hostname...), true
	case "remote_addr":
		return append(dst, x.c.remoteAddr...), true
	case "remote_port":
		return append(dst, x.c.remotePort...), true
	case "binary_remote_addr":
		if a := x.c.remoteIP; a.IsValid() {
			return append(dst, a.AsSlice()...), true
		}
		return dst, false
	case "server_addr":
		return append(dst, x.c.localAddr...), true
	case "server_port":
		return append(dst, x.c.localPort...), true
	case "server_name":
		return append(dst, x.srv.name...), true
	case "server_protocol":
		return append(dst, h.Proto...), len(h.Proto) > 0
	case "scheme":
		return append(dst, "http"...), true
	case "https":
		return dst, true
	case "request":
		return append(dst, h.Line...), len(h.Line) > 0
	case "request_method":
		return append(dst, x.method...), len(x.method) > 0
	case "request_uri":
		return append(dst, h.URI...), len(h.URI) > 0
	case "uri", "document_uri":
		return append(dst, x.uri...), true
	case "args", "query_string":
		return append(dst, x.args...), len(x.args) > 0
	case "is_args":
		if len(x.args) > 0 {
			return append(dst, '?'), true
		}
		return dst, true
	case "content_length":
		if v, ok := h.Header("content-length"); ok {
			return append(dst, v...), true
		}
		return dst, false
	case "content_type":
		v, ok := h.Header("content-type")
		return append(dst, v...), ok
	case "http_cookie":
		return x.joinHeaders(dst, "cookie", ';')
	case "http_x_forwarded_for":
		return x.joinHeaders(dst, "x-forwarded-for", ',')
	case "proxy_add_x_forwarded_for":
		n := len(dst)
		dst, _ = x.joinHeaders(dst, "x-forwarded-for", ',')
		if len(dst) > n {
			dst = append(dst, ',', ' ')
		}
		return append(dst, x.c.remoteAddr...), true
	case "proxy_host":
		return append(dst, x.proxyHost...), x.proxyHost != ""
	case "proxy_port":
		return append(dst, x.proxyPort...), x.proxyPort != ""
	case "proxy_internal_body_length":
		if x.body.length < 0 {
			return dst, false
		}
		return strconv.AppendInt(dst, x.body.length, 10), true
	case "proxy_internal_chunked":
		if !x.body.chunkedOut {
			return dst, false
		}
		return append(dst, "chunked"...), true
	case "status":
		return appendStatus(dst, x.logStatus()), true
	case "body_bytes_sent":
		return strconv.AppendInt(dst, max(x.bytesSent-x.headerSize, 0), 10), true
	case "bytes_sent":
		return strconv.AppendInt(dst, x.bytesSent, 10), true
	case "request_length":
		return strconv.AppendInt(dst, x.requestLength, 10), true
	case "request_time":
		d := time.Since(x.start)
		return appendMsec(dst, d.Milliseconds()), true
	case "msec":
		return appendMsec(dst, time.Now().UnixMilli()), true
	case "time_local":
		return time.Now().AppendFormat(dst, "02/Jan/2006:15:04:05 -0700"), true
	case "time_iso8601":
		return time.Now().AppendFormat(dst, "2006-01-02T15:04:05-07:00"), true
	case "connection":
		return strconv.AppendUint(dst, x.c.number, 10), true
	case "connection_requests":
		return strconv.AppendInt(dst, int64(x.c.requests), 10), true
	case "pid":
		return strconv.AppendInt(dst, int64(x.c.s.pid), 10), true
	case "nginx_version":
		return append(dst, "1.22.1"...), true
	case "request_id":
		if x.requestID == "" {
			x.requestID = newRequestID()
		}
		return append(dst, x.requestID...), true
	case "upstream_addr":
		return append(dst, x.up.addr...), x.up.addr != ""
	case "upstream_status":
		if x.up.status == 0 {
			return dst, false
		}
		return strconv.AppendInt(dst, int64(x.up.status), 10), true
	case "remote_user":
		return dst, false
	}
	switch {
	case strings.HasPrefix(name, "http_"):
		return appendHeaderVar(dst, h.Headers, name[5:])
	case strings.HasPrefix(name, "arg_"):
		return appendArg(dst, x.args, name[4:])
	case strings.HasPrefix(name, "cookie_"):
		return x.appendCookie(dst, name[7:])
	case strings.HasPrefix(name, "upstream_http_"):
		return appendHeaderVar(dst, x.resp.Headers, name[14:])
	case strings.HasPrefix(name, "sent_http_"):
		return x.appendSent(dst, name[10:])
	}
	return dst, false
}

// joinHeaders appends every value of a request header, joined by sep and a
// space (nginx's multi-value headers: Cookie, X-Forwarded-For).
func (x *exchange) joinHeaders(dst []byte, lowerName string, sep byte) ([]byte, bool) {
	found := false
	for i := range x.head.Headers {
		hd := &x.head.Headers[i]
		if !hd.Is(lowerName) {
			continue
		}
		if found {
			dst = append(dst, sep, ' ')
		}
		dst = append(dst, hd.Value...)
		found = true
	}
	return dst, found
}

// appendHeaderVar implements $http_NAME and $upstream_http_NAME: the first
// header whose name, lower-cased with "-" as "_", is name.
func appendHeaderVar(dst []byte, headers []http1.Header, name string) ([]byte, bool) {
	for i := range headers {
		if varNameIs(headers[i].Name, name) {
			return append(dst, headers[i].Value...), true
		}
	}
	return dst, false
}

// varNameIs compares a header name with a variable suffix as
// ngx_http_variable_unknown_header does.
func varNameIs(h []byte, name string) bool {
	if len(h) != len(name) {
		return false
	}
	for i, c := range h {
		switch {
		case c >= 'A' && c <= 'Z':
			c |= 0x20
		case c == '-':
			c = '_'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// appendArg implements $arg_NAME (ngx_http_arg): the value of the first
// argument named name, ignoring case.
func appendArg(dst, args []byte, name string) ([]byte, bool) {
	for p := 0; p < len(args); {
		end := p
		for end < len(args) && args[end] != '&' {
			end++
		}
		kv := args[p:end]
		if len(kv) > len(name) && kv[len(name)] == '=' && strings.EqualFold(string(kv[:len(name)]), name) {
			return append(dst, kv[len(name)+1:]...), true
		}
		p = end + 1
	}
	return dst, false
}

// appendCookie implements $cookie_NAME: the value of the named cookie in
// the Cookie headers.
func (x *exchange) appendCookie(dst []byte, name string) ([]byte, bool) {
	for i := range x.head.Headers {
		hd := &x.head.Headers[i]
		if !hd.Is("cookie") {
			continue
		}
		v := hd.Value
		for len(v) > 0 {
			j := 0
			for j < len(v) && v[j] != ';' && v[j] != ',' {
				j++
			}
			part := v[:j]
			for len(part) > 0 && part[0] == ' ' {
				part = part[1:]
			}
			if len(part) > len(name) && part[len(name)] == '=' && strings.EqualFold(string(part[:len(name)]), name) {
				return append(dst, part[len(name)+1:]...), true
			}
			if j == len(v) {
				break
			}
			v = v[j+1:]
		}
	}
	return dst, false
}

// appendSent implements $sent_http_NAME from the response headers.
func (x *exchange) appendSent(dst []byte, name string) ([]byte, bool) {
	o := &x.out
	switch name {
	case "content_type":
		return append(dst, o.contentType...), len(o.contentType) > 0
	case "content_length":
		if o.contentLength < 0 {
			return dst, false
		}
		return strconv.AppendInt(dst, o.contentLength, 10), true
	case "location":
		if o.location != nil {
			return append(dst, o.location...), true
		}
	case "connection":
		if x.keepalive {
			return append(dst, "keep-alive"...), true
		}
		return append(dst, "close"...), true
	case "transfer_encoding":
		if o.chunked {
			return append(dst, "chunked"...), true
		}
		return dst, false
	}
	return appendHeaderVar(dst, o.headers, name)
}

// appendStatus appends a status as nginx's "%03ui".
func appendStatus(dst []byte, code int) []byte {
	if code < 100 {
		dst = append(dst, '0')
		if code < 10 {
			dst = append(dst, '0')
		}
	}
	return strconv.AppendInt(dst, int64(code), 10)
}

// appendMsec appends milliseconds as seconds with three decimals
// ("1.234").
func appendMsec(dst []byte, ms int64) []byte {
	if ms < 0 {
		ms = 0
	}
	dst = strconv.AppendInt(dst, ms/1000, 10)
	dst = append(dst, '.')
	f := ms % 1000
	if f < 100 {
		dst = append(dst, '0')
	}
	if f < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, f, 10)
}

// newRequestID is $request_id: 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
