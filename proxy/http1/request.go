package http1

import "math"

// Header is one header line as received: name and value exactly as sent
// (original case; the value without the spaces around it), in order.
type Header struct {
	Name  []byte
	Value []byte
}

// Is reports whether the header's name, ignoring case, is lowerName (which
// must be lower-case). It is the equivalent of nginx's lookups by
// lower-cased name.
func (h *Header) Is(lowerName string) bool {
	return equalFold(h.Name, lowerName)
}

// Request is a parsed request head (nginx's request line and headers_in).
// Its byte slices point into the [Reader]'s buffers: they are valid until
// the Reader's next ReadRequest or Release. A Request can be reused; reusing
// it avoids allocations.
type Request struct {
	// Line is the request line without its CRLF ($request), once the
	// line is accepted: parsed, with a valid URI and host. A line that
	// parses but is refused for its URI or host is in PartialLine, so that
	// the error is reported "while reading client request line" as nginx
	// does (it sets that action aside only after those checks).
	Line []byte
	// MethodName is the method as sent ($request_method); Method is
	// nginx's constant for it (MethodUnknown for other names). When the
	// request line fails after its method, Method is set and MethodName
	// is not, as in nginx.
	MethodName []byte
	Method     Method
	// Version is nginx's http_version: 9 for HTTP/0.9, 1000 for HTTP/1.0,
	// 1001 for HTTP/1.1 (major*1000+minor). It is 1000 until the request
	// line is parsed, so an error page for a broken line gets headers, and
	// 9 for an HTTP/0.9 request, whose responses have none.
	Version int
	// Proto is the protocol as sent, e.g. "HTTP/1.1" ($server_protocol);
	// nil for HTTP/0.9, empty (not nil) when the line failed after its
	// "H".
	Proto []byte
	// URI is the request URI exactly as sent, arguments included
	// ($request_uri, nginx's unparsed_uri). For an absolute URI it starts at
	// the path ("http://h/a?b" gives "/a?b", "http://h?b" gives "?b",
	// "http://h" gives "/").
	URI []byte
	// Path is the normalised path ($uri): percent-decoded, "//" merged
	// (merge_slashes), "." and ".." resolved, without arguments or fragment.
	Path []byte
	// Args is what follows the first '?' of the path ($args).
	Args []byte
	// EmptyArgsFound is set when Args is empty but $args is found all
	// the same: "/x?#", where ngx_http_parse_complex_uri meets the '#'
	// and leaves r->args with data and no length ("" in a log, not "-").
	EmptyArgsFound bool
	// Scheme, Host and Port are the parts of an absolute request URI, as
	// sent; empty for the origin form.
	Scheme, Host, Port []byte

	// ComplexURI is set when the path had "//", "/.", or '#'; QuotedURI
	// when it had a %XX escape (proxy_pass then re-escapes the normalised
	// path); PlusInURI when it had a '+' (literal or %2B). nginx 1.22 has
	// no space_in_uri: since 1.21.1 a space in the URI is a 400.
	ComplexURI, QuotedURI, PlusInURI bool
	// EmptyPathInURI is set for "http://host?args": nginx then has no valid
	// raw URI to send and proxies Path+Args instead.
	EmptyPathInURI bool

	// Headers are the header lines in order, minus those dropped by
	// ignore_invalid_headers.
	Headers []Header
	// Invalid are the header lines ignore_invalid_headers dropped, in
	// order. nginx logs each at info as it meets it (see InvalidHeader);
	// the caller does, as only it knows the error logs.
	Invalid []InvalidHeader
	// PartialLine is set when the head failed before its request line was
	// accepted: the line as far as it was read, up to a CR or LF (what
	// nginx's $request and its error lines show then, from request_start:
	// empty, not nil, when only empty lines came); for a 414, the whole
	// buffer the line filled; the whole line when its URI or host is
	// invalid. Line is empty then.
	PartialLine []byte
	// HeadLength is nginx's r->request_length after the head: the request
	// line and every header line parsed, those ignore_invalid_headers drops
	// included, and the empty line. When the head fails it counts what
	// nginx had counted: nothing for a bad request line, the lines before a
	// malformed one, the offending line for a bad Host.
	HeadLength int64
	// Server is the host nginx selects the virtual server with and returns
	// as $host (when non-empty): from an absolute request URI, else from
	// the Host header; lower-case, without port or trailing dot.
	Server []byte
	// ContentLength is the Content-Length value, or -1 without one.
	ContentLength int64
	// Chunked is set for "Transfer-Encoding: chunked".
	Chunked bool
	// KeepAlive tells whether the connection may serve another request
	// after this one (before keepalive_timeout / keepalive_requests):
	// "Connection: close" or "keep-alive" (anywhere in the value, close
	// first) else the version's default (HTTP/1.1 yes, HTTP/1.0 no).
	KeepAlive bool
	// Limits are the limits in force at the end of the head: those given to
	// ReadRequest, or the ones VirtualServer returned.
	Limits *Limits

	known    [numKnown]int32 // 1 + index in Headers of the first of each known header
	connType connType
	pathBuf  []byte
	hostBuf  []byte
}

