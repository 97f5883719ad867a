package proxy

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
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

// aliasRewritten is the refusal at the top of ngx_http_map_uri_to_path:
// a level with alias whose URI a "rewrite ... break" changed (nginx's
// r->valid_location cleared) maps to no file, since the alias replaces a
// location prefix the URI may no longer have. It logs nginx's [alert];
// the caller answers 500.
func (x *exchange) aliasRewritten() bool {
	if !x.conf.Alias || x.validLocation {
		return false
	}
	name := ""
	if x.loc != nil {
		name = x.loc.name
	}
	x.logEvent(levelAlert, `"alias" cannot be used in location "`+name+`" where URI was rewritten`, "", "")
	return true
}

// tryFiles runs try_files (ngx_http_try_files_handler): the first argument
// naming an existing file (or, ending in "/", a directory) becomes the URI
// and the request goes on to content; the last argument is a fallback URI,
// a named location, or "=code". It reports whether content should run.
func (x *exchange) tryFiles() bool {
	if x.aliasRewritten() {
		// nginx maps the URI before it tests the first argument.
		x.finalize(500)
		return false
	}
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
				// ngx_http_split_args: the request's own arguments
				// do not follow a URI without '?' ($args is then
				// found and empty).
				uri, args := v, []byte(nil)
				for j, c := range v {
					if c == '?' {
						uri, args = v[:j], v[j+1:]
						break
					}
				}
				x.internalRedirect(uri, args, true)
			}
			return false
		}
		// A directory test is an argument written with a final "/"
		// (nginx decides at load and drops that "/" from the name).
		dir := strings.HasSuffix(a.Raw, "/") && len(v) > 0
		name := v
		if dir {
			name = v[:len(v)-1]
		}
		path := x.mapPath(name)
		fi, err := os.Stat(path)
		if err != nil || fi.IsDir() != dir {
			continue
		}
		// The URI becomes the name tried, without the "/" of a
		// directory test (nginx strips it at load), so that a
		// directory found by "$uri/" still gets its 301.
		if !x.conf.Alias || (x.loc != nil && x.loc.loc != nil && !x.loc.loc.IsRegex()) {
			x.uri = name
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
	if x.aliasRewritten() {
		// The index, gzip_static and static handlers each map the URI
		// first; whichever runs fails so.
		x.finalize(500)
		return
	}
	if len(x.uri) > 0 && x.uri[len(x.uri)-1] == '/' {
		x.index()
		return
	}
	if x.conf.GzipStatic != directives.GzipStaticOff && x.gzipStatic() {
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
	// A content handler answers the discard's refusal instead
	// (ngx_http_discard_request_body's status, returned as nginx's
	// handlers return it).
	if st := x.discardRequestBody(); st != 0 {
		x.finalize(st)
		return
	}
	x.serveFile(f, fi, false)
}

// gzipStatic is ngx_http_gzip_static_handler, which nginx runs before the
// static module: FILE.gz is sent for FILE, with "Content-Encoding: gzip",
// when the client accepts gzip (gzip_static on) or always. It reports
// whether it answered; when it declines (a method other than GET and HEAD,
// no FILE.gz, a directory, a client that does not accept gzip) the static
// module serves FILE. With gzip_static on and gzip_vary on, an existing
// FILE.gz makes FILE's response say "Vary: Accept-Encoding" too.
func (x *exchange) gzipStatic() bool {
	if x.methodCode != http1.MethodGET && x.methodCode != http1.MethodHEAD {
		return false
	}
	on := x.conf.GzipStatic == directives.GzipStaticOn
	accepted := !on || x.gzipAccepted()
	if !accepted && !x.conf.GzipVary {
		return false
	}
	path := x.mapPath(x.uri) + ".gz"
	f, err := os.Open(path)
	if err != nil {
		var en syscall.Errno
		errors.As(err, &en)
		switch {
		case errors.Is(err, fs.ErrNotExist) || en == syscall.ENOTDIR || en == syscall.ENAMETOOLONG:
		case en == syscall.EACCES || en == syscall.EMLINK || en == syscall.ELOOP:
			x.logEvent(levelError, `open() "`+path+`" failed`, errnoText(err), "")
		default:
			x.logEvent(levelCrit, `open() "`+path+`" failed`, errnoText(err), "")
		}
		return false
	}
	if on {
		x.out.gzipVary = true
		if !accepted {
			f.Close()
			return false
		}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		x.finalize(500)
		return true
	}
	if fi.IsDir() {
		return false
	}
	if !fi.Mode().IsRegular() {
		x.logEvent(levelCrit, `"`+path+`" is not a regular file`, "", "")
		x.finalize(404)
		return true
	}
	if st := x.discardRequestBody(); st != 0 {
		x.finalize(st)
		return true
	}
	x.serveFile(f, fi, true)
	return true
}

// contentEncodingGzip is the header gzip_static adds.
var contentEncodingGzip = http1.Header{Name: []byte("Content-Encoding"), Value: []byte("gzip")}

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
	// The body is discarded by the 301's special response, which marks
	// Expect answered first: no "100 Continue".
	x.out.setLocation(v)
	x.finalize(301)
}

