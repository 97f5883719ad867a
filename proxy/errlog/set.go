package errlog

import (
	"os"
	"sort"
)

// StderrPath is the error_log target that names the process's standard
// error instead of a file, as in nginx's `error_log stderr;`.
const StderrPath = "stderr"

// Target is one error_log destination.
type Target struct {
	// Path is the file to append to, or StderrPath; with Syslog set, it
	// only names the target.
	Path string
	// Level is the least severe level the target receives.
	Level Level
	// Syslog, when set, is where the lines go instead of a file.
	Syslog *Syslog
}

// Set is a group of opened targets, installed in a Log with Log.Use. A
// configuration's error_log directives become one Set; a reload opens a new
// Set and closes the old one once the new one is in use.
type Set struct {
	// outs are sorted most verbose first, so that writing stops at the
	// first target too severe for a message (nginx's ngx_log_insert order).
	outs []output
	// files are the distinct files; two targets naming the same path share
	// one descriptor, as ngx_conf_open_file does.
	files []*file
	// stderr reports whether a target is StderrPath.
	stderr bool
	// peers are the syslog targets.
	peers []*syslogPeer
}

type output struct {
	level Level
	f     *file // nil for stderr (and syslog)
	sys   *syslogPeer
}

type file struct {
	path string
	fd   *os.File
}

// OpenError is a failure to open a log file, worded as nginx's
// `open() "/var/log/nginx/error.log" failed (13: Permission denied)`.
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string {
	return `open() "` + e.Path + `" failed (` + Errno(e.Err) + ")"
}

func (e *OpenError) Unwrap() error { return e.Err }

// openFile opens path as nginx opens log files: write-only, appending,
// created with mode 0644 if missing.
func openFile(path string) (*os.File, error) {
	fd, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, &OpenError{Path: path, Err: err}
	}
	return fd, nil
}

// Open opens every target and returns them as a Set. On failure nothing is
// left open and the error is an *OpenError naming the first file that
// could not be opened.
func Open(targets []Target) (*Set, error) {
	s := &Set{}
	for _, t := range targets {
		if t.Syslog != nil {
			p := &syslogPeer{Syslog: *t.Syslog}
			s.peers = append(s.peers, p)
			s.outs = append(s.outs, output{level: t.Level, sys: p})
			continue
		}
		if t.Path == StderrPath {
			s.stderr = true
			s.outs = append(s.outs, output{level: t.Level})
			continue
		}
		f := s.lookup(t.Path)
		if f == nil {
			fd, err := openFile(t.Path)
			if err != nil {
				s.Close()
				return nil, err
			}
			f = &file{path: t.Path, fd: fd}
			s.files = append(s.files, f)
		}
		s.outs = append(s.outs, output{level: t.Level, f: f})
	}
	sort.SliceStable(s.outs, func(i, j int) bool { return s.outs[i].level > s.outs[j].level })
	return s, nil
}

func (s *Set) lookup(path string) *file {
	for _, f := range s.files {
		if f.path == path {
			return f
		}
	}
	return nil
}

// max returns the most verbose level any target receives, LevelStderr for
// an empty or nil Set.
func (s *Set) max() Level {
	if s == nil || len(s.outs) == 0 {
		return LevelStderr
	}
	return s.outs[0].level
}

// HasStderr reports whether a target of s is the standard error.
func (s *Set) HasStderr() bool { return s != nil && s.stderr }

// Close closes the Set's files. A nil Set is a no-op.
func (s *Set) Close() error {
	if s == nil {
		return nil
	}
	for _, p := range s.peers {
		p.close()
	}
	var first error
	for _, f := range s.files {
		if err := f.fd.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