// InvalidHeader is a header line dropped by ignore_invalid_headers: its
// name has a byte nginx does not allow ('_' without
// underscores_in_headers, punctuation, bytes >= 0x80). nginx logs it at
// info, "client sent invalid header line: \"<Line>\"" while reading client
// request headers (ngx_http_process_request_headers), with the request's
// context at that moment.
type InvalidHeader struct {
	// Line is what nginx quotes: from the name to the end of the value,
	// as sent (trailing spaces excluded).
	Line []byte
	// Kept is how many of Headers preceded the line: a Host header among
	// them is the one nginx's message shows, and selected the virtual
	// server whose error_log gets the line; before it, nginx logs with no
	// host, to the default server's error_log.
	Kept int
}

// Header returns the value of the first header named lowerName (which must
// be lower-case), ignoring the case of the names received.
func (req *Request) Header(lowerName string) ([]byte, bool) {
	for i := range req.Headers {
		if req.Headers[i].Is(lowerName) {
			return req.Headers[i].Value, true
		}
	}
	return nil, false
}

type connType uint8

const (
	connDefault connType = iota
	connClose
	connKeepAlive
)

// The headers nginx's request reader acts on (ngx_http_headers_in entries
// with a handler other than "remember the first").
type knownHeader uint8

const (
	hdrOther knownHeader = iota
	hdrHost
	hdrConnection
	hdrContentLength
	hdrTransferEncoding
	hdrIfModifiedSince
	hdrIfUnmodifiedSince
	hdrIfMatch
	hdrIfNoneMatch
	hdrContentRange
	hdrIfRange
	hdrExpect
	hdrAuthorization
	numKnown
)

// identify returns which known header name is, ignoring case.
func identify(name []byte) knownHeader {
	switch len(name) {
	case 4:
		if equalFold(name, "host") {
			return hdrHost
		}
	case 6:
		if equalFold(name, "expect") {
			return hdrExpect
		}
	case 8:
		return pick2(name, "if-match", hdrIfMatch, "if-range", hdrIfRange)
	case 10:
		if equalFold(name, "connection") {
			return hdrConnection
		}
	case 13:
		if k := pick2(name, "if-none-match", hdrIfNoneMatch, "content-range", hdrContentRange); k != hdrOther {
			return k
		}
		if equalFold(name, "authorization") {
			return hdrAuthorization
		}
	case 14:
		if equalFold(name, "content-length") {
			return hdrContentLength
		}
	case 17:
		return pick2(name, "if-modified-since", hdrIfModifiedSince, "transfer-encoding", hdrTransferEncoding)
	case 19:
		if equalFold(name, "if-unmodified-since") {
			return hdrIfUnmodifiedSince
		}
	}
	return hdrOther
}

func pick2(name []byte, a string, ka knownHeader, b string, kb knownHeader) knownHeader {
	switch {
	case equalFold(name, a):
		return ka
	case equalFold(name, b):
		return kb
	}
	return hdrOther
}

