package directives

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// The build defaults nginxws shares with Debian's nginx 1.22 (nginx -V):
// the prefix that relative paths in directives resolve against, the
// configuration file, the pid file, and the error log used when the
// configuration names none. The error log is the classic file, not the
// "stderr" of Debian 12's build (see cmd/nginxws/options.go for why).
const (
	DefaultPrefix   = "/usr/share/nginx/"
	DefaultConfPath = "/etc/nginx/nginx.conf"
	DefaultPidPath  = "/run/nginx.pid"
	DefaultErrorLog = "/var/log/nginx/error.log"
)

// byName indexes every catalogue row by directive name; rows sharing a
// name are kept in catalogue order. It is filled once by init (a plain
// initializer would be a cycle: the rows' setters walk blocks through
// this index) and never modified after.
var byName map[string][]*row

func init() { byName = buildIndex() }

func buildIndex() map[string][]*row {
	m := make(map[string][]*row, len(catalogueRows)+len(nginxRows))
	for i := range catalogueRows {
		r := &catalogueRows[i]
		m[r.name] = append(m[r.name], r)
	}
	for i := range nginxRows {
		r := &nginxRows[i]
		m[r.name] = append(m[r.name], r)
	}
	return m
}

// Load reads, validates and compiles the configuration at path, as
// `nginx -t` does. path should be absolute (nginx makes -c absolute
// against the prefix before reading).
//
// On failure it returns a non-nil *Config holding the warnings printed
// before the error (nginx prints them as it reads, before the [emerg]
// line) and the files read so far, and an error whose Error() is the text
// nginx prints after "[emerg] ": the message and " in file:line" when the
// error has a place.
func Load(path string, opts LoadOptions) (*Config, error) {
	pc, perr := parser.Load(path, parser.Options{Globals: opts.Globals, Prefix: opts.prefix(), HandlerBlocks: handlerBlocks})
	return compileTree(pc, perr, opts)
}

// handlerBlocks are the blocks nginx reads with the directive's own
// handler, and what each does with an "include" line: map and geo include
// with their own message for a wrong count, types with nginx's usual one,
// split_clients and charset_map take it for one of their entries.
var handlerBlocks = map[string]parser.HandlerBlock{
	"map":           {ArgsMsg: "invalid number of the map parameters"},
	"geo":           {ArgsMsg: "invalid number of the geo parameters"},
	"types":         {},
	"split_clients": {NoInclude: true},
	"charset_map":   {NoInclude: true},
}

// LoadString compiles configuration text as if it were the file at path
// (includes resolve against its directory). It is meant for tests.
func LoadString(path, text string, opts LoadOptions) (*Config, error) {
	pc, perr := parser.LoadString(path, text)
	return compileTree(pc, perr, opts)
}

// compileTree validates and compiles a parsed tree. With perr set the tree
// is the part read before the syntax error: its directives are checked
// first, since nginx would have reported an error among them before
// reaching the syntax error, and only then perr is returned.
func compileTree(pc *parser.Config, perr error, opts LoadOptions) (*Config, error) {
	cfg := &Config{}
	if pc == nil {
		if perr == nil {
			perr = fmt.Errorf("no configuration read")
		}
		return cfg, perr
	}
	cfg.Files = pc.Files
	cfg.WatchDirs = pc.WatchDirs
	cfg.WatchGlobs = pc.WatchGlobs
	for _, n := range pc.Notes {
		cfg.Notes = append(cfg.Notes, Diag{Msg: n.Msg, Pos: n.Pos})
	}
	l := newLoader(cfg, pc, opts, perr != nil)
	if pe, ok := perr.(*parser.Error); ok {
		l.errPos = pe.Pos
	}
	err := l.run(pc.Directives)
	if l.refusal != nil {
		if err == nil && perr == nil {
			err = l.refusal
		}
	}
	if err != nil {
		return cfg, err
	}
	if perr != nil {
		return cfg, perr
	}
	return cfg, nil
}

