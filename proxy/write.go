package proxy

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/nginxws/nginxws/proxy/http1"
)

// outHeaders is the response head being built (nginx's headers_out): the
// headers nginx writes at fixed places, and the list of the others in
// order.
type outHeaders struct {
	// statusLine is the upstream's status line ("200 OK"), sent as is;
	// empty means nginx's text for the status.
	statusLine []byte
	// contentType is written right after Date; typeLen is the length of
	// its type (nginx's content_type_len): shorter for an upstream's
	// with a charset parameter, whose charset is then in charset.
	contentType []byte
	typeLen     int
	// charset is nginx's headers_out.charset (an upstream's, or the one
	// the charset filter chose); overrideCharset an upstream's
	// X-Accel-Charset. charsetDone is set once charsetFilter ran.
	charset         []byte
	overrideCharset []byte
	charsetDone     bool
	// recode, set by the charset filter, recodes the body.
	recode *recoder
	// action is what nginx's error log says the connection is doing
	// while the head goes through its filters: the static module's
	// "sending response to client", the upstream's "reading response
	// header from upstream", else nothing.
	action string
	// contentLength is written after Content-Type; -1 for none.
	contentLength int64
	// lastModified is written after Content-Length (static files);
	// zero for none.
	lastModified time.Time
	// location is nginx's headers_out.location, also in headers at
	// locPos-1 (0: none). The header filter moves a Location starting
	// with "/" to after Last-Modified, made absolute
	// (absolute_redirect on); any other stays in its place in the list.
	location []byte
	locPos   int
	// serverSet and dateSet are set when the list carries the upstream's
	// own Server or Date (proxy_pass_header): nginx then writes none.
	serverSet, dateSet bool
	chunked            bool
	headers            []http1.Header
	// tail holds the headers the range filter adds (Accept-Ranges,
	// Content-Range): nginx adds them after add_header's.
	tail []http1.Header
	// filtered is set once the header filters that run before the range
	// filter did (filterHead); userFrom is where add_header's headers
	// start in the list.
	filtered bool
	userFrom int
	// errApplied is the error status ngx_http_send_header made the
	// response's status (sendHeaderStatus); 0 for none yet.
	errApplied int
	// notModifiedRan is set once the not-modified filter looked at the
	// response (notModified): a static file asks it before its range
	// filter, any other response as its head goes out.
	notModifiedRan bool
	// gzipVary is nginx's r->gzip_vary: the gzip filter looked at the
	// response, and "Vary: Accept-Encoding" goes out with gzip_vary on.
	// noRanges is set when gzip compresses the body: no ranges, no
	// Accept-Ranges (nginx's r->allow_ranges cleared).
	gzipVary bool
	noRanges bool
	// expectTrailers is nginx's r->expect_trailers: add_trailer has a
	// trailer for the response's status, which makes an HTTP/1.1
	// response chunked (its Content-Length dropped) so that the trailers
	// can follow the last chunk.
	expectTrailers bool
	// trailers are the trailers sent ($sent_trailer_NAME).
	trailers []http1.Header
	// gzipTested and gzipAccepted are nginx's r->gzip_tested and
	// r->gzip_ok: ngx_http_gzip_ok's answer, asked once per request
	// (gzip_static may ask it before the gzip filter), and asked again
	// after an internal redirect.
	gzipTested, gzipAccepted bool
}

// add appends a header to the list.
func (o *outHeaders) add(name, value []byte) {
	o.headers = append(o.headers, http1.Header{Name: name, Value: value})
}

// locationName is the name nginx gives the Location headers it makes.
var locationName = []byte("Location")

// setLocation makes v the response's Location, replacing one set before
// (ngx_http_clear_location, then a new list entry).
func (o *outHeaders) setLocation(v []byte) {
	if o.locPos > 0 {
		i := o.locPos - 1
		o.headers = append(o.headers[:i], o.headers[i+1:]...)
	}
	o.add(locationName, v)
	o.locPos = len(o.headers)
	o.location = v
}

