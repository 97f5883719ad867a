package http1

import (
	"bytes"
	"strings"
	"testing"
)

// browserHead is a typical browser request head: 12 headers, ~700 bytes.
const browserHead = "GET /static/app.js?v=3 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n" +
	"sec-ch-ua-mobile: ?0\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
	"sec-ch-ua-platform: \"Linux\"\r\n" +
	"Accept: */*\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Sec-Fetch-Mode: no-cors\r\n" +
	"Referer: https://www.example.com/\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"\r\n"

func BenchmarkReadRequest(b *testing.B) {
	var pools Pools
	src := bytes.NewReader(nil)
	data := []byte(browserHead)
	r := NewReader(src, &pools)
	lim := DefaultLimits()
	var req Request
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(data)
		if err := r.ReadRequest(&req, &lim); err != nil {
			b.Fatal(err)
		}
		r.Release()
	}
}

// BenchmarkReadRequestComplexURI adds URI normalisation to the above.
func BenchmarkReadRequestComplexURI(b *testing.B) {
	var pools Pools
	src := bytes.NewReader(nil)
	data := []byte(strings.Replace(browserHead, "/static/app.js?v=3", "/static//./js/../app%2Ejs?v=3", 1))
	r := NewReader(src, &pools)
	lim := DefaultLimits()
	var req Request
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(data)
		if err := r.ReadRequest(&req, &lim); err != nil {
			b.Fatal(err)
		}
		r.Release()
	}
}

func BenchmarkReadResponse(b *testing.B) {
	var pools Pools
	data := []byte("HTTP/1.1 200 OK\r\nServer: backend\r\nDate: Wed, 25 Nov 2026 22:00:00 GMT\r\n" +
		"Content-Type: application/javascript\r\nContent-Length: 1234\r\nConnection: keep-alive\r\n" +
		"Cache-Control: max-age=3600\r\nETag: \"abc-123\"\r\nLast-Modified: Tue, 24 Nov 2026 10:00:00 GMT\r\n\r\n")
	src := bytes.NewReader(nil)
	r := NewReader(src, &pools)
	var resp Response
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(data)
		if err := r.ReadResponse(&resp, 4096); err != nil {
			b.Fatal(err)
		}
		r.Release()
	}
}

func BenchmarkAppendRequestHead(b *testing.B) {
	var pools Pools
	var req Request
	lim := DefaultLimits()
	if err := NewReader(strings.NewReader(browserHead), &pools).ReadRequest(&req, &lim); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRequestHead(buf[:0], req.MethodName, req.URI, 1000, req.Headers)
	}
}