// loader carries the state of one compilation. Everything it builds ends
// up in the Config; nothing outlives Load.
type loader struct {
	cfg     *Config
	tree    *parser.Config
	prefix  string
	partial bool       // the tree stops at a syntax error
	errPos  parser.Pos // where the syntax error is, when partial

	mainSet map[string]bool // main/events directives already seen
	// paths are the directories the configuration names (ngx_add_path's
	// cycle->paths); httpEnd is where the http block ends, where nginx's
	// merge adds the defaults.
	paths   []pathEntry
	httpEnd parser.Pos
	// threadPools are the thread_pool names declared (nginx's pools with
	// threads), for "duplicate thread pool"; poolRefs every pool named by
	// thread_pool or "aio threads", in order of first mention, for
	// "unknown thread pool" once the configuration is read.
	threadPools map[string]bool
	poolRefs    []poolRef
	events      bool         // an events block was read
	http        *httpBuilder // nil until the http block
	refusal     error        // the first refusal, reported at the end (refuseLater)
	resolve     resolver
	// cacheWarns are the indexes in cfg.Warnings of the "is ignored"
	// warnings of proxy_cache_* settings, dropped when the http block
	// ends without a proxy_cache_path (no ProxyCacheZones): without a
	// cache zone nginx caches nothing either, so they change nothing.
	cacheWarns []int
}

