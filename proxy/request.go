package proxy

import (
	"strconv"
	"strings"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// proxyPlan is what a level with proxy_pass needs per request, computed
// once per configuration (ngx_http_proxy_merge_loc_conf and
// ngx_http_proxy_init_headers): the headers nginx itself sends upstream in
// order, the client headers they replace, the response headers to hide, and
// the proxy_redirect rules.
type proxyPlan struct {
	// headers are proxy_set_header's entries in config order, then those
	// of nginx's defaults they do not name. Entries whose value is an
	// empty literal are left out: they only keep the client's header
	// from being passed.
	headers []planHeader
	// skip holds every name above, lower-cased: client headers of these
	// names are not passed.
	skip []string
	// hide holds the response headers not passed to the client,
	// lower-cased: nginx's defaults and proxy_hide_header, minus
	// proxy_pass_header.
	hide []string
	// passServer and passDate are set by proxy_pass_header Server/Date.
	passServer, passDate bool
	version              int
	redirects            []redirectRule
	// tls is the level's TLS toward its upstreams, nil without
	// "proxy_pass https://" (or one with variables).
	tls *upstreamTLS
}

type planHeader struct {
	name  string
	value *directives.Complex
	// kind marks nginx's default values computed by the proxy itself.
	kind uint8
}

// The kinds of planned header values.
const (
	hdrValue      = iota // a configured value
	hdrProxyHost         // $proxy_host
	hdrLiteral           // a default literal ("close")
	hdrBodyLength        // $proxy_internal_body_length
	hdrChunked           // $proxy_internal_chunked
)

// nginx's default upstream headers (ngx_http_proxy_headers), in order.
var defaultProxyHeaders = []struct{ name, value string }{
	{"Host", "$proxy_host"},
	{"Connection", "close"},
	{"Content-Length", "$proxy_internal_body_length"},
	{"Transfer-Encoding", "$proxy_internal_chunked"},
	{"TE", ""},
	{"Keep-Alive", ""},
	{"Expect", ""},
	{"Upgrade", ""},
}

// defaultHiddenHeaders are ngx_http_proxy_hide_headers: response headers
// nginx never passes unless proxy_pass_header names them.
var defaultHiddenHeaders = []string{
	"date", "server", "x-pad", "x-accel-expires", "x-accel-redirect",
	"x-accel-limit-rate", "x-accel-buffering", "x-accel-charset",
}

// newProxyPlan compiles a level's plan.
func newProxyPlan(c *directives.LocConf) *proxyPlan {
	p := &proxyPlan{version: 1000}
	if c.ProxyHTTPVersion == "1.1" {
		p.version = 1001
	}
	if c.ProxySSL != nil {
		p.tls = newUpstreamTLS(c.ProxySSL)
	}
	named := map[string]bool{}
	for _, h := range c.ProxySetHeaders {
		low := strings.ToLower(h.Name)
		named[low] = true
		p.addName(low)
		if h.Value == nil || len(h.Value.Segments) == 0 {
			continue
		}
		p.headers = append(p.headers, planHeader{name: h.Name, value: h.Value})
	}
	for _, d := range defaultProxyHeaders {
		low := strings.ToLower(d.name)
		if named[low] {
			continue
		}
		p.addName(low)
		if d.value == "" {
			continue
		}
		p.headers = append(p.headers, planHeader{name: d.name, value: compileDefault(d.value), kind: defaultKind(d.value)})
	}
	pass := map[string]bool{}
	for _, h := range c.ProxyPassHeaders {
		pass[strings.ToLower(h)] = true
	}
	p.passServer, p.passDate = pass["server"], pass["date"]
	for _, h := range defaultHiddenHeaders {
		if !pass[h] {
			p.hide = append(p.hide, h)
		}
	}
	for _, h := range c.ProxyHideHeaders {
		if low := strings.ToLower(h); !pass[low] {
			p.hide = append(p.hide, low)
		}
	}
	return p
}

func (p *proxyPlan) addName(low string) {
	for _, n := range p.skip {
		if n == low {
			return
		}
	}
	p.skip = append(p.skip, low)
}

// compileDefault builds the value of a default header: a literal, or a
// single variable.
func compileDefault(v string) *directives.Complex {
	if strings.HasPrefix(v, "$") {
		return &directives.Complex{Raw: v, Segments: []directives.Segment{{Var: v[1:]}}}
	}
	return &directives.Complex{Raw: v, Segments: []directives.Segment{{Literal: v}}}
}

// defaultKind tells how a default header's value is computed.
func defaultKind(v string) uint8 {
	switch v {
	case "$proxy_host":
		return hdrProxyHost
	case "$proxy_internal_body_length":
		return hdrBodyLength
	case "$proxy_internal_chunked":
		return hdrChunked
	}
	return hdrLiteral
}

// skips reports whether a client header is replaced by nginx's own list.
func (p *proxyPlan) skips(name []byte) bool {
	for _, n := range p.skip {
		if directives.EqualFoldASCII(name, n) {
			return true
		}
	}
	return false
}

// hides reports whether an upstream response header is hidden.
func (p *proxyPlan) hides(name []byte) bool {
	for _, n := range p.hide {
		if directives.EqualFoldASCII(name, n) {
			return true
		}
	}
	return false
}

// appendUpstreamHead appends the request head nginx sends upstream
// (ngx_http_proxy_create_request): the request line, the plan's headers
// whose values are not empty, then the client's headers in their order and
// case minus those the plan names, then the empty line.
func (x *exchange) appendUpstreamHead(dst []byte, p *proxyPlan, uri []byte) []byte {
	dst = http1.AppendRequestLine(dst, x.up.method, uri, p.version)
	for i := range p.headers {
		h := &p.headers[i]
		start := len(dst)
		dst = append(dst, h.name...)
		dst = append(dst, ':', ' ')
		v := len(dst)
		switch h.kind {
		case hdrValue:
			dst = x.evalValue(dst, h.value)
		case hdrProxyHost:
			dst = append(dst, x.upInfo.ProxyHost...)
		case hdrLiteral:
			dst = append(dst, h.value.Raw...)
		case hdrBodyLength:
			if x.up.hasSetBody {
				dst = strconv.AppendInt(dst, int64(len(x.up.setBody)), 10)
			} else if x.body.length >= 0 {
				dst = strconv.AppendInt(dst, x.body.length, 10)
			}
		case hdrChunked:
			if x.body.chunkedOut {
				dst = append(dst, "chunked"...)
			}
		}
		if len(dst) == v {
			dst = dst[:start]
			continue
		}
		dst = append(dst, '\r', '\n')
	}
	if x.conf.ProxyPassRequestHeaders {
		for i := range x.head.Headers {
			h := &x.head.Headers[i]
			if p.skips(h.Name) {
				continue
			}
			dst = http1.AppendHeader(dst, h.Name, h.Value)
		}
	}
	return append(dst, '\r', '\n')
}

// appendUpstreamURI appends the URI sent upstream, by nginx's rules: a
// proxy_pass with variables and a URI part sends that URI as evaluated;
// without a URI part the request line's URI goes unchanged while it still
// describes the request; otherwise the URI part replaces the location's
// prefix of the normalised URI (escaped again when the request had escapes
// or was redirected internally) — or, after a rewrite with break, the
// rewritten URI goes alone — and the arguments follow.
func (x *exchange) appendUpstreamURI(dst []byte, partURI []byte, hasPart, vars bool) []byte {
	switch {
	case vars && hasPart:
		return append(dst, partURI...)
	case !hasPart && x.validUnparsedURI:
		return append(dst, x.head.URI...)
	}
	locLen := 0
	if hasPart && x.validLocation && x.loc != nil && x.loc.loc != nil {
		locLen = min(len(x.loc.name), len(x.uri))
	}
	// After "rewrite … break" the location no longer describes the URI
	// (r->valid_location is off): nginx sends the changed URI whole,
	// without proxy_pass's URI part.
	if x.validLocation {
		dst = append(dst, partURI...)
	}
	rest := x.uri[locLen:]
	if x.quotedURI || x.internal {
		dst = http1.AppendEscapedURI(dst, rest)
	} else {
		dst = append(dst, rest...)
	}
	if args := x.curArgs(); len(args) > 0 {
		dst = append(dst, '?')
		dst = append(dst, args...)
	}
	return dst
}
