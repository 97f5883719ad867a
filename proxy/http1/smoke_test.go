package http1

import (
	"strings"
	"testing"
)

func TestSmoke(t *testing.T) {
	var pools Pools
	for _, s := range []string{
		"GET /a/../b?x=1 HTTP/1.1\r\nHost: Example.COM.\r\nX-A:  v  \r\n\r\n",
		"GET http://Foo.Bar:99?x HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET http://Foo.Bar:99 HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /\r\n",
		"POST /\r\n",
		"GET /%2e%2E/ HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX_Under: 1\r\nX@Bad: 2\r\nNoColon\r\n\r\n",
	} {
		r := NewReader(strings.NewReader(s), &pools)
		var req Request
		lim := DefaultLimits()
		err := r.ReadRequest(&req, &lim)
		t.Logf("%q: err=%v uri=%q path=%q args=%q server=%q v=%d ka=%v", s, err, req.URI, req.Path, req.Args, req.Server, req.Version, req.KeepAlive)
		for _, h := range req.Headers {
			t.Logf("   %q: %q", h.Name, h.Value)
		}
	}
}
