package directives

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// nginx matches with PCRE2, compiled without UTF: a pattern and a subject
// are sequences of bytes. nginxws uses Go's RE2 (regexp) where it gives
// the same answer, and a backtracking engine with PCRE's features
// (github.com/dlclark/regexp2, a port of .NET's engine) where it cannot:
//
//   - patterns with constructs RE2 lacks (look-around, back-references,
//     atomic groups, "\Z", "(?#…)", "(?x)", …) always run on regexp2;
//   - other patterns run on RE2, except for subjects on which RE2 would
//     read the pattern differently from PCRE: a subject with a byte ≥ 0x80
//     (RE2 reads UTF-8, so "." and "[^/]" take a whole character and
//     "(?i)" folds non-ASCII letters; PCRE takes one byte and folds ASCII
//     only), a vertical tab (PCRE's "\s" has it, RE2's not), or, when the
//     pattern has a "$", a subject ending in "\n" (PCRE's "$" also matches
//     before a final newline). Those go to a regexp2 twin of the pattern,
//     compiled on first need.
//
// regexp2 runs in "Latin-1" mode here: every pattern and subject byte is
// one code point (U+0000–U+00FF), so "." matches one byte and capture
// offsets are byte offsets, as in PCRE. The pattern is translated so that
// regexp2 reads it as PCRE does: "\d", "\w", "\s" and POSIX classes are
// spelled as their ASCII sets (regexp2's are Unicode), "\h", "\v", "\R",
// "\N" become their sets, "\Q…\E" is escaped, "(?P<n>" / "(?'n'" become
// "(?<n>", and back-references are renumbered (.NET numbers named groups
// after unnamed ones; PCRE numbers all groups left to right).
//
// Remaining differences, on bytes ≥ 0x80 only: regexp2's "\b" and "\W"
// or "\S" inside a bracket class use Unicode's word and space sets over
// those code points, and its caseless matching folds Latin-1 letters
// (0xC0–0xDE with 0xE0–0xFE), where PCRE's default tables know ASCII only.
// Constructs neither engine runs (recursion, subroutine calls, "\K",
// possessive quantifiers, branch reset, conditionals, verbs, callouts)
// are a load error naming the construct and file:line.

// pcreMatchTimeout bounds one regexp2 match. PCRE2 stops a runaway match
// with its match limit and nginx then answers 500 (or, for a map, uses
// the default); regexp2 has no step limit, only a clock.
const pcreMatchTimeout = time.Second

// pcreGroup is one capturing group in PCRE's numbering.
type pcreGroup struct {
	name string // "" for an unnamed group
	// netNum is the group's number in regexp2's (.NET's) numbering, for
	// an unnamed group; named groups are found by name.
	netNum int
}

// pcreInfo is what reading a pattern with PCRE's syntax tells.
type pcreInfo struct {
	groups []pcreGroup
	// needs is the first construct RE2 lacks (at needsAt), "" if none.
	needs   string
	needsAt int
	// unsup is the first construct neither engine runs (at unsupAt).
	unsup   string
	unsupAt int
	// dollar is set when the pattern has a "$" anchor.
	dollar bool
	// needsU is set by the inline option "U" (ungreedy), which RE2 has
	// and regexp2 lacks.
	needsU bool
	// lookbehindAt is the offset of a look-behind that is not of fixed
	// length (PCRE2 10.42, Debian 12's, rejects it), -1 if none.
	lookbehindAt int
	// pcreErr is the first error PCRE2 reports while it parses the
	// pattern (at pcreErrAt), "" if none; lateErr the first it reports
	// once the pattern is read (a reference to a group that does not
	// exist), which a parse error anywhere takes precedence over.
	pcreErr   string
	pcreErrAt int
	lateErr   string
	lateErrAt int
	// translated is the pattern for regexp2, as Latin-1 code points.
	translated string
}

// scanPCRE reads a pattern the way PCRE2 would and prepares its regexp2
// form. It makes two passes: the first numbers the groups, the second
// translates back-references with that numbering.
func scanPCRE(p string) *pcreInfo {
	info := &pcreInfo{lookbehindAt: -1}
	s := pcreScanner{p: p, info: info}
	s.run(false)
	unnamed := 0
	for i := range info.groups {
		if info.groups[i].name == "" {
			unnamed++
			info.groups[i].netNum = unnamed
		}
	}
	if info.unsup == "" {
		t := pcreScanner{p: p, info: &pcreInfo{lookbehindAt: -1, groups: info.groups}}
		t.run(true)
		info.translated = t.out.String()
		if t.info.unsup != "" {
			info.unsup, info.unsupAt = t.info.unsup, t.info.unsupAt
		}
		info.lateErr, info.lateErrAt = t.info.lateErr, t.info.lateErrAt
	}
	return info
}

// pcreScanner walks one pattern.
type pcreScanner struct {
	p    string
	info *pcreInfo
	out  strings.Builder
	emit bool // second pass: write the translation
	// ngroups counts the capturing groups opened so far (PCRE's numbering
	// of the next one is ngroups+1).
	ngroups int
	xmode   bool // an "x" option was seen: whitespace and "#…" are ignored
	// partial: group stopped inside a construct it refuses or found broken
	// (a verb, a call, a bad name), so what follows is no sure sign of a
	// quantifier with nothing to repeat.
	partial bool
}

func (s *pcreScanner) needs(what string, at int) {
	if s.info.needs == "" {
		s.info.needs, s.info.needsAt = what, at
	}
}

// fail records PCRE2's parse error for the pattern (the first one).
func (s *pcreScanner) fail(msg string, at int) {
	if s.info.pcreErr == "" {
		s.info.pcreErr, s.info.pcreErrAt = msg, at
	}
}

// failLate records PCRE2's error for a reference to a missing group.
func (s *pcreScanner) failLate(msg string, at int) {
	if s.info.lateErr == "" {
		s.info.lateErr, s.info.lateErrAt = msg, at
	}
}

func (s *pcreScanner) unsupported(what string, at int) {
	if s.info.unsup == "" {
		s.info.unsup, s.info.unsupAt = what, at
	}
}

// lit writes pattern bytes as Latin-1 code points.
func (s *pcreScanner) lit(b string) {
	if !s.emit {
		return
	}
	for i := 0; i < len(b); i++ {
		if b[i] < utf8.RuneSelf {
			s.out.WriteByte(b[i])
		} else {
			s.out.WriteRune(rune(b[i]))
		}
	}
}

// raw writes ASCII translation text.
func (s *pcreScanner) raw(t string) {
	if s.emit {
		s.out.WriteString(t)
	}
}