// index is ngx_http_index_handler: the index entries in order; one that
// starts with "/" (once its variables are evaluated) is an internal
// redirect at once, nothing tested; a relative one that exists (a file,
// or a directory: nginx only opens it) is served by an internal redirect
// to the URI with its name. The directory itself is tested when the
// first relative entry fails (ngx_http_index_test_dir): missing, 404.
// Without an entry found a directory is listed (autoindex on) or 403.
func (x *exchange) index() {
	dirPath := x.mapPath(x.uri)
	dirTested := false
	for _, ix := range x.conf.Index {
		name := x.value(ix)
		if len(name) > 0 && name[0] == '/' {
			x.internalRedirect(x.keep(name), x.args, x.emptyArgs)
			return
		}
		path := dirPath + string(name)
		_, err := os.Stat(path)
		if err == nil {
			x.internalRedirect(x.keep(append(append([]byte(nil), x.uri...), name...)), x.args, x.emptyArgs)
			return
		}
		var en syscall.Errno
		errors.As(err, &en)
		switch en {
		case syscall.ELOOP, syscall.EMLINK:
			x.finalize(403)
			return
		case syscall.ENOTDIR, syscall.ENAMETOOLONG, syscall.EACCES:
			x.indexError(path, err, en)
			return
		}
		if !dirTested {
			if !x.indexTestDir(dirPath, path) {
				return
			}
			dirTested = true
		}
		if en == syscall.ENOENT {
			continue
		}
		x.logEvent(levelCrit, `open() "`+path+`" failed`, errnoText(err), "")
		x.finalize(500)
		return
	}
	// The autoindex module's turn (ngx_http_autoindex_handler), then
	// the content phase's refusal.
	if x.conf.Autoindex && (x.methodCode == http1.MethodGET || x.methodCode == http1.MethodHEAD) {
		x.autoindex(dirPath)
		return
	}
	x.logEvent(levelError, `directory index of "`+dirPath+`" is forbidden`, "", "")
	x.finalize(403)
}

// indexTestDir is ngx_http_index_test_dir, run when the first index file
// fails: false when it answered (a missing directory: 404, logged with
// the index file's path, as nginx puts back the byte it cut the path at
// before it logs).
func (x *exchange) indexTestDir(dirPath, path string) bool {
	fi, err := os.Stat(dirPath)
	if err == nil {
		if fi.IsDir() {
			return true
		}
		x.logEvent(levelAlert, `"`+dirPath+`" is not a directory`, "", "")
		x.finalize(500)
		return false
	}
	var en syscall.Errno
	errors.As(err, &en)
	switch en {
	case syscall.ELOOP, syscall.EMLINK:
		x.finalize(403)
	case syscall.ENOENT:
		x.indexError(path, err, en)
	case syscall.EACCES:
		// The index file's open failed otherwise: searching the
		// directory is allowed.
		return true
	default:
		x.logEvent(levelCrit, `stat() "`+dirPath+`" failed`, errnoText(err), "")
		x.finalize(500)
	}
	return false
}

// indexError is ngx_http_index_error: 403 for a file not accessible, else
// 404 ("is not found" when log_not_found is on).
func (x *exchange) indexError(path string, err error, en syscall.Errno) {
	if en == syscall.EACCES {
		x.logEvent(levelError, `"`+path+`" is forbidden`, errnoText(err), "")
		x.finalize(403)
		return
	}
	if x.conf.LogNotFound {
		x.logEvent(levelError, `"`+path+`" is not found`, errnoText(err), "")
	}
	x.finalize(404)
}

