package errlog

import "syscall"

// RedirectStderr points the process's standard error (descriptor 2) at the
// most verbose file target, as nginx's ngx_log_redirect_stderr does once it
// runs, so that anything written to stderr — a Go runtime panic included —
// lands in the error log rather than on a terminal nobody watches. It does
// nothing when a target is stderr itself or there is no file target. Call it
// again after Reopen so that stderr follows the new file.
func (l *Log) RedirectStderr() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.set == nil || l.set.stderr {
		return nil
	}
	for _, o := range l.set.outs {
		if o.f != nil {
			return syscall.Dup3(int(o.f.fd.Fd()), 2, 0)
		}
	}
	return nil
}
