package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// Complex is a value that may hold variables ("$host:$server_port"),
// compiled once at load into literal and variable segments, as nginx's
// ngx_http_compile_complex_value does, and bound to the variables' indexes
// when the http block ends. State.Eval and State.Value evaluate it per
// request.
type Complex struct {
	// Raw is the value as written (after unquoting).
	Raw string
	// Segments alternate literals and variable references in order; a
	// value without variables has a single literal segment (or none when
	// empty).
	Segments []Segment
}

// Segment is one part of a Complex: a literal, a variable, or a regex
// capture.
type Segment struct {
	Literal string
	// Var is the lower-cased variable name without "$", or "" for a
	// literal or a capture.
	Var string
	// Capture is n for $1…$9, 0 otherwise.
	Capture int

	// idx is the variable's index in the Engine + 1, set when the engine
	// is built at the end of the http block; 0 for a literal, a capture,
	// or a value built after load (evaluated by name).
	idx int32
}

// IsLiteral reports whether the value has no variables or captures.
func (c *Complex) IsLiteral() bool {
	for _, s := range c.Segments {
		if s.Var != "" || s.Capture != 0 {
			return false
		}
	}
	return true
}

// String returns the value as written.
func (c *Complex) String() string { return c.Raw }

// literal makes a variable-free value.
func literal(s string) *Complex {
	c := &Complex{Raw: s}
	if s != "" {
		c.Segments = []Segment{{Literal: s}}
	}
	return c
}

// isVarChar is the set of characters ngx_http_script_compile accepts in a
// variable name.
func isVarChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// compileComplex splits a value into segments with ngx_http_script_compile's
// rules: "$name" or "${name}" (letters, digits, "_"), "$1"…"$9" captures
// (one digit only: "$12" is capture 1 then "2"). Every variable used is
// recorded for the unknown-variable check.
func (l *loader) compileComplex(d *parser.Directive, s string) (*Complex, error) {
	return l.compileValue(d, s, true)
}

// compileValue is compileComplex, with "$1"…"$9" read as captures or, as
// ngx_http_log_compile_format reads a log_format, as variable names like
// any other: "$1" is the unknown variable "1", "$9y" the unknown "9y".
func (l *loader) compileValue(d *parser.Directive, s string, captures bool) (*Complex, error) {
	if strings.IndexByte(s, '$') < 0 {
		return literal(s), nil
	}
	c := &Complex{Raw: s}
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			c.Segments = append(c.Segments, Segment{Literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if s[i] != '$' {
			lit.WriteByte(s[i])
			i++
			continue
		}
		i++
		if i == len(s) {
			return nil, l.errf(d, "invalid variable name")
		}
		if captures && s[i] >= '1' && s[i] <= '9' {
			flush()
			c.Segments = append(c.Segments, Segment{Capture: int(s[i] - '0')})
			i++
			continue
		}
		bracket := false
		if s[i] == '{' {
			bracket = true
			i++
			if i == len(s) {
				return nil, l.errf(d, "invalid variable name")
			}
		}
		start := i
		for i < len(s) {
			if s[i] == '}' && bracket {
				bracket = false
				break
			}
			if !isVarChar(s[i]) {
				break
			}
			i++
		}
		name := s[start:i]
		if bracket {
			return nil, l.errf(d, `the closing bracket in "%s" variable is missing`, name)
		}
		if i < len(s) && s[i] == '}' && start > 0 && s[start-1] == '{' {
			i++
		}
		if name == "" {
			return nil, l.errf(d, "invalid variable name")
		}
		flush()
		name = lowerString(name)
		c.Segments = append(c.Segments, Segment{Var: name})
		l.useVar(name)
	}
	flush()
	return c, nil
}

// compileAtMerge compiles a value that nginx stores as text and compiles
// in its module's merge (proxy_set_header, proxy_set_body): the variables
// it is first to use are taken back from the use order and returned, for
// the merge to use them in nginx's order (mergeDiags.uses), which decides
// which unknown variable nginx names first.
func (l *loader) compileAtMerge(d *parser.Directive, s string) (*Complex, []string, error) {
	if l.http == nil {
		c, err := l.compileComplex(d, s)
		return c, nil, err
	}
	t := l.http.vars
	n := len(t.uses)
	c, err := l.compileComplex(d, s)
	fresh := append([]string(nil), t.uses[n:]...)
	for _, v := range fresh {
		delete(t.used, v)
	}
	t.uses = t.uses[:n]
	return c, fresh, err
}

// useVar records a variable reference for the check at the end of the
// http block.
func (l *loader) useVar(name string) {
	if l.http != nil {
		l.http.vars.use(name)
	}
}
