package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// CharsetValue is the value of charset or source_charset
// (ngx_http_charset_filter_module): a charset's name, or a variable whose
// value names one per request.
type CharsetValue struct {
	// Name is the charset as first written anywhere in the http block
	// (nginx keeps one entry per name, compared ignoring case, and says
	// the first spelling); empty for a variable.
	Name string
	// Var is the variable ("charset $name"), nil for a name.
	Var *Complex

	nameBytes []byte
}

// Bytes returns Name as bytes (made once, at load: the response's
// charset is set from it per response).
func (v *CharsetValue) Bytes() []byte { return v.nameBytes }

// Has reports whether the list holds the type (compared lower-cased, as
// ngx_http_test_content_type does); an empty type is held only by "*".
func (m *MIMETypes) Has(typ []byte) bool { return m.Match(typ, len(typ) > 0) }

// defaultCharsetTypes is ngx_http_charset_default_types.
func defaultCharsetTypes() *MIMETypes {
	return &MIMETypes{Types: map[string]bool{
		"text/html": true, "text/xml": true, "text/plain": true, "text/vnd.wap.wml": true,
		"application/javascript": true, "application/rss+xml": true,
	}}
}

// CharsetMap is one charset_map block: how bytes of the charset Src are
// written in Dst. A map to "utf-8" gives each byte its UTF-8 sequence
// (ToUTF8, 0x80 and above '?' unless mapped) and each mapped character
// back (FromUTF8); between two 8-bit charsets, ToDst and ToSrc map byte
// to byte (unmapped bytes from 0x80 become '?').
type CharsetMap struct {
	Src, Dst string
	UTF8     bool
	ToDst    [256]byte
	ToSrc    [256]byte
	ToUTF8   [256][]byte
	FromUTF8 map[rune]byte
}

// charsetNames is the http block's list of charsets (nginx's
// ngx_http_charset_main_conf_t): every name charset, source_charset and
// charset_map give, once, in the order first given; and the pairs
// charset_map declares.
type charsetNames struct {
	names []string
	maps  []*CharsetMap
}

// add is ngx_http_add_charset: the entry of name, made on first use.
func (cn *charsetNames) add(name string) string {
	for _, n := range cn.names {
		if EqualFoldASCII(n, name) {
			return n
		}
	}
	cn.names = append(cn.names, name)
	return name
}

// CharsetIndex is ngx_http_get_charset: the charset named so (ignoring
// case) in the http block, -1 for a name no directive gives.
func (h *HTTP) CharsetIndex(name []byte) int {
	for i, n := range h.Charsets {
		if EqualFoldASCII(n, name) {
			return i
		}
	}
	return -1
}

// EqualFoldASCII is ngx_strncasecmp on equal lengths: ASCII letters
// compared ignoring case, every other byte exactly (strings.EqualFold
// would also fold non-ASCII letters, as nginx does not).
func EqualFoldASCII[A, B ~string | ~[]byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x |= 0x20
		}
		if y >= 'A' && y <= 'Z' {
			y |= 0x20
		}
		if x != y {
			return false
		}
	}
	return true
}

// CharsetMapBetween returns the charset_map between two charsets, in
// either direction (nil when none).
func (h *HTTP) CharsetMapBetween(a, b string) *CharsetMap {
	for _, m := range h.CharsetMaps {
		if m.Src == a && m.Dst == b || m.Src == b && m.Dst == a {
			return m
		}
	}
	return nil
}

// setCharset reads charset and source_charset
// (ngx_http_set_charset_slot): "off" (charset only, as written), a
// variable, or a name added to the http block's charsets.
func (l *loader) setCharset(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v := d.Args[0].Value
	var cv *CharsetValue
	switch {
	case d.Name == "charset" && v == "off":
	case strings.HasPrefix(v, "$"):
		name := v[1:]
		if name == "" {
			return l.errf(d, `invalid variable name "$"`)
		}
		// The whole rest is the name (ngx_http_get_variable_index):
		// "${a}" is a variable called "{a}", unknown at the block's end.
		low := lowerString(name)
		l.useVar(low)
		cv = &CharsetValue{Var: &Complex{Raw: v, Segments: []Segment{{Var: low}}}}
	default:
		name := l.http.charsets.add(v)
		cv = &CharsetValue{Name: name, nameBytes: []byte(name)}
	}
	if d.Name == "charset" {
		sc.loc.Charset = cv
	} else {
		sc.loc.SourceCharset = cv
	}
	return nil
}

