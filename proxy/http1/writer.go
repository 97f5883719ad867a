package http1

import "strconv"

// AppendRequestLine appends "METHOD URI HTTP/1.x\r\n" to dst; version is
// nginx's http_version (1000 or 1001, as proxy_http_version sets it).
func AppendRequestLine(dst, method, uri []byte, version int) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, uri...)
	dst = append(dst, " HTTP/"...)
	return appendVersion(dst, version)
}

// appendVersion appends "major.minor\r\n".
func appendVersion(dst []byte, version int) []byte {
	dst = strconv.AppendInt(dst, int64(version/1000), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, int64(version%1000), 10)
	return append(dst, '\r', '\n')
}

// AppendHeader appends "Name: value\r\n" to dst. Names and values may be
// strings (from the configuration) or byte slices (from a parsed head).
func AppendHeader[N, V ~string | ~[]byte](dst []byte, name N, value V) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':', ' ')
	dst = append(dst, value...)
	return append(dst, '\r', '\n')
}

// AppendHeaders appends each header as a line, in order.
func AppendHeaders(dst []byte, headers []Header) []byte {
	for i := range headers {
		dst = AppendHeader(dst, headers[i].Name, headers[i].Value)
	}
	return dst
}

// AppendRequestHead appends a whole request head: the request line, the
// headers in the given order and case, and the empty line.
func AppendRequestHead(dst, method, uri []byte, version int, headers []Header) []byte {
	dst = AppendRequestLine(dst, method, uri, version)
	dst = AppendHeaders(dst, headers)
	return append(dst, '\r', '\n')
}

// AppendStatusLine appends "HTTP/1.1 <status line>\r\n" as nginx's header
// filter writes it (always HTTP/1.1): the upstream's status line when given
// (line, e.g. "200 OK" or "404 Nope"), else nginx's reason phrase for code
// (see [StatusLine]), else just the code and a space.
func AppendStatusLine(dst []byte, code int, line []byte) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	switch {
	case len(line) > 0:
		dst = append(dst, line...)
	case StatusLine(code) != "":
		dst = append(dst, StatusLine(code)...)
	default:
		dst = appendCode(dst, code)
		dst = append(dst, ' ')
	}
	return append(dst, '\r', '\n')
}

// appendCode appends code as three digits (nginx's "%03ui").
func appendCode(dst []byte, code int) []byte {
	if code >= 0 && code < 100 {
		dst = append(dst, '0')
		if code < 10 {
			dst = append(dst, '0')
		}
	}
	return strconv.AppendInt(dst, int64(code), 10)
}

// AppendResponseHead appends a whole response head: the status line (see
// AppendStatusLine), the headers in the given order and case, and the empty
// line.
func AppendResponseHead(dst []byte, code int, line []byte, headers []Header) []byte {
	dst = AppendStatusLine(dst, code, line)
	dst = AppendHeaders(dst, headers)
	return append(dst, '\r', '\n')
}

// StatusLine returns nginx's status line for code ("404 Not Found"), or ""
// for a code nginx has no text for (ngx_http_status_lines).
func StatusLine(code int) string {
	switch code {
	case 200:
		return "200 OK"
	case 201:
		return "201 Created"
	case 202:
		return "202 Accepted"
	case 204:
		return "204 No Content"
	case 206:
		return "206 Partial Content"
	case 301:
		return "301 Moved Permanently"
	case 302:
		return "302 Moved Temporarily"
	case 303:
		return "303 See Other"
	case 304:
		return "304 Not Modified"
	case 307:
		return "307 Temporary Redirect"
	case 308:
		return "308 Permanent Redirect"
	}
	if code >= 400 && code < 430 {
		return statusLines4xx[code-400]
	}
	if code >= 500 && code < 508 {
		return statusLines5xx[code-500]
	}
	return ""
}

var statusLines4xx = [...]string{
	"400 Bad Request", "401 Unauthorized", "402 Payment Required", "403 Forbidden",
	"404 Not Found", "405 Not Allowed", "406 Not Acceptable", "",
	"408 Request Time-out", "409 Conflict", "410 Gone", "411 Length Required",
	"412 Precondition Failed", "413 Request Entity Too Large", "414 Request-URI Too Large",
	"415 Unsupported Media Type", "416 Requested Range Not Satisfiable", "", "", "", "",
	"421 Misdirected Request", "", "", "", "", "", "", "", "429 Too Many Requests",
}

var statusLines5xx = [...]string{
	"500 Internal Server Error", "501 Not Implemented", "502 Bad Gateway",
	"503 Service Temporarily Unavailable", "504 Gateway Time-out",
	"505 HTTP Version Not Supported", "", "507 Insufficient Storage",
}
