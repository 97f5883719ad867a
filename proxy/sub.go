package proxy

import (
	"github.com/nginxws/nginxws/directives"
)

// The sub filter (ngx_http_sub_filter_module): sub_filter's search
// strings replaced in the body, found without regard to ASCII case, also
// across the pieces the body comes in.
//
// nginx runs it after add_header and expires and before the charset and
// gzip filters, on the head and on the body alike: it sees the body as
// the upstream (or the file, or return) gave it, and what it makes is
// recoded and compressed after it. The search is nginx's, step for step
// (ngx_http_sub_parse and ngx_http_sub_match): a window as long as the
// shortest string moves along the body; where its last byte can end one
// of the strings, they are tried in the table's order (directives'
// SubMatches) from the window's start, and the first that matches whole
// is replaced, the body going on after it (the replacement is not looked
// at again). A string that matches as far as the data goes waits for
// more, and holds every other string at that place back: when the body
// ends there, the bytes held go out as they are. With sub_filter_once on
// each string is replaced once at most, and once all were, the rest of
// the body passes untouched. Like nginx, it does not look at
// Content-Encoding: an upstream's compressed body is searched as it is,
// and loses its length all the same (hence the usual
// proxy_set_header Accept-Encoding "").

// subStream is the sub filter's state for one response (nginx's
// ngx_http_sub_ctx_t).
type subStream struct {
	t *directives.SubMatches
	// onceConf is sub_filter_once; once is set when every string was
	// replaced under it (nothing more to look for); applied counts the
	// replacements.
	onceConf, once bool
	applied        int
	// subs are the replacements evaluated so far, by string; done marks
	// those evaluated (an empty one too), which sub_filter_once skips.
	subs [][]byte
	done []bool
	// looked holds the body's bytes from the place a match may start,
	// kept until more data says whether it does.
	looked []byte
	// offset is where, from the start of the next data, the window's last
	// byte is (negative: in looked); index the string to go on from at
	// that place after a partial match.
	offset, index int
	// out collects what one call gives on to the next filter, in
	// outBuf's bytes (borrowed from the server's pool until the request
	// ends) while they are big enough.
	out    []byte
	outBuf *buf
	// eval evaluates a replacement (the request's variables).
	eval func(*directives.Complex) []byte
}

// subFilterHeader is the sub filter's header filter
// (ngx_http_sub_header_filter): for a response with sub_filter pairs, of a
// type sub_filter_types names and not announced empty, it evaluates the
// search strings that have variables (those that come out empty are left
// out; with none left, the response is not filtered), then takes the
// length away and, unless sub_filter_last_modified is on, Last-Modified
// and ETag too (else the ETag is made weak).
func (x *exchange) subFilterHeader() {
	if x.conf == nil && x.srv == nil {
		return
	}
	// A response before any location (a bad request's page) has the
	// server level's settings, as nginx's r->loc_conf.
	conf := x.confOrServer()
	o := &x.out
	if conf.SubFilter == nil || o.contentLength == 0 ||
		!conf.SubFilterTypes.Match(o.mediaType(), len(o.contentType) > 0) {
		return
	}
	sf := conf.SubFilter
	t := sf.Matches
	if sf.Dynamic() {
		patterns := make([][]byte, 0, len(sf.Pairs))
		values := make([]*directives.Complex, 0, len(sf.Pairs))
		for _, p := range sf.Pairs {
			m := x.evalValue(nil, p.Search)
			if len(m) == 0 {
				continue
			}
			patterns = append(patterns, directives.LowerASCII(m))
			values = append(values, p.Replace)
		}
		if len(patterns) == 0 {
			return
		}
		t = directives.NewSubMatches(patterns, values)
	}
	x.subFilterRelease()
	x.subFilter = newSubStream(t, conf.SubFilterOnce, x.value)
	x.subFilter.outBuf = x.c.s.bufs.get(4096)
	x.subFilter.out = x.subFilter.outBuf.b[:0]
	o.contentLength = -1
	if !conf.SubFilterLastModified {
		o.lastModified = zeroTime
		if i := o.lastBefore("last-modified", len(o.headers)); i >= 0 {
			o.removeAt(i)
		}
		if i := o.lastBefore("etag", len(o.headers)); i >= 0 {
			o.removeAt(i)
		}
	} else {
		x.weakETag()
	}
}

// newSubStream starts the search of a response's body for t's strings;
// once is sub_filter_once, eval evaluates a replacement.
func newSubStream(t *directives.SubMatches, once bool, eval func(*directives.Complex) []byte) *subStream {
	return &subStream{
		t:        t,
		onceConf: once,
		subs:     make([][]byte, len(t.Patterns)),
		done:     make([]bool, len(t.Patterns)),
		looked:   make([]byte, 0, t.MaxLen),
		offset:   t.MinLen - 1,
		eval:     eval,
	}
}

