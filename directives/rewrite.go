package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// Stmt is one statement of the rewrite module, run in config order at its
// level: return, rewrite, set, break or if.
type Stmt struct {
	Op  StmtOp
	Pos parser.Pos

	// Return: Code, and Text (a URL for 301/302/303/307/308 and for the
	// URL-only form, a body otherwise; nil when none).
	Code int
	Text *Complex

	// Rewrite: Regex, Replacement and Flag; Code is 301/302 for
	// redirects (a replacement starting with http://, https:// or $scheme
	// redirects with 302 even without a flag).
	Regex       *Regexp
	Replacement *Complex
	Flag        RewriteFlag

	// Set: Var (lower-cased, without "$") and Value.
	Var   string
	Value *Complex
	// target is Var's index in the Engine + 1 (State.Set).
	target int32

	// If: Cond, and Conf, the if block's own level (its statements are in
	// Conf.Script).
	Cond *Condition
	Conf *LocConf
}

// StmtOp is a rewrite-module statement kind.
type StmtOp int

// The statement kinds.
const (
	OpReturn StmtOp = iota
	OpRewrite
	OpSet
	OpBreak
	OpIf
)

// RewriteFlag is a rewrite's last argument.
type RewriteFlag int

// The rewrite flags.
const (
	RewriteNone RewriteFlag = iota
	RewriteLast
	RewriteBreak
	RewriteRedirect
	RewritePermanent
)

// Condition is an if condition.
type Condition struct {
	Kind CondKind
	// Negate is set for "!=", "!~", "!~*", "!-f" …
	Negate bool
	// Var is the tested variable (CondVar, CondEqual, CondMatch).
	Var *Complex
	// Value is the compared string (CondEqual) or the path (CondFile).
	Value *Complex
	// Regex is the pattern of CondMatch.
	Regex *Regexp
	// FileOp is 'f', 'd', 'e' or 'x' for CondFile.
	FileOp byte
}

// CondKind is the form of an if condition.
type CondKind int

// The condition forms.
const (
	CondVar   CondKind = iota // ($var): true unless empty or "0"
	CondEqual                 // ($var = str), ($var != str)
	CondMatch                 // ($var ~ re), ~*, !~, !~*
	CondFile                  // (-f path), -d, -e, -x and their negations
)

// addStmt appends a statement to the current level's script.
func addStmt(sc *scope, st *Stmt) { *sc.script = append(*sc.script, st) }

// setReturn reproduces ngx_http_rewrite_return.
func (l *loader) setReturn(d *parser.Directive, sc *scope) error {
	st := &Stmt{Op: OpReturn, Pos: d.Pos}
	v0 := d.Args[0].Value
	var text string
	n, ok := Atoi(v0)
	switch {
	case !ok:
		if len(d.Args) == 1 && (strings.HasPrefix(v0, "http://") || strings.HasPrefix(v0, "https://") || strings.HasPrefix(v0, "$scheme")) {
			st.Code, text = 302, v0
		} else {
			return l.errf(d, `invalid return code "%s"`, v0)
		}
	case n > 999:
		return l.errf(d, `invalid return code "%s"`, v0)
	default:
		st.Code = int(n)
		if len(d.Args) == 1 {
			addStmt(sc, st)
			return nil
		}
		text = d.Args[1].Value
	}
	v, err := l.compileComplex(d, text)
	if err != nil {
		return err
	}
	st.Text = v
	addStmt(sc, st)
	return nil
}

// setRewrite reproduces ngx_http_rewrite: the regex is compiled before the
// flag is checked.
func (l *loader) setRewrite(d *parser.Directive, sc *scope) error {
	repl := d.Args[1].Value
	if repl == "" {
		return l.errf(d, "empty replacement")
	}
	re, err := l.compileRegex(d, d.Args[0].Value, false)
	if err != nil {
		return err
	}
	st := &Stmt{Op: OpRewrite, Pos: d.Pos, Regex: re}
	if strings.HasPrefix(repl, "http://") || strings.HasPrefix(repl, "https://") || strings.HasPrefix(repl, "$scheme") {
		st.Code, st.Flag = 302, RewriteRedirect
	}
	if len(d.Args) == 3 {
		// A replacement starting with http://, https:// or $scheme
		// redirects whatever the flag: nginx keeps regex->redirect set
		// for last and break.
		redirect := st.Flag == RewriteRedirect
		switch d.Args[2].Value {
		case "last":
			if !redirect {
				st.Flag = RewriteLast
			}
		case "break":
			if !redirect {
				st.Flag = RewriteBreak
			}
		case "redirect":
			st.Code, st.Flag = 302, RewriteRedirect
		case "permanent":
			st.Code, st.Flag = 301, RewritePermanent
		default:
			return l.errf(d, `invalid parameter "%s"`, d.Args[2].Value)
		}
	}
	v, err := l.compileComplex(d, repl)
	if err != nil {
		return err
	}
	st.Replacement = v
	addStmt(sc, st)
	return nil
}

func (l *loader) setBreak(d *parser.Directive, sc *scope) error {
	addStmt(sc, &Stmt{Op: OpBreak, Pos: d.Pos})
	return nil
}

