package proxy

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/nginxws/nginxws/directives"
)

// errCharsetVariable is the failure of a charset or source_charset
// variable that is not found: nginx's header filter returns NGX_ERROR and
// the request ends without a response.
var errCharsetVariable = errors.New("charset variable not found")

// setContentType makes v the response's Content-Type, all of it the type
// (nginx's content_type with content_type_len its length).
func (o *outHeaders) setContentType(v []byte) {
	o.contentType = v
	o.typeLen = len(v)
}

// setUpstreamContentType is ngx_http_upstream_copy_content_type: the
// upstream's Content-Type, and when it has a "charset=" parameter, that
// charset (quotes dropped) and the type's length before the ";".
func (o *outHeaders) setUpstreamContentType(v []byte) {
	o.setContentType(v)
	for i := 0; i < len(v); i++ {
		if v[i] != ';' {
			continue
		}
		semi := i
		for i+1 < len(v) && v[i+1] == ' ' {
			i++
		}
		if i+1 >= len(v) {
			return
		}
		if len(v)-(i+1) < 8 || !directives.EqualFoldASCII(v[i+1:i+9], "charset=") {
			continue
		}
		cs := v[i+9:]
		o.typeLen = semi
		if len(cs) > 0 && cs[0] == '"' {
			cs = cs[1:]
		}
		if len(cs) > 0 && cs[len(cs)-1] == '"' {
			cs = cs[:len(cs)-1]
		}
		o.charset = cs
		return
	}
}

// charsetFilter is ngx_http_charset_header_filter followed by the part of
// ngx_http_header_filter that writes the charset: it decides the
// response's charset, then, when the Content-Type is the type alone
// (not an upstream's with its own parameter), appends "; charset=NAME"
// to it, so that $sent_http_content_type says what was sent. It runs once
// per response; it fails only when a charset variable is not found.
func (x *exchange) charsetFilter() error {
	o := &x.out
	if o.charsetDone {
		return nil
	}
	o.charsetDone = true
	if err := x.chooseCharset(); err != nil {
		return err
	}
	if len(o.contentType) > 0 && o.typeLen == len(o.contentType) && len(o.charset) > 0 {
		start := len(x.scratch)
		x.scratch = append(append(append(x.scratch, o.contentType...), "; charset="...), o.charset...)
		// The type's length stays (nginx's content_type_len): the
		// filters after this one (gzip_types) match the type alone.
		o.contentType = x.keep(x.scratch[start:])
		x.scratch = x.scratch[:start]
	}
	return nil
}

// chooseCharset is ngx_http_charset_header_filter for the main request:
// the destination charset (an upstream's X-Accel-Charset, else charset
// for a response of charset_types, or with override_charset one that has
// a charset already), the source charset (the response's own, else
// source_charset), and the charset the response is sent with; when the
// two differ, the body is recoded through their charset_map (without
// one, nginx's error is logged and the body goes out as it is).
func (x *exchange) chooseCharset() error {
	o := &x.out
	if len(o.contentType) == 0 {
		return nil
	}
	if x.conf == nil && x.srv == nil {
		return nil
	}
	h := x.rt.cfg.HTTP
	conf := x.confOrServer()
	var dst []byte
	var dstIdx int
	switch {
	case len(o.overrideCharset) > 0:
		dst = o.overrideCharset
		if dstIdx = h.CharsetIndex(dst); dstIdx < 0 {
			x.logEvent(levelError, `unknown charset "`+string(dst)+`" to override`, "", o.action)
			return nil
		}
	case conf.Charset == nil:
		return nil
	default:
		if len(o.charset) > 0 {
			if !conf.OverrideCharset {
				return nil
			}
		} else if !conf.CharsetTypes.Has(o.contentType[:o.typeLen]) {
			return nil
		}
		var ok bool
		if dst, dstIdx, ok = x.charsetValue(conf.Charset); !ok {
			return errCharsetVariable
		}
	}

	var src []byte
	var srcIdx int
	switch {
	case len(o.charset) > 0:
		src = o.charset
		srcIdx = h.CharsetIndex(src)
	case conf.SourceCharset == nil:
		x.setCharset(dst)
		return nil
	default:
		var ok bool
		if src, srcIdx, ok = x.charsetValue(conf.SourceCharset); !ok {
			return errCharsetVariable
		}
	}

	if dstIdx < 0 || srcIdx < 0 {
		if srcIdx != dstIdx || !prefixFold(src, dst) {
			x.noCharsetMap(src, dst)
			return nil
		}
		x.setCharset(dst)
		return nil
	}
	if srcIdx == dstIdx {
		o.contentType = o.contentType[:o.typeLen]
		x.setCharset(dst)
		return nil
	}
	// Different charsets: the body is recoded through their
	// charset_map, unless it is encoded.
	for i := range o.headers {
		if o.headers[i].Is("content-encoding") && len(o.headers[i].Value) > 0 {
			return nil
		}
	}
	rec := newRecoder(h, h.Charsets[srcIdx], h.Charsets[dstIdx])
	if rec == nil {
		x.noCharsetMap(src, dst)
		return nil
	}
	o.contentType = o.contentType[:o.typeLen]
	x.setCharset(dst)
	o.recode = rec
	if rec.utf8() {
		// The length changes (ngx_http_clear_content_length).
		o.contentLength = -1
	}
	return nil
}

