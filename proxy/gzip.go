package proxy

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"sync"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// The gzip filter (ngx_http_gzip_filter_module, with ngx_http_gzip_ok of
// the core module): which responses are compressed, what that does to
// their head, and the compressed body.
//
// nginx runs it after add_header and expires and before the range filter,
// so a response it compresses is never cut into ranges. The bytes differ
// from nginx's (Go's compress/flate is not zlib), the gzip member around
// them is nginx's: a 10-byte header with no name and no time, zlib's
// extra flags and Unix as the system, and the CRC-32 and length after the
// data. Compressed data goes out when a gzip_buffers-sized piece is
// ready, at the end, and when nginx would flush: each read of an
// unbuffered upstream (proxy_buffering off) is sent at once as a sync
// flush, so that a stream keeps flowing.

// gzipPools keep compressors for reuse, one pool per level: a
// compressor's tables cost hundreds of kilobytes.
type gzipPools [9]sync.Pool

// get returns a compressor at level writing to w.
func (p *gzipPools) get(level int, w *gzipStream) *flate.Writer {
	if v := p[level-1].Get(); v != nil {
		fw := v.(*flate.Writer)
		fw.Reset(w)
		return fw
	}
	// The level is checked at configuration time (1 to 9): no error.
	fw, _ := flate.NewWriter(w, level)
	return fw
}

// put gives a compressor back; get resets it for its next response.
func (p *gzipPools) put(level int, fw *flate.Writer) {
	p[level-1].Put(fw)
}

// gzipStream is a response being compressed (nginx's
// ngx_http_gzip_ctx_t).
type gzipStream struct {
	fw    *flate.Writer
	level int
	crc   uint32
	// zin and zout are the sizes before and after, the gzip header and
	// trailer included in zout ($gzip_ratio).
	zin, zout int64
	// out holds compressed bytes not yet sent; limit is the size at which
	// they are (gzip_buffers' size).
	out   *buf
	limit int
	// ended is set once the trailer was made (and the response's end
	// sent); sent once gzipBody returned out's bytes to be sent.
	ended, sent bool
}

// Write takes the compressor's output.
func (g *gzipStream) Write(p []byte) (int, error) {
	g.out.b = append(g.out.b, p...)
	g.zout += int64(len(p))
	return len(p), nil
}

// gzipHeader is the gzip header filter (ngx_http_gzip_header_filter), run
// on the response head after add_header and expires: it decides whether
// the body is compressed and, if so, makes the head say so. nginx's
// checks come in its order; passing the first ones is enough for
// "Vary: Accept-Encoding" (gzip_vary), even when the client does not
// accept gzip.
func (x *exchange) gzipHeader() {
	conf := x.conf
	o := &x.out
	if conf == nil || !conf.Gzip {
		return
	}
	switch x.status {
	case 200, 403, 404:
	default:
		return
	}
	if ce := o.lastBefore("content-encoding", o.userFrom); ce >= 0 && len(o.headers[ce].Value) > 0 {
		return
	}
	if o.contentLength != -1 && o.contentLength < conf.GzipMinLength {
		return
	}
	if !conf.GzipTypes.Match(o.mediaType(), len(o.contentType) > 0) {
		return
	}
	o.gzipVary = true
	if !x.gzipAccepted() {
		return
	}
	o.add([]byte("Content-Encoding"), []byte("gzip"))
	o.contentLength = -1
	// ngx_http_clear_accept_ranges: no ranges, and the upstream's
	// Accept-Ranges (nginx's headers_out.accept_ranges) goes.
	o.noRanges = true
	if i := o.lastBefore("accept-ranges", o.userFrom); i >= 0 {
		o.removeAt(i)
	}
	x.weakETag()
	if !x.headerOnly && !x.isHead() {
		x.gzipStart()
	}
}

// lastBefore returns the index of the last header named lowName among the
// first n of the list, -1 when there is none: the one nginx's headers_out
// points to, for a header the upstream (or expires) set. add_header's
// headers, from index userFrom on, are not among them unless nginx's
// headers module treats their name apart.
func (o *outHeaders) lastBefore(lowName string, n int) int {
	for i := min(n, len(o.headers)) - 1; i >= 0; i-- {
		if directives.EqualFoldASCII(o.headers[i].Name, lowName) {
			return i
		}
	}
	return -1
}

// mediaType is the part of Content-Type gzip_types is matched against:
// nginx's content_type_len, the type without an upstream's charset
// parameter or the one the charset filter added (setUpstreamContentType,
// charsetFilter).
func (o *outHeaders) mediaType() []byte { return o.contentType[:o.typeLen] }

// weakETag is ngx_http_weak_etag: the response's ETag becomes weak, and an
// ETag that is neither weak nor quoted is removed.
func (x *exchange) weakETag() {
	o := &x.out
	i := o.lastBefore("etag", len(o.headers))
	if i < 0 {
		return
	}
	v := o.headers[i].Value
	if len(v) > 2 && v[0] == 'W' && v[1] == '/' {
		return
	}
	if len(v) < 1 || v[0] != '"' {
		o.removeAt(i)
		return
	}
	w := x.keep(append([]byte("W/"), v...))
	o.headers[i].Value = w
}

