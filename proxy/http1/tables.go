package http1

// Byte classes used by the parsers. They are nginx's tables re-expressed as
// 256-entry lookups (immutable after package initialisation).

// usualBits marks the URI bytes that need no special handling in a path
// (nginx's "usual" bitmap in ngx_http_parse.c, non-Windows build): every
// printable byte except ' ', '#', '%', '+', '.', '/' and '?', and every byte
// >= 0x80. Control bytes and DEL are not usual.
var usualBits = [8]uint32{
	0x00000000, // 0x00-0x1f
	0x7fff37d6, // ' '..'?'
	0xffffffff, // '@'..'_'
	0x7fffffff, // '`'..'~', not DEL
	0xffffffff,
	0xffffffff,
	0xffffffff,
	0xffffffff,
}

// isUsual reports whether c is a plain path byte for nginx's URI parsers.
func isUsual(c byte) bool {
	return usualBits[c>>5]&(1<<(c&0x1f)) != 0
}

// headerNameChar maps the bytes nginx accepts in a header name to their
// lower-case form ('-', digits, letters); every other byte maps to 0.
var headerNameChar = func() (t [256]byte) {
	t['-'] = '-'
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = byte(c)
		t[c-'a'+'A'] = byte(c)
	}
	return t
}()

// escapeURIBits is ngx_escape_uri's NGX_ESCAPE_URI table: bytes that
// proxy_pass re-escapes when it sends a normalised URI (controls, space, '"',
// '#', '%', '<', '>', '?', '\\', '^', '`', '{', '|', '}', DEL and >= 0x80).
var escapeURIBits = [8]uint32{
	0xffffffff,
	0xd000002d,
	0x50000000,
	0xb8000001,
	0xffffffff,
	0xffffffff,
	0xffffffff,
	0xffffffff,
}

// lower returns the ASCII lower-case form of c (ngx_tolower).
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c | 0x20
	}
	return c
}

// equalFold reports whether b equals the lower-case ASCII string s, ignoring
// the case of b's letters.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether b contains the lower-case ASCII string s,
// ignoring case (ngx_strcasestrn / ngx_strlcasestrn).
func containsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if equalFold(b[i:i+len(s)], s) {
			return true
		}
	}
	return false
}
