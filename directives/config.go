package directives

import (
	"net/netip"
	"time"

	"github.com/nginxws/nginxws/parser"
)

// LoadOptions are the command-line facts that shape a configuration.
type LoadOptions struct {
	// Prefix is nginx's -p: relative paths in directives (pid, logs, root)
	// resolve against it. Empty means the default prefix, unless
	// EmptyPrefix is set.
	Prefix string
	// EmptyPrefix is `-p ''`: nginx then prefixes nothing, so relative
	// paths stay relative to the working directory (and are printed so).
	EmptyPrefix bool
	// Globals is nginx's -g: extra main-context directives, e.g.
	// "daemon off; pid /tmp/x.pid;". Errors in them are reported "in command line".
	Globals string
	// Resolve, when set, replaces the system resolver for the host names
	// nginx resolves at load (upstream servers, proxy_pass hosts, listen
	// addresses). It returns every address of the name.
	Resolve func(host string) ([]netip.Addr, error)
}

// Diag is a located message nginx prints with a level, e.g. a [warn] for an
// ignored directive: `nginxws: [warn] "sendfile" directive is ignored in /etc/nginx/nginx.conf:20`.
type Diag struct {
	Msg string
	Pos parser.Pos
	// Emerg marks the few messages nginx logs at [emerg] and yet goes on
	// (e.g. listen's accept_filter= on Linux): printed at [emerg], they do
	// not fail the configuration. Others are [warn] lines.
	Emerg bool
}

// Config is a validated, compiled configuration. It is immutable once Load
// returns it: the unit of reload.
type Config struct {
	// Files are the files read, in order, with their contents (for -T and watching).
	Files []parser.File
	// WatchDirs are the directories of include globs.
	WatchDirs []string
	// WatchGlobs are the include globs, as made full.
	WatchGlobs []string
	// Notes are info-level remarks for the error log: where gonginx reads
	// a file differently than nginx (whose reading is the one used).
	Notes []Diag
	// Warnings are the [warn] lines produced while loading, in order.
	Warnings []Diag

	Main   Main
	Events Events
	// HTTP is nil when the configuration has no http block.
	HTTP *HTTP
}

// Main holds the main-context settings.
type Main struct {
	Daemon                bool   // as written; nginxws always stays in the foreground
	Pid                   string // absolute path
	ErrorLogs             []ErrorLog
	User                  string
	Group                 string // user's second argument; "" when not given
	WorkerProcesses       int    // 0 means auto; 1 when not given, as nginx
	WorkerRlimitNofile    int
	WorkerShutdownTimeout time.Duration // 0: wait for ever, as nginx
	// Paths are the directories nginx creates when it starts and at -t
	// (ngx_create_paths): the first argument of each *_temp_path and
	// *_cache_path directive, full name, without a trailing "/", once
	// each. nginxws uses none of them but creates them too, so that a
	// path nginx cannot create fails here as well.
	Paths []string
	// LogFiles are the files the error_log and access_log directives
	// name, in the order nginx's cycle holds them (cycle->open_files,
	// filled by ngx_conf_open_file): each file once, where it is first
	// named in the configuration as read (-g first), the default access
	// log where the http block's merge adds it, if a server logs there.
	// It is the order nginx opens them in at start, at -t and on a
	// reload (the first that fails is the one reported) and reopens them
	// in on SIGUSR1. Left out: stderr, syslog and memory targets, access
	// logs whose path has variables, and the default error log (the -e
	// file, which nginx adds last when the main context names none).
	LogFiles []string
	// LogUseStderr is set when an error_log of any level is "stderr"
	// (nginx's cycle->log_use_stderr): nginx then leaves its standard
	// error where it was instead of pointing it at the error log.
	LogUseStderr bool
}

// Events holds the events block's settings.
type Events struct {
	WorkerConnections int
}

// ErrorLog is one error_log target: Path is absolute, or "stderr".
type ErrorLog struct {
	Path  string
	Level LogLevel
	// Syslog is set for a "syslog:" target (Path keeps the spec).
	Syslog *Syslog
	Pos    parser.Pos
}

// LogLevel is an nginx error log level; lower is more severe.
type LogLevel int

// nginx's error log levels, most severe first.
const (
	LevelStderr LogLevel = iota
	LevelEmerg
	LevelAlert
	LevelCrit
	LevelError
	LevelWarn
	LevelNotice
	LevelInfo
	LevelDebug
)