// charsetValue is a charset or source_charset value for the request: the
// name, its index among the http block's charsets (-1: none names it),
// and false when its variable is not found.
func (x *exchange) charsetValue(v *directives.CharsetValue) ([]byte, int, bool) {
	if v.Var == nil {
		name := v.Bytes()
		return name, x.rt.cfg.HTTP.CharsetIndex(name), true
	}
	val, found := x.vs.Found(v.Var)
	if !found {
		return nil, -1, false
	}
	return val, x.rt.cfg.HTTP.CharsetIndex(val), true
}

// setCharset is ngx_http_set_charset: the response's charset, none for a
// 301 or 302 (old browsers took a redirect's charset for the next page).
func (x *exchange) setCharset(name []byte) {
	status := x.status
	if x.errStatus != 0 {
		status = x.errStatus
	}
	if status == 301 || status == 302 {
		x.out.charset = nil
		return
	}
	x.out.charset = name
}

// noCharsetMap logs nginx's error for two charsets without a map between
// them; the response goes out unchanged.
func (x *exchange) noCharsetMap(src, dst []byte) {
	x.logEvent(levelError, `no "charset_map" between the charsets "`+string(src)+`" and "`+string(dst)+`"`, "", x.out.action)
}

// prefixFold is the comparison nginx makes of two charset names no
// directive gives, ngx_strncasecmp(dst, src, len(dst)): src starts with
// dst, ignoring case (a shorter src differs at its end, where nginx's
// string has its terminating NUL).
func prefixFold(src, dst []byte) bool {
	if len(src) < len(dst) {
		return false
	}
	return bytes.EqualFold(src[:len(dst)], dst)
}

// recoder is the charset filter's body recoding (ngx_http_charset_ctx_t
// and its body filter): byte for byte between two 8-bit charsets, each
// byte to its UTF-8 sequence, or UTF-8 characters to bytes ("&#N;" for a
// character the map lacks, "?" for an invalid sequence). A sequence cut
// at the end of one write is completed by the next; one left at the end
// of the body is dropped, as nginx drops it.
type recoder struct {
	bytes    *[256]byte
	toUTF8   *[256][]byte
	fromUTF8 map[rune]byte
	saved    []byte
	out      []byte
}

// newRecoder returns the recoding from src to dst (the http block's
// names) through their charset_map, nil when there is none.
func newRecoder(h *directives.HTTP, src, dst string) *recoder {
	m := h.CharsetMapBetween(src, dst)
	switch {
	case m == nil:
		return nil
	case m.UTF8 && m.Src == src:
		return &recoder{toUTF8: &m.ToUTF8}
	case m.UTF8:
		return &recoder{fromUTF8: m.FromUTF8}
	case m.Src == src:
		return &recoder{bytes: &m.ToDst}
	}
	return &recoder{bytes: &m.ToSrc}
}

// utf8 reports whether the recoding changes the body's length.
func (r *recoder) utf8() bool { return r.bytes == nil }

// apply recodes p; the result is valid until the next call.
func (r *recoder) apply(p []byte) []byte {
	out := r.out[:0]
	switch {
	case r.bytes != nil:
		for _, c := range p {
			out = append(out, r.bytes[c])
		}
	case r.toUTF8 != nil:
		for _, c := range p {
			out = append(out, r.toUTF8[c]...)
		}
	default:
		out = r.fromUTF8Bytes(out, p)
	}
	r.out = out
	return out
}

// fromUTF8Bytes is ngx_http_charset_recode_from_utf8's loop.
func (r *recoder) fromUTF8Bytes(out, p []byte) []byte {
	if len(r.saved) > 0 {
		p = append(append([]byte(nil), r.saved...), p...)
		r.saved = r.saved[:0]
	}
	for i := 0; i < len(p); {
		if p[i] < 0x80 {
			out = append(out, p[i])
			i++
			continue
		}
		n, size := directives.DecodeUTF8(p[i:])
		switch {
		case n == -2:
			r.saved = append(r.saved, p[i:]...)
			return out
		case n < 0 || n > 0x10ffff:
			out = append(out, '?')
		case n < 0x10000 && r.fromUTF8[n] != 0:
			out = append(out, r.fromUTF8[n])
		default:
			out = append(out, "&#"...)
			out = strconv.AppendInt(out, int64(n), 10)
			out = append(out, ';')
		}
		i += size
	}
	return out
}
