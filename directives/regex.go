package directives

import (
	"errors"
	"fmt"
	syntax2 "github.com/dlclark/regexp2/syntax"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"github.com/nginxws/nginxws/parser"
)

// nginx compiles regular expressions with PCRE2. nginxws runs them on
// Go's RE2 (regexp) where RE2 answers as PCRE would, and on a PCRE-style
// backtracking engine otherwise (pcre.go explains the split and the
// remaining differences). A pattern PCRE itself rejects gets nginx's own
// "pcre2_compile() failed" message; one PCRE accepts but neither engine
// can run (recursion, "\K", possessive quantifiers, …) is a load error
// naming the construct and file:line, never a silently different match.

// Regexp is a compiled location, server_name, map, rewrite or if pattern.
// It is immutable and safe for concurrent use. Matching goes through
// State.Match (which records the captures for $1…$9 and named captures)
// or the methods below, which follow PCRE's semantics whichever engine
// runs the pattern.
type Regexp struct {
	// Source is the pattern as written (without the "~" / "~*").
	Source string
	// Caseless is set for "~*" (PCRE2_CASELESS).
	Caseless bool
	// Names are the named captures, which nginx turns into variables, in
	// the order of their groups.
	Names []string

	re2  *regexp.Regexp  // nil when the pattern needs the PCRE engine
	pcre *regexp2.Regexp // set when it does
	// groups are the capturing groups in PCRE's numbering (group k is
	// groups[k-1]); nameGroup[i] is the group number of Names[i].
	groups    []pcreGroup
	nameGroup []int
	// dollar: the pattern has a "$" (see Regexp.needsTwin).
	dollar bool
	// prefix is the literal text a match must start with when the pattern
	// is anchored at the start ("^/api/…"): a subject without it fails
	// without running the engine, as most location and map regexes do.
	prefix string
	twin   *pcreTwin
	// nameVars are the Engine indexes of the Names' variables.
	nameVars []int32
}

// pcreTwin is the regexp2 form of an RE2 pattern, compiled on first need
// (most patterns never see a subject that needs it).
type pcreTwin struct {
	once     sync.Once
	info     *pcreInfo
	caseless bool
	re       *regexp2.Regexp // nil if the translation cannot be compiled
}

func (t *pcreTwin) get() *regexp2.Regexp {
	t.once.Do(func() {
		if t.info.unsup != "" || t.info.needsU || t.info.lookbehindAt >= 0 {
			return
		}
		re, err := compilePCRE(t.info, t.caseless)
		if err == nil {
			t.re = re
		}
	})
	return t.re
}

// compileRegex compiles a pattern as ngx_regex_compile would, reporting
// errors at the directive.
func (l *loader) compileRegex(d *parser.Directive, pattern string, caseless bool) (*Regexp, error) {
	re, err := compileRegexp(pattern, caseless)
	if err != nil {
		return nil, errAt(d.Pos, "%s", err.Error())
	}
	if l.http != nil {
		// ngx_http_regex_compile adds each named capture as a changeable
		// variable: a builtin that is not changeable is "the duplicate".
		for _, n := range re.Names {
			if err := l.addVariable(d, n); err != nil {
				return nil, err
			}
		}
	}
	return re, nil
}

