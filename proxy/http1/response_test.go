package http1

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// respCase is an upstream response and what nginx makes of it; checked
// against ReadResponse + Framing (TestReadResponse) and nginx proxying to a
// backend that sends exactly these bytes (TestOracleResponses).
type respCase struct {
	name    string
	in      string // sent by the upstream, which then closes
	head    bool   // the request was HEAD
	status  int    // Response.Status; with bad, the *Error status
	bad     bool   // the head is refused (nginx answers 502)
	line    string // Response.StatusLine
	body    string // the body, decoded
	bodyErr bool   // the body ends in an error (after body)
	v09     bool   // no status line: everything is body, no headers
	hdrs    []string
}

var respCases = []respCase{
	{name: "length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", status: 200, line: "200 OK", body: "hello",
		hdrs: []string{"Content-Length: 5", "X-A: b"}},
	{name: "custom-reason", in: "HTTP/1.1 404 Nope  Nope\r\nContent-Length: 0\r\n\r\n", status: 404, line: "404 Nope  Nope"},
	{name: "no-reason", in: "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", status: 200, line: "200", body: "ok"},
	{name: "iis-substatus", in: "HTTP/1.1 403.1 Forbidden\r\nContent-Length: 2\r\n\r\nno", status: 403, line: "403.1 Forbidden", body: "no"},
	{name: "spaced-code", in: "HTTP/1.1 20 1 OK\r\nContent-Length: 2\r\n\r\nok", status: 201, line: "0 1 OK", body: "ok"},
	{name: "lf-only", in: "HTTP/1.1 200 OK\nContent-Length: 2\nX-A: 1\n\nok", status: 200, line: "200 OK", body: "ok", hdrs: []string{"Content-Length: 2", "X-A: 1"}},
	{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\nT: 1\r\n\r\n", status: 200, line: "200 OK", body: "abcde"},
	{name: "chunked-over-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", status: 200, line: "200 OK", body: "abc"},
	{name: "chunked-in-list", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", status: 200, line: "200 OK", body: "abc"},
	{name: "chunked-invalid", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", status: 200, line: "200 OK", bodyErr: true},
	{name: "chunked-truncated", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", status: 200, line: "200 OK", body: "ab", bodyErr: true},
	{name: "close-delimited", in: "HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nhello world", status: 200, line: "200 OK", body: "hello world"},
	{name: "length-invalid", in: "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nabc", status: 200, line: "200 OK", body: "abc"},
	{name: "length-last-wins", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\nabcdefg", status: 200, line: "200 OK", body: "abcd"},
	{name: "length-extra-data", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", status: 200, line: "200 OK", body: "abc"},
	{name: "length-truncated", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", status: 200, line: "200 OK", body: "abc", bodyErr: true},
	{name: "length-zero", in: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nabc", status: 200, line: "200 OK"},
	{name: "204", in: "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello", status: 204, line: "204 No Content"},
	{name: "304", in: "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", status: 304, line: "304 Not Modified"},
	{name: "head", head: true, in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", status: 200, line: "200 OK"},
	{name: "http2-version", in: "HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok", status: 200, line: "200 OK", body: "ok"},
	{name: "keep-names", in: "HTTP/1.1 200 OK\r\nX_U: 1\r\nX@B: 2\r\nx-lower: 3\r\nContent-Length: 0\r\n\r\n", status: 200, line: "200 OK",
		hdrs: []string{"X_U: 1", "X@B: 2", "x-lower: 3", "Content-Length: 0"}},
	{name: "iis-repeated-status", in: "HTTP/1.1 200 OK\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n", status: 200, line: "200 OK",
		hdrs: []string{"X-A: 1", "Content-Length: 0"}},
	{name: "v09", in: "hello world\n", v09: true, status: 200, body: "hello world\n"},
	{name: "v09-lowercase", in: "http/1.1 200 OK\r\n\r\nx", v09: true, status: 200, body: "http/1.1 200 OK\r\n\r\nx"},
	{name: "v09-short-code", in: "HTTP/1.1 20\r\n\r\nx", v09: true, status: 200, body: "HTTP/1.1 20\r\n\r\nx"},
	{name: "v09-long-code", in: "HTTP/1.1 2000 OK\r\n\r\nx", v09: true, status: 200, body: "HTTP/1.1 2000 OK\r\n\r\nx"},
	{name: "v09-code-letters", in: "HTTP/1.1 2x0 OK\r\n\r\nx", v09: true, status: 200, body: "HTTP/1.1 2x0 OK\r\n\r\nx"},
	{name: "v09-version", in: "HTTP/0.9 200 OK\r\n\r\nx", v09: true, status: 200, body: "HTTP/0.9 200 OK\r\n\r\nx"},
	{name: "bad-header-space", in: "HTTP/1.1 200 OK\r\nX Y: 1\r\n\r\n", bad: true, status: 502},
	{name: "bad-header-nul", in: "HTTP/1.1 200 OK\r\nX: a\x00\r\n\r\n", bad: true, status: 502},
	{name: "bad-header-folding", in: "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", bad: true, status: 502},
	{name: "bad-header-cr", in: "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", bad: true, status: 502},
	{name: "v09-status-cr", in: "HTTP/1.1 200 OK\rX\r\n\r\n", v09: true, status: 200, body: "HTTP/1.1 200 OK\rX\r\n\r\n"},
	{name: "too-big", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 5000) + "\r\n\r\n", bad: true, status: 502},
	{name: "empty", in: "", bad: true, status: 502},
	{name: "truncated-head", in: "HTTP/1.1 200 OK\r\nX-A: 1\r\n", bad: true, status: 502},
}

// readBody reads a response body as its framing says.
func readBody(r *Reader, resp *Response, head bool) ([]byte, error) {
	switch resp.Framing(head) {
	case FramingNone:
		return nil, nil
	case FramingLength:
		var lr LengthReader
		lr.Reset(r, resp.ContentLength, true)
		return readAllWith(&lr, 3)
	case FramingChunked:
		var cr ChunkedReader
		cr.Reset(r, 0, true)
		return readAllWith(&cr, 3)
	}
	return readAllWith(r, 3)
}

func checkResponse(t *testing.T, c respCase, src io.Reader) {
	t.Helper()
	var pools Pools
	r := NewReader(src, &pools)
	var resp Response
	err := r.ReadResponse(&resp, 4096)
	var herr *Error
	if c.bad {
		if !errors.As(err, &herr) || herr.Status != c.status {
			t.Fatalf("got %v, want %d", err, c.status)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	if resp.Status != c.status || string(resp.StatusLine) != c.line || (resp.Version == 9) != c.v09 {
		t.Errorf("got %d %q v%d", resp.Status, resp.StatusLine, resp.Version)
	}
	if c.hdrs != nil && !slices.Equal(headerStrings(resp.Headers), c.hdrs) {
		t.Errorf("headers %q, want %q", headerStrings(resp.Headers), c.hdrs)
	}
	body, err := readBody(r, &resp, c.head)
	if string(body) != c.body || (err != nil) != c.bodyErr {
		t.Errorf("body %q, %v; want %q (error: %v)", body, err, c.body, c.bodyErr)
	}
}

func TestReadResponse(t *testing.T) {
	for _, c := range respCases {
		t.Run(c.name, func(t *testing.T) { checkResponse(t, c, strings.NewReader(c.in)) })
	}
}

// TestReadResponseSplit feeds the heads byte by byte: the result must not
// depend on how the bytes arrive (an HTTP/0.9 body too: as in nginx, the
// bytes taken for the start of a status line before it turned out not to
// be one are part of it).
func TestReadResponseSplit(t *testing.T) {
	for _, c := range respCases {
		t.Run(c.name, func(t *testing.T) { checkResponse(t, c, iotest.OneByteReader(strings.NewReader(c.in))) })
	}
}

// TestOracleResponses has nginx proxy each respCase to an HTTP/1.0 client
// (so the body comes back plain, close-delimited).
func TestOracleResponses(t *testing.T) {
	o := startOracle(t)
	for _, c := range respCases {
		t.Run(c.name, func(t *testing.T) {
			o.fakeMu.Lock()
			o.fakeMap[c.name] = c.in
			o.fakeMu.Unlock()
			method := "GET"
			if c.head {
				method = "HEAD"
			}
			got := o.send(t, "up", method+" /up/"+c.name+" HTTP/1.0\r\n\r\n", 3*time.Second)
			switch {
			case c.bad:
				if got.status != 502 {
					t.Fatalf("nginx answered %q, want 502", got.raw)
				}
			case c.v09:
				if got.raw != c.body {
					t.Fatalf("nginx answered %q, want the bare body %q", got.raw, c.body)
				}
			default:
				if c.bodyErr && got.raw == "" {
					// nginx buffers the header with the first body
					// bytes: when those are already invalid, the
					// client gets nothing (the proxy's concern).
					return
				}
				if got.line != "HTTP/1.1 "+c.line {
					t.Errorf("nginx status line %q, want %q", got.line, "HTTP/1.1 "+c.line)
				}
				if !c.bodyErr && got.body != c.body {
					t.Errorf("nginx body %q, want %q", got.body, c.body)
				}
				checkPassedHeaders(t, got, c.hdrs)
			}
		})
	}
}

// checkPassedHeaders checks that the response headers nginx passes on
// (not the ones it sets itself) came through in order and case.
func checkPassedHeaders(t *testing.T, got reply, hdrs []string) {
	t.Helper()
	var want []string
	for _, h := range hdrs {
		name, _, _ := strings.Cut(h, ":")
		switch strings.ToLower(name) {
		case "content-length", "transfer-encoding", "connection", "server", "date":
			continue
		}
		want = append(want, h)
	}
	var passed []string
	for _, h := range got.heads {
		name, _, _ := strings.Cut(h, ":")
		switch strings.ToLower(name) {
		case "content-length", "transfer-encoding", "connection", "server", "date", "content-type":
			continue
		}
		passed = append(passed, h)
	}
	if hdrs != nil && !slices.Equal(passed, want) {
		t.Errorf("nginx passed %q, want %q", passed, want)
	}
}

// TestResponseReceived checks the byte counts nginx's
// $upstream_bytes_received starts from: the head as it came (bare LFs, a
// repeated status line count as sent), all that was read with it, and what
// was read of a head that failed.
func TestResponseReceived(t *testing.T) {
	cases := []struct {
		name           string
		in             string
		head, received int64
	}{
		{"crlf", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 38, 41},
		{"lf-only", "HTTP/1.1 200 OK\nContent-Length: 3\n\nabc", 35, 38},
		{"repeated-status", "HTTP/1.1 200 OK\r\nHTTP/1.1 200 OK\r\n\r\n", 36, 36},
		{"body-past-length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nabc", 38, 41},
		{"v09", "no status line\n", 0, 15},
		{"truncated-head", "HTTP/1.1 200 OK\r\nX-A: 1\r\n", 0, 25},
		{"invalid-header", "HTTP/1.1 200 OK\r\nX A: 1\r\n\r\n", 0, 27},
		{"too-big", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 5000) + "\r\n\r\n", 0, 4096},
		{"empty", "", 0, 0},
	}
	for _, c := range cases {
		var pools Pools
		r := NewReader(strings.NewReader(c.in), &pools)
		var resp Response
		_ = r.ReadResponse(&resp, 4096)
		if resp.HeadSize != c.head || resp.Received != c.received {
			t.Errorf("%s: head %d, received %d; want %d, %d", c.name, resp.HeadSize, resp.Received, c.head, c.received)
		}
	}
}
