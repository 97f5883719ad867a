package http1

import (
	"errors"
	"io"
	"net"
)

// Error is a failure to read a request or response head, as nginx would
// report it. Status is what nginx answers (or, when Err is set, only logs):
// 400, 405, 408, 414, 494, 501 or 505 for a client request — for 494 nginx
// sends "400 Bad Request" with its "Request Header Or Cookie Too Large" page —
// and 502 or 504 for an upstream response. Msg is nginx's error_log text
// (logged at "info" for client errors, "error" for upstream ones).
//
// Err is set when the connection itself failed (end of stream, reset,
// deadline): nginx then closes the connection without sending anything.
type Error struct {
	Status int
	Msg    string
	Err    error
}

// Error returns Msg, followed by the connection error when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the connection error, if any.
func (e *Error) Unwrap() error { return e.Err }

func newError(status int, msg string) *Error {
	return &Error{Status: status, Msg: msg}
}

// headerLineError formats nginx's message for a header line it cannot
// parse: the line up to the offending byte, then that byte in hex.
func headerLineError(prefix string, line []byte, bad byte) string {
	const hex = "0123456789abcdef"
	return prefix + ` invalid header line: "` + string(line) + `\x` +
		string([]byte{hex[bad>>4], hex[bad&0xf]}) + `..."`
}

// maxErrorSnippet bounds the quoted part of a "too long header line" message
// as nginx does (NGX_MAX_ERROR_STR - 300).
const maxErrorSnippet = 2048 - 300

// connError classifies a read error met in the middle of a head the way
// nginx reports it: end of stream is "prematurely closed connection" (400
// for a client, 502 for an upstream), a deadline is a timeout (408 for a
// client — nginx sends nothing then — 504 for an upstream), anything else is
// a failed recv().
func connError(err error, upstream bool) *Error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	var ne net.Error
	timeout := errors.As(err, &ne) && ne.Timeout()
	who, status := "client", 400
	if upstream {
		who, status = "upstream", 502
	}
	switch {
	case timeout && upstream:
		return &Error{Status: 504, Msg: "upstream timed out", Err: err}
	case timeout:
		return &Error{Status: 408, Msg: "client timed out", Err: err}
	case err == io.ErrUnexpectedEOF:
		return &Error{Status: status, Msg: who + " prematurely closed connection", Err: err}
	}
	return &Error{Status: status, Msg: "recv() failed", Err: err}
}

// quoteHeader returns `"Name: value"` as nginx prints a header in messages.
func quoteHeader(h *Header) string {
	return `"` + string(h.Name) + ": " + string(h.Value) + `"`
}
