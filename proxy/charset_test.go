package proxy

import "testing"

// TestUpstreamContentTypeCharset pins ngx_http_upstream_copy_content_type:
// the type's length before the ";" and the charset, quotes dropped.
func TestUpstreamContentTypeCharset(t *testing.T) {
	for _, tc := range []struct{ in, typ, charset string }{
		{"text/html", "text/html", ""},
		{"text/html; charset=koi8-r", "text/html", "koi8-r"},
		{"text/html;charset=\"UTF-8\"", "text/html", "UTF-8"},
		{"text/html; q=1; CHARSET=x", "text/html; q=1", "x"},
		{"text/html; q=1", "text/html; q=1", ""},
		{"text/html;  ", "text/html;  ", ""},
	} {
		var o outHeaders
		o.setUpstreamContentType([]byte(tc.in))
		if got := string(o.contentType[:o.typeLen]); got != tc.typ || string(o.charset) != tc.charset {
			t.Errorf("%q: type %q charset %q, want %q %q", tc.in, got, o.charset, tc.typ, tc.charset)
		}
	}
}

// TestRecoderFromUTF8Split: a character cut between two writes is
// completed by the next one, whatever its length (nginx's own loop needs
// the next buffer to hold more than the rest of the character; see
// docs/differences.md); one left at the end is dropped.
func TestRecoderFromUTF8Split(t *testing.T) {
	r := &recoder{fromUTF8: map[rune]byte{0x431: 0xc2, 0x20ac: 0x80}}
	var got []byte
	for _, p := range []string{"ab \xd0", "\xb1", "\xe2", "\x82", "\xac", "!\xe2\x82"} {
		got = append(got, r.apply([]byte(p))...)
	}
	if want := "ab \xc2\x80!"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