// compileRegexp is the position-free part of compileRegex.
func compileRegexp(pattern string, caseless bool) (*Regexp, error) {
	info := scanPCRE(pattern)
	if info.pcreErr != "" {
		return nil, pcreFailed(pattern, info.pcreErr, info.pcreErrAt)
	}
	if info.lateErr != "" {
		return nil, pcreFailed(pattern, info.lateErr, info.lateErrAt)
	}
	if info.unsup != "" {
		return nil, unsupportedRegexp(pattern, info.unsup, info.unsupAt)
	}
	if info.lookbehindAt >= 0 {
		return nil, pcreFailed(pattern, "lookbehind assertion is not fixed length", info.lookbehindAt)
	}
	re := &Regexp{Source: pattern, Caseless: caseless, groups: info.groups, dollar: info.dollar}
	if err := re.setNames(pattern); err != nil {
		return nil, err
	}
	var re2Err error
	if info.needs == "" {
		src := pattern
		if caseless {
			src = "(?i)" + pattern
		}
		r, err := regexp.Compile(src)
		if err == nil && r.NumSubexp() == len(info.groups) {
			re.re2 = r
			re.twin = &pcreTwin{info: info, caseless: caseless}
			re.prefix = anchoredPrefix(src)
			return re, nil
		}
		if err != nil {
			perr, both := pcreError(pattern, err)
			if scan, ok := re2Scan(src, err); ok {
				// RE2 stopped at a Latin-1 byte before any syntax error:
				// look for one with the bytes made ASCII.
				if _, serr := regexp.Compile(scan); serr != nil {
					perr, both = pcreErrorIn(pattern, scan[len(src)-len(pattern):], serr)
				}
			}
			if both {
				return nil, perr
			}
			re2Err = perr
		}
		// RE2 rejects what PCRE accepts (a repetition above 1000, an
		// escape RE2 lacks): the PCRE engine takes the pattern.
	}
	if info.needsU {
		return nil, unsupportedRegexp(pattern, `the inline option "U" with look-around or back-references`, strings.Index(pattern, "U"))
	}
	pc, err := compilePCRE(info, caseless)
	if err != nil {
		var e2 *syntax2.Error
		if errors.As(err, &e2) && e2.Code == syntax2.ErrMissingParen {
			// A group PCRE2 has and RE2 lacks ("(?=", "(?>", …) left
			// open, or one RE2 stopped short of (at a Latin-1 byte).
			return nil, pcreFailed(pattern, "missing closing parenthesis", len(pattern))
		}
		if errors.As(err, &e2) && e2.Code == syntax2.ErrUnexpectedParen {
			return nil, pcreFailed(pattern, "unmatched closing parenthesis", unmatchedParen(pattern))
		}
		if re2Err != nil {
			return nil, re2Err
		}
		return nil, fmt.Errorf(`regular expression "%s" cannot be compiled by nginxws: %v`, pattern, err)
	}
	re.pcre = pc
	return re, nil
}

// anchoredPrefix returns the literal prefix of a pattern anchored at the
// start of the text, "" otherwise (or when the prefix is caseless). The
// prefix is made of literal bytes, which both engines match as they are.
func anchoredPrefix(src string) string {
	parsed, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return ""
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil || prog.StartCond()&syntax.EmptyBeginText == 0 {
		return ""
	}
	var b []byte
	pc := uint32(prog.Start)
	for steps := 0; steps < len(prog.Inst); steps++ {
		in := &prog.Inst[pc]
		switch in.Op {
		case syntax.InstNop, syntax.InstCapture, syntax.InstEmptyWidth:
			pc = in.Out
			continue
		case syntax.InstRune1:
			if sameBytes(src, in.Rune[0]) {
				b = utf8.AppendRune(b, in.Rune[0])
				pc = in.Out
				continue
			}
		case syntax.InstRune:
			if len(in.Rune) == 1 && sameBytes(src, in.Rune[0]) && syntax.Flags(in.Arg)&syntax.FoldCase == 0 {
				b = utf8.AppendRune(b, in.Rune[0])
				pc = in.Out
				continue
			}
		}
		break
	}
	return string(b)
}

// sameBytes reports whether RE2's character r stands for the same bytes
// to PCRE: an ASCII character, or a non-ASCII one written literally in
// the pattern as UTF-8. An escape such as "\xff" is the character U+00FF
// (two bytes in UTF-8) to RE2 but the byte 0xff to PCRE without UTF, so a
// prefix made of it would refuse the very subjects PCRE matches.
func sameBytes(src string, r rune) bool {
	return r < utf8.RuneSelf || strings.Contains(src, string(r))
}