// prefix is the prefix relative paths resolve against: -p with a
// trailing "/", the build's default without -p, nothing with -p ”.
func (opts LoadOptions) prefix() string {
	prefix := opts.Prefix
	if prefix == "" && !opts.EmptyPrefix {
		prefix = DefaultPrefix
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return prefix
}

func newLoader(cfg *Config, pc *parser.Config, opts LoadOptions, partial bool) *loader {
	prefix := opts.prefix()
	res := resolver(systemResolver)
	if opts.Resolve != nil {
		res = opts.Resolve
	}
	return &loader{cfg: cfg, tree: pc, prefix: prefix, partial: partial, mainSet: map[string]bool{}, resolve: res}
}

// scope is where the walker stands: the context (for the "not allowed
// here" check) and the typed config that directives of this level fill.
type scope struct {
	ctx ctxMask
	// open marks a block the parser did not see closed (the tree stops at
	// a syntax error inside it): checks nginx runs at a block's "}" are
	// skipped for it, as nginx never got there.
	open bool

	srvConf  *ServerConf // http-level or server-level server settings
	server   *Server     // the server being read, nil at http level
	loc      *LocConf    // the level's location config (http, server, location, if)
	location *Location   // the location being read, nil outside
	ups      *Upstream   // the upstream block being read
	script   *[]*Stmt    // where rewrite-module statements of this level go
	inIf     bool        // inside an if block
}

// run walks the main context and then runs the checks nginx makes once
// the whole configuration is read.
func (l *loader) run(dirs []*parser.Directive) error {
	sc := &scope{ctx: cMain, open: l.partial}
	if err := l.block(dirs, sc); err != nil {
		return err
	}
	if l.partial {
		return nil
	}
	return l.finishMain()
}

// block handles a list of statements in order; the first error stops it,
// as in nginx.
func (l *loader) block(dirs []*parser.Directive, sc *scope) error {
	for i, d := range dirs {
		open := sc.open && i == len(dirs)-1 && d.IsBlock() && !l.closedBeforeError(d)
		if err := l.directive(d, sc, open); err != nil {
			return err
		}
	}
	return nil
}

// directive reproduces ngx_conf_handler: find the row for the name and the
// context, check braces and the argument count, then apply the status and
// the setter. lastOpen says the directive's own block may be unclosed.
func (l *loader) directive(d *parser.Directive, sc *scope, lastOpen bool) error {
	rows := byName[d.Name]
	if len(rows) == 0 {
		return l.errf(d, `unknown directive "%s"`, d.Name)
	}
	for _, r := range rows {
		if r.ctx&sc.ctx == 0 {
			continue
		}
		if r.args&argBlock == 0 && d.IsBlock() {
			return l.errf(d, `directive "%s" is not terminated by ";"`, d.Name)
		}
		if r.args&argBlock != 0 && !d.IsBlock() {
			return l.errf(d, `directive "%s" has no opening "{"`, d.Name)
		}
		if !r.args.argsOK(len(d.Args)) {
			return l.errf(d, `invalid number of arguments in "%s" directive`, d.Name)
		}
		if r.set == nil {
			if err := l.checkPassive(r, d, sc); err != nil {
				return err
			}
		}
		if (r.status == ignored || r.status == refused) && len(d.Args) == 1 && r.isDefault(d.Args[0].Value) {
			// nginx's default written out ("proxy_cache off", as
			// ASP.NET Core's and n8n's documented configurations have
			// it): nginxws does the same, nothing to warn of or refuse.
			return nil
		}
		switch r.status {
		case implemented:
		case ignored:
			if r.obsolete != "" {
				l.warnf(d, `the "%s" directive is obsolete, use the "%s" directive instead`, d.Name, r.obsolete)
				return nil
			}
			if r.warn != "" {
				l.warnf(d, "%s", r.warn)
				return nil
			}
			if r.check == checkPath {
				// fastcgi_temp_path and its siblings: without those
				// modules, the directory nginx makes at start is all
				// they do, and nginxws makes it too (checkPath).
				return nil
			}
			if d.Name != "proxy_cache_path" && (strings.HasPrefix(d.Name, "proxy_cache_") || d.Name == "proxy_no_cache") {
				// Not proxy_cache itself: with a variable and no zone,
				// nginx answers 500 ("cache ... not found").
				l.cacheWarns = append(l.cacheWarns, len(l.cfg.Warnings))
			}
			l.warnf(d, `"%s" directive is ignored`, d.Name)
			return nil
		case tlsSetting:
			if r.check != checkSSLCert {
				sc.keepSSL(d)
			}
			if d.Name == "ssl_password_file" {
				// ngx_ssl_read_password_file reads it where it is set.
				if err := l.readPasswordFile(d); err != nil {
					return err
				}
			}
			if d.Name == "ssl_dhparam" {
				// Go's TLS has no DHE key exchange: the DHE-* suites of
				// ssl_ciphers are never offered (tlsciphers.go).
				l.warnf(d, `"ssl_dhparam" directive is ignored, nginxws has no DHE cipher suites`)
			}
			return nil
		case refused:
			l.refuseLater(l.errf(d, `"%s" directive is not supported`, d.Name))
			return nil
		}
		if r.set == nil {
			return nil
		}
		if d.IsBlock() {
			// Blocks are handled by their setters, which need to know
			// whether the parser saw their "}".
			saved := sc.open
			sc.open = lastOpen
			err := r.set(l, d, sc)
			sc.open = saved
			return err
		}
		return r.set(l, d, sc)
	}
	return l.errf(d, `"%s" directive is not allowed here`, d.Name)
}

// checkPassive applies to a directive nginxws does not implement the
// checks nginx's setter would make (a second one at the level, the value's
// syntax), so a typo still fails as in nginx.
func (l *loader) checkPassive(r *row, d *parser.Directive, sc *scope) error {
	if r.dupErr && l.levelMark(sc, d.Name) {
		return l.dup(d)
	}
	if r.args&argFlag != 0 {
		_, err := l.flag(d)
		return err
	}
	switch r.check {
	case checkEnum:
		if !containsFold(r.vals, d.Args[0].Value) {
			return l.errf(d, `invalid value "%s"`, d.Args[0].Value)
		}
		return nil
	case checkBitmask:
		_, err := l.bitmask(d, sc, r.vals)
		return err
	case checkEvent:
		if d.Args[0].Value != "epoll" {
			return l.errf(d, `invalid event type "%s"`, d.Args[0].Value)
		}
		return nil
	case checkBufs:
		n, ok := Atoi(d.Args[0].Value)
		size, sok := parseSize(d.Args[1].Value)
		if !ok || n == 0 || !sok || size == 0 {
			return l.invalid(d)
		}
		sc.keepPassive(d.Name, n, size)
		return nil
	case checkPath:
		var sum int64
		for _, a := range d.Args[1:] {
			level, ok := Atoi(a.Value)
			if !ok || level == 0 {
				return l.invalid(d)
			}
			sum += level
		}
		if sum > 10 {
			return l.invalid(d)
		}
		var levels [MaxPathLevel]int
		for i, a := range d.Args[1:] {
			n, _ := Atoi(a.Value)
			levels[i] = int(n)
		}
		return l.addPath(d, d.Args[0].Value, levels, false)
	case checkCacheValid:
		return l.checkCacheValid(d)
	case checkOpenFileCache:
		return l.checkOpenFileCache(d)
	case checkSessionCache:
		return l.checkSessionCache(d)
	case checkZone:
		return l.checkUpstreamZone(d)
	case checkAio:
		return l.checkAio(d)
	case checkThreadPool:
		return l.checkThreadPool(d)
	case checkCPUAffinity:
		return l.checkCPUAffinity(d)
	case checkSSLCert:
		if sc.srvConf.sslPos == nil {
			sc.srvConf.sslPos = map[string]parser.Pos{}
		}
		sc.srvConf.sslPos[d.Name] = d.Pos
		if d.Name == "ssl_certificate" {
			sc.srvConf.sslCerts = append(sc.srvConf.sslCerts, d.Args[0].Value)
		} else {
			sc.srvConf.sslKeys = append(sc.srvConf.sslKeys, d.Args[0].Value)
		}
		return nil
	case checkTypes:
		l.readTypes(d, sc, nil)
		return nil
	case checkGzipWindow:
		return l.checkWindowHash(d, 32<<10, "512, 1k, 2k, 4k, 8k, 16k, or 32k")
	case checkGzipHash:
		return l.checkWindowHash(d, 128<<10, "512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k")
	case checkCachePath:
		return l.checkCachePath(d)
	case checkProxyCache:
		return l.checkProxyCache(d, sc)
	case checkPredicate, checkComplex:
		for _, a := range d.Args {
			if _, err := l.compileComplex(d, a.Value); err != nil {
				return err
			}
		}
		return nil
	case checkStore:
		if v := d.Args[0].Value; v != "off" && v != "on" {
			_, err := l.compileComplex(d, v)
			return err
		}
		return nil
	case checkHTTP2Push:
		return l.checkHTTP2Push(d, sc)
	case checkSplitPathInfo:
		return l.checkSplitPathInfo(d)
	case checkParam:
		return l.checkParam(d, sc)
	case checkBind:
		return l.checkBind(d, sc)
	case checkAccess:
		return l.checkAccess(d, sc)
	case checkDebugConnection:
		return l.checkDebugConnection(d)
	case checkUpstreamPass:
		return l.checkUpstreamPass(d, sc)
	case checkDisableSymlinks:
		return l.checkDisableSymlinks(d, sc)
	case checkUseridExpires:
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		if v := d.Args[0].Value; v != "max" && v != "off" {
			if _, ok := parseSec(v); !ok {
				return l.invalid(d)
			}
		}
		return nil
	case checkUseridMark:
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		if v := d.Args[0].Value; v != "off" && (len(v) != 1 || !isWordByte(v[0]) || v[0] == '_') && v != "=" {
			return l.errf(d, `"%s" directive value must be "off" or a single letter, digit or "="`, d.Name)
		}
		return nil
	case checkOCSPCache:
		return l.checkOCSPCache(d, sc)
	case checkModernBrowser:
		// ngx_http_modern_browser: a lone argument other than
		// "unlisted" fails without a message of its own.
		if len(d.Args) == 1 {
			if d.Args[0].Value != "unlisted" {
				return &parser.Error{Silent: true}
			}
			return nil
		}
		if !containsFold([]string{"opera", "msie", "gecko", "safari", "konqueror"}, d.Args[0].Value) {
			return l.errf(d, `unknown browser name "%s"`, d.Args[0].Value)
		}
		if strings.Trim(d.Args[1].Value, "0123456789.") != "" {
			return l.errf(d, `invalid browser version "%s"`, d.Args[1].Value)
		}
		return nil
	case checkMirror:
		// ngx_http_mirror: "off" once and alone; URIs accumulate.
		off := d.Args[0].Value == "off"
		if sc.loc.isSet("mirror off") || off && sc.loc.isSet(d.Name) {
			return l.dup(d)
		}
		sc.loc.mark(d.Name)
		if off {
			sc.loc.mark("mirror off")
		}
		return nil
	case checkPasswordFile:
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		return l.readPasswordFile(d)
	case checkPriority:
		// ngx_set_priority (main context only) calls a second one a
		// duplicate only when an earlier one set a non-zero priority.
		if l.mainSet[d.Name] {
			return l.dup(d)
		}
		v := d.Args[0].Value
		if v != "" && (v[0] == '-' || v[0] == '+') {
			v = v[1:]
		}
		n, ok := Atoi(v)
		if !ok {
			return l.errf(d, `"%s" directive invalid number`, d.Name)
		}
		if n != 0 {
			l.mainSet[d.Name] = true
		}
		return nil
	}
	if r.check != checkNone && len(d.Args) == 1 && !r.check.valid(d.Args[0].Value) {
		if r.check == checkNum {
			return l.errf(d, `"%s" directive invalid number`, d.Name)
		}
		return l.invalid(d)
	}
	if (r.check == checkSize || r.check == checkNum) && len(d.Args) == 1 {
		v, _ := parseSize(d.Args[0].Value)
		if r.check == checkNum {
			v, _ = Atoi(d.Args[0].Value)
		}
		sc.keepPassive(d.Name, v, 0)
	}
	if r.post != nil && len(d.Args) == 1 {
		var v int64
		if r.check == checkNum {
			v, _ = Atoi(d.Args[0].Value)
		} else {
			v, _ = parseSize(d.Args[0].Value)
		}
		if msg := r.post(d.Name, v); msg != "" {
			return l.errf(d, "%s", msg)
		}
	}
	if r.check == checkNum && r.max != 0 {
		if n, _ := Atoi(d.Args[0].Value); n < 1 || n > r.max {
			return l.errf(d, "value must be between 1 and %d", r.max)
		}
	}
	return nil
}

// containsFold reports whether v is one of names, ignoring case (nginx's
// ngx_strcasecmp in its enum and bitmask setters).
// bitmask reads a directive's arguments as ngx_conf_set_bitmask_slot
// does: each one of names (ignoring case), bit i for names[i]. The bits
// accumulate over the level's occurrences of the directive, so a value
// named twice is warned about even across two lines.
func (l *loader) bitmask(d *parser.Directive, sc *scope, names []string) (uint64, error) {
	var bits uint64
	for _, a := range d.Args {
		i := slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(n, a.Value) })
		if i < 0 {
			return 0, l.errf(d, `invalid value "%s"`, a.Value)
		}
		if l.levelMark(sc, d.Name+" "+lowerString(a.Value)) {
			l.warnf(d, `duplicate value "%s"`, a.Value)
		}
		bits |= 1 << i
	}
	return bits, nil
}

