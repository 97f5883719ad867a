package proxy

import (
	"os"
	"strings"
	"sync"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// levelLogs are the error logs of the http, server and location levels
// that name their own (error_log in http, server or location): nginx
// writes a request's errors to the log of the level serving it, not to the
// main one. They are opened per configuration, and closed once a reload
// replaced it and the requests and tunnels that began under it are over
// (runtime.release).
type levelLogs struct {
	// byList maps a level's error_log list (its first element, shared
	// by the levels that inherit it) to its log.
	byList  map[*directives.ErrorLog]*errlog.Log
	sets    []*errlog.Set
	closing sync.Once
}

// openLevelLogs opens the error logs the levels of cfg name. A file that
// cannot be opened is reported on main, and the level logs to main.
func openLevelLogs(cfg *directives.Config, main *errlog.Log) *levelLogs {
	ll := &levelLogs{byList: map[*directives.ErrorLog]*errlog.Log{}}
	if cfg.HTTP == nil {
		return ll
	}
	walkConfs(cfg.HTTP, func(c *directives.LocConf) {
		if len(c.ErrorLogs) == 0 {
			return
		}
		key := &c.ErrorLogs[0]
		if _, done := ll.byList[key]; done {
			return
		}
		targets := make([]errlog.Target, 0, len(c.ErrorLogs))
		for _, el := range c.ErrorLogs {
			// memory: is not supported (directives.Load warned): the
			// level writes nothing there.
			if strings.HasPrefix(el.Path, "memory:") {
				continue
			}
			targets = append(targets, errlog.Target{Path: el.Path, Level: errlog.Level(el.Level), Syslog: SyslogTarget(el.Syslog)})
		}
		set, err := errlog.Open(targets)
		if err != nil {
			main.Alert().Msg(err.Error())
			ll.byList[key] = main
			return
		}
		ll.sets = append(ll.sets, set)
		l := errlog.New("nginxws", os.Getpid(), os.Stderr, set)
		l.SetJSON(main.JSON())
		ll.byList[key] = l
	})
	return ll
}

// forConf returns the log a level writes request errors to.
func (ll *levelLogs) forConf(c *directives.LocConf, main *errlog.Log) *errlog.Log {
	if ll == nil || c == nil || len(c.ErrorLogs) == 0 {
		return main
	}
	if l := ll.byList[&c.ErrorLogs[0]]; l != nil {
		return l
	}
	return main
}

// reopen reopens the files (SIGUSR1) but those in skip, which keep their
// descriptor.
func (ll *levelLogs) reopen(skip map[string]bool) {
	if ll == nil {
		return
	}
	seen := map[*errlog.Log]bool{}
	for _, l := range ll.byList {
		if !seen[l] {
			seen[l] = true
			l.ReopenExcept(skip)
		}
	}
}

// close closes the files, once.
func (ll *levelLogs) close() {
	if ll == nil {
		return
	}
	ll.closing.Do(func() {
		for _, s := range ll.sets {
			_ = s.Close()
		}
	})
}

// SyslogTarget is a "syslog:" log's target for errlog (nil for nil): the
// header names the host as nginx's ngx_cycle->hostname, lower-cased,
// unless nohostname.
func SyslogTarget(s *directives.Syslog) *errlog.Syslog {
	if s == nil {
		return nil
	}
	t := &errlog.Syslog{Addr: s.Server, Facility: s.Facility, Tag: s.Tag}
	if !s.NoHostname {
		t.Hostname = "localhost"
		if h, err := os.Hostname(); err == nil {
			t.Hostname = strings.ToLower(h)
		}
	}
	return t
}
