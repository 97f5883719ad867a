package parser

import (
	"bytes"
	"sort"
	"strings"

	gonginx "github.com/tufanbarisyildirim/gonginx/config"
	gparser "github.com/tufanbarisyildirim/gonginx/parser"
)

// statementKey identifies a statement in both readings of a file: its name
// and the line of its last token (";" or the closing "}"), which is where
// gonginx places a statement.
type statementKey struct {
	name string
	line int
}

// crossCheck parses src with gonginx and compares its statements with the
// ones nginx's rules produced (tree, the statements of this file; includes
// of this file count as statements too). nginx's reading always stands:
// it is what the user's nginx does with the same text. A disagreement is
// returned as an info-level note naming the first statement read
// differently (for the error log), since it points either at one of
// gonginx's known defects (an escaped backslash before a closing quote, an
// escaped ";" in a bare word, braces in Lua code) or at a defect of ours.
func crossCheck(path string, tree []*Directive, includes []statementKey, theirs gonginxReading) *Error {
	if !theirs.ok {
		return &Error{Level: "info", Msg: "gonginx cannot read this file; nginx's reading is used", Pos: Pos{File: path, Line: 1}}
	}
	ours := map[statementKey]int{}
	collectOurs(path, tree, ours)
	for _, k := range includes {
		ours[k]++
	}
	if diff := firstDifference(ours, theirs.statements); diff != nil {
		return &Error{Level: "info", Msg: "gonginx reads this statement differently; nginx's reading is used", Pos: Pos{File: path, Line: diff.line}}
	}
	return nil
}

// gonginxReading is what gonginx read in a file: its statements counted
// by key, or ok false where it could not read the file.
type gonginxReading struct {
	statements map[statementKey]int
	ok         bool
}

func readWithGonginx(src []byte) gonginxReading {
	statements, ok := gonginxStatements(src)
	return gonginxReading{statements, ok}
}

// gonginxStatements counts the statements gonginx reads in src; ok is false
// where gonginx cannot read it. gonginx takes a NUL byte for the end of the
// input and then loops for ever looking for the ";" of the statement it
// cut, so such text is not given to it (nginx's reading of it stands); a
// panic inside gonginx counts as a failure to read, never as a crash.
func gonginxStatements(src []byte) (theirs map[statementKey]int, ok bool) {
	if bytes.IndexByte(src, 0) >= 0 {
		return nil, false
	}
	defer func() {
		if recover() != nil {
			theirs, ok = nil, false
		}
	}()
	p := gparser.NewStringParser(string(src), gparser.WithSkipValidDirectivesErr(), gparser.WithSkipComments())
	parsed, err := p.Parse()
	if err != nil {
		return nil, false
	}
	theirs = map[statementKey]int{}
	collectTheirs(parsed.Block, theirs)
	return theirs, true
}

func collectOurs(path string, tree []*Directive, into map[statementKey]int) {
	for _, d := range tree {
		if d.Pos.File != path {
			continue // came from an included file, checked with that file
		}
		into[statementKey{d.Name, d.EndLine}]++
		collectOurs(path, d.Block, into)
	}
}

func collectTheirs(b gonginx.IBlock, into map[statementKey]int) {
	if b == nil {
		return
	}
	for _, d := range b.GetDirectives() {
		name := d.GetName()
		if len(name) >= 2 && (name[0] == '"' || name[0] == '\'') && name[len(name)-1] == name[0] {
			name = unescape([]byte(name[1 : len(name)-1]))
		}
		into[statementKey{name, d.GetLine()}]++
		collectTheirs(d.GetBlock(), into)
	}
}

// firstDifference returns the earliest statement (by line) counted
// differently in the two readings, or nil.
func firstDifference(a, b map[statementKey]int) *statementKey {
	var diffs []statementKey
	for k, n := range a {
		if b[k] != n {
			diffs = append(diffs, k)
		}
	}
	for k, n := range b {
		if a[k] != n {
			diffs = append(diffs, k)
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	sort.Slice(diffs, func(i, j int) bool {
		if diffs[i].line != diffs[j].line {
			return diffs[i].line < diffs[j].line
		}
		return strings.Compare(diffs[i].name, diffs[j].name) < 0
	})
	return &diffs[0]
}
