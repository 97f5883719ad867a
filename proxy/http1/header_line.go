package http1

import "encoding/binary"

type headerState uint8

const (
	hsStart headerState = iota
	hsName
	hsSpaceBeforeValue
	hsValue
	hsIgnoreLine
	hsAlmostDone
	hsHeaderAlmostDone
)

// headerParser is the resumable state of ngx_http_parse_header_line. Like
// lineParser, positions are offsets from start (the line's first byte).
type headerParser struct {
	state headerState
	start int // index of the current line's first byte; -1 before any line

	nameEnd    int
	valueStart int
	valueEnd   int // also where nginx's error message stops (header_end)

	// invalid is set when the name has a byte nginx does not allow ('_'
	// without underscores_in_headers, punctuation, bytes >= 0x80); such a
	// line is dropped or kept according to ignore_invalid_headers.
	invalid bool
	// upstream enables nginx's tolerance for a repeated "HTTP/..." status
	// line among response headers (sent by IIS): the line is skipped.
	upstream bool
}

// parse mirrors ngx_http_parse_header_line: it consumes b[pos:] and returns
// where it stopped and parseOK (one header line), parseHeaderDone (the empty
// line), parseAgain or parseInvalid (nginx's NGX_HTTP_PARSE_INVALID_HEADER;
// valueEnd then points at the offending byte).
func (h *headerParser) parse(b []byte, pos int, underscores bool) (int, parseResult) {
	for i := pos; i < len(b); i++ {
		ch := b[i]
		switch h.state {
		case hsStart:
			if next, ok := h.fastLine(b, i); ok {
				return next, parseOK
			}
			h.start = i
			h.invalid = false
			switch ch {
			case '\r':
				h.valueEnd = 0
				h.state = hsHeaderAlmostDone
				continue
			case '\n':
				h.valueEnd = 0
				h.state = hsStart
				return i + 1, parseHeaderDone
			}
			h.state = hsName
			if headerNameChar[ch] != 0 {
				continue
			}
			if ch == '_' {
				h.invalid = !underscores
				continue
			}
			if ch <= 0x20 || ch == 0x7f || ch == ':' {
				h.valueEnd = 0
				return i, parseInvalid
			}
			h.invalid = true

		case hsName:
			for headerNameChar[ch] != 0 {
				if i++; i == len(b) {
					return i, parseAgain
				}
				ch = b[i]
			}
			if r := h.nameByte(b, i, ch, underscores); r != parseAgain {
				if r == parseOK {
					h.state = hsStart
					return i + 1, parseOK
				}
				return i, r
			}

		case hsSpaceBeforeValue:
			rel := i - h.start
			switch ch {
			case ' ':
			case '\r':
				h.valueStart, h.valueEnd = rel, rel
				h.state = hsAlmostDone
			case '\n':
				h.valueStart, h.valueEnd = rel, rel
				h.state = hsStart
				return i + 1, parseOK
			case 0:
				h.valueEnd = rel
				return i, parseInvalid
			default:
				h.valueStart = rel
				h.state = hsValue
			}

		case hsValue:
			// Value bytes are anything but NUL, CR and LF; spaces before
			// the line end are not part of the value (nginx's
			// sw_space_after_value), so the end is found by trimming back.
			i = skipAboveCR(b, i)
			if i == len(b) {
				return i, parseAgain
			}
			ch = b[i]
			for ch > '\r' || (ch != '\r' && ch != '\n' && ch != 0) {
				if i++; i == len(b) {
					return i, parseAgain
				}
				ch = b[i]
			}
			if ch == 0 {
				h.valueEnd = i - h.start
				return i, parseInvalid
			}
			end := i
			for b[end-1] == ' ' {
				end--
			}
			h.valueEnd = end - h.start
			if ch == '\r' {
				h.state = hsAlmostDone
				break
			}
			h.state = hsStart
			return i + 1, parseOK

		case hsIgnoreLine:
			if ch == '\n' {
				h.state = hsStart
			}

		case hsAlmostDone:
			switch ch {
			case '\n':
				h.state = hsStart
				return i + 1, parseOK
			case '\r':
			default:
				return i, parseInvalid
			}

		case hsHeaderAlmostDone:
			if ch != '\n' {
				return i, parseInvalid
			}
			h.state = hsStart
			return i + 1, parseHeaderDone
		}
	}
	return len(b), parseAgain
}

// fastLine parses a whole common header line starting at b[i] without the
// state machine: "Name: value\r\n" with a name of letters, digits and '-'
// and a value without control bytes below CR. Anything else, or a line not
// complete in b, is left to the states, which give the same result for
// these lines.
func (h *headerParser) fastLine(b []byte, i int) (int, bool) {
	j := i
	for j < len(b) && headerNameChar[b[j]] != 0 {
		j++
	}
	if j == i || j == len(b) || b[j] != ':' {
		return 0, false
	}
	nameEnd := j
	for j++; j < len(b) && b[j] == ' '; j++ {
	}
	valueStart := j
	j = skipAboveCR(b, j)
	if j+1 >= len(b) || b[j] != '\r' || b[j+1] != '\n' {
		return 0, false
	}
	end := j
	for end > valueStart && b[end-1] == ' ' {
		end--
	}
	h.start, h.invalid = i, false
	h.nameEnd, h.valueStart, h.valueEnd = nameEnd-i, valueStart-i, end-i
	return j + 2, true
}

// skipAboveCR returns the index of the first byte at or after i that is
// <= '\r' (where NUL, CR and LF are), or len(b). It tests eight bytes at a
// time: header values are most of a head's bytes.
func skipAboveCR(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// Some byte of x is < 0x0e exactly when this is non-zero.
		if (x-ones*0x0e)&^x&highs != 0 {
			break
		}
	}
	for i < len(b) && b[i] > '\r' {
		i++
	}
	return i
}

// nameByte handles a byte of a header name that is not a letter, digit or
// '-'. It returns parseOK when the line ends without a colon (nginx accepts
// "Name\r\n" as a header with an empty value), parseInvalid for bytes that
// make the whole request invalid, and parseAgain otherwise.
func (h *headerParser) nameByte(b []byte, i int, ch byte, underscores bool) parseResult {
	rel := i - h.start
	switch {
	case ch == '_':
		if !underscores {
			h.invalid = true
		}
	case ch == ':':
		h.nameEnd = rel
		h.state = hsSpaceBeforeValue
	case ch == '\r':
		h.nameEnd, h.valueStart, h.valueEnd = rel, rel, rel
		h.state = hsAlmostDone
	case ch == '\n':
		h.nameEnd, h.valueStart, h.valueEnd = rel, rel, rel
		return parseOK
	case ch == '/' && h.upstream && rel == 4 && string(b[h.start:i]) == "HTTP":
		h.state = hsIgnoreLine
	case ch <= 0x20 || ch == 0x7f:
		h.valueEnd = rel
		return parseInvalid
	default:
		h.invalid = true
	}
	return parseAgain
}
