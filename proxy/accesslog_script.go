package proxy

import (
	"os"
	"syscall"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// logAction is what nginx is doing when it writes the access log
// (ngx_http_log_request), for error lines.
const logAction = "logging request"

// scriptLogWrite writes a line to an access_log whose path has variables,
// as ngx_http_log_script_write without open_log_file_cache: nothing is
// written unless the level's root directory exists (so that a request for
// an unknown host cannot create files under a missing tree), then the
// file named by the path's value is opened for appending, written and
// closed. Such logs cannot be buffered (directives.Load refuses it), so
// the write is the request's own, as in nginx.
func (x *exchange) scriptLogWrite(l *directives.AccessLog, line []byte) {
	if x.conf == nil {
		return
	}
	writeScriptLog(x.DocumentRoot(), func() []byte { return x.value(l.Path) }, line, x.logEvent)
}

// writeScriptLog is scriptLogWrite's work, shared with a tunnel's record,
// which evaluated the values when the tunnel started: root is the level's
// root, name gives the file name (evaluated only once root is found, as
// nginx does), failures go to logEvent.
func writeScriptLog(root []byte, name func() []byte, line []byte, logEvent func(lvl errlog.Level, msg, errno, action string)) {
	dir := string(root)
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = syscall.ENOTDIR
	}
	if err != nil {
		logEvent(levelError, `testing "`+dir+`" existence failed`, errlog.Errno(err), logAction)
		return
	}
	path := string(name())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		logEvent(levelCrit, `open() "`+path+`" failed`, errlog.Errno(err), logAction)
		return
	}
	if _, err := f.Write(line); err != nil {
		logEvent(levelAlert, `write() to "`+path+`" failed`, errlog.Errno(err), logAction)
	}
	_ = f.Close()
}