// sendHead writes the response head as ngx_http_header_filter does. body,
// when given, is written in the same call (a short page or the first bytes
// of a body), as nginx writes its head and first buffer together.
//
// A body of the length the head announces is the whole body: compressed,
// it is ended in the same write.
func (x *exchange) sendHead(body []byte) error {
	if !x.out.notModifiedRan {
		// ngx_http_not_modified_header_filter, the first of nginx's
		// header filters, for every response: one of return, autoindex
		// or stub_status has no ETag and no Last-Modified of its own
		// (add_header's come later), so that "If-None-Match: *" makes
		// it a 304 and any other If-Match, or an If-Unmodified-Since,
		// a 412.
		lm := x.out.lastModified
		switch x.notModified(lm.Unix(), !lm.IsZero(), nil) {
		case 412:
			x.filterFinalize(412)
			return errFilterFinalized
		case 304:
			x.notModifiedHead()
		}
	}
	x.headerSent = true
	whole := x.out.contentLength >= 0 && int64(len(body)) == x.out.contentLength
	x.sendHeaderStatus()
	if x.main != nil {
		// A subrequest's head goes nowhere (ngx_http_header_filter
		// passes only the main request's), nor its body (header only).
		return nil
	}
	if x.isHead() {
		x.headerOnly = true
	}
	if x.keepalive && x.c.s.draining.Load() {
		// nginx's header filter: no keepalive once exiting.
		x.keepalive = false
	}
	switch {
	case x.status == http.StatusNoContent && len(x.out.statusLine) > 0:
		// A status line of the upstream's own is sent as is, and
		// nginx's header filter then leaves a 204's Content-Type and
		// Content-Length alone; no body follows (the proxy module
		// reads none).
		x.headerOnly = true
	case x.status == http.StatusNoContent:
		x.headerOnly = true
		x.out.setContentType(nil)
		x.out.lastModified = time.Time{}
		x.out.contentLength = -1
	case x.status == http.StatusNotModified:
		x.headerOnly = true
	}
	if !x.out.lastModified.IsZero() && x.status != 200 && x.status != 206 && x.status != 304 {
		x.out.lastModified = time.Time{}
	}
	if x.raw09 {
		// An HTTP/0.9 upstream answer: the bytes as they came.
		if len(body) > 0 {
			return x.write(body)
		}
		return nil
	}
	if err := x.filterHead(); err != nil {
		x.broken = true
		return err
	}
	if x.status != 200 && x.status != 206 && x.status != 304 {
		// nginx's header filter, after add_header's, forgets
		// headers_out.last_modified when its time is known: an
		// upstream's line (or add_header's) is still written, but
		// $sent_http_last_modified no longer finds it; a line whose
		// date does not parse stays found.
		if _, known := x.lastModifiedTime(); known {
			x.info.LastModifiedDropped = true
		}
	}
	if x.subFilter != nil && x.endApart {
		// nginx's upstream module ends the body with an empty buffer
		// of its own: what the sub filter holds goes out with that, as
		// does the end of a compressed body after it.
		whole = false
	}
	x.out.headers = append(x.out.headers, x.out.tail...)
	// ngx_http_chunked_header_filter.
	if (x.out.contentLength < 0 || x.out.expectTrailers) && x.status >= 200 && x.status != 204 && x.status != 304 && !x.isHead() {
		if x.head.Version >= 1001 && x.confOrServer().ChunkedTransferEncoding {
			if x.out.expectTrailers {
				x.out.contentLength = -1
			}
			x.out.chunked = true
		} else if x.out.contentLength < 0 {
			x.keepalive = false
		}
	}
	if x.subFilter != nil && !x.headerOnly {
		// The whole body, when it is, ends the sub filter's part too.
		body = x.subFilterBody(body, whole)
	}
	if x.out.recode != nil && len(body) > 0 && !x.headerOnly {
		body = x.out.recode.apply(body)
	}
	if x.head.Version < 1000 {
		// HTTP/0.9: no head at all.
		if len(body) > 0 && !x.headerOnly {
			return x.write(body)
		}
		return nil
	}
	b := x.c.s.bufs.get(0)
	defer x.c.s.bufs.put(b)
	h := x.appendHead(b.b[:0])
	x.headerSize = int64(len(h))
	if x.gz != nil {
		body = x.gzipBody(body, x.flushBody, whole)
	}
	if len(body) > 0 && !x.headerOnly {
		if x.out.chunked {
			h = appendHex(h, len(body))
			h = append(h, '\r', '\n')
			h = append(h, body...)
			h = append(h, '\r', '\n')
		} else {
			h = append(h, body...)
		}
	}
	if x.gz != nil && x.gz.ended && x.out.chunked {
		h = x.appendLastChunk(h)
	}
	b.b = h
	return x.write(h)
}

