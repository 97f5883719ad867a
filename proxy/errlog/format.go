package errlog

import (
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rs/zerolog"
)

// Field names with a place of their own in nginx's line. Any other field is
// appended after the message as ", name: value", in the order it was added,
// the way nginx's HTTP log handler appends its context.
const (
	// FieldConn is the connection number, printed as "*N " before the
	// message.
	FieldConn = "conn"
	// FieldErrno is a system error, printed as " (98: Address already in
	// use)" right after the message; see Errno. zerolog's Err(err) field
	// is printed the same way.
	FieldErrno = "errno"
	// FieldAction is what the connection was doing, printed as
	// " while reading response header from upstream".
	FieldAction = "action"
)

// quoted reports whether nginx prints a context field's value between
// double quotes (ngx_http_log_error_handler: request, upstream, host and
// referrer are quoted; client and server are not).
func quoted(key []byte) bool {
	switch string(key) {
	case "request", "subrequest", "upstream", "host", "referrer":
		return true
	}
	return false
}

// maxFields bounds the fields read from one event; later ones are dropped.
// A fixed array keeps the parse off the heap.
const maxFields = 16

// field is one key/value of a zerolog event, as spans of the event's JSON.
type field struct {
	key  []byte // raw key, without quotes
	val  []byte // raw value: a string's contents without quotes, or the JSON text
	str  bool   // val is a JSON string's contents (escapes unresolved)
	used bool
}

// format appends nginx's line for the event p to buf, newline included, and
// returns it with the offset at which the message starts (after
// "time [level] pid#tid: *conn "), which is what the stderr mirror repeats.
func (l *Log) format(buf []byte, lvl Level, p []byte, now time.Time) ([]byte, int) {
	base := len(buf)
	buf = now.AppendFormat(buf, "2006/01/02 15:04:05")
	buf = append(buf, " ["...)
	buf = append(buf, lvl.String()...)
	buf = append(buf, "] "...)
	buf = append(buf, l.prefix...)

	var fs [maxFields]field
	n := parseFields(p, fs[:])
	fields := fs[:n]

	skip := func(f *field) bool {
		return f.used || string(f.key) == zerolog.LevelFieldName
	}
	if f := find(fields, FieldConn); f != nil {
		buf = append(buf, '*')
		buf = appendValue(buf, f)
		buf = append(buf, ' ')
		f.used = true
	}
	msg := len(buf)
	if f := find(fields, zerolog.MessageFieldName); f != nil {
		buf = appendValue(buf, f)
		f.used = true
	}
	for i := range fields {
		f := &fields[i]
		if skip(f) || (string(f.key) != FieldErrno && string(f.key) != zerolog.ErrorFieldName) {
			continue
		}
		buf = append(buf, " ("...)
		buf = appendValue(buf, f)
		buf = append(buf, ')')
		f.used = true
	}
	if f := find(fields, FieldAction); f != nil && !f.used {
		buf = append(buf, " while "...)
		buf = appendValue(buf, f)
		f.used = true
	}
	for i := range fields {
		f := &fields[i]
		if skip(f) {
			continue
		}
		buf = append(buf, ", "...)
		buf = append(buf, f.key...)
		buf = append(buf, ": "...)
		q := quoted(f.key)
		if q {
			buf = append(buf, '"')
		}
		buf = appendValue(buf, f)
		if q {
			buf = append(buf, '"')
		}
	}

	// nginx cuts the line so that it and its newline fit NGX_MAX_ERROR_STR.
	if len(buf)-base > maxLine-1 {
		buf = buf[:base+maxLine-1]
	}
	buf = append(buf, '\n')
	return buf, msg
}

func find(fields []field, key string) *field {
	for i := range fields {
		if string(fields[i].key) == key {
			return &fields[i]
		}
	}
	return nil
}

// appendValue appends f's value: a string unescaped, anything else (number,
// bool, nested object) as its JSON text.
func appendValue(buf []byte, f *field) []byte {
	if !f.str {
		return append(buf, f.val...)
	}
	return unescape(buf, f.val)
}

// parseFields reads the top-level fields of the flat JSON object zerolog
// writes, without copying: each field's key and value are sub-slices of p.
// It stops quietly at anything it does not expect, keeping what it read.
func parseFields(p []byte, out []field) int {
	i := skipSpace(p, 0)
	if i >= len(p) || p[i] != '{' {
		return 0
	}
	i++
	n := 0
	for {
		i = skipSpace(p, i)
		if i >= len(p) || p[i] != '"' {
			return n
		}
		ke := stringEnd(p, i)
		if ke < 0 {
			return n
		}
		key := p[i+1 : ke]
		i = skipSpace(p, ke+1)
		if i >= len(p) || p[i] != ':' {
			return n
		}
		i = skipSpace(p, i+1)
		if i >= len(p) {
			return n
		}
		var f field
		f.key = key
		if p[i] == '"' {
			ve := stringEnd(p, i)
			if ve < 0 {
				return n
			}
			f.val, f.str = p[i+1:ve], true
			i = ve + 1
		} else {
			ve := valueEnd(p, i)
			f.val = p[i:ve]
			i = ve
		}
		if n < len(out) {
			out[n] = f
			n++
		}
		i = skipSpace(p, i)
		if i >= len(p) || p[i] != ',' {
			return n
		}
		i++
	}
}

func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t') {
		i++
	}
	return i
}

// stringEnd returns the index of the quote closing the string that opens at
// p[i], or -1.
func stringEnd(p []byte, i int) int {
	for j := i + 1; j < len(p); j++ {
		switch p[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// valueEnd returns the end of the non-string JSON value at p[i]: a number,
// literal, object or array (nested strings skipped).
func valueEnd(p []byte, i int) int {
	depth := 0
	for j := i; j < len(p); j++ {
		switch c := p[j]; c {
		case '"':
			e := stringEnd(p, j)
			if e < 0 {
				return len(p)
			}
			j = e
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j
			}
			depth--
		case ',':
			if depth == 0 {
				return j
			}
		case ' ', '\n', '\r', '\t':
			if depth == 0 {
				return j
			}
		}
	}
	return len(p)
}

// unescape appends the JSON string contents s with its escapes resolved.
func unescape(buf, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			buf = append(buf, c)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			buf = append(buf, '\n')
		case 't':
			buf = append(buf, '\t')
		case 'r':
			buf = append(buf, '\r')
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'u':
			r, k := hex4(s, i+1)
			if k < 0 {
				buf = append(buf, '\\', 'u')
				continue
			}
			i = k - 1
			// A character outside the BMP comes as a surrogate pair.
			if utf16.IsSurrogate(r) && k+1 < len(s) && s[k] == '\\' && s[k+1] == 'u' {
				if r2, k2 := hex4(s, k+2); k2 >= 0 {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r, i = d, k2-1
					}
				}
			}
			buf = utf8.AppendRune(buf, r)
		default: // \" \\ \/
			buf = append(buf, s[i])
		}
	}
	return buf
}

// hex4 decodes the four hex digits at s[i:], returning the rune and the
// index after them, or -1.
func hex4(s []byte, i int) (rune, int) {
	if i+4 > len(s) {
		return 0, -1
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, -1
		}
	}
	return r, i + 4
}
