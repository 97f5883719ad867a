package http1

// Method is a request method nginx recognises, with nginx's bit values
// (NGX_HTTP_GET …) so that sets of methods (limit_except) are bit masks.
// A method nginx does not know is MethodUnknown; its name is still kept in
// [Request.Method].
type Method uint32

// The methods of ngx_http_parse_request_line, with nginx's values.
const (
	MethodUnknown   Method = 0x00001
	MethodGET       Method = 0x00002
	MethodHEAD      Method = 0x00004
	MethodPOST      Method = 0x00008
	MethodPUT       Method = 0x00010
	MethodDELETE    Method = 0x00020
	MethodMKCOL     Method = 0x00040
	MethodCOPY      Method = 0x00080
	MethodMOVE      Method = 0x00100
	MethodOPTIONS   Method = 0x00200
	MethodPROPFIND  Method = 0x00400
	MethodPROPPATCH Method = 0x00800
	MethodLOCK      Method = 0x01000
	MethodUNLOCK    Method = 0x02000
	MethodPATCH     Method = 0x04000
	MethodTRACE     Method = 0x08000
	MethodCONNECT   Method = 0x10000
)

// methodOf maps a method name to nginx's constant. Unlike nginx's switch on
// lengths it is one string switch; the outcome is the same.
func methodOf(name []byte) Method {
	switch string(name) {
	case "GET":
		return MethodGET
	case "HEAD":
		return MethodHEAD
	case "POST":
		return MethodPOST
	case "PUT":
		return MethodPUT
	case "DELETE":
		return MethodDELETE
	case "MKCOL":
		return MethodMKCOL
	case "COPY":
		return MethodCOPY
	case "MOVE":
		return MethodMOVE
	case "OPTIONS":
		return MethodOPTIONS
	case "PROPFIND":
		return MethodPROPFIND
	case "PROPPATCH":
		return MethodPROPPATCH
	case "LOCK":
		return MethodLOCK
	case "UNLOCK":
		return MethodUNLOCK
	case "PATCH":
		return MethodPATCH
	case "TRACE":
		return MethodTRACE
	case "CONNECT":
		return MethodCONNECT
	}
	return MethodUnknown
}

// Outcomes of one step of a resumable parser.
type parseResult uint8

const (
	parseAgain           parseResult = iota // input exhausted, more bytes needed
	parseOK                                 // one line complete
	parseHeaderDone                         // empty line: end of the head
	parseInvalid                            // generic syntax error
	parseInvalidMethod                      // bad byte in the method
	parseInvalidVersion                     // HTTP major version >= 2
	parseInvalid09Method                    // HTTP/0.9 request with a method other than GET
)

type lineState uint8

const (
	lsStart lineState = iota
	lsMethod
	lsSpacesBeforeURI
	lsSchema
	lsSchemaSlash
	lsSchemaSlashSlash
	lsHostStart
	lsHost
	lsHostEnd
	lsHostIPLiteral
	lsPort
	lsAfterSlashInURI
	lsCheckURI
	lsURI
	lsHTTP09
	lsH
	lsHT
	lsHTT
	lsHTTP
	lsFirstMajorDigit
	lsMajorDigit
	lsFirstMinorDigit
	lsMinorDigit
	lsSpacesAfterDigit
	lsAlmostDone
)

// lineParser is the resumable state of ngx_http_parse_request_line. Every
// position is an offset from start, the request's first byte, so that a
// partial line can be moved to a larger buffer without fixing pointers.
// -1 marks a position that was not seen.
type lineParser struct {
	state lineState
	start int // index of the request's first byte in the current buffer
	// begun is set once a byte was parsed, empty lines included: nginx's
	// r->request_start is then set, so $request and the error log show
	// the line read so far (possibly empty) instead of nothing.
	begun bool

	methodEnd   int // offset of the space after the method
	uriStart    int
	uriEnd      int
	schemaStart int
	schemaEnd   int // offset of the ':' after the scheme
	hostStart   int
	hostEnd     int
	portEnd     int
	argsStart   int // offset of the byte after the first '?' of the path
	protoStart  int // offset of "HTTP/"
	lineEnd     int // offset of the CR or LF ending the line

	major, minor int
	method       Method

	complexURI bool // the path has "//", "/.", '#' (needs ngx_http_parse_complex_uri)
	quotedURI  bool // the path has a '%' escape
	plusInURI  bool
	emptyPath  bool // absolute URI with no path before '?': "http://h?a"
}

func (p *lineParser) reset() {
	*p = lineParser{
		methodEnd: -1, uriStart: -1, uriEnd: -1, schemaStart: -1, schemaEnd: -1,
		hostStart: -1, hostEnd: -1, portEnd: -1, argsStart: -1, protoStart: -1,
		lineEnd: -1,
	}
}

