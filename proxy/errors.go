package proxy

import (
	"github.com/nginxws/nginxws/directives"
)

// errorPages are nginx's built-in response bodies
// (ngx_http_special_response.c), byte for byte, without the tail that
// names the server. A status missing here gets an empty body.
var errorPages = map[int]string{
	301: "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n",
	302: "<html>\r\n<head><title>302 Found</title></head>\r\n<body>\r\n<center><h1>302 Found</h1></center>\r\n",
	303: "<html>\r\n<head><title>303 See Other</title></head>\r\n<body>\r\n<center><h1>303 See Other</h1></center>\r\n",
	307: "<html>\r\n<head><title>307 Temporary Redirect</title></head>\r\n<body>\r\n<center><h1>307 Temporary Redirect</h1></center>\r\n",
	308: "<html>\r\n<head><title>308 Permanent Redirect</title></head>\r\n<body>\r\n<center><h1>308 Permanent Redirect</h1></center>\r\n",
	400: "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n",
	401: "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n",
	402: "<html>\r\n<head><title>402 Payment Required</title></head>\r\n<body>\r\n<center><h1>402 Payment Required</h1></center>\r\n",
	403: "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n",
	404: "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n",
	405: "<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n",
	406: "<html>\r\n<head><title>406 Not Acceptable</title></head>\r\n<body>\r\n<center><h1>406 Not Acceptable</h1></center>\r\n",
	408: "<html>\r\n<head><title>408 Request Time-out</title></head>\r\n<body>\r\n<center><h1>408 Request Time-out</h1></center>\r\n",
	409: "<html>\r\n<head><title>409 Conflict</title></head>\r\n<body>\r\n<center><h1>409 Conflict</h1></center>\r\n",
	410: "<html>\r\n<head><title>410 Gone</title></head>\r\n<body>\r\n<center><h1>410 Gone</h1></center>\r\n",
	411: "<html>\r\n<head><title>411 Length Required</title></head>\r\n<body>\r\n<center><h1>411 Length Required</h1></center>\r\n",
	412: "<html>\r\n<head><title>412 Precondition Failed</title></head>\r\n<body>\r\n<center><h1>412 Precondition Failed</h1></center>\r\n",
	413: "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n",
	414: "<html>\r\n<head><title>414 Request-URI Too Large</title></head>\r\n<body>\r\n<center><h1>414 Request-URI Too Large</h1></center>\r\n",
	415: "<html>\r\n<head><title>415 Unsupported Media Type</title></head>\r\n<body>\r\n<center><h1>415 Unsupported Media Type</h1></center>\r\n",
	416: "<html>\r\n<head><title>416 Requested Range Not Satisfiable</title></head>\r\n<body>\r\n<center><h1>416 Requested Range Not Satisfiable</h1></center>\r\n",
	421: "<html>\r\n<head><title>421 Misdirected Request</title></head>\r\n<body>\r\n<center><h1>421 Misdirected Request</h1></center>\r\n",
	429: "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n<center><h1>429 Too Many Requests</h1></center>\r\n",
	494: "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n",
	495: "<html>\r\n<head><title>400 The SSL certificate error</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The SSL certificate error</center>\r\n",
	496: "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n",
	497: "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n",
	500: "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n",
	501: "<html>\r\n<head><title>501 Not Implemented</title></head>\r\n<body>\r\n<center><h1>501 Not Implemented</h1></center>\r\n",
	502: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n",
	503: "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n",
	504: "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n",
	505: "<html>\r\n<head><title>505 HTTP Version Not Supported</title></head>\r\n<body>\r\n<center><h1>505 HTTP Version Not Supported</h1></center>\r\n",
	507: "<html>\r\n<head><title>507 Insufficient Storage</title></head>\r\n<body>\r\n<center><h1>507 Insufficient Storage</h1></center>\r\n",
}

// The tail of a built-in page; the name in it follows server_tokens, as
// the Server header does.
const (
	pageTailStart = "<hr><center>"
	pageTailEnd   = "</center>\r\n</body>\r\n</html>\r\n"
)