func containsFold(names []string, v string) bool {
	for _, n := range names {
		if strings.EqualFold(n, v) {
			return true
		}
	}
	return false
}

// levelMark records a directive at the scope's level (the configuration
// struct nginx would store it in) and reports whether it was there.
func (l *loader) levelMark(sc *scope, name string) bool {
	switch {
	case sc.loc != nil:
		return sc.loc.mark(name)
	case sc.ups != nil:
		return sc.ups.mark(name)
	case sc.ctx == cEvents:
		name = "events " + name
	}
	if l.mainSet[name] {
		return true
	}
	l.mainSet[name] = true
	return false
}

// flag parses an on|off argument with ngx_conf_set_flag_slot's message.
func (l *loader) flag(d *parser.Directive) (bool, error) {
	v := d.Args[0].Value
	switch lowerString(v) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, l.errf(d, `invalid value "%s" in "%s" directive, it must be "on" or "off"`, v, d.Name)
}

// num reads the directive's number argument as ngx_conf_set_num_slot
// does: what ngx_atoi takes, else nginx's "invalid number".
func (l *loader) num(d *parser.Directive) (int64, error) {
	n, ok := Atoi(d.Args[0].Value)
	if !ok {
		return 0, l.errf(d, `"%s" directive invalid number`, d.Name)
	}
	return n, nil
}

