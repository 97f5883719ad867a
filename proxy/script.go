package proxy

import (
	"strings"

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
//
// rewrite_log is read once, from the level the script starts on, as
// ngx_http_rewrite_handler sets e->log: an "if" block's own rewrite_log
// does not change it.
func (x *exchange) runScript(stmts []*directives.Stmt) int {
	rc, _ := x.runStmts(stmts, x.conf.RewriteLog)
	return rc
}

// runStmts runs stmts; stop reports that a statement ended the script
// (break, return, a rewrite with a flag). log is rewrite_log.
func (x *exchange) runStmts(stmts []*directives.Stmt, log bool) (rc int, stop bool) {
	for _, st := range stmts {
		switch st.Op {
		case directives.OpSet:
			if st.Var == "limit_rate" {
				// Its set handler parses the size; $limit_rate then
				// reads the number back.
				x.setLimitRateVar(x.vs.Value(st.Value))
				continue
			}
			x.vs.Set(st)
			if st.Var == "args" {
				x.args, x.emptyArgs = x.curArgs(), false
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
			if log && st.Cond.Kind == directives.CondMatch {
				x.logRegex(st.Cond.Regex, x.value(st.Cond.Var), ok != st.Cond.Negate)
			}
			if !ok {
				continue
			}
			x.setConf(x.loc, st.Conf)
			x.updateLocation()
			if rc, stop := x.runStmts(st.Conf.Script, log); stop {
				return rc, true
			}
		case directives.OpRewrite:
			if rc, stop := x.rewrite(st, log); stop {
				return rc, true
			}
		}
	}
	return scriptNext, false
}

// rewrite applies a rewrite statement (ngx_http_script_regex_start_code,
// the capture and args codes, and ngx_http_script_regex_end_code): on a
// match the URI and arguments become the replacement's, or the request is
// redirected. Captures are escaped (NGX_ESCAPE_ARGS) in a redirect and in
// the arguments part when the request's URI had escapes or a "+"; a
// redirect's value is then unescaped as nginx does (NGX_UNESCAPE_REDIRECT).
// A replacement ending in "?" drops the request's arguments.
func (x *exchange) rewrite(st *directives.Stmt, log bool) (int, bool) {
	ok, err := x.matchScript(st.Regex, x.uri)
	if err != nil {
		x.finalize(500)
		return scriptDone, true
	}
	if log {
		x.logRegex(st.Regex, x.uri, ok)
	}
	if !ok {
		return scriptNext, false
	}
	redirect := st.Flag == directives.RewriteRedirect || st.Flag == directives.RewritePermanent
	raw := st.Replacement.Raw
	addArgs := !(len(raw) > 0 && raw[len(raw)-1] == '?')
	escape := x.quotedURI || x.head.PlusInURI
	segs := st.Replacement.Segments
	start := len(x.scratch)
	argsAt := -1 // where the arguments begin in the value (after its "?")
	for i := range segs {
		sg := &segs[i]
		switch {
		case sg.Capture > 0:
			c := x.vs.Capture(sg.Capture)
			if (redirect || argsAt >= 0) && escape {
				x.scratch = appendEscapedArgs(x.scratch, c)
			} else {
				x.scratch = append(x.scratch, c...)
			}
		case sg.Var != "":
			x.scratch = x.vs.Eval(&directives.Complex{Segments: segs[i : i+1]}, x.scratch)
		default:
			lit := sg.Literal
			if !addArgs && i == len(segs)-1 && strings.HasSuffix(lit, "?") {
				lit = lit[:len(lit)-1]
			}
			if argsAt < 0 {
				if j := strings.IndexByte(lit, '?'); j >= 0 {
					x.scratch = append(x.scratch, lit[:j+1]...)
					argsAt = len(x.scratch) - start
					lit = lit[j+1:]
				}
			}
			x.scratch = append(x.scratch, lit...)
		}
	}
	val := x.scratch[start:]
	args, hadArgs := x.vs.Args()
	if redirect {
		v := unescapeRedirect(val)
		if addArgs && len(args) > 0 {
			if argsAt >= 0 {
				v = append(v, '&')
			} else {
				v = append(v, '?')
			}
			v = append(v, args...)
		}
		loc := x.keep(v)
		x.scratch = x.scratch[:start]
		if log {
			x.logEvent(levelNotice, `rewritten redirect: "`+string(loc)+`"`, "", "")
		}
		// The body is discarded by the redirect's special response,
		// which marks Expect answered first: no "100 Continue".
		x.out.setLocation(loc)
		x.finalize(st.Code)
		return scriptDone, true
	}
	var uri, newArgs []byte
	if argsAt >= 0 {
		uri = x.keep(val[:argsAt-1])
		a := val[argsAt:]
		if addArgs && len(args) > 0 {
			a = append(a, '&')
			a = append(a, args...)
		}
		newArgs = x.keep(a)
	} else {
		uri = x.keep(val)
		if addArgs {
			newArgs = args
		} else {
			newArgs = args[:0]
		}
	}
	x.scratch = x.scratch[:start]
	if log {
		x.logEvent(levelNotice, `rewritten data: "`+string(uri)+`", args: "`+string(newArgs)+`"`, "", "")
	}
	if len(uri) == 0 {
		x.logEvent(levelError, "the rewritten URI has a zero length", "", "")
		x.finalize(500)
		return scriptDone, true
	}
	x.uri = uri
	if argsAt >= 0 || hadArgs {
		// ngx_http_script_regex_end_code points r->args at a "?" part
		// of the replacement; without one it only shortens them (a
		// final "?"): a request without arguments keeps none ($args
		// not found), not empty ones.
		x.setArgs(newArgs)
	}
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

// escapeArgsBits is ngx_escape_uri's NGX_ESCAPE_ARGS table.
var escapeArgsBits = [8]uint32{
	0xffffffff,
	0xd800086d,
	0x50000000,
	0xb8000001,
	0xffffffff,
	0xffffffff,
	0xffffffff,
	0xffffffff,
}

// escapeRefreshBits is ngx_escape_uri's NGX_ESCAPE_REFRESH table (the URL
// of msie_refresh's page): controls, space, '"', '\”, '<', '>', '\\', '^',
// '`', '{', '|', '~', DEL and every byte of 0x80 and above.
var escapeRefreshBits = [8]uint32{
	0xffffffff,
	0x50000085,
	0x50000000,
	0xd8000001,
	0xffffffff,
	0xffffffff,
	0xffffffff,
	0xffffffff,
}

// appendEscapedArgs appends src with NGX_ESCAPE_ARGS applied.
func appendEscapedArgs(dst, src []byte) []byte { return appendEscaped(dst, src, &escapeArgsBits) }

// appendEscaped appends src, each byte whose bit is set in table written
// as %XX, as ngx_escape_uri does.
func appendEscaped(dst, src []byte, table *[8]uint32) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range src {
		if table[c>>5]&(1<<(c&0x1f)) != 0 {
			dst = append(dst, '%', hex[c>>4], hex[c&0xf])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// unescapeRedirect is ngx_unescape_uri with NGX_UNESCAPE_REDIRECT, into a
// new slice: %XX of a printable byte after '%' is decoded, others kept; a
// '?' (sent or decoded) ends the decoding and the rest is kept as is.
func unescapeRedirect(src []byte) []byte {
	out := make([]byte, 0, len(src)+16)
	for i := 0; i < len(src); i++ {
		ch := src[i]
		switch {
		case ch == '?':
			return append(out, src[i:]...)
		case ch != '%':
			out = append(out, ch)
			continue
		}
		// "%" then two characters, as nginx's state machine reads them.
		if i+1 >= len(src) {
			return out
		}
		hi, ok := unhexByte(src[i+1])
		if !ok {
			out = append(out, src[i+1])
			i++
			continue
		}
		if i+2 >= len(src) {
			return out
		}
		lo, ok := unhexByte(src[i+2])
		if !ok {
			i += 2
			continue
		}
		d := hi<<4 | lo
		switch {
		case d == '?' && src[i+2] > '9':
			return append(append(out, '?'), src[i+3:]...)
		case d > '%' && d < 0x7f:
			out = append(out, d)
		default:
			out = append(out, '%', src[i+1], src[i+2])
		}
		i += 2
	}
	return out
}

func unhexByte(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return c | 0x20 - 'a' + 10, true
	}
	return 0, false
}

// logRegex writes rewrite_log's line for a regex of rewrite or if
// (ngx_http_script_regex_start_code): whether it matched subject, before
// any "!" of the condition.
func (x *exchange) logRegex(re *directives.Regexp, subject []byte, matched bool) {
	verb := `" does not match "`
	if matched {
		verb = `" matches "`
	}
	x.logEvent(levelNotice, `"`+re.Source+verb+string(subject)+`"`, "", "")
}
