package proxy

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// autoindexNameLen is NGX_HTTP_AUTOINDEX_NAME_LEN: the width of the name
// column of the HTML listing.
const autoindexNameLen = 50

// autoindexEntry is one listed name, with what stat(2) says of it (of
// the link itself for a broken symlink).
type autoindexEntry struct {
	name      string
	dir, file bool
	mtime     int64
	size      int64
}

// autoindex is ngx_http_autoindex_handler, for a directory URI with no
// index file and autoindex on (GET and HEAD): the head is sent first
// (without Content-Length), then the listing of every name not starting
// with ".", directories first, each group in byte order, as HTML, JSON,
// JSONP or XML.
func (x *exchange) autoindex(dirPath string) {
	if st := x.discardRequestBody(); st != 0 {
		x.finalize(st)
		return
	}
	path := dirPath
	if len(path) > 1 {
		path = path[:len(path)-1]
	}
	format := x.conf.AutoindexFormat
	var callback []byte
	if format == "jsonp" {
		var ok bool
		if callback, ok = x.jsonpCallback(); !ok {
			x.finalize(400)
			return
		}
		if len(callback) == 0 {
			format = "json"
		}
	}
	d, err := os.Open(path)
	if err == nil {
		var fi os.FileInfo
		if fi, err = d.Stat(); err == nil && !fi.IsDir() {
			err = syscall.ENOTDIR
		}
		if err != nil {
			d.Close()
		}
	}
	if err != nil {
		var en syscall.Errno
		errors.As(err, &en)
		switch {
		case errors.Is(err, fs.ErrNotExist) || en == syscall.ENOTDIR || en == syscall.ENAMETOOLONG:
			x.logEvent(levelError, `opendir() "`+path+`" failed`, errnoText(err), "")
			x.finalize(404)
		case en == syscall.EACCES:
			x.logEvent(levelError, `opendir() "`+path+`" failed`, errnoText(err), "")
			x.finalize(403)
		default:
			x.logEvent(levelCrit, `opendir() "`+path+`" failed`, errnoText(err), "")
			x.finalize(500)
		}
		return
	}
	defer d.Close()

	x.status = 200
	o := &x.out
	o.contentLength = -1
	switch format {
	case "json":
		o.setContentType([]byte("application/json"))
	case "jsonp":
		o.setContentType([]byte("application/javascript"))
	case "xml":
		o.setContentType([]byte("text/xml"))
		o.charset = []byte("utf-8")
	default:
		o.setContentType([]byte("text/html"))
	}
	if err := x.sendHead(nil); err != nil || x.headerOnly {
		return
	}
	entries, ok := x.readAutoindex(d, path)
	if !ok {
		x.broken = true
		return
	}
	var body []byte
	switch format {
	case "json":
		body = appendAutoindexJSON(nil, entries, nil)
	case "jsonp":
		body = appendAutoindexJSON(nil, entries, callback)
	case "xml":
		body = appendAutoindexXML(nil, entries)
	default:
		utf8 := len(o.charset) == 5 && directives.EqualFoldASCII(o.charset, "utf-8")
		offset := int64(0)
		if x.conf.AutoindexLocaltime {
			_, off := time.Now().Zone()
			offset = int64(off)
		}
		body = appendAutoindexHTML(nil, x.uri, entries, utf8, offset, x.conf.AutoindexExactSize)
	}
	// nginx's listing is one buffer, the last.
	if x.writeLastBody(body) == nil {
		_ = x.endBody()
	}
}

// jsonpCallback is ngx_http_autoindex_jsonp_callback: the "callback"
// argument, empty when there is none; false (logged at info) for one
// longer than 128 bytes or with a character other than letters, digits,
// "_" and ".".
func (x *exchange) jsonpCallback() ([]byte, bool) {
	cb, _ := x.vs.Var("arg_callback")
	if len(cb) > 128 {
		x.logEvent(levelInfo, `client sent too long callback name: "`+string(cb)+`"`, "", "")
		return nil, false
	}
	for _, ch := range cb {
		c := ch | 0x20
		if c >= 'a' && c <= 'z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '.' {
			continue
		}
		x.logEvent(levelInfo, `client sent invalid callback name: "`+string(cb)+`"`, "", "")
		return nil, false
	}
	return cb, true
}

