package errlog

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// maxLine is NGX_MAX_ERROR_STR: nginx builds each line in a buffer of this
// size, newline included, and cuts what does not fit.
const maxLine = 2048

// Log is nginx's error log: a zerolog.LevelWriter that formats each event as
// nginx's line and writes it to the targets of the installed Set. It is safe
// for concurrent use.
type Log struct {
	program string
	// prefix is "PID#TID: ". nginxws logs from goroutines, not threads, so
	// the thread id is the pid, as it is for nginx's main thread.
	prefix []byte
	// pid is the pid as text, for JSON lines; json selects them (SetJSON).
	pid    []byte
	json   atomic.Bool
	stderr *os.File
	zl     zerolog.Logger

	// mu guards set and the descriptors of its files: writers hold it for
	// reading, Use and Reopen for writing, so that no line goes to a
	// descriptor that is being closed.
	mu  sync.RWMutex
	set *Set

	// max caches set.max() so that disabled levels cost one atomic load.
	max atomic.Int32
	// mirror is nginx's ngx_use_stderr: while on, messages of level warn and
	// more severe that no target wrote to stderr are also written there as
	// "nginxws: [level] message".
	mirror atomic.Bool

	bufs sync.Pool
}

// New returns a Log writing with s's targets (nil: none yet). program is the
// name used for the stderr mirror ("nginxws"), pid the number printed in
// every line, stderr the file the StderrPath target and the mirror write
// to (normally os.Stderr).
func New(program string, pid int, stderr *os.File, s *Set) *Log {
	p := strconv.Itoa(pid)
	l := &Log{
		program: program,
		prefix:  []byte(p + "#" + p + ": "),
		pid:     pidText(pid),
		stderr:  stderr,
		set:     s,
	}
	l.max.Store(int32(s.max()))
	l.zl = zerolog.New(l)
	l.bufs.New = func() any {
		b := make([]byte, 0, 256)
		return &b
	}
	return l
}

// Use installs s as the Log's targets and returns the Set it replaces,
// which the caller closes when it no longer needs it.
func (l *Log) Use(s *Set) *Set {
	l.mu.Lock()
	old := l.set
	l.set = s
	l.max.Store(int32(s.max()))
	l.mu.Unlock()
	return old
}

// Targets returns the installed Set.
func (l *Log) Targets() *Set {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.set
}

// SetMirror turns the stderr mirror on or off. nginx keeps it on until the
// configuration is loaded, the listeners bound and the pid file written, so
// that start-up failures reach the terminal whatever error_log says.
func (l *Log) SetMirror(on bool) { l.mirror.Store(on) }

// Enabled reports whether a message at lvl would be written anywhere.
func (l *Log) Enabled(lvl Level) bool {
	return lvl <= Level(l.max.Load()) || (lvl <= LevelWarn && l.mirror.Load())
}

// Logger returns a zerolog.Logger writing to l. Events made with its plain
// methods (Info, Error …) map to the nearest nginx level; use
// WithLevel(errlog.LevelNotice.Zerolog()) for nginx's own levels.
func (l *Log) Logger() zerolog.Logger { return l.zl }

// WithLevel starts an event at lvl, or returns nil (on which zerolog's
// methods are no-ops) when nothing would write it.
func (l *Log) WithLevel(lvl Level) *zerolog.Event {
	if !l.Enabled(lvl) {
		return nil
	}
	return l.zl.WithLevel(lvl.Zerolog())
}

// Emerg starts an [emerg] event.
func (l *Log) Emerg() *zerolog.Event { return l.WithLevel(LevelEmerg) }

// Alert starts an [alert] event.
func (l *Log) Alert() *zerolog.Event { return l.WithLevel(LevelAlert) }

// Crit starts a [crit] event.
func (l *Log) Crit() *zerolog.Event { return l.WithLevel(LevelCrit) }

