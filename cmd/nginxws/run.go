package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/parser"
	"github.com/nginxws/nginxws/proxy"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// handledSignals are the signals nginx's master catches (ngx_signals,
// SIGCHLD aside: nginxws has no children). Catching them before anything
// else also keeps Go's defaults away: SIGHUP would end the process and
// SIGQUIT dump every goroutine; the others Go would ignore without the
// line nginx logs for each.
var handledSignals = [...]os.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGUSR1,
	syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGALRM, syscall.SIGIO,
}

// signalName is the name nginx prints for a signal it handles.
func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	case syscall.SIGUSR2:
		return "SIGUSR2"
	case syscall.SIGWINCH:
		return "SIGWINCH"
	case syscall.SIGALRM:
		return "SIGALRM"
	case syscall.SIGIO:
		return "SIGIO"
	}
	return "SIG" + strconv.Itoa(int(s))
}

// logSignal logs nginx's line for a received signal. nginx adds
// " from PID" (the sender, from siginfo); Go's os/signal does not expose
// the sender, so the line takes the form nginx uses when it is unknown.
func (p *process) logSignal(s syscall.Signal, action string) {
	p.log.Notice().Msg("signal " + strconv.Itoa(int(s)) + " (" + signalName(s) + ") received" + action)
}

// run starts nginxws in the foreground and serves until told to stop. It
// follows nginx's main(): built-in log, configuration, its error logs,
// listening sockets, start-up notices, pid file, stderr to the error log.
func (p *process) run() int {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, handledSignals[:]...)
	// nginx ignores SIGPIPE; without this a closed terminal on stderr
	// would end Go with it.
	signal.Ignore(syscall.SIGPIPE)

	startup := p.openStartupLog()
	cfg, err := p.loadConfig()
	if err != nil {
		return 1
	}
	c, err := p.openCycle(cfg)
	if err != nil {
		return 1
	}
	p.log.Use(c.logs)

	srv := proxy.New(cfg, p.log)
	srv.SetVersion(verBuild)
	if srv.Listen() != nil {
		return 1
	}
	p.osStatus()
	if p.createPidfile(cfg.Main.Pid) != nil {
		_ = srv.Close()
		return 1
	}
	if err := p.redirectStderrTo(cfg); err != nil {
		p.log.Alert().Msg("dup2(STDERR) failed (" + errlog.Errno(err) + ")")
		_ = srv.Close()
		p.deletePidfile(cfg.Main.Pid)
		return 1
	}
	p.stderrLog = true
	_ = startup.Close()
	p.log.SetMirror(false)
	p.applyRlimit(cfg)

	go func() { _ = srv.Serve() }()
	var w *watcher
	if !p.opts.noWatch {
		w = p.watch(cfg)
	}
	code := p.loop(srv, sigs, w)
	if w != nil {
		w.close()
	}
	p.deletePidfile(srv.Config().Main.Pid)
	p.log.Notice().Msg("exit")
	_ = p.log.Use(nil).Close()
	return code
}

// watch starts watching the files of cfg, the running configuration. If
// inotify cannot be had, nginxws runs on without it: reload signals still
// work.
func (p *process) watch(cfg *directives.Config) *watcher {
	w, err := newWatcher(p.log)
	if err != nil {
		p.log.Alert().Msg("inotify_init() failed (" + errlog.Errno(err) + "), configuration changes need a reload signal")
		return nil
	}
	w.settle(nil, cfg, cfg, nil)
	return w
}

// loop answers signals, and changes of the configuration's files when w is
// not nil, until the server has stopped. Every reload runs here, one at a
// time.
func (p *process) loop(srv *proxy.Server, sigs chan os.Signal, w *watcher) int {
	var drained chan struct{} // non-nil once a graceful shutdown runs
	var pokes chan struct{}   // nil (never ready) without a watcher
	if w != nil {
		pokes = w.pokes
	}
	for {
		// A signal waiting goes before the watcher's poke: an edit
		// followed by a HUP (-s reload) while a reload ran is then one
		// reload, which the watcher's check finds nothing left to do
		// after, not two reporting the same error.
		select {
		case s := <-sigs:
			if p.onSignal(srv, w, s.(syscall.Signal), &drained) {
				return 0
			}
			continue
		default:
		}
		select {
		case <-drained:
			p.log.Notice().Msg("exiting")
			return 0
		case <-pokes:
			if drained != nil {
				continue
			}
			start := time.Now()
			changed := w.check()
			if len(changed) == 0 {
				continue
			}
			p.log.Notice().Msg(changedText(changed) + ", reconfiguring")
			p.reload(srv, w, start)
		case s := <-sigs:
			if p.onSignal(srv, w, s.(syscall.Signal), &drained) {
				return 0
			}
		}
	}
}

