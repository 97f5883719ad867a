package proxy

import (
	"github.com/nginxws/nginxws/directives"
)

// doReturn answers with a return statement (ngx_http_script_return_code
// and ngx_http_send_response): a redirect code with its URL as Location
// and nginx's page; a code below 400, or any code with text, as a response
// whose body is the text, typed by the URI's extension; a bare code of 400
// or more as nginx's error page; 444 closes the connection.
func (x *exchange) doReturn(st *directives.Stmt) {
	code := st.Code
	if code >= 400 && st.Text == nil {
		x.finalize(code)
		return
	}
	// A content handler answers the discard's refusal instead
	// (ngx_http_discard_request_body's status, returned as nginx's
	// handlers return it).
	if st := x.discardRequestBody(); st != 0 {
		x.finalize(st)
		return
	}
	text := x.value(st.Text)
	switch code {
	case 301, 302, 303, 307, 308:
		x.out.setLocation(text)
		x.finalize(code)
		return
	}
	if code == 444 {
		x.finalize(444)
		return
	}
	x.status = code
	if len(x.out.contentType) == 0 {
		x.out.setContentType(x.typeByExten(x.uri))
	}
	x.out.contentLength = int64(len(text))
	x.sendWhole(text)
}

// typeByExten is ngx_http_set_content_type: the type the level's types
// map gives the URI's extension (compared lower-cased), else default_type.
func (x *exchange) typeByExten(uri []byte) []byte {
	ext := exten(uri)
	if len(ext) > 0 {
		var low [32]byte
		if len(ext) <= len(low) {
			for i, c := range ext {
				if c >= 'A' && c <= 'Z' {
					c |= 0x20
				}
				low[i] = c
			}
			if t, ok := x.conf.Types[string(low[:len(ext)])]; ok {
				return []byte(t)
			}
		}
	}
	if x.conf.DefaultType == "" {
		return nil
	}
	return []byte(x.conf.DefaultType)
}

// exten is ngx_http_set_exten: what follows the last "." of the URI's
// last segment, unless that "." starts the segment.
func exten(uri []byte) []byte {
	for i := len(uri) - 1; i > 1; i-- {
		switch {
		case uri[i] == '.' && uri[i-1] != '/':
			return uri[i+1:]
		case uri[i] == '/':
			return nil
		}
	}
	return nil
}
