package directives

import (
	"github.com/nginxws/nginxws/parser"
)

// The gzip directives: those of ngx_http_gzip_filter_module (gzip,
// gzip_types, gzip_comp_level, gzip_min_length, gzip_buffers, and the
// tuning gzip_window, gzip_hash, postpone_gzipping and gzip_no_buffer,
// which nginxws checks and ignores) and the gzip part of the core module
// that ngx_http_gzip_ok reads (gzip_vary, gzip_http_version, gzip_proxied,
// gzip_disable). Package proxy's gzip filter applies them.

// GzipProxied is gzip_proxied: for a request that came through a proxy
// (it has a Via header), which responses may be compressed.
type GzipProxied uint16

// The gzip_proxied values, bit i for gzipProxiedNames[i] (nginx's
// ngx_http_gzip_proxied_mask).
const (
	GzipProxiedOff GzipProxied = 1 << iota
	GzipProxiedExpired
	GzipProxiedNoCache
	GzipProxiedNoStore
	GzipProxiedPrivate
	GzipProxiedNoLastModified
	GzipProxiedNoETag
	GzipProxiedAuth
	GzipProxiedAny
)

// gzipProxiedNames are gzip_proxied's values in bit order.
var gzipProxiedNames = []string{"off", "expired", "no-cache", "no-store", "private", "no_last_modified", "no_etag", "auth", "any"}

// MIMETypes is the value of a directive nginx reads with
// ngx_http_types_slot (gzip_types, charset_types): the types a response's Content-Type
// must be one of, compared lower-cased, or any type at all.
type MIMETypes struct {
	// All is set by "*": every response matches, one without a
	// Content-Type too.
	All bool
	// Types are the lower-cased types listed, the default ones included.
	Types map[string]bool
}

// htmlTypes is ngx_http_html_default_types: gzip_types' default, and the
// type every gzip_types list starts with.
var htmlTypes = &MIMETypes{Types: map[string]bool{"text/html": true}}

// Match reports whether a response whose type is t (the media type alone,
// as nginx's content_type_len cuts it) is one of the set;
// hasType is false when the response has no Content-Type. A nil set
// matches nothing.
func (m *MIMETypes) Match(t []byte, hasType bool) bool {
	if m == nil {
		return false
	}
	if m.All {
		return true
	}
	if !hasType {
		return false
	}
	var low [64]byte
	if len(t) > len(low) {
		return m.Types[lowerString(string(t))]
	}
	for i, c := range t {
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		low[i] = c
	}
	return m.Types[string(low[:len(t)])]
}

// readTypes is ngx_http_types_slot (gzip_types, charset_types, and the
// check of the directives nginxws ignores): the level's list starts
// with text/html, a type named again is a [warn], and "*" takes every
// type, after which the directive does nothing more at this level. The
// types go to *dst when it is not nil.
func (l *loader) readTypes(d *parser.Directive, sc *scope, dst **MIMETypes) {
	if sc.loc.isSet(d.Name + " *") {
		return
	}
	sc.loc.mark(d.Name + " text/html")
	var m *MIMETypes
	if dst != nil {
		if *dst == nil {
			*dst = &MIMETypes{Types: map[string]bool{"text/html": true}}
		}
		m = *dst
	}
	for _, a := range d.Args {
		if a.Value == "*" {
			sc.loc.mark(d.Name + " *")
			if m != nil {
				m.All, m.Types = true, nil
			}
			return
		}
		low := lowerString(a.Value)
		if sc.loc.mark(d.Name + " " + low) {
			l.warnf(d, `duplicate MIME type "%s"`, low)
			continue
		}
		if m != nil {
			m.Types[low] = true
		}
	}
}

// setGzipTypes sets gzip_types.
func (l *loader) setGzipTypes(d *parser.Directive, sc *scope) error {
	sc.loc.mark(d.Name)
	l.readTypes(d, sc, &sc.loc.GzipTypes)
	return nil
}

