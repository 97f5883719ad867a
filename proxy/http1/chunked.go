package http1

import (
	"io"
	"math"
	"strconv"
)

type chunkState uint8

const (
	ckStart chunkState = iota
	ckSize
	ckExtension
	ckExtensionAlmostDone
	ckData
	ckAfterData
	ckAfterDataAlmostDone
	ckLastExtension
	ckLastExtensionAlmostDone
	ckTrailer
	ckTrailerAlmostDone
	ckTrailerHeader
	ckTrailerHeaderAlmostDone
)

// chunkedParser is the state of ngx_http_parse_chunked.
type chunkedParser struct {
	state chunkState
	size  int64 // size of the current chunk, then what is left of it
}

// chunkEvent is what decode stopped on besides running out of input.
type chunkEvent uint8

const (
	chunkMore    chunkEvent = iota // input used up, body not finished
	chunkHeader                    // a chunk's size line is complete; p.size is its size
	chunkDone                      // last chunk and trailer section complete
	chunkInvalid                   // not chunked coding nginx accepts
)

// decode mirrors ngx_http_parse_chunked over b[i:], decoding in place:
// chunk data is moved down to b[w:] (w <= i). It returns the new read and
// write positions and why it stopped. It stops after each chunk's size line
// (chunkHeader) so the caller can apply client_max_body_size before the
// data. Extensions and trailers are skipped, as nginx does.
func (c *chunkedParser) decode(b []byte, i, w int) (int, int, chunkEvent) {
	for i < len(b) {
		if c.state == ckData {
			if c.size == 0 {
				c.state = ckAfterData
				continue
			}
			k := int(min(int64(len(b)-i), c.size))
			w += copy(b[w:], b[i:i+k])
			i += k
			c.size -= int64(k)
			continue
		}
		ev := c.step(b[i])
		i++
		if ev != chunkMore {
			return i, w, ev
		}
	}
	if c.size > math.MaxInt64-5 {
		return i, w, chunkInvalid
	}
	return i, w, chunkMore
}

// ScanChunked runs nginx's chunked parser (ngx_http_parse_chunked) over b,
// the first bytes of a chunked body, without decoding or changing them. It
// reports whether b holds the whole body, trailers included (done), and
// whether b is chunked coding nginx accepts so far (ok). It is what nginx's
// ngx_http_discard_request_body does with the bytes that came with the
// head: a body broken there is refused (400) before the response.
func ScanChunked(b []byte) (done, ok bool) {
	done, ok, _ = ScanChunkedData(b)
	return done, ok
}

// ScanChunkedData is ScanChunked that also counts the chunk data bytes
// the parser went over before it stopped: what nginx's chunked body filter
// adds to r->headers_in.content_length_n ($content_length), also when it
// then finds the body broken.
func ScanChunkedData(b []byte) (done, ok bool, data int64) {
	done, ok, data, _ = ScanChunkedMax(b, 0)
	return done, ok, data
}

// ScanChunkedMax is ScanChunkedData that also checks each chunk's size,
// once its size line is complete, against max (client_max_body_size; 0:
// no limit), as ngx_http_request_body_chunked_filter does: big is the size
// of the chunk that would take the body over max (413), 0 if none did;
// data is then the chunk data before it.
func ScanChunkedMax(b []byte, max int64) (done, ok bool, data, big int64) {
	var p chunkedParser
	for i := 0; i < len(b); {
		if p.state == ckData {
			if p.size == 0 {
				p.state = ckAfterData
				continue
			}
			k := min(int64(len(b)-i), p.size)
			i += int(k)
			p.size -= k
			data += k
			continue
		}
		switch p.step(b[i]) {
		case chunkHeader:
			if max > 0 && max-data < p.size {
				return false, true, data, p.size
			}
		case chunkDone:
			return true, true, data, 0
		case chunkInvalid:
			return false, false, data, 0
		}
		i++
	}
	return false, p.size <= math.MaxInt64-5, data, 0
}

