package proxy

import (
	"github.com/nginxws/nginxws/directives"
)

// cookieAttr is one "key=value" part of a Set-Cookie value, the first
// being the cookie's name and value (nginx's ngx_keyval_t in
// ngx_http_proxy_parse_cookie). hasValue tells "Secure" (no "=") from
// "Domain=" (an empty value), which nginx tells apart by a NULL pointer.
type cookieAttr struct {
	key, value []byte
	hasValue   bool
	removed    bool
}

// parseCookie splits a Set-Cookie value at every ";" into attributes,
// keys and values trimmed of spaces (not tabs), as
// ngx_http_proxy_parse_cookie: "a=b;" ends with an empty attribute.
func parseCookie(v []byte, attrs []cookieAttr) []cookieAttr {
	start := 0
	for {
		last := start
		for last < len(v) && v[last] != ';' {
			last++
		}
		for start < last && v[start] == ' ' {
			start++
		}
		p := start
		for p < last && v[p] != '=' {
			p++
		}
		a := cookieAttr{key: trimRightSpaces(v[start:p])}
		if p < last {
			p++
			for p < last && v[p] == ' ' {
				p++
			}
			a.value, a.hasValue = trimRightSpaces(v[p:last]), true
		}
		attrs = append(attrs, a)
		if last == len(v) {
			return attrs
		}
		start = last + 1
	}
}