// errFilterFinalized is what sendHead returns when a header filter
// answered with an error page instead of the response (filterFinalize):
// the response's body must not follow.
var errFilterFinalized = errors.New("a header filter replaced the response with an error page")

// filterFinalize is ngx_http_filter_finalize_request, a header filter's
// refusal of the response (the not-modified filter's 412): the response's
// headers are dropped (ngx_http_clean_header), the status's page (or its
// error_page) goes out instead, and the NGX_ERROR the filter returns then
// terminates the request: the connection closes, without lingering,
// though the page said keep-alive.
func (x *exchange) filterFinalize(status int) {
	o := &x.out
	*o = outHeaders{headers: o.headers[:0], tail: o.tail[:0], contentLength: -1,
		errApplied: o.errApplied, notModifiedRan: true,
		gzipTested: o.gzipTested, gzipAccepted: o.gzipAccepted}
	x.finalize(status)
	x.broken, x.noLinger, x.aborted = true, true, true
}

// notModifiedHead makes the response the not-modified filter's 304: no
// type, no length, no upstream status line.
func (x *exchange) notModifiedHead() {
	x.status = 304
	x.out.statusLine = nil
	x.out.setContentType(nil)
	x.out.contentLength = -1
}

// sendHeaderStatus is what ngx_http_send_header does before the header
// filters: an error status (r->err_status: error_page's code, a special
// response's) becomes the response's status, without the upstream's
// status line. Done once per error status: the filters may then change
// the status (the not-modified filter's 304, the range filter's 206 after
// "error_page 404 =200 /file") while $status keeps the error status.
func (x *exchange) sendHeaderStatus() {
	if x.errStatus == 0 || x.out.errApplied == x.errStatus {
		return
	}
	x.out.errApplied = x.errStatus
	x.status = x.errStatus
	x.out.statusLine = nil
}

// filterHead runs, once, the header filters nginx runs before its range
// filter, in nginx's order: add_header and expires, the sub filter, the
// charset filter, then gzip. A static file runs them before it looks at
// Range. It fails only when the charset filter does (a charset variable
// not found).
func (x *exchange) filterHead() error {
	o := &x.out
	if o.filtered {
		return nil
	}
	o.filtered = true
	x.sendHeaderStatus()
	o.userFrom = len(o.headers)
	x.addHeaders()
	o.expectTrailers = x.trailersExpected()
	x.subFilterHeader()
	if err := x.charsetFilter(); err != nil {
		return err
	}
	x.gzipHeader()
	return nil
}