// step consumes one framing byte.
func (c *chunkedParser) step(ch byte) chunkEvent {
	switch c.state {
	case ckStart:
		d, ok := unhex(ch)
		if !ok {
			return chunkInvalid
		}
		c.size = int64(d)
		c.state = ckSize
	case ckSize:
		return c.sizeByte(ch)
	case ckExtension, ckLastExtension:
		// Extensions are skipped whatever they hold, up to the line end.
		last := c.state == ckLastExtension
		if ch == '\r' {
			c.state = pickState(last, ckLastExtensionAlmostDone, ckExtensionAlmostDone)
		} else if ch == '\n' {
			return c.endSizeLine(last)
		}
	case ckExtensionAlmostDone, ckLastExtensionAlmostDone:
		if ch != '\n' {
			return chunkInvalid
		}
		return c.endSizeLine(c.state == ckLastExtensionAlmostDone)
	case ckAfterData, ckAfterDataAlmostDone:
		switch {
		case ch == '\r' && c.state == ckAfterData:
			c.state = ckAfterDataAlmostDone
		case ch == '\n':
			c.state = ckStart
		default:
			return chunkInvalid
		}
	default:
		return c.trailerByte(ch)
	}
	return chunkMore
}

// sizeByte handles a byte after the first digit of a chunk size.
func (c *chunkedParser) sizeByte(ch byte) chunkEvent {
	if c.size > math.MaxInt64/16 {
		return chunkInvalid
	}
	if d, ok := unhex(ch); ok {
		c.size = c.size*16 + int64(d)
		return chunkMore
	}
	last := c.size == 0
	switch ch {
	case '\r':
		c.state = pickState(last, ckLastExtensionAlmostDone, ckExtensionAlmostDone)
	case '\n':
		return c.endSizeLine(last)
	case ';', ' ', '\t':
		c.state = pickState(last, ckLastExtension, ckExtension)
	default:
		return chunkInvalid
	}
	return chunkMore
}

// endSizeLine moves past a chunk's size line: to its data, or to the
// trailer section after the last (zero-size) chunk.
func (c *chunkedParser) endSizeLine(last bool) chunkEvent {
	if last {
		c.state = ckTrailer
		return chunkMore
	}
	c.state = ckData
	return chunkHeader
}

// trailerByte handles the trailer section, which ends at an empty line.
func (c *chunkedParser) trailerByte(ch byte) chunkEvent {
	switch c.state {
	case ckTrailer:
		switch ch {
		case '\r':
			c.state = ckTrailerAlmostDone
		case '\n':
			return chunkDone
		default:
			c.state = ckTrailerHeader
		}
	case ckTrailerAlmostDone:
		if ch != '\n' {
			return chunkInvalid
		}
		return chunkDone
	case ckTrailerHeader:
		if ch == '\r' {
			c.state = ckTrailerHeaderAlmostDone
		} else if ch == '\n' {
			c.state = ckTrailer
		}
	case ckTrailerHeaderAlmostDone:
		if ch != '\n' {
			return chunkInvalid
		}
		c.state = ckTrailer
	}
	return chunkMore
}

func pickState(cond bool, a, b chunkState) chunkState {
	if cond {
		return a
	}
	return b
}

// Source is what the body readers read from: the bytes after a head, with a
// way to give back bytes read past the end of a body. *Reader is one.
type Source interface {
	io.Reader
	Unread(b []byte)
}

// ChunkedReader decodes a chunked body as it streams: each Read returns
// chunk data only, decoded in place in the caller's slice (no buffer of its
// own), and io.EOF after the last chunk and its trailers, which are
// discarded. Bytes read past the end of the body go back to the Source. Its
// zero value is not usable; call Reset.
type ChunkedReader struct {
	src Source
	p   chunkedParser
	// ok is p as the last parse that did not fail left it: nginx's
	// ngx_http_parse_chunked updates ctx->length only on its way out of
	// a good parse, so MinLength after invalid bytes is the earlier one.
	ok       chunkedParser
	max      int64
	total    int64
	raw      int64 // bytes of the source the body took, framing included
	back     int64 // bytes of the last read past the body's end, given back
	upstream bool
	done     bool
	err      error
}

// Reset prepares c to decode a new body from src. max is
// client_max_body_size (0: no limit); upstream selects nginx's upstream
// error messages instead of the client ones.
func (c *ChunkedReader) Reset(src Source, max int64, upstream bool) {
	*c = ChunkedReader{src: src, max: max, upstream: upstream}
}