// reset prepares req for a new head, keeping its slices' capacity.
func (req *Request) reset(lim *Limits) {
	*req = Request{
		Version:       1000,
		ContentLength: -1,
		Limits:        lim,
		Headers:       req.Headers[:0],
		Invalid:       req.Invalid[:0],
		pathBuf:       req.pathBuf[:0],
		hostBuf:       req.hostBuf[:0],
	}
}

// WaitRequest waits for the first bytes of the next request head and reads
// them into a buffer of size bytes, client_header_buffer_size (0: nginx's
// 1k); it returns at once when bytes are buffered already. So what serving
// a request needs is borrowed only once a request has begun, as
// ngx_http_wait_request_handler creates the request only then. It first
// releases the previous head. Its errors are ReadRequest's before a byte:
// io.EOF, or the connection's error unwrapped.
func (r *Reader) WaitRequest(size int) error {
	r.Release()
	if r.cur != nil {
		return nil
	}
	if r.rerr != nil {
		err := r.rerr
		r.rerr = nil
		return err
	}
	lim := Limits{HeaderBufferSize: size}
	return r.firstRead(lim.headerBufferSize())
}

// ReadRequest reads the next request head from the connection into req,
// with lim (the default server's settings) governing buffers and header
// rules. It mirrors nginx's ngx_http_wait_request_handler,
// ngx_http_process_request_line, ngx_http_process_request_headers and
// ngx_http_process_request_header: on success the head is fully checked
// (Host, Content-Length, Transfer-Encoding, method) and the body, if any,
// is read with Read or the body readers.
//
// It first releases the previous head. It returns io.EOF, or the
// connection's error unwrapped, when the connection ends or fails before a
// byte of a new request; an *Error for anything else.
func (r *Reader) ReadRequest(req *Request, lim *Limits) error {
	req.reset(lim)
	if err := r.begin(lim.headerBufferSize()); err != nil {
		return err
	}
	var lp lineParser
	lp.reset()
	lp.start = r.pos
	if err := r.readRequestLine(req, &lp); err != nil {
		if _, ok := err.(*Error); ok && lp.begun {
			// nginx's r->method is set as soon as the method is read
			// (its name, $request_method, only with the whole line):
			// a HEAD request refused for its line gets a header-only
			// error response. Not for HTTP/0.9 ("HEAD /"), whose
			// responses have no header for HEAD to cut the body from
			// (ngx_http_header_filter returns before it looks at
			// the method).
			if req.Version != 9 {
				req.Method = lp.method
			}
			req.PartialLine = r.partialLine(&lp, err)
			if lp.protoStart >= 0 {
				// nginx's http_protocol.data is set at the "H" and
				// its length only once the line is complete:
				// $server_protocol is then empty, not "-".
				req.Proto = r.cur.b[lp.start:lp.start]
			}
		}
		return err
	}
	req.HeadLength = int64(r.pos - lp.start)
	if err := req.setLine(r.cur.b, &lp); err != nil {
		req.PartialLine, req.Line = req.Line, nil
		return err
	}
	if req.Version >= 1000 {
		if err := r.readHeaders(req); err != nil {
			return err
		}
		if err := req.checkHead(); err != nil {
			return err
		}
	}
	switch req.connType {
	case connDefault:
		req.KeepAlive = req.Version > 1000
	case connClose:
		req.KeepAlive = false
	case connKeepAlive:
		req.KeepAlive = true
	}
	r.floor = r.pos
	return nil
}

// readRequestLine reads until lp has a complete request line, moving it to a
// large buffer when the first fills up (ngx_http_alloc_large_header_buffer
// for the request line).
func (r *Reader) readRequestLine(req *Request, lp *lineParser) error {
	for {
		if r.pos == r.last {
			if r.last == r.end {
				if err := r.growLine(lp, req.Limits); err != nil {
					return err
				}
			}
			if err := r.fill(); err != nil {
				return connError(err, false)
			}
		}
		var rc parseResult
		r.pos, rc = lp.parse(r.cur.b[:r.last], r.pos)
		switch rc {
		case parseOK:
			return nil
		case parseAgain:
		case parseInvalidMethod:
			return newError(400, "client sent invalid method")
		case parseInvalidVersion:
			return newError(505, "client sent invalid version")
		case parseInvalid09Method:
			req.Version = 9
			return newError(400, "client sent invalid method in HTTP/0.9 request")
		default:
			return newError(400, "client sent invalid request")
		}
	}
}