// quoteByte writes one byte as a literal, escaped for regexp2.
func (s *pcreScanner) quoteByte(c byte, inClass bool) {
	if !s.emit {
		return
	}
	switch {
	case c >= utf8.RuneSelf:
		s.out.WriteRune(rune(c))
	case c < 0x20 || c == 0x7f:
		fmt.Fprintf(&s.out, `\x%02X`, c)
	case strings.IndexByte(`\^$.|?*+()[]{}-#/ `, c) >= 0 || (inClass && c == ']'):
		s.out.WriteByte('\\')
		s.out.WriteByte(c)
	default:
		s.out.WriteByte(c)
	}
}

func (s *pcreScanner) run(emit bool) {
	s.emit = emit
	p := s.p
	afterAtom := false // the previous item can take a quantifier
	for i := 0; i < len(p); {
		c := p[i]
		if s.xmode && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			s.lit(p[i : i+1])
			i++
			continue
		}
		if s.xmode && c == '#' {
			j := strings.IndexByte(p[i:], '\n')
			if j < 0 {
				j = len(p) - i
			}
			s.lit(p[i : i+j])
			i += j
			continue
		}
		switch c {
		case '\\':
			prev := afterAtom
			start := i
			i = s.escape(i, &afterAtom)
			if item := p[start:i]; item == `\E` || item == `\Q\E` || item == `\Q` {
				// PCRE skips a stray or empty quote: what follows
				// quantifies the item before it.
				afterAtom = prev
			}
		case '[':
			if i+1 < len(p) && (p[i+1] == ':' || p[i+1] == '.' || p[i+1] == '=') && posixSyntax(p, i) >= 0 {
				if p[i+1] == ':' {
					s.fail("POSIX named classes are supported only within a class", i)
				} else {
					s.fail("POSIX collating elements are not supported", i)
				}
			}
			i = s.class(i)
			afterAtom = true
		case '(':
			prev := afterAtom
			comment := strings.HasPrefix(p[i:], "(?#")
			start := i
			i = s.group(i)
			afterAtom = comment && prev || s.partial // a comment is skipped likewise
			s.partial = false
			if i < len(p) && p[i] == ')' && strings.HasPrefix(p[start:], "(?") && strings.Trim(p[start+2:i], "imsxnUJX-^") == "" {
				// "(?i)" sets options: there is nothing to repeat.
				s.lit(")")
				i++
			}
		case ')':
			s.lit(")")
			i++
			afterAtom = true
		case '$':
			s.info.dollar = true
			s.lit("$")
			i++
			afterAtom = false
		case '*', '+', '?':
			if !afterAtom {
				// After an assertion (^, $, \b, \B, \A, \z, \Z, \G), an
				// option setting, "|", "(" or the start, PCRE2 has
				// nothing to repeat (RE2 repeats assertions silently).
				s.fail("quantifier does not follow a repeatable item", i)
			}
			s.lit(p[i : i+1])
			i++
			i = s.afterQuantifier(i, afterAtom)
			afterAtom = false
		case '{':
			n := quantifierLen(p[i:])
			if n > 0 {
				if msg, at := repeatCountError(p[i:i+n], i); msg != "" {
					s.fail(msg, at)
				}
				if leadingZeroCount(p[i : i+n]) {
					// A count with a leading zero ("{02}") is a count for
					// PCRE2 and literal text for RE2.
					s.needs("a repetition count with a leading zero", i)
				}
			}
			if n > 0 && !afterAtom {
				// PCRE2 points at the quantifier's "}".
				s.fail("quantifier does not follow a repeatable item", i+n-1)
			} else if n > 0 {
				s.lit(p[i : i+n])
				i = s.afterQuantifier(i+n, true)
				afterAtom = false
				continue
			}
			s.lit("{")
			i++
			afterAtom = true
		default:
			s.lit(p[i : i+1])
			i++
			afterAtom = c != '|' && c != '^'
		}
	}
}

// afterQuantifier handles what may follow a quantifier ending before i: a
// lazy "?", or a possessive "+".
func (s *pcreScanner) afterQuantifier(i int, quantified bool) int {
	if i < len(s.p) && s.p[i] == '+' && quantified {
		s.unsupported("a possessive quantifier", i-1)
		return i + 1
	}
	if i < len(s.p) && s.p[i] == '?' {
		s.lit("?")
		return i + 1
	}
	return i
}

// quantifierLen returns the length of a "{n}", "{n,}" or "{n,m}"
// quantifier at the start of s, 0 if s does not start with one (PCRE then
// reads "{" literally).
func quantifierLen(s string) int {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return 0
	}
	if _, _, ok := repeatBounds(s[:end+1]); !ok {
		return 0
	}
	return end + 1
}

// posixClasses are the POSIX bracket names PCRE knows, as ASCII sets.
var posixClasses = map[string]string{
	"alpha":  `a-zA-Z`,
	"alnum":  `a-zA-Z0-9`,
	"ascii":  `\x00-\x7F`,
	"blank":  `\t\x20`,
	"cntrl":  `\x00-\x1F\x7F`,
	"digit":  `0-9`,
	"graph":  `!-~`,
	"lower":  `a-z`,
	"print":  `\x20-~`,
	"punct":  `!-/:-@\[-` + "`" + `{-~`,
	"space":  `\t\n\x0B\f\r\x20`,
	"upper":  `A-Z`,
	"word":   `a-zA-Z0-9_`,
	"xdigit": `0-9A-Fa-f`,
}

// The ASCII sets PCRE (without UCP) gives its class escapes, for use
// inside a bracket class.
const (
	setDigit = `0-9`
	setWord  = `a-zA-Z0-9_`
	setSpace = `\t\n\x0B\f\r\x20`
	setH     = `\t\x20\xA0`
	setV     = `\n\x0B\f\r\x85`
)