// Size returns how many data bytes have been decoded so far.
func (c *ChunkedReader) Size() int64 { return c.total }

// RawSize returns how many bytes of the source the body took so far, its
// chunk framing included: what nginx counts as an upstream response's
// length ($upstream_response_length, the pipe's read_length).
func (c *ChunkedReader) RawSize() int64 { return c.raw }

// Overread returns how many bytes the read that completed the body held
// after it (a pipelined request), which were given back to the source.
func (c *ChunkedReader) Overread() int64 { return c.back }

// MinLength is the least number of bytes the parser wants to see before it
// is worth running again: nginx's ctx->chunked.length, which its proxy
// module makes the pipe's p->length (the pipe hands a partly filled buffer
// to the chunk parser only once the buffer holds that many bytes). After
// invalid framing it is what the last good parse left.
func (c *ChunkedReader) MinLength() int64 {
	p := &c.ok
	switch p.state {
	case ckStart:
		return 3 // "0" LF LF
	case ckSize:
		if p.size == 0 {
			return 1 + 1 // LF LF
		}
		return 1 + p.size + 4 // LF data LF "0" LF LF
	case ckExtension, ckExtensionAlmostDone:
		return 1 + p.size + 4
	case ckData:
		return p.size + 4
	case ckAfterData, ckAfterDataAlmostDone:
		return 4
	case ckLastExtension, ckLastExtensionAlmostDone:
		return 2
	case ckTrailer, ckTrailerAlmostDone:
		return 1
	default: // ckTrailerHeader, ckTrailerHeaderAlmostDone
		return 2
	}
}

// Read mirrors ngx_http_request_body_chunked_filter (and, for upstream
// bodies, ngx_http_proxy_chunked_filter): it fills p with decoded data. It
// returns an *Error with status 400 (client) or 502 (upstream) for invalid
// framing, 413 when a chunk would take a client body over max, and one
// wrapping the source's error (io.ErrUnexpectedEOF when the stream ends
// before the last chunk) when the source fails.
func (c *ChunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.done {
		return 0, io.EOF
	}
	for len(p) > 0 {
		n, err := c.src.Read(p)
		w, derr := c.decode(p[:n])
		if derr != nil {
			c.err = derr
			return w, derr
		}
		if c.done {
			if w == 0 {
				return 0, io.EOF
			}
			return w, nil
		}
		if err != nil {
			c.err = connError(err, c.upstream)
			return w, c.err
		}
		if w > 0 {
			return w, nil
		}
	}
	return 0, nil
}

// decode runs the parser over b, checking each chunk's size against the
// limit, and gives back to the source what follows the body.
func (c *ChunkedReader) decode(b []byte) (int, error) {
	i, w := 0, 0
	c.raw += int64(len(b))
	for {
		var ev chunkEvent
		i, w, ev = c.p.decode(b, i, w)
		if ev != chunkInvalid {
			c.ok = c.p
		}
		switch ev {
		case chunkHeader:
			if c.max > 0 && c.max-(c.total+int64(w)) < c.p.size {
				err := c.tooLarge(c.p.size, int64(w))
				c.total += int64(w)
				return w, err
			}
			continue
		case chunkDone:
			c.done = true
			c.raw -= int64(len(b) - i)
			c.back = int64(len(b) - i)
			c.src.Unread(b[i:])
		case chunkInvalid:
			c.total += int64(w)
			return w, c.invalid()
		}
		c.total += int64(w)
		return w, nil
	}
}

// invalid returns nginx's error for bad chunked framing.
func (c *ChunkedReader) invalid() *Error {
	if c.upstream {
		return newError(502, "upstream sent invalid chunked response")
	}
	return newError(400, "client sent invalid chunked body")
}

// tooLarge returns nginx's 413 for a chunk over client_max_body_size; w
// data bytes of the current read precede it.
func (c *ChunkedReader) tooLarge(size, w int64) *Error {
	return newError(413, "client intended to send too large chunked body: "+
		strconv.FormatInt(c.total+w, 10)+"+"+strconv.FormatInt(size, 10)+" bytes")
}
