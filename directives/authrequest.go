package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// setAuthRequest reproduces ngx_http_auth_request: the URI of the
// subrequest, taken as written (no variables), or "off"; once per level,
// "off" included.
func (l *loader) setAuthRequest(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	uri := d.Args[0].Value
	if uri == "off" {
		uri = ""
	}
	sc.loc.AuthRequest = uri
	return nil
}

// setAuthRequestSet reproduces ngx_http_auth_request_set: the variable is
// declared as set declares one (a builtin that cannot change is "the
// duplicate" variable), and the value is compiled to be evaluated in the
// subrequest's context.
func (l *loader) setAuthRequestSet(d *parser.Directive, sc *scope) error {
	name := d.Args[0].Value
	if !strings.HasPrefix(name, "$") {
		return l.errf(d, `invalid variable name "%s"`, name)
	}
	low := lowerString(name[1:])
	// The first declaration gives the variable its handler, as
	// ngx_http_add_variable keeps the first get_handler: auth_request_set's
	// reads as not found until assigned.
	first := !l.http.vars.declared[low]
	if err := l.addVariable(d, name[1:]); err != nil {
		return err
	}
	if first {
		l.http.vars.quiet[low] = true
	}
	v, err := l.compileComplex(d, d.Args[1].Value)
	if err != nil {
		return err
	}
	sc.loc.AuthRequestSets = append(sc.loc.AuthRequestSets, &Stmt{Op: OpSet, Pos: d.Pos, Var: low, Value: v})
	return nil
}
