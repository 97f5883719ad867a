package proxy

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/proxy/http1"
)

// mapPath is ngx_http_map_uri_to_path: the file a URI names under the
// level's root, or its alias (which replaces the location's prefix; with
// a regex location the alias, captures substituted, is the whole path).
func (x *exchange) mapPath(uri []byte) string {
	root := x.value(x.conf.Root)
	if !x.conf.Alias {
		return string(root) + string(uri)
	}
	if x.loc != nil && x.loc.loc != nil && x.loc.loc.IsRegex() {
		return string(root)
	}
	n := 0
	if x.loc != nil && x.loc.loc != nil {
		n = min(len(x.loc.name), len(uri))
	}
	return string(root) + string(uri[n:])
}

// tryFiles runs try_files (ngx_http_try_files_handler): the first argument
// naming an existing file (or, ending in "/", a directory) becomes the URI
// and the request goes on to content; the last argument is a fallback URI,
// a named location, or "=code". It reports whether content should run.
func (x *exchange) tryFiles() bool {
	list := x.conf.TryFiles
	for i, a := range list {
		v := x.value(a)
		if i == len(list)-1 {
			s := string(v)
			switch {
			case strings.HasPrefix(s, "="):
				code, err := strconv.Atoi(s[1:])
				if err != nil {
					code = 500
				}
				x.finalize(code)
			case strings.HasPrefix(s, "@"):
				x.namedLocation(s[1:])
			default:
				uri, args := v, []byte(nil)
				for j, c := range v {
					if c == '?' {
						uri, args = v[:j], v[j+1:]
						break
					}
				}
				if args == nil {
					args = x.args
				}
				x.internalRedirect(uri, args)
			}
			return false
		}
		dir := len(v) > 0 && v[len(v)-1] == '/'
		name := v
		if dir {
			name = v[:len(v)-1]
		}
		path := x.mapPath(name)
		fi, err := os.Stat(path)
		if err != nil || fi.IsDir() != dir {
			continue
		}
		if !x.conf.Alias || (x.loc != nil && x.loc.loc != nil && !x.loc.loc.IsRegex()) {
			x.uri = v
		}
		return true
	}
	return true
}