// serveFile sends a regular file with nginx's static headers:
// Content-Type by extension, Last-Modified, ETag and Accept-Ranges;
// If-Modified-Since, If-None-Match, If-Match and If-Unmodified-Since
// (ngx_http_not_modified_filter) and a single Range (206). A gzipped file
// (gzip_static's FILE.gz) says "Content-Encoding: gzip" after its ETag
// and gets no ranges: nginx's gzip_static handler does not allow them.
func (x *exchange) serveFile(f *os.File, fi os.FileInfo, gzipped bool) {
	size := fi.Size()
	mtime := fi.ModTime().Truncate(time.Second)
	var etag []byte
	if x.conf.ETag {
		etag = x.keep(appendETag(nil, mtime, size))
	}
	x.status = 200
	o := &x.out
	o.action = staticAction
	if len(o.contentType) == 0 {
		o.setContentType(x.typeByExten(x.uri))
	}
	o.contentLength = size
	o.lastModified = mtime
	if etag != nil {
		o.add([]byte("ETag"), etag)
	}
	encodingAt := -1
	if gzipped {
		encodingAt = len(o.headers)
		o.headers = append(o.headers, contentEncodingGzip)
		o.noRanges = true
	}

	switch x.notModified(mtime.Unix(), true, etag) {
	case 412:
		x.filterFinalize(412)
		return
	case 304:
		x.notModifiedHead()
		// The not-modified filter drops the Content-Encoding
		// (headers_out.content_encoding's hash cleared).
		if encodingAt >= 0 {
			o.removeAt(encodingAt)
		}
		_ = x.sendHead(nil)
		return
	}
	status := x.status
	// The header filters nginx runs before its range filter, in its
	// order: add_header and expires, charset, gzip (filterHead). A
	// recoding that changes the length leaves no Content-Length, and a
	// body gzip compresses has no ranges.
	if err := x.filterHead(); err != nil {
		x.broken = true
		return
	}
	var ranges []byteRange
	if status == 200 && x.main == nil && x.head.Version >= 1000 && x.conf.MaxRanges > 0 && !o.noRanges && o.contentLength >= 0 {
		var st int
		ranges, st = x.rangeFilter(size, mtime, etag)
		if st == 416 {
			// nginx's range filter sends its error page through the
			// header filters again, with the headers the first pass
			// added (add_header's); the error page drops the ETag.
			if i := o.lastBefore("etag", len(o.headers)); i >= 0 {
				o.removeAt(i)
			}
			o.filtered = false
			o.lastModified = zeroTime
			o.add([]byte("Content-Range"), x.keep([]byte("bytes */"+strconv.FormatInt(size, 10))))
			x.finalize(416)
			return
		}
		if ranges == nil {
			o.tail = append(o.tail, http1.Header{Name: []byte("Accept-Ranges"), Value: []byte("bytes")})
		}
	}
	var boundary, partType []byte
	switch len(ranges) {
	case 0:
		ranges = []byteRange{{0, size}}
	case 1:
		x.status = 206
		r := ranges[0]
		o.contentLength = r.end - r.start
		o.tail = append(o.tail, http1.Header{Name: []byte("Content-Range"),
			Value: x.keep([]byte("bytes " + strconv.FormatInt(r.start, 10) + "-" + strconv.FormatInt(r.end-1, 10) + "/" + strconv.FormatInt(size, 10)))})
	default:
		x.status = 206
		// Each part says the type with its charset (the charset
		// filter ran), the whole has none.
		partType = o.contentType
		boundary = x.keep(appendBoundary(nil, x.c.s.tempNumber.Add(1)))
		o.contentLength = multipartLength(ranges, boundary, partType, size)
		o.setContentType(x.keep(append([]byte("multipart/byteranges; boundary="), boundary...)))
		o.charset = nil
	}
	if err := x.sendHead(nil); err != nil || x.headerOnly {
		return
	}
	b := x.c.s.bufs.get(32768)
	defer x.c.s.bufs.put(b)
	buf := b.b[:cap(b.b)]
	for _, r := range ranges {
		if boundary != nil {
			part := appendPartHead(buf[:0], boundary, partType, r, size)
			if x.writeBody(part) != nil {
				return
			}
		}
		if !x.sendFileRange(f, r, buf) {
			return
		}
	}
	if boundary != nil {
		end := append(append(append(buf[:0], "\r\n--"...), boundary...), "--\r\n"...)
		if x.writeBody(end) != nil {
			return
		}
	}
	_ = x.endBody()
}