// version returns the parsed version as nginx's http_version (major*1000+minor).
func (p *lineParser) version() int { return p.major*1000 + p.minor }

// parse mirrors ngx_http_parse_request_line: it consumes b[pos:] and returns
// where it stopped and what it found. On parseOK the returned position is the
// byte after the line's LF.
func (p *lineParser) parse(b []byte, pos int) (int, parseResult) {
	for i := pos; i < len(b); i++ {
		ch := b[i]
		rel := i - p.start
		switch p.state {
		case lsStart:
			p.start = i
			p.begun = true
			if ch == '\r' || ch == '\n' {
				break
			}
			if !isMethodChar(ch) {
				return i, parseInvalidMethod
			}
			p.state = lsMethod

		case lsMethod:
			if ch == ' ' {
				p.methodEnd = rel
				p.method = methodOf(b[p.start:i])
				p.state = lsSpacesBeforeURI
				break
			}
			if !isMethodChar(ch) {
				return i, parseInvalidMethod
			}

		case lsSpacesBeforeURI:
			if ch == '/' {
				p.uriStart = rel
				p.state = lsAfterSlashInURI
				break
			}
			if c := ch | 0x20; c >= 'a' && c <= 'z' {
				p.schemaStart = rel
				p.state = lsSchema
				break
			}
			if ch != ' ' {
				return i, parseInvalid
			}

		case lsSchema:
			if c := ch | 0x20; c >= 'a' && c <= 'z' {
				break
			}
			if (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.' {
				break
			}
			if ch != ':' {
				return i, parseInvalid
			}
			p.schemaEnd = rel
			p.state = lsSchemaSlash

		case lsSchemaSlash, lsSchemaSlashSlash:
			if ch != '/' {
				return i, parseInvalid
			}
			if p.state == lsSchemaSlash {
				p.state = lsSchemaSlashSlash
			} else {
				p.state = lsHostStart
			}

		case lsHostStart, lsHost, lsHostEnd:
			if r, ok := p.host(ch, rel); !ok {
				return i, r
			}

		case lsHostIPLiteral:
			if !isIPLiteralChar(ch) {
				return i, parseInvalid
			}
			if ch == ']' {
				p.state = lsHostEnd
			}

		case lsPort:
			if ch >= '0' && ch <= '9' {
				break
			}
			if !p.afterAuthority(ch, rel) {
				return i, parseInvalid
			}
			p.portEnd = rel

		case lsAfterSlashInURI, lsCheckURI, lsURI:
			var r parseResult
			if i, r = p.uri(b, i); r != parseAgain {
				if r == parseOK {
					return p.done(i)
				}
				return i, r
			}

		case lsHTTP09:
			switch ch {
			case ' ':
			case '\r':
				p.minor = 9
				p.state = lsAlmostDone
			case '\n':
				p.minor = 9
				return p.done(i)
			case 'H':
				p.protoStart = rel
				p.state = lsH
			default:
				return i, parseInvalid
			}

		case lsH, lsHT, lsHTT, lsHTTP:
			if ch != "TTP/"[p.state-lsH] {
				return i, parseInvalid
			}
			p.state++

		case lsFirstMajorDigit:
			if ch < '1' || ch > '9' {
				return i, parseInvalid
			}
			p.major = int(ch - '0')
			if p.major > 1 {
				return i, parseInvalidVersion
			}
			p.state = lsMajorDigit

		case lsMajorDigit:
			if ch == '.' {
				p.state = lsFirstMinorDigit
				break
			}
			if ch < '0' || ch > '9' {
				return i, parseInvalid
			}
			p.major = p.major*10 + int(ch-'0')
			if p.major > 1 {
				return i, parseInvalidVersion
			}

		case lsFirstMinorDigit:
			if ch < '0' || ch > '9' {
				return i, parseInvalid
			}
			p.minor = int(ch - '0')
			p.state = lsMinorDigit

		case lsMinorDigit:
			switch {
			case ch == '\r':
				p.state = lsAlmostDone
			case ch == '\n':
				return p.done(i)
			case ch == ' ':
				p.state = lsSpacesAfterDigit
			case ch < '0' || ch > '9' || p.minor > 99:
				return i, parseInvalid
			default:
				p.minor = p.minor*10 + int(ch-'0')
			}

		case lsSpacesAfterDigit:
			switch ch {
			case ' ':
			case '\r':
				p.state = lsAlmostDone
			case '\n':
				return p.done(i)
			default:
				return i, parseInvalid
			}

		case lsAlmostDone:
			p.lineEnd = rel - 1
			if ch != '\n' {
				return i, parseInvalid
			}
			return p.done(i)
		}
	}
	return len(b), parseAgain
}