// gzipAccepted is gzipOK's answer, computed on the first call only, as
// nginx's filter reads r->gzip_ok once r->gzip_tested is set.
func (x *exchange) gzipAccepted() bool {
	o := &x.out
	if !o.gzipTested {
		o.gzipTested = true
		o.gzipAccepted = x.gzipOK()
	}
	return o.gzipAccepted
}

// gzipOK is ngx_http_gzip_ok: the client accepts gzip (Accept-Encoding,
// with its q-value), is not an old MSIE that gzip_disable msie6 names,
// speaks HTTP at least at gzip_http_version, and, when the request came
// through a proxy (Via), the response is one gzip_proxied allows; last,
// no gzip_disable expression matches its User-Agent.
func (x *exchange) gzipOK() bool {
	conf := x.conf
	h := x.head
	ae, ok := h.Header("accept-encoding")
	if !ok || len(ae) < 4 {
		return false
	}
	if !bytes.HasPrefix(ae, []byte("gzip,")) && !acceptsGzip(ae) {
		return false
	}
	ua, hasUA := h.Header("user-agent")
	if hasUA && conf.GzipDisableMSIE6 && isMSIE6(ua) {
		return false
	}
	if h.Version < conf.GzipHTTPVersion {
		return false
	}
	if _, via := h.Header("via"); via && !x.gzipProxied(conf.GzipProxied) {
		return false
	}
	if hasUA {
		for _, re := range conf.GzipDisable {
			if re.Match(ua) {
				return false
			}
		}
	}
	return true
}

// gzipProxied applies gzip_proxied to the response of a request that came
// through a proxy, as ngx_http_gzip_ok reads the response's headers: an
// Expires (the upstream's or expires'), then the Cache-Control lines,
// then Last-Modified and ETag.
func (x *exchange) gzipProxied(p directives.GzipProxied) bool {
	o := &x.out
	switch {
	case p&directives.GzipProxiedOff != 0:
		return false
	case p&directives.GzipProxiedAny != 0:
		return true
	}
	if _, auth := x.head.Header("authorization"); auth && p&directives.GzipProxiedAuth != 0 {
		return true
	}
	if e := o.lastBefore("expires", o.userFrom); e >= 0 {
		if p&directives.GzipProxiedExpired == 0 {
			return false
		}
		expires, ok := parseHTTPTime(o.headers[e].Value)
		if !ok {
			return false
		}
		date := time.Now().Unix()
		if d := o.lastBefore("date", o.userFrom); d >= 0 && o.dateSet {
			if date, ok = parseHTTPTime(o.headers[d].Value); !ok {
				return false
			}
		}
		return expires < date
	}
	hasCC := false
	for i := range o.headers {
		if directives.EqualFoldASCII(o.headers[i].Name, "cache-control") {
			hasCC = true
			break
		}
	}
	if hasCC {
		return p&directives.GzipProxiedNoCache != 0 && o.cacheControlHas("no-cache") ||
			p&directives.GzipProxiedNoStore != 0 && o.cacheControlHas("no-store") ||
			p&directives.GzipProxiedPrivate != 0 && o.cacheControlHas("private")
	}
	if p&directives.GzipProxiedNoLastModified != 0 && o.lastBefore("last-modified", len(o.headers)) >= 0 {
		return false
	}
	if p&directives.GzipProxiedNoETag != 0 && o.lastBefore("etag", len(o.headers)) >= 0 {
		return false
	}
	return true
}

// cacheControlHas is ngx_http_parse_multi_header_lines without a value: a
// Cache-Control line has the directive name, ignoring case, at the start
// of an element (after "," or ";" and spaces), followed by spaces only up
// to "," or the end.
func (o *outHeaders) cacheControlHas(name string) bool {
	for i := range o.headers {
		if !directives.EqualFoldASCII(o.headers[i].Name, "cache-control") {
			continue
		}
		v := o.headers[i].Value
		if len(name) > len(v) {
			continue
		}
		p := 0
		for p < len(v) {
			if len(v)-p >= len(name) && directives.EqualFoldASCII(v[p:p+len(name)], name) {
				q := p + len(name)
				for q < len(v) && v[q] == ' ' {
					q++
				}
				if q == len(v) || v[q] == ',' {
					return true
				}
			}
			for p < len(v) {
				c := v[p]
				p++
				if c == ';' || c == ',' {
					break
				}
			}
			for p < len(v) && v[p] == ' ' {
				p++
			}
		}
	}
	return false
}

// acceptsGzip is ngx_http_gzip_accept_encoding: "gzip" at the start of
// the value or after "," or " " (the search goes on from after a "gzip"
// that is not), then spaces, and "," or the end, or ";" and a q-value that
// is not zero.
func acceptsGzip(ae []byte) bool {
	last := len(ae)
	start, p := 0, 0
	for {
		i := indexFold(ae[start:], "gzip")
		if i < 0 {
			return false
		}
		p = start + i
		if p == start || ae[p-1] == ',' || ae[p-1] == ' ' {
			break
		}
		start = p + 4
	}
	p += 4
	for p < last {
		c := at(ae, p)
		p++
		switch c {
		case ',':
			return true
		case ';':
			return gzipQuantity(ae, p, last)
		case ' ':
			continue
		default:
			return false
		}
	}
	return true
}

