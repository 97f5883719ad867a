package proxy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAcceptsGzip holds ngx_http_gzip_accept_encoding's reading of
// Accept-Encoding (the values the side-by-side suite does not reach
// too): where "gzip" may stand, and the q-values that refuse it.
func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		ae   string
		want bool
	}{
		{"gzip", true},
		{"GZip", true},
		{"deflate, gzip", true},
		{"deflate,gzip", true},
		{"br;q=1, gzip;q=0.8", true},
		{"gzip ;q=0.5", true},
		{"gzip; Q=0.001", true},
		{"gzip;q=1", true},
		{"gzip;q=1.000", true},
		{"gzip;q=1.001", false},
		{"gzip;q=0", false},
		{"gzip;q=0.", false},
		{"gzip;q=0.000", false},
		{"gzip;q=0.0001", false},
		{"gzip;q=0.5 , br", true},
		{"gzip;q=2", false},
		{"gzip;q=", false},
		{"gzip;q", false},
		{"gzip;q=1,", true},
		{"gzip;", true},
		{"gzip;x=1", false},
		{"gzip;q=0.5;x=1", false},
		{"gzipx", false},
		{"gzipx, gzip", false},
		{"x-gzip", false},
		{"xgzipgzip", true}, // the search goes on from after a "gzip" that is not one
		{"identity", false},
		{"*", false},
	} {
		if got := acceptsGzip([]byte(c.ae)); got != c.want {
			t.Errorf("%q: got %v, want %v", c.ae, got, c.want)
		}
	}
}

// TestParseHTTPTimeAgreesWithGo compares ngx_parse_http_time's port
// (httptime.go) with Go's reading of the three HTTP date formats where
// both accept a date, and holds values nginx refuses.
func TestParseHTTPTimeAgreesWithGo(t *testing.T) {
	for _, v := range []string{
		"Thu, 01 Jan 1970 00:00:01 GMT",
		"Tue, 02 Jan 2024 03:04:05 GMT",
		"Thu, 29 Feb 2024 23:59:59 GMT",
		"Thu, 31 Dec 2037 23:55:55 GMT",
		"Thursday, 01-Jan-70 00:00:01 GMT",
		"Tuesday, 02-Jan-24 03:04:05 GMT",
		"Thu Jan  1 00:00:01 1970",
		"Tue Jan 12 03:04:05 2027",
	} {
		want, err := http.ParseTime(v)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		got, ok := parseHTTPTime([]byte(v))
		if !ok || got != want.Unix() {
			t.Errorf("%q: got %d %v, want %d", v, got, ok, want.Unix())
		}
	}
	for _, v := range []string{
		"0", "-1", "", "yesterday",
		"Thu, 30 Feb 2024 00:00:00 GMT",
		"Thu, 29 Feb 2023 00:00:00 GMT",
		"Thu, 01 Jan 1970 24:00:00 GMT",
		"Thu, 01 Xyz 1970 00:00:00 GMT",
		"Thu, 1 Jan 1970 00:00:00 GMT",
	} {
		if got, ok := parseHTTPTime([]byte(v)); ok {
			t.Errorf("%q: got %d, want an error", v, got)
		}
	}
	// nginx does not read the zone, nor check the weekday.
	if got, ok := parseHTTPTime([]byte("Mon, 01 Jan 1970 00:00:01 XYZ")); !ok || got != 1 {
		t.Errorf("zone: got %d %v", got, ok)
	}
}

// TestCacheControlHas holds ngx_http_parse_multi_header_lines' token
// search, which gzip_proxied no-cache, no-store and private use.
func TestCacheControlHas(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  bool
	}{
		{[]string{"private"}, true},
		{[]string{"max-age=0, Private"}, true},
		{[]string{"private , max-age=0"}, true},
		{[]string{"a;private"}, true},
		{[]string{`private="x"`}, false},
		{[]string{"privately"}, false},
		{[]string{"public", "private"}, true},
		{[]string{"no-cache, x"}, false},
		{[]string{""}, false},
	} {
		o := outHeaders{}
		for _, l := range c.lines {
			o.add([]byte("Cache-Control"), []byte(l))
		}
		if got := o.cacheControlHas("private"); got != c.want {
			t.Errorf("%q: got %v", c.lines, got)
		}
	}
}