// appendHead appends the status line and headers in nginx's order.
func (x *exchange) appendHead(dst []byte) []byte {
	o := &x.out
	conf := x.conf
	dst = http1.AppendStatusLine(dst, x.status, o.statusLine)
	if !o.serverSet {
		dst = append(dst, "Server: "...)
		dst = append(dst, x.c.s.serverToken(conf.ServerTokens)...)
		dst = append(dst, '\r', '\n')
	}
	if !o.dateSet {
		dst = append(dst, "Date: "...)
		dst = append(dst, x.c.s.date.get()...)
		dst = append(dst, '\r', '\n')
	}
	if len(o.contentType) > 0 {
		dst = http1.AppendHeader(dst, "Content-Type", o.contentType)
	}
	if o.contentLength >= 0 {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, o.contentLength, 10)
		dst = append(dst, '\r', '\n')
	}
	if !o.lastModified.IsZero() {
		dst = append(dst, "Last-Modified: "...)
		dst = o.lastModified.UTC().AppendFormat(dst, http.TimeFormat)
		dst = append(dst, '\r', '\n')
	}
	fixedLoc := o.locPos > 0 && len(o.location) > 0 && o.location[0] == '/' && conf.AbsoluteRedirect
	if fixedLoc {
		dst = append(dst, "Location: "...)
		start := len(dst)
		dst = x.appendSelfURL(dst)
		dst = append(dst, o.location...)
		// As nginx's header filter, the Location becomes what was sent,
		// for $sent_http_location in the access log.
		// The list entry is skipped below, so it can change now.
		abs := x.keep(dst[start:])
		o.location = abs
		o.headers[o.locPos-1].Value = abs
		dst = append(dst, '\r', '\n')
	}
	if o.chunked {
		dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case x.status == http.StatusSwitchingProtocols:
		dst = append(dst, "Connection: upgrade\r\n"...)
	case x.keepalive:
		dst = append(dst, "Connection: keep-alive\r\n"...)
		if t := conf.KeepaliveHeaderTimeout; t > 0 {
			dst = append(dst, "Keep-Alive: timeout="...)
			dst = strconv.AppendInt(dst, int64(t/time.Second), 10)
			dst = append(dst, '\r', '\n')
		}
	default:
		dst = append(dst, "Connection: close\r\n"...)
	}
	if o.gzipVary && conf.GzipVary {
		dst = append(dst, "Vary: Accept-Encoding\r\n"...)
	}
	for i := range o.headers {
		if fixedLoc && i == o.locPos-1 {
			continue
		}
		dst = http1.AppendHeader(dst, o.headers[i].Name, o.headers[i].Value)
	}
	return append(dst, '\r', '\n')
}

// appendSelfURL appends "http://host[:port]" ("https://" on a TLS
// connection) for an absolute redirect: the server's name with
// server_name_in_redirect, else the request's host, else the local
// address; the port unless it is the scheme's (80, 443) or
// port_in_redirect is off.
func (x *exchange) appendSelfURL(dst []byte) []byte {
	defaultPort := "80"
	if x.c.info.TLS {
		dst = append(dst, "https://"...)
		defaultPort = "443"
	} else {
		dst = append(dst, "http://"...)
	}
	switch {
	case x.conf.ServerNameInRedirect:
		dst = append(dst, x.srv.name...)
	case len(x.head.Server) > 0:
		dst = append(dst, x.head.Server...)
	default:
		dst = append(dst, x.c.localAddr...)
	}
	if x.conf.PortInRedirect && x.c.localPort != "" && x.c.localPort != defaultPort {
		dst = append(dst, ':')
		dst = append(dst, x.c.localPort...)
	}
	return dst
}

// sendWhole sends a response whose body is all in body: the head, the
// body, and the last chunk when the head made it chunked (a charset
// recoding took its length away).
func (x *exchange) sendWhole(body []byte) {
	if x.sendHead(body) == nil {
		_ = x.endBody()
	}
}

// write sends p to the client, within send_timeout, and counts it.
func (x *exchange) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	for len(p) > 0 {
		chunk := p[:x.paceWrite(len(p))]
		before := x.bytesSent
		x.c.dl.setWrite(x.c.nc, x.conf.SendTimeout)
		n, err := x.c.nc.Write(chunk)
		x.bytesSent += int64(n)
		if err != nil {
			x.broken, x.writeFailed = true, true
			x.logSendError(err)
			return err
		}
		x.paced(before)
		p = p[n:]
	}
	return nil
}

// writeBody sends body bytes, with sub_filter's replacements made (some
// bytes may be held until more come), recoded by the charset filter if it
// says so, compressed when gzip is on (and sent at once when x.flushBody
// is set), and framed as the head announced (chunked or not). Nothing is
// sent for a head-only response.
func (x *exchange) writeBody(p []byte) error {
	if x.headerOnly || len(p) == 0 {
		return nil
	}
	if x.subFilter != nil {
		if p = x.subFilterBody(p, false); len(p) == 0 {
			return nil
		}
	}
	return x.writeSubbed(p)
}