// Error starts an [error] event.
func (l *Log) Error() *zerolog.Event { return l.WithLevel(LevelError) }

// Warn starts a [warn] event.
func (l *Log) Warn() *zerolog.Event { return l.WithLevel(LevelWarn) }

// Notice starts a [notice] event.
func (l *Log) Notice() *zerolog.Event { return l.WithLevel(LevelNotice) }

// Info starts an [info] event.
func (l *Log) Info() *zerolog.Event { return l.WithLevel(LevelInfo) }

// Debug starts a [debug] event.
func (l *Log) Debug() *zerolog.Event { return l.WithLevel(LevelDebug) }

// Write writes an event that carries no level, as a [notice].
func (l *Log) Write(p []byte) (int, error) {
	return l.WriteLevel(zerolog.NoLevel, p)
}

// WriteLevel formats the zerolog event p (a JSON object) as nginx's line and
// writes it to each target whose level admits it. Write errors are ignored,
// as nginx ignores them: a full disk must not stop the server.
func (l *Log) WriteLevel(zl zerolog.Level, p []byte) (int, error) {
	lvl := fromZerolog(zl)
	if !l.Enabled(lvl) {
		return len(p), nil
	}
	bp := l.bufs.Get().(*[]byte)
	now := time.Now()
	buf, msg := l.format((*bp)[:0], lvl, p, now)
	text, line := buf, buf
	if l.json.Load() {
		// The text line stays in buf for the stderr mirror; the JSON
		// line follows it.
		start := len(buf)
		buf = l.formatJSON(buf, lvl, p, now)
		line = buf[start:]
	}

	wroteStderr := false
	l.mu.RLock()
	if l.set != nil {
		for _, o := range l.set.outs {
			if o.level < lvl {
				break
			}
			switch {
			case o.sys != nil:
				// nginx's text line, whatever -j asked of files.
				o.sys.write(lvl, text, now)
			case o.f == nil:
				_, _ = l.stderr.Write(line)
				wroteStderr = true
			default:
				_, _ = o.f.fd.Write(line)
			}
		}
	}
	l.mu.RUnlock()

	if !wroteStderr && lvl <= LevelWarn && l.mirror.Load() {
		start := len(buf)
		buf = append(buf, l.program...)
		buf = append(buf, ": ["...)
		buf = append(buf, lvl.String()...)
		buf = append(buf, "] "...)
		buf = append(buf, text[msg:]...)
		_, _ = l.stderr.Write(buf[start:])
	}

	if cap(buf) <= 16*maxLine {
		*bp = buf[:0]
		l.bufs.Put(bp)
	}
	return len(p), nil
}

// Reopen reopens every file of the installed Set by its path, as nginx does
// on SIGUSR1, so that a rotated log is recreated. A file that cannot be
// reopened keeps its old descriptor and the failure is logged at [emerg]
// (nginx's `open() "…" failed`). Lines already being written complete
// on the old descriptor first.
func (l *Log) Reopen() { l.ReopenExcept(nil) }

// ReopenExcept is Reopen, but the files skip names keep their descriptor
// without a try: a caller that found they cannot be opened, and said so.
func (l *Log) ReopenExcept(skip map[string]bool) {
	var failed []error
	l.mu.Lock()
	if l.set != nil {
		for _, f := range l.set.files {
			if skip[f.path] {
				continue
			}
			fd, err := openFile(f.path)
			if err != nil {
				failed = append(failed, err)
				continue
			}
			old := f.fd
			f.fd = fd
			_ = old.Close()
		}
	}
	l.mu.Unlock()
	for _, err := range failed {
		l.Emerg().Msg(err.Error())
	}
}

// Paths returns the files of the installed Set, in the order they were
// opened.
func (l *Log) Paths() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.set == nil {
		return nil
	}
	out := make([]string, len(l.set.files))
	for i, f := range l.set.files {
		out[i] = f.path
	}
	return out
}