// setGzipHTTPVersion is ngx_conf_set_enum_slot over "1.0" and "1.1".
func (l *loader) setGzipHTTPVersion(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	switch v := d.Args[0].Value; v {
	case "1.0":
		sc.loc.GzipHTTPVersion = 1000
	case "1.1":
		sc.loc.GzipHTTPVersion = 1001
	default:
		return l.errf(d, `invalid value "%s"`, v)
	}
	return nil
}

// setGzipProxied is ngx_conf_set_bitmask_slot: the values of every
// gzip_proxied of the level add up.
func (l *loader) setGzipProxied(d *parser.Directive, sc *scope) error {
	sc.loc.mark(d.Name)
	bits, err := l.bitmask(d, sc, gzipProxiedNames)
	sc.loc.GzipProxied |= GzipProxied(bits)
	return err
}

// setGzipDisable is ngx_http_gzip_disable: "msie6" names the old MSIE
// versions nginx recognises by their User-Agent; any other value is a
// regular expression matched against User-Agent, ignoring case. nginx's
// "degradation" exists only in builds with the degradation module, which
// Debian's has not: there it is a regular expression too.
func (l *loader) setGzipDisable(d *parser.Directive, sc *scope) error {
	sc.loc.mark(d.Name)
	if sc.loc.GzipDisable == nil {
		sc.loc.GzipDisable = []*Regexp{}
	}
	for _, a := range d.Args {
		if a.Value == "msie6" {
			sc.loc.mark(d.Name + " msie6")
			sc.loc.GzipDisableMSIE6 = true
			continue
		}
		re, err := compileRegexp(a.Value, true)
		if err != nil {
			return errAt(d.Pos, "%s", err.Error())
		}
		sc.loc.GzipDisable = append(sc.loc.GzipDisable, re)
	}
	return nil
}

// checkWindowHash is ngx_conf_set_size_slot with the post handler of
// gzip_window or gzip_hash (ngx_http_gzip_window, ngx_http_gzip_hash):
// the size must be a power of two from 512 to largest.
func (l *loader) checkWindowHash(d *parser.Directive, largest int64, sizes string) error {
	n, ok := parseSize(d.Args[0].Value)
	if !ok {
		return l.invalid(d)
	}
	for s := largest; s > 256; s >>= 1 {
		if s == n {
			return nil
		}
	}
	return l.errf(d, `"%s" directive must be %s`, d.Name, sizes)
}

// mergeGzip is the gzip part of the location merge
// (ngx_http_gzip_merge_conf and the core module's).
func (c *LocConf) mergeGzip(p *LocConf) {
	s := c.set
	inherit(s, "gzip", &c.Gzip, p.Gzip)
	inherit(s, "gzip_buffers", &c.GzipBuffers, p.GzipBuffers)
	inherit(s, "gzip_comp_level", &c.GzipCompLevel, p.GzipCompLevel)
	inherit(s, "gzip_min_length", &c.GzipMinLength, p.GzipMinLength)
	if c.GzipTypes == nil {
		c.GzipTypes = p.GzipTypes
	}
	inherit(s, "gzip_vary", &c.GzipVary, p.GzipVary)
	inherit(s, "gzip_http_version", &c.GzipHTTPVersion, p.GzipHTTPVersion)
	inherit(s, "gzip_proxied", &c.GzipProxied, p.GzipProxied)
	// A level's gzip_disable replaces its parent's expressions, but
	// "msie6" is kept apart: a level without it inherits it, whatever
	// expressions it has (clcf->gzip_disable_msie6).
	if !s["gzip_disable"] {
		c.GzipDisable = p.GzipDisable
	}
	inherit(s, "gzip_disable msie6", &c.GzipDisableMSIE6, p.GzipDisableMSIE6)
	inherit(s, "gzip_static", &c.GzipStatic, p.GzipStatic)
}

// The values of gzip_static (ngx_http_gzip_static_module), as
// ngx_conf_set_enum_slot reads them.
const (
	GzipStaticOff    = "off"
	GzipStaticOn     = "on"
	GzipStaticAlways = "always"
)
