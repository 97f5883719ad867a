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
	root := string(x.DocumentRoot())
	fi, err := os.Stat(root)
	if err == nil && !fi.IsDir() {
		err = syscall.ENOTDIR
	}
	if err != nil {
		x.logEvent(levelError, `testing "`+root+`" existence failed`, errlog.Errno(err), logAction)
		return
	}
	name := string(x.value(l.Path))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		x.logEvent(levelCrit, `open() "`+name+`" failed`, errlog.Errno(err), logAction)
		return
	}
	if _, err := f.Write(line); err != nil {
		x.logEvent(levelAlert, `write() to "`+name+`" failed`, errlog.Errno(err), logAction)
	}
	_ = f.Close()
}