// msiePadding is what nginx appends to error pages for MSIE and Chrome
// (msie_padding on), so that they show the page instead of their own.
const msiePadding = "<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" +
	"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n"

// pageFor returns the built-in page nginx sends for status.
func pageFor(status int) string {
	if status == 498 {
		return errorPages[404]
	}
	return errorPages[status]
}

// finalize ends the request with an nginx status: a special response
// (ngx_http_special_response_handler) — an error_page redirect when one
// applies, else the built-in page. Statuses below 300 other than 201 and
// 204 are sent as they are, with an empty body (nginx's return 200
// without text). 444 closes the connection without a response, 499 means
// the client is gone.
func (x *exchange) finalize(status int) {
	if x.headerSent {
		x.broken = true
		return
	}
	switch status {
	case 408:
		// ngx_http_finalize_request terminates the request: nothing is
		// sent, 408 is logged.
		x.status = 408
		x.broken = true
		x.noLinger = true
		return
	case 444:
		x.status = 444
		x.broken = true
		x.noLinger = true
		return
	case 499:
		// ngx_http_terminate_request: closed without lingering, so
		// that bytes the client sent before its close (a pipelined
		// request) make the close a reset, as nginx's does.
		x.status = 499
		x.broken = true
		x.noLinger = true
		return
	}
	if status < 300 && status != 201 && status != 204 {
		x.status = status
		x.discardBody()
		x.out.contentLength = 0
		x.sendWhole(nil)
		return
	}
	x.special(status)
}

// special mirrors ngx_http_special_response_handler.
func (x *exchange) special(status int) {
	x.errStatus = status
	switch status {
	case 400, 413, 414, 497, 495, 496, 500, 501:
		x.keepalive = false
	}
	if x.lingering {
		switch status {
		case 400, 497, 495, 496:
			x.lingering = false
		}
	}
	x.out.setContentType(nil)
	// The page goes through the header filters again (nginx keeps the
	// charset chosen before; a page of nginx's own is ASCII).
	x.out.charsetDone, x.out.recode = false, nil
	conf := x.confOrServer()
	if !x.errorPage && conf.ErrorPages != nil && x.uriChanges != 0 {
		if !conf.RecursiveErrorPages {
			x.errorPage = true
		}
		for _, ep := range conf.ErrorPages {
			for _, code := range ep.Codes {
				if code == status {
					x.sendErrorPage(ep, status)
					return
				}
			}
		}
	}
	x.expectTested = true
	x.discardBody()
	if conf.MsieRefresh && (status == 301 || status == 302) && x.out.locPos > 0 && x.userAgent()&uaMSIE != 0 {
		x.sendRefresh()
		return
	}
	switch {
	case status == 494 || status == 495 || status == 496 || status == 497:
		x.errStatus = 400
	}
	x.sendSpecial(status)
}

// msieRefreshHead and msieRefreshTail frame the page msie_refresh sends
// MSIE instead of a redirect.
const (
	msieRefreshHead = "<html><head><meta http-equiv=\"Refresh\" content=\"0; URL="
	msieRefreshTail = "\"></head><body></body></html>\r\n"
)

// sendRefresh mirrors ngx_http_send_refresh: a 200 page whose meta
// refresh goes where the Location would have, the URL escaped as
// NGX_ESCAPE_REFRESH; the Location, Accept-Ranges, Last-Modified and
// ETag headers are dropped.
func (x *exchange) sendRefresh() {
	o := &x.out
	loc := o.location
	o.removeAt(o.locPos - 1)
	o.location, o.locPos = nil, 0
	for _, name := range []string{"Accept-Ranges", "ETag", "Last-Modified"} {
		x.replaceHeader(name, nil)
	}
	o.lastModified = zeroTime
	x.errStatus = 200
	x.status = 200
	b := x.c.s.bufs.get(len(msieRefreshHead) + 3*len(loc) + len(msieRefreshTail))
	defer x.c.s.bufs.put(b)
	p := append(b.b[:0], msieRefreshHead...)
	p = appendEscaped(p, loc, &escapeRefreshBits)
	p = append(p, msieRefreshTail...)
	b.b = p
	o.setContentType([]byte("text/html"))
	o.contentLength = int64(len(p))
	_ = x.sendHead(p)
}

