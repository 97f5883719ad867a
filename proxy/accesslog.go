package proxy

import (
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// accessLogs holds the open access log files by path, shared by the
// configurations a Server runs: a reload keeps the files both use open
// (reopened, as nginx's new cycle opens its files anew), opens new ones
// and closes those no longer named.
type accessLogs struct {
	mu    sync.Mutex
	files map[string]*logFile
}

// logBuffer is what an access_log's buffer=, flush= and gzip= ask of its
// file.
type logBuffer struct {
	size  int
	flush time.Duration
	level int
}

// fileLogs returns the files every literal access_log path of cfg names,
// with the buffer each gets: nginx attaches a buffer to the file, not to
// the directive, so every access_log naming a file shares the buffer one
// of them defined (directives.Load refuses conflicting ones).
//
// The default access log (no access_log in http) counts only if a server
// logs there: nginx opens it in ngx_http_log_merge_loc_conf, when a
// server's level merged with the http level finds no access_log in
// either; the http level itself is never merged and serves no request. So
// a configuration whose servers all name their own logs never opens
// /var/log/nginx/access.log, which a user that cannot write there
// depends on.
func fileLogs(cfg *directives.Config) map[string]logBuffer {
	want := map[string]logBuffer{}
	if h := cfg.HTTP; h != nil {
		walkConfs(h, func(c *directives.LocConf) {
			if c.AccessLogOff {
				return
			}
			for _, l := range c.AccessLogs {
				if l.Path == nil || !l.Path.IsLiteral() || isSyslog(l.Path.Raw) {
					continue
				}
				if c == h.Conf && l.Pos.File == "" {
					// The default, inherited from nginx's defaults
					// (it has no position in a file).
					continue
				}
				b := want[l.Path.Raw]
				if l.Buffer > 0 {
					b = logBuffer{size: int(l.Buffer), flush: time.Duration(l.Flush) * time.Millisecond, level: l.Gzip}
				}
				want[l.Path.Raw] = b
			}
		})
	}
	return want
}

// isSyslog reports an access_log to syslog.
func isSyslog(path string) bool { return strings.HasPrefix(path, "syslog:") }

// CheckLogFiles opens, creating them if need be, the log files cfg names
// (error_log files of every level, access log files), in the order
// nginx's ngx_init_cycle opens its cycle's files (directives'
// Main.LogFiles), as nginx does before it runs and under -t: the first
// that cannot be opened is returned, worded as nginx's
// `open() "/var/log/nginx/x.log" failed (13: Permission denied)`.
func CheckLogFiles(cfg *directives.Config) error {
	for _, p := range cfg.Main.LogFiles {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return &errlog.OpenError{Path: p, Err: err}
		}
		_ = f.Close()
	}
	return nil
}

// open returns the files for every literal access_log path of cfg,
// opening those not open yet and reopening the others; each counts one
// more configuration using it, until release. A file that cannot be
// opened is logged, as nginx's open() failure, and skipped.
func (a *accessLogs) open(cfg *directives.Config, log *errlog.Log) map[string]*logFile {
	want := fileLogs(cfg)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.files == nil {
		a.files = map[string]*logFile{}
	}
	out := make(map[string]*logFile, len(want))
	for p, b := range want {
		f := a.files[p]
		if f == nil {
			var err error
			f, err = openLogFile(p, log)
			if err != nil {
				log.Emerg().Str(errlog.FieldErrno, errlog.Errno(err)).Msg(`open() "` + p + `" failed`)
				continue
			}
			a.files[p] = f
		} else {
			f.reopen()
		}
		f.configure(b.size, b.flush, b.level)
		f.configs++
		out[p] = f
	}
	return out
}

// release ends a configuration's use of its files (open's result): a file
// no configuration in use names any more is closed, after writing what it
// holds.
func (a *accessLogs) release(files map[string]*logFile) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, f := range files {
		if f.configs--; f.configs > 0 {
			continue
		}
		f.close()
		if a.files[p] == f {
			delete(a.files, p)
		}
	}
}

// reopen reopens every file (SIGUSR1) once what its buffer holds is
// written; a file that cannot be reopened keeps its old descriptor. The
// files in skip, found not to open, only have their buffer written.
func (a *accessLogs) reopen(skip map[string]bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, f := range a.files {
		if skip[p] {
			f.flushBuffer()
			continue
		}
		f.reopen()
	}
}

// paths returns the paths of the open files, sorted.
func (a *accessLogs) paths() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.files))
	for p := range a.files {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// closeAll writes what the buffers hold and closes every file.
func (a *accessLogs) closeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, f := range a.files {
		f.close()
		delete(a.files, p)
	}
}

// walkConfs calls fn for every level of an http block: http, servers,
// locations (nested), and "if" blocks.
func walkConfs(h *directives.HTTP, fn func(*directives.LocConf)) {
	var level func(c *directives.LocConf)
	level = func(c *directives.LocConf) {
		if c == nil {
			return
		}
		fn(c)
		for _, st := range c.Script {
			if st.Op == directives.OpIf {
				level(st.Conf)
			}
		}
		level(c.LimitExcept)
	}
	var locs func([]*directives.Location)
	locs = func(ls []*directives.Location) {
		for _, l := range ls {
			level(l.Conf)
			locs(l.Locations)
		}
	}
	level(h.Conf)
	for _, s := range h.Servers {
		level(s.Conf)
		locs(s.Locations)
	}
}

// logAccess writes the request's access log lines (ngx_http_log_handler)
// with the level it ended on.
func (x *exchange) logAccess() {
	conf := x.levelConf()
	if conf.AccessLogOff || len(conf.AccessLogs) == 0 {
		return
	}
	files := x.rt.files
	x.logging = true
	for _, l := range conf.AccessLogs {
		if l.Path == nil {
			continue
		}
		if l.If != nil {
			v := x.value(l.If)
			if len(v) == 0 || (len(v) == 1 && v[0] == '0') {
				continue
			}
		}
		if l.Syslog != nil {
			b := x.c.s.bufs.get(0)
			b.b = x.vs.AppendLog(l.Format, b.b[:0])
			x.rt.sendSyslog(l, b.b, x.c.s)
			x.c.s.bufs.put(b)
			continue
		}
		literal := l.Path.IsLiteral()
		var f *logFile
		if literal {
			if f = files[l.Path.Raw]; f == nil {
				continue
			}
		}
		reserve := 0
		if literal && f.buffered() {
			reserve = x.vs.LogLineLen(l.Format)
		}
		b := x.c.s.bufs.get(0)
		line := x.vs.AppendLog(l.Format, b.b[:0])
		line = append(line, '\n')
		if literal {
			f.write(line, reserve)
		} else {
			x.scriptLogWrite(l, line)
		}
		b.b = line
		x.c.s.bufs.put(b)
	}
}

// logStatus is $status: the status sent, 0 when nothing was.
func (x *exchange) logStatus() int {
	if x.errStatus != 0 {
		return x.errStatus
	}
	return x.status
}

var zeroTime time.Time