// setCharsetTypes reads charset_types (ngx_http_types_slot with text/html
// as the list's first entry, readTypes).
func (l *loader) setCharsetTypes(d *parser.Directive, sc *scope) error {
	l.readTypes(d, sc, &sc.loc.CharsetTypes)
	return nil
}

// setCharsetMap reads a charset_map block (ngx_http_charset_map_block and
// ngx_http_charset_map): "XX YY;" lines of hexadecimal bytes, or with
// "utf-8" as the second charset, "XX HHHHHH;" giving the UTF-8 bytes.
func (l *loader) setCharsetMap(d *parser.Directive, sc *scope) error {
	cn := &l.http.charsets
	src := cn.add(d.Args[0].Value)
	dst := cn.add(d.Args[1].Value)
	if src == dst {
		return l.errf(d, `"charset_map" between the same charsets "%s" and "%s"`, d.Args[0].Value, d.Args[1].Value)
	}
	// nginx compares with the first map only (its loop never moves on).
	if len(cn.maps) > 0 {
		if m := cn.maps[0]; m.Src == src && m.Dst == dst || m.Src == dst && m.Dst == src {
			return l.errf(d, `duplicate "charset_map" between "%s" and "%s"`, d.Args[0].Value, d.Args[1].Value)
		}
	}
	m := &CharsetMap{Src: src, Dst: dst, UTF8: strings.EqualFold(d.Args[1].Value, "utf-8")}
	cn.maps = append(cn.maps, m)
	for i := range 256 {
		switch {
		case i < 128 && m.UTF8:
			m.ToUTF8[i] = []byte{byte(i)}
		case m.UTF8:
			m.ToUTF8[i] = []byte{'?'}
		case i < 128:
			m.ToDst[i], m.ToSrc[i] = byte(i), byte(i)
		default:
			m.ToDst[i], m.ToSrc[i] = '?', '?'
		}
	}
	if m.UTF8 {
		m.FromUTF8 = map[rune]byte{}
		for i := range 128 {
			m.FromUTF8[rune(i)] = byte(i)
		}
	}
	for _, e := range d.Block {
		if err := l.charsetMapLine(e, m); err != nil {
			return err
		}
	}
	// nginx reads such a map's table as an 8-bit one, then recodes
	// with it as if it were from UTF-8: what comes out is not a
	// recoding (ngx_http_charset_ctx takes from_utf8 from the name).
	if strings.EqualFold(src, "utf-8") {
		l.refuseLater(l.errf(d, `"charset_map" from "utf-8" is not supported (write the map to "utf-8")`))
	}
	return nil
}

// charsetMapLine reads one line of a charset_map block.
func (l *loader) charsetMapLine(e *parser.Directive, m *CharsetMap) error {
	if e.IsBlock() {
		// ngx_conf_parse refuses a block inside a block read by a
		// handler before the handler sees its arguments.
		return l.errf(e, `unexpected "{"`)
	}
	if len(e.Args) != 1 {
		return l.errf(e, "invalid parameters number")
	}
	from, ok := hexByte(e.Name)
	if !ok {
		return l.errf(e, `invalid value "%s"`, e.Name)
	}
	v := e.Args[0].Value
	if !m.UTF8 {
		to, ok := hexByte(v)
		if !ok {
			return l.errf(e, `invalid value "%s"`, v)
		}
		m.ToDst[from], m.ToSrc[to] = to, from
		return nil
	}
	seq := make([]byte, 0, len(v)/2)
	for i := 0; i < len(v); i += 2 {
		b, ok := hexByte(v[i:min(i+2, len(v))])
		if !ok || i+2 > len(v) {
			return l.errf(e, `invalid value "%s"`, v)
		}
		seq = append(seq, b)
	}
	r, ok := decodeUTF8Char(seq)
	if !ok || r > 0xffff {
		return l.errf(e, `invalid value "%s"`, v)
	}
	m.ToUTF8[from] = seq
	m.FromUTF8[r] = from
	return nil
}