// readAutoindex reads the directory's names (those starting with "."
// left out) and stats each, following symlinks (a broken one is listed
// as itself), sorted as ngx_http_autoindex_cmp_entries sorts them. A name
// stat refuses with EACCES is logged and left out; another failure is
// logged and ends the response (false).
func (x *exchange) readAutoindex(d *os.File, path string) ([]autoindexEntry, bool) {
	names, err := d.Readdirnames(-1)
	if err != nil {
		x.logEvent(levelCrit, `readdir() "`+path+`" failed`, errnoText(err), "")
		return nil, false
	}
	entries := make([]autoindexEntry, 0, len(names))
	for _, name := range names {
		if name == "" || name[0] == '.' {
			continue
		}
		full := path + "/" + name
		fi, err := os.Stat(full)
		if err != nil {
			var en syscall.Errno
			errors.As(err, &en)
			if !errors.Is(err, fs.ErrNotExist) && en != syscall.ELOOP {
				x.logEvent(levelCrit, `stat() "`+full+`" failed`, errnoText(err), "")
				if en == syscall.EACCES {
					continue
				}
				return nil, false
			}
			if fi, err = os.Lstat(full); err != nil {
				x.logEvent(levelCrit, `lstat() "`+full+`" failed`, errnoText(err), "")
				return nil, false
			}
		}
		entries = append(entries, autoindexEntry{
			name:  name,
			dir:   fi.IsDir(),
			file:  fi.Mode().IsRegular(),
			mtime: fi.ModTime().Unix(),
			size:  fi.Size(),
		})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].dir != entries[j].dir {
			return entries[i].dir
		}
		return entries[i].name < entries[j].name
	})
	return entries, true
}

// The months as the HTML listing's dates name them.
var autoindexMonths = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendAutoindexHTML is ngx_http_autoindex_html: a title and heading
// with the URI, a "../" link, then per entry a link (the name escaped as
// a URI component, "/" after a directory), the name shown in a
// 50-character column (longer ones cut to 47 and ended with "..>";
// counted in characters when the response's charset is utf-8, else in
// bytes), the modification time (GMT, or shifted by the current local
// offset with autoindex_localtime), and the size (exact, or rounded to K,
// M or G).
func appendAutoindexHTML(dst, uri []byte, entries []autoindexEntry, utf8 bool, offset int64, exact bool) []byte {
	dst = append(dst, "<html>\r\n<head><title>Index of "...)
	dst = appendEscapedHTML(dst, uri)
	dst = append(dst, "</title></head>\r\n<body>\r\n<h1>Index of "...)
	dst = appendEscapedHTML(dst, uri)
	dst = append(dst, "</h1><hr><pre><a href=\"../\">../</a>\r\n"...)
	for i := range entries {
		e := &entries[i]
		name := []byte(e.name)
		dst = append(dst, "<a href=\""...)
		dst = appendEscapedComponent(dst, name)
		if e.dir {
			dst = append(dst, '/')
		}
		dst = append(dst, '"', '>')

		n := len(name)
		if utf8 {
			n = utf8Length(name)
		}
		var shown []byte
		switch {
		case n != len(name):
			chars := autoindexNameLen
			if n > autoindexNameLen {
				chars = autoindexNameLen - 3
			}
			shown = utf8Prefix(name, chars)
		case n > autoindexNameLen:
			shown = name[:autoindexNameLen-3]
		default:
			shown = name
		}
		dst = appendEscapedHTML(dst, shown)
		if n > autoindexNameLen {
			dst = append(dst, "..&gt;</a>"...)
		} else {
			if e.dir && n < autoindexNameLen {
				dst = append(dst, '/')
				n++
			}
			dst = append(dst, "</a>"...)
			for ; n < autoindexNameLen; n++ {
				dst = append(dst, ' ')
			}
		}
		dst = append(dst, ' ')

		t := time.Unix(e.mtime+offset, 0).UTC()
		dst = appendPadded(dst, int64(t.Day()), 2, '0')
		dst = append(dst, '-')
		dst = append(dst, autoindexMonths[t.Month()-1]...)
		dst = append(dst, '-')
		dst = strconv.AppendInt(dst, int64(t.Year()), 10)
		dst = append(dst, ' ')
		dst = appendPadded(dst, int64(t.Hour()), 2, '0')
		dst = append(dst, ':')
		dst = appendPadded(dst, int64(t.Minute()), 2, '0')
		dst = append(dst, ' ')
		dst = appendAutoindexSize(dst, e, exact)
		dst = append(dst, '\r', '\n')
	}
	return append(dst, "</pre><hr></body>\r\n</html>\r\n"...)
}

// appendAutoindexSize appends the HTML listing's size column.
func appendAutoindexSize(dst []byte, e *autoindexEntry, exact bool) []byte {
	switch {
	case exact && e.dir:
		return append(dst, "                  -"...)
	case exact:
		return appendPadded(dst, e.size, 19, ' ')
	case e.dir:
		return append(dst, "      -"...)
	}
	const k, m, g = 1024, 1024 * 1024, 1024 * 1024 * 1024
	length := e.size
	var size int64
	var scale byte
	switch {
	case length > g-1:
		size, scale = length/g, 'G'
		if length%g > g/2-1 {
			size++
		}
	case length > m-1:
		size, scale = length/m, 'M'
		if length%m > m/2-1 {
			size++
		}
	case length > 9999:
		size, scale = length/k, 'K'
		if length%k > 511 {
			size++
		}
	default:
		return appendPadded(append(dst, ' '), length, 6, ' ')
	}
	return append(appendPadded(dst, size, 6, ' '), scale)
}

