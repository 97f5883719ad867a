package proxy

import (
	"os"
	"sync"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// accessLogs holds the open access log files by path, shared by the
// configurations a Server runs: a reload keeps the files both use open,
// opens new ones and closes those no longer named.
type accessLogs struct {
	mu    sync.Mutex
	files map[string]*os.File
}

// open returns the files for every literal access_log path of cfg,
// opening those not open yet, and closes those cfg no longer uses. A file
// that cannot be opened is logged, as nginx's open() failure, and skipped.
func (a *accessLogs) open(cfg *directives.Config, log *errlog.Log) map[string]*os.File {
	want := map[string]bool{}
	if h := cfg.HTTP; h != nil {
		walkConfs(h, func(c *directives.LocConf) {
			if c.AccessLogOff {
				return
			}
			for _, l := range c.AccessLogs {
				if l.Path != nil && l.Path.IsLiteral() {
					want[l.Path.Raw] = true
				}
			}
		})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.files == nil {
		a.files = map[string]*os.File{}
	}
	out := make(map[string]*os.File, len(want))
	for p := range want {
		f := a.files[p]
		if f == nil {
			var err error
			f, err = os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				log.Emerg().Str(errlog.FieldErrno, errlog.Errno(err)).Msg(`open() "` + p + `" failed`)
				continue
			}
			a.files[p] = f
		}
		out[p] = f
	}
	for p, f := range a.files {
		if !want[p] {
			_ = f.Close()
			delete(a.files, p)
		}
	}
	return out
}

// reopen reopens every file (SIGUSR1), keeping the old descriptor when a
// file cannot be reopened.
func (a *accessLogs) reopen(log *errlog.Log) map[string]*os.File {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]*os.File, len(a.files))
	for p, old := range a.files {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			log.Alert().Str(errlog.FieldErrno, errlog.Errno(err)).Msg(`reopen file "` + p + `" failed`)
			out[p] = old
			continue
		}
		_ = old.Close()
		a.files[p] = f
		out[p] = f
	}
	return out
}

// closeAll closes every file.
func (a *accessLogs) closeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, f := range a.files {
		_ = f.Close()
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
	conf := x.conf
	if conf == nil {
		conf = x.srv.srv.Conf
	}
	if conf.AccessLogOff || len(conf.AccessLogs) == 0 {
		return
	}
	files := *x.c.s.logFiles.Load()
	for _, l := range conf.AccessLogs {
		if l.Path == nil || !l.Path.IsLiteral() {
			continue
		}
		f := files[l.Path.Raw]
		if f == nil {
			continue
		}
		if l.If != nil {
			v := x.value(l.If)
			if len(v) == 0 || (len(v) == 1 && v[0] == '0') {
				continue
			}
		}
		b := x.c.s.bufs.get(0)
		line := x.vs.AppendLog(l.Format, b.b[:0])
		line = append(line, '\n')
		_, _ = f.Write(line)
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
