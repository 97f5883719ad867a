package errlog

import (
	"unicode/utf8"

	"github.com/rs/zerolog"
)

// zerolog writes strings as valid UTF-8, replacing any other byte with
// U+FFFD; nginx writes a request's bytes as they came. The helpers below
// carry such values through zerolog unchanged (as raw JSON whose string
// holds the bytes as they are), and the text line gets them back exactly.
// JSON lines (SetJSON) replace them with U+FFFD, as zerolog would.

// Bytes adds the field key with the value b, keeping bytes that are not
// UTF-8 for the text line. It is zerolog's Bytes when b is valid UTF-8.
func Bytes(e *zerolog.Event, key string, b []byte) *zerolog.Event {
	if utf8.Valid(b) {
		return e.Bytes(key, b)
	}
	return e.RawJSON(key, appendRawString(make([]byte, 0, len(b)+8), b))
}

// Msg sends e with the message msg, keeping bytes that are not UTF-8
// (a file name from a request, say) for the text line.
func Msg(e *zerolog.Event, msg string) {
	if utf8.ValidString(msg) {
		e.Msg(msg)
		return
	}
	e.RawJSON(zerolog.MessageFieldName, appendRawString(make([]byte, 0, len(msg)+8), []byte(msg))).Send()
}

// appendRawString appends b as a JSON string that escapes only what JSON
// requires ('"', '\\' and control bytes), leaving every other byte as it
// is.
func appendRawString(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// appendValidUTF8 appends the JSON string contents s with every byte that
// is not part of valid UTF-8 replaced by \ufffd, for JSON lines.
func appendValidUTF8(dst, s []byte) []byte {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n <= 1 {
			dst = append(dst, `\ufffd`...)
			s = s[1:]
			continue
		}
		dst = append(dst, s[:n]...)
		s = s[n:]
	}
	return dst
}