// changeableVariables are the builtin variables nginx lets set and map
// redefine (NGX_HTTP_VAR_CHANGEABLE); any other builtin name is "the
// duplicate variable" there. Read off the real binary.
var changeableVariables = map[string]bool{
	"args": true, "limit_rate": true, "proxy_host": true, "proxy_port": true,
	"ancient_browser": true, "modern_browser": true, "msie": true, "invalid_referer": true, "uid_reset": true,
	"ssl_alpn_protocol": true, "ssl_cipher": true, "ssl_ciphers": true, "ssl_client_cert": true,
	"ssl_client_escaped_cert": true, "ssl_client_fingerprint": true, "ssl_client_i_dn": true,
	"ssl_client_i_dn_legacy": true, "ssl_client_raw_cert": true, "ssl_client_s_dn": true,
	"ssl_client_s_dn_legacy": true, "ssl_client_serial": true, "ssl_client_v_end": true,
	"ssl_client_v_remain": true, "ssl_client_v_start": true, "ssl_client_verify": true,
	"ssl_curve": true, "ssl_curves": true, "ssl_early_data": true, "ssl_protocol": true,
	"ssl_server_name": true, "ssl_session_id": true, "ssl_session_reused": true,
}

// addVariable reproduces ngx_http_add_variable with the changeable flag:
// it declares a configuration variable.
func (l *loader) addVariable(d *parser.Directive, name string) error {
	if name == "" {
		return l.errf(d, `invalid variable name "$"`)
	}
	low := lowerString(name)
	if builtinVariables[low] && !changeableVariables[low] {
		return l.errf(d, `the duplicate "%s" variable`, name)
	}
	l.http.vars.declare(low)
	return nil
}

// setSet reproduces ngx_http_rewrite_set.
func (l *loader) setSet(d *parser.Directive, sc *scope) error {
	name := d.Args[0].Value
	if !strings.HasPrefix(name, "$") {
		return l.errf(d, `invalid variable name "%s"`, name)
	}
	if err := l.addVariable(d, name[1:]); err != nil {
		return err
	}
	v, err := l.compileComplex(d, d.Args[1].Value)
	if err != nil {
		return err
	}
	addStmt(sc, &Stmt{Op: OpSet, Pos: d.Pos, Var: lowerString(name[1:]), Value: v})
	return nil
}

// setIf reproduces ngx_http_rewrite_if: the condition is compiled, then
// the block is read as its own level (if in server or if in location).
func (l *loader) setIf(d *parser.Directive, sc *scope) error {
	cond, err := l.ifCondition(d)
	if err != nil {
		return err
	}
	conf := newLocConf()
	conf.from = "if"
	sc.loc.ifs = append(sc.loc.ifs, conf)
	st := &Stmt{Op: OpIf, Pos: d.Pos, Cond: cond, Conf: conf}
	addStmt(sc, st)
	ctx := cServerIf
	if sc.location != nil {
		ctx = cLocationIf
	}
	is := &scope{ctx: ctx, open: sc.open, srvConf: sc.srvConf, server: sc.server, loc: conf, location: sc.location, inIf: true}
	is.script = &conf.Script
	return l.block(d.Block, is)
}

// ifCondition reproduces ngx_http_rewrite_if_condition.
func (l *loader) ifCondition(d *parser.Directive) (*Condition, error) {
	args := d.ArgValues()
	first := args[0]
	if first == "" || first[0] != '(' {
		return nil, l.errf(d, `invalid condition "%s"`, first)
	}
	cur := 0
	if len(first) == 1 {
		cur = 1
	} else {
		args[0] = first[1:]
	}
	last := len(args) - 1
	lv := args[last]
	if lv == "" || lv[len(lv)-1] != ')' {
		return nil, l.errf(d, `invalid condition "%s"`, lv)
	}
	if len(lv) == 1 {
		last--
	} else {
		args[last] = lv[:len(lv)-1]
	}
	p := args[cur]
	switch {
	case len(p) > 1 && p[0] == '$':
		if cur != last && cur+2 != last {
			return nil, l.errf(d, `invalid condition "%s"`, p)
		}
		// The tested variable is the whole token after "$" (nginx looks
		// it up by name, it is not a value with variables): "$uri=x" is
		// the variable "uri=x".
		name := lowerString(p[1:])
		l.useVar(name)
		cond := &Condition{Kind: CondVar, Var: &Complex{Raw: p, Segments: []Segment{{Var: name}}}}
		if cur == last {
			return cond, nil
		}
		op := args[cur+1]
		rhs := args[last]
		switch op {
		case "=", "!=":
			val, err := l.compileComplex(d, rhs)
			if err != nil {
				return nil, err
			}
			cond.Kind, cond.Negate, cond.Value = CondEqual, op == "!=", val
			return cond, nil
		case "~", "~*", "!~", "!~*":
			re, err := l.compileRegex(d, rhs, strings.HasSuffix(op, "*"))
			if err != nil {
				return nil, err
			}
			cond.Kind, cond.Negate, cond.Regex = CondMatch, op[0] == '!', re
			return cond, nil
		}
		return nil, l.errf(d, `unexpected "%s" in condition`, op)
	case (len(p) == 2 && p[0] == '-') || (len(p) == 3 && p[0] == '!' && p[1] == '-'):
		if cur+1 != last {
			return nil, l.errf(d, `invalid condition "%s"`, p)
		}
		path, err := l.compileComplex(d, args[last])
		if err != nil {
			return nil, err
		}
		op := p[len(p)-1]
		if strings.IndexByte("fdex", op) < 0 {
			return nil, l.errf(d, `invalid condition "%s"`, p)
		}
		return &Condition{Kind: CondFile, Negate: p[0] == '!', Value: path, FileOp: op}, nil
	}
	return nil, l.errf(d, `invalid condition "%s"`, p)
}
