package directives

import "github.com/nginxws/nginxws/parser"

// nginx reports the checks it makes when a block ends (an upstream with no
// servers, the merge of an http block's levels) at the line of the block's
// closing "}". The parse tree records where each statement's "{" stands;
// the closing lines are found here by pairing braces in each file's text
// with nginx's tokenizer rules (quotes, escapes, comments, "${var}"). The
// k-th block written in a file is the k-th "{" token of that file, since
// a block never spans files.

// blockEnds maps every block directive of the tree to the position of its
// closing brace.
func blockEnds(pc *parser.Config) map[*parser.Directive]parser.Pos {
	pairs := map[string][]int{}
	for _, f := range pc.Files {
		pairs[f.Path] = closingLines(f.Content)
	}
	out := map[*parser.Directive]parser.Pos{}
	next := map[string]int{}
	var walk func([]*parser.Directive)
	walk = func(ds []*parser.Directive) {
		for _, d := range ds {
			if !d.IsBlock() {
				continue
			}
			f := d.Pos.File
			if ls := pairs[f]; len(ls) > 0 {
				// A file included twice repeats its blocks: wrap around.
				k := next[f] % len(ls)
				next[f]++
				if ls[k] > 0 {
					out[d] = parser.Pos{File: f, Line: ls[k]}
				}
			}
			walk(d.Block)
		}
	}
	walk(pc.Directives)
	return out
}

// closingLines returns, for each "{" token of src in order, the line of
// its matching "}" (0 when unmatched).
func closingLines(src []byte) []int {
	var closes []int
	var stack []int
	line := 1
	i := 0
	for i < len(src) {
		c := src[i]
		switch c {
		case '\n':
			line++
			i++
		case ' ', '\t', '\r', ';':
			i++
		case '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case '{':
			stack = append(stack, len(closes))
			closes = append(closes, 0)
			i++
		case '}':
			if n := len(stack); n > 0 {
				closes[stack[n-1]] = line
				stack = stack[:n-1]
			}
			i++
		case '"', '\'':
			i++
			for i < len(src) && src[i] != c {
				if src[i] == '\\' {
					i++
				}
				if i < len(src) && src[i] == '\n' {
					line++
				}
				i++
			}
			i++
		default:
			// A word: it ends at blank, ";" or "{", except the "{" of
			// "${"; "}" and "#" inside a word are ordinary characters.
			prevDollar := false
			for i < len(src) {
				c := src[i]
				if c == '{' && prevDollar {
					prevDollar = false
					i++
					continue
				}
				if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '{' {
					break
				}
				if c == '\\' {
					i++
				}
				prevDollar = c == '$'
				i++
			}
		}
	}
	return closes
}
