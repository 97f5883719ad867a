package parser

import "strings"

// fnmatch reports whether name matches the glob pattern as glibc's
// fnmatch(3) matches one path component for glob(3) with nginx's flags
// (backslash escapes on; the leading-period rule is applied by the
// caller). Unlike path/filepath.Match it never fails: a "[" with no
// closing "]" is an ordinary character, "]" first in a bracket
// expression is a member, and so is "-" first or last.
func fnmatch(pattern, name string) bool {
	p, n := pattern, name
	for p != "" {
		switch p[0] {
		case '*':
			for p != "" && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(n); i++ {
				if fnmatch(p, n[i:]) {
					return true
				}
			}
			return false
		case '?':
			if n == "" {
				return false
			}
			p, n = p[1:], n[1:]
		case '[':
			if n == "" {
				return false
			}
			matched, rest, ok := bracket(p, n[0])
			if !ok {
				// No closing "]": the "[" stands for itself.
				if n[0] != '[' {
					return false
				}
				p, n = p[1:], n[1:]
				continue
			}
			if !matched {
				return false
			}
			p, n = rest, n[1:]
		case '\\':
			if len(p) > 1 {
				p = p[1:]
			}
			fallthrough
		default:
			if n == "" || n[0] != p[0] {
				return false
			}
			p, n = p[1:], n[1:]
		}
	}
	return n == ""
}

// bracket matches c against the bracket expression at the start of p
// ("[...]"): whether it matched, the pattern after the expression, and
// false for ok when the expression has no closing "]".
func bracket(p string, c byte) (matched bool, rest string, ok bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	for first := true; ; first = false {
		if i >= len(p) {
			return false, "", false
		}
		ch := p[i]
		if ch == ']' && !first {
			return matched != negate, p[i+1:], true
		}
		if ch == '[' && i+1 < len(p) && (p[i+1] == ':' || p[i+1] == '=' || p[i+1] == '.') {
			delim := p[i+1]
			if end := strings.Index(p[i+2:], string(delim)+"]"); end >= 0 {
				name := p[i+2 : i+2+end]
				i += 2 + end + 2
				switch delim {
				case ':':
					if posixClass(name, c) {
						matched = true
					}
				default: // [=a=], [.a.]: the character itself in the C locale
					if name == string(c) {
						matched = true
					}
				}
				continue
			}
		}
		if ch == '\\' && i+1 < len(p) {
			i++
			ch = p[i]
		}
		i++
		lo, hi := ch, ch
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi = p[i+1]
			i += 2
			if hi == '\\' && i < len(p) {
				hi = p[i]
				i++
			}
		}
		if lo <= c && c <= hi {
			matched = true
		}
	}
}

// posixClass is a "[:name:]" class of the C locale.
func posixClass(name string, c byte) bool {
	switch name {
	case "alpha":
		return 'a' <= c|0x20 && c|0x20 <= 'z'
	case "digit":
		return '0' <= c && c <= '9'
	case "alnum":
		return posixClass("alpha", c) || posixClass("digit", c)
	case "upper":
		return 'A' <= c && c <= 'Z'
	case "lower":
		return 'a' <= c && c <= 'z'
	case "space":
		return c == ' ' || '\t' <= c && c <= '\r'
	case "blank":
		return c == ' ' || c == '\t'
	case "punct":
		return c > ' ' && c < 0x7f && !posixClass("alnum", c)
	case "print":
		return c >= ' ' && c < 0x7f
	case "graph":
		return c > ' ' && c < 0x7f
	case "cntrl":
		return c < ' ' || c == 0x7f
	case "xdigit":
		return posixClass("digit", c) || 'a' <= c|0x20 && c|0x20 <= 'f'
	}
	return false
}