func trimRightSpaces(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// hasCookieRules reports whether Set-Cookie headers are rewritten at the
// level (nginx sets u->rewrite_cookie then).
func hasCookieRules(c *directives.LocConf) bool {
	return len(c.ProxyCookieDomains.Rules) > 0 || len(c.ProxyCookiePaths.Rules) > 0 || len(c.ProxyCookieFlags.Rules) > 0
}

// rewriteCookie is ngx_http_proxy_rewrite_cookie: every Domain and Path
// attribute with a value gets the first matching rule of its kind, then
// the cookie's flags are edited by the first proxy_cookie_flags rule
// naming it. When anything matched, the value is rebuilt from its
// attributes, joined by "; " (so spacing is normalised); otherwise it is
// kept as it came. A cookie without "=" in its first part is left alone.
func (x *exchange) rewriteCookie(value []byte) ([]byte, bool) {
	c := x.conf
	var buf [8]cookieAttr
	attrs := parseCookie(value, buf[:0])
	if !attrs[0].hasValue {
		return nil, false
	}
	changed := false
	for i := 1; i < len(attrs); i++ {
		a := &attrs[i]
		if !a.hasValue {
			continue
		}
		var rules []*directives.CookieRewrite
		switch {
		case directives.EqualFoldASCII(a.key, "domain"):
			rules = c.ProxyCookieDomains.Rules
		case directives.EqualFoldASCII(a.key, "path"):
			rules = c.ProxyCookiePaths.Rules
		}
		if v, ok := x.rewriteCookieValue(a.value, rules); ok {
			a.value = v
			changed = true
		}
	}
	if len(c.ProxyCookieFlags.Rules) > 0 {
		var ok bool
		if attrs, ok = x.rewriteCookieFlags(attrs, c.ProxyCookieFlags.Rules); ok {
			changed = true
		}
	}
	if !changed {
		return nil, false
	}
	start := len(x.scratch)
	for i, a := range attrs {
		if a.removed {
			continue
		}
		if i > 0 {
			x.scratch = append(x.scratch, "; "...)
		}
		x.scratch = append(x.scratch, a.key...)
		if a.hasValue {
			x.scratch = append(x.scratch, '=')
			x.scratch = append(x.scratch, a.value...)
		}
	}
	v := x.keep(x.scratch[start:])
	x.scratch = x.scratch[:start]
	return v, true
}

// rewriteCookieValue applies the first matching rule to a Domain or Path
// value (ngx_http_proxy_rewrite_cookie_value with the rules' handlers).
func (x *exchange) rewriteCookieValue(value []byte, rules []*directives.CookieRewrite) ([]byte, bool) {
	for _, r := range rules {
		prefix, n := 0, 0
		switch {
		case r.Regex != nil:
			// ngx_http_proxy_rewrite_regex_handler: the whole value.
			if ok, _ := x.match(r.Regex, value); !ok {
				continue
			}
			n = len(value)
		case r.Domain:
			// ngx_http_proxy_rewrite_domain_handler: the value without
			// its leading ".", which stays.
			if len(value) > 0 && value[0] == '.' {
				prefix = 1
			}
			if !directives.EqualFoldASCII(x.value(r.Pattern), value[prefix:]) {
				continue
			}
			n = len(value) - prefix
		default:
			// ngx_http_proxy_rewrite_complex_handler: a prefix.
			pat := x.value(r.Pattern)
			if len(pat) > len(value) || string(value[:len(pat)]) != string(pat) {
				continue
			}
			n = len(pat)
		}
		start := len(x.scratch)
		x.scratch = append(x.scratch, value[:prefix]...)
		x.scratch = x.evalValue(x.scratch, r.To)
		x.scratch = append(x.scratch, value[prefix+n:]...)
		v := x.keep(x.scratch[start:])
		x.scratch = x.scratch[:start]
		return v, true
	}
	return nil, false
}

// The proxy_cookie_flags bits (NGX_HTTP_PROXY_COOKIE_*): a flag sets its
// group's bit and its own; editing clears the own bit of a flag the cookie
// already has, so that what is left is appended.
const (
	cookieSecure         = 0x0001
	cookieSecureOn       = 0x0002
	cookieSecureOff      = 0x0004
	cookieHTTPOnly       = 0x0008
	cookieHTTPOnlyOn     = 0x0010
	cookieHTTPOnlyOff    = 0x0020
	cookieSameSite       = 0x0040
	cookieSameSiteStrict = 0x0080
	cookieSameSiteLax    = 0x0100
	cookieSameSiteNone   = 0x0200
	cookieSameSiteOff    = 0x0400
)

// cookieFlagNames is ngx_http_proxy_cookie_flags_masks, in its order.
var cookieFlagNames = []struct {
	name string
	bits uint16
}{
	{"secure", cookieSecure | cookieSecureOn},
	{"nosecure", cookieSecure | cookieSecureOff},
	{"httponly", cookieHTTPOnly | cookieHTTPOnlyOn},
	{"nohttponly", cookieHTTPOnly | cookieHTTPOnlyOff},
	{"samesite=strict", cookieSameSite | cookieSameSiteStrict},
	{"samesite=lax", cookieSameSite | cookieSameSiteLax},
	{"samesite=none", cookieSameSite | cookieSameSiteNone},
	{"nosamesite", cookieSameSite | cookieSameSiteOff},
}

// rewriteCookieFlags is ngx_http_proxy_rewrite_cookie_flags: the first
// rule naming the cookie (by name ignoring case, or by regex) decides; its
// flags are evaluated, names nginx does not know skipped (nginx only
// logs them at debug level); no known flag means no change.
func (x *exchange) rewriteCookieFlags(attrs []cookieAttr, rules []*directives.CookieFlags) ([]cookieAttr, bool) {
	name := attrs[0].key
	var rule *directives.CookieFlags
	for _, r := range rules {
		if r.Regex != nil {
			if ok, _ := x.match(r.Regex, name); ok {
				rule = r
				break
			}
			continue
		}
		if directives.EqualFoldASCII(x.value(r.Name), name) {
			rule = r
			break
		}
	}
	if rule == nil {
		return attrs, false
	}
	var f uint16
	for _, fv := range rule.Flags {
		v := x.value(fv)
		if len(v) == 0 {
			continue
		}
		for _, m := range cookieFlagNames {
			if directives.EqualFoldASCII(v, m.name) {
				f |= m.bits
				break
			}
		}
	}
	if f == 0 {
		return attrs, false
	}
	return editCookieFlags(attrs, f), true
}

// editCookieFlags is ngx_http_proxy_edit_cookie_flags: the cookie's own
// Secure, HttpOnly and SameSite attributes are kept, removed, or (SameSite
// of another value) replaced where they stand, spelled "SameSite=Strict";
// flags it lacks are appended as "Secure", "HttpOnly", "SameSite=…", in
// that order. The else-if chains are nginx's: with two samesite= flags,
// the first edits an existing attribute and the other is appended.
func editCookieFlags(attrs []cookieAttr, f uint16) []cookieAttr {
	for i := 1; i < len(attrs); i++ {
		a := &attrs[i]
		switch {
		case directives.EqualFoldASCII(a.key, "secure"):
			if f&cookieSecureOn != 0 {
				f &^= cookieSecureOn
			} else if f&cookieSecureOff != 0 {
				a.removed = true
			}
		case directives.EqualFoldASCII(a.key, "httponly"):
			if f&cookieHTTPOnlyOn != 0 {
				f &^= cookieHTTPOnlyOn
			} else if f&cookieHTTPOnlyOff != 0 {
				a.removed = true
			}
		case directives.EqualFoldASCII(a.key, "samesite"):
			want := ""
			switch {
			case f&cookieSameSiteStrict != 0:
				f &^= cookieSameSiteStrict
				want = "Strict"
			case f&cookieSameSiteLax != 0:
				f &^= cookieSameSiteLax
				want = "Lax"
			case f&cookieSameSiteNone != 0:
				f &^= cookieSameSiteNone
				want = "None"
			case f&cookieSameSiteOff != 0:
				a.removed = true
			}
			// A value written otherwise, or no value, becomes nginx's
			// spelling, and so does the key.
			if want != "" && (!a.hasValue || !directives.EqualFoldASCII(a.value, want)) {
				a.key, a.value, a.hasValue = []byte("SameSite"), []byte(want), true
			}
		}
	}
	if f&cookieSecureOn != 0 {
		attrs = append(attrs, cookieAttr{key: []byte("Secure")})
	}
	if f&cookieHTTPOnlyOn != 0 {
		attrs = append(attrs, cookieAttr{key: []byte("HttpOnly")})
	}
	if f&(cookieSameSiteStrict|cookieSameSiteLax|cookieSameSiteNone) != 0 {
		v := "None"
		switch {
		case f&cookieSameSiteStrict != 0:
			v = "Strict"
		case f&cookieSameSiteLax != 0:
			v = "Lax"
		}
		attrs = append(attrs, cookieAttr{key: []byte("SameSite"), value: []byte(v), hasValue: true})
	}
	return attrs
}