// confOrServer is the level the request is at: its location's, or the
// server's before a location was found.
func (x *exchange) confOrServer() *directives.LocConf {
	if x.conf == nil {
		x.setConf(x.srv.top, x.srv.srv.Conf)
	}
	return x.conf
}

// levelConf is the settings of the level the request is at: its
// location's, else (no location chosen yet) its server's.
func (x *exchange) levelConf() *directives.LocConf {
	if x.conf != nil {
		return x.conf
	}
	return x.srv.srv.Conf
}

// setConf makes l (with settings c) the request's level.
func (x *exchange) setConf(l *location, c *directives.LocConf) {
	x.loc, x.conf = l, c
	x.c.keepaliveTimeout = c.KeepaliveTimeout
}

// sendSpecial mirrors ngx_http_send_special_response: the built-in page
// for page (the status the page is chosen by; the status line follows
// x.errStatus), as text/html with its Content-Length.
func (x *exchange) sendSpecial(page int) {
	conf := x.confOrServer()
	body := pageFor(page)
	x.status = x.errStatus
	if body == "" {
		x.out.contentLength = 0
		x.sendWhole(nil)
		return
	}
	token := x.c.s.pageToken(conf.ServerTokens)
	padding := conf.MsiePadding && page >= 400 && x.head.Version >= 1000 && x.userAgent()&(uaMSIE|uaChrome) != 0
	n := len(body) + len(pageTailStart) + len(token) + len(pageTailEnd)
	if padding {
		n += len(msiePadding)
	}
	x.out.setContentType([]byte("text/html"))
	x.out.contentLength = int64(n)
	b := x.c.s.bufs.get(n)
	defer x.c.s.bufs.put(b)
	p := append(b.b[:0], body...)
	p = append(p, pageTailStart...)
	p = append(p, token...)
	p = append(p, pageTailEnd...)
	if padding {
		p = append(p, msiePadding...)
	}
	b.b = p
	x.sendWhole(p)
}

// sendErrorPage mirrors ngx_http_send_error_page: a URI redirects
// internally (GET unless HEAD), an @name jumps to a named location, and
// anything else is an external redirect.
func (x *exchange) sendErrorPage(ep *directives.ErrorPage, status int) {
	overwrite := ep.Overwrite
	switch status {
	case 494, 495, 496, 497:
		// ngx_http_core_error_page: without "=code", nginx's own 400s
		// keep the status their page would have had.
		if overwrite < 0 {
			overwrite = 400
		}
	}
	if overwrite != 0 && overwrite != 200 {
		// Without "=code" too (overwrite -1): such a page answers no
		// Expect.
		x.expectTested = true
	}
	if overwrite >= 0 {
		x.errStatus = overwrite
	}
	uri := x.value(ep.URI)
	if len(uri) > 0 && uri[0] == '/' {
		var args []byte
		for i, ch := range uri {
			if ch == '?' {
				uri, args = uri[:i], uri[i+1:]
				break
			}
		}
		if !x.isHead() {
			x.method, x.methodCode = []byte("GET"), methodGET
		}
		// ngx_http_send_error_page: a page with variables goes
		// through ngx_http_split_args, which leaves $args found.
		x.internalRedirect(uri, args, args != nil || !ep.URI.IsLiteral())
		return
	}
	if len(uri) > 0 && uri[0] == '@' {
		x.namedLocation(string(uri[1:]))
		return
	}
	x.expectTested = true
	x.discardBody()
	switch overwrite {
	case 301, 302, 303, 307, 308:
	default:
		x.errStatus = 302
	}
	x.out.setLocation(uri)
	x.sendSpecial(x.errStatus)
}