// subFilterRelease gives the sub filter's output buffer back.
func (x *exchange) subFilterRelease() {
	s := x.subFilter
	if s == nil || s.outBuf == nil {
		return
	}
	s.outBuf.b = s.out[:0]
	x.c.s.bufs.put(s.outBuf)
	s.outBuf, s.out = nil, nil
}

// subFilterBody runs the body piece p through the sub filter and returns
// what goes on (valid until the next call); last ends the body, giving
// out the bytes still held.
func (x *exchange) subFilterBody(p []byte, last bool) []byte {
	return x.subFilter.filter(p, last)
}

// filter is ngx_http_sub_body_filter for one buffer, p, marked as the
// last with last.
func (s *subStream) filter(p []byte, last bool) []byte {
	s.out = s.out[:0]
	if s.once && len(s.looked) == 0 {
		return p
	}
	for pos := 0; pos < len(p); {
		n, matched := s.parse(p[pos:])
		pos += n
		if matched {
			s.out = append(s.out, s.value(s.index)...)
			s.index = 0
			s.applied++
			s.once = s.onceConf && s.applied == len(s.t.Patterns)
		}
	}
	if last && len(s.looked) > 0 {
		s.out = append(s.out, s.looked...)
		s.looked = s.looked[:0]
	}
	return s.out
}

// value is string i's replacement, evaluated the first time it is used.
func (s *subStream) value(i int) []byte {
	if !s.done[i] {
		s.subs[i] = s.eval(s.t.Values[i])
		s.done[i] = true
	}
	return s.subs[i]
}

// What ngx_http_sub_match says of a string at a place.
const (
	subDeclined = iota
	subAgain    // it matches as far as the data goes
	subOK
)

// parse is ngx_http_sub_parse over the data p (looked before it): it
// looks for the next match, appends to out the bytes before it (or, with
// none, those that cannot start one), keeps in looked those that may, and
// returns how much of p it took and whether a match (string s.index)
// ends there. The data are always marked for flushing (nginx's proxied
// and file buffers are), which lets bytes that start no partial match go
// out at once.
func (s *subStream) parse(p []byte) (int, bool) {
	t := s.t
	offset := s.offset
	end := len(p)
	var start, next int
	matched := false
	if s.once {
		// Everything left goes out.
		offset = end + t.MinLen - 1
		goto again
	}
	for offset < end {
		var c byte
		if offset < 0 {
			c = s.looked[len(s.looked)+offset]
		} else {
			c = p[offset]
		}
		c = lowerASCII(c)
		if shift := t.Shift[c]; shift > 0 {
			offset += int(shift)
			continue
		}
		start = offset - t.MinLen + 1
		for i, j := max(int(t.Index[c]), s.index), int(t.Index[int(c)+1]); i < j; i++ {
			if s.onceConf && s.done[i] {
				continue
			}
			m := t.Patterns[i]
			rc := s.match(p, start, m)
			if rc == subDeclined {
				continue
			}
			s.index = i
			if rc == subAgain {
				goto again
			}
			s.offset = offset + len(m)
			next = start + len(m)
			end = max(next, 0)
			matched = true
			goto done
		}
		offset++
		s.index = 0
	}
	// Flushing: the places left before the data's end that no string
	// starts a partial match at go out now.
	for {
		start = offset - t.MinLen + 1
		if start >= end {
			break
		}
		for _, m := range t.Patterns {
			if s.match(p, start, m) == subAgain {
				goto again
			}
		}
		offset++
	}
again:
	s.offset = offset
	start = offset - t.MinLen + 1
	next = start
done:
	// Out go looked and p up to start; looked keeps from next to end.
	saved := len(s.looked) + min(start, 0)
	s.out = append(s.out, s.looked[:saved]...)
	s.out = append(s.out, p[:max(start, 0)]...)
	if next < 0 {
		s.looked = s.looked[:copy(s.looked, s.looked[len(s.looked)+next:])]
	} else {
		s.looked = s.looked[:0]
	}
	s.looked = append(s.looked, p[max(next, 0):end]...)
	s.offset -= end
	return end, matched
}

// match is ngx_http_sub_match: string m (lower-case) against the data
// from start on (looked, then p, when start is negative).
func (s *subStream) match(p []byte, start int, m []byte) int {
	k := 0
	i := start
	if start < 0 {
		held := s.looked[max(len(s.looked)+start, 0):]
		for ; k < len(held) && k < len(m); k++ {
			if lowerASCII(held[k]) != m[k] {
				return subDeclined
			}
		}
		i = 0
	}
	for ; i < len(p) && k < len(m); i, k = i+1, k+1 {
		if lowerASCII(p[i]) != m[k] {
			return subDeclined
		}
	}
	if k != len(m) {
		return subAgain
	}
	return subOK
}

// lowerASCII is ngx_tolower.
func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c | 0x20
	}
	return c
}
