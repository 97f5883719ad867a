//go:build !linux

package errlog

// RedirectStderr is a no-op outside Linux.
func (l *Log) RedirectStderr() error { return nil }
