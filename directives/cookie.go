package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// CookieRewrite is one proxy_cookie_domain or proxy_cookie_path rule
// (nginx's ngx_http_proxy_rewrite_t applied to a Set-Cookie attribute).
type CookieRewrite struct {
	// Regex is set for a "~" rule (always caseless for a domain; "~*"
	// caseless for a path): it must match the whole attribute value,
	// which the replacement then takes the place of.
	Regex *Regexp
	// Pattern is the text to find otherwise: for a domain the whole value
	// (its leading "." skipped, compared ignoring case), for a path a
	// prefix (compared exactly). A domain pattern's leading "." is
	// dropped when the rule is read.
	Pattern *Complex
	// Domain marks a proxy_cookie_domain literal rule.
	Domain bool
	// To is the replacement (a domain rule's leading "." dropped).
	To  *Complex
	Pos parser.Pos
}

// CookieFlags is one proxy_cookie_flags rule: the cookie it applies to, by
// name (compared ignoring case) or by a caseless regex, and its flags,
// evaluated per response (nginx 1.22 checks their names only then, and
// skips those it does not know).
type CookieFlags struct {
	Name  *Complex
	Regex *Regexp
	Flags []*Complex
	Pos   parser.Pos
}

// CookieRules is one kind of proxy_cookie_* rules at a level (nginx's
// cookie_domains, cookie_paths, cookie_flags arrays): unset (nil, Off
// false) the parent's apply; "off" has none and hides the parent's; a
// level with rules of its own takes only those.
type CookieRules[T any] struct {
	Rules []*T
	Off   bool
}

// set reports whether the level wrote rules of this kind, or "off".
func (r *CookieRules[T]) set() bool { return r.Off || len(r.Rules) > 0 }

// inherit takes the parent's rules when the level has none of its own
// (ngx_conf_merge_ptr_value).
func (r *CookieRules[T]) inherit(p CookieRules[T]) {
	if !r.set() {
		*r = p
	}
}

// cookieRulesStart is the start of nginx's cookie setters: after "off", or "off"
// after a rule, the directive is duplicate; "off" is the only one-argument
// form. It reports whether the directive was "off" (and recorded).
func cookieRulesStart[T any](l *loader, d *parser.Directive, r *CookieRules[T]) (bool, error) {
	if r.Off {
		return false, l.dup(d)
	}
	if len(d.Args) != 1 {
		return false, nil
	}
	if d.Args[0].Value != "off" {
		return false, l.errf(d, `invalid parameter "%s"`, d.Args[0].Value)
	}
	if len(r.Rules) > 0 {
		return false, l.dup(d)
	}
	r.Off = true
	return true, nil
}

// setProxyCookieDomain reproduces ngx_http_proxy_cookie_domain. Unlike the
// path's, a domain regex is always caseless and "~*" is not special (it
// is a regex starting with "*", which PCRE refuses).
func (l *loader) setProxyCookieDomain(d *parser.Directive, sc *scope) error {
	rules := &sc.loc.ProxyCookieDomains
	if off, err := cookieRulesStart(l, d, rules); off || err != nil {
		return err
	}
	r := &CookieRewrite{Pos: d.Pos}
	from, to := d.Args[0].Value, d.Args[1].Value
	var err error
	if strings.HasPrefix(from, "~") {
		if r.Regex, err = l.compileRegex(d, from[1:], true); err != nil {
			return err
		}
	} else {
		if r.Pattern, err = l.compileComplex(d, strings.TrimPrefix(from, ".")); err != nil {
			return err
		}
		r.Domain = true
		to = strings.TrimPrefix(to, ".")
	}
	if r.To, err = l.compileComplex(d, to); err != nil {
		return err
	}
	rules.Rules = append(rules.Rules, r)
	return nil
}

// setProxyCookiePath reproduces ngx_http_proxy_cookie_path.
func (l *loader) setProxyCookiePath(d *parser.Directive, sc *scope) error {
	rules := &sc.loc.ProxyCookiePaths
	if off, err := cookieRulesStart(l, d, rules); off || err != nil {
		return err
	}
	r := &CookieRewrite{Pos: d.Pos}
	from := d.Args[0].Value
	var err error
	if strings.HasPrefix(from, "~") {
		pat, caseless := from[1:], false
		if strings.HasPrefix(pat, "*") {
			pat, caseless = pat[1:], true
		}
		if r.Regex, err = l.compileRegex(d, pat, caseless); err != nil {
			return err
		}
	} else if r.Pattern, err = l.compileComplex(d, from); err != nil {
		return err
	}
	if r.To, err = l.compileComplex(d, d.Args[1].Value); err != nil {
		return err
	}
	rules.Rules = append(rules.Rules, r)
	return nil
}

// setProxyCookieFlags reproduces ngx_http_proxy_cookie_flags: a cookie
// name (variables allowed) or "~regex" (caseless; "~*" is not special),
// then up to three flags, kept as values.
func (l *loader) setProxyCookieFlags(d *parser.Directive, sc *scope) error {
	rules := &sc.loc.ProxyCookieFlags
	if off, err := cookieRulesStart(l, d, rules); off || err != nil {
		return err
	}
	f := &CookieFlags{Pos: d.Pos}
	name := d.Args[0].Value
	var err error
	if strings.HasPrefix(name, "~") {
		if f.Regex, err = l.compileRegex(d, name[1:], true); err != nil {
			return err
		}
	} else if f.Name, err = l.compileComplex(d, name); err != nil {
		return err
	}
	for _, a := range d.Args[1:] {
		v, err := l.compileComplex(d, a.Value)
		if err != nil {
			return err
		}
		f.Flags = append(f.Flags, v)
	}
	rules.Rules = append(rules.Rules, f)
	return nil
}
