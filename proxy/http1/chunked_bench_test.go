package http1

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// chunkedBody returns a chunked coding of n bytes in chunks of size bytes.
func chunkedBody(n, size int) []byte {
	var b bytes.Buffer
	data := bytes.Repeat([]byte("x"), size)
	for n > 0 {
		k := min(n, size)
		fmt.Fprintf(&b, "%x\r\n", k)
		b.Write(data[:k])
		b.WriteString("\r\n")
		n -= k
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

func benchmarkChunked(b *testing.B, chunk int) {
	var pools Pools
	body := chunkedBody(1<<20, chunk)
	src := bytes.NewReader(nil)
	r := NewReader(src, &pools)
	var cr ChunkedReader
	buf := make([]byte, 32<<10)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(body)
		cr.Reset(r, 0, false)
		for {
			_, err := cr.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkChunked4K(b *testing.B)  { benchmarkChunked(b, 4<<10) }
func BenchmarkChunked64(b *testing.B)  { benchmarkChunked(b, 64) }
func BenchmarkChunked16K(b *testing.B) { benchmarkChunked(b, 16<<10) }
