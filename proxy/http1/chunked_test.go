package http1

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// chunkCase is a chunked request body and what nginx makes of it; checked
// against ChunkedReader (TestChunkedReader) and nginx (TestOracleChunked).
type chunkCase struct {
	name   string
	srv    string // "" or "max" (client_max_body_size 10)
	in     string // the body as sent
	want   string // decoded data
	status int    // *Error status when the body is refused
	eof    bool   // incomplete: nginx waits for more
}

var chunkCases = []chunkCase{
	{name: "simple", in: "3\r\nabc\r\n0\r\n\r\n", want: "abc"},
	{name: "several", in: "1\r\na\r\n2\r\nbc\r\n0\r\n\r\n", want: "abc"},
	{name: "hex", in: "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n", want: "0123456789abcdefghijk"},
	{name: "leading-zeros", in: "0003\r\nabc\r\n000\r\n\r\n", want: "abc"},
	{name: "empty", in: "0\r\n\r\n", want: ""},
	{name: "lf-only", in: "3\nabc\n0\n\n", want: "abc"},
	{name: "extensions", in: "3;x=y\r\nabc\r\n0;z=\"q\"\r\n\r\n", want: "abc"},
	{name: "extension-space-tab", in: "3 \r\nabc\r\n0\t\r\n\r\n", want: "abc"},
	{name: "extension-anything", in: "3;\x01\x7f\xff\r\nabc\r\n0\r\n\r\n", want: "abc"},
	{name: "trailers", in: "3\r\nabc\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n", want: "abc"},
	{name: "trailer-lf", in: "3\r\nabc\r\n0\r\nX-T: 1\n\n", want: "abc"},
	{name: "data-with-crlf", in: "4\r\n\r\n\r\n\r\n0\r\n\r\n", want: "\r\n\r\n"},
	{name: "bad-size", in: "g\r\nabc\r\n0\r\n\r\n", status: 400},
	{name: "no-size", in: "\r\nabc\r\n0\r\n\r\n", status: 400},
	{name: "negative", in: "-1\r\n", status: 400},
	{name: "size-junk", in: "3x\r\nabc\r\n0\r\n\r\n", status: 400},
	{name: "size-cr-junk", in: "3\rXabc\r\n0\r\n\r\n", status: 400},
	{name: "after-data-junk", in: "3\r\nabcX\r\n0\r\n\r\n", status: 400},
	{name: "after-data-cr-junk", in: "3\r\nabc\rX0\r\n\r\n", status: 400},
	{name: "last-cr-junk", in: "3\r\nabc\r\n0\rX\r\n", status: 400},
	{name: "trailer-cr-junk", in: "3\r\nabc\r\n0\r\n\rX", status: 400},
	{name: "trailer-header-cr-junk", in: "3\r\nabc\r\n0\r\nX: 1\rX\r\n\r\n", status: 400},
	{name: "size-overflow", in: "8000000000000000\r\n", status: 400},
	{name: "size-max", in: "7fffffffffffffff\r\n", status: 400},
	{name: "size-huge", in: "ffffffffffff\r\nabc", status: 413},
	{name: "truncated-data", in: "5\r\nabc", eof: true},
	{name: "truncated-size", in: "5", eof: true},
	{name: "no-last-chunk", in: "3\r\nabc\r\n", eof: true},
	{name: "no-final-crlf", in: "3\r\nabc\r\n0\r\n", eof: true},
	{name: "max-fits", srv: "max", in: "5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n", want: "1234567890"},
	{name: "max-one-chunk", srv: "max", in: "b\r\n12345678901\r\n0\r\n\r\n", status: 413},
	{name: "max-second-chunk", srv: "max", in: "5\r\n12345\r\n6\r\n123456\r\n0\r\n\r\n", status: 413},
}

func maxFor(srv string) int64 {
	if srv == "max" {
		return 10
	}
	return 1 << 20 // nginx's default client_max_body_size
}

