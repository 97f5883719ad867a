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

// confPrefix is the directory of the main configuration file as written,
// with its trailing slash (ngx_cycle->conf_prefix, see parser.ConfPrefix).
func (l *loader) confPrefix() string {
	return parser.ConfPrefix(l.tree.MainFile, l.prefix)
}