// unsupportedRegexp is the error for a construct neither engine runs.
func unsupportedRegexp(pattern, what string, at int) error {
	return fmt.Errorf(`regular expression "%s" uses %s at "%s", which nginxws does not support`, pattern, what, pattern[max(at, 0):])
}

// setNames fills Names from the groups, with PCRE2's error for a name
// used twice.
func (re *Regexp) setNames(pattern string) error {
	seen := map[string]bool{}
	for k, g := range re.groups {
		n := g.name
		if n == "" {
			continue
		}
		if seen[n] {
			at := strings.Index(pattern, "<"+n+">")
			if second := strings.Index(pattern[at+1:], "<"+n+">"); second >= 0 {
				at = at + 1 + second + len(n) + 2
			}
			return pcreFailed(pattern, "two named subpatterns have the same name (PCRE2_DUPNAMES not set)", at)
		}
		seen[n] = true
		re.Names = append(re.Names, n)
		re.nameGroup = append(re.nameGroup, k+1)
	}
	return nil
}

// String returns the pattern as written.
func (re *Regexp) String() string { return re.Source }

// NumSubexp returns the number of capturing groups.
func (re *Regexp) NumSubexp() int { return len(re.groups) }

// SubexpNames returns the names of the groups, "" for unnamed ones;
// element 0 stands for the whole match, as in package regexp.
func (re *Regexp) SubexpNames() []string {
	names := make([]string, len(re.groups)+1)
	for k, g := range re.groups {
		names[k+1] = g.name
	}
	return names
}

// Match reports whether b contains a match, as PCRE would find it. A
// match the PCRE engine abandons (see pcreMatchTimeout) counts as none.
func (re *Regexp) Match(b []byte) bool {
	rc, _ := re.exec(b, nil, nil)
	return rc > 0
}

// MatchString is Match for a string.
func (re *Regexp) MatchString(s string) bool { return re.Match([]byte(s)) }

// FindSubmatchIndex returns the byte offsets of the match and of each
// group (-1 for a group that took no part), or nil without a match: the
// same shape as package regexp's method, with PCRE's answer.
func (re *Regexp) FindSubmatchIndex(b []byte) []int {
	caps := make([]int, 2*(len(re.groups)+1))
	rc, _ := re.exec(b, caps, nil)
	if rc == 0 {
		return nil
	}
	return caps
}

// needsTwin reports whether RE2 could read subject differently from PCRE
// (see pcre.go): a byte ≥ 0x80 or a vertical tab, or a final newline
// when the pattern has "$".
func (re *Regexp) needsTwin(subject []byte) bool {
	n := len(subject)
	if re.dollar && n > 0 && subject[n-1] == '\n' {
		return true
	}
	for _, c := range subject {
		if c >= 0x80 || c == 0x0b {
			return true
		}
	}
	return false
}

