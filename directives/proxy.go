package directives

import (
	"errors"
	"net/netip"
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// ProxyPass is a location's proxy_pass.
type ProxyPass struct {
	// URL is the argument as written.
	URL string
	// Value is set when the URL has variables: nginx then evaluates it per
	// request and resolves the host at run time; the fields below are
	// empty.
	Value *Complex
	// Scheme is "http" or "https".
	Scheme string
	// Upstream is the target group: an upstream block of that name, or the
	// implicit group of the host and port.
	Upstream *Upstream
	// Host is the value of $proxy_host: host, or host:port when a port is
	// written, "localhost" for a unix socket.
	Host string
	// Port is the value of $proxy_port.
	Port int
	// URI is the URI part ("/", "/api/", …); HasURI tells "http://b/" (URI
	// "/") from "http://b" (none), which nginx treats differently.
	URI    string
	HasURI bool
	Pos    parser.Pos
}

// Header is a proxy_set_header entry.
type Header struct {
	Name  string
	Value *Complex
	Pos   parser.Pos
	// compileErr is the value's compile error: ngx_conf_set_keyval_slot
	// only stores the text, and the proxy module's merge compiles it
	// (ngx_http_proxy_init_headers), so nginx reports it where the http
	// block ends, after any error further on in the file.
	compileErr string
	uses       []string // the variables it is first to use (compileAtMerge)
}

// Redirect is a proxy_redirect rule.
type Redirect struct {
	// Default is "proxy_redirect default": the proxy_pass URL is replaced
	// by the location's name.
	Default bool
	// From is the text to replace (nil with Regex).
	From *Complex
	// Regex is set for "~" / "~*" rules.
	Regex *Regexp
	To    *Complex
	Pos   parser.Pos
}

// NextUpstream is proxy_next_upstream's set of conditions.
type NextUpstream uint16

// The proxy_next_upstream conditions (NGX_HTTP_UPSTREAM_FT_*).
const (
	NextError NextUpstream = 1 << iota
	NextTimeout
	NextInvalidHeader
	NextHTTP500
	NextHTTP502
	NextHTTP503
	NextHTTP504
	NextHTTP403
	NextHTTP404
	NextHTTP429
	NextUpdating
	NextNonIdempotent
	NextOff
)

var nextUpstreamNames = []struct {
	name string
	bit  NextUpstream
}{
	{"error", NextError}, {"timeout", NextTimeout}, {"invalid_header", NextInvalidHeader},
	{"http_500", NextHTTP500}, {"http_502", NextHTTP502}, {"http_503", NextHTTP503},
	{"http_504", NextHTTP504}, {"http_403", NextHTTP403}, {"http_404", NextHTTP404},
	{"http_429", NextHTTP429}, {"updating", NextUpdating}, {"non_idempotent", NextNonIdempotent},
	{"off", NextOff},
}

// setProxyPass reproduces ngx_http_proxy_pass.
func (l *loader) setProxyPass(d *parser.Directive, sc *scope) error {
	c := sc.loc
	if c.ProxyPass != nil {
		return l.dup(d)
	}
	// The proxy handler replaces an empty_gif written before.
	c.EmptyGIF = false
	url := d.Args[0].Value
	pp := &ProxyPass{URL: url, Pos: d.Pos}
	if strings.IndexByte(url, '$') >= 0 {
		v, err := l.compileComplex(d, url)
		if err != nil {
			return err
		}
		pp.Value = v
		c.ProxyPass = pp
		return nil
	}
	var rest string
	defaultPort := 80
	switch {
	case len(url) >= 7 && strings.EqualFold(url[:7], "http://"):
		pp.Scheme, rest = "http", url[7:]
	case len(url) >= 8 && strings.EqualFold(url[:8], "https://"):
		pp.Scheme, rest, defaultPort = "https", url[8:], 443
	default:
		return l.errf(d, "invalid URL prefix")
	}
	u, grp, err := l.passUpstream(d, rest, urlOpts{uriPart: true, noResolve: true, defaultPort: defaultPort})
	if err != nil {
		return err
	}
	pp.Upstream = grp
	pp.Port = u.port
	switch {
	case u.unix != "":
		pp.Host = "localhost"
	case u.noPort:
		pp.Host = u.host
	default:
		pp.Host = u.host + ":" + itoa(u.port)
	}
	pp.URI, pp.HasURI = u.uri, u.uri != ""
	loc := sc.location
	// nginx's "noname" locations, if and limit_except blocks, take no URI either.
	if pp.HasURI && (sc.inIf || sc.ctx == cLimitExcept || loc == nil || loc.Named() || loc.IsRegex()) {
		return l.errf(d, `"proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block`)
	}
	c.ProxyPass = pp
	return nil
}

func (l *loader) setProxySetHeader(d *parser.Directive, sc *scope) error {
	h := &Header{Name: d.Args[0].Value, Pos: d.Pos}
	v, uses, err := l.compileAtMerge(d, d.Args[1].Value)
	h.uses = uses
	if err != nil {
		var pe *parser.Error
		if !errors.As(err, &pe) {
			return err
		}
		h.compileErr = pe.Msg
		v = literal(d.Args[1].Value)
	}
	h.Value = v
	sc.loc.ProxySetHeaders = append(sc.loc.ProxySetHeaders, h)
	return nil
}

func (l *loader) setProxyHTTPVersion(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v := d.Args[0].Value
	if v != "1.0" && v != "1.1" {
		return l.errf(d, `invalid value "%s"`, v)
	}
	sc.loc.ProxyHTTPVersion = v // digits: ngx_strcasecmp changes nothing
	return nil
}

// setProxyNextUpstream reproduces ngx_conf_set_bitmask_slot: values are
// matched without regard to case, an unknown one fails, one already in the
// set (from this directive or an earlier one at the level: the directive
// accumulates) is a [warn].
func (l *loader) setProxyNextUpstream(d *parser.Directive, sc *scope) error {
	c := sc.loc
	set := NextUpstream(0)
	if c.isSet(d.Name) {
		set = c.ProxyNextUpstream
	}
	c.mark(d.Name)
	for _, a := range d.Args {
		var bit NextUpstream
		for _, n := range nextUpstreamNames {
			if strings.EqualFold(n.name, a.Value) {
				bit = n.bit
				break
			}
		}
		if bit == 0 {
			return l.errf(d, `invalid value "%s"`, a.Value)
		}
		if set&bit != 0 {
			l.warnf(d, `duplicate value "%s"`, a.Value)
			continue
		}
		set |= bit
	}
	c.ProxyNextUpstream = set
	return nil
}

func (l *loader) setProxyPassHeader(d *parser.Directive, sc *scope) error {
	sc.loc.ProxyPassHeaders = append(sc.loc.ProxyPassHeaders, d.Args[0].Value)
	return nil
}

func (l *loader) setProxyHideHeader(d *parser.Directive, sc *scope) error {
	sc.loc.ProxyHideHeaders = append(sc.loc.ProxyHideHeaders, d.Args[0].Value)
	return nil
}

// setProxyRedirect reproduces ngx_http_proxy_redirect.
func (l *loader) setProxyRedirect(d *parser.Directive, sc *scope) error {
	c := sc.loc
	if c.ProxyRedirectOff {
		return l.dup(d)
	}
	c.mark(d.Name)
	v := d.Args[0].Value
	if len(d.Args) == 1 {
		switch v {
		case "off":
			if len(c.ProxyRedirects) > 0 {
				return l.dup(d)
			}
			c.ProxyRedirectOff = true
			return nil
		case "default":
			if c.ProxyPass != nil && c.ProxyPass.Value != nil {
				return l.errf(d, `"proxy_redirect default" cannot be used with "proxy_pass" directive with variables`)
			}
			if c.ProxyPass == nil {
				return l.errf(d, `"proxy_redirect default" should be placed after the "proxy_pass" directive`)
			}
			c.ProxyRedirects = append(c.ProxyRedirects, &Redirect{Default: true, Pos: d.Pos})
			return nil
		}
		return l.errf(d, `invalid parameter "%s"`, v)
	}
	r := &Redirect{Pos: d.Pos}
	if strings.HasPrefix(v, "~") {
		pat, caseless := v[1:], false
		if strings.HasPrefix(pat, "*") {
			pat, caseless = pat[1:], true
		}
		re, err := l.compileRegex(d, pat, caseless)
		if err != nil {
			return err
		}
		r.Regex = re
	} else {
		from, err := l.compileComplex(d, v)
		if err != nil {
			return err
		}
		r.From = from
	}
	to, err := l.compileComplex(d, d.Args[1].Value)
	if err != nil {
		return err
	}
	r.To = to
	c.ProxyRedirects = append(c.ProxyRedirects, r)
	return nil
}

// setSSL handles the deprecated "ssl on|off" of ngx_http_ssl_module.
func (l *loader) setSSL(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	on, err := l.flag(d)
	if err != nil {
		return err
	}
	l.warnf(d, `the "ssl" directive is deprecated, use the "listen ... ssl" directive instead`)
	// Refused (checkServerCertificates) for each server it leaves on.
	sc.srvConf.sslOn, sc.srvConf.sslOnPos = &on, d.Pos
	return nil
}

// IgnoreHeaders is proxy_ignore_headers: the upstream response headers
// whose special meaning is dropped (ngx_http_upstream_ignore_headers_masks,
// in ignoreHeadersMasks' order). nginxws keeps no cache, so of their
// meanings only X-Accel-Redirect's, X-Accel-Buffering's and
// X-Accel-Charset's apply.
type IgnoreHeaders uint16

// The headers proxy_ignore_headers names that change what nginxws does.
const (
	IgnoreXAccelRedirect  IgnoreHeaders = 1 << 0
	IgnoreXAccelLimitRate IgnoreHeaders = 1 << 2
	IgnoreXAccelBuffering IgnoreHeaders = 1 << 3
	IgnoreXAccelCharset   IgnoreHeaders = 1 << 4
)

// setProxyIgnoreHeaders is ngx_conf_set_bitmask_slot for
// proxy_ignore_headers: each name one of nginx's, the bits of a level's
// lines added up, a name given twice warned about.
func (l *loader) setProxyIgnoreHeaders(d *parser.Directive, sc *scope) error {
	sc.loc.mark(d.Name)
	bits, err := l.bitmask(d, sc, ignoreHeadersMasks)
	sc.loc.ProxyIgnoreHeaders |= IgnoreHeaders(bits)
	return err
}

// ProxyBind is proxy_bind: the local address an upstream connection's
// socket is bound to (ngx_http_upstream_local_t).
type ProxyBind struct {
	// Addr is a literal address (a port of 0: any); Value one with
	// variables, parsed per request.
	Addr  netip.AddrPort
	Name  string
	Value *Complex
}

// setProxyBind reproduces ngx_http_upstream_bind_set_slot: "off", an
// address with an optional port, or a value with variables. nginxws
// does not make transparent connections (IP_TRANSPARENT needs
// CAP_NET_ADMIN and routing set up for it): "transparent" is refused once
// nginx's own checks passed.
func (l *loader) setProxyBind(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v := d.Args[0].Value
	if len(d.Args) == 1 && v == "off" {
		sc.loc.ProxyBind = nil
		return nil
	}
	c, err := l.compileComplex(d, v)
	if err != nil {
		return err
	}
	b := &ProxyBind{Name: v}
	if c.IsLiteral() {
		a, ok := ParseAddrPort([]byte(v))
		if !ok {
			return l.errf(d, `invalid address "%s"`, v)
		}
		b.Addr = a
	} else {
		b.Value = c
	}
	if len(d.Args) == 2 {
		if d.Args[1].Value != "transparent" {
			return l.errf(d, `invalid parameter "%s"`, d.Args[1].Value)
		}
		l.refuseLater(l.errf(d, `"transparent" in "%s" is not supported`, d.Name))
	}
	sc.loc.ProxyBind = b
	return nil
}

// passUpstream reads a *_pass directive's address as ngx_http_upstream_add
// is given it: parsed without resolving, then the implicit upstream group
// of that host and port (or unix socket), found or added.
func (l *loader) passUpstream(d *parser.Directive, url string, opts urlOpts) (urlParse, *Upstream, error) {
	u := parseURL(url, opts, l.resolve)
	if u.err != "" {
		return u, nil, l.errf(d, `%s in upstream "%s"`, u.err, url)
	}
	host := u.host
	if u.unix != "" {
		host = "unix:" + u.unix
	}
	grp, err := l.upstreamAdd(d, host, u.port, u.noPort, false)
	if err != nil {
		return u, nil, err
	}
	if u.unix != "" {
		grp.unixPath = u.unix
	}
	return u, grp, nil
}