// escape handles a backslash sequence outside a class at p[i].
func (s *pcreScanner) escape(i int, afterAtom *bool) int {
	p := s.p
	if i+1 >= len(p) {
		s.lit(`\`)
		return i + 1
	}
	e := p[i+1]
	*afterAtom = true
	switch {
	case e >= '1' && e <= '9':
		j := i + 1
		for j < len(p) && p[j] >= '0' && p[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(p[i+1 : j])
		if n >= 10 && e != '8' && e != '9' && n > s.ngroups {
			// PCRE2 reads "\10" as an octal escape unless that many
			// groups precede it: up to three octal digits.
			k := i + 1
			v := 0
			for k < len(p) && k < i+4 && p[k] >= '0' && p[k] <= '7' {
				v = v*8 + int(p[k]-'0')
				k++
			}
			if s.emit {
				fmt.Fprintf(&s.out, `\x%02X`, v&0xff)
			}
			return k
		}
		s.needs("a back-reference", i)
		s.backref(n, "", i+1)
		return j
	case e == 'g':
		return s.gEscape(i)
	case e == 'k':
		return s.kEscape(i)
	case e == 'K':
		s.unsupported(`the match start reset "\K"`, i)
		*afterAtom = false // PCRE2: "\K+" has nothing to repeat
	case e == 'G':
		s.needs(`the "\G" anchor`, i)
		s.raw(`\A`) // one match from offset 0: \G is \A
		*afterAtom = false
	case e == 'X' || e == 'C':
		s.unsupported(`the escape "\`+string(e)+`"`, i)
	case e == 'o':
		return s.octalEscape(i)
	case e == 'u' || e == 'U' || e == 'l' || e == 'L' || e == 'F':
		s.fail(`PCRE2 does not support \F, \L, \l, \N{name}, \U, or \u`, i+2)
	case e == 'N' && i+2 < len(p) && p[i+2] == '{' && quantifierLen(p[i+2:]) == 0:
		if strings.HasPrefix(p[i+3:], "U+") {
			s.fail(`\N{U+dddd} is supported only in Unicode (UTF) mode`, i+2)
		} else {
			s.fail(`PCRE2 does not support \F, \L, \l, \N{name}, \U, or \u`, i+2)
		}
	case e == 'h':
		s.needs(`the escape "\h"`, i)
		s.raw("[" + setH + "]")
	case e == 'H':
		s.needs(`the escape "\H"`, i)
		s.raw("[^" + setH + "]")
	case e == 'v':
		s.needs(`the escape "\v"`, i)
		s.raw("[" + setV + "]")
	case e == 'V':
		s.needs(`the escape "\V"`, i)
		s.raw("[^" + setV + "]")
	case e == 'R':
		s.needs(`the escape "\R"`, i)
		s.raw(`(?:\r\n|[` + setV + `])`)
	case e == 'N':
		s.needs(`the escape "\N"`, i)
		s.raw(`[^\n]`)
	case e == 'e' || e == 'c':
		s.needs(`the escape "\`+string(e)+`"`, i)
		if e == 'c' && i+2 < len(p) {
			s.ctrl(p[i+2])
			return i + 3
		}
		if e == 'c' {
			s.fail(`\c at end of pattern`, len(p))
		}
		s.lit(p[i : i+2])
	case e == 'Z':
		s.needs(`the anchor "\Z"`, i)
		s.raw(`\Z`)
		*afterAtom = false
	case e == 'd':
		s.raw("[" + setDigit + "]")
	case e == 'D':
		s.raw("[^" + setDigit + "]")
	case e == 'w':
		s.raw("[" + setWord + "]")
	case e == 'W':
		s.raw("[^" + setWord + "]")
	case e == 's':
		s.raw("[" + setSpace + "]")
	case e == 'S':
		s.raw("[^" + setSpace + "]")
	case e == 'Q':
		end := strings.Index(p[i+2:], `\E`)
		body := p[i+2:]
		next := len(p)
		if end >= 0 {
			body, next = p[i+2:i+2+end], i+2+end+2
		}
		for k := 0; k < len(body); k++ {
			s.quoteByte(body[k], false)
		}
		*afterAtom = len(body) > 0
		return next
	case e == 'E':
		// A stray \E is ignored by PCRE.
		*afterAtom = false
	case e == 'x':
		return s.hexEscape(i)
	case e == 'b' || e == 'B' || e == 'A' || e == 'z':
		s.lit(p[i : i+2])
		*afterAtom = false
	case e == 'p' || e == 'P':
		j := i + 2
		if j < len(p) && p[j] == '{' {
			if k := strings.IndexByte(p[j:], '}'); k >= 0 {
				j += k + 1
			}
		} else if j < len(p) {
			j++
		}
		s.lit(p[i:j])
		return j
	case e >= utf8.RuneSelf:
		// A backslash before a byte that is no letter or digit makes it
		// literal; regexp2 knows no escaped Latin-1 letter.
		s.quoteByte(e, false)
	default:
		s.lit(p[i : i+2])
	}
	return i + 2
}

// ctrl writes "\cX" as the code PCRE2 gives it, X upper-cased with bit 6
// flipped ("\c{" is ";"), as regexp2's "\xHH": regexp2 reads "\c" only
// before a letter.
func (s *pcreScanner) ctrl(x byte) {
	if x >= 'a' && x <= 'z' {
		x -= 'a' - 'A'
	}
	if s.emit {
		fmt.Fprintf(&s.out, `\x%02X`, x^0x40)
	}
}

// hexEscape translates "\xH", "\xHH" and "\x{H…}" to regexp2's "\xHH".
func (s *pcreScanner) hexEscape(i int) int {
	p := s.p
	j := i + 2
	if j < len(p) && p[j] == '{' {
		v, next, ok := s.bracedCode(j+1, 16)
		if ok && s.emit {
			fmt.Fprintf(&s.out, `\x%02X`, v)
		}
		return next
	}
	// "\x" and up to two hex digits ("\x" alone is NUL).
	k := j
	for k < len(p) && k < j+2 && isHex(p[k]) {
		k++
	}
	v, _ := strconv.ParseUint(p[j:k], 16, 8)
	if s.emit {
		fmt.Fprintf(&s.out, `\x%02X`, v)
	}
	return k
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// backref writes a back-reference to PCRE group n (or to name) in
// regexp2's terms.
//
// at is where PCRE2 reports a reference to a group that does not exist.
func (s *pcreScanner) backref(n int, name string, at int) {
	if !s.emit {
		return
	}
	if name != "" {
		found := false
		for _, g := range s.info.groups {
			found = found || g.name == name
		}
		if !found {
			s.failLate("reference to non-existent subpattern", at)
		}
		s.raw(`\k<` + name + `>`)
		return
	}
	if n < 1 || n > len(s.info.groups) {
		s.failLate("reference to non-existent subpattern", at)
		return
	}
	g := s.info.groups[n-1]
	if g.name != "" {
		s.raw(`\k<` + g.name + `>`)
		return
	}
	// (?:) keeps a following digit from joining the number.
	s.raw(`\` + strconv.Itoa(g.netNum) + `(?:)`)
}

// gEscape handles "\g": "\gN", "\g{N}", "\g{-N}", "\g-N" and "\g{name}"
// are back-references; "\g<…>" and "\g'…'" are subroutine calls.
func (s *pcreScanner) gEscape(i int) int {
	p := s.p
	j := i + 2
	if j < len(p) && (p[j] == '<' || p[j] == '\'') {
		closer := byte('>')
		if p[j] == '\'' {
			closer = '\''
		}
		if _, _, end, ok := parseSignedNumber(p, j+1); ok {
			if end >= len(p) || p[end] != closer {
				s.fail(`\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number`, j)
				return end
			}
			s.unsupported("a subroutine call", i)
			s.partial = true
			return j
		}
		if msg, at := groupNameError(p, j+1, closer); msg != "" {
			s.fail(msg, at)
			return at
		}
		s.unsupported("a subroutine call", i)
		s.partial = true
		return j
	}
	// Where PCRE2 reports a missing group: "\gN" at N, "\g{N}" at "}",
	// "\g{-N}" at "{", "\g-N" after N, "\g{name}" at the name.
	const notFollowed = `\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number`
	// number reads PCRE2's read_number at p[k]: an optional sign and
	// digits; ok is false when there are no digits.
	number := func(k int) (sign byte, n, end int, ok bool) { return parseSignedNumber(p, k) }
	var ref string
	var n int
	at := j
	byName := false
	if j < len(p) && p[j] == '{' {
		sign, v, k, ok := number(j + 1)
		switch {
		case ok && (k >= len(p) || p[k] != '}'):
			s.fail(notFollowed, j)
			return k
		case ok && v == 0 && sign != 0:
			s.fail("a relative value of zero is not allowed", j)
			return k + 1
		case ok && v == 0:
			s.fail("reference to non-existent subpattern", k+1)
			return k + 1
		case ok:
			n = v
			if sign == '-' {
				n = s.ngroups + 1 - v
			} else if sign == '+' {
				n = s.ngroups + v
			}
			if sign == 0 {
				at = k
			}
			j = k + 1
		default:
			if msg, mat := groupNameError(p, j+1, '}'); msg != "" {
				s.fail(msg, mat)
				return mat
			}
			k := strings.IndexByte(p[j:], '}')
			ref, byName, at = p[j+1:j+k], true, j+1
			j += k + 1
		}
	} else {
		sign, v, k, ok := number(j)
		switch {
		case !ok:
			s.fail(notFollowed, j)
			return j
		case v == 0 && sign != 0:
			s.fail("a relative value of zero is not allowed", k)
			return k
		case v == 0:
			s.fail("reference to non-existent subpattern", k)
			return k
		}
		n = v
		switch sign {
		case '-':
			n, at = s.ngroups+1-v, k
		case '+':
			n = s.ngroups + v
		}
		j = k
	}
	s.needs("a back-reference", i)
	if byName {
		s.backref(0, ref, at)
	} else {
		s.backref(n, "", at)
	}
	return j
}

// classRangeError returns the offset PCRE2 reports for the first range
// out of order ("[z-a]", "[\}-.]") in the class at p[i], the last byte of
// its end, or -1. Only ranges between single characters it can read are
// checked (a byte, an escaped punctuation mark, \n \t \r \f \e \a \b,
// \xHH, \x{H…}, octal); the others are left to the engines.
func classRangeError(p string, i int) int {
	atom := func(k int) (v, next int, ok bool) {
		c := p[k]
		switch {
		case c == '[' && k+1 < len(p) && (p[k+1] == ':' || p[k+1] == '.' || p[k+1] == '='):
			if end := posixSyntax(p, k); end >= 0 {
				return 0, end + 2, false
			}
			return '[', k + 1, true
		case c != '\\' || k+1 >= len(p):
			return int(c), k + 1, true
		}
		e := p[k+1]
		if v, ok := map[byte]int{'n': '\n', 't': '\t', 'r': '\r', 'f': '\f', 'e': 0x1b, 'a': 0x07, 'b': 0x08}[e]; ok {
			return v, k + 2, true
		}
		switch {
		case e == 'x' && k+2 < len(p) && p[k+2] == '{':
			end := strings.IndexByte(p[k+2:], '}')
			if end < 0 {
				return 0, k + 2, false
			}
			n, err := strconv.ParseUint(p[k+3:k+2+end], 16, 8)
			return int(n), k + 3 + end, err == nil
		case e == 'x':
			j := k + 2
			for j < len(p) && j < k+4 && isHex(p[j]) {
				j++
			}
			n, _ := strconv.ParseUint("0"+p[k+2:j], 16, 16)
			return int(n), j, true
		case e >= '0' && e <= '7':
			j, n := k+1, 0
			for j < len(p) && j < k+4 && p[j] >= '0' && p[j] <= '7' {
				n = n*8 + int(p[j]-'0')
				j++
			}
			return n & 0xff, j, true
		case e == 'o' && k+2 < len(p) && p[k+2] == '{':
			end := strings.IndexByte(p[k+2:], '}')
			if end < 0 {
				return 0, k + 2, false
			}
			n, err := strconv.ParseUint(p[k+3:k+2+end], 8, 8)
			return int(n), k + 3 + end, err == nil
		case e < utf8.RuneSelf && !isWordByte(e):
			return int(e), k + 2, true
		case k+2 < len(p) && p[k+2] == '{':
			// \p{…}, \N{…} and the like: skip the braces.
			if end := strings.IndexByte(p[k+2:], '}'); end >= 0 {
				return 0, k + 3 + end, false
			}
		}
		return 0, k + 2, false
	}
	if strings.Contains(p[i:], `\Q`) {
		return -1 // quoted text: left to the engines
	}
	k := i + 1
	if k < len(p) && p[k] == '^' {
		k++
	}
	for first := true; k < len(p); first = false {
		if p[k] == ']' && !first {
			return -1
		}
		lo, next, lok := atom(k)
		if next+1 < len(p) && p[next] == '-' && p[next+1] != ']' {
			hi, hnext, hok := atom(next + 1)
			if lok && hok && hi < lo {
				return hnext - 1
			}
			k = hnext
			continue
		}
		k = next
	}
	return -1
}

// posixSyntax is PCRE2's check_posix_syntax for p[i:] starting "[:",
// "[." or "[=": the offset of the closing ":]" (".]", "=]"), or -1 when
// a "]" (or "[" with the same character) comes first; "\]" and "\\"
// are skipped.
func posixSyntax(p string, i int) int {
	term := p[i+1]
	for k := i + 2; k < len(p); k++ {
		switch {
		case p[k] == '\\' && k+1 < len(p) && (p[k+1] == ']' || p[k+1] == '\\'):
			k++
		case p[k] == '[' && k+1 < len(p) && p[k+1] == term, p[k] == ']':
			return -1
		case p[k] == term && k+1 < len(p) && p[k+1] == ']':
			return k
		}
	}
	return -1
}

// parseSignedNumber is PCRE2's read_number at p[k]: an optional sign and
// digits (ok is false without digits), and the offset after them.
func parseSignedNumber(p string, k int) (sign byte, n, end int, ok bool) {
	if k < len(p) && (p[k] == '-' || p[k] == '+') {
		sign = p[k]
		k++
	}
	start := k
	for k < len(p) && p[k] >= '0' && p[k] <= '9' {
		n = min(n*10+int(p[k]-'0'), 1<<20)
		k++
	}
	return sign, n, k, k > start
}

// kEscape handles the named back-references "\k<n>", "\k'n'", "\k{n}".
func (s *pcreScanner) kEscape(i int) int {
	p := s.p
	j := i + 2
	var closer byte
	if j < len(p) {
		closer = map[byte]byte{'<': '>', '\'': '\'', '{': '}'}[p[j]]
	}
	if closer == 0 {
		s.fail(`\k is not followed by a braced, angle-bracketed, or quoted name`, j)
		return j
	}
	// PCRE2's read_name checks the name before looking for the group.
	if msg, at := groupNameError(p, j+1, closer); msg != "" {
		s.fail(msg, at)
		return at
	}
	k := strings.IndexByte(p[j+1:], closer)
	s.needs("a back-reference", i)
	s.backref(0, p[j+1:j+1+k], j+1)
	return j + 1 + k + 1
}

// class handles a bracket class starting at p[i] == '['.
func (s *pcreScanner) class(i int) int {
	p := s.p
	// A class that is one negated POSIX class, "[[:^digit:]]" (or its
	// negation "[^[:^digit:]]"), is the complement of the ASCII set.
	for _, neg := range []bool{false, true} {
		open := "[[:^"
		if neg {
			open = "[^[:^"
		}
		if !strings.HasPrefix(p[i:], open) {
			continue
		}
		rest := p[i+len(open):]
		end := strings.Index(rest, ":]]")
		if end < 0 {
			break
		}
		set, ok := posixClasses[rest[:end]]
		if !ok {
			break
		}
		if neg {
			s.raw("[" + set + "]")
		} else {
			s.raw("[^" + set + "]")
		}
		return i + len(open) + end + 3
	}
	rangeAt := classRangeError(p, i)
	errBefore := s.info.pcreErr
	defer func() {
		// A reversed range is PCRE2's error where the range is; RE2 finds
		// it too, but not in a pattern only the PCRE engine runs.
		if rangeAt >= 0 && errBefore == "" && (s.info.pcreErr == "" || s.info.pcreErrAt > rangeAt) {
			s.info.pcreErr, s.info.pcreErrAt = "range out of order in character class", rangeAt
		}
	}()
	s.raw("[")
	j := i + 1
	if j < len(p) && p[j] == '^' {
		s.raw("^")
		j++
	}
	if j < len(p) && p[j] == ']' {
		s.raw(`\]`)
		j++
	}
	for j < len(p) {
		c := p[j]
		switch {
		case c == ']':
			s.raw("]")
			return j + 1
		case c == '[' && j+1 < len(p) && (p[j+1] == '.' || p[j+1] == '=') && posixSyntax(p, j) >= 0:
			s.fail("POSIX collating elements are not supported", j)
			s.raw(`\[`)
			j++
		case c == '[' && j+1 < len(p) && p[j+1] == ':':
			end := strings.Index(p[j+2:], ":]")
			if end < 0 || posixSyntax(p, j) < 0 {
				if end >= 0 {
					// "[[:al]pha:]]": no class for PCRE2, one for RE2.
					s.needs(`a "[:" that is no POSIX class`, j)
				}
				s.raw(`\[`)
				j++
				continue
			}
			name := p[j+2 : j+2+end]
			_, known := posixClasses[strings.TrimPrefix(name, "^")]
			if !known {
				s.fail("unknown POSIX class name", j+2+len(name)-len(strings.TrimPrefix(name, "^")))
			}
			if known && j-2 > i && p[j-1] == '-' && p[j-2] != '\\' && p[j-2] != '[' && !(p[j-2] == '^' && j-3 == i) && !(p[j-2] == '-' && j-3 > i && p[j-3] != '\\') {
				// "[a-[:alpha:]]": PCRE2 stops after the "[" (not after
				// a range ending in "-", "[%--[:alpha:]]").
				s.fail("invalid range in character class", j+1)
			}
			if after := j + 2 + end + 2; known && after+1 < len(p) && p[after] == '-' && p[after+1] != ']' {
				// "[[:alpha:]-z]": a class cannot start a range.
				s.fail("invalid range in character class", after)
			}
			if strings.HasPrefix(name, "^") {
				s.unsupported(`a negated POSIX class "[:`+name+`:]" among other class items, with look-around or back-references`, j)
			} else if set, ok := posixClasses[name]; ok {
				s.raw(set)
			} else {
				s.lit(p[j : j+2+end+2])
			}
			j += 2 + end + 2
		case c == '\\' && j+1 < len(p):
			e := p[j+1]
			if strings.IndexByte("dDwWsShHvVpP", e) >= 0 {
				// A class escape cannot end a range ("[a-\d]") nor
				// start one ("[\d-z]"): PCRE2's "invalid range".
				end := j + 2
				if (e == 'p' || e == 'P') && end < len(p) && p[end] == '{' {
					if k := strings.IndexByte(p[end:], '}'); k >= 0 {
						end += k + 1
					}
				} else if e == 'p' || e == 'P' {
					end++
				}
				if j-2 > i && p[j-1] == '-' && p[j-2] != '\\' && p[j-2] != '[' && !(p[j-2] == '^' && j-3 == i) {
					at := end
					if e == 'p' || e == 'P' {
						at = j + 2 // PCRE2 stops before reading the property
					}
					s.fail("invalid range in character class", at)
				}
				if end+1 < len(p) && p[end] == '-' && p[end+1] != ']' {
					s.fail("invalid range in character class", end)
				}
			}
			switch e {
			case 'd':
				s.raw(setDigit)
			case 'w':
				s.raw(setWord)
			case 's':
				s.raw(setSpace)
			case 'h':
				s.raw(setH)
			case 'v':
				s.raw(setV)
			case 'H', 'V':
				s.unsupported(`the escape "\`+string(e)+`" in a character class`, j)
			case 'A', 'B', 'C', 'G', 'K', 'R', 'X', 'Z', 'z', 'k':
				// Assertions and sequences match no single character.
				s.fail("escape sequence is invalid in character class", j+1)
			case 'N':
				switch {
				case strings.HasPrefix(p[j+2:], "{U+"):
					s.fail(`\N{U+dddd} is supported only in Unicode (UTF) mode`, j+2)
				case strings.HasPrefix(p[j+2:], "{") && quantifierLen(p[j+2:]) == 0:
					s.fail(`PCRE2 does not support \F, \L, \l, \N{name}, \U, or \u`, j+2)
				default:
					s.fail(`\N is not supported in a class`, j+2)
				}
			case 'F', 'L', 'U', 'l', 'u':
				s.fail(`PCRE2 does not support \F, \L, \l, \N{name}, \U, or \u`, j+2)
			case 'o':
				j = s.octalEscape(j)
				continue
			case 'Q':
				end := strings.Index(p[j+2:], `\E`)
				body, next := p[j+2:], len(p)
				if end >= 0 {
					body, next = p[j+2:j+2+end], j+2+end+2
				}
				for k := 0; k < len(body); k++ {
					s.quoteByte(body[k], true)
				}
				j = next
				continue
			case 'E':
			case 'x':
				j = s.hexEscape(j)
				continue
			case 'e', 'c':
				s.needs(`the escape "\`+string(e)+`"`, j)
				if e == 'c' && j+2 < len(p) {
					s.ctrl(p[j+2])
					j += 3
					continue
				}
				if e == 'c' {
					s.fail(`\c at end of pattern`, len(p))
				}
				s.lit(p[j : j+2])
			default:
				if e >= utf8.RuneSelf {
					s.quoteByte(e, true)
				} else {
					s.lit(p[j : j+2])
				}
			}
			j += 2
		case c == '[':
			s.raw(`\[`)
			j++
		default:
			s.lit(p[j : j+1])
			j++
		}
	}
	if trailing := len(p) - len(strings.TrimRight(p, `\`)); trailing%2 == 0 {
		// No "]" (a "\c" or "\Q" may have taken it); a lone "\" at the
		// end is PCRE2's "\ at end of pattern" instead.
		s.fail("missing terminating ] for character class", len(p))
	}
	return j
}

// group handles what follows "(" at p[i].
func (s *pcreScanner) group(i int) int {
	p := s.p
	rest := p[i+1:]
	if strings.HasPrefix(rest, "*") {
		j := i + 2
		for j < len(p) && isWordByte(p[j]) {
			j++
		}
		name := p[i+2 : j]
		switch {
		case j == i+2 && (j >= len(p) || p[j] == ')'):
			// Not a verb: "(" then the quantifier "*".
			s.fail("quantifier does not follow a repeatable item", i+1)
		case name == "" && p[j] != ':':
			// PCRE2 reads any other "(*" as a verb: "(*.php)".
			s.fail("(*VERB) not recognized or malformed", j)
		case j < len(p) && p[j] == ':' && name != "" && name[0] >= 'a' && name[0] <= 'z' && !pcreAlphaAssertions[name]:
			s.fail("(*alpha_assertion) not recognized", j)
		case !(j < len(p) && p[j] == ':' && pcreAlphaAssertions[name]) && !pcreVerbs[name] && !(i == 0 && pcreStartOptions[name]):
			s.fail("(*VERB) not recognized or malformed", j)
		}
		s.unsupported("a PCRE verb", i)
		s.partial = true
		return i + 2
	}
	if !strings.HasPrefix(rest, "?") {
		s.capture("", i)
		s.raw("(")
		return i + 1
	}
	r := rest[1:]
	switch {
	case strings.HasPrefix(r, "#"):
		s.needs(`a comment group "(?#"`, i)
		end := strings.IndexByte(r, ')')
		if end < 0 {
			s.fail("missing ) after (?# comment", len(p))
			return len(p)
		}
		return i + 2 + end + 1
	case strings.HasPrefix(r, "="):
		s.needs(`a look-ahead assertion "(?="`, i)
		s.raw("(?=")
		return i + 3
	case strings.HasPrefix(r, "!"):
		s.needs(`a negative look-ahead assertion "(?!"`, i)
		s.raw("(?!")
		return i + 3
	case strings.HasPrefix(r, "<="), strings.HasPrefix(r, "<!"):
		if r[1] == '=' {
			s.needs(`a look-behind assertion "(?<="`, i)
		} else {
			s.needs(`a negative look-behind assertion "(?<!"`, i)
		}
		if !lookbehindFixed(p, i+4) && s.info.lookbehindAt < 0 {
			s.info.lookbehindAt = i
		}
		s.raw("(?<" + r[1:2])
		return i + 4
	case strings.HasPrefix(r, ">"):
		s.needs(`an atomic group "(?>"`, i)
		s.raw("(?>")
		return i + 3
	case strings.HasPrefix(r, "|"):
		s.unsupported(`a branch reset group "(?|"`, i)
		s.partial = true
		return i + 3
	case strings.HasPrefix(r, "("):
		s.unsupported(`a conditional group "(?("`, i)
		s.partial = true
		return i + 3
	case strings.HasPrefix(r, "P="), strings.HasPrefix(r, "P>"), strings.HasPrefix(r, "&"):
		// A reference or call by name: PCRE2 reads the name first.
		nameAt := i + 4
		if r[0] == '&' {
			nameAt = i + 3
		}
		if msg, at := groupNameError(p, nameAt, ')'); msg != "" {
			s.fail(msg, at)
			s.partial = true
			return nameAt
		}
		if r[0] != 'P' || r[1] != '=' {
			s.unsupported("a subroutine call or recursion", i)
			s.partial = true
			return i + 2
		}
		end := strings.IndexByte(r, ')')
		s.needs("a back-reference", i)
		s.backref(0, r[2:end], i+4)
		return i + 2 + end + 1
	case strings.HasPrefix(r, "R"):
		s.unsupported("a subroutine call or recursion", i)
		s.partial = true
		return i + 2
	case strings.HasPrefix(r, "C"):
		s.unsupported("a callout", i)
		s.partial = true
		return i + 2
	case len(r) > 0 && (r[0] >= '0' && r[0] <= '9' || r[0] == '+' || (r[0] == '-' && len(r) > 1 && r[1] >= '0' && r[1] <= '9')):
		s.unsupported("a subroutine call or recursion", i)
		s.partial = true
		return i + 2
	case strings.HasPrefix(r, "P<"), strings.HasPrefix(r, "<"), strings.HasPrefix(r, "'"):
		start := 1
		closer := byte('>')
		if r[0] == 'P' {
			start = 2
		} else if r[0] == '\'' {
			closer = '\''
			s.needs(`a named group "(?'name'"`, i)
		}
		if msg, at := groupNameError(p, i+2+start, closer); msg != "" {
			s.fail(msg, at)
		}
		end := strings.IndexByte(r[start:], closer)
		if end < 0 {
			s.lit("(?")
			return i + 2
		}
		name := r[start : start+end]
		s.capture(name, i)
		s.raw("(?<" + name + ">")
		return i + 2 + start + end + 1
	}
	// Inline options "(?imsx-imsx)" or "(?imsx-imsx:", read as PCRE2
	// 10.42's parse_regex does: "^" first (it unsets i, m, n, s and x and
	// forbids "-"), then letters of "iJmnsUx" and at most one "-"; any
	// other character is an error at that character.
	j := 0
	caret := len(r) > 0 && r[0] == '^'
	if caret {
		j++
	}
	hyphenOK, negate := !caret, false
	var set, unset []byte
	for j < len(r) && r[j] != ')' && r[j] != ':' {
		switch c := r[j]; {
		case c == '-':
			if !hyphenOK {
				s.fail("invalid hyphen in option setting", i+2+j)
				s.partial = true
				return i + 2 + j
			}
			hyphenOK, negate = false, true
		case strings.IndexByte("iJmnsUx", c) >= 0:
			switch c {
			case 'x':
				s.needs(`the inline option "x"`, i)
				s.xmode = true
			case 'n':
				s.unsupported(`the inline option "n"`, i)
			case 'J':
				s.unsupported(`the inline option "J"`, i)
			case 'U':
				// RE2 has "U"; regexp2 does not.
				s.info.needsU = true
			}
			if negate {
				unset = append(unset, c)
			} else {
				set = append(set, c)
			}
		default:
			s.fail("unrecognized character after (? or (?-", i+2+j)
			s.partial = true
			return i + 2 + j
		}
		j++
	}
	plainGroup := len(set) == 0 && !negate && j < len(r) && r[j] == ':' // "(?:"
	if !caret && (len(unset) > 0 || len(set) > 0 && !negate || plainGroup) {
		s.lit(p[i : i+2+j])
		return i + 2 + j
	}
	// "(?^…", "(?)", "(?-)", "(?i-)": no form RE2 and regexp2 share, so
	// spell it out for the PCRE engine ("^" unsets the others of imsx).
	s.needs(`the inline option "^"`, i)
	if caret {
		for _, c := range []byte("imsx") {
			if bytes.IndexByte(set, c) < 0 {
				unset = append(unset, c)
			}
		}
	}
	switch {
	case len(set)+len(unset) > 0:
		flags := string(set)
		if len(unset) > 0 {
			flags += "-" + string(unset)
		}
		s.raw("(?" + flags)
	case j < len(r) && r[j] == ':':
		s.raw("(?") // "(?:" follows
	default:
		s.partial = true // nothing to set: "(?)" is nothing at all
		return min(i+2+j+1, len(p))
	}
	return i + 2 + j
}

// groupNameError checks a group name starting at p[j] and ended by
// closer as PCRE2 10.42's read_name does (non-UTF mode): it returns the
// message and the offset PCRE2 reports, or "" for a valid name. A name is
// 1 to 32 word characters ([A-Za-z0-9_]) not starting with a digit.
func groupNameError(p string, j int, closer byte) (string, int) {
	if j >= len(p) {
		return "subpattern name expected", j
	}
	if p[j] >= '0' && p[j] <= '9' {
		return "subpattern name must start with a non-digit", j
	}
	start := j
	for j < len(p) && isWordByte(p[j]) {
		j++
	}
	switch {
	case j-start > 32:
		return "subpattern name is too long (maximum 32 code units)", j
	case j == start:
		return "subpattern name expected", j
	case j >= len(p) || p[j] != closer:
		return "syntax error in subpattern name (missing terminator?)", j
	}
	return "", 0
}

// isWordByte is PCRE2's ctype_word in its default (C locale) tables.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// capture records a capturing group opening at p[at].
func (s *pcreScanner) capture(name string, at int) {
	s.ngroups++
	if !s.emit {
		s.info.groups = append(s.info.groups, pcreGroup{name: name})
	}
}

// lookbehindFixed reports whether the look-behind whose body starts at
// p[i] has branches of fixed length, as PCRE2 10.42 requires (each
// top-level branch may have its own length).
func lookbehindFixed(p string, i int) bool {
	_, fixed, _ := fixedAlternatives(p, i, true)
	return fixed
}

// fixedAlternatives measures the alternatives of a group body starting at
// p[i], up to its ")". With top set, branches may differ in length;
// otherwise they must all be equal for the group to be of fixed length.
func fixedAlternatives(p string, i int, top bool) (length int, fixed bool, end int) {
	length, fixed = -1, true
	cur := 0
	last := 0 // length of the last atom, for a following quantifier
	for i < len(p) {
		c := p[i]
		atom := -1
		switch {
		case c == ')':
			i++
			if length >= 0 && length != cur && !top {
				fixed = false
			}
			if length < 0 {
				length = cur
			}
			return length, fixed, i
		case c == '|':
			if length >= 0 && length != cur && !top {
				fixed = false
			}
			if length < 0 {
				length = cur
			}
			cur = 0
			i++
			continue
		case c == '\\' && i+1 < len(p):
			e := p[i+1]
			switch {
			case strings.IndexByte("bBAzZG", e) >= 0:
				atom = 0
				i += 2
			case e == 'Q':
				end := strings.Index(p[i+2:], `\E`)
				if end < 0 {
					atom, i = len(p)-i-2, len(p)
				} else {
					atom, i = end, i+2+end+2
				}
			case e == 'x' && i+2 < len(p) && p[i+2] == '{':
				k := strings.IndexByte(p[i:], '}')
				if k < 0 {
					k = len(p) - i - 1
				}
				atom, i = 1, i+k+1
			case e == 'R' || e == 'X':
				fixed = false
				atom, i = 1, i+2
			case e >= '1' && e <= '9', e == 'g', e == 'k':
				// PCRE2 measures the referenced group; take it as fixed.
				atom, i = 0, i+2
			case e == 'p' || e == 'P':
				k := i + 2
				if k < len(p) && p[k] == '{' {
					if m := strings.IndexByte(p[k:], '}'); m >= 0 {
						k += m + 1
					}
				} else {
					k++
				}
				atom, i = 1, k
			default:
				atom, i = 1, i+2
			}
		case c == '[':
			j := i + 1
			if j < len(p) && p[j] == '^' {
				j++
			}
			if j < len(p) && p[j] == ']' {
				j++
			}
			for j < len(p) && p[j] != ']' {
				if p[j] == '\\' {
					j++
				} else if p[j] == '[' && j+1 < len(p) && p[j+1] == ':' {
					if m := strings.Index(p[j:], ":]"); m >= 0 {
						j += m + 1
					}
				}
				j++
			}
			atom, i = 1, j+1
		case c == '(':
			r := p[i+1:]
			switch {
			case strings.HasPrefix(r, "?="), strings.HasPrefix(r, "?!"):
				_, _, e := fixedAlternatives(p, i+3, false)
				atom, i = 0, e
			case strings.HasPrefix(r, "?<="), strings.HasPrefix(r, "?<!"):
				_, _, e := fixedAlternatives(p, i+4, true)
				atom, i = 0, e
			case strings.HasPrefix(r, "?#"):
				e := strings.IndexByte(r, ')')
				if e < 0 {
					return cur, fixed, len(p)
				}
				i += e + 2
				continue
			default:
				j := i + 1
				if strings.HasPrefix(r, "?") {
					// Skip the group's prefix: "?:", "?>", "?<name>",
					// "?P<name>", "?'name'", "?i:", ….
					j++
					if k := strings.IndexAny(p[j:], ":>')"); k >= 0 {
						if p[j+k] == ')' {
							// "(?i)": options, no group.
							i = j + k + 1
							continue
						}
						j += k + 1
					}
				}
				n, f, e := fixedAlternatives(p, j, false)
				if !f {
					fixed = false
				}
				atom, i = n, e
			}
		case c == '.' || c == '^' || c == '$':
			if c == '.' {
				atom = 1
			} else {
				atom = 0
			}
			i++
		case c == '*' || c == '+' || c == '?':
			if c == '?' && i > 0 && strings.IndexByte("*+?}", p[i-1]) >= 0 {
				i++ // lazy
				continue
			}
			fixed = false
			cur -= last
			i++
			continue
		case c == '{':
			if n := quantifierLen(p[i:]); n > 0 {
				lo, hi, _ := repeatBounds(p[i : i+n])
				if lo != hi {
					fixed = false
				} else {
					cur += last*lo - last
				}
				i += n
				continue
			}
			atom, i = 1, i+1
		default:
			atom, i = 1, i+1
		}
		last = atom
		cur += atom
	}
	if length < 0 {
		length = cur
	}
	return length, fixed, i
}

// compilePCRE compiles the translated pattern with regexp2.
func compilePCRE(info *pcreInfo, caseless bool) (*regexp2.Regexp, error) {
	opts := regexp2.None
	if caseless {
		opts |= regexp2.IgnoreCase
	}
	re, err := regexp2.Compile(info.translated, opts)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = pcreMatchTimeout
	return re, nil
}

// latin1 fills *buf with subject's bytes as code points.
func latin1(buf *[]rune, subject []byte) []rune {
	r := (*buf)[:0]
	for _, b := range subject {
		r = append(r, rune(b))
	}
	*buf = r
	return r
}

// pcreExec matches subject with the regexp2 form of re and fills caps
// (pairs of byte offsets, -1 for a group that took no part) for up to
// len(caps)/2 groups. It returns 0 when nothing matched, else 1 + the
// number of the highest group that took part, as pcre2_match does.
func (re *Regexp) pcreExec(pc *regexp2.Regexp, subject []byte, caps []int, runes *[]rune) (int, error) {
	var local []rune
	if runes == nil {
		runes = &local
	}
	text := latin1(runes, subject)
	if caps == nil {
		ok, err := pc.MatchRunes(text)
		if err != nil || !ok {
			return 0, err
		}
		return 1, nil
	}
	m, err := pc.FindRunesMatch(text)
	if err != nil || m == nil {
		return 0, err
	}
	rc := 1
	if len(caps) >= 2 {
		caps[0], caps[1] = m.Index, m.Index+m.Length
	}
	for k, g := range re.groups {
		var grp *regexp2.Group
		if g.name != "" {
			grp = m.GroupByName(g.name)
		} else {
			grp = m.GroupByNumber(g.netNum)
		}
		a, b := -1, -1
		if grp != nil && len(grp.Captures) > 0 {
			a, b = grp.Index, grp.Index+grp.Length
			rc = k + 2
		}
		if 2*(k+1)+1 < len(caps) {
			caps[2*(k+1)], caps[2*(k+1)+1] = a, b
		}
	}
	return rc, nil
}

// pcreVerbs are PCRE2 10.42's backtracking control verbs ("" is "(*:NAME)").
var pcreVerbs = map[string]bool{"": true, "ACCEPT": true, "F": true, "FAIL": true, "COMMIT": true, "PRUNE": true, "SKIP": true, "THEN": true, "MARK": true}

// pcreStartOptions are the "(*…)" settings PCRE2 takes at the start of a
// pattern only (elsewhere they are unrecognized verbs).
var pcreStartOptions = map[string]bool{"UTF": true, "UCP": true, "CR": true, "LF": true, "CRLF": true, "ANYCRLF": true, "ANY": true, "NUL": true,
	"BSR_ANYCRLF": true, "BSR_UNICODE": true, "NO_AUTO_POSSESS": true, "NO_DOTSTAR_ANCHOR": true, "NO_JIT": true, "NO_START_OPT": true,
	"NOTEMPTY": true, "NOTEMPTY_ATSTART": true, "LIMIT_DEPTH": true, "LIMIT_HEAP": true, "LIMIT_MATCH": true}

// pcreAlphaAssertions are PCRE2 10.42's "(*name:" assertions.
var pcreAlphaAssertions = map[string]bool{"pla": true, "plb": true, "nla": true, "nlb": true, "napla": true, "naplb": true, "sr": true, "asr": true,
	"atomic": true, "positive_lookahead": true, "positive_lookbehind": true, "negative_lookahead": true, "negative_lookbehind": true,
	"non_atomic_positive_lookahead": true, "non_atomic_positive_lookbehind": true, "script_run": true, "atomic_script_run": true}

// octalEscape translates "\o{…}" to regexp2's "\xHH"; PCRE2 without UTF
// takes code points up to 0xff only.
func (s *pcreScanner) octalEscape(i int) int {
	p := s.p
	j := i + 2
	if j >= len(p) || p[j] != '{' {
		// PCRE2's check_escape reads the character after "\o" and steps
		// back one: the error is at that character, or at the "o" when
		// the pattern ends there.
		at := j
		if j >= len(p) {
			at = i + 1
		}
		s.fail(`missing opening brace after \o`, at)
		return j
	}
	v, next, ok := s.bracedCode(j+1, 8)
	if ok && s.emit {
		fmt.Fprintf(&s.out, `\x%02X`, v)
	}
	return next
}

// bracedCode reads the digits of "\x{…}" (base 16) or "\o{…}" (base 8)
// from p[j], just after the "{", as PCRE2 10.42's check_escape does
// without UTF: the code (up to 0xff) and the index after the "}", or
// PCRE2's error (ok false) at PCRE2's offset.
func (s *pcreScanner) bracedCode(j int, base uint64) (v uint64, next int, ok bool) {
	p := s.p
	if j >= len(p) || p[j] == '}' {
		s.fail(`digits missing in \x{} or \o{} or \N{U+}`, j)
		return 0, min(j+1, len(p)), false
	}
	digit := func(c byte) (uint64, bool) {
		switch {
		case c >= '0' && c <= '7', base == 16 && (c == '8' || c == '9'):
			return uint64(c - '0'), true
		case base == 16 && c >= 'a' && c <= 'f':
			return uint64(c-'a') + 10, true
		case base == 16 && c >= 'A' && c <= 'F':
			return uint64(c-'A') + 10, true
		}
		return 0, false
	}
	k := j
	for k < len(p) {
		d, isDigit := digit(p[k])
		if !isDigit {
			break
		}
		k++
		if v = v*base + d; v > 0xff {
			// Too large: PCRE2 skips the remaining digits.
			for k < len(p) {
				if _, more := digit(p[k]); !more {
					break
				}
				k++
			}
			s.fail(`character code point value in \x{} or \o{} is too large`, k)
			return 0, k, false
		}
	}
	if k < len(p) && p[k] == '}' {
		return v, k + 1, true
	}
	msg := `non-hex character in \x{} (closing brace missing?)`
	if base == 8 {
		msg = `non-octal character in \o{} (closing brace missing?)`
	}
	if k >= len(p) {
		k-- // PCRE2 steps back onto the last character
	}
	s.fail(msg, k)
	return 0, k + 1, false
}