// exec matches subject, filling caps (when not nil) with pairs of byte
// offsets, -1 for groups that took no part. It returns 0 without a match,
// else 1 + the number of the highest group that took part, as
// pcre2_match. runes, when not nil, is a reusable buffer for the PCRE
// engine.
func (re *Regexp) exec(subject []byte, caps []int, runes *[]rune) (int, error) {
	if re.prefix != "" && (len(subject) < len(re.prefix) || string(subject[:len(re.prefix)]) != re.prefix) {
		return 0, nil
	}
	if re.pcre != nil {
		return re.pcreExec(re.pcre, subject, caps, runes)
	}
	if re.needsTwin(subject) {
		if tw := re.twin.get(); tw != nil {
			return re.pcreExec(tw, subject, caps, runes)
		}
	}
	if caps == nil {
		if re.re2.Match(subject) {
			return 1, nil
		}
		return 0, nil
	}
	idx := re.re2.FindSubmatchIndex(subject)
	if idx == nil {
		return 0, nil
	}
	rc := 1
	for k := 0; 2*k+1 < len(idx); k++ {
		if idx[2*k] >= 0 {
			rc = k + 1
		}
	}
	n := copy(caps, idx)
	for ; n < len(caps); n++ {
		caps[n] = -1
	}
	return rc, nil
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
// same mistake. both reports whether PCRE2 rejects the pattern too; when
// it does not, the PCRE engine may still take it.
func pcreError(pattern string, err error) (error, bool) {
	return pcreErrorIn(pattern, pattern, err)
}

// pcreErrorIn is pcreError for an error Go found in scan, a copy of the
// pattern of the same length (see re2Scan): offsets are taken in scan,
// the message shows the pattern.
func pcreErrorIn(pattern, scan string, err error) (error, bool) {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return fmt.Errorf(`regular expression "%s" cannot be compiled: %v`, pattern, err), false
	}
	switch se.Code {
	case syntax.ErrMissingParen:
		return pcreFailed(pattern, "missing closing parenthesis", len(pattern)), true
	case syntax.ErrUnexpectedParen:
		return pcreFailed(pattern, "unmatched closing parenthesis", unmatchedParen(scan)), true
	case syntax.ErrMissingBracket:
		return pcreFailed(pattern, "missing terminating ] for character class", len(pattern)), true
	case syntax.ErrMissingRepeatArgument:
		return pcreFailed(pattern, "quantifier does not follow a repeatable item", strings.Index(scan, se.Expr)), true
	case syntax.ErrInvalidRepeatOp:
		// PCRE2 points at the last byte of the second quantifier.
		return pcreFailed(pattern, "quantifier does not follow a repeatable item", strings.Index(scan, se.Expr)+len(se.Expr)-1), true
	case syntax.ErrTrailingBackslash:
		return pcreFailed(pattern, `\ at end of pattern`, len(pattern)), true
	case syntax.ErrInvalidCharRange:
		at := strings.Index(scan, se.Expr)
		switch {
		case strings.HasPrefix(se.Expr, "[:") && strings.HasSuffix(se.Expr, ":]"):
			return pcreFailed(pattern, "unknown POSIX class name", at+2), true
		case strings.HasPrefix(se.Expr, `\p`) || strings.HasPrefix(se.Expr, `\P`):
			if rest := se.Expr[2:]; propertyMalformed(rest) {
				end := at + min(len(se.Expr), 3) // after the one character read
				if strings.HasPrefix(rest, "{") {
					end = len(pattern) // PCRE2 read to the end for the "}"
				}
				return pcreFailed(pattern, `malformed \P or \p sequence`, end), true
			}
			return pcreFailed(pattern, `unknown property after \P or \p`, at+len(se.Expr)), true
		}
		return pcreFailed(pattern, "range out of order in character class", at+len(se.Expr)-1), true
	case syntax.ErrInvalidRepeatSize:
		at := strings.Index(scan, se.Expr)
		lo, hi, ok := repeatBounds(se.Expr)
		switch {
		case ok && hi >= 0 && hi < lo:
			return pcreFailed(pattern, "numbers out of order in {} quantifier", at+len(se.Expr)-1), true
		case ok && (lo > 65535 || hi > 65535):
			return pcreFailed(pattern, "number too big in {} quantifier", at+len(se.Expr)-1), true
		}
		return fmt.Errorf(`regular expression "%s" uses a repetition count above 1000 at "%s", which nginxws cannot run`, pattern, pattern[max(at, 0):]), false
	case syntax.ErrInvalidEscape:
		at := strings.Index(scan, se.Expr)
		if len(se.Expr) >= 2 && isLetter(se.Expr[1]) && !strings.ContainsRune(pcreEscapes, rune(se.Expr[1])) {
			return pcreFailed(pattern, `unrecognized character follows \`, at+1), true
		}
		return fmt.Errorf(`regular expression "%s" uses the escape "%s" at "%s", which nginxws cannot run`, pattern, se.Expr, pattern[max(at, 0):]), false
	case syntax.ErrInvalidPerlOp:
		at := strings.Index(scan, se.Expr)
		if opts := strings.TrimLeft(scan[at+2:], "imsxnUJ-^"); opts == "" {
			// "(?i" with nothing after: PCRE2 reads on for the ")".
			return pcreFailed(pattern, "missing closing parenthesis", len(pattern)), true
		}
		return pcreFailed(pattern, "unrecognized character after (? or (?-", at+2), true
	}
	return fmt.Errorf(`regular expression "%s" cannot be compiled by nginxws: %s`, pattern, se.Code), false
}

// re2Scan returns, for a pattern RE2 refused as invalid UTF-8, a copy of
// the same length with every byte from 0x80 made a "~" (the highest ASCII
// literal, so "[\xe9-a]" stays out of order): PCRE2 (without UTF) reads
// such a byte as a literal, escaped or not, so the copy has the pattern's
// syntax errors at the same offsets.
func re2Scan(src string, err error) (string, bool) {
	var se *syntax.Error
	if !errors.As(err, &se) || se.Code != syntax.ErrInvalidUTF8 {
		return "", false
	}
	b := []byte(src)
	for i, c := range b {
		if c >= utf8.RuneSelf {
			b[i] = '~'
		}
	}
	return string(b), true
}

// propertyMalformed reports whether what follows a \p or \P that Go
// rejects is PCRE2's "malformed" sequence rather than an unknown property
// name (get_ucp): nothing at all, a "{" with no "}", or a single character
// that is not an ASCII letter.
func propertyMalformed(rest string) bool {
	switch {
	case rest == "":
		return true
	case rest[0] == '{':
		return !strings.Contains(rest, "}")
	}
	return !isLetter(rest[0])
}

// pcreEscapes are the letters PCRE2 accepts after a backslash; another
// letter is its "unrecognized character follows \" error.
const pcreEscapes = "aAbBcdDeEfgGhHkKnNopPQrRsStvVwWxXzZ"

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// repeatBounds parses "{n}", "{n,}" or "{n,m}"; hi is -1 when open.
func repeatBounds(s string) (lo, hi int, ok bool) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	a, b, comma := strings.Cut(s, ",")
	// Digits only, as PCRE2's read_repeat_counts ("{+1}" is literal);
	// counts past any bound saturate (the callers check 65535).
	count := func(d string) (int, bool) {
		if d == "" || strings.Trim(d, "0123456789") != "" {
			return 0, false
		}
		n := 0
		for i := 0; i < len(d); i++ {
			n = min(n*10+int(d[i]-'0'), 1<<30)
		}
		return n, true
	}
	lo, ok = count(a)
	if !ok {
		return 0, 0, false
	}
	if !comma {
		return lo, lo, true
	}
	if b == "" {
		return lo, -1, true
	}
	hi, ok = count(b)
	return lo, hi, ok
}

// leadingZeroCount reports whether a quantifier "{…}" has a count
// written with a leading zero.
func leadingZeroCount(q string) bool {
	for _, c := range strings.Split(q[1:len(q)-1], ",") {
		if len(c) > 1 && c[0] == '0' {
			return true
		}
	}
	return false
}

// repeatCountError is PCRE2's error for the counts of the quantifier
// q (from "{" to "}") at offset i of the pattern, "" if none: a count
// above 65535 is "number too big" just after the digit that passed it,
// a maximum below the minimum "numbers out of order" at the "}".
func repeatCountError(q string, i int) (string, int) {
	n := 0
	for k := 1; k < len(q)-1; k++ {
		if q[k] == ',' {
			n = 0
			continue
		}
		if n = n*10 + int(q[k]-'0'); n > 65535 {
			return "number too big in {} quantifier", i + k + 1
		}
	}
	if lo, hi, _ := repeatBounds(q); hi >= 0 && hi < lo {
		return "numbers out of order in {} quantifier", i + len(q) - 1
	}
	return "", 0
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
