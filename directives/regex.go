package directives

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// nginx compiles regular expressions with PCRE2; nginxws uses Go's RE2
// (regexp). The two agree on the common syntax. A pattern PCRE accepts
// and RE2 cannot run the same way (look-around, back-references,
// possessive quantifiers, recursion, …) is a load error naming the
// construct and file:line, never a silently different match. A pattern
// PCRE itself rejects gets nginx's own "pcre2_compile() failed" message.

// Regexp is a compiled location, server_name, map, rewrite or if pattern.
type Regexp struct {
	*regexp.Regexp
	// Source is the pattern as written (without the "~" / "~*").
	Source string
	// Caseless is set for "~*" (PCRE2_CASELESS).
	Caseless bool
	// Names are the named captures, which nginx turns into variables.
	Names []string
}

// compileRegex compiles a pattern as ngx_regex_compile would, reporting
// errors at the directive.
func (l *loader) compileRegex(d *parser.Directive, pattern string, caseless bool) (*Regexp, error) {
	re, err := compileRegexp(pattern, caseless)
	if err != nil {
		return nil, errAt(d.Pos, "%s", err.Error())
	}
	if l.http != nil {
		for _, n := range re.Names {
			l.http.vars.declare(n)
		}
	}
	return re, nil
}

// compileRegexp is the position-free part of compileRegex.
func compileRegexp(pattern string, caseless bool) (*Regexp, error) {
	if what, at, ok := unsupportedConstruct(pattern); ok {
		return nil, fmt.Errorf(`regular expression "%s" uses %s at "%s", which nginxws does not support (Go's RE2 syntax)`, pattern, what, pattern[at:])
	}
	src := pattern
	if caseless {
		src = "(?i)" + pattern
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, pcreError(pattern, err)
	}
	var names []string
	seen := map[string]bool{}
	for _, n := range re.SubexpNames() {
		if n == "" {
			continue
		}
		if seen[n] {
			at := strings.Index(pattern, "<"+n+">")
			if second := strings.Index(pattern[at+1:], "<"+n+">"); second >= 0 {
				at = at + 1 + second + len(n) + 2
			}
			return nil, pcreFailed(pattern, "two named subpatterns have the same name (PCRE2_DUPNAMES not set)", at)
		}
		seen[n] = true
		names = append(names, n)
	}
	return &Regexp{Regexp: re, Source: pattern, Caseless: caseless, Names: names}, nil
}

// pcreFailed formats nginx's message for a pattern PCRE2 rejects; nginx
// adds `at "rest"` unless the error offset is the end of the pattern.
func pcreFailed(pattern, msg string, offset int) error {
	if offset < 0 || offset >= len(pattern) {
		return fmt.Errorf(`pcre2_compile() failed: %s in "%s"`, msg, pattern)
	}
	return fmt.Errorf(`pcre2_compile() failed: %s in "%s" at "%s"`, msg, pattern, pattern[offset:])
}