// static is the content handler of a level without proxy_pass: nginx's
// index and static modules.
func (x *exchange) static() {
	if x.methodCode != http1.MethodGET && x.methodCode != http1.MethodHEAD && x.methodCode != http1.MethodPOST {
		x.finalize(405)
		return
	}
	if len(x.uri) > 0 && x.uri[len(x.uri)-1] == '/' {
		x.index()
		return
	}
	path := x.mapPath(x.uri)
	f, err := os.Open(path)
	if err != nil {
		x.openError(path, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		x.finalize(500)
		return
	}
	if fi.IsDir() {
		x.dirRedirect()
		return
	}
	if !fi.Mode().IsRegular() {
		x.logEvent(levelCrit, `"`+path+`" is not a regular file`, "", "")
		x.finalize(404)
		return
	}
	if x.methodCode == http1.MethodPOST {
		x.finalize(405)
		return
	}
	x.discardBody()
	x.serveFile(f, fi)
}

// openError answers a file that could not be opened: 404 (logged unless
// log_not_found is off), 403 for permissions, 500 otherwise.
func (x *exchange) openError(path string, err error) {
	var en syscall.Errno
	errors.As(err, &en)
	switch {
	case errors.Is(err, fs.ErrNotExist) || en == syscall.ENOTDIR || en == syscall.ENAMETOOLONG:
		if x.conf.LogNotFound {
			x.logEvent(levelError, `open() "`+path+`" failed`, errnoText(err), "")
		}
		x.finalize(404)
	case en == syscall.EACCES:
		x.logEvent(levelError, `open() "`+path+`" failed`, errnoText(err), "")
		x.finalize(403)
	default:
		x.logEvent(levelCrit, `open() "`+path+`" failed`, errnoText(err), "")
		x.finalize(500)
	}
}

// dirRedirect answers a directory named without its final "/" with a 301
// to the URI with it (arguments kept), as ngx_http_static_handler does.
func (x *exchange) dirRedirect() {
	start := len(x.scratch)
	x.scratch = http1.AppendEscapedURI(x.scratch, x.uri)
	x.scratch = append(x.scratch, '/')
	if len(x.args) > 0 {
		x.scratch = append(x.scratch, '?')
		x.scratch = append(x.scratch, x.args...)
	}
	v := x.keep(x.scratch[start:])
	x.scratch = x.scratch[:start]
	x.discardBody()
	x.out.setLocation(v)
	x.finalize(301)
}

// index is ngx_http_index_handler: the first index file that exists is
// served by an internal redirect; without one a directory is 403 and a
// missing one 404.
func (x *exchange) index() {
	dirPath := x.mapPath(x.uri)
	for _, ix := range x.conf.Index {
		name := x.value(ix)
		var uri []byte
		var path string
		if len(name) > 0 && name[0] == '/' {
			uri = name
			path = x.mapPath(name)
		} else {
			uri = x.keep(append(append([]byte(nil), x.uri...), name...))
			path = dirPath + string(name)
		}
		fi, err := os.Stat(path)
		if err != nil {
			var en syscall.Errno
			if errors.As(err, &en) && en == syscall.EACCES {
				x.logEvent(levelError, `open() "`+path+`" failed`, errnoText(err), "")
				x.finalize(403)
				return
			}
			continue
		}
		if fi.IsDir() {
			continue
		}
		x.internalRedirect(uri, x.args)
		return
	}
	fi, err := os.Stat(dirPath)
	if err != nil {
		if x.conf.LogNotFound {
			x.logEvent(levelError, `"`+dirPath+`" is not found`, errnoText(err), "")
		}
		x.finalize(404)
		return
	}
	if !fi.IsDir() {
		x.finalize(404)
		return
	}
	x.logEvent(levelError, `directory index of "`+dirPath+`" is forbidden`, "", "")
	x.finalize(403)
}

// serveFile sends a regular file with nginx's static headers:
// Content-Type by extension, Last-Modified, ETag and Accept-Ranges;
// If-Modified-Since, If-None-Match, If-Match and If-Unmodified-Since
// (ngx_http_not_modified_filter) and a single Range (206).
func (x *exchange) serveFile(f *os.File, fi os.FileInfo) {
	size := fi.Size()
	mtime := fi.ModTime().Truncate(time.Second)
	etag := x.keep(appendETag(nil, mtime, size))
	x.status = 200
	o := &x.out
	o.contentType = x.typeByExten(x.uri)
	o.contentLength = size
	o.lastModified = mtime
	o.add([]byte("ETag"), etag)

	if st := x.notModified(mtime, etag); st != 0 {
		if st == 412 {
			o.headers = o.headers[:0]
			o.lastModified = zeroTime
			x.finalize(412)
			return
		}
		x.status = 304
		o.contentType = nil
		o.contentLength = -1
		_ = x.sendHead(nil)
		return
	}
	start, length, ranged := x.byteRange(size, mtime, etag)
	if ranged == 416 {
		o.headers = o.headers[:0]
		o.lastModified = zeroTime
		o.add([]byte("Content-Range"), x.keep([]byte("bytes */"+strconv.FormatInt(size, 10))))
		x.finalize(416)
		return
	}
	if ranged == 206 {
		x.status = 206
		o.contentLength = length
		o.add([]byte("Content-Range"), x.keep([]byte("bytes "+strconv.FormatInt(start, 10)+"-"+strconv.FormatInt(start+length-1, 10)+"/"+strconv.FormatInt(size, 10))))
	} else {
		o.add([]byte("Accept-Ranges"), []byte("bytes"))
		start, length = 0, size
	}
	if err := x.sendHead(nil); err != nil || x.headerOnly {
		return
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		x.broken = true
		return
	}
	b := x.c.s.bufs.get(32768)
	defer x.c.s.bufs.put(b)
	buf := b.b[:cap(b.b)]
	left := length
	for left > 0 {
		n, err := f.Read(buf[:min(int64(len(buf)), left)])
		if n > 0 {
			if werr := x.write(buf[:n]); werr != nil {
				return
			}
			left -= int64(n)
		}
		if err != nil {
			if left > 0 {
				x.logEvent(levelCrit, `read() "`+f.Name()+`" failed`, errnoText(err), "")
				x.broken = true
			}
			return
		}
	}
}

// appendETag appends nginx's ETag: "mtime-size" in hexadecimal.
func appendETag(dst []byte, mtime time.Time, size int64) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, mtime.Unix(), 16)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, size, 16)
	return append(dst, '"')
}