// partialLine is the request line of a head that failed before the line
// was complete, as nginx shows it: from its first byte up to a CR or LF in
// what was read (ngx_http_variable_request_line), or the whole buffer for
// a line too long (ngx_http_process_request_line's 414).
func (r *Reader) partialLine(lp *lineParser, err error) []byte {
	b := r.cur.b
	if e, ok := err.(*Error); ok && e.Status == 414 {
		return b[lp.start:r.end]
	}
	end := lp.start
	for end < r.last && b[end] != '\r' && b[end] != '\n' {
		end++
	}
	return b[lp.start:end]
}

// growLine makes room for a request line that filled its buffer: a buffer
// holding only empty lines is reused, a partial line moves to a large
// buffer; 414 when the line already fills a large buffer or none is left.
func (r *Reader) growLine(lp *lineParser, lim *Limits) error {
	if lp.state == lsStart {
		r.pos, r.last, lp.start = 0, 0, 0
		return nil
	}
	if r.pos-lp.start >= lim.largeSize() || r.nlarge >= lim.largeCount() {
		return newError(414, "client sent too long URI")
	}
	r.grow(lp.start, lim.largeSize(), false)
	lp.start = 0
	return nil
}

// readHeaders reads header lines up to the empty line, applying nginx's
// per-header handlers.
func (r *Reader) readHeaders(req *Request) error {
	hp := headerParser{start: -1}
	rc := parseAgain
	for {
		lim := req.Limits
		if rc == parseAgain {
			if r.pos == r.end {
				if err := r.growHeader(&hp, lim); err != nil {
					return err
				}
			}
			if r.pos == r.last {
				if err := r.fill(); err != nil {
					return connError(err, false)
				}
			}
		}
		r.pos, rc = hp.parse(r.cur.b[:r.last], r.pos, lim.UnderscoresInHeaders)
		if rc == parseOK || rc == parseHeaderDone {
			req.HeadLength += int64(r.pos - hp.start)
		}
		switch rc {
		case parseOK:
			if hp.invalid && lim.IgnoreInvalidHeaders {
				s := hp.start
				req.Invalid = append(req.Invalid, InvalidHeader{Line: r.cur.b[s : s+hp.valueEnd], Kept: len(req.Headers)})
				continue
			}
			// Checked against the limits in force, which the Host header
			// may have changed (the selected server's max_headers).
			// Debian's patch answers as to a too long header line: 494,
			// "Request Header Or Cookie Too Large" (status 400).
			if len(req.Headers) >= lim.MaxHeaders {
				return newError(494, "client sent too many header lines")
			}
			if err := req.addHeader(r.cur.b, &hp); err != nil {
				return err
			}
		case parseHeaderDone:
			return nil
		case parseAgain:
		default:
			s := hp.start
			return newError(400, headerLineError("client sent", r.cur.b[s:s+hp.valueEnd], r.cur.b[s+hp.valueEnd]))
		}
	}
}

// growHeader makes room when the buffer fills in the middle of the headers:
// a new large buffer, with the partial line moved into it (494 when that
// line already fills a large buffer, or when no large buffer is left).
func (r *Reader) growHeader(hp *headerParser, lim *Limits) error {
	partial := hp.state != hsStart
	if (partial && r.pos-hp.start >= lim.largeSize()) || r.nlarge >= lim.largeCount() {
		if !partial && hp.start >= 0 && !(hp.invalid && lim.IgnoreInvalidHeaders) {
			// The buffer ends with a whole header line, which nginx
			// quotes from header_name_start as it is in its buffer:
			// the line was added to the headers, with NULs written
			// after its name and its value
			// (ngx_http_process_request_headers).
			return tooLargeHeader(r.cur.b, hp.start, r.end, hp.start+hp.nameEnd, hp.start+hp.valueEnd)
		}
		return tooLargeHeader(r.cur.b, hp.start, r.end)
	}
	from := r.pos
	if partial {
		from = hp.start
	}
	r.grow(from, lim.largeSize(), true)
	if partial {
		hp.start = 0
	}
	return nil
}