// writeLastBody is writeBody for the body's last bytes when nginx hands
// them on marked as the last (a file's last read): what the sub filter
// held goes out with them, in the same chunk.
func (x *exchange) writeLastBody(p []byte) error {
	if x.headerOnly {
		return nil
	}
	if x.subFilter != nil {
		p = x.subFilterBody(p, true)
	}
	if len(p) == 0 {
		return nil
	}
	return x.writeSubbed(p)
}

// writeSubbed is writeBody after the sub filter.
func (x *exchange) writeSubbed(p []byte) error {
	if x.out.recode != nil {
		if p = x.out.recode.apply(p); len(p) == 0 {
			return nil
		}
	}
	if x.gz != nil {
		if x.gz.ended {
			return nil
		}
		p = x.gzipBody(p, x.flushBody, false)
	}
	return x.sendBody(p)
}

// sendBody sends p framed as the head announced.
func (x *exchange) sendBody(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if !x.out.chunked || x.raw09 {
		return x.write(p)
	}
	b := x.c.s.bufs.get(0)
	defer x.c.s.bufs.put(b)
	h := strconv.AppendInt(b.b[:0], int64(len(p)), 16)
	h = append(h, '\r', '\n')
	if len(p) <= 8192 {
		h = append(h, p...)
		h = append(h, '\r', '\n')
		b.b = h
		return x.write(h)
	}
	b.b = h
	if err := x.write(h); err != nil {
		return err
	}
	if err := x.write(p); err != nil {
		return err
	}
	return x.write([]byte("\r\n"))
}

// lastChunk ends a chunked body without trailers.
var lastChunk = []byte("0\r\n\r\n")

// appendLastChunk appends the chunk that ends a chunked body, with
// add_trailer's trailers (ngx_http_chunked_create_trailers).
func (x *exchange) appendLastChunk(dst []byte) []byte {
	if !x.out.expectTrailers {
		return append(dst, lastChunk...)
	}
	dst = append(dst, '0', '\r', '\n')
	dst = x.appendTrailers(dst)
	return append(dst, '\r', '\n')
}

// endBody ends the body: it sends the bytes the sub filter held, then
// ends a compressed body with what the compressor holds and the gzip
// trailer, a chunked one with its last chunk.
func (x *exchange) endBody() error {
	if x.headerOnly || x.raw09 {
		return nil
	}
	if x.subFilter != nil {
		// What the sub filter still holds goes out as it is.
		if tail := x.subFilterBody(nil, true); len(tail) > 0 {
			if err := x.writeSubbed(tail); err != nil {
				return err
			}
		}
	}
	if x.gz != nil {
		if x.gz.ended {
			return nil
		}
		if err := x.sendBody(x.gzipBody(nil, false, true)); err != nil {
			return err
		}
	}
	if !x.out.chunked {
		return nil
	}
	if !x.out.expectTrailers {
		return x.write(lastChunk)
	}
	b := x.c.s.bufs.get(0)
	defer x.c.s.bufs.put(b)
	b.b = x.appendLastChunk(b.b[:0])
	return x.write(b.b)
}

// logSendError logs a failed write to the client as nginx does: at info
// for a peer that went away, at error otherwise; while the static module's
// "sending response to client" (a file), else the upstream module's
// "sending to client".
func (x *exchange) logSendError(err error) {
	lvl := levelInfo
	if !isPeerGone(err) && !isTimeout(err) {
		lvl = levelError
	}
	action := "sending to client"
	if x.out.action == staticAction {
		action = staticAction
	}
	// logEvent asks the log of the request's level (an http, server or
	// location error_log may be more verbose than the main one).
	if isTimeout(err) {
		x.logEvent(levelInfo, "client timed out", "110: Connection timed out", action)
		return
	}
	x.logEvent(lvl, "writev() failed", errnoText(err), action)
}

// staticAction is the log action ngx_http_static_handler (and
// gzip_static's) gives the connection before it sends a file.
const staticAction = "sending response to client"