// sendFileRange writes bytes [r.start, r.end) of f (as body bytes: the
// charset filter may recode them, chunked when it changed their length).
func (x *exchange) sendFileRange(f *os.File, r byteRange, buf []byte) bool {
	if _, err := f.Seek(r.start, io.SeekStart); err != nil {
		x.broken = true
		return false
	}
	left := r.end - r.start
	for left > 0 {
		n, err := f.Read(buf[:min(int64(len(buf)), left)])
		if n > 0 {
			var werr error
			if int64(n) == left {
				// The file's last read: nginx's last buffer.
				werr = x.writeLastBody(buf[:n])
			} else {
				werr = x.writeBody(buf[:n])
			}
			if werr != nil {
				return false
			}
			left -= int64(n)
		}
		if err != nil {
			if left > 0 {
				x.logEvent(levelCrit, `read() "`+f.Name()+`" failed`, errnoText(err), "")
				x.broken = true
				return false
			}
			break
		}
	}
	return true
}

// byteRange is one satisfiable range, [start, end).
type byteRange struct{ start, end int64 }

// appendBoundary appends nginx's multipart boundary: a number, zero-padded
// to 20 digits (ngx_next_temp_number, "%0muA").
func appendBoundary(dst []byte, n uint64) []byte {
	s := strconv.FormatUint(n, 10)
	for i := len(s); i < 20; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// appendPartHead appends a part's head in a multipart/byteranges body.
func appendPartHead(dst, boundary, ctype []byte, r byteRange, size int64) []byte {
	dst = append(dst, "\r\n--"...)
	dst = append(dst, boundary...)
	dst = append(dst, '\r', '\n')
	if len(ctype) > 0 {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, ctype...)
		dst = append(dst, '\r', '\n')
	}
	dst = append(dst, "Content-Range: bytes "...)
	dst = strconv.AppendInt(dst, r.start, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, r.end-1, 10)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, size, 10)
	return append(dst, "\r\n\r\n"...)
}

// multipartLength is the body length ngx_http_range_multipart_header
// computes.
func multipartLength(ranges []byteRange, boundary, ctype []byte, size int64) int64 {
	n := int64(len("\r\n--") + len(boundary) + len("--\r\n"))
	for _, r := range ranges {
		n += int64(len(appendPartHead(nil, boundary, ctype, r, size))) + r.end - r.start
	}
	return n
}

// appendETag appends nginx's ETag: "mtime-size" in hexadecimal.
func appendETag(dst []byte, mtime time.Time, size int64) []byte {
	dst = append(dst, '"')
	dst = strconv.AppendInt(dst, mtime.Unix(), 16)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, size, 16)
	return append(dst, '"')
}

