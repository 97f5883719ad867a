package directives

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"strings"
	"syscall"

	"github.com/nginxws/nginxws/parser"
)

// Setters of the main and events contexts (ngx_core_module,
// ngx_errlog_module, ngx_events_module).

// once reports the "is duplicate" error for a main-context directive seen
// before, as the core module's slot setters do.
func (l *loader) once(d *parser.Directive) error {
	if l.mainSet[d.Name] {
		return l.dup(d)
	}
	l.mainSet[d.Name] = true
	return nil
}

func (l *loader) setDaemon(d *parser.Directive, _ *scope) error {
	if err := l.once(d); err != nil {
		return err
	}
	v, err := l.flag(d)
	if err != nil {
		return err
	}
	if v {
		// A daemon is left to the service manager (systemd, runit, a
		// container runtime): nginxws stays in the foreground.
		l.warnf(d, `"daemon" directive is ignored, nginxws always runs in the foreground`)
	}
	l.cfg.Main.Daemon = v
	return nil
}

func (l *loader) setPid(d *parser.Directive, _ *scope) error {
	if err := l.once(d); err != nil {
		return err
	}
	// nginx 1.22 has no "pid off": every value is a path, "off" included.
	l.cfg.Main.Pid = l.fullName(d.Args[0].Value)
	return nil
}

// logLevels are error_log's level names, in LogLevel order.
var logLevels = map[string]LogLevel{
	"stderr": LevelStderr, "emerg": LevelEmerg, "alert": LevelAlert, "crit": LevelCrit,
	"error": LevelError, "warn": LevelWarn, "notice": LevelNotice, "info": LevelInfo, "debug": LevelDebug,
}

// memoryLogMin is the smallest "error_log memory:SIZE" nginx takes, plus
// the length of the name of the file the directive is in ("" for -g):
// sizeof("MEMLOG  :\n") + NGX_SIZE_T_LEN + NGX_INT_T_LEN +
// NGX_MAX_ERROR_STR.
const memoryLogMin = 11 + 20 + 20 + 2048

// parseErrorLog reads `error_log file [level]` as ngx_log_set_log: a level
// may be given once; "stderr" is the standard error stream; other paths
// are relative to the prefix.
func (l *loader) parseErrorLog(d *parser.Directive) (ErrorLog, error) {
	path := d.Args[0].Value
	el := ErrorLog{Path: path, Level: LevelError, Pos: d.Pos}
	switch {
	case path == "stderr":
	case path == "":
		// ngx_conf_open_file takes an empty name as the standard error.
		el.Path = "stderr"
	case strings.HasPrefix(path, "syslog:"):
		sl, err := l.parseSyslog(d, path)
		if err != nil {
			return el, err
		}
		el.Syslog = sl
	case strings.HasPrefix(path, "memory:"):
		// ngx_log_set_log (a debug build's, as Debian's) wants a size
		// that holds the buffer's header line and one message.
		size, ok := parseSize(path[len("memory:"):])
		if !ok || size < memoryLogMin+int64(len(d.Pos.File)) {
			return el, l.errf(d, `invalid buffer size "%s"`, path[len("memory:"):])
		}
		// Kept as written, so that the level does not inherit its
		// parent's logs; nothing is written there.
		l.warnf(d, `logging to "%s" is not supported, the "error_log" directive is ignored`, path)
	default:
		el.Path = l.fullName(path)
	}
	// ngx_log_set_levels: one level, or debug masks (debug_http, …: a
	// debug build's, accepted by every build), not both; a level after
	// either is "duplicate log level", a mask after a level "invalid".
	level, masks := LogLevel(0), false
	for _, a := range d.Args[1:] {
		name := a.Value
		if lv, ok := logLevels[name]; ok && name != "stderr" {
			if level != 0 || masks {
				return el, l.errf(d, `duplicate log level "%s"`, name)
			}
			level = lv
			continue
		}
		if debugLogMasks[name] && level == 0 {
			masks = true
			continue
		}
		return el, l.errf(d, `invalid log level "%s"`, name)
	}
	switch {
	case level != 0:
		el.Level = level
	case masks:
		// The masks outrank every level: everything is logged.
		el.Level = LevelDebug
	}
	return el, nil
}

