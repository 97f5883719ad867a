package parser

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
)

// maxIncludeDepth bounds include nesting. nginx has no such limit and a
// cycle ends there only when the process runs out of file descriptors; a
// real configuration nests a handful of levels.
const maxIncludeDepth = 64

// Options are the inputs of Load besides the main file.
type Options struct {
	// Globals is the text of nginx's -g option: main-context directives
	// read after the main file, e.g. "daemon off; pid /tmp/x.pid;".
	Globals string
	// HandlerBlocks names the blocks nginx reads with a directive's own
	// handler (cf->handler: map, geo, types …) and how each treats a line
	// named "include" (see HandlerBlock). Elsewhere include is nginx's
	// ngx_conf_include.
	HandlerBlocks map[string]HandlerBlock
	// Prefix is nginx's prefix (-p, ending with "/", or empty): includes
	// resolve against it when the main file's name has no directory part
	// (see ConfPrefix).
	Prefix string
}

// HandlerBlock is how a block read by a handler treats "include": in
// every such block "include x { … }" is an ordinary entry (ngx_conf_parse
// refuses its "{" before the handler runs, which the caller reports);
// "include x;" includes x unless NoInclude.
type HandlerBlock struct {
	// NoInclude is set when the handler has no include of its own
	// (split_clients, charset_map): the line is one of its entries.
	NoInclude bool
	// ArgsMsg is the handler's message for an include without exactly
	// one argument ("invalid number of the map parameters"); "" for
	// ngx_conf_include's own.
	ArgsMsg string
}

// ConfPrefix is the directory relative includes (and ssl_certificate,
// auth_basic_user_file …) resolve against, as ngx_process_options makes
// cycle->conf_prefix: the main file's name up to and including its last
// "/", as written, with no cleaning ("/etc/nginx/./nginx.conf" gives
// "/etc/nginx/./", which nginx then prints in every included file's
// name). A name whose only "/" is its first byte, or that has none, keeps
// the prefix: nginx's scan stops before the first byte.
func ConfPrefix(mainFile, prefix string) string {
	if i := strings.LastIndexByte(mainFile, '/'); i > 0 {
		return mainFile[:i+1]
	}
	return prefix
}

// parseKind is what ngx_conf_parse is reading: a whole file, a block's
// contents, or the -g parameter text.
type parseKind int

const (
	parseFile parseKind = iota
	parseBlock
	parseParam
)

// loader holds the state of one Load call.
type loader struct {
	confPrefix string // ConfPrefix of the main file
	handlers   map[string]HandlerBlock
	handler    *HandlerBlock // the handler block being read, if any
	cfg        *Config
	seen       map[string]bool // files already listed in cfg.Files
	depth      int
}

// newLoader starts a load of the main file at path: includes resolve
// against its ConfPrefix, as nginx's.
func newLoader(path, prefix string) *loader {
	return &loader{
		confPrefix: ConfPrefix(path, prefix),
		cfg:        &Config{MainFile: path},
		seen:       map[string]bool{},
	}
}

// Load reads the -g directives of opts, then the configuration file at
// path (which should be absolute, as nginx makes it before reading) with
// every include resolved.
//
// On a syntax or include error Load returns both the error and the
// configuration read up to that point: nginx checks each directive as it
// reads it, so a caller that validates the partial tree first reports the
// same first error as nginx.
func Load(path string, opts Options) (*Config, error) {
	l := newLoader(path, opts.Prefix)
	l.handlers = opts.HandlerBlocks
	// nginx reads the -g text before the file (ngx_init_cycle), so its
	// directives come first and a file directive repeating one is the
	// duplicate.
	if opts.Globals != "" {
		s := newParamScanner([]byte(opts.Globals))
		if err := l.parse(s, parseParam, &l.cfg.Directives); err != nil {
			return l.cfg, err
		}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		// The main file has no including position: nginx prints the bare message.
		return l.cfg, readFailed(path, err)
	}
	if err := l.parseFile(path, src, &l.cfg.Directives); err != nil {
		return l.cfg, err
	}
	return l.cfg, nil
}