// errf builds an error located at the directive, as ngx_conf_log_error.
func (l *loader) errf(d *parser.Directive, format string, args ...any) error {
	return &parser.Error{Msg: fmt.Sprintf(format, args...), Pos: d.Pos}
}

// errAt builds an error at an explicit position.
func errAt(pos parser.Pos, format string, args ...any) error {
	return &parser.Error{Msg: fmt.Sprintf(format, args...), Pos: pos}
}

// warnf records a [warn] line located at the directive.
func (l *loader) warnf(d *parser.Directive, format string, args ...any) {
	l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: fmt.Sprintf(format, args...), Pos: d.Pos})
}

// dup is the "is duplicate" error of nginx's slot setters.
func (l *loader) dup(d *parser.Directive) error {
	return l.errf(d, `"%s" directive is duplicate`, d.Name)
}

// invalid is the "invalid value" error of nginx's slot setters.
func (l *loader) invalid(d *parser.Directive) error {
	return l.errf(d, `"%s" directive invalid value`, d.Name)
}

// fullName resolves a path against the prefix, as ngx_conf_full_name with
// the prefix (not the configuration's directory): pid, logs, root.
// addPath records a directory nginx creates at start (ngx_conf_set_path_slot
// and ngx_http_file_cache_set_slot drop a trailing "/" and name it from
// the prefix), as ngx_add_path: each name once, and a name used again
// must be for the same kind of path (a cache's path is its own) with the
// same levels. d is the directive naming it; nil for a compiled-in
// default, which the http block's merge adds (at its end).
func (l *loader) addPath(d *parser.Directive, p string, levels [MaxPathLevel]int, cache bool) error {
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	p = l.fullName(p)
	for _, e := range l.paths {
		if e.name != p {
			continue
		}
		switch {
		case cache || e.cache:
			// Each cache's path has its own data (p[i]->data != path->data).
			pos := l.httpEnd
			if d != nil {
				pos = d.Pos
			}
			return errAt(pos, `the same path name "%s" used in %s and`, p, e.pos)
		case e.levels == levels:
			return nil
		case d == nil && e.def:
			return &parser.Error{Msg: fmt.Sprintf(`the default path name "%s" has the same name as another default path, but the different levels, you need to redefine one of them in http section`, p)}
		case d == nil:
			return &parser.Error{Msg: fmt.Sprintf(`the path name "%s" in %s has the same name as default path, but the different levels, you need to define default path in http section`, p, e.pos)}
		}
		return l.errf(d, `the same path name "%s" in %s has the different levels than`, p, e.pos)
	}
	e := pathEntry{name: p, levels: levels, cache: cache, def: d == nil}
	if d != nil {
		e.pos = d.Pos
	}
	l.paths = append(l.paths, e)
	l.cfg.Main.Paths = append(l.cfg.Main.Paths, p)
	return nil
}