// notModified mirrors ngx_http_not_modified_header_filter with nginx's
// defaults (if_modified_since exact, etag on): 412 when If-Unmodified-Since
// or If-Match fails, 304 when If-Modified-Since equals the file's time or
// If-None-Match names its ETag, 0 otherwise.
func (x *exchange) notModified(mtime time.Time, etag []byte) int {
	h := x.head
	if v, ok := h.Header("if-unmodified-since"); ok {
		t, err := http.ParseTime(string(v))
		if err == nil && mtime.After(t) {
			return 412
		}
	}
	if v, ok := h.Header("if-match"); ok && !etagMatch(v, etag, false) {
		return 412
	}
	ims, hasIMS := h.Header("if-modified-since")
	inm, hasINM := h.Header("if-none-match")
	if !hasIMS && !hasINM {
		return 0
	}
	if hasIMS {
		t, err := http.ParseTime(string(ims))
		if err != nil || !t.Equal(mtime) {
			return 0
		}
	}
	if hasINM && !etagMatch(inm, etag, true) {
		return 0
	}
	return 304
}

// etagMatch is ngx_http_test_if_match: "*" or a list containing the ETag
// (weak comparison allows a "W/" prefix).
func etagMatch(list, etag []byte, weak bool) bool {
	s := strings.TrimSpace(string(list))
	if s == "*" {
		return true
	}
	e := string(etag)
	for _, part := range strings.Split(s, ",") {
		p := strings.TrimSpace(part)
		if weak {
			p = strings.TrimPrefix(p, "W/")
		}
		if p == e {
			return true
		}
	}
	return false
}

// byteRange parses a single "bytes=" Range (ngx_http_range_filter):
// 206 with the start and length, 416 when unsatisfiable, 0 to send the
// whole file (no Range, If-Range not matching, or several ranges, which
// nginxws does not split into multipart bodies).
func (x *exchange) byteRange(size int64, mtime time.Time, etag []byte) (int64, int64, int) {
	v, ok := x.head.Header("range")
	if !ok {
		return 0, 0, 0
	}
	s := string(v)
	if len(s) < 7 || !strings.EqualFold(s[:6], "bytes=") {
		return 0, 0, 0
	}
	if ir, ok := x.head.Header("if-range"); ok {
		irs := string(ir)
		if strings.HasPrefix(irs, `"`) || strings.HasPrefix(irs, "W/") {
			if irs != string(etag) {
				return 0, 0, 0
			}
		} else if t, err := http.ParseTime(irs); err != nil || !t.Equal(mtime) {
			return 0, 0, 0
		}
	}
	spec := strings.TrimSpace(s[6:])
	if strings.Contains(spec, ",") {
		return 0, 0, 0
	}
	dash := strings.IndexByte(spec, '-')
	if dash < 0 {
		return 0, 0, 416
	}
	a, b := strings.TrimSpace(spec[:dash]), strings.TrimSpace(spec[dash+1:])
	var start, end int64
	switch {
	case a == "":
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n == 0 {
			return 0, 0, 416
		}
		start, end = max(size-n, 0), size-1
	default:
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return 0, 0, 416
		}
		start = n
		end = size - 1
		if b != "" {
			m, err := strconv.ParseInt(b, 10, 64)
			if err != nil || m < start {
				return 0, 0, 416
			}
			end = min(m, size-1)
		}
	}
	if start >= size {
		return 0, 0, 416
	}
	return start, end - start + 1, 206
}
