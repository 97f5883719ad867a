package directives

import (
	"strings"
	"testing"
)

// TestCharsetMerge: charset, source_charset, override_charset and
// charset_types inherit as nginx merges them; charset_types starts a
// level's list with text/html; names keep the http block's first
// spelling.
func TestCharsetMerge(t *testing.T) {
	cfg, err := loadText(t, H(`charset UTF-8; override_charset on;
server { listen 8080; charset_types text/css;
  location /a/ { charset utf-8; source_charset Utf-8; }
  location /b/ { charset off; charset_types *; }
  location /c/ { charset $arg_cs; override_charset off; }
}`))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.HTTP.Servers[0]
	if s.Conf.Charset == nil || s.Conf.Charset.Name != "UTF-8" || !s.Conf.OverrideCharset {
		t.Errorf("server: %+v override %v", s.Conf.Charset, s.Conf.OverrideCharset)
	}
	if !s.Conf.CharsetTypes.Has([]byte("Text/CSS")) || !s.Conf.CharsetTypes.Has([]byte("text/html")) || s.Conf.CharsetTypes.Has([]byte("text/plain")) {
		t.Errorf("server types %+v", s.Conf.CharsetTypes)
	}
	a, b, c := s.Locations[0].Conf, s.Locations[1].Conf, s.Locations[2].Conf
	if a.Charset.Name != "UTF-8" || a.SourceCharset.Name != "UTF-8" {
		t.Errorf("a: %+v %+v", a.Charset, a.SourceCharset)
	}
	if b.Charset != nil || !b.CharsetTypes.Has([]byte("image/png")) {
		t.Errorf("b: %+v %+v", b.Charset, b.CharsetTypes)
	}
	if c.Charset.Var == nil || c.OverrideCharset {
		t.Errorf("c: %+v", c.Charset)
	}
	if got := strings.Join(cfg.HTTP.Charsets, ","); got != "UTF-8" {
		t.Errorf("charsets %q", got)
	}
}

// TestCharsetMaps: charset_map tables as nginx builds them, in both
// directions, and the one refusal: a map from utf-8 (nginx would recode
// with an 8-bit table as if it were from UTF-8).
func TestCharsetMaps(t *testing.T) {
	cfg, err := loadText(t, H(`charset_map koi8-r utf-8 { C1 D0B1; 80 E282AC; }
charset_map koi8-r windows-1251 { C1 E1; }
server { listen 8080; charset utf-8; source_charset koi8-r; }`))
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.HTTP
	m := h.CharsetMapBetween("utf-8", "koi8-r")
	if m == nil || !m.UTF8 || string(m.ToUTF8[0xC1]) != "\xd0\xb1" || string(m.ToUTF8[0x80]) != "\xe2\x82\xac" ||
		string(m.ToUTF8[0xC2]) != "?" || string(m.ToUTF8['A']) != "A" || m.FromUTF8[0x431] != 0xC1 || m.FromUTF8[0x20ac] != 0x80 {
		t.Errorf("koi8-r to utf-8: %+v", m)
	}
	w := h.CharsetMapBetween("windows-1251", "koi8-r")
	if w == nil || w.UTF8 || w.ToDst[0xC1] != 0xE1 || w.ToSrc[0xE1] != 0xC1 || w.ToDst[0xC2] != '?' || w.ToSrc['z'] != 'z' {
		t.Errorf("koi8-r to windows-1251: %+v", w)
	}
	_, err = loadText(t, H(`charset_map utf-8 koi8-r { }`))
	want := `"charset_map" from "utf-8" is not supported`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %s", err, want)
	}
	// nginx compares a new map with the first one only.
	if _, err = loadText(t, H(`charset_map a b { } charset_map c d { } charset_map d c { }`)); err != nil {
		t.Errorf("third map: %v", err)
	}
}

func TestDecodeUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		r    rune
		n    int
		name string
	}{
		{"\xd0\xb1", 0x431, 2, "two bytes"},
		{"\xe2\x82\xac", 0x20ac, 3, "three bytes"},
		{"\xf0\x9f\x98\x80", 0x1f600, 4, "four bytes"},
		{"\xe2\x82", -2, 0, "incomplete"},
		{"\x80", -1, 1, "continuation first"},
		{"\xc1\x81", -1, 1, "below 0xc2"},
		{"\xe0\x80\x80", -1, 3, "overlong"},
		{"\xd0\x41", -1, 2, "ASCII continuation"},
	} {
		r, n := DecodeUTF8([]byte(tc.in))
		if r != tc.r || n != tc.n {
			t.Errorf("%s: %#x %d, want %#x %d", tc.name, r, n, tc.r, tc.n)
		}
	}
}

// TestEqualFoldASCII: ASCII letters fold, nothing else does (nginx's
// ngx_strcasecmp; strings.EqualFold would match "ſ" with "s").
func TestEqualFoldASCII(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"utf-8", "UTF-8", true},
		{"Windows-1251", "windows-1251", true},
		{"koi8-r", "koi8-u", false},
		{"ſ", "s", false},
		{"é", "É", false},
		{"", "", true},
		{"a", "ab", false},
		{"@", "`", false},
	} {
		if got := EqualFoldASCII(c.a, []byte(c.b)); got != c.want {
			t.Errorf("EqualFoldASCII(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