// tooLargeHeader is nginx's 494, logged with the line being read when there
// is one; the bytes at the positions nuls (in b) are shown as NULs.
func tooLargeHeader(b []byte, start, end int, nuls ...int) *Error {
	if start < 0 || start > end {
		return newError(494, "client sent too large request")
	}
	line := []byte(string(b[start:end]))
	for _, i := range nuls {
		if i >= start && i < end {
			line[i-start] = 0
		}
	}
	if len(line) > maxErrorSnippet {
		line = line[:maxErrorSnippet]
	}
	return newError(494, `client sent too long header line: "`+string(line)+`..."`)
}

// setLine fills req from a parsed request line (the rest of
// ngx_http_process_request_line and ngx_http_process_request_uri).
func (req *Request) setLine(b []byte, lp *lineParser) error {
	s := lp.start
	req.Line = b[s : s+lp.lineEnd]
	req.MethodName = b[s : s+lp.methodEnd]
	req.Method = lp.method
	req.Version = lp.version()
	if lp.protoStart >= 0 {
		req.Proto = b[s+lp.protoStart : s+lp.lineEnd]
	}
	if err := req.setURI(b[s:], lp); err != nil {
		return err
	}
	if lp.schemaEnd >= 0 {
		req.Scheme = b[s+lp.schemaStart : s+lp.schemaEnd]
	}
	if lp.hostEnd < 0 {
		return nil
	}
	req.Host = b[s+lp.hostStart : s+lp.hostEnd]
	if lp.portEnd >= 0 {
		req.Port = b[s+lp.hostEnd+1 : s+lp.portEnd]
	}
	host, ok := req.validHost(req.Host)
	if !ok {
		return newError(400, "client sent invalid host in request line")
	}
	req.setServer(host)
	return nil
}

// setURI splits and normalises the URI (ngx_http_process_request_uri):
// line starts at the request's first byte.
func (req *Request) setURI(line []byte, lp *lineParser) error {
	raw := line[lp.uriStart:lp.uriEnd]
	req.ComplexURI, req.QuotedURI = lp.complexURI, lp.quotedURI
	req.PlusInURI, req.EmptyPathInURI = lp.plusInURI, lp.emptyPath
	if !lp.complexURI && !lp.quotedURI && !lp.emptyPath {
		req.URI = raw
		if lp.argsStart < 0 {
			req.Path = raw
			return nil
		}
		req.Path = line[lp.uriStart : lp.argsStart-1]
		req.Args = line[lp.argsStart:lp.uriEnd]
		return nil
	}
	f := uriFlags{quoted: lp.quotedURI, plus: lp.plusInURI}
	path, args, ok := normalizePath(req.pathBuf[:0], raw, lp.emptyPath, req.Limits.MergeSlashes, &f)
	if !ok {
		// ngx_http_process_request_uri: $uri is empty (found, not "-"),
		// $request_uri and $args are not set.
		req.Path = raw[:0]
		return newError(400, "client sent invalid request")
	}
	req.URI = raw
	req.pathBuf = path
	req.Path, req.Args = path, args
	req.QuotedURI, req.PlusInURI = f.quoted, f.plus
	req.EmptyArgsFound = f.argsHash && len(args) == 0
	return nil
}

// validHost validates h as nginx does and returns the lower-cased name.
func (req *Request) validHost(h []byte) ([]byte, bool) {
	n, upper, ok := validateHost(h)
	if !ok {
		return nil, false
	}
	if !upper {
		return h[:n], true
	}
	start := len(req.hostBuf)
	for _, c := range h[:n] {
		req.hostBuf = append(req.hostBuf, lower(c))
	}
	return req.hostBuf[start:], true
}

