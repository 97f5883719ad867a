package proxy

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// addHeaders applies add_header (ngx_http_headers_filter): on 200, 201,
// 204, 206, 301, 302, 303, 304, 307 and 308 responses, or on any with
// "always", each header whose value is not empty is added at the end of
// the list; ETag and Last-Modified replace the response's own.
func (x *exchange) addHeaders() {
	hs := x.conf.AddHeaders
	e := x.conf.Expires
	if len(hs) == 0 && e == nil {
		return
	}
	safe := headersSafeStatus(x.status)
	if e != nil && safe {
		x.setExpires(e)
	}
	o := &x.out
	o.userFrom = len(o.headers)
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

// headersSafeStatus reports whether add_header, add_trailer and expires
// apply to a response of this status without "always"
// (ngx_http_headers_filter's safe_status).
func headersSafeStatus(status int) bool {
	switch status {
	case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308:
		return true
	}
	return false
}

// trailersExpected is the headers filter's r->expect_trailers: an
// add_trailer applies to the response's status.
func (x *exchange) trailersExpected() bool {
	ts := x.conf.AddTrailers
	if len(ts) == 0 {
		return false
	}
	safe := headersSafeStatus(x.status)
	for _, t := range ts {
		if safe || t.Always {
			return true
		}
	}
	return false
}

// appendTrailers appends the trailers of ngx_http_trailers_filter, made
// as the body ends: each add_trailer the final status allows whose value
// is not empty.
func (x *exchange) appendTrailers(dst []byte) []byte {
	safe := headersSafeStatus(x.status)
	for _, t := range x.conf.AddTrailers {
		if !safe && !t.Always {
			continue
		}
		v := x.value(t.Value)
		if len(v) == 0 {
			continue
		}
		name := x.keepString(t.Name)
		x.out.trailers = append(x.out.trailers, http1.Header{Name: name, Value: v})
		dst = http1.AppendHeader(dst, name, v)
	}
	return dst
}

// removeAt drops the list's header i; the Location the list holds keeps
// its place (locPos).
func (o *outHeaders) removeAt(i int) {
	o.headers = append(o.headers[:i], o.headers[i+1:]...)
	if o.locPos > i+1 {
		o.locPos--
	}
}

// replaceHeader sets the value of the response's last header named name
// (an empty value removes it); false when there is none. It is add_header's
// for ETag and Last-Modified (ngx_http_set_response_header), which change
// the line headers_out.etag or last_modified points at: the last one the
// upstream's copy handlers put in the response.
func (x *exchange) replaceHeader(name string, v []byte) bool {
	o := &x.out
	for i := len(o.headers) - 1; i >= 0; i-- {
		if !directives.EqualFoldASCII(o.headers[i].Name, name) {
			continue
		}
		if len(v) == 0 {
			o.removeAt(i)
			return true
		}
		o.headers[i].Value = v
		return true
	}
	return false
}

// The values of expires epoch and max (ngx_http_set_expires).
var (
	expiresEpoch    = []byte("Thu, 01 Jan 1970 00:00:01 GMT")
	expiresMax      = []byte("Thu, 31 Dec 2037 23:55:55 GMT")
	maxAgeMax       = []byte("max-age=315360000")
	cacheNoCache    = []byte("no-cache")
	cacheMaxAgeZero = []byte("max-age=0")
	expiresName     = []byte("Expires")
	cacheName       = []byte("Cache-Control")
)

// setExpires is ngx_http_set_expires: the response's Expires (the
// upstream's replaced in its place, else added) and its first
// Cache-Control (the others dropped) say when it expires.
func (x *exchange) setExpires(e *directives.Expires) {
	mode, secs := e.Mode, e.Seconds
	if e.Value != nil {
		var reason string
		mode, secs, reason = directives.ParseExpires(string(x.value(e.Value)), e.Mode)
		if reason != "" || mode == directives.ExpiresOff {
			return
		}
	}
	if mode == directives.ExpiresOff {
		return
	}
	var expires, cc []byte
	switch {
	case mode == directives.ExpiresEpoch:
		expires, cc = expiresEpoch, cacheNoCache
	case mode == directives.ExpiresMax:
		expires, cc = expiresMax, maxAgeMax
	case secs == 0 && mode != directives.ExpiresDaily:
		expires, cc = x.c.s.date.get(), cacheMaxAgeZero
	default:
		now := time.Now()
		var at time.Time
		var maxAge int64
		lastModified, known := x.lastModifiedTime()
		switch {
		case mode == directives.ExpiresDaily:
			at = nextTimeOfDay(now, secs)
			maxAge = at.Unix() - now.Unix()
		case mode == directives.ExpiresAccess || !known:
			at = time.Unix(now.Unix()+secs, 0)
			maxAge = secs
		default:
			at = time.Unix(lastModified.Unix()+secs, 0)
			maxAge = at.Unix() - now.Unix()
		}
		expires = x.keep(at.UTC().AppendFormat(nil, http.TimeFormat))
		// The directive's own time, as nginx tests conf->expires_time.
		if e.Seconds < 0 || maxAge < 0 {
			cc = cacheNoCache
		} else {
			cc = x.keep(strconv.AppendInt([]byte("max-age="), maxAge, 10))
		}
	}
	o := &x.out
	if !x.replaceHeader("expires", expires) {
		o.add(expiresName, expires)
	}
	first := -1
	for i := 0; i < len(o.headers); i++ {
		if !directives.EqualFoldASCII(o.headers[i].Name, "cache-control") {
			continue
		}
		if first < 0 {
			first = i
			o.headers[i].Value = cc
			continue
		}
		o.removeAt(i)
		i--
	}
	if first < 0 {
		o.add(cacheName, cc)
	}
}

// lastModifiedTime is nginx's headers_out.last_modified_time: a static
// file's, or the last Last-Modified line's parsed (the upstream's copy
// handler and add_header each point headers_out.last_modified at theirs);
// false when there is none or it is not a date.
func (x *exchange) lastModifiedTime() (time.Time, bool) {
	o := &x.out
	if !o.lastModified.IsZero() {
		return o.lastModified, true
	}
	if i := o.lastBefore("last-modified", len(o.headers)); i >= 0 {
		// Parsed as nginx parses it (the upstream module's
		// ngx_parse_http_time), not as Go's net/http would.
		secs, ok := parseHTTPTime(o.headers[i].Value)
		return time.Unix(secs, 0), ok
	}
	return time.Time{}, false
}

// nextTimeOfDay is ngx_next_time: the next moment, local time, that is
// secs seconds past midnight (today's if still ahead, else tomorrow's).
func nextTimeOfDay(now time.Time, secs int64) time.Time {
	y, m, d := now.Date()
	h, mi, s := int(secs/3600), int(secs%3600/60), int(secs%60)
	next := time.Date(y, m, d, h, mi, s, 0, now.Location())
	if next.Unix()-now.Unix() > 0 {
		return next
	}
	return time.Date(y, m, d+1, h, mi, s, 0, now.Location())
}