// readAllWith reads r to the end through a buffer of size n.
func readAllWith(r io.Reader, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func checkChunked(t *testing.T, c chunkCase, src io.Reader, bufSize int) {
	t.Helper()
	var pools Pools
	r := NewReader(src, &pools)
	var cr ChunkedReader
	cr.Reset(r, maxFor(c.srv), false)
	got, err := readAllWith(&cr, bufSize)
	var herr *Error
	switch {
	case c.eof:
		if !errors.As(err, &herr) || !errors.Is(err, io.ErrUnexpectedEOF) || herr.Status != 400 {
			t.Fatalf("got %v, want a premature end", err)
		}
	case c.status != 0:
		if !errors.As(err, &herr) || herr.Status != c.status {
			t.Fatalf("got %q, %v; want status %d", got, err, c.status)
		}
	case err != nil:
		t.Fatalf("unexpected error %v", err)
	case string(got) != c.want || cr.Size() != int64(len(c.want)):
		t.Fatalf("got %q (size %d), want %q", got, cr.Size(), c.want)
	default:
		// The body took its own bytes, framing included, and no more.
		if cr.RawSize() != int64(len(c.in)) {
			t.Fatalf("RawSize %d, want %d", cr.RawSize(), len(c.in))
		}
		// The bytes after the body stay in the Reader.
		rest, _ := io.ReadAll(r)
		if string(rest) != "NEXT" {
			t.Fatalf("left %q after the body, want %q", rest, "NEXT")
		}
	}
}

func TestChunkedReader(t *testing.T) {
	for _, c := range chunkCases {
		in := c.in
		if c.status == 0 && !c.eof {
			in += "NEXT"
		}
		for _, size := range []int{1, 2, 3, 7, 512} {
			t.Run(c.name, func(t *testing.T) {
				checkChunked(t, c, strings.NewReader(in), size)
			})
			t.Run(c.name+"/onebyte", func(t *testing.T) {
				checkChunked(t, c, iotest.OneByteReader(strings.NewReader(in)), size)
			})
		}
	}
}

func TestChunkedMessages(t *testing.T) {
	var pools Pools
	for _, tc := range []struct {
		in       string
		upstream bool
		msg      string
	}{
		{"zz", false, "client sent invalid chunked body"},
		{"zz", true, "upstream sent invalid chunked response"},
		{"5\r\n12345\r\n6\r\n", false, "client intended to send too large chunked body: 5+6 bytes"},
	} {
		var cr ChunkedReader
		cr.Reset(NewReader(strings.NewReader(tc.in), &pools), 10, tc.upstream)
		_, err := io.ReadAll(&cr)
		if err == nil || err.Error() != tc.msg {
			t.Errorf("%q: got %v, want %q", tc.in, err, tc.msg)
		}
	}
}

// TestOracleChunked sends every chunkCase to nginx as a request body
// proxied to the echo backend (nginx forwards it with Content-Length).
func TestOracleChunked(t *testing.T) {
	o := startOracle(t)
	for _, c := range chunkCases {
		t.Run(c.name, func(t *testing.T) {
			wait := 3 * time.Second
			if c.eof {
				wait = 300 * time.Millisecond
			}
			got := o.send(t, c.srv, "POST /echo/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"+c.in, wait)
			switch {
			case c.eof:
				if !got.none {
					t.Fatalf("nginx answered %q, want it to wait", got.raw)
				}
			case c.status != 0:
				if got.status != c.status {
					t.Fatalf("nginx answered %q, want %d", got.raw, c.status)
				}
			default:
				_, body, _ := strings.Cut(got.body, "\r\n\r\n")
				if got.status != 200 || body != c.want {
					t.Fatalf("nginx passed %q, want %q (%q)", body, c.want, got.raw)
				}
			}
		})
	}
}

// TestChunkedMinLength: after reading a prefix of a chunked body (the
// source then ends the read, as a socket with nothing more does), the
// reader asks for what ngx_http_parse_chunked would (ctx->chunked.length)
// in the state the prefix leaves it in.
func TestChunkedMinLength(t *testing.T) {
	var pools Pools
	for _, tc := range []struct {
		prefix string
		want   int64
	}{
		{"", 3},                                  // sw_chunk_start
		{"d", 1 + 13 + 4},                        // sw_chunk_size
		{"0", 1 + 1},                             // sw_chunk_size, last chunk
		{"d;x=y", 1 + 13 + 4},                    // sw_chunk_extension
		{"d;x=y\r", 1 + 13 + 4},                  // sw_chunk_extension_almost_done
		{"d\r\n", 13 + 4},                        // sw_chunk_data
		{"d\r\ndata: o", 6 + 4},                  // sw_chunk_data, partly read
		{"3\r\nabc", 4},                          // sw_chunk_data, all read
		{"3\r\nabc\r", 4},                        // sw_after_data_almost_done
		{"3\r\nabc\r\n", 3},                      // sw_chunk_start again
		{"0;x", 2},                               // sw_last_chunk_extension
		{"0\r\n", 1},                             // sw_trailer
		{"0\r\nX-T: 1", 2},                       // sw_trailer_header
		{"0\r\nX-T: 1\r\n", 1},                   // sw_trailer
		{"3\r\nabc\r\n1a\r\n0123456789", 16 + 4}, // second chunk, partly read
	} {
		var cr ChunkedReader
		cr.Reset(NewReader(iotest.DataErrReader(strings.NewReader(tc.prefix)), &pools), 0, true)
		buf := make([]byte, 64)
		for {
			if _, err := cr.Read(buf); err != nil {
				break
			}
		}
		if got := cr.MinLength(); got != tc.want {
			t.Errorf("after %q: MinLength %d, want %d", tc.prefix, got, tc.want)
		}
	}
}

// TestScanChunked checks ScanChunked against nginx's answers in
// chunkCases (those refused for client_max_body_size aside: a scan does
// not apply it, as nginx's discard does not): a refused body is not ok, a whole
// one is done, an incomplete one is neither done nor refused; and every
// prefix of a body nginx accepts is ok. The bytes are not changed.
func TestScanChunked(t *testing.T) {
	for _, c := range chunkCases {
		if c.status == 413 {
			continue
		}
		in := []byte(c.in)
		done, ok := ScanChunked(in)
		if string(in) != c.in {
			t.Fatalf("%s: the input was changed", c.name)
		}
		switch {
		case c.status != 0 && ok:
			t.Errorf("%s: ok, nginx refuses it (%d)", c.name, c.status)
		case c.status == 0 && !ok:
			t.Errorf("%s: refused, nginx accepts it", c.name)
		case c.status == 0 && done == c.eof:
			t.Errorf("%s: done = %v, incomplete = %v", c.name, done, c.eof)
		}
		if c.status == 0 {
			for i := range in {
				if _, ok := ScanChunked(in[:i]); !ok {
					t.Errorf("%s: refused after %d bytes", c.name, i)
					break
				}
			}
		}
	}
}