// notModified mirrors ngx_http_not_modified_header_filter for a 200
// response whose Last-Modified is lastMod (known: it has one nginx could
// parse) and whose ETag is etag (nil: none): 412 when If-Unmodified-Since
// or If-Match fails, 304 when If-Modified-Since and If-None-Match (those
// present) both say the client's copy is current, 0 otherwise. The dates
// are compared as nginx parses them (parseHTTPTime), under
// if_modified_since.
//
// It first gives the response error_page's status, as
// ngx_http_send_header does before the filters ("error_page 404
// /404.html": 404, "=200": 200): the filter answers a main request's 200
// only (not a proxied response: disableNotModified), and the 304 it makes
// is the status sent while $status keeps error_page's.
func (x *exchange) notModified(lastMod int64, known bool, etag []byte) int {
	x.out.notModifiedRan = true
	x.sendHeaderStatus()
	if x.status != 200 || x.main != nil || x.disableNotModified {
		return 0
	}
	h := x.head
	if v, ok := h.Header("if-unmodified-since"); ok {
		// No Last-Modified, or a date nginx cannot read: the
		// precondition fails.
		t, parsed := parseHTTPTime(v)
		if !known || !parsed || t < lastMod {
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
	if hasIMS && modifiedSince(ims, lastMod, known, x.conf.IfModifiedSince) {
		return 0
	}
	if hasINM && !etagMatch(inm, etag, true) {
		return 0
	}
	return 304
}

// modifiedSince is ngx_http_test_if_modified: whether the response is
// newer than the If-Modified-Since date v (an unreadable date never
// equals a Last-Modified).
func modifiedSince(v []byte, lastMod int64, known bool, mode string) bool {
	if !known || mode == directives.IMSOff {
		return true
	}
	t, ok := parseHTTPTime(v)
	if ok && t == lastMod {
		return false
	}
	// nginx compares its parse error, -1, like a date (before).
	if !ok {
		t = -1
	}
	return mode == directives.IMSExact || t < lastMod
}

// etagMatch is ngx_http_test_if_match: list is "*" or names the ETag
// (etag nil: the response has none); the weak comparison of
// If-None-Match ignores "W/" on either side. Like nginx, it scans entries
// as they are written: an entry matches when the ETag is followed by
// spaces or tabs and a comma or the end.
func etagMatch(list, etag []byte, weak bool) bool {
	if len(list) == 1 && list[0] == '*' {
		return true
	}
	if etag == nil {
		return false
	}
	if weak && len(etag) > 2 && etag[0] == 'W' && etag[1] == '/' {
		etag = etag[2:]
	}
	p := list
	for len(p) > 0 {
		if weak && len(p) > 2 && p[0] == 'W' && p[1] == '/' {
			p = p[2:]
		}
		if len(etag) > len(p) {
			return false
		}
		if string(p[:len(etag)]) == string(etag) {
			p = p[len(etag):]
			for len(p) > 0 && (p[0] == ' ' || p[0] == '\t') {
				p = p[1:]
			}
			if len(p) == 0 || p[0] == ',' {
				return true
			}
		}
		// Skip to the next entry (from past the ETag when it matched:
		// an ETag may hold a comma).
		for len(p) > 0 && p[0] != ',' {
			p = p[1:]
		}
		for len(p) > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == ',') {
			p = p[1:]
		}
	}
	return false
}

// rangeFilter mirrors ngx_http_range_header_filter and
// ngx_http_range_parse for a 200 response of size bytes: the satisfiable
// ranges of a "bytes=" Range header (nil to send the whole file: no Range,
// an If-Range that does not match, a range list nginx declines), or 416.
func (x *exchange) rangeFilter(size int64, mtime time.Time, etag []byte) ([]byteRange, int) {
	v, ok := x.head.Header("range")
	if !ok || len(v) < 7 || !directives.EqualFoldASCII(v[:6], "bytes=") {
		return nil, 0
	}
	if ir, ok := x.head.Header("if-range"); ok {
		if len(ir) >= 2 && ir[len(ir)-1] == '"' {
			if etag == nil || string(ir) != string(etag) {
				return nil, 0
			}
		} else if t, ok := parseHTTPTime(ir); !ok || t != mtime.Unix() {
			return nil, 0
		}
	}
	// nginx counts ranges down from max_ranges and declines the one past
	// it.
	left := x.conf.MaxRanges
	p := v[6:]
	i := 0
	at := func() byte {
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	spaces := func() {
		for at() == ' ' {
			i++
		}
	}
	number := func() (int64, bool) {
		var n int64
		for c := at(); c >= '0' && c <= '9'; c = at() {
			if n > (1<<63-1-int64(c-'0'))/10 {
				return 0, false
			}
			n = n*10 + int64(c-'0')
			i++
		}
		return n, true
	}
	var ranges []byteRange
	var total int64
	for {
		var start, end int64
		suffix := false
		spaces()
		if at() != '-' {
			if c := at(); c < '0' || c > '9' {
				return nil, 416
			}
			n, ok := number()
			if !ok {
				return nil, 416
			}
			start = n
			spaces()
			if at() != '-' {
				return nil, 416
			}
			i++
			spaces()
			if c := at(); c == ',' || c == 0 {
				end = size
				goto found
			}
		} else {
			suffix = true
			i++
		}
		if c := at(); c < '0' || c > '9' {
			return nil, 416
		}
		{
			n, ok := number()
			if !ok {
				return nil, 416
			}
			end = n
		}
		spaces()
		if c := at(); c != ',' && c != 0 {
			return nil, 416
		}
		if suffix {
			start = 0
			if end < size {
				start = size - end
			}
			end = size - 1
		}
		if end >= size {
			end = size
		} else {
			end++
		}
	found:
		if start < end {
			ranges = append(ranges, byteRange{start, end})
			total += end - start
			if left == 0 {
				return nil, 0
			}
			left--
		} else if start == 0 {
			return nil, 0
		}
		if at() != ',' {
			break
		}
		i++
	}
	if len(ranges) == 0 {
		return nil, 416
	}
	if total > size {
		return nil, 0
	}
	return ranges, 0
}
