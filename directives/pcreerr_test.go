package directives

import "testing"

// TestPCRE2ParseErrors pins nginx's pcre2_compile() messages (PCRE2
// 10.42, Debian 12's, each checked on nginx 1.22) for mistakes the Go
// parser reports differently or not at all.
func TestPCRE2ParseErrors(t *testing.T) {
	for _, tc := range []struct{ re, want string }{
		{`^/(a)\2x`, `reference to non-existent subpattern in "^/(a)\2x" at "2x"`},
		{`^/\g{2}(a)x`, `reference to non-existent subpattern in "^/\g{2}(a)x" at "}(a)x"`},
		{`^/\g{-2}(a)x`, `reference to non-existent subpattern in "^/\g{-2}(a)x" at "{-2}(a)x"`},
		{`^/\g-2(a)x`, `reference to non-existent subpattern in "^/\g-2(a)x" at "(a)x"`},
		{`^/\k<zz>x`, `reference to non-existent subpattern in "^/\k<zz>x" at "zz>x"`},
		{`^/(?P=zz)x`, `reference to non-existent subpattern in "^/(?P=zz)x" at "zz)x"`},
		{`^/\p{Foo}x`, `unknown property after \P or \p in "^/\p{Foo}x" at "x"`},
		{`^/\p`, `malformed \P or \p sequence in "^/\p"`},
		{`^/\p!x`, `malformed \P or \p sequence in "^/\p!x" at "x"`},
		{`^/[\p]x`, `malformed \P or \p sequence in "^/[\p]x" at "x"`},
		{`^/\p{Lu]z`, `malformed \P or \p sequence in "^/\p{Lu]z"`},
		{`^/\pXyz`, `unknown property after \P or \p in "^/\pXyz" at "yz"`},
		{`^/x{2}{3}y`, `quantifier does not follow a repeatable item in "^/x{2}{3}y" at "}y"`},
		{`^/(*FOO)a`, `(*VERB) not recognized or malformed in "^/(*FOO)a" at ")a"`},
		{`^/(*foo:x)a`, `(*alpha_assertion) not recognized in "^/(*foo:x)a" at ":x)a"`},
		{`^/(*`, `quantifier does not follow a repeatable item in "^/(*" at "*"`},
		{`^/\x{100}x`, `character code point value in \x{} or \o{} is too large in "^/\x{100}x" at "}x"`},
		{`^/\o{400}x`, `character code point value in \x{} or \o{} is too large in "^/\o{400}x" at "}x"`},
		{`^/[\d-z]x`, `invalid range in character class in "^/[\d-z]x" at "-z]x"`},
		{`^/[a-\d]x`, `invalid range in character class in "^/[a-\d]x" at "]x"`},
		{`^/\c`, `\c at end of pattern in "^/\c"`},
		{`^/\uzz`, `PCRE2 does not support \F, \L, \l, \N{name}, \U, or \u in "^/\uzz" at "zz"`},
		{`^/\N{U+41}x`, `\N{U+dddd} is supported only in Unicode (UTF) mode in "^/\N{U+41}x" at "{U+41}x"`},
		{`^/[[:foo:]]x`, `unknown POSIX class name in "^/[[:foo:]]x" at "foo:]]x"`},
		{`^/(?i`, `missing closing parenthesis in "^/(?i"`},
		{`^/o\o`, `missing opening brace after \o in "^/o\o" at "o"`},
		{`^/\om$`, `missing opening brace after \o in "^/\om$" at "m$"`},
		{`^*\.php$`, `quantifier does not follow a repeatable item in "^*\.php$" at "*\.php$"`},
		{`^/\b+x`, `quantifier does not follow a repeatable item in "^/\b+x" at "+x"`},
		{`^/x$?`, `quantifier does not follow a repeatable item in "^/x$?" at "?"`},
		{`^/\z{1,2}`, `quantifier does not follow a repeatable item in "^/\z{1,2}" at "}"`},
		{`{1}a`, `quantifier does not follow a repeatable item in "{1}a" at "}a"`},
		{`^/a(?i)*`, `quantifier does not follow a repeatable item in "^/a(?i)*" at "*"`},
		{`^/(*)`, `quantifier does not follow a repeatable item in "^/(*)" at "*)"`},
		{`^/(*.php)`, `(*VERB) not recognized or malformed in "^/(*.php)" at ".php)"`},
		{`^/\x{}a`, `digits missing in \x{} or \o{} or \N{U+} in "^/\x{}a" at "}a"`},
		{`^/\o{`, `digits missing in \x{} or \o{} or \N{U+} in "^/\o{"`},
		{`^/\x{1z}`, `non-hex character in \x{} (closing brace missing?) in "^/\x{1z}" at "z}"`},
		{`^/\x{41`, `non-hex character in \x{} (closing brace missing?) in "^/\x{41" at "1"`},
		{`^/\o{18}`, `non-octal character in \o{} (closing brace missing?) in "^/\o{18}" at "8}"`},
		{`^/[\Rm]`, `escape sequence is invalid in character class in "^/[\Rm]" at "Rm]"`},
		{`^/[\Nm]`, `\N is not supported in a class in "^/[\Nm]" at "m]"`},
		{`^/[\N{x}]`, `PCRE2 does not support \F, \L, \l, \N{name}, \U, or \u in "^/[\N{x}]" at "{x}]"`},
		{`^/[\um]`, `PCRE2 does not support \F, \L, \l, \N{name}, \U, or \u in "^/[\um]" at "m]"`},
		{`^/[\om]`, `missing opening brace after \o in "^/[\om]" at "m]"`},
		{`^/[\c]`, `missing terminating ] for character class in "^/[\c]"`},
		{`^/[a\c`, `\c at end of pattern in "^/[a\c"`},
		{`^/(?ia)`, `unrecognized character after (? or (?- in "^/(?ia)" at "a)"`},
		{`^/(?X)a`, `unrecognized character after (? or (?- in "^/(?X)a" at "X)a"`},
		{`^/(?^-i)a`, `invalid hyphen in option setting in "^/(?^-i)a" at "-i)a"`},
		{`^/(?#a`, `missing ) after (?# comment in "^/(?#a"`},
		{`^/(?=a`, `missing closing parenthesis in "^/(?=a"`},
		{`^/(?P=1a)`, `subpattern name must start with a non-digit in "^/(?P=1a)" at "1a)"`},
		{`^/(?&a>b)`, `syntax error in subpattern name (missing terminator?) in "^/(?&a>b)" at ">b)"`},
		{`^/(?P>)`, `subpattern name expected in "^/(?P>)" at ")"`},
		{"^/(caf\xe9", "missing closing parenthesis in \"^/(caf\xe9\""},
		{`^/(?=a))b`, `unmatched closing parenthesis in "^/(?=a))b" at ")b"`},
		{`^/[[:alpha:]-z]`, `invalid range in character class in "^/[[:alpha:]-z]" at "-z]"`},
		{`^/[a-[:alpha:]]`, `invalid range in character class in "^/[a-[:alpha:]]" at ":alpha:]]"`},
		{`^/[\--[:alpha:]]`, `invalid range in character class in "^/[\--[:alpha:]]" at ":alpha:]]"`},
		{`^/\km`, `\k is not followed by a braced, angle-bracketed, or quoted name in "^/\km" at "m"`},
		{`^/\k{1}x`, `subpattern name must start with a non-digit in "^/\k{1}x" at "1}x"`},
		{`^/\k<a`, `syntax error in subpattern name (missing terminator?) in "^/\k<a"`},
		{`^/[\k<a>]`, `escape sequence is invalid in character class in "^/[\k<a>]" at "k<a>]"`},
		{`^/(x)\g<1`, `\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number in "^/(x)\g<1" at "<1"`},
		{`^/\g'`, `subpattern name expected in "^/\g'"`},
		{`^/[\N{1}x]`, `\N is not supported in a class in "^/[\N{1}x]" at "{1}x]"`},
		{`^/(?=x)[[:digi:]]`, `unknown POSIX class name in "^/(?=x)[[:digi:]]" at "digi:]]"`},
		{`^/[[:^foo:]]`, `unknown POSIX class name in "^/[[:^foo:]]" at "foo:]]"`},
		{`^/(?=x)[:digit:]`, `POSIX named classes are supported only within a class in "^/(?=x)[:digit:]" at "[:digit:]"`},
		{`^/[[.a.]]`, `POSIX collating elements are not supported in "^/[[.a.]]" at "[.a.]]"`},
		{`^/[=a=]`, `POSIX collating elements are not supported in "^/[=a=]" at "[=a=]"`},
		{`(?=x)[\}-.]`, `range out of order in character class in "(?=x)[\}-.]" at ".]"`},
		{`(?=x)[\o{132}-\x{41}]`, `range out of order in character class in "(?=x)[\o{132}-\x{41}]" at "}]"`},
		{`^/x{070000}y`, `number too big in {} quantifier in "^/x{070000}y" at "}y"`},
		{`^/x{99999999999}`, `number too big in {} quantifier in "^/x{99999999999}" at "999999}"`},
		{`^/(x)\gmy`, `\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number in "^/(x)\gmy" at "my"`},
		{`^/(x)\g{1a}y`, `\g is not followed by a braced, angle-bracketed, or quoted name/number or by a plain number in "^/(x)\g{1a}y" at "{1a}y"`},
		{`^/(x)\g0y`, `reference to non-existent subpattern in "^/(x)\g0y" at "y"`},
		{`^/(x)\g{-0}y`, `a relative value of zero is not allowed in "^/(x)\g{-0}y" at "{-0}y"`},
		{`^/(x)\g+0y`, `a relative value of zero is not allowed in "^/(x)\g+0y" at "y"`},
		{`^/(x)\g{}y`, `subpattern name expected in "^/(x)\g{}y" at "}y"`},
		{"^/[\xe9-a]", "range out of order in character class in \"^/[\xe9-a]\" at \"a]\""},
	} {
		_, err := compileRegexp(tc.re, false)
		if want := "pcre2_compile() failed: " + tc.want; err == nil || err.Error() != want {
			t.Errorf("%s:\ngot  %v\nwant %s", tc.re, err, want)
		}
	}
}

