package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// ErrorPage is an error_page rule.
type ErrorPage struct {
	Codes []int
	// Overwrite is the "=code" response code, 0 for a bare "=" (the
	// redirected request's own code), -1 when not given.
	Overwrite int
	URI       *Complex
	Pos       parser.Pos
}

// AddHeader is an add_header rule.
type AddHeader struct {
	Name   string
	Value  *Complex // nil for an empty value (no header is added)
	Always bool
	Pos    parser.Pos
}

// setRoot and setAlias reproduce ngx_http_core_root.
func (l *loader) setRoot(d *parser.Directive, sc *scope) error  { return l.rootOrAlias(d, sc, false) }
func (l *loader) setAlias(d *parser.Directive, sc *scope) error { return l.rootOrAlias(d, sc, true) }

func (l *loader) rootOrAlias(d *parser.Directive, sc *scope, alias bool) error {
	c := sc.loc
	if c.isSet("root") || c.isSet("alias") {
		if c.Alias == alias {
			return l.dup(d)
		}
		prev := "root"
		if c.Alias {
			prev = "alias"
		}
		return l.errf(d, `"%s" directive is duplicate, "%s" directive was specified earlier`, d.Name, prev)
	}
	if alias && sc.location != nil && sc.location.Named() {
		return l.errf(d, `the "alias" directive cannot be used inside the named location`)
	}
	v := d.Args[0].Value
	for _, bad := range []string{"document_root", "realpath_root"} {
		if strings.Contains(v, "$"+bad) || strings.Contains(v, "${"+bad+"}") {
			return l.errf(d, `the $%s variable cannot be used in the "%s" directive`, bad, d.Name)
		}
	}
	c.mark(d.Name)
	c.Alias = alias
	if !alias && len(v) > 0 && v[len(v)-1] == '/' {
		v = v[:len(v)-1]
	}
	if !strings.HasPrefix(v, "$") {
		v = l.fullName(v)
	}
	val, err := l.compileComplex(d, v)
	if err != nil {
		return err
	}
	c.Root = val
	return nil
}

// setIndex reproduces ngx_http_index_set_index; index lists accumulate.
func (l *loader) setIndex(d *parser.Directive, sc *scope) error {
	c := sc.loc
	for i, a := range d.Args {
		if strings.HasPrefix(a.Value, "/") && i != len(d.Args)-1 {
			l.warnf(d, `only the last index in "index" directive should be absolute`)
		}
		if a.Value == "" {
			return l.errf(d, `index "%s" in "index" directive is invalid`, d.Args[0].Value)
		}
		v, err := l.compileComplex(d, a.Value)
		if err != nil {
			return err
		}
		c.Index = append(c.Index, v)
	}
	return nil
}

// setTryFiles reproduces ngx_http_core_try_files.
func (l *loader) setTryFiles(d *parser.Directive, sc *scope) error {
	c := sc.loc
	if c.TryFiles != nil {
		return l.dup(d)
	}
	last := d.Args[len(d.Args)-1].Value
	if strings.HasPrefix(last, "=") {
		n, ok := Atoi(last[1:])
		if !ok || n > 999 {
			return l.errf(d, `invalid code "%s"`, last)
		}
	}
	list := make([]*Complex, 0, len(d.Args))
	for _, a := range d.Args {
		v, err := l.compileComplex(d, a.Value)
		if err != nil {
			return err
		}
		list = append(list, v)
	}
	c.TryFiles, c.TryPos = list, d.Pos
	return nil
}

// setErrorPage reproduces ngx_http_core_error_page.
func (l *loader) setErrorPage(d *parser.Directive, sc *scope) error {
	args := d.ArgValues()
	i := len(args) - 2
	ep := &ErrorPage{Overwrite: -1, Pos: d.Pos}
	n := 1
	if strings.HasPrefix(args[i], "=") {
		if i == 0 {
			return l.errf(d, `invalid value "%s"`, args[i])
		}
		ep.Overwrite = 0
		if len(args[i]) > 1 {
			v, ok := Atoi(args[i][1:])
			if !ok {
				return l.errf(d, `invalid value "%s"`, args[i])
			}
			ep.Overwrite = int(v)
		}
		n = 2
	}
	uri, err := l.compileComplex(d, args[len(args)-1])
	if err != nil {
		return err
	}
	ep.URI = uri
	for _, a := range args[:len(args)-n] {
		code, ok := Atoi(a)
		if !ok || code == 499 {
			return l.errf(d, `invalid value "%s"`, a)
		}
		if code < 300 || code > 599 {
			return l.errf(d, `value "%s" must be between 300 and 599`, a)
		}
		ep.Codes = append(ep.Codes, int(code))
	}
	sc.loc.ErrorPages = append(sc.loc.ErrorPages, ep)
	return nil
}

// setTypes reads a types block (ngx_http_core_types): "type ext …;"
// entries; blocks at one level accumulate, a later extension replaces an
// earlier one with a [warn].
func (l *loader) setTypes(d *parser.Directive, sc *scope) error {
	c := sc.loc
	if c.Types == nil {
		c.Types = map[string]string{}
	}
	for _, e := range d.Block {
		if e.IsBlock() {
			return l.errf(e, `unexpected "{"`)
		}
		typ := e.Name
		for _, a := range e.Args {
			ext := lowerString(a.Value)
			if old, ok := c.Types[ext]; ok {
				l.warnf(e, `duplicate extension "%s", content type: "%s", previous content type: "%s"`, a.Value, typ, old)
			}
			c.Types[ext] = typ
		}
	}
	return nil
}

func (l *loader) setInternal(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	sc.loc.Internal = true
	return nil
}

