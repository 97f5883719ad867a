package proxy

import (
	"bytes"

	"github.com/nginxws/nginxws/directives"
)

// The outcomes of running a level's rewrite statements.
const (
	scriptNext = iota // go on to the next phase
	scriptDone        // the request was answered (return, redirect, error)
)

// runScript runs rewrite-module statements in order, as
// ngx_http_rewrite_handler runs a level's codes: set, if (whose block
// becomes the request's level while its statements run), break, return and
// rewrite.
func (x *exchange) runScript(stmts []*directives.Stmt) int {
	rc, _ := x.runStmts(stmts)
	return rc
}

// runStmts runs stmts; stop reports that a statement ended the script
// (break, return, a rewrite with a flag).
func (x *exchange) runStmts(stmts []*directives.Stmt) (rc int, stop bool) {
	for _, st := range stmts {
		switch st.Op {
		case directives.OpSet:
			x.vs.Set(st)
			if st.Var == "args" {
				x.args = x.curArgs()
			}
		case directives.OpBreak:
			return scriptNext, true
		case directives.OpReturn:
			x.doReturn(st)
			return scriptDone, true
		case directives.OpIf:
			ok, err := x.vs.Cond(st.Cond)
			if err != nil {
				x.finalize(500)
				return scriptDone, true
			}
			if !ok {
				continue
			}
			x.setConf(x.loc, st.Conf)
			x.updateLocation()
			if rc, stop := x.runStmts(st.Conf.Script); stop {
				return rc, true
			}
		case directives.OpRewrite:
			if rc, stop := x.rewrite(st); stop {
				return rc, true
			}
		}
	}
	return scriptNext, false
}

// rewrite applies a rewrite statement (ngx_http_script_regex_start_code and
// end_code): on a match the URI (and arguments) become the replacement, or
// the request is redirected.
func (x *exchange) rewrite(st *directives.Stmt) (int, bool) {
	ok, err := x.match(st.Regex, x.uri)
	if err != nil {
		x.finalize(500)
		return scriptDone, true
	}
	if !ok {
		return scriptNext, false
	}
	raw := st.Replacement.Raw
	addArgs := true
	repl := x.value(st.Replacement)
	if len(raw) > 0 && raw[len(raw)-1] == '?' {
		// A final "?" drops the request's arguments.
		addArgs = false
		if len(repl) > 0 && repl[len(repl)-1] == '?' {
			repl = repl[:len(repl)-1]
		}
	}
	hasArgs := bytes.IndexByte(repl, '?') >= 0
	if st.Flag == directives.RewriteRedirect || st.Flag == directives.RewritePermanent {
		v := repl
		if addArgs && len(x.args) > 0 {
			start := len(x.scratch)
			x.scratch = append(x.scratch, repl...)
			if hasArgs {
				x.scratch = append(x.scratch, '&')
			} else {
				x.scratch = append(x.scratch, '?')
			}
			x.scratch = append(x.scratch, x.args...)
			v = x.keep(x.scratch[start:])
			x.scratch = x.scratch[:start]
		}
		x.discardBody()
		x.out.setLocation(v)
		x.finalize(st.Code)
		return scriptDone, true
	}
	uri, args := repl, []byte(nil)
	if i := bytes.IndexByte(repl, '?'); i >= 0 {
		uri, args = repl[:i], repl[i+1:]
		if addArgs && len(x.args) > 0 {
			start := len(x.scratch)
			x.scratch = append(x.scratch, args...)
			x.scratch = append(x.scratch, '&')
			x.scratch = append(x.scratch, x.args...)
			args = x.keep(x.scratch[start:])
			x.scratch = x.scratch[:start]
		}
	} else if addArgs {
		args = x.args
	}
	if len(uri) == 0 {
		x.logEvent(levelError, "the rewritten URI has a zero length", "", "")
		x.finalize(500)
		return scriptDone, true
	}
	x.uri = uri
	x.setArgs(args)
	x.internal = true
	x.validUnparsedURI = false
	switch st.Flag {
	case directives.RewriteBreak:
		x.validLocation = false
		x.uriChanged = false
		return scriptNext, true
	case directives.RewriteLast:
		x.uriChanged = true
		return scriptNext, true
	}
	x.uriChanged = true
	return scriptNext, false
}
