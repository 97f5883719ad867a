package proxy

import (
	"bytes"

	"github.com/nginxws/nginxws/directives"
)

// redirectRule is one proxy_redirect rule in effect at a level: a prefix
// (literal or with variables) or a regex, and its replacement.
type redirectRule struct {
	from  *directives.Complex
	regex *directives.Regexp
	to    *directives.Complex
}

// compileRedirects returns the rules in effect at a level, following
// ngx_http_proxy_merge_loc_conf: "proxy_redirect off" has none; rules
// written at the level apply ("default" meaning the level's proxy_pass URL
// becomes the location's name); a level without its own inherits its
// parent's rules, including the default rule the parent got implicitly;
// and a level with a proxy_pass but no rules anywhere gets the default
// rule.
func compileRedirects(c, parent *directives.LocConf, parentRules []redirectRule, locName string) []redirectRule {
	if c.ProxyRedirectOff {
		return nil
	}
	own := len(c.ProxyRedirects) > 0 && (parent == nil || !sameRedirects(c.ProxyRedirects, parent.ProxyRedirects))
	if own {
		var out []redirectRule
		for _, r := range c.ProxyRedirects {
			if r.Default {
				if d, ok := defaultRedirect(c.ProxyPass, locName); ok {
					out = append(out, d)
				}
				continue
			}
			out = append(out, redirectRule{from: r.From, regex: r.Regex, to: r.To})
		}
		return out
	}
	if parentRules != nil {
		return parentRules
	}
	if d, ok := defaultRedirect(c.ProxyPass, locName); ok {
		return []redirectRule{d}
	}
	return nil
}

// sameRedirects reports whether a level's list is its parent's, inherited.
func sameRedirects(a, b []*directives.Redirect) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}

// defaultRedirect is "proxy_redirect default" for a proxy_pass: with a URI
// part the URL as written becomes the location's name; without one, the
// URL plus "/" becomes "/".
func defaultRedirect(pp *directives.ProxyPass, locName string) (redirectRule, bool) {
	if pp == nil || pp.Value != nil {
		return redirectRule{}, false
	}
	lit := func(s string) *directives.Complex {
		return &directives.Complex{Raw: s, Segments: []directives.Segment{{Literal: s}}}
	}
	if pp.HasURI {
		return redirectRule{from: lit(pp.URL), to: lit(locName)}, true
	}
	return redirectRule{from: lit(pp.URL + "/"), to: lit("/")}, true
}

// rewriteRedirect applies the first matching rule to a Location or
// Refresh value from prefix on (ngx_http_proxy_rewrite_redirect): a
// prefix rule replaces the matched prefix, a regex rule the whole rest.
func (x *exchange) rewriteRedirect(p *proxyPlan, value []byte, prefix int) ([]byte, bool) {
	rest := value[prefix:]
	for i := range p.redirects {
		r := &p.redirects[i]
		var n int
		if r.regex != nil {
			if ok, _ := x.match(r.regex, rest); !ok {
				continue
			}
			n = len(rest)
		} else {
			pat := x.value(r.from)
			if len(pat) > len(rest) || !bytes.Equal(rest[:len(pat)], pat) {
				continue
			}
			n = len(pat)
		}
		start := len(x.scratch)
		x.scratch = append(x.scratch, value[:prefix]...)
		x.scratch = x.evalValue(x.scratch, r.to)
		x.scratch = append(x.scratch, rest[n:]...)
		v := x.keep(x.scratch[start:])
		x.scratch = x.scratch[:start]
		return v, true
	}
	return nil, false
}