// appendPadded appends n in decimal, right-aligned to width with pad.
func appendPadded(dst []byte, n int64, width int, pad byte) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], n, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, pad)
	}
	return append(dst, s...)
}

// appendAutoindexJSON is ngx_http_autoindex_json: an array of objects
// with name, type (directory, file or other), mtime (HTTP date) and, for
// files, size; with a callback, wrapped as a JSONP call.
func appendAutoindexJSON(dst []byte, entries []autoindexEntry, callback []byte) []byte {
	if callback != nil {
		dst = append(dst, "/* callback */\r\n"...)
		dst = append(dst, callback...)
		dst = append(dst, '(')
	}
	dst = append(dst, '[')
	for i := range entries {
		e := &entries[i]
		dst = append(dst, "\r\n{ \"name\":\""...)
		dst = appendEscapedJSON(dst, e.name)
		dst = append(dst, "\", \"type\":\""...)
		dst = append(dst, autoindexType(e)...)
		dst = append(dst, "\", \"mtime\":\""...)
		dst = time.Unix(e.mtime, 0).UTC().AppendFormat(dst, http.TimeFormat)
		if e.file {
			dst = append(dst, "\", \"size\":"...)
			dst = strconv.AppendInt(dst, e.size, 10)
		} else {
			dst = append(dst, '"')
		}
		dst = append(dst, " },"...)
	}
	if len(entries) > 0 {
		dst = dst[:len(dst)-1]
	}
	dst = append(dst, "\r\n]"...)
	if callback != nil {
		dst = append(dst, ')', ';')
	}
	return dst
}

// appendAutoindexXML is ngx_http_autoindex_xml: a <list> of <directory>,
// <file> and <other> elements with the mtime (and a file's size) as
// attributes and the name, HTML-escaped, as content.
func appendAutoindexXML(dst []byte, entries []autoindexEntry) []byte {
	dst = append(dst, "<?xml version=\"1.0\"?>\r\n<list>\r\n"...)
	for i := range entries {
		e := &entries[i]
		typ := autoindexType(e)
		dst = append(dst, '<')
		dst = append(dst, typ...)
		dst = append(dst, " mtime=\""...)
		dst = time.Unix(e.mtime, 0).UTC().AppendFormat(dst, "2006-01-02T15:04:05Z")
		if e.file {
			dst = append(dst, "\" size=\""...)
			dst = strconv.AppendInt(dst, e.size, 10)
		}
		dst = append(dst, '"', '>')
		dst = appendEscapedHTML(dst, []byte(e.name))
		dst = append(dst, '<', '/')
		dst = append(dst, typ...)
		dst = append(dst, '>', '\r', '\n')
	}
	return append(dst, "</list>\r\n"...)
}

// autoindexType names an entry's kind in the JSON and XML listings.
func autoindexType(e *autoindexEntry) string {
	switch {
	case e.dir:
		return "directory"
	case e.file:
		return "file"
	}
	return "other"
}

// appendEscapedHTML is ngx_escape_html: <, >, & and " as entities.
func appendEscapedHTML(dst, s []byte) []byte {
	for _, c := range s {
		switch c {
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '"':
			dst = append(dst, "&quot;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendEscapedComponent is ngx_escape_uri with NGX_ESCAPE_URI_COMPONENT.
func appendEscapedComponent(dst, s []byte) []byte {
	return directives.AppendURIComponent(dst, s)
}

// appendEscapedJSON is ngx_escape_json: \ and " escaped, control bytes
// as \n, \r, \t, \b, \f or \u00XX.
func appendEscapedJSON(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			dst = append(dst, '\\', c)
		case c > 0x1f:
			dst = append(dst, c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', '0'+c>>4, hex[c&0xf])
		}
	}
	return dst
}

// utf8Length is ngx_utf8_length: the characters of p, or its length in
// bytes when it is not valid UTF-8.
func utf8Length(p []byte) int {
	n := 0
	for i := 0; i < len(p); n++ {
		if p[i] < 0x80 {
			i++
			continue
		}
		r, size := directives.DecodeUTF8(p[i:])
		if r < 0 || r > 0x10ffff {
			return len(p)
		}
		i += size
	}
	return n
}

// utf8Prefix is what ngx_utf8_cpystrn copies: at most chars characters
// of p, stopping before an invalid sequence.
func utf8Prefix(p []byte, chars int) []byte {
	i := 0
	for ; chars > 0 && i < len(p); chars-- {
		if p[i] < 0x80 {
			i++
			continue
		}
		r, size := directives.DecodeUTF8(p[i:])
		if r < 0 || r > 0x10ffff {
			break
		}
		i += size
	}
	return p[:i]
}
