package proxy

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/nginxws/nginxws/proxy/errlog"
)

// Shorter names for the error log levels this package logs at.
const (
	levelAlert = errlog.LevelAlert
	levelCrit  = errlog.LevelCrit
	levelError = errlog.LevelError
	levelWarn  = errlog.LevelWarn
	levelInfo  = errlog.LevelInfo
	// levelNotice is rewrite_log's level.
	levelNotice = errlog.LevelNotice
)

// logEvent writes an error log line about the request in nginx's layout
// (ngx_http_log_error_handler): "*N msg (errno) while action, client: …,
// server: …, request: "…", upstream: "…", host: "…", referrer: "…"".
// errno and action may be empty.
func (x *exchange) logEvent(lvl errlog.Level, msg, errno, action string) {
	if x.c.s.cutting() {
		// What fails once a shutdown stopped waiting (cut.go) is its
		// doing: nginx logs nothing of it above [debug].
		return
	}
	// A subrequest logs where its main request is: nginx sets the
	// connection's log from the main request's location only
	// (ngx_http_update_location_config).
	conf := x.conf
	if x.main != nil {
		conf = x.main.conf
	}
	log := x.rt.errLogs.forConf(conf, x.c.s.log)
	if !log.Enabled(lvl) {
		return
	}
	if action == "" {
		action = x.action
	}
	ec := x.eventContext()
	ec.write(log, lvl, msg, errno, action)
}

// eventContext is the request's context in error log lines: what
// ngx_http_log_error_handler appends after the message. A tunnel's
// record keeps it packed (tunnelRecord), so that its lines read as the
// request's did.
type eventContext struct {
	conn           uint64
	client, server string
	// request, subrequest and upstream are left out when empty, host
	// and referrer when the request has no such header (hasHost,
	// hasReferrer).
	request, subrequest, upstream, host, referrer []byte
	hasServer, hasHost, hasReferrer               bool
}

// eventContext returns the request's context now.
func (x *exchange) eventContext() eventContext {
	ec := eventContext{conn: x.c.number, client: x.clientText(), request: x.RequestLine()}
	if x.srv != nil {
		ec.server, ec.hasServer = x.srv.name, true
	}
	if x.main != nil {
		ec.subrequest = x.uri
	}
	if x.up.addr != "" {
		up := "http://" + x.up.addr
		if x.up.secure {
			up = "https://" + x.up.addr
		}
		if len(x.up.addr) > 5 && x.up.addr[:5] == "unix:" {
			up += ":"
		}
		ec.upstream = append([]byte(up), x.up.uri...)
	}
	ec.host, ec.hasHost = x.head.Header("host")
	ec.referrer, ec.hasReferrer = x.head.Header("referer")
	return ec
}

// write sends a line with this context to log.
func (ec *eventContext) write(log *errlog.Log, lvl errlog.Level, msg, errno, action string) {
	e := log.WithLevel(lvl).Uint64(errlog.FieldConn, ec.conn)
	if errno != "" {
		e = e.Str(errlog.FieldErrno, errno)
	}
	if action != "" {
		e = e.Str(errlog.FieldAction, action)
	}
	e = e.Str("client", ec.client)
	if ec.hasServer {
		e = e.Str("server", ec.server)
	}
	if len(ec.request) > 0 {
		e = errlog.Bytes(e, "request", ec.request)
	}
	if len(ec.subrequest) > 0 {
		e = errlog.Bytes(e, "subrequest", ec.subrequest)
	}
	if len(ec.upstream) > 0 {
		e = errlog.Bytes(e, "upstream", ec.upstream)
	}
	if ec.hasHost {
		e = errlog.Bytes(e, "host", ec.host)
	}
	if ec.hasReferrer {
		e = errlog.Bytes(e, "referrer", ec.referrer)
	}
	errlog.Msg(e, msg)
}

// upstreamMsg rewords proxy/http1's message for a bad upstream header
// line as nginx 1.22's ngx_http_proxy_process_header words it ("upstream
// sent invalid header: …", where a client's gets "invalid header line").
func upstreamMsg(msg string) string {
	const http1Text, nginxText = "upstream sent invalid header line: ", "upstream sent invalid header: "
	if strings.HasPrefix(msg, http1Text) {
		return nginxText + msg[len(http1Text):]
	}
	return msg
}

// errnoText is the "(errno: text)" part nginx logs for a system error.
func errnoText(err error) string {
	if s := sysErrnoText(err); s != "" {
		return s
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ""
	}
	return err.Error()
}

// sysErrnoText is errnoText for an error that carries a system error
// number, "" for any other.
func sysErrnoText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return errlog.Errno(en)
	}
	return ""
}

// isTimeout reports whether err is a deadline that passed.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isPeerGone reports whether err says the other end went away.
func isPeerGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)
}
