package main

import (
	"errors"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/parser"
	"github.com/nginxws/nginxws/proxy"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// process is one run of nginxws: its options and the error log every
// message goes through.
type process struct {
	opts   *options
	paths  paths
	stdout *os.File
	stderr *os.File
	pid    int
	log    *errlog.Log
	// stderrLog is set once stderr has been pointed at the error log (a
	// running nginxws); reloads and SIGUSR1 then point it at the new file.
	stderrLog bool
}

// cycle is one reading of the configuration, as nginx's ngx_cycle_t: the
// compiled configuration and the error log files it names, opened.
type cycle struct {
	cfg  *directives.Config
	logs *errlog.Set
}

// errReported is returned once the reason of a failure has been logged:
// the caller only has to fail.
var errReported = errors.New("reported")

// reportedError is errReported carrying the error that was logged, for a
// caller that needs more than the failure: a reload's watcher wants the
// file an include could not open, to see it appear.
type reportedError struct{ cause error }

func (e *reportedError) Error() string   { return errReported.Error() }
func (e *reportedError) Unwrap() []error { return []error{errReported, e.cause} }

// openStartupLog installs nginx's built-in error log (ngx_log_init): the -e
// file, or the default, relative to the prefix; stderr for `-e stderr`. It
// logs [notice] and more severe ([info] under -t), and mirrors [warn] and
// more severe to stderr while nginxws starts. A file that cannot be opened
// is reported on stderr and replaced by stderr, as nginx does.
func (p *process) openStartupLog() *errlog.Set {
	level := errlog.LevelNotice
	if p.opts.test {
		level = errlog.LevelInfo
	}
	path := p.paths.errorLog
	if path == "" {
		path = errlog.StderrPath
	}
	set, err := errlog.Open([]errlog.Target{{Path: path, Level: level}})
	if err != nil {
		console(p.stderr, "[alert] could not open error log file: "+err.Error())
		set, _ = errlog.Open([]errlog.Target{{Path: errlog.StderrPath, Level: level}})
	}
	p.log = errlog.New(program, p.pid, p.stderr, set)
	p.log.SetJSON(p.opts.json)
	p.log.SetMirror(true)
	return set
}

// diagText formats a located message as nginx appends the place.
func diagText(msg string, pos parser.Pos) string {
	if pos.File == "" && !pos.CommandLine {
		return msg
	}
	return msg + " in " + pos.String()
}

// postSyntax reports whether nginx finds err only after the configuration
// has been read (a module's init_conf step, the shared memory zones), and
// so prints "syntax is ok" before it under -t. directives.Load does both
// steps in one call and marks such errors.
func postSyntax(err error) bool {
	var pe *parser.Error
	return errors.As(err, &pe) && pe.PostSyntax
}

// cycleStage reports whether nginx finds err in ngx_init_cycle's steps
// after the modules' init_conf, which a signalling nginx skips.
func cycleStage(err error) bool {
	var pe *parser.Error
	return errors.As(err, &pe) && pe.Cycle
}

// logLoadError logs a configuration error at its nginx level: [emerg],
// except for the few read failures nginx reports at another level.
func (p *process) logLoadError(err error) {
	lvl := errlog.LevelEmerg
	var pe *parser.Error
	if errors.As(err, &pe) && pe.Silent {
		return
	}
	if errors.As(err, &pe) && pe.Level != "" {
		for l := errlog.LevelEmerg; l <= errlog.LevelDebug; l++ {
			if l.String() == pe.Level {
				lvl = l
			}
		}
	}
	errlog.Msg(p.log.WithLevel(lvl), err.Error())
}

// loadConfig reads and validates the configuration, logging its warnings
// and, on failure, its error, through the current error log. Under -t it
// prints nginx's "syntax is ok" line where nginx does. On failure the
// configuration returned, if not nil, is the part read before the error:
// a reload watches the files it names, so that fixing them is seen.
func (p *process) loadConfig() (*directives.Config, error) {
	cfg, err := directives.Load(p.paths.conf, directives.LoadOptions{Prefix: p.paths.prefix, EmptyPrefix: p.paths.prefix == "", Globals: p.opts.globals})
	if cfg != nil {
		// errlog.Msg, not zerolog's Msg: nginx prints the configuration's
		// bytes as they are, and zerolog would turn those that are not
		// UTF-8 (a Latin-1 comment made a word, a name) into U+FFFD.
		for _, w := range cfg.Warnings {
			if w.Emerg {
				errlog.Msg(p.log.Emerg(), diagText(w.Msg, w.Pos))
				continue
			}
			errlog.Msg(p.log.Warn(), diagText(w.Msg, w.Pos))
		}
		for _, n := range cfg.Notes {
			errlog.Msg(p.log.Info(), diagText(n.Msg, n.Pos))
		}
	}
	if err != nil && p.opts.signal != "" && cycleStage(err) {
		// ngx_init_cycle returns to a signaller (-s, -t -s) before this
		// check: the configuration, read to its end, is good enough to
		// find the pid file.
		err = nil
	}
	syntaxOK := p.opts.test && !p.opts.quiet
	if err != nil {
		if syntaxOK && postSyntax(err) {
			console(p.stderr, "the configuration file "+p.paths.conf+" syntax is ok")
		}
		p.logLoadError(err)
		return cfg, &reportedError{err}
	}
	if syntaxOK {
		console(p.stderr, "the configuration file "+p.paths.conf+" syntax is ok")
	}
	return cfg, nil
}

// openCycle is the part of ngx_init_cycle after the configuration is read:
// under -t the pid file is created (not written) to prove it can be; then
// the log files are opened. Failures are logged at [emerg].
func (p *process) openCycle(cfg *directives.Config) (*cycle, error) {
	if p.opts.test {
		if err := p.createPidfile(cfg.Main.Pid); err != nil {
			return nil, err
		}
	}
	// ngx_create_paths: the temp and cache directories, made if missing
	// (one level, 0700), before the logs are opened; as root, each is
	// then given to the workers' user and made rwx for it.
	owner, chown := pathsOwner(cfg)
	for _, dir := range cfg.Main.Paths {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			errlog.Msg(p.log.Emerg(), `mkdir() "`+dir+`" failed (`+errlog.Errno(err)+")")
			return nil, errReported
		}
		if chown {
			if msg := ownPath(dir, owner); msg != "" {
				p.log.Emerg().Msg(msg)
				return nil, errReported
			}
		}
	}
	// The files every error_log and access_log names, in the order
	// nginx opens them: the first that fails is the one reported.
	if err := proxy.CheckLogFiles(cfg); err != nil {
		errlog.Msg(p.log.Emerg(), err.Error())
		return nil, errReported
	}
	// Then the main context's error logs, and the default one (-e) last,
	// as ngx_log_open_default adds it.
	logs, err := errlog.Open(p.logTargets(cfg))
	if err != nil {
		errlog.Msg(p.log.Emerg(), err.Error())
		return nil, errReported
	}
	return &cycle{cfg: cfg, logs: logs}, nil
}