// pathEntry is a directory of the cycle's paths (ngx_path_t): its full
// name, levels, where it was named (none for a default) and whether it is
// a cache's.
type pathEntry struct {
	name       string
	levels     [MaxPathLevel]int
	pos        parser.Pos
	cache, def bool
}

func (l *loader) fullName(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return l.prefix + p
}

// closedBeforeError reports whether a block of a partial tree was closed
// before the syntax error: its "}" stands on an earlier line of the file
// the error is in. (The last block of each level is otherwise taken as
// cut by the error.)
func (l *loader) closedBeforeError(d *parser.Directive) bool {
	if l.errPos.File == "" || d.Pos.File != l.errPos.File {
		return false
	}
	end, ok := l.endPos(d)
	return ok && end.Line < l.errPos.Line
}

// end returns the position of a block's closing "}", where nginx reports
// the checks it makes when a block ends.
func (l *loader) end(d *parser.Directive) parser.Pos {
	if p, ok := l.endPos(d); ok {
		return p
	}
	return d.Pos
}

// endPos is end without the fallback.
func (l *loader) endPos(d *parser.Directive) (parser.Pos, bool) {
	if !d.IsBlock() || d.EndLine == 0 || d.Pos.CommandLine {
		return parser.Pos{}, false
	}
	return parser.Pos{File: d.Pos.File, Line: d.EndLine}, true
}

// isDefault reports whether v is the row's default value: flags compare
// ignoring case, as ngx_conf_set_flag_slot does; other values as written
// ("charset OFF" names a charset).
func (r *row) isDefault(v string) bool {
	for _, d := range r.def {
		if d == v || r.args&argFlag != 0 && strings.EqualFold(d, v) {
			return true
		}
	}
	return false
}

// Implemented reports whether nginxws carries out the directive name (as
// opposed to refusing it, ignoring it with a [warn], or not knowing it):
// `-V` derives the modules it announces from it.
func Implemented(name string) bool {
	for _, r := range byName[name] {
		if r.status == implemented || r.status == tlsSetting {
			return true
		}
	}
	return false
}
