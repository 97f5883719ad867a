package directives

import (
	"path/filepath"
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// setAuthBasic reads auth_basic: the realm, a value ("off" turns the
// check off where it is, whatever the parents say).
func (l *loader) setAuthBasic(d *parser.Directive, sc *scope) error {
	if sc.loc.AuthBasic != nil {
		return l.dup(d)
	}
	v, err := l.compileComplex(d, d.Args[0].Value)
	if err != nil {
		return err
	}
	sc.loc.AuthBasic = v
	return nil
}

// setAuthBasicUserFile reads auth_basic_user_file: a value naming the
// password file, relative to the configuration file's directory (nginx's
// conf_prefix).
func (l *loader) setAuthBasicUserFile(d *parser.Directive, sc *scope) error {
	if sc.loc.AuthBasicUserFile != nil {
		return l.dup(d)
	}
	v := d.Args[0].Value
	if !strings.Contains(v, "$") && !filepath.IsAbs(v) {
		v = l.confPrefix() + v
	}
	c, err := l.compileComplex(d, v)
	if err != nil {
		return err
	}
	sc.loc.AuthBasicUserFile = c
	// A name made of variables is completed when it is known.
	sc.loc.AuthBasicConfPrefix = l.confPrefix()
	return nil
}

// confPrefix is the directory of the main configuration file, with a
// trailing slash (ngx_cycle->conf_prefix).
func (l *loader) confPrefix() string {
	main := l.tree.MainFile
	if !filepath.IsAbs(main) {
		main = l.prefix + main
	}
	return filepath.Dir(main) + "/"
}

// setSatisfy reads satisfy all|any (ngx_conf_set_enum_slot).
func (l *loader) setSatisfy(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	switch v := d.Args[0].Value; v {
	case "all":
		sc.loc.SatisfyAny = false
	case "any":
		sc.loc.SatisfyAny = true
	default:
		return l.errf(d, `invalid value "%s"`, v)
	}
	return nil
}

// limitExceptMethods are ngx_methods_names: the methods limit_except
// names, with their request-method bits (nginx's NGX_HTTP_*).
var limitExceptMethods = map[string]uint32{
	"GET": 0x2, "HEAD": 0x4, "POST": 0x8, "PUT": 0x10, "DELETE": 0x20, "MKCOL": 0x40,
	"COPY": 0x80, "MOVE": 0x100, "OPTIONS": 0x200, "PROPFIND": 0x400, "PROPPATCH": 0x800,
	"LOCK": 0x1000, "UNLOCK": 0x2000, "PATCH": 0x4000,
}

// setLimitExcept reproduces ngx_http_core_limit_except: the block is a
// level of its own, inheriting from the location, that requests with
// another method than those named (GET naming HEAD too) are served under.
func (l *loader) setLimitExcept(d *parser.Directive, sc *scope) error {
	if sc.loc.LimitExcept != nil {
		return l.dup(d)
	}
	limited := ^uint32(0)
	for _, a := range d.Args {
		bit, ok := limitExceptMethods[strings.ToUpper(a.Value)]
		if !ok {
			return l.errf(d, `invalid method "%s"`, a.Value)
		}
		limited &^= bit
	}
	if limited&0x2 == 0 {
		limited &^= 0x4
	}
	conf := newLocConf()
	conf.from = "limit_except"
	sc.loc.LimitExcept, sc.loc.LimitExceptMethods = conf, limited
	ls := &scope{ctx: cLimitExcept, open: sc.open, srvConf: sc.srvConf, server: sc.server, loc: conf, location: sc.location}
	return l.block(d.Block, ls)
}