// TestPCRE2OctalAndLowCodes: what PCRE2 accepts in the same family, and
// matches as nginx does.
func TestPCRE2OctalAndLowCodes(t *testing.T) {
	for _, tc := range []struct{ re, subject string }{
		{`^/\10x$`, "/\x08x"},        // fewer than 10 groups: octal, not a back-reference
		{`^/\18$`, "/\x018"},         // "\1" octal, then "8"
		{`^/\o{101}$`, "/A"},         // \o{} up to 0xff
		{`^/[\w-]x$`, "/-x"},         // "-" last in a class is literal
		{`^/(a)\1$`, "/aa"},          // a real back-reference
		{`^/\x{ff}$`, "/\xff"},       // the largest code without UTF
		{`^/[%--]$`, "/-"},           // a range ending at "-"
		{`^/[^-\w]$`, "/."},          // "-" first after "^"
		{`^/(?<zz>a)\k<zz>$`, "/aa"}, // a named reference to a group that exists
		{`^/(?#c)+$`, "//"},          // a comment is skipped: "+" repeats "/"
		{`^/a\Q\E+$`, "/aa"},         // so is an empty quote
		{`^/a\E+$`, "/aa"},           // and a stray \E
		{`^/\c{$`, "/;"},             // "\cX": X upper-cased, bit 6 flipped
		{`^/[\ca]$`, "/\x01"},
		{`^/[\o{101}-\x{5A}]+$`, "/AZ"}, // octal and braced hex in a class
		{`^/(?^i)A$`, "/a"},             // "^" then options
		{`(?i)^/A(?^)b$`, "/ab"},        // "(?^)" unsets i
		{`^/(?^:A)$`, "/A"},
		{`^/(?)(?-)(?i-)a$`, "/A"},      // empty option settings
		{`^/a{02}$`, "/aa"},             // a count with a leading zero is a count
		{`^/a{+1}$`, "/a{{1}"},          // "{+1}" is no count: a "{" repeated, then "1}"
		{`^/[%--[:digit:]]$`, "/5"},     // a range ending in "-", then a class
		{`^/[[:al]pha:]]$`, "/:pha:]]"}, // no POSIX class: "[[:al]" then text
		{`^/\N{2}x$`, "/abx"},           // "\N" and a count, not "\N{name}"
		{"^/caf\\\xe9$", "/caf\xe9"},    // an escaped Latin-1 byte is literal
		{"^/[\\\xe9]$", "/\xe9"},
	} {
		re, err := compileRegexp(tc.re, false)
		if err != nil {
			t.Errorf("%s: %v", tc.re, err)
			continue
		}
		if !re.MatchString(tc.subject) {
			t.Errorf("%s does not match %q", tc.re, tc.subject)
		}
	}
}