// gzipQuantity reads "q=VALUE" after "gzip;" (spaces allowed before the
// q), VALUE being ngx_http_gzip_quantity's: 0 or 1, optionally "." and
// up to three digits; a value that reads as zero, is above 1 or is
// malformed refuses gzip.
func gzipQuantity(ae []byte, p, last int) bool {
	for {
		if p >= last {
			return true
		}
		c := at(ae, p)
		p++
		if c == 'q' || c == 'Q' {
			break
		}
		if c != ' ' {
			return false
		}
	}
	if p+2 > last || at(ae, p) != '=' {
		return false
	}
	p++
	c := at(ae, p)
	p++
	if c != '0' && c != '1' {
		return false
	}
	q := int(c-'0') * 100
	if p == last {
		return q != 0
	}
	c = at(ae, p)
	p++
	if c == ',' || c == ' ' {
		return q != 0
	}
	if c != '.' {
		return false
	}
	n := 0
	for p < last {
		c = at(ae, p)
		p++
		if c == ',' || c == ' ' {
			break
		}
		if c < '0' || c > '9' {
			return false
		}
		q += int(c - '0')
		n++
	}
	return q <= 100 && n <= 3 && q != 0
}

// at is b[i], or the NUL that ends nginx's C strings past b's end.
func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// isMSIE6 is nginx's headers_in.msie6 (ngx_http_process_user_agent):
// "MSIE 4.", "MSIE 5." or "MSIE 6." without "SV1" after it, with at least
// three characters after "MSIE ", and no "Opera" anywhere.
func isMSIE6(ua []byte) bool {
	i := bytes.Index(ua, []byte("MSIE "))
	if i < 0 || i+7 >= len(ua) || bytes.Contains(ua, []byte("Opera")) || ua[i+6] != '.' {
		return false
	}
	switch ua[i+5] {
	case '4', '5':
		return true
	case '6':
		return !bytes.Contains(ua[i+8:], []byte("SV1"))
	}
	return false
}

// gzipStart begins the compressed body: a compressor from the pool and
// nginx's gzip header.
func (x *exchange) gzipStart() {
	conf := x.conf
	// The configuration gives 1 to 9; a LocConf made without its merge
	// has 0.
	level := min(max(conf.GzipCompLevel, 1), 9)
	g := &gzipStream{level: level, limit: int(min(max(conf.GzipBuffers.Size, 1024), 64<<10))}
	g.out = x.c.s.bufs.get(g.limit + 64)
	g.out.b = g.out.b[:0]
	// zlib's gzip header (deflateInit2 with windowBits + 16): no flags,
	// no time, the extra flags of the level, and OS_CODE 3 (Unix).
	xfl := byte(0)
	switch {
	case g.level == 9:
		xfl = 2
	case g.level < 2:
		xfl = 4
	}
	_, _ = g.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3})
	g.fw = x.c.s.gzips.get(g.level, g)
	x.gz = g
}

// gzipBody compresses p and returns what is to be sent now: all the
// output when flush or last is set (last also ends the member with its
// trailer), else the output once it reached gzip_buffers' size, nil
// before. The bytes returned are valid until the next call.
func (x *exchange) gzipBody(p []byte, flush, last bool) []byte {
	g := x.gz
	if g.sent {
		g.out.b, g.sent = g.out.b[:0], false
	}
	if len(p) > 0 {
		g.crc = crc32.Update(g.crc, crc32.IEEETable, p)
		g.zin += int64(len(p))
		_, _ = g.fw.Write(p)
	}
	switch {
	case last:
		_ = g.fw.Close()
		var t [8]byte
		binary.LittleEndian.PutUint32(t[:4], g.crc)
		binary.LittleEndian.PutUint32(t[4:], uint32(g.zin))
		_, _ = g.Write(t[:])
		g.ended = true
		x.info.GzipIn, x.info.GzipOut = g.zin, g.zout
	case flush:
		_ = g.fw.Flush()
	case len(g.out.b) < g.limit:
		return nil
	}
	g.sent = true
	return g.out.b
}

// gzipFlush sends what the compressor holds, as a flush buffer makes
// nginx's gzip filter do (Z_SYNC_FLUSH), once the head went out.
func (x *exchange) gzipFlush() {
	if x.gz == nil || x.gz.ended || !x.headerSent || x.broken {
		return
	}
	_ = x.sendBody(x.gzipBody(nil, true, false))
}

// gzipRelease gives the compressor and its buffer back.
func (x *exchange) gzipRelease() {
	g := x.gz
	if g == nil {
		return
	}
	x.gz = nil
	x.c.s.gzips.put(g.level, g.fw)
	x.c.s.bufs.put(g.out)
}