// LoadString reads configuration text as if it were the file at path
// (which names it in errors; includes resolve against its directory).
// It is meant for tests and tools.
func LoadString(path, text string) (*Config, error) {
	l := newLoader(path, "")
	err := l.parseFile(path, []byte(text), &l.cfg.Directives)
	if err != nil {
		return l.cfg, err
	}
	return l.cfg, nil
}

// parseFile parses one file's text into out, and notes where gonginx reads
// the same text differently.
func (l *loader) parseFile(path string, src []byte, out *[]*Directive) error {
	if !l.seen[path] {
		l.seen[path] = true
		l.cfg.Files = append(l.cfg.Files, File{Path: path, Content: src})
	}
	// gonginx reads the file on another core while nginx's rules read it
	// here: the second opinion costs no wall time on the -t path.
	theirs := make(chan gonginxReading, 1)
	go func() { theirs <- readWithGonginx(src) }()

	s := newScanner(path, src)
	start := len(*out)
	if err := l.parse(s, parseFile, out); err != nil {
		return err
	}
	if note := crossCheck(path, (*out)[start:], s.includes, <-theirs); note != nil {
		l.cfg.Notes = append(l.cfg.Notes, *note)
	}
	return nil
}

// parse reproduces ngx_conf_parse: statements until the end of the file,
// of the block, or of the -g text.
func (l *loader) parse(s *scanner, kind parseKind, out *[]*Directive) error {
	for {
		args, end, serr := s.next()
		if serr != nil {
			return serr
		}
		switch end {
		case endBlockDone:
			if kind != parseBlock {
				return s.errorf(`unexpected "}"`)
			}
			return nil
		case endFileDone:
			if kind == parseBlock {
				return s.errorf(`unexpected end of file, expecting "}"`)
			}
			return nil
		case endBlockStart:
			if kind == parseParam {
				return s.errorf("block directives are not supported in -g option")
			}
		}

		name := args[0].Value
		if i := strings.IndexByte(name, 0); i >= 0 {
			// nginx compares names by length and prints them with %s: a
			// name with a NUL byte matches nothing and prints cut short.
			return s.errorf(`unknown directive "%s"`, name[:i])
		}
		d := &Directive{Name: name, Args: args[1:], Pos: s.here()}

		if name == "include" && (l.handler == nil || !l.handler.NoInclude && end != endBlockStart) {
			if end != endSemicolon {
				return s.errorf(`directive "include" is not terminated by ";"`)
			}
			if len(d.Args) != 1 {
				if l.handler != nil && l.handler.ArgsMsg != "" {
					return s.errorf("%s", l.handler.ArgsMsg)
				}
				return s.errorf(`invalid number of arguments in "include" directive`)
			}
			s.includes = append(s.includes, statementKey{"include", d.Pos.Line})
			if err := l.include(d, s, out); err != nil {
				return err
			}
			continue
		}

		d.EndLine = d.Pos.Line
		*out = append(*out, d)
		if end == endBlockStart {
			d.Block = []*Directive{}
			outer := l.handler
			l.handler = nil
			if h, ok := l.handlers[name]; ok {
				l.handler = &h
			}
			err := l.parse(s, parseBlock, &d.Block)
			l.handler = outer
			if err != nil {
				// Not closed: no "}" line, so that a block cut by the
				// error is not taken for one closed on its first line.
				d.EndLine = 0
				return err
			}
			d.EndLine = s.line
		}
	}
}

// include reproduces ngx_conf_include: a path relative to the main file's
// directory, a glob when it has any of "*?[" (files in sorted order, no
// match is fine), each file parsed in the including context.
func (l *loader) include(d *Directive, s *scanner, out *[]*Directive) error {
	name := d.Args[0].Value
	if !filepath.IsAbs(name) {
		name = l.confPrefix + name
	}
	if l.depth >= maxIncludeDepth {
		return s.errorf(`include of "%s" is nested more than %d levels deep (an include cycle?)`, name, maxIncludeDepth)
	}

	files := []string{name}
	if strings.ContainsAny(name, "*?[") {
		matches, err := glob(name)
		if err != nil {
			return s.errorf(`glob() "%s" failed (%v)`, name, err)
		}
		files = matches
		l.cfg.WatchDirs = appendUnique(l.cfg.WatchDirs, globDir(name))
		l.cfg.WatchGlobs = appendUnique(l.cfg.WatchGlobs, name)
	}

	l.depth++
	defer func() { l.depth-- }()
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			if isDirErr(err) {
				return readFailed(f, err)
			}
			return s.errorf("%s", openFailed(f, err))
		}
		if err := l.parseFile(f, src, out); err != nil {
			return err
		}
	}
	return nil
}