// onSignal acts on a signal as nginx's master does; it reports true when
// the process is to exit now. drained is set when a graceful shutdown
// starts.
func (p *process) onSignal(srv *proxy.Server, w *watcher, sig syscall.Signal, drained *chan struct{}) bool {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT:
		p.logSignal(sig, ", exiting")
		// nginx's worker says so as it exits, as after a
		// graceful shutdown.
		p.log.Notice().Msg("exiting")
		_ = srv.Close()
		return true
	// Once a graceful shutdown runs, nginx's master still names
	// the action of HUP, USR1 and QUIT as it receives them, but
	// its cycle does nothing more than wait for the workers: no
	// reload, no reopening.
	case syscall.SIGQUIT:
		p.logSignal(sig, ", shutting down")
		if *drained != nil {
			return false
		}
		p.log.Notice().Msg("gracefully shutting down")
		*drained = make(chan struct{})
		go p.drain(srv, *drained)
	case syscall.SIGHUP:
		start := time.Now()
		p.logSignal(sig, ", reconfiguring")
		if *drained != nil {
			return false
		}
		p.log.Notice().Msg("reconfiguring")
		p.reload(srv, w, start)
	case syscall.SIGUSR1:
		p.logSignal(sig, ", reopening logs")
		if *drained != nil {
			return false
		}
		p.log.Notice().Msg("reopening logs")
		srv.ReopenLogs(p.log)
		p.redirectStderr(srv.Config())
	case syscall.SIGUSR2:
		// A binary upgrade. nginx refuses it, with these two
		// lines, while its parent is the one it started with,
		// which is always the case in the foreground (the
		// supervisor's child); nginxws has no other mode, and
		// is upgraded by its supervisor.
		p.logSignal(sig, ", ignoring")
		p.log.Crit().Msg("the changing binary signal is ignored: you should shutdown or terminate before either old or new binary's process")
	default:
		// SIGWINCH (stop accepting) only acts in a daemonized
		// nginx, and nginxws stays in the foreground; SIGALRM and
		// SIGIO only time and wake nginx's own master loop.
		p.logSignal(sig, "")
	}
	return false
}

// drain is a graceful shutdown: stop accepting, let open connections
// finish within worker_shutdown_timeout (none: wait for them all), then
// close what remains.
func (p *process) drain(srv *proxy.Server, done chan struct{}) {
	ctx := context.Background()
	if t := srv.Config().Main.WorkerShutdownTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	_ = srv.Shutdown(ctx)
	close(done)
}

// reload is SIGHUP, or a change of the files: switch configurations, then
// log what changed and how long it took since start (the signal, or the
// moment the change was confirmed), and tell the watcher what was read.
func (p *process) reload(srv *proxy.Server, w *watcher, start time.Time) {
	var pre fingerprint
	if w != nil {
		pre = w.snapshot()
	}
	old := srv.Config()
	cfg, err := p.reconfigure(srv)
	if err == nil {
		p.log.Notice().Msg(reloadSummary(old, cfg, time.Since(start)))
	}
	if w != nil {
		w.settle(pre, srv.Config(), cfg, unopened(err))
	}
}

// unopened returns the file a failed load could not open, if that is why
// it failed: an include naming a file that is not there yet.
func unopened(err error) []string {
	var pe *parser.Error
	if !errors.As(err, &pe) {
		return nil
	}
	const head = `open() "`
	if !strings.HasPrefix(pe.Msg, head) {
		return nil
	}
	name, _, ok := strings.Cut(pe.Msg[len(head):], `" failed`)
	if !ok {
		return nil
	}
	return []string{name}
}

// reconfigure reads the configuration again, exactly as -t checks it, and
// switches to it, or keeps the running one if anything fails — the error
// is logged with its file and line, as nginx keeps its old cycle. It
// returns what it read (nil, or partial, when reading failed) and, if the
// switch did not happen, why (already logged). As in nginx, a changed pid
// path gets a new pid file and the old one is removed; nginxws removes the
// old one only once the reload has succeeded.
func (p *process) reconfigure(srv *proxy.Server) (*directives.Config, error) {
	cfg, err := p.loadConfig()
	if err != nil {
		return cfg, err
	}
	c, err := p.openCycle(cfg)
	if err != nil {
		return cfg, err
	}
	oldPid := srv.Config().Main.Pid
	newPid := cfg.Main.Pid != oldPid
	if newPid {
		if err := p.createPidfile(cfg.Main.Pid); err != nil {
			_ = c.logs.Close()
			return cfg, err
		}
	}
	if err := srv.Reload(cfg); err != nil {
		if newPid {
			p.deletePidfile(cfg.Main.Pid)
		}
		_ = c.logs.Close()
		return cfg, err
	}
	if newPid {
		p.deletePidfile(oldPid)
	}
	_ = p.log.Use(c.logs).Close()
	p.redirectStderr(cfg)
	p.applyRlimit(cfg)
	return cfg, nil
}

// redirectStderr points stderr at the error log again, after the log's
// files have changed, if the process runs with stderr there.
func (p *process) redirectStderr(cfg *directives.Config) {
	if !p.stderrLog {
		return
	}
	if err := p.redirectStderrTo(cfg); err != nil {
		p.log.Alert().Msg("dup2(STDERR) failed (" + errlog.Errno(err) + ")")
	}
}

// redirectStderrTo is ngx_log_redirect_stderr: stderr is pointed at the
// error log's file, unless an error_log of the configuration, at any
// level, is stderr (cycle->log_use_stderr): a location's `error_log
// stderr;` must reach the real standard error.
func (p *process) redirectStderrTo(cfg *directives.Config) error {
	if cfg.Main.LogUseStderr {
		return nil
	}
	return p.log.RedirectStderr()
}

// setRlim sets a field of syscall.Rlimit, uint64 on Linux and int64 on
// the BSDs.
func setRlim[T ~int64 | ~uint64](field *T, n int) { *field = T(n) }

// applyRlimit applies worker_rlimit_nofile, as nginx's workers do.
func (p *process) applyRlimit(cfg *directives.Config) {
	n := cfg.Main.WorkerRlimitNofile
	if n <= 0 {
		return
	}
	var lim syscall.Rlimit
	setRlim(&lim.Cur, n)
	setRlim(&lim.Max, n)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		p.log.Alert().Msg("setrlimit(RLIMIT_NOFILE, " + strconv.Itoa(n) + ") failed (" + errlog.Errno(err) + ")")
	}
}