// pcreError translates a Go syntax error into PCRE2's message for the
// same mistake, where the mistake is one for both engines.
func pcreError(pattern string, err error) error {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return fmt.Errorf(`regular expression "%s" cannot be compiled: %v`, pattern, err)
	}
	switch se.Code {
	case syntax.ErrMissingParen:
		return pcreFailed(pattern, "missing closing parenthesis", len(pattern))
	case syntax.ErrUnexpectedParen:
		return pcreFailed(pattern, "unmatched closing parenthesis", unmatchedParen(pattern))
	case syntax.ErrMissingBracket:
		return pcreFailed(pattern, "missing terminating ] for character class", len(pattern))
	case syntax.ErrMissingRepeatArgument:
		return pcreFailed(pattern, "quantifier does not follow a repeatable item", strings.Index(pattern, se.Expr))
	case syntax.ErrInvalidRepeatOp:
		return pcreFailed(pattern, "quantifier does not follow a repeatable item", strings.Index(pattern, se.Expr)+1)
	case syntax.ErrTrailingBackslash:
		return pcreFailed(pattern, `\ at end of pattern`, len(pattern))
	case syntax.ErrInvalidCharRange:
		return pcreFailed(pattern, "range out of order in character class", strings.Index(pattern, se.Expr)+len(se.Expr)-1)
	case syntax.ErrInvalidRepeatSize:
		at := strings.Index(pattern, se.Expr)
		lo, hi, ok := repeatBounds(se.Expr)
		switch {
		case ok && hi >= 0 && hi < lo:
			return pcreFailed(pattern, "numbers out of order in {} quantifier", at+len(se.Expr)-1)
		case ok && (lo > 65535 || hi > 65535):
			return pcreFailed(pattern, "number too big in {} quantifier", at+len(se.Expr)-1)
		}
		return fmt.Errorf(`regular expression "%s" uses a repetition count above 1000 at "%s", which nginxws does not support (Go's RE2 syntax)`, pattern, pattern[max(at, 0):])
	case syntax.ErrInvalidEscape:
		at := strings.Index(pattern, se.Expr)
		if len(se.Expr) >= 2 && isLetter(se.Expr[1]) && !strings.ContainsRune(pcreEscapes, rune(se.Expr[1])) {
			return pcreFailed(pattern, `unrecognized character follows \`, at+1)
		}
		return fmt.Errorf(`regular expression "%s" uses the escape "%s" at "%s", which nginxws does not support (Go's RE2 syntax)`, pattern, se.Expr, pattern[max(at, 0):])
	case syntax.ErrInvalidPerlOp:
		at := strings.Index(pattern, se.Expr)
		return pcreFailed(pattern, "unrecognized character after (? or (?-", at+2)
	}
	return fmt.Errorf(`regular expression "%s" cannot be compiled by nginxws (Go's RE2 syntax): %s`, pattern, se.Code)
}

// pcreEscapes are the letters PCRE2 accepts after a backslash; another
// letter is its "unrecognized character follows \" error.
const pcreEscapes = "aAbBcdDeEfgGhHkKnNopPQrRsStvVwWxXzZ"

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// repeatBounds parses "{n}", "{n,}" or "{n,m}"; hi is -1 when open.
func repeatBounds(s string) (lo, hi int, ok bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	a, b, comma := strings.Cut(s, ",")
	lo, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, false
	}
	if !comma {
		return lo, lo, true
	}
	if b == "" {
		return lo, -1, true
	}
	hi, err = strconv.Atoi(b)
	return lo, hi, err == nil
}

// unmatchedParen finds the offset of the first ")" without its "(".
func unmatchedParen(p string) int {
	depth := 0
	inClass := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(p) && p[i+1] == ']' {
				i++
			}
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// unsupportedConstruct scans a pattern for PCRE syntax that RE2 lacks or
// reads differently. It returns what the construct is and its offset.
func unsupportedConstruct(p string) (what string, at int, found bool) {
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			e := p[i+1]
			switch {
			case !inClass && e >= '1' && e <= '9':
				return "a back-reference", i, true
			case e == 'g' || e == 'k':
				return "a back-reference", i, true
			case e == 'K':
				return `the match start reset "\K"`, i, true
			case e == 'G':
				return `the "\G" anchor`, i, true
			case strings.IndexByte("hHvVRXNeco", e) >= 0:
				return `the escape "\` + string(e) + `"`, i, true
			case e == 'Q':
				// \Q…\E quotes literally in both engines.
				end := strings.Index(p[i+2:], `\E`)
				if end < 0 {
					return "", 0, false
				}
				i += 2 + end + 1
				continue
			}
			i++
			continue
		}
		if inClass {
			if c == ']' {
				inClass = false
			}
			continue
		}
		switch c {
		case '[':
			inClass = true
			if i+1 < len(p) && p[i+1] == '^' {
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++
			}
		case '(':
			if what, ok := groupConstruct(p[i+1:]); ok {
				return what, i, true
			}
		case '*', '+', '?', '}':
			if i+1 < len(p) && p[i+1] == '+' && isQuantifier(p, i) {
				return "a possessive quantifier", i, true
			}
		}
	}
	return "", 0, false
}

// isQuantifier reports whether p[i] ends a quantifier (as opposed to a
// literal "}").
func isQuantifier(p string, i int) bool {
	if p[i] != '}' {
		return i > 0
	}
	open := strings.LastIndexByte(p[:i], '{')
	if open < 0 {
		return false
	}
	_, _, ok := repeatBounds(p[open : i+1])
	return ok
}

// groupConstruct classifies what follows "(" when it is PCRE-only syntax.
func groupConstruct(rest string) (string, bool) {
	if strings.HasPrefix(rest, "*") {
		return "a PCRE verb", true
	}
	if !strings.HasPrefix(rest, "?") {
		return "", false
	}
	r := rest[1:]
	switch {
	case strings.HasPrefix(r, "="):
		return `a look-ahead assertion "(?="`, true
	case strings.HasPrefix(r, "!"):
		return `a negative look-ahead assertion "(?!"`, true
	case strings.HasPrefix(r, "<="):
		return `a look-behind assertion "(?<="`, true
	case strings.HasPrefix(r, "<!"):
		return `a negative look-behind assertion "(?<!"`, true
	case strings.HasPrefix(r, ">"):
		return `an atomic group "(?>"`, true
	case strings.HasPrefix(r, "|"):
		return `a branch reset group "(?|"`, true
	case strings.HasPrefix(r, "("):
		return `a conditional group "(?("`, true
	case strings.HasPrefix(r, "#"):
		return `a comment group "(?#"`, true
	case strings.HasPrefix(r, "'"):
		return `a named group "(?'name'"`, true
	case strings.HasPrefix(r, "P="):
		return "a back-reference", true
	case strings.HasPrefix(r, "P>"), strings.HasPrefix(r, "&"), strings.HasPrefix(r, "R"):
		return "a subroutine call or recursion", true
	case strings.HasPrefix(r, "C"):
		return "a callout", true
	case len(r) > 0 && (r[0] >= '0' && r[0] <= '9' || r[0] == '+' || (r[0] == '-' && len(r) > 1 && r[1] >= '0' && r[1] <= '9')):
		return "a subroutine call or recursion", true
	}
	// Inline options: RE2 has i, m, s, U; PCRE's others change meaning.
	for j := 0; j < len(r); j++ {
		switch r[j] {
		case 'i', 'm', 's', 'U', '-':
			continue
		case 'x', 'n', 'J', 'X':
			return fmt.Sprintf(`the inline option "%c"`, r[j]), true
		}
		break
	}
	return "", false
}