// isDirErr reports whether reading failed because the file is a
// directory.
func isDirErr(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && errors.Is(pe.Err, syscall.EISDIR)
}

// readFailed is nginx's message for a configuration file (the main one
// or an included one) it could not read: open() failed, or, for a
// directory, which nginx opens fine and fails reading, pread() at [crit].
// Neither has a position.
func readFailed(name string, err error) *Error {
	if isDirErr(err) {
		return &Error{Msg: fmt.Sprintf(`pread() "%s" failed (%s)`, name, errnoText(err)), Level: "crit"}
	}
	return &Error{Msg: openFailed(name, err)}
}

// glob expands an include pattern like glibc's glob(3) does for nginx:
// each match is the pattern's directory part as written followed by the
// names found ("/etc/nginx/./conf.d/*.conf" gives
// "/etc/nginx/./conf.d/a.conf", which nginx prints; filepath.Glob would
// clean it), results sorted bytewise, and a wildcard never matches a
// leading "." of a name (so Kubernetes' "..data" and editors' hidden files
// stay out).
func glob(pattern string) ([]string, error) {
	matches, err := globDirs(pattern)
	if err != nil {
		return nil, err
	}
	sort.Strings(matches)
	return matches, nil
}

// globMeta are the characters that make a component of an include glob
// a pattern for glob(3): its wildcards, and "\", which escapes the next
// character (glob(3) reads "con\f.d" as "conf.d" and names the directory
// found as it is spelt on disk).
const globMeta = "*?[\\"

// globDirs expands pattern component by component, from the right: the
// directory part first (itself a pattern when it has wildcards), then the
// last component in each directory found. Directories that cannot be
// read give nothing, as glob(3) without GLOB_ERR.
func globDirs(pattern string) ([]string, error) {
	i := strings.LastIndexByte(pattern, '/')
	dirPart, file := pattern[:i+1], pattern[i+1:]
	dirs := []string{dirPart}
	if strings.ContainsAny(dirPart, globMeta) {
		parentPattern := strings.TrimRight(dirPart, "/")
		parents, err := globDirs(parentPattern)
		if err != nil {
			return nil, err
		}
		dirs = dirs[:0]
		for _, p := range parents {
			dirs = append(dirs, p+dirPart[len(parentPattern):])
		}
	}
	var out []string
	for _, dir := range dirs {
		if !strings.ContainsAny(file, globMeta) {
			if _, err := os.Lstat(dir + file); err == nil {
				out = append(out, dir+file)
			}
			continue
		}
		read := dir
		if read == "" {
			read = "."
		}
		entries, err := os.ReadDir(read)
		if err != nil {
			continue
		}
		// readdir(3), which glob(3) reads, lists "." and ".." too.
		names := []string{".", ".."}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		for _, name := range names {
			if strings.HasPrefix(name, ".") && !strings.HasPrefix(file, ".") && !strings.HasPrefix(file, `\.`) {
				continue
			}
			if fnmatch(file, name) {
				out = append(out, dir+name)
			}
		}
	}
	return out, nil
}

// globDir is the deepest directory of a pattern that has no wildcard.
func globDir(pattern string) string {
	dir := filepath.Dir(pattern)
	for strings.ContainsAny(dir, "*?[") {
		dir = filepath.Dir(dir)
	}
	return dir
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// openFailed formats nginx's message for a file that cannot be opened:
// open() "/etc/nginx/x.conf" failed (2: No such file or directory).
func openFailed(path string, err error) string {
	return fmt.Sprintf(`open() "%s" failed (%s)`, path, errnoText(err))
}

// errnoText renders an error as nginx does: "2: No such file or directory".
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		return fmt.Sprintf("%d: %s", int(errno), msg)
	}
	return err.Error()
}
