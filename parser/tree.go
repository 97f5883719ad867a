// Package parser reads nginx configuration files into a tree of directives,
// exactly as nginx reads them: tokens follow nginx's ngx_conf_read_token rules
// (quotes, escapes, comments, `${var}`), `include` is resolved in place (globs
// sorted, paths relative to the main file's directory), and every directive
// carries the file and line nginx would name in an error.
//
// The tree is nginx's reading of the text: a port of nginx 1.22's
// ngx_conf_read_token and ngx_conf_parse, because the cases where
// github.com/tufanbarisyildirim/gonginx reads something else than nginx (a
// stray "}", a NUL byte, a missing ";", a nameless block, an escaped
// backslash before a quote) must give nginx's error or nginx's tree, never
// a shorter or different configuration. gonginx reads every file as a
// second opinion; where the two readings differ, nginx's stands and the
// difference is kept as an info-level note for the error log.
//
// The parser knows nothing about what directives mean: that is the job of
// package directives.
package parser

import "strconv"

// Arg is one argument of a directive after nginx's unquoting: surrounding
// quotes removed and the escapes nginx resolves (\" \' \\ \t \r \n) resolved.
type Arg struct {
	Value  string
	Quoted bool // written between '…' or "…"
}

// Directive is one statement of a configuration: `name args…;` or
// `name args… { block }`.
type Directive struct {
	Name string
	Args []Arg
	// Block holds the statements between braces; it is non-nil (possibly
	// empty) exactly when the directive was written with a block.
	Block []*Directive
	Pos   Pos
	// EndLine is the line of the statement's last token: its ";", or the
	// closing "}" of a block, where nginx reports the checks it makes when
	// a block ends (e.g. "no servers are inside upstream"). It is 0 for a
	// block left unclosed by a syntax error.
	EndLine int
}

// IsBlock reports whether the directive was written with { … }.
func (d *Directive) IsBlock() bool { return d.Block != nil }

// ArgValues returns the unquoted values of the arguments.
func (d *Directive) ArgValues() []string {
	vs := make([]string, len(d.Args))
	for i, a := range d.Args {
		vs[i] = a.Value
	}
	return vs
}

// Pos is where nginx reports a directive: the file and the line on which
// the statement's ";" or "{" stands (the line nginx's reader is on when it
// handles the directive). A zero File with CommandLine set means the
// directive came from the -g command-line option.
type Pos struct {
	File        string
	Line        int
	CommandLine bool
}

// String formats the position as nginx appends it to messages: "file:line",
// or "command line".
func (p Pos) String() string {
	if p.CommandLine {
		return "command line"
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// Config is a loaded configuration: the main file with every include
// inlined where it stood.
type Config struct {
	// MainFile is the path of the main configuration file as given.
	MainFile string
	// Directives are the top-level (main context) statements in source
	// order; directives given with -g come first, as nginx reads them first.
	Directives []*Directive
	// Files lists every file read, in the order nginx reads them, with its
	// content, for `-T` and for watching.
	Files []File
	// WatchDirs lists the directories of include globs, whose new files
	// would change the configuration.
	WatchDirs []string
	// WatchGlobs are the include globs themselves, as made full: which
	// names in their directories can change the configuration.
	WatchGlobs []string
	// Notes are info-level remarks for the error log: the places where
	// gonginx reads a file differently than nginx does.
	Notes []Error
}

// File is one configuration file read while loading.
type File struct {
	Path    string
	Content []byte
}

// Error is a configuration error located the way nginx locates it.
type Error struct {
	Msg string
	// Level is nginx's log level for the message; empty means "emerg",
	// the level of every configuration error but a few read failures.
	Level string
	// Pos is the place of the error; a zero Pos (no file, no command line)
	// means the message stands alone, as nginx's "open() … failed" of the
	// main file does.
	Pos Pos
	// PostSyntax is set for an error nginx finds only after reading the
	// whole configuration (a module's init_conf, the shared memory
	// zones): under -t it prints "syntax is ok" before it.
	PostSyntax bool
	// Cycle is set for an error nginx finds later still, in the steps of
	// ngx_init_cycle after the modules' init_conf (the shared memory
	// zones): a signalling nginx (-s, and -t -s) stops reading the cycle
	// before them and never sees it.
	Cycle bool
	// Silent is set for a failure nginx reports with no message of its
	// own (a handler returning NGX_CONF_ERROR without logging): only
	// "test failed" follows.
	Silent bool
}

// Error returns the message followed by " in file:line" when located.
func (e *Error) Error() string {
	if e.Pos.File == "" && !e.Pos.CommandLine {
		return e.Msg
	}
	return e.Msg + " in " + e.Pos.String()
}