// TestUpstreamTypeLen holds the part of an upstream's Content-Type
// gzip_types is matched against (ngx_http_upstream_copy_content_type's
// content_type_len, setUpstreamContentType).
func TestUpstreamTypeLen(t *testing.T) {
	for _, c := range []struct{ v, want string }{
		{"text/html", "text/html"},
		{"text/html; charset=utf-8", "text/html"},
		{"text/html;charset=utf-8", "text/html"},
		{"text/html;   CHARSET=utf-8", "text/html"},
		{"text/html; level=1", "text/html; level=1"},
		{"text/html; level=1; charset=x", "text/html; level=1"},
		{"text/html ; charset=x", "text/html "},
		{"text/html;", "text/html;"},
		{"text/html;  ", "text/html;  "},
	} {
		var o outHeaders
		o.setUpstreamContentType([]byte(c.v))
		if got := string(o.mediaType()); got != c.want {
			t.Errorf("%q: got %q, want %q", c.v, got, c.want)
		}
	}
}

// TestIsMSIE6 holds the User-Agents gzip_disable msie6 names.
func TestIsMSIE6(t *testing.T) {
	for _, c := range []struct {
		ua   string
		want bool
	}{
		{"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", true},
		{"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)", false},
		{"Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)", true},
		{"Mozilla/4.0 (compatible; MSIE 4.01; Windows 95)", true},
		{"Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)", false},
		{"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1) Opera 8.0", false},
		{"MSIE 6.", false}, // three characters after "MSIE " at least
		{"MSIE 6.0", true},
		{"curl/8", false},
	} {
		if got := isMSIE6([]byte(c.ua)); got != c.want {
			t.Errorf("%q: got %v, want %v", c.ua, got, c.want)
		}
	}
}

// TestGzipMember checks the gzip member nginxws sends: nginx's 10-byte
// header (no time, zlib's extra flags for the level, Unix), data that
// decompresses to the body, and a valid CRC-32 and length, for a body
// larger than gzip_buffers (several pieces) at two levels, the
// compressors coming back from their pools for a second request.
func TestGzipMember(t *testing.T) {
	// Text that compresses to some 60%: the output takes several pieces.
	var sb strings.Builder
	x := uint32(1)
	for sb.Len() < 64<<10 {
		x = x*1664525 + 1013904223
		sb.WriteString(strconv.FormatUint(uint64(x>>8), 36))
		sb.WriteByte(' ')
	}
	body := sb.String()
	reply := "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + body
	be := startBackend(t, reply)
	addr, _ := proxyFor(t, `
    server {
        listen 127.0.0.1:{{PORT}};
        gzip on;
        gzip_buffers 4 1k;
        location / { proxy_pass http://{{B}}; }
        location /best/ { gzip_comp_level 9; proxy_pass http://{{B}}; }
    }
`, be)
	for round := 0; round < 2; round++ {
		for _, c := range []struct {
			path string
			xfl  byte
		}{{"/x.html", 4}, {"/best/x.html", 2}} {
			resp := exchangeRaw(t, addr, "GET "+c.path+" HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n", 2*time.Second)
			head, data, ok := strings.Cut(resp, "\r\n\r\n")
			if !ok || !strings.Contains(head, "\r\nContent-Encoding: gzip") || !strings.Contains(head, "\r\nTransfer-Encoding: chunked") {
				t.Fatalf("%s: head %q", c.path, head)
			}
			member, chunks := dechunk(t, data)
			if chunks < 2 {
				t.Errorf("%s: %d chunks, want the body in gzip_buffers-sized pieces", c.path, chunks)
			}
			want := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, c.xfl, 3}
			if len(member) < 18 || !bytes.Equal(member[:10], want) {
				t.Fatalf("%s: gzip header % x, want % x", c.path, member[:min(10, len(member))], want)
			}
			zr, err := gzip.NewReader(bytes.NewReader(member))
			if err != nil {
				t.Fatal(err)
			}
			zr.Multistream(false)
			got, err := io.ReadAll(zr)
			if err != nil || string(got) != body {
				t.Fatalf("%s: decompressed %d bytes, err %v", c.path, len(got), err)
			}
			if len(member) >= len(body) {
				t.Errorf("%s: %d bytes compressed from %d", c.path, len(member), len(body))
			}
		}
	}
}

// dechunk decodes a chunked body, returning its data and its number of
// chunks.
func dechunk(t *testing.T, s string) ([]byte, int) {
	t.Helper()
	br := bufio.NewReader(strings.NewReader(s))
	var out []byte
	n := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("chunked body cut: %v", err)
		}
		size, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil {
			t.Fatalf("chunk size %q", line)
		}
		if size == 0 {
			return out, n
		}
		chunk := make([]byte, size+2)
		if _, err := io.ReadFull(br, chunk); err != nil {
			t.Fatal(err)
		}
		out = append(out, chunk[:size]...)
		n++
	}
}
