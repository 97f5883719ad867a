package http1

type statusState uint8

const (
	ssStart statusState = iota
	ssH
	ssHT
	ssHTT
	ssHTTP
	ssFirstMajorDigit
	ssMajorDigit
	ssFirstMinorDigit
	ssMinorDigit
	ssStatus
	ssSpaceAfterStatus
	ssStatusText
	ssAlmostDone
)

// statusParser is the resumable state of ngx_http_parse_status_line.
// Positions are indexes in the (single) upstream header buffer.
type statusParser struct {
	state        statusState
	major, minor int
	code, count  int
	start, end   int // the status line nginx keeps: from the code to the line end
}

// parse consumes b[pos:] and returns where it stopped and parseOK,
// parseAgain or parseInvalid (no valid status line: nginx then treats the
// response as HTTP/0.9).
func (s *statusParser) parse(b []byte, pos int) (int, parseResult) {
	for i := pos; i < len(b); i++ {
		ch := b[i]
		switch s.state {
		case ssStart, ssH, ssHT, ssHTT, ssHTTP:
			if ch != "HTTP/"[s.state-ssStart] {
				return i, parseInvalid
			}
			s.state++
		case ssFirstMajorDigit:
			if ch < '1' || ch > '9' {
				return i, parseInvalid
			}
			s.major = int(ch - '0')
			s.state = ssMajorDigit
		case ssMajorDigit, ssMinorDigit:
			if r := s.versionDigit(ch); r != parseAgain {
				return i, r
			}
		case ssFirstMinorDigit:
			if ch < '0' || ch > '9' {
				return i, parseInvalid
			}
			s.minor = int(ch - '0')
			s.state = ssMinorDigit
		case ssStatus:
			if ch == ' ' {
				break
			}
			if ch < '0' || ch > '9' {
				return i, parseInvalid
			}
			s.code = s.code*10 + int(ch-'0')
			if s.count++; s.count == 3 {
				s.state = ssSpaceAfterStatus
				s.start = i - 2
			}
		case ssSpaceAfterStatus:
			switch ch {
			case ' ', '.': // "403.1": IIS sub-statuses
				s.state = ssStatusText
			case '\r':
				s.state = ssAlmostDone
			case '\n':
				return s.done(i)
			default:
				return i, parseInvalid
			}
		case ssStatusText:
			if ch == '\r' {
				s.state = ssAlmostDone
			} else if ch == '\n' {
				return s.done(i)
			}
		case ssAlmostDone:
			s.end = i - 1
			if ch != '\n' {
				return i, parseInvalid
			}
			return s.done(i)
		}
	}
	return len(b), parseAgain
}

// versionDigit handles the digits and separators of "major.minor ".
func (s *statusParser) versionDigit(ch byte) parseResult {
	major := s.state == ssMajorDigit
	switch {
	case major && ch == '.':
		s.state = ssFirstMinorDigit
	case !major && ch == ' ':
		s.state = ssStatus
	case ch < '0' || ch > '9':
		return parseInvalid
	case major:
		if s.major > 99 {
			return parseInvalid
		}
		s.major = s.major*10 + int(ch-'0')
	default:
		if s.minor > 99 {
			return parseInvalid
		}
		s.minor = s.minor*10 + int(ch-'0')
	}
	return parseAgain
}

func (s *statusParser) done(i int) (int, parseResult) {
	if s.end == 0 {
		s.end = i
	}
	return i + 1, parseOK
}

// Response is a parsed upstream response head (nginx's u->headers_in). Its
// slices point into the [Reader]'s buffer: valid until the Reader's next
// ReadResponse or Release.
type Response struct {
	// Version is major*1000+minor, or 9 when the upstream sent no valid
	// status line: nginx then passes everything it received as the body of
	// a 200, with no headers at all to the client.
	Version int
	// Status is the status code (any three digits); 200 for HTTP/0.9.
	// nginx switches to a tunnel only for a 101 answering a request that
	// had an Upgrade header; a 101 otherwise is relayed like any status.
	Status int
	// StatusLine is the status as sent from the code to the end of the
	// line ("200 OK", "404 Nope"); nginx sends it on to the client as is.
	StatusLine []byte
	// Headers are the header lines in order and case, none dropped (an
	// IIS-style repeated "HTTP/..." line is skipped, as nginx does).
	Headers []Header
	// ContentLength is the last Content-Length header's value, or -1 when
	// there is none or it is not a number (nginx then reads to close).
	ContentLength int64
	// Chunked is set when a Transfer-Encoding header mentions "chunked".
	Chunked bool
	// ConnectionClose is set for HTTP/1.0 (or 0.9) responses and when a
	// Connection header mentions "close": the connection cannot be reused.
	ConnectionClose bool
	// HeadSize is the size of the head as received, from the status line
	// to the empty line that ends it (0 for HTTP/0.9): bare LFs, folded
	// or repeated lines count as sent.
	HeadSize int64
	// Received is how many bytes were read from the connection while the
	// head was read, including the start of the body that came with it
	// and, when reading failed, the partial head: what nginx counts in
	// $upstream_bytes_received by the end of
	// ngx_http_upstream_process_header, whether or not a response came
	// of it.
	Received int64
}

// Header returns the value of the first header named lowerName (which must
// be lower-case), ignoring the case of the names received.
func (resp *Response) Header(lowerName string) ([]byte, bool) {
	for i := range resp.Headers {
		if resp.Headers[i].Is(lowerName) {
			return resp.Headers[i].Value, true
		}
	}
	return nil, false
}

