package http1

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// outcome summarises what a Reader made of a request head, for comparing
// two ways of reading the same bytes.
type outcome struct {
	status  int
	eof     bool
	desc    string
	headers []string
	ka      bool
	cl      int64
	chunked bool
	rest    string
}

func readOutcome(t *testing.T, src io.Reader, lim *Limits) (outcome, *Request) {
	var pools Pools
	r := NewReader(src, &pools)
	req := new(Request)
	err := r.ReadRequest(req, lim)
	var herr *Error
	switch {
	case err == io.EOF:
		return outcome{eof: true}, nil
	case errors.As(err, &herr):
		return outcome{status: herr.Status, eof: herr.Err != nil}, nil
	case err != nil:
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
	o := outcome{desc: describe(req), headers: headerStrings(req.Headers), ka: req.KeepAlive,
		cl: req.ContentLength, chunked: req.Chunked}
	rest, _ := io.ReadAll(r)
	o.rest = string(rest)
	r.Release()
	if held(r) {
		t.Fatal("Reader holds a buffer after everything was read and released")
	}
	return o, req
}

// checkPath asserts what normalisation guarantees: an absolute path with
// no empty, "." or ".." segment and no NUL.
func checkPath(t *testing.T, p []byte) {
	s := string(p)
	if !strings.HasPrefix(s, "/") || strings.Contains(s, "//") || strings.Contains(s, "/./") ||
		strings.Contains(s, "/../") || strings.HasSuffix(s, "/.") || strings.HasSuffix(s, "/..") ||
		strings.IndexByte(s, 0) >= 0 {
		t.Fatalf("path %q is not normalised", s)
	}
}

func FuzzReadRequest(f *testing.F) {
	for _, c := range reqCases {
		f.Add([]byte(c.in), c.srv == "small")
	}
	f.Add([]byte(browserHead+"GET /next HTTP/1.1\r\nHost: b\r\n\r\n"), false)
	f.Fuzz(func(t *testing.T, in []byte, small bool) {
		lim := DefaultLimits()
		if small {
			lim.HeaderBufferSize, lim.LargeHeaderBufferSize, lim.LargeHeaderBuffers = 64, 128, 2
		}
		whole, req := readOutcome(t, bytes.NewReader(in), &lim)
		split, _ := readOutcome(t, iotest.OneByteReader(bytes.NewReader(in)), &lim)
		if !slices.Equal(whole.headers, split.headers) || whole.desc != split.desc || whole.status != split.status ||
			whole.eof != split.eof || whole.ka != split.ka || whole.rest != split.rest {
			t.Fatalf("whole %+v\nsplit %+v", whole, split)
		}
		if req == nil {
			return
		}
		checkPath(t, req.Path)
		if req.Version < 1000 || len(req.Host) > 0 || small {
			return
		}
		// Writing the head back and reading it again gives the same head.
		out := AppendRequestHead(nil, req.MethodName, req.URI, req.Version, req.Headers)
		again, _ := readOutcome(t, bytes.NewReader(out), &lim)
		whole.rest, whole.desc = "", trimProto(whole.desc)
		again.desc = trimProto(again.desc)
		if !slices.Equal(whole.headers, again.headers) || whole.desc != again.desc || again.status != 0 {
			t.Fatalf("rewritten %q\ngave %+v\nwant %+v", out, again, whole)
		}
	})
}

// trimProto drops the protocol from describe's output: it is written back
// in its canonical form ("HTTP/1.00 " becomes "HTTP/1.0").
func trimProto(desc string) string {
	return desc[:strings.LastIndexByte(desc, '|')]
}

func FuzzChunked(f *testing.F) {
	for _, c := range chunkCases {
		f.Add([]byte(c.in+"NEXT"), c.srv == "max")
	}
	f.Fuzz(func(t *testing.T, in []byte, limited bool) {
		max := int64(0)
		if limited {
			max = 10
		}
		var first string
		for i, mode := range []struct {
			onebyte bool
			size    int
		}{{false, 4096}, {true, 4096}, {false, 1}, {false, 7}, {true, 3}} {
			var pools Pools
			var src io.Reader = bytes.NewReader(in)
			if mode.onebyte {
				src = iotest.OneByteReader(src)
			}
			r := NewReader(src, &pools)
			var cr ChunkedReader
			cr.Reset(r, max, false)
			data, err := readAllWith(&cr, mode.size)
			status := 0
			var herr *Error
			if errors.As(err, &herr) {
				status = herr.Status
			} else if err != nil {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if int64(len(data)) != cr.Size() {
				t.Fatalf("returned %d bytes, Size says %d", len(data), cr.Size())
			}
			got := string(data) + "|" + string(rune('0'+status/100)) + "|"
			if err == nil {
				rest, _ := io.ReadAll(r)
				got += string(rest)
			} else {
				// How much data precedes an error depends on where reads
				// end; the error itself does not.
				got = "|" + string(rune('0'+status/100))
			}
			if i == 0 {
				first = got
			} else if got != first {
				t.Fatalf("mode %+v: %q, want %q", mode, got, first)
			}
		}
	})
}

func FuzzReadResponse(f *testing.F) {
	for _, c := range respCases {
		f.Add([]byte(c.in), c.head)
	}
	f.Fuzz(func(t *testing.T, in []byte, head bool) {
		var pools Pools
		r := NewReader(bytes.NewReader(in), &pools)
		var resp Response
		if err := r.ReadResponse(&resp, 4096); err != nil {
			var herr *Error
			if !errors.As(err, &herr) || (herr.Status != 502 && herr.Status != 504) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		body, err := readBody(r, &resp, head)
		if err != nil && !errors.As(err, new(*Error)) {
			t.Fatalf("body error %T %v", err, err)
		}
		if f := resp.Framing(head); f == FramingLength && err == nil && int64(len(body)) != resp.ContentLength {
			t.Fatalf("length body of %d bytes, want %d", len(body), resp.ContentLength)
		}
	})
}
