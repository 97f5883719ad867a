package http1

import "io"

// LengthReader reads a body of a known length (Content-Length) from a
// source, never reading past it, so the bytes that follow (a pipelined
// request) stay where they are. Its zero value reads nothing; call Reset.
type LengthReader struct {
	src      io.Reader
	n        int64
	upstream bool
}

// Reset prepares l to read n bytes from src; upstream selects the upstream
// wording of the premature-close error.
func (l *LengthReader) Reset(src io.Reader, n int64, upstream bool) {
	*l = LengthReader{src: src, n: n, upstream: upstream}
}

// Remaining returns how many body bytes are still to be read.
func (l *LengthReader) Remaining() int64 { return l.n }

// Read reads up to the body's end, then returns io.EOF. A failure of the
// source is returned as an *Error wrapping it: ending early is "client
// prematurely closed connection" (or "upstream …"), a deadline a timeout.
func (l *LengthReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.src.Read(p)
	l.n -= int64(n)
	if err == nil || (err == io.EOF && l.n == 0) {
		return n, nil
	}
	return n, connError(err, l.upstream)
}
