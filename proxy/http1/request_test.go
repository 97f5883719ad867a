package http1

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// reqCase is one request head, with what nginx 1.22 makes of it. Every
// case is checked against the Go reader (TestReadRequest) and, when nginx
// is installed, against nginx itself (TestOracleRequests), which is how the
// expectations were established.
type reqCase struct {
	name   string
	srv    string // oracle server / limits variant (see oracleServers)
	in     string
	status int  // *Error status; 0 when the head is accepted
	eof    bool // head incomplete: nginx waits for more, the reader meets the end
	// want is "method|$uri|$args|$host|$request_uri|$server_protocol" for
	// an accepted head sent to a `return` location.
	want string
	// hdrs, when set, are the headers kept ("Name: value", in order); the
	// request then goes to a location proxying to the echo backend.
	hdrs []string
	ka   int8 // 1: keep-alive, -1: close, 0: not checked
}

const h11 = " HTTP/1.1\r\nHost: a\r\n\r\n"

var reqCases = []reqCase{
	// Request line (ngx_http_parse_request_line).
	{name: "simple", in: "GET /" + h11, want: "GET|/||a|/|HTTP/1.1", ka: 1},
	{name: "http10", in: "GET /x HTTP/1.0\r\n\r\n", want: "GET|/x|||/x|HTTP/1.0", ka: -1},
	{name: "http10-keepalive", in: "GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", want: "GET|/x|||/x|HTTP/1.0", ka: 1},
	{name: "http11-close", in: "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", want: "GET|/x||a|/x|HTTP/1.1", ka: -1},
	{name: "close-wins", in: "GET /x HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", want: "GET|/x|||/x|HTTP/1.0", ka: -1},
	{name: "connection-other", in: "GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", want: "GET|/x||a|/x|HTTP/1.1", ka: 1},
	{name: "minor-1999", in: "GET / HTTP/1.999\r\nHost: a\r\n\r\n", want: "GET|/||a|/|HTTP/1.999", ka: 1},
	{name: "minor-too-long", in: "GET / HTTP/1.1000\r\nHost: a\r\n\r\n", status: 400},
	{name: "version-2", in: "GET / HTTP/2.0\r\n\r\n", status: 505},
	{name: "version-10", in: "GET / HTTP/10.0\r\n\r\n", status: 505},
	{name: "version-0.9-explicit", in: "GET / HTTP/0.9\r\n\r\n", status: 400},
	{name: "version-leading-zero", in: "GET / HTTP/01.1\r\n\r\n", status: 400},
	{name: "version-garbage", in: "GET / HTTX/1.1\r\n\r\n", status: 400},
	{name: "version-no-minor", in: "GET / HTTP/1\r\n\r\n", status: 400},
	{name: "trailing-spaces", in: "GET  /a  HTTP/1.1  \r\nHost: a\r\n\r\n", want: "GET|/a||a|/a|HTTP/1.1  "},
	{name: "lf-only", in: "GET /a HTTP/1.1\nHost: a\nX-A: 1\n\n", want: "GET|/a||a|/a|HTTP/1.1"},
	{name: "leading-empty-lines", in: "\r\n\r\nGET /" + h11, want: "GET|/||a|/|HTTP/1.1"},
	{name: "cr-without-lf", in: "GET / HTTP/1.1\rX", status: 400},
	{name: "method-lowercase", in: "get /" + h11, status: 400},
	{name: "method-bad-char", in: "G@T /" + h11, status: 400},
	{name: "method-unknown", in: "FOO_BAR-X /" + h11, want: "FOO_BAR-X|/||a|/|HTTP/1.1"},
	{name: "method-connect", in: "CONNECT /" + h11, status: 405},
	{name: "method-connect-authority", in: "CONNECT a:443" + h11, status: 400},
	{name: "method-trace", in: "TRACE /" + h11, status: 405},
	{name: "asterisk", in: "OPTIONS *" + h11, status: 400},
	{name: "uri-space", in: "GET /a b" + h11, status: 400},
	{name: "uri-control", in: "GET /a\x01b" + h11, status: 400},
	{name: "uri-del", in: "GET /a\x7f" + h11, status: 400},
	{name: "uri-tab", in: "GET /a\tb" + h11, status: 400},
	{name: "uri-utf8", in: "GET /caf\xc3\xa9?\xff" + h11, want: "GET|/caf\xc3\xa9|\xff|a|/caf\xc3\xa9?\xff|HTTP/1.1"},
	{name: "uri-backslash", in: "GET /a\\b" + h11, want: "GET|/a\\b||a|/a\\b|HTTP/1.1"},
	{name: "uri-quote", in: "GET /a\"b<c>" + h11, want: "GET|/a\"b<c>||a|/a\"b<c>|HTTP/1.1"},
	{name: "no-uri", in: "GET  HTTP/1.1\r\nHost: a\r\n\r\n", status: 400},

	// HTTP/0.9.
	{name: "http09", in: "GET /x\r\n", want: "GET|/x|||/x|"},
	{name: "http09-lf", in: "GET /a?b\n", want: "GET|/a|b||/a?b|"},
	{name: "http09-spaces", in: "GET /a  \r\n", want: "GET|/a|||/a|"},
	{name: "http09-post", in: "POST /\r\n", status: 400},
	{name: "http09-normalised", in: "GET /a/../b\r\n", want: "GET|/b|||/a/../b|"},

	// Absolute URIs.
	{name: "abs", in: "GET http://Ex.COM/p?q HTTP/1.1\r\nHost: other\r\n\r\n", want: "GET|/p|q|ex.com|/p?q|HTTP/1.1"},
	{name: "abs-port", in: "GET https://h.example:8443/p" + h11, want: "GET|/p||h.example|/p|HTTP/1.1"},
	{name: "abs-query-no-path", in: "GET http://Foo.Bar:99?x" + h11, want: "GET|/|x|foo.bar|?x|HTTP/1.1"},
	{name: "abs-no-path", in: "GET http://Foo.Bar:99" + h11, want: "GET|/||foo.bar|/|HTTP/1.1"},
	{name: "abs-no-path-no-port", in: "GET http://foo" + h11, want: "GET|/||foo|/|HTTP/1.1"},
	{name: "abs-trailing-dot", in: "GET http://foo./" + h11, want: "GET|/||foo|/|HTTP/1.1"},
	{name: "abs-ipv6", in: "GET http://[::1]:8080/x" + h11, want: "GET|/x||[::1]|/x|HTTP/1.1"},
	{name: "abs-ipv6-bad", in: "GET http://[::1%]/x" + h11, status: 400},
	{name: "abs-dotdot-host", in: "GET http://a..b/" + h11, status: 400},
	{name: "abs-empty-host", in: "GET http:///x" + h11, status: 400},
	{name: "abs-underscore-host", in: "GET http://a_b/" + h11, status: 400},
	{name: "abs-bad-scheme", in: "GET ht_tp://a/" + h11, status: 400},
	{name: "abs-scheme-chars", in: "GET a+b.c-d://h/" + h11, want: "GET|/||h|/|HTTP/1.1"},
	{name: "abs-one-slash", in: "GET http:/h/" + h11, status: 400},
	{name: "abs-port-letters", in: "GET http://h:8a/" + h11, status: 400},
	{name: "abs-http10-no-host", in: "GET http://h/x HTTP/1.0\r\n\r\n", want: "GET|/x||h|/x|HTTP/1.0"},
	{name: "abs-query-fragment", in: "GET http://h?a#b" + h11, want: "GET|/|a|h|?a#b|HTTP/1.1"},
	{name: "abs-host-header-invalid", in: "GET http://h/ HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400},
	{name: "abs-http09", in: "GET http://h/x\r\n", want: "GET|/x||h|/x|"},

	// URI normalisation (ngx_http_parse_complex_uri).
	{name: "dotdot", in: "GET /a/../b?x=1 HTTP/1.1\r\nHost: Example.COM.\r\n\r\n", want: "GET|/b|x=1|example.com|/a/../b?x=1|HTTP/1.1"},
	{name: "dotdot-root", in: "GET /../b" + h11, status: 400},
	{name: "dotdot-root-end", in: "GET /.." + h11, status: 400},
	{name: "dotdot-end", in: "GET /a/b/.." + h11, want: "GET|/a/||a|/a/b/..|HTTP/1.1"},
	{name: "dot-segments", in: "GET /a/./b/." + h11, want: "GET|/a/b/||a|/a/./b/.|HTTP/1.1"},
	{name: "dots-not-segments", in: "GET /a/.../.b/..c/d." + h11, want: "GET|/a/.../.b/..c/d.||a|/a/.../.b/..c/d.|HTTP/1.1"},
	{name: "dotdot-args", in: "GET /a/..?x" + h11, want: "GET|/|x|a|/a/..?x|HTTP/1.1"},
	{name: "dot-args", in: "GET /a/.?x" + h11, want: "GET|/a/|x|a|/a/.?x|HTTP/1.1"},
	{name: "merge-slashes", in: "GET //a///b/" + h11, want: "GET|/a/b/||a|//a///b/|HTTP/1.1"},
	{name: "no-merge-slashes", srv: "nomrg", in: "GET //a///b/" + h11, want: "GET|//a///b/||a|//a///b/|HTTP/1.1"},
	{name: "no-merge-dotdot", srv: "nomrg", in: "GET /a//../b" + h11, want: "GET|/a/b||a|/a//../b|HTTP/1.1"},
	{name: "percent", in: "GET /%41%2f%2E%2e/b%20c" + h11, want: "GET|/b c||a|/%41%2f%2E%2e/b%20c|HTTP/1.1"},
	{name: "percent-dotdot-root", in: "GET /%2e%2E/" + h11, status: 400},
	{name: "percent-slash-dotdot", in: "GET /a/b%2F..%2Fc" + h11, want: "GET|/a/c||a|/a/b%2F..%2Fc|HTTP/1.1"},
	{name: "percent-nul", in: "GET /a%00b" + h11, status: 400},
	{name: "percent-bad", in: "GET /a%zz" + h11, status: 400},
	{name: "percent-bad-second", in: "GET /a%4g" + h11, status: 400},
	{name: "percent-truncated", in: "GET /a%4" + h11, status: 400},
	{name: "percent-truncated-args", in: "GET /a%4?b" + h11, status: 400},
	{name: "percent-question", in: "GET /a%3Fb?c" + h11, want: "GET|/a?b|c|a|/a%3Fb?c|HTTP/1.1"},
	{name: "percent-percent", in: "GET /a%25b%2541" + h11, want: "GET|/a%b%41||a|/a%25b%2541|HTTP/1.1"},
	{name: "percent-hash", in: "GET /a%23b" + h11, want: "GET|/a#b||a|/a%23b|HTTP/1.1"},
	{name: "percent-high", in: "GET /%C3%A9%ff" + h11, want: "GET|/\xc3\xa9\xff||a|/%C3%A9%ff|HTTP/1.1"},
	{name: "percent-in-args-only", in: "GET /a?b=%zz" + h11, want: "GET|/a|b=%zz|a|/a?b=%zz|HTTP/1.1"},
	{name: "plus", in: "GET /a+b%2B" + h11, want: "GET|/a+b+||a|/a+b%2B|HTTP/1.1"},
	{name: "fragment", in: "GET /a#f?x" + h11, want: "GET|/a||a|/a#f?x|HTTP/1.1"},
	{name: "args-fragment", in: "GET /a?x=1#f" + h11, want: "GET|/a|x=1|a|/a?x=1#f|HTTP/1.1"},
	{name: "args-second-question", in: "GET /a?x?y" + h11, want: "GET|/a|x?y|a|/a?x?y|HTTP/1.1"},
	{name: "empty-args", in: "GET /a?" + h11, want: "GET|/a||a|/a?|HTTP/1.1"},
	{name: "dotdot-in-args", in: "GET /a?/../x" + h11, want: "GET|/a|/../x|a|/a?/../x|HTTP/1.1"},

	// Headers (ngx_http_parse_header_line, ngx_http_process_request_headers).
	{name: "headers-order-case", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nx-LoWeR: V\r\nAccept: */*\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n",
		hdrs: []string{"Host: a", "x-LoWeR: V", "Accept: */*", "X-Dup: 1", "X-Dup: 2"}},
	{name: "header-trim", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nX-A:   v  v   \r\n\r\n", hdrs: []string{"Host: a", "X-A: v  v"}},
	{name: "header-no-space", in: "GET /echo/ HTTP/1.1\r\nHost:a\r\nX-A:v\r\n\r\n", hdrs: []string{"Host: a", "X-A: v"}},
	{name: "header-tabs-kept", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nX-T: \ta\t\r\n\r\n", hdrs: []string{"Host: a", "X-T: \ta\t"}},
	{name: "header-control-in-value", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nX-C: a\x01b\r\n\r\n", hdrs: []string{"Host: a", "X-C: a\x01b"}},
	{name: "header-empty", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nX-E:\r\nX-F:   \r\nX-G: 1\r\n\r\n", hdrs: []string{"Host: a", "X-E: ", "X-F: ", "X-G: 1"}},
	{name: "header-no-colon", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nNoColon\r\nX-G: 1\r\n\r\n", hdrs: []string{"Host: a", "NoColon: ", "X-G: 1"}},
	{name: "header-underscore-dropped", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nX_U: 1\r\n_Y: 2\r\nX-G: 3\r\n\r\n", hdrs: []string{"Host: a", "X-G: 3"}},
	{name: "header-underscore-kept", srv: "us", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nX_U: 1\r\n_Y: 2\r\n\r\n", hdrs: []string{"Host: a", "X_U: 1", "_Y: 2"}},
	{name: "header-invalid-dropped", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nX@B: 1\r\n\xffX: 2\r\nX\xc3\xa9: 3\r\nX-G: 4\r\n\r\n", hdrs: []string{"Host: a", "X-G: 4"}},
	{name: "header-invalid-kept", srv: "inv", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nX@B: 1\r\nX_U: 2\r\n\r\n", hdrs: []string{"Host: a", "X@B: 1", "X_U: 2"}},
	{name: "header-folding", in: "GET / HTTP/1.1\r\nHost: a\r\nX-F: a\r\n  b\r\n\r\n", status: 400},
	{name: "header-folding-tab", in: "GET / HTTP/1.1\r\nHost: a\r\nX-F: a\r\n\tb\r\n\r\n", status: 400},
	{name: "header-space-in-name", in: "GET / HTTP/1.1\r\nHost: a\r\nX Y: 1\r\n\r\n", status: 400},
	{name: "header-space-before-colon", in: "GET / HTTP/1.1\r\nHost: a\r\nX-Y : 1\r\n\r\n", status: 400},
	{name: "header-colon-first", in: "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", status: 400},
	{name: "header-nul-value", in: "GET / HTTP/1.1\r\nHost: a\r\nX: a\x00\r\n\r\n", status: 400},
	{name: "header-nul-name", in: "GET / HTTP/1.1\r\nHost: a\r\nX\x00: a\r\n\r\n", status: 400},
	{name: "header-cr-junk", in: "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", status: 400},
	{name: "header-end-cr-junk", in: "GET / HTTP/1.1\r\nHost: a\r\n\rX", status: 400},
	{name: "header-cr-cr-lf", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n", hdrs: []string{"Host: a", "X: a"}},
	{name: "header-http-line", in: "GET / HTTP/1.1\r\nHost: a\r\nHTTP/1.1 200 OK\r\n\r\n", status: 400},

	// Host (ngx_http_process_host, ngx_http_validate_host).
	{name: "host-port-case", in: "GET / HTTP/1.1\r\nHost: EXAMPLE.com:8080\r\n\r\n", want: "GET|/||example.com|/|HTTP/1.1"},
	{name: "host-trailing-dot", in: "GET / HTTP/1.1\r\nHost: a.b.:1\r\n\r\n", want: "GET|/||a.b|/|HTTP/1.1"},
	{name: "host-ipv6", in: "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", want: "GET|/||[::1]|/|HTTP/1.1"},
	{name: "host-odd-chars", in: "GET / HTTP/1.1\r\nHost: a_b!$\r\n\r\n", want: "GET|/||a_b!$|/|HTTP/1.1"},
	{name: "host-duplicate", in: "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", status: 400},
	{name: "host-slash", in: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400},
	{name: "host-dotdot", in: "GET / HTTP/1.1\r\nHost: a..b\r\n\r\n", status: 400},
	{name: "host-dotdot-port", in: "GET / HTTP/1.1\r\nHost: a:1..2\r\n\r\n", status: 400},
	{name: "host-empty", in: "GET / HTTP/1.1\r\nHost:\r\n\r\n", status: 400},
	{name: "host-dot", in: "GET / HTTP/1.1\r\nHost: .\r\n\r\n", status: 400},
	{name: "host-port-only", in: "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", status: 400},
	{name: "host-space", in: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400},
	{name: "host-missing-11", in: "GET / HTTP/1.1\r\nX: 1\r\n\r\n", status: 400},
	{name: "host-missing-10", in: "GET / HTTP/1.0\r\nX: 1\r\n\r\n", want: "GET|/|||/|HTTP/1.0"},
	{name: "host-empty-10", in: "GET / HTTP/1.0\r\nHost:\r\n\r\n", status: 400},

	// Framing and unique headers (ngx_http_process_request_header).
	{name: "cl-ok", in: "POST /echo/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", hdrs: []string{"Host: a", "Content-Length: 3"}},
	{name: "cl-duplicate", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", status: 400},
	{name: "cl-letters", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1a\r\n\r\n", status: 400},
	{name: "cl-negative", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", status: 400},
	{name: "cl-plus", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", status: 400},
	{name: "cl-empty", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", status: 400},
	{name: "cl-overflow", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n", status: 400},
	{name: "cl-and-te", in: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "te-gzip", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501},
	{name: "te-list", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501},
	{name: "te-http10", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "te-duplicate", in: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "te-case", in: "POST /echo/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ChUnKeD\r\n\r\n0\r\n\r\n", hdrs: []string{"Host: a", "Transfer-Encoding: ChUnKeD"}},
	{name: "dup-authorization", in: "GET / HTTP/1.1\r\nHost: a\r\nAuthorization: a\r\nauthorization: b\r\n\r\n", status: 400},
	{name: "dup-if-none-match", in: "GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: a\r\nIf-None-Match: b\r\n\r\n", status: 400},
	{name: "dup-expect", in: "GET / HTTP/1.1\r\nHost: a\r\nExpect: a\r\nExpect: b\r\n\r\n", status: 400},
	{name: "dup-cookie-ok", in: "GET /echo/ HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n", hdrs: []string{"Host: a", "Cookie: a=1", "Cookie: b=2"}},

	// Incomplete heads: nginx waits (and, on close, sends nothing).
	{name: "incomplete-line", in: "GET / HTTP/1.1", eof: true},
	{name: "incomplete-headers", in: "GET / HTTP/1.1\r\nHost: a\r\n", eof: true},
	{name: "only-empty-lines", in: "\r\n\r\n\r\n", eof: true},

	// Buffers: client_header_buffer_size 64, large_client_header_buffers 2 128.
	{name: "small-fits", srv: "small", in: "GET /" + strings.Repeat("a", 100) + h11, want: "GET|/" + strings.Repeat("a", 100) + "||a|/" + strings.Repeat("a", 100) + "|HTTP/1.1"},
	{name: "small-line-128", srv: "small", in: "GET /" + strings.Repeat("a", 112) + " HTTP/1.1\r\nHost: a\r\n\r\n", want: "GET|/" + strings.Repeat("a", 112) + "||a|/" + strings.Repeat("a", 112) + "|HTTP/1.1"},
	{name: "small-line-129", srv: "small", in: "GET /" + strings.Repeat("a", 113) + " HTTP/1.1\r\nHost: a\r\n\r\n", status: 414},
	{name: "small-empty-lines-then-line", srv: "small", in: strings.Repeat("\r\n", 100) + "GET /" + h11, want: "GET|/||a|/|HTTP/1.1"},
	{name: "small-header-128", srv: "small", in: "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 123) + "\r\n\r\n", want: "GET|/||a|/|HTTP/1.1"},
	{name: "small-header-129", srv: "small", in: "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 124) + "\r\n\r\n", status: 494},
	{name: "small-third-buffer", srv: "small", in: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: "+strings.Repeat("b", 60)+"\r\n", 3) + "\r\n", status: 494},
	{name: "small-two-buffers", srv: "small", in: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: "+strings.Repeat("b", 60)+"\r\n", 2) + "\r\n", want: "GET|/||a|/|HTTP/1.1"},
	{name: "small-line-and-header", srv: "small", in: "GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 120) + "\r\n\r\n", want: "GET|/" + strings.Repeat("a", 100) + "||a|/" + strings.Repeat("a", 100) + "|HTTP/1.1"},
	{name: "small-line-and-headers-overflow", srv: "small", in: "GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 120) + "\r\nY: " + strings.Repeat("c", 120) + "\r\n\r\n", status: 494},
	{name: "small-line-fills-first", srv: "small", in: "GET /" + strings.Repeat("a", 48) + h11, want: "GET|/" + strings.Repeat("a", 48) + "||a|/" + strings.Repeat("a", 48) + "|HTTP/1.1"},
	{name: "small-line-fills-first-overflow", srv: "small", in: "GET /" + strings.Repeat("a", 48) + " HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("b", 115) + "\r\nY: " + strings.Repeat("c", 115) + "\r\n\r\n", status: 494},
	{name: "default-line-8k", in: "GET /" + strings.Repeat("a", 8176) + h11, want: "GET|/" + strings.Repeat("a", 8176) + "||a|/" + strings.Repeat("a", 8176) + "|HTTP/1.1"},
	{name: "default-line-over-8k", in: "GET /" + strings.Repeat("a", 8200) + h11, status: 414},
	{name: "default-header-over-8k", in: "GET / HTTP/1.1\r\nHost: a\r\nCookie: " + strings.Repeat("c", 8200) + "\r\n\r\n", status: 494},
	{name: "default-headers-32k", in: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("Cookie: "+strings.Repeat("c", 7000)+"\r\n", 5) + "\r\n", status: 494},
	{name: "default-headers-4x", in: "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("Cookie: "+strings.Repeat("c", 7000)+"\r\n", 4) + "\r\n", want: "GET|/||a|/|HTTP/1.1"},

	// Virtual servers: the Host header switches the settings for the
	// headers after it (underscores_in_headers on only for us.test).
	{name: "vhost-after-host", srv: "vhost", in: "GET / HTTP/1.1\r\nHost: US.test\r\nX_U: 1\r\n\r\n", hdrs: []string{"Host: US.test", "X_U: 1"}},
	{name: "vhost-before-host", srv: "vhost", in: "GET / HTTP/1.1\r\nX_U: 1\r\nHost: us.test\r\nX_V: 2\r\n\r\n", hdrs: []string{"Host: us.test", "X_V: 2"}},
	{name: "vhost-other", srv: "vhost", in: "GET / HTTP/1.1\r\nHost: other\r\nX_U: 1\r\n\r\n", hdrs: []string{"Host: other"}},
	{name: "vhost-request-line", srv: "vhost", in: "GET http://us.test/ HTTP/1.1\r\nX_U: 1\r\nHost: x\r\n\r\n", hdrs: []string{"X_U: 1", "Host: x"}},
}

// describe renders an accepted head the way the oracle's `return` does.
func describe(req *Request) string {
	return strings.Join([]string{string(req.MethodName), string(req.Path), string(req.Args),
		string(req.Server), string(req.URI), string(req.Proto)}, "|")
}

func headerStrings(hs []Header) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = string(h.Name) + ": " + string(h.Value)
	}
	return out
}

// checkRequest runs one case through a Reader over src.
func checkRequest(t *testing.T, c reqCase, src io.Reader) {
	t.Helper()
	var pools Pools
	r := NewReader(src, &pools)
	var req Request
	err := r.ReadRequest(&req, limitsFor(c.srv))
	var herr *Error
	switch {
	case c.eof:
		if !errors.As(err, &herr) || herr.Status != 400 || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("got %v, want a premature end", err)
		}
	case c.status != 0:
		if !errors.As(err, &herr) || herr.Status != c.status || herr.Err != nil {
			t.Fatalf("got %v (%#v), want status %d", err, herr, c.status)
		}
	case err != nil:
		t.Fatalf("unexpected error %v", err)
	default:
		if c.want != "" && describe(&req) != c.want {
			t.Errorf("got %q\nwant %q", describe(&req), c.want)
		}
		if c.hdrs != nil && !slices.Equal(headerStrings(req.Headers), c.hdrs) {
			t.Errorf("headers %q\nwant %q", headerStrings(req.Headers), c.hdrs)
		}
		if c.ka != 0 && req.KeepAlive != (c.ka > 0) {
			t.Errorf("KeepAlive = %v", req.KeepAlive)
		}
	}
	r.Release()
	if r.cur != nil && len(r.Buffered()) == 0 {
		t.Errorf("Reader holds a buffer with nothing buffered after Release")
	}
}

func TestReadRequest(t *testing.T) {
	for _, c := range reqCases {
		t.Run(c.name, func(t *testing.T) {
			checkRequest(t, c, strings.NewReader(c.in))
		})
		// Byte-by-byte arrival must not change anything: the parsers
		// resume where they stopped.
		t.Run(c.name+"/onebyte", func(t *testing.T) {
			checkRequest(t, c, iotest.OneByteReader(strings.NewReader(c.in)))
		})
	}
}

// TestOracleRequests sends every reqCase to nginx and checks that it
// answers as the case says.
func TestOracleRequests(t *testing.T) {
	o := startOracle(t)
	for _, c := range reqCases {
		t.Run(c.name, func(t *testing.T) {
			srv := c.srv
			wait := 3 * time.Second
			if c.eof {
				wait = 300 * time.Millisecond
			}
			o.newLog(t)
			got := o.send(t, srv, c.in, wait)
			checkOracleReply(t, c, got)
			if c.status != 0 {
				// nginx logs the same message as the Go reader gives.
				log := o.newLog(t)
				var req Request
				err := NewReader(strings.NewReader(c.in), new(Pools)).ReadRequest(&req, limitsFor(c.srv))
				var herr *Error
				if errors.As(err, &herr) && !strings.Contains(log, " "+herr.Msg) {
					t.Errorf("nginx logged %q\nwant %q", log, herr.Msg)
				}
			}
		})
	}
}

func checkOracleReply(t *testing.T, c reqCase, got reply) {
	t.Helper()
	switch {
	case c.eof:
		if !got.none {
			t.Fatalf("nginx answered %q, want it to wait", got.raw)
		}
	case c.status == 494:
		if got.status != 400 || !strings.Contains(got.body, "400 Request Header Or Cookie Too Large") {
			t.Fatalf("nginx answered %q, want the 494 page", got.raw)
		}
	case c.status != 0:
		if got.status != c.status && !(got.status == 0 && strings.Contains(got.body, "<title>"+StatusLine(c.status))) {
			t.Fatalf("nginx answered %q, want %d", got.raw, c.status)
		}
	case c.hdrs != nil:
		sent := strings.Split(strings.SplitN(got.body, "\r\n\r\n", 2)[0], "\r\n")
		if got.status != 200 || len(sent) < 3 {
			t.Fatalf("nginx answered %q", got.raw)
		}
		// nginx adds its own Content-Length for a body: not the client's.
		sent = slices.DeleteFunc(sent[3:], func(h string) bool { return strings.HasPrefix(h, "Content-Length: ") })
		if want := proxiedHeaders(c.hdrs); !slices.Equal(sent, want) {
			t.Errorf("nginx passed %q\nwant %q", sent, want)
		}
	default:
		if got.status == 0 && strings.HasSuffix(c.want, "|") { // HTTP/0.9: body only
			if got.body != c.want {
				t.Errorf("nginx: %q\nwant %q", got.body, c.want)
			}
			return
		}
		if got.status != 200 || got.body != c.want {
			t.Fatalf("nginx: %q\nwant %q", got.raw, c.want)
		}
		if c.ka != 0 && (got.header("connection") == "keep-alive") != (c.ka > 0) {
			t.Errorf("nginx Connection: %q", got.header("connection"))
		}
	}
}

// proxiedHeaders is what nginx's proxy passes of a request's headers with
// its defaults: not Host, Connection, Keep-Alive, TE, Upgrade, Expect,
// Content-Length or Transfer-Encoding.
func proxiedHeaders(hs []string) []string {
	var out []string
	for _, h := range hs {
		name, _, _ := strings.Cut(h, ":")
		switch strings.ToLower(name) {
		case "host", "connection", "keep-alive", "te", "upgrade", "expect", "content-length", "transfer-encoding":
			continue
		}
		out = append(out, h)
	}
	return out
}

// TestFailedHeadContext checks what a head that fails leaves for $request,
// $uri, $request_uri, $args, $server_protocol and the error log's context,
// as nginx sets them (observed on nginx 1.22; the side-by-side suite's
// 410-hostile-request-line compares the log lines).
func TestFailedHeadContext(t *testing.T) {
	type want struct {
		status     int
		line       string // Line; "" for nil
		partial    string // PartialLine; "<nil>" for nil
		uri, path  string // "<nil>" for nil
		proto      string // "<nil>" for nil
		headLength int64
	}
	show := func(b []byte) string {
		if b == nil {
			return "<nil>"
		}
		return string(b)
	}
	cases := []struct {
		name, in string
		want     want
	}{
		// A bad first byte: nginx's request_start is set, so the line
		// shows in $request.
		{"bad-first-byte", "get / HTTP/1.1\r\nHost: a\r\n\r\n", want{status: 400, partial: "get / HTTP/1.1", uri: "<nil>", path: "<nil>", proto: "<nil>"}},
		{"leading-space", " GET / HTTP/1.1\r\n\r\n", want{status: 400, partial: " GET / HTTP/1.1", uri: "<nil>", path: "<nil>", proto: "<nil>"}},
		{"http09-head", "HEAD /\r\n", want{status: 400, partial: "HEAD /", uri: "<nil>", path: "<nil>", proto: "<nil>"}},
		// Only empty lines, then the end: $request is empty, not "-".
		{"empty-line-eof", "\r\n", want{status: 400, partial: "", uri: "<nil>", path: "<nil>", proto: "<nil>"}},
		// A URI the complex parser refuses: the line is only partial
		// ("while reading client request line"), $uri is empty but set,
		// $request_uri is not set, $request_length counts the line.
		{"bad-escape", "GET /a%zz?b HTTP/1.1\r\nHost: a\r\n\r\n", want{status: 400, partial: "GET /a%zz?b HTTP/1.1", uri: "<nil>", path: "", proto: "HTTP/1.1", headLength: 22}},
		{"above-root", "GET /../x HTTP/1.1\r\n\r\n", want{status: 400, partial: "GET /../x HTTP/1.1", uri: "<nil>", path: "", proto: "HTTP/1.1", headLength: 20}},
		{"bad-host-in-line", "GET http://a..b/x HTTP/1.1\r\n\r\n", want{status: 400, partial: "GET http://a..b/x HTTP/1.1", uri: "/x", path: "/x", proto: "HTTP/1.1", headLength: 28}},
		// A version that breaks after "H": $server_protocol is empty.
		{"bad-version", "GET / HTTP/1.x\r\n\r\n", want{status: 400, partial: "GET / HTTP/1.x", uri: "<nil>", path: "<nil>", proto: ""}},
		{"good", "GET /a HTTP/1.1\r\nHost: a\r\n\r\n", want{line: "GET /a HTTP/1.1", partial: "<nil>", uri: "/a", path: "/a", proto: "HTTP/1.1", headLength: 28}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var req Request
			lim := DefaultLimits()
			r := NewReader(strings.NewReader(c.in), new(Pools))
			err := r.ReadRequest(&req, &lim)
			status := 0
			var he *Error
			if errors.As(err, &he) {
				status = he.Status
			} else if err != nil {
				t.Fatalf("error %v", err)
			}
			got := want{
				status: status, line: string(req.Line), partial: show(req.PartialLine),
				uri: show(req.URI), path: show(req.Path), proto: show(req.Proto), headLength: req.HeadLength,
			}
			if got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestInvalidHeadersRecorded checks that the lines ignore_invalid_headers
// drops are kept for the caller to log, quoted as nginx quotes them, with
// how many kept headers preceded each.
func TestInvalidHeadersRecorded(t *testing.T) {
	in := "GET / HTTP/1.1\r\nX(A):  v \r\nHost: a\r\nX_B: w\r\nX-\xc3\xa9:z\r\nX-C: c\r\n\r\n"
	for _, ignore := range []bool{true, false} {
		var req Request
		lim := DefaultLimits()
		lim.IgnoreInvalidHeaders = ignore
		if err := NewReader(strings.NewReader(in), new(Pools)).ReadRequest(&req, &lim); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range req.Invalid {
			got = append(got, string(h.Line)+"|"+strconv.Itoa(h.Kept))
		}
		want := []string{"X(A):  v|0", "X_B: w|1", "X-\xc3\xa9:z|1"}
		if !ignore {
			want = nil
		}
		if !slices.Equal(got, want) {
			t.Errorf("ignore_invalid_headers %v: Invalid = %q, want %q", ignore, got, want)
		}
		if n := len(req.Headers); n != 5-len(want) {
			t.Errorf("ignore_invalid_headers %v: %d headers kept", ignore, n)
		}
	}
}

// TestFailedLineMethod checks that a line refused after its method keeps
// nginx's r->method (the error response to HEAD has no body) but not its
// name ($request_method is "-"), except for HTTP/0.9.
func TestFailedLineMethod(t *testing.T) {
	cases := []struct {
		in   string
		want Method
	}{
		{"HEAD /a HTTP/1.x\r\n\r\n", MethodHEAD},
		{"HEAD /{{long}} HTTP/1.1\r\n\r\n", MethodHEAD},
		{"HEAD /\r\n", 0},
		{"get / HTTP/1.1\r\n\r\n", 0},
	}
	for _, c := range cases {
		in := strings.Replace(c.in, "{{long}}", strings.Repeat("a", 9000), 1)
		var req Request
		lim := DefaultLimits()
		err := NewReader(strings.NewReader(in), new(Pools)).ReadRequest(&req, &lim)
		if err == nil {
			t.Fatalf("%.20q: accepted", in)
		}
		if req.Method != c.want || req.MethodName != nil {
			t.Errorf("%.20q: Method %v, MethodName %q; want %v, nil", in, req.Method, req.MethodName, c.want)
		}
	}
}
