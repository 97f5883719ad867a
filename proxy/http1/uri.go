package http1

type complexState uint8

const (
	csUsual complexState = iota
	csSlash
	csDot
	csDotDot
	csQuoted
	csQuotedSecond
)

// uriFlags are the flags nginx keeps about a request URI.
type uriFlags struct {
	quoted bool // a '%' escape was decoded in the path
	plus   bool // the path has a '+' (literal or %2B)
	// argsHash: the arguments end at a '#' (ngx_http_parse_complex_uri
	// then sets r->args, even when empty).
	argsHash bool
}

// normalizePath mirrors ngx_http_parse_complex_uri. raw is the request URI
// as sent (nginx's unparsed_uri); when emptyPath is set raw starts with the
// '?' of "http://host?args" and the path is "/". The normalised path ($uri)
// is appended to dst: %XX decoded, "//" merged when mergeSlashes is set,
// "." and ".." segments resolved, the fragment dropped. args is the part after
// the first '?' of the raw path, up to a '#' (nil when there is no '?'). ok
// is false where nginx answers 400: a bad escape, %00, or ".." above the
// root.
func normalizePath(dst, raw []byte, emptyPath, mergeSlashes bool, f *uriFlags) (path, args []byte, ok bool) {
	base := len(dst)
	if emptyPath {
		dst = append(dst, '/')
	}
	n := normalizer{out: dst, base: base, merge: mergeSlashes, flags: *f}
	argsAt, ok := n.run(raw)
	*f = n.flags
	if !ok {
		return dst[:base], nil, false
	}
	if argsAt < 0 {
		return n.out, nil, true
	}
	args = raw[argsAt:]
	for i, c := range args {
		if c == '#' {
			args = args[:i]
			f.argsHash = true
			break
		}
	}
	return n.out, args, true
}

// normalizer carries ngx_http_parse_complex_uri's output and state.
type normalizer struct {
	out         []byte
	base        int // where the path starts in out
	merge       bool
	flags       uriFlags
	state       complexState
	quotedState complexState
	decoded     byte
}

// run consumes raw and returns the index after the '?' that starts the
// arguments (-1 when there is none) and false on an invalid URI. As in nginx,
// the byte a %XX escape decodes to is fed back through the state machine as
// if it had been sent literally, except '%', '#' and '?', which become plain
// path bytes.
func (n *normalizer) run(raw []byte) (int, bool) {
	if len(raw) == 0 {
		return -1, true
	}
	ch := raw[0]
	p := 1 // index after ch; the loop runs while ch is a byte of raw
	next := func() {
		if p < len(raw) {
			ch = raw[p]
		}
		p++
	}
	for p <= len(raw) {
		switch n.state {
		case csQuoted:
			n.flags.quoted = true
			d, ok := unhex(ch)
			if !ok {
				return -1, false
			}
			n.decoded = d
			n.state = csQuotedSecond
			next()
			continue
		case csQuotedSecond:
			d, ok := unhex(ch)
			if !ok {
				return -1, false
			}
			ch = n.decoded<<4 | d
			if ch == '%' || ch == '#' || ch == '?' {
				n.state = csUsual
				n.out = append(n.out, ch)
				next()
				continue
			}
			if ch == 0 {
				return -1, false
			}
			if ch == '+' {
				n.flags.plus = true
			}
			n.state = n.quotedState
			continue // the decoded byte goes through the current state
		}
		stop, ok := n.step(ch)
		if !ok {
			return -1, false
		}
		switch stop {
		case '?':
			return p, true
		case '#':
			return -1, true
		}
		next()
	}
	return -1, n.finish()
}

// step feeds one byte to the usual/slash/dot/dotdot states. It returns '?'
// or '#' when ch ends the path, and false when ".." climbs above the root.
func (n *normalizer) step(ch byte) (byte, bool) {
	if isUsual(ch) {
		n.state = csUsual
		n.out = append(n.out, ch)
		return 0, true
	}
	switch ch {
	case '%':
		n.quotedState = n.state
		n.state = csQuoted
		return 0, true
	case '?', '#':
		return ch, n.endSegment()
	case '/':
		return 0, n.slash()
	case '.':
		switch n.state {
		case csSlash:
			n.state = csDot
		case csDot:
			n.state = csDotDot
		default:
			n.state = csUsual
		}
		n.out = append(n.out, ch)
		return 0, true
	case '+':
		n.flags.plus = true
	}
	n.state = csUsual
	n.out = append(n.out, ch)
	return 0, true
}

// slash handles '/' in every state: it starts a segment, is dropped when
// merging "//", removes a "." segment and resolves a ".." one.
func (n *normalizer) slash() bool {
	switch n.state {
	case csSlash:
		if !n.merge {
			n.out = append(n.out, '/')
		}
		return true
	case csDot:
		n.out = n.out[:len(n.out)-1]
	case csDotDot:
		if !n.up() {
			return false
		}
	default:
		n.out = append(n.out, '/')
	}
	n.state = csSlash
	return true
}

// endSegment drops a trailing "." or resolves a trailing ".." segment before
// the path ends at '?', '#' or the end of the URI. In the usual and slash
// states nothing changes.
func (n *normalizer) endSegment() bool {
	switch n.state {
	case csDot:
		n.out = n.out[:len(n.out)-1]
	case csDotDot:
		return n.up()
	}
	return true
}

// up removes "/.." and the segment before it, keeping the '/' that precedes
// that segment; there must be one, or the URI climbs above the root.
func (n *normalizer) up() bool {
	u := len(n.out) - 4
	for ; u >= n.base; u-- {
		if n.out[u] == '/' {
			n.out = n.out[:u+1]
			return true
		}
	}
	return false
}

// finish ends the path at the end of the URI.
func (n *normalizer) finish() bool {
	if n.state == csQuoted || n.state == csQuotedSecond {
		return false
	}
	return n.endSegment()
}

// unhex returns the value of a hexadecimal digit.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return c | 0x20 - 'a' + 10, true
	}
	return 0, false
}

// AppendEscapedURI appends src to dst with the bytes of nginx's
// NGX_ESCAPE_URI table replaced by %XX (upper-case hex): controls, space, '"',
// '#', '%', '<', '>', '?', '\\', '^', '`', '{', '|', '}', DEL and bytes >=
// 0x80. It mirrors ngx_escape_uri(…, NGX_ESCAPE_URI), which proxy_pass with a
// URI part applies to the normalised path when the request had escapes
// (Request.QuotedURI) — ngx_http_proxy_create_key/create_request.
func AppendEscapedURI(dst, src []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range src {
		if escapeURIBits[c>>5]&(1<<(c&0x1f)) != 0 {
			dst = append(dst, '%', hex[c>>4], hex[c&0xf])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}
