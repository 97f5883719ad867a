package parser

import (
	"bytes"
	"fmt"
)

// confBuffer is nginx's NGX_CONF_BUFFER: the reader's window over a file.
// nginx refuses a parameter that fills the whole window ("too long
// parameter"); the scanner emulates the window to refuse exactly the same
// inputs.
const confBuffer = 4096

// statementEnd says how ngx_conf_read_token ended.
type statementEnd int

const (
	endSemicolon  statementEnd = iota // NGX_OK: the statement ended with ";"
	endBlockStart                     // NGX_CONF_BLOCK_START: it ended with "{"
	endBlockDone                      // NGX_CONF_BLOCK_DONE: a "}"
	endFileDone                       // NGX_CONF_FILE_DONE: end of the input
)

// scanner reads statements from one file (or the -g text) with the rules
// of nginx 1.22's ngx_conf_read_token (src/core/ngx_conf_file.c): words are separated by spaces, tabs, CR
// and LF; "…" and '…' quote; a backslash protects the next character; "#"
// at the start of a word comments to the end of the line; a "{" right after
// "$" belongs to the word (`${var}`), and "}" never ends a word.
type scanner struct {
	file        string
	src         []byte
	pos         int // offset of the next byte to read
	line        int
	commandLine bool // reading -g text: nginx's "in command line" and its own EOF message

	// bufLast is the end (as a file offset) of nginx's read window; used
	// only to reproduce the "too long parameter" check.
	bufLast int

	// includes are the include statements read, which are resolved away
	// from the tree; the cross-check with gonginx counts them.
	includes []statementKey
}

func newScanner(file string, src []byte) *scanner {
	return &scanner{file: file, src: src, line: 1}
}

func newParamScanner(src []byte) *scanner {
	// nginx parses -g text from a buffer whose file size is zero: the whole
	// text is in the window from the start and line stays 0.
	return &scanner{src: src, commandLine: true, bufLast: len(src)}
}

// errorf builds an error located at the scanner's current line, as
// ngx_conf_log_error does.
func (s *scanner) errorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Pos: s.here()}
}

func (s *scanner) here() Pos {
	if s.commandLine {
		return Pos{CommandLine: true}
	}
	return Pos{File: s.file, Line: s.line}
}

// next reads one statement head: its words (name first) and how it ended.
func (s *scanner) next() ([]Arg, statementEnd, *Error) {
	var (
		args         []Arg
		needSpace    bool
		lastSpace    = true
		sharpComment bool
		variable     bool
		escaped      bool
		sQuoted      bool
		dQuoted      bool
		start        = s.pos
		startLine    = s.line
	)

	for {
		if s.pos >= s.bufLast {
			if s.bufLast >= len(s.src) {
				if len(args) > 0 || !lastSpace {
					if s.commandLine {
						return nil, 0, s.errorf(`unexpected end of parameter, expecting ";"`)
					}
					return nil, 0, s.errorf(`unexpected end of file, expecting ";" or "}"`)
				}
				return nil, endFileDone, nil
			}
			if s.pos-start == confBuffer {
				s.line = startLine
				switch {
				case dQuoted:
					return nil, 0, s.errorf(`too long parameter, probably missing terminating """ character`)
				case sQuoted:
					return nil, 0, s.errorf(`too long parameter, probably missing terminating "'" character`)
				}
				return nil, 0, s.errorf(`too long parameter "%s..." started`, truncateAtNUL(s.src[start:start+10]))
			}
			s.bufLast = min(len(s.src), start+confBuffer)
		}

		ch := s.src[s.pos]
		s.pos++

		if ch == '\n' {
			s.line++
			sharpComment = false
		}
		if sharpComment {
			continue
		}
		if escaped {
			escaped = false
			continue
		}

		if needSpace {
			switch ch {
			case ' ', '\t', '\r', '\n':
				lastSpace = true
				needSpace = false
				continue
			case ';':
				return args, endSemicolon, nil
			case '{':
				return args, endBlockStart, nil
			case ')':
				lastSpace = true
				needSpace = false
			default:
				return nil, 0, s.errorf(`unexpected "%s"`, charString(ch))
			}
		}

		if lastSpace {
			// nginx 1.22 moves the token start over blanks too, so a long run
			// of blanks or comments never counts as a "too long parameter".
			start = s.pos - 1
			startLine = s.line
			if ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' {
				continue
			}

			switch ch {
			case ';', '{':
				if len(args) == 0 {
					return nil, 0, s.errorf(`unexpected "%c"`, ch)
				}
				if ch == '{' {
					return args, endBlockStart, nil
				}
				return args, endSemicolon, nil
			case '}':
				if len(args) != 0 {
					return nil, 0, s.errorf(`unexpected "}"`)
				}
				return nil, endBlockDone, nil
			case '#':
				sharpComment = true
				continue
			case '\\':
				escaped = true
				lastSpace = false
				continue
			case '"':
				start++
				dQuoted = true
				lastSpace = false
				continue
			case '\'':
				start++
				sQuoted = true
				lastSpace = false
				continue
			case '$':
				variable = true
				lastSpace = false
				continue
			default:
				lastSpace = false
			}
			continue
		}

		if ch == '{' && variable {
			continue
		}
		variable = false
		if ch == '\\' {
			escaped = true
			continue
		}
		if ch == '$' {
			variable = true
			continue
		}

		found := false
		quoted := false
		switch {
		case dQuoted:
			if ch == '"' {
				dQuoted, needSpace, found, quoted = false, true, true, true
			}
		case sQuoted:
			if ch == '\'' {
				sQuoted, needSpace, found, quoted = false, true, true, true
			}
		case ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ';' || ch == '{':
			lastSpace, found = true, true
		}
		if !found {
			continue
		}

		args = append(args, Arg{Value: unescape(s.src[start : s.pos-1]), Quoted: quoted})
		switch ch {
		case ';':
			return args, endSemicolon, nil
		case '{':
			return args, endBlockStart, nil
		}
	}
}

// unescape resolves the escapes nginx resolves in every word: \" \' \\
// lose their backslash, \t \r \n become the control characters; any other
// backslash stays.
func unescape(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			switch raw[i+1] {
			case '"', '\'', '\\':
				i++
				c = raw[i]
			case 't':
				i++
				c = '\t'
			case 'r':
				i++
				c = '\r'
			case 'n':
				i++
				c = '\n'
			}
		}
		out = append(out, c)
	}
	return string(out)
}

// charString renders one byte the way nginx's "%c" prints it, except that
// a NUL byte (which would cut nginx's message short) is shown escaped.
func charString(c byte) string {
	if c == 0 {
		return `\0`
	}
	return string([]byte{c})
}

// truncateAtNUL returns b up to its first NUL byte, as nginx's "%s" prints it.
func truncateAtNUL(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