// ReadResponse reads an upstream response head into resp from a buffer of
// bufferSize bytes (proxy_buffer_size, nginx: 4k). It mirrors
// ngx_http_upstream_process_header with ngx_http_proxy_process_status_line
// and ngx_http_proxy_process_header. It returns an *Error with status 502
// for "upstream sent invalid header", "upstream sent too big header" (the
// head does not fit) and "upstream prematurely closed connection", or 504
// for a read deadline. The body, if any, follows: see [Response.Framing].
func (r *Reader) ReadResponse(resp *Response, bufferSize int) error {
	*resp = Response{Version: 1000, ContentLength: -1, Headers: resp.Headers[:0]}
	if err := r.begin(bufferSize); err != nil {
		return connError(err, true)
	}
	// The head is parsed in one buffer that starts with it (no grow), so
	// what was read is its filled part.
	start := r.pos
	defer func() { resp.Received = int64(r.last - start) }()
	if err := r.readStatusLine(resp, start); err != nil || resp.Version == 9 {
		return err
	}
	if err := r.readResponseHeaders(resp); err != nil {
		return err
	}
	resp.HeadSize = int64(r.pos - start)
	if resp.Chunked {
		resp.ContentLength = -1
	}
	r.floor = r.pos
	return nil
}

// readStatusLine reads the status line starting at start, or settles on
// HTTP/0.9.
func (r *Reader) readStatusLine(resp *Response, start int) error {
	var sp statusParser
	for {
		var rc parseResult
		r.pos, rc = sp.parse(r.cur.b[:r.last], r.pos)
		switch rc {
		case parseOK:
			resp.Version = sp.major*1000 + sp.minor
			resp.Status = sp.code
			resp.StatusLine = r.cur.b[sp.start:sp.end]
			resp.ConnectionClose = resp.Version < 1001
			return nil
		case parseInvalid:
			// "upstream sent no valid HTTP/1.0 header": everything
			// received is the body, also the bytes an earlier attempt
			// took for the start of a status line (nginx passes its
			// whole header buffer on).
			r.pos = start
			r.floor = start
			resp.Version, resp.Status, resp.ConnectionClose = 9, 200, true
			return nil
		}
		if err := r.moreResponse(); err != nil {
			return err
		}
	}
}

// readResponseHeaders reads the header lines, with nginx's upstream rules:
// underscores allowed, no line dropped, invalid bytes rejected with 502.
func (r *Reader) readResponseHeaders(resp *Response) error {
	hp := headerParser{start: -1, upstream: true}
	for {
		var rc parseResult
		r.pos, rc = hp.parse(r.cur.b[:r.last], r.pos, true)
		switch rc {
		case parseOK:
			resp.addHeader(r.cur.b, &hp)
			continue
		case parseHeaderDone:
			return nil
		case parseAgain:
			if err := r.moreResponse(); err != nil {
				return err
			}
			continue
		}
		s := hp.start
		return &Error{Status: 502, Msg: headerLineError("upstream sent", r.cur.b[s:s+hp.valueEnd], r.cur.b[s+hp.valueEnd])}
	}
}

// moreResponse reads more of a response head: 502 when the buffer is full
// or the upstream closes, 504 on a deadline.
func (r *Reader) moreResponse() error {
	if r.last == r.end {
		return &Error{Status: 502, Msg: "upstream sent too big header"}
	}
	if err := r.fill(); err != nil {
		return connError(err, true)
	}
	return nil
}

// addHeader appends a response header line and applies nginx's upstream
// handlers for Content-Length, Transfer-Encoding and Connection
// (ngx_http_upstream_process_content_length and friends).
func (resp *Response) addHeader(b []byte, hp *headerParser) {
	s := hp.start
	h := Header{Name: b[s : s+hp.nameEnd], Value: b[s+hp.valueStart : s+hp.valueEnd]}
	resp.Headers = append(resp.Headers, h)
	switch {
	case h.Is("content-length"):
		n, ok := parseLength(h.Value)
		if !ok {
			n = -1
		}
		resp.ContentLength = n
	case h.Is("transfer-encoding"):
		if containsFold(h.Value, "chunked") {
			resp.Chunked = true
		}
	case h.Is("connection"):
		if containsFold(h.Value, "close") {
			resp.ConnectionClose = true
		}
	}
}

// Framing is how a response body is delimited.
type Framing uint8

// The framings of ngx_http_proxy_input_filter_init.
const (
	FramingNone    Framing = iota // no body
	FramingLength                 // ContentLength bytes
	FramingChunked                // chunked coding
	FramingClose                  // until the upstream closes the connection
)

// Framing returns how the body of resp is delimited, as nginx decides it
// (ngx_http_proxy_input_filter_init): none for 204, 304 and replies to HEAD
// (head is set) and for Content-Length 0; chunked when Transfer-Encoding
// says so, whatever Content-Length says; else Content-Length bytes; else
// until close (also for HTTP/0.9 responses). A 101 answering an Upgrade
// request is the caller's to turn into a tunnel before asking.
func (resp *Response) Framing(head bool) Framing {
	switch {
	case resp.Status == 204 || resp.Status == 304 || head:
		return FramingNone
	case resp.Chunked:
		return FramingChunked
	case resp.ContentLength == 0:
		return FramingNone
	case resp.ContentLength > 0:
		return FramingLength
	}
	return FramingClose
}

// KeepAlive reports whether the upstream connection can serve another
// request once a body framed as f has been read entirely (nginx's
// u->keepalive; with HTTP/1.0 or "Connection: close" it cannot, nor after a
// body delimited by close or a 101).
func (resp *Response) KeepAlive(f Framing) bool {
	return !resp.ConnectionClose && f != FramingClose && resp.Status != 101
}