// debugLogMasks are ngx_log.c's debug_levels.
var debugLogMasks = map[string]bool{"debug_core": true, "debug_alloc": true, "debug_mutex": true, "debug_event": true,
	"debug_http": true, "debug_mail": true, "debug_stream": true}

func (l *loader) setErrorLog(d *parser.Directive, sc *scope) error {
	el, err := l.parseErrorLog(d)
	if err != nil {
		return err
	}
	if el.Syslog == nil && el.Path != "stderr" && !strings.HasPrefix(el.Path, "memory:") {
		l.addLogFile(el.Path)
	}
	if d.Args[0].Value == "stderr" {
		// ngx_log_set_log; an empty name is stderr too, but does not
		// set it.
		l.cfg.Main.LogUseStderr = true
	}
	if sc.ctx == cMain {
		l.cfg.Main.ErrorLogs = append(l.cfg.Main.ErrorLogs, el)
		return nil
	}
	sc.loc.ErrorLogs = append(sc.loc.ErrorLogs, el)
	return nil
}

// addLogFile records a log file in Main.LogFiles, once, as
// ngx_conf_open_file adds it to cycle->open_files.
func (l *loader) addLogFile(p string) {
	if p != "" && !slices.Contains(l.cfg.Main.LogFiles, p) {
		l.cfg.Main.LogFiles = append(l.cfg.Main.LogFiles, p)
	}
}

// setInclude is reached only for an include the parser left in the tree
// (it resolves includes in place); there is nothing left to do.
func (l *loader) setInclude(*parser.Directive, *scope) error { return nil }

// setLoadModule reproduces the part of ngx_load_module nginxws can: the
// module file must be one dlopen() could open (nginx's error quotes
// dlerror(), whose words for the usual failures are reproduced here); the
// module itself is not loaded, so a directive it adds stays unknown.
func (l *loader) setLoadModule(d *parser.Directive, _ *scope) error {
	if l.events || l.http != nil {
		// An events or http block has counted the modules
		// (ngx_count_modules sets cycle->modules_used).
		return l.errf(d, `"load_module" directive is specified too late`)
	}
	path := l.fullName(d.Args[0].Value)
	if path == "" {
		// ngx_conf_full_name makes "" the prefix itself, a directory.
		path = l.prefix
	}
	if why := dlopenError(path); why != "" {
		return l.errf(d, `dlopen() "%s" failed (%s: %s)`, path, path, why)
	}
	l.warnf(d, `"load_module" directive is ignored, dynamic module "%s" is not loaded`, d.Args[0].Value)
	return nil
}

// dlopenError is glibc's dlerror() text for a file dlopen() cannot load,
// "" when it looks like an ELF object.
func dlopenError(path string) string {
	f, err := os.Open(path)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return "cannot open shared object file: " + errnoText(errno)
		}
		return "cannot open shared object file"
	}
	defer f.Close()
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return "cannot read file data: " + errnoText(errno)
	case n < len(head):
		// glibc reads a whole ELF header (64 bytes) first.
		return "file too short"
	case string(head[:4]) != "\x7fELF":
		return "invalid ELF header"
	}
	return ""
}

// errnoText is strerror(3)'s text, as glibc words it.
func errnoText(e syscall.Errno) string {
	s := e.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// setUser reproduces ngx_set_user: only the super-user can switch users
// (others get a [warn]); the user and the group (by default the user's
// name) must exist.
func (l *loader) setUser(d *parser.Directive, _ *scope) error {
	if err := l.once(d); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		l.warnf(d, `the "user" directive makes sense only if the master process runs with super-user privileges, ignored`)
		return nil
	}
	name, group := d.Args[0].Value, d.Args[0].Value
	if len(d.Args) > 1 {
		group = d.Args[1].Value
	}
	if _, err := user.Lookup(name); err != nil {
		return l.errf(d, `getpwnam("%s") failed`, name)
	}
	if _, err := user.LookupGroup(group); err != nil {
		return l.errf(d, `getgrnam("%s") failed`, group)
	}
	l.cfg.Main.User, l.cfg.Main.Group = name, group
	return nil
}