// hexByte is ngx_hextoi limited to a byte: hexadecimal digits only, at
// most 255.
func hexByte(s string) (byte, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		switch {
		case s[i] >= '0' && s[i] <= '9':
			n = n*16 + int(s[i]-'0')
		case c >= 'a' && c <= 'f':
			n = n*16 + int(c-'a'+10)
		default:
			return 0, false
		}
		if n > 255 {
			return 0, false
		}
	}
	return byte(n), true
}

// decodeUTF8Char is ngx_utf8_decode for a complete sequence of two bytes
// or more: its character, or false for a byte below 0xc2 first, a
// continuation byte below 0x80, or an overlong form.
func decodeUTF8Char(p []byte) (rune, bool) {
	r, n := DecodeUTF8(p)
	return r, n > 0 && r <= 0x10ffff && r >= 0x80
}

// DecodeUTF8 is ngx_utf8_decode: the character the sequence at the start
// of p encodes and its length. A first byte below 0xc2, or a continuation
// byte below 0x80, gives (-1, 1) or (-1, length read); a sequence that p
// ends before gives (-2, 0); an overlong form gives (-1, length).
// Characters above 0x10ffff (four-byte forms up to 0x1fffff) are returned
// as they decode, as nginx does.
func DecodeUTF8(p []byte) (rune, int) {
	u := rune(p[0])
	var valid rune
	var n int
	switch {
	case u >= 0xf0:
		u, valid, n = u&0x07, 0xffff, 3
	case u >= 0xe0:
		u, valid, n = u&0x0f, 0x7ff, 2
	case u >= 0xc2:
		u, valid, n = u&0x1f, 0x7f, 1
	default:
		return -1, 1
	}
	if len(p)-1 < n {
		return -2, 0
	}
	for i := 1; i <= n; i++ {
		c := p[i]
		if c < 0x80 {
			return -1, i + 1
		}
		u = u<<6 | rune(c&0x3f)
	}
	if u > valid {
		return u, n + 1
	}
	return -1, n + 1
}

// checkCharsetRecodes is ngx_http_charset_postconfiguration's check:
// every level whose charset and source_charset name two different
// charsets needs a charset_map between them.
func (l *loader) checkCharsetRecodes() error {
	h := l.http.h
	var walk func(c *LocConf) error
	check := func(c *LocConf) error {
		src, dst := c.SourceCharset, c.Charset
		if c.from == "http" || src == nil || dst == nil || src.Var != nil || dst.Var != nil || src.Name == dst.Name {
			return nil
		}
		if h.CharsetMapBetween(src.Name, dst.Name) == nil {
			return errAt(parser.Pos{}, `no "charset_map" between the charsets "%s" and "%s"`, src.Name, dst.Name)
		}
		return nil
	}
	walk = func(c *LocConf) error {
		if err := check(c); err != nil {
			return err
		}
		for _, ic := range c.ifs {
			if err := check(ic); err != nil {
				return err
			}
		}
		if c.LimitExcept != nil {
			return check(c.LimitExcept)
		}
		return nil
	}
	var walkLocs func(locs []*Location) error
	walkLocs = func(locs []*Location) error {
		for _, loc := range locs {
			if err := walk(loc.Conf); err != nil {
				return err
			}
			if err := walkLocs(loc.Locations); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range h.Servers {
		if err := walk(s.Conf); err != nil {
			return err
		}
		if err := walkLocs(s.Locations); err != nil {
			return err
		}
	}
	return nil
}