// host handles the host part of an absolute URI, where nginx falls through
// from sw_host_start to sw_host to sw_host_end. It returns false with the
// error when ch is not acceptable.
func (p *lineParser) host(ch byte, rel int) (parseResult, bool) {
	if p.state == lsHostStart {
		p.hostStart = rel
		if ch == '[' {
			p.state = lsHostIPLiteral
			return parseAgain, true
		}
		p.state = lsHost
	}
	if p.state == lsHost {
		if c := ch | 0x20; c >= 'a' && c <= 'z' {
			return parseAgain, true
		}
		if (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' {
			return parseAgain, true
		}
	}
	p.hostEnd = rel
	if ch == ':' {
		p.state = lsPort
		return parseAgain, true
	}
	if !p.afterAuthority(ch, rel) {
		return parseInvalid, false
	}
	return parseAgain, true
}

// afterAuthority handles the byte ending the host or port of an absolute
// URI: '/' starts the path, '?' starts arguments with an empty path, ' '
// ends a URI that has no path at all (nginx then uses the "/" after the
// scheme's ':' as the URI).
func (p *lineParser) afterAuthority(ch byte, rel int) bool {
	switch ch {
	case '/':
		p.uriStart = rel
		p.state = lsAfterSlashInURI
	case '?':
		p.uriStart = rel
		p.argsStart = rel + 1
		p.emptyPath = true
		p.state = lsURI
	case ' ':
		p.uriStart = p.schemaEnd + 1
		p.uriEnd = p.schemaEnd + 2
		p.state = lsHTTP09
	default:
		return false
	}
	return true
}

// uri runs the three URI states (sw_after_slash_in_uri, sw_check_uri,
// sw_uri) from b[i]. It returns parseAgain with the index of the last byte it
// consumed while the URI goes on (the caller's loop advances past it),
// parseOK with the index of the LF of an HTTP/0.9 line, or an error.
func (p *lineParser) uri(b []byte, i int) (int, parseResult) {
	for ; i < len(b); i++ {
		ch := b[i]
		if isUsual(ch) {
			if p.state == lsAfterSlashInURI {
				p.state = lsCheckURI
			}
			continue
		}
		switch ch {
		case ' ':
			p.uriEnd = i - p.start
			p.state = lsHTTP09
			return i, parseAgain
		case '\r':
			p.uriEnd = i - p.start
			p.minor = 9
			p.state = lsAlmostDone
			return i, parseAgain
		case '\n':
			p.uriEnd = i - p.start
			p.minor = 9
			return i, parseOK
		}
		if p.state == lsURI {
			if ch == '#' {
				p.complexURI = true
			} else if ch < 0x20 || ch == 0x7f {
				return i, parseInvalid
			}
			continue
		}
		if r := p.pathByte(ch, i-p.start); r != parseAgain {
			return i, r
		}
	}
	return len(b) - 1, parseAgain
}

// pathByte handles a non-usual byte in sw_after_slash_in_uri or sw_check_uri.
func (p *lineParser) pathByte(ch byte, rel int) parseResult {
	afterSlash := p.state == lsAfterSlashInURI
	switch ch {
	case '.':
		if afterSlash {
			p.complexURI = true
			p.state = lsURI
		} else {
			// nginx records the extension start here; the normalised URI
			// yields it again, so only the state matters.
			p.state = lsCheckURI
		}
	case '/':
		if afterSlash {
			p.complexURI = true
			p.state = lsURI
		} else {
			p.state = lsAfterSlashInURI
		}
	case '%':
		p.quotedURI = true
		p.state = lsURI
	case '?':
		p.argsStart = rel + 1
		p.state = lsURI
	case '#':
		p.complexURI = true
		p.state = lsURI
	case '+':
		p.plusInURI = true
	default:
		if ch < 0x20 || ch == 0x7f {
			return parseInvalid
		}
		p.state = lsCheckURI
	}
	return parseAgain
}

// done finishes a request line whose LF is at b[i], as nginx's "done" label.
func (p *lineParser) done(i int) (int, parseResult) {
	if p.lineEnd < 0 {
		p.lineEnd = i - p.start
	}
	p.state = lsStart
	if p.version() == 9 && p.method != MethodGET {
		return i + 1, parseInvalid09Method
	}
	return i + 1, parseOK
}

// isMethodChar reports whether nginx accepts c in a method name.
func isMethodChar(c byte) bool {
	return (c >= 'A' && c <= 'Z') || c == '_' || c == '-'
}

// isIPLiteralChar reports whether c may appear inside "[...]" in the host of
// an absolute URI: unreserved and sub-delims characters, ':' and ']'.
func isIPLiteralChar(c byte) bool {
	if (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z') {
		return true
	}
	switch c {
	case ':', ']', '-', '.', '_', '~',
		'!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}