// setServer records the request's host and switches to the limits of the
// virtual server it names (ngx_http_set_virtual_server).
func (req *Request) setServer(host []byte) {
	req.Server = host
	if req.Limits.VirtualServer == nil {
		return
	}
	if lim := req.Limits.VirtualServer(host); lim != nil {
		req.Limits = lim
	}
}

// addHeader appends the header line hp just parsed from b and runs nginx's
// handler for it (ngx_http_process_host, ngx_http_process_connection,
// ngx_http_process_unique_header_line).
func (req *Request) addHeader(b []byte, hp *headerParser) error {
	s := hp.start
	n := len(req.Headers)
	if n < cap(req.Headers) {
		req.Headers = req.Headers[:n+1] // the slot is overwritten below
	} else {
		req.Headers = append(req.Headers, Header{})
	}
	h := &req.Headers[n]
	h.Name = b[s : s+hp.nameEnd]
	h.Value = b[s+hp.valueStart : s+hp.valueEnd]
	idx := int32(n + 1)
	k := identify(h.Name)
	switch k {
	case hdrOther:
		return nil
	case hdrHost:
		return req.processHost(h, idx)
	case hdrConnection:
		if containsFold(h.Value, "close") {
			req.connType = connClose
		} else if containsFold(h.Value, "keep-alive") {
			req.connType = connKeepAlive
		}
		return nil
	}
	if prev := req.known[k]; prev != 0 {
		return newError(400, "client sent duplicate header line: "+quoteHeader(h)+
			", previous value: "+quoteHeader(&req.Headers[prev-1]))
	}
	req.known[k] = idx
	return nil
}

// processHost mirrors ngx_http_process_host: one Host header, valid, and it
// selects the server unless the request line already did.
func (req *Request) processHost(h *Header, idx int32) error {
	if prev := req.known[hdrHost]; prev != 0 {
		return newError(400, "client sent duplicate host header: "+quoteHeader(h)+
			", previous value: "+quoteHeader(&req.Headers[prev-1]))
	}
	req.known[hdrHost] = idx
	host, ok := req.validHost(h.Value)
	if !ok {
		return newError(400, "client sent invalid host header")
	}
	if len(req.Server) == 0 {
		req.setServer(host)
	}
	return nil
}

// checkHead mirrors ngx_http_process_request_header: the checks nginx makes
// once the whole head is in.
func (req *Request) checkHead() error {
	if req.known[hdrHost] == 0 && req.Version > 1000 {
		return newError(400, `client sent HTTP/1.1 request without "Host" header`)
	}
	if i := req.known[hdrContentLength]; i != 0 {
		n, ok := parseLength(req.Headers[i-1].Value)
		if !ok {
			return newError(400, `client sent invalid "Content-Length" header`)
		}
		req.ContentLength = n
	}
	if i := req.known[hdrTransferEncoding]; i != 0 {
		if err := req.checkTransferEncoding(req.Headers[i-1].Value); err != nil {
			return err
		}
	}
	switch req.Method {
	case MethodCONNECT:
		return newError(405, "client sent CONNECT method")
	case MethodTRACE:
		return newError(405, "client sent TRACE method")
	}
	return nil
}

// checkTransferEncoding accepts exactly "chunked" (any case) from HTTP/1.1
// clients without Content-Length.
func (req *Request) checkTransferEncoding(v []byte) error {
	if req.Version < 1001 {
		return newError(400, `client sent HTTP/1.0 request with "Transfer-Encoding" header`)
	}
	if !equalFold(v, "chunked") {
		return newError(501, `client sent unknown "Transfer-Encoding": "`+string(v)+`"`)
	}
	if req.known[hdrContentLength] != 0 {
		return newError(400, `client sent "Content-Length" and "Transfer-Encoding" headers at the same time`)
	}
	req.Chunked = true
	return nil
}

// parseLength mirrors ngx_atoof: decimal digits only, at least one, no
// overflow.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	const cutoff, cutlim = math.MaxInt64 / 10, math.MaxInt64 % 10
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v >= cutoff && (v > cutoff || d > cutlim) {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}