// setStubStatus makes the level's content the stub_status page. Like
// nginx's ngx_http_set_stub_status, it takes any argument ("stub_status
// off" turns it on too) and may be repeated.
func (l *loader) setStubStatus(_ *parser.Directive, sc *scope) error {
	sc.loc.StubStatus = true
	sc.loc.EmptyGIF = false
	return nil
}

// setEmptyGIF is ngx_http_empty_gif: the location's handler becomes the
// empty GIF's, replacing one proxy_pass or stub_status set before.
func (l *loader) setEmptyGIF(_ *parser.Directive, sc *scope) error {
	sc.loc.EmptyGIF = true
	return nil
}

// setServerTokens reads server_tokens on|off|build (ngx_conf_set_enum_slot).
func (l *loader) setServerTokens(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v := d.Args[0].Value
	switch low := lowerString(v); low {
	case "on", "off", "build":
		sc.loc.ServerTokens = low
		return nil
	default:
		return l.errf(d, `invalid value "%s"`, v)
	}
}

// setKeepaliveTimeout reproduces ngx_http_core_keepalive.
func (l *loader) setKeepaliveTimeout(d *parser.Directive, sc *scope) error {
	c := sc.loc
	if c.mark(d.Name) {
		return l.dup(d)
	}
	t, ok := parseMsec(d.Args[0].Value)
	if !ok {
		return l.invalid(d)
	}
	c.KeepaliveTimeout = t
	if len(d.Args) == 2 {
		h, ok := parseSec(d.Args[1].Value)
		if !ok {
			return l.invalid(d)
		}
		c.KeepaliveHeaderTimeout = h
	}
	return nil
}

func (l *loader) setClientMaxBodySize(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	n, ok := parseOffset(d.Args[0].Value)
	if !ok {
		return l.invalid(d)
	}
	sc.loc.ClientMaxBodySize = n
	return nil
}

func (l *loader) setLargeClientHeaderBuffers(d *parser.Directive, sc *scope) error {
	if sc.srvConf.mark(d.Name) {
		return l.dup(d)
	}
	b, ok := parseBufs(d)
	if !ok {
		return l.invalid(d)
	}
	sc.srvConf.LargeClientHeaderBuffers = b
	return nil
}

// parseBufs reads "number size" as ngx_conf_set_bufs_slot: both non-zero.
func parseBufs(d *parser.Directive) (Bufs, bool) {
	n, ok := Atoi(d.Args[0].Value)
	if !ok || n == 0 || n > 1<<31 {
		return Bufs{}, false
	}
	size, ok := parseSize(d.Args[1].Value)
	if !ok || size == 0 {
		return Bufs{}, false
	}
	return Bufs{Num: int(n), Size: size}, true
}

// setAddHeader reproduces ngx_http_headers_add.
func (l *loader) setAddHeader(d *parser.Directive, sc *scope) error {
	h, err := l.headerValue(d)
	if err != nil {
		return err
	}
	sc.loc.AddHeaders = append(sc.loc.AddHeaders, h)
	return nil
}

// setAddTrailer is add_trailer, read by the same ngx_http_headers_add.
func (l *loader) setAddTrailer(d *parser.Directive, sc *scope) error {
	h, err := l.headerValue(d)
	if err != nil {
		return err
	}
	sc.loc.AddTrailers = append(sc.loc.AddTrailers, h)
	return nil
}

// headerValue reads "NAME VALUE [always]" (ngx_http_headers_add).
func (l *loader) headerValue(d *parser.Directive) (*AddHeader, error) {
	h := &AddHeader{Name: d.Args[0].Value, Pos: d.Pos}
	if v := d.Args[1].Value; v != "" {
		c, err := l.compileComplex(d, v)
		if err != nil {
			return nil, err
		}
		h.Value = c
	}
	if len(d.Args) == 3 {
		if d.Args[2].Value != "always" {
			return nil, l.errf(d, `invalid parameter "%s"`, d.Args[2].Value)
		}
		h.Always = true
	}
	return h, nil
}

// setServerName reproduces ngx_http_core_server_name.
func (l *loader) setServerName(d *parser.Directive, sc *scope) error {
	s := sc.server
	for _, a := range d.Args {
		v := a.Value
		if (strings.HasPrefix(v, "*") && (len(v) < 3 || v[1] != '.')) || (strings.HasPrefix(v, ".") && len(v) < 2) {
			return l.errf(d, `server name "%s" is invalid`, v)
		}
		if strings.IndexByte(v, '/') >= 0 {
			l.warnf(d, `server name "%s" has suspicious symbols`, v)
		}
		sn := ServerName{Pos: d.Pos}
		if strings.EqualFold(v, "$hostname") {
			sn.Name = l.hostname()
		} else if !strings.HasPrefix(v, "~") {
			sn.Name = lowerString(v)
		} else {
			if len(v) == 1 {
				return l.errf(d, `empty regex in server name "%s"`, v)
			}
			re, err := l.compileRegex(d, v[1:], true)
			if err != nil {
				return err
			}
			sn.Name, sn.Regex = v[1:], re
		}
		s.Names = append(s.Names, sn)
	}
	return nil
}

// setAutoindexFormat reads autoindex_format (ngx_conf_set_enum_slot: html,
// json, jsonp or xml, compared ignoring case).
func (l *loader) setAutoindexFormat(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v := d.Args[0].Value
	switch low := lowerString(v); low {
	case "html", "json", "jsonp", "xml":
		sc.loc.AutoindexFormat = low
		return nil
	}
	return l.errf(d, `invalid value "%s"`, v)
}