func (l *loader) setWorkerProcesses(d *parser.Directive, _ *scope) error {
	if err := l.once(d); err != nil {
		return err
	}
	v := d.Args[0].Value
	if v == "auto" {
		l.cfg.Main.WorkerProcesses = 0
	} else {
		n, ok := Atoi(v)
		if !ok {
			return l.invalid(d)
		}
		l.cfg.Main.WorkerProcesses = int(n)
	}
	// One process serves every connection, but what nginx's workers hold
	// each is multiplied by their count: keepalive pools and connection
	// slots (worker_connections). So the directive is not ignored, and
	// nginx has no word for it.
	return nil
}

func (l *loader) setWorkerRlimitNofile(d *parser.Directive, _ *scope) error {
	if err := l.once(d); err != nil {
		return err
	}
	n, err := l.num(d)
	if err != nil {
		return err
	}
	l.cfg.Main.WorkerRlimitNofile = int(n)
	return nil
}

func (l *loader) setWorkerShutdownTimeout(d *parser.Directive, _ *scope) error {
	if err := l.once(d); err != nil {
		return err
	}
	v, ok := parseMsec(d.Args[0].Value)
	if !ok {
		return l.invalid(d)
	}
	l.cfg.Main.WorkerShutdownTimeout = v
	return nil
}

func (l *loader) setEvents(d *parser.Directive, sc *scope) error {
	if l.events {
		return l.errf(d, `"events" directive is duplicate`)
	}
	l.events = true
	l.cfg.Events.WorkerConnections = -1
	err := l.block(d.Block, &scope{ctx: cEvents, open: sc.open})
	if err != nil {
		return err
	}
	return nil
}

func (l *loader) setWorkerConnections(d *parser.Directive, _ *scope) error {
	if l.cfg.Events.WorkerConnections != -1 {
		return l.dup(d)
	}
	n, ok := Atoi(d.Args[0].Value)
	if !ok {
		return l.errf(d, `invalid number "%s"`, d.Args[0].Value)
	}
	l.cfg.Events.WorkerConnections = int(n)
	return nil
}

// finishMain runs the checks and defaults nginx applies once the whole
// file is read (the core and event modules' init_conf).
func (l *loader) finishMain() error {
	m := &l.cfg.Main
	if !l.mainSet["daemon"] {
		m.Daemon = true
	}
	if !l.mainSet["pid"] {
		m.Pid = DefaultPidPath
	}
	if !l.mainSet["worker_processes"] {
		m.WorkerProcesses = 1 // nginx's default; 0 is "auto"
	}
	if len(m.ErrorLogs) == 0 {
		m.ErrorLogs = []ErrorLog{{Path: DefaultErrorLog, Level: LevelError}}
	}
	if !l.events {
		return &parser.Error{Msg: `no "events" section in configuration`, PostSyntax: true}
	}
	if l.cfg.Events.WorkerConnections == -1 {
		l.cfg.Events.WorkerConnections = 512
	}
	// ngx_event_init_conf: a connection for each listening socket and one
	// for the channel to the master.
	var sockets int
	if l.http != nil {
		sockets = l.http.listeningSockets()
	}
	if l.cfg.Events.WorkerConnections < sockets+1 {
		return &parser.Error{Msg: fmt.Sprintf("%d worker_connections are not enough for %d listening sockets", l.cfg.Events.WorkerConnections, sockets), PostSyntax: true}
	}
	if err := l.checkThreadPools(); err != nil {
		return err
	}
	// ngx_init_cycle then creates the shared memory zones.
	if l.http != nil {
		return l.http.checkLimitZones()
	}
	return nil
}
