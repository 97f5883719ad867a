package http1

import (
	"strings"
	"testing"
	"time"
)

// proxyURI builds the URI nginx's proxy_pass with a URI part sends
// (ngx_http_proxy_create_request): the replacement, then the normalised
// path after the location prefix — re-escaped only when the request had
// %XX escapes — then "?" and the arguments.
func proxyURI(req *Request, prefix, replacement string) string {
	out := []byte(replacement)
	rest := req.Path[len(prefix):]
	if req.QuotedURI {
		out = AppendEscapedURI(out, rest)
	} else {
		out = append(out, rest...)
	}
	if len(req.Args) > 0 {
		out = append(out, '?')
		out = append(out, req.Args...)
	}
	return string(out)
}

// escapeCases map a request URI under "location /esc/ { proxy_pass
// http://backend/q/; }" to the URI nginx sends upstream.
var escapeCases = []struct{ in, want string }{
	{"/esc/a", "/q/a"},
	{"/esc/a%20b", "/q/a%20b"},
	{"/esc/%41", "/q/A"},
	{"/esc/a%3Fb?x", "/q/a%3Fb?x"},
	{"/esc/a%25", "/q/a%25"},
	{"/esc/a%23", "/q/a%23"},
	{"/esc/./a//b/../c", "/q/a/c"},
	{"/esc/\xc3\xa4", "/q/\xc3\xa4"},
	{"/esc/%C3%A4", "/q/%C3%A4"},
	{"/esc/a%22b<{|}>^`", "/q/a%22b%3C%7B%7C%7D%3E%5E%60"},
	{"/esc/a+b%2B", "/q/a+b+"},
	{"/esc/x?a=%20+", "/q/x?a=%20+"},
	{"/esc/%7E~!$&'()*,;=:@[]", "/q/~~!$&'()*,;=:@[]"},
	{"/esc/a%5Cb\\", "/q/a%5Cb%5C"},
	{"/esc/a%2Fb", "/q/a/b"},
	{"/esc/%09%7F%01", "/q/%09%7F%01"},
	{"/esc/a\\b", "/q/a\\b"},
}

func TestAppendEscapedURI(t *testing.T) {
	var pools Pools
	for _, c := range escapeCases {
		var req Request
		lim := DefaultLimits()
		if err := NewReader(strings.NewReader("GET "+c.in+h11), &pools).ReadRequest(&req, &lim); err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got := proxyURI(&req, "/esc/", "/q/"); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOracleEscapedURI(t *testing.T) {
	o := startOracle(t)
	for _, c := range escapeCases {
		got := o.send(t, "", "GET "+c.in+h11, 3*time.Second)
		line, _, _ := strings.Cut(got.body, "\r\n")
		if want := "GET " + c.want + " HTTP/1.0"; line != want {
			t.Errorf("%q: nginx sent %q, want %q", c.in, line, want)
		}
	}
}
