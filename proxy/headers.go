package proxy

import (
	"strings"
)

// addHeaders applies add_header (ngx_http_headers_filter): on 200, 201,
// 204, 206, 301, 302, 303, 304, 307 and 308 responses, or on any with
// "always", each header whose value is not empty is added at the end of
// the list; ETag and Last-Modified replace the response's own.
func (x *exchange) addHeaders() {
	hs := x.conf.AddHeaders
	if len(hs) == 0 {
		return
	}
	safe := false
	switch x.status {
	case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308:
		safe = true
	}
	o := &x.out
	for _, h := range hs {
		if !safe && !h.Always {
			continue
		}
		v := x.value(h.Value)
		switch {
		case strings.EqualFold(h.Name, "etag"), strings.EqualFold(h.Name, "last-modified"):
			if x.replaceHeader(h.Name, v) {
				continue
			}
			if strings.EqualFold(h.Name, "last-modified") {
				o.lastModified = zeroTime
			}
		}
		if len(v) == 0 {
			continue
		}
		o.add(x.keepString(h.Name), v)
	}
}

// replaceHeader sets the value of the response's first header named name
// (an empty value removes it); false when there is none.
func (x *exchange) replaceHeader(name string, v []byte) bool {
	o := &x.out
	for i := range o.headers {
		if !equalFold(o.headers[i].Name, strings.ToLower(name)) {
			continue
		}
		if len(v) == 0 {
			o.headers = append(o.headers[:i], o.headers[i+1:]...)
			if o.locPos > i+1 {
				o.locPos--
			}
			return true
		}
		o.headers[i].Value = v
		return true
	}
	return false
}