// pathsOwner is the uid ngx_create_paths gives the paths to: the user
// directive's, or "nobody" (ngx_core_module_init_conf), when nginxws runs
// as root; false otherwise, or for a user that cannot be found.
func pathsOwner(cfg *directives.Config) (int, bool) {
	if os.Geteuid() != 0 {
		return 0, false
	}
	name := cfg.Main.User
	if name == "" {
		name = "nobody"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, false
	}
	uid, err := strconv.Atoi(u.Uid)
	return uid, err == nil
}

// ownPath is ngx_create_paths' part for a super-user: the directory
// changes owner to uid unless it has it, and gets rwx for its owner; the
// [emerg] message of a failure, "" without one.
func ownPath(dir string, uid int) string {
	fi, err := os.Stat(dir)
	if err != nil {
		return `stat() "` + dir + `" failed (` + errlog.Errno(err) + ")"
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
		if err := os.Chown(dir, uid, -1); err != nil {
			return `chown("` + dir + `", ` + strconv.Itoa(uid) + `) failed (` + errlog.Errno(err) + ")"
		}
	}
	if fi.Mode()&0o700 != 0o700 {
		mode := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		if err := os.Chmod(dir, mode|0o700); err != nil {
			return `chmod() "` + dir + `" failed (` + errlog.Errno(err) + ")"
		}
	}
	return ""
}

// logTargets turns the configuration's error_log directives into targets.
// Without one, nginx logs to the start-up log's file (-e or the default)
// at [error] (ngx_log_open_default); directives.Load marks that default
// with an entry that has no position. memory: targets are not supported
// and are skipped; a configuration left with no target at all gets the
// default, as nginx adds it when no file log remains (syslog targets are
// not files).
func (p *process) logTargets(cfg *directives.Config) []errlog.Target {
	def := errlog.Target{Path: p.paths.errorLog, Level: errlog.LevelError}
	if def.Path == "" {
		def.Path = errlog.StderrPath
	}
	var ts []errlog.Target
	files := false
	for _, el := range cfg.Main.ErrorLogs {
		if el.Pos == (parser.Pos{}) {
			ts = append(ts, def)
			files = true
			continue
		}
		if strings.HasPrefix(el.Path, "memory:") {
			continue
		}
		ts = append(ts, errlog.Target{Path: el.Path, Level: errlog.Level(el.Level), Syslog: proxy.SyslogTarget(el.Syslog)})
		if el.Syslog == nil {
			files = true
		}
	}
	if !files {
		// ngx_log_open_default: syslog targets alone leave no file.
		ts = append(ts, def)
	}
	return ts
}

// createPidfile is ngx_create_pidfile. Under -t it opens (creating if need
// be, never truncating) and closes the file; otherwise it truncates it and
// writes the pid and a newline. An empty name (`pid off;`) means no file.
func (p *process) createPidfile(name string) error {
	if name == "" {
		return nil
	}
	flags := os.O_RDWR | os.O_CREATE
	if !p.opts.test {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(name, flags, 0o644)
	if err != nil {
		errlog.Msg(p.log.Emerg(), `open() "`+name+`" failed (`+errlog.Errno(err)+")")
		return errReported
	}
	var werr error
	if !p.opts.test {
		if _, werr = f.WriteAt([]byte(strconv.Itoa(p.pid)+"\n"), 0); werr != nil {
			p.log.Crit().Msg(`pwrite() "` + name + `" failed (` + errlog.Errno(werr) + ")")
		}
	}
	if err := f.Close(); err != nil {
		p.log.Alert().Msg(`close() "` + name + `" failed (` + errlog.Errno(err) + ")")
	}
	if werr != nil {
		return errReported
	}
	return nil
}

// deletePidfile is ngx_delete_pidfile.
func (p *process) deletePidfile(name string) {
	if name == "" {
		return
	}
	if err := os.Remove(name); err != nil {
		p.log.Alert().Msg(`unlink() "` + name + `" failed (` + errlog.Errno(err) + ")")
	}
}
