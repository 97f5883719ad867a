package proxy

import (
	"path/filepath"
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// Fuzz targets for the parsers of the response filters that read what a
// client or an upstream sent: none may panic, whatever the bytes.

func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0", "deflate, gzip;q=0.001", "x-gzip", "gzip ;q=1.0", "GZIP;Q=0.000", "gzip;q="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, ae []byte) { acceptsGzip(ae) })
}

func FuzzParseCookie(f *testing.F) {
	for _, s := range []string{"a=b; Path=/; Domain=.x; Secure; HttpOnly; SameSite=Lax", "a", ";;;", "a=\"b;c\"; path"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		attrs := parseCookie(v, nil)
		for _, flags := range []uint16{0, 0xffff} {
			editCookieFlags(attrs, flags)
		}
	})
}

func FuzzUserAgent(f *testing.F) {
	for _, s := range []string{"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", "MSIE 6.", "MSIE ", "Opera MSIE 5.5 x", "Safari/ Mac OS X"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, ua []byte) { parseUserAgent(ua) })
}

func FuzzETagMatch(f *testing.F) {
	f.Add([]byte(`"a", W/"b" ,"c"`), []byte(`"b"`))
	f.Add([]byte(`*`), []byte(`W/"x"`))
	f.Add([]byte(`W/`), []byte(`W/`))
	f.Fuzz(func(t *testing.T, list, etag []byte) {
		etagMatch(list, etag, true)
		etagMatch(list, etag, false)
		etagMatch(list, nil, true)
	})
}

// FuzzRecode feeds arbitrary bodies, cut at an arbitrary point, through
// the charset filter's recoders both ways between an 8-bit charset and
// UTF-8, and between two 8-bit ones.
func FuzzRecode(f *testing.F) {
	dir := f.TempDir()
	cfg, err := directives.LoadString(filepath.Join(dir, "nginx.conf"), `events {}
http {
    charset_map koi8-r utf-8 { C1 D0B0; C2 D0B1; 80 E29480; }
    charset_map koi8-r windows-1251 { C1 E0; C2 E1; }
    server { listen 127.0.0.1:1; }
}
`, directives.LoadOptions{Prefix: dir + "/"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("\xc1\xc2abc\x80"), 3)
	f.Add([]byte("\xd0\xb0\xd0\xb1\xe2\x94\x80\xf0\x9f"), 1)
	f.Fuzz(func(t *testing.T, body []byte, cut int) {
		if cut < 0 || cut > len(body) {
			cut = len(body) / 2
		}
		for _, pair := range [][2]string{{"koi8-r", "utf-8"}, {"utf-8", "koi8-r"}, {"koi8-r", "windows-1251"}, {"windows-1251", "koi8-r"}} {
			r := newRecoder(cfg.HTTP, pair[0], pair[1])
			if r == nil {
				t.Fatalf("no recoder %s -> %s", pair[0], pair[1])
			}
			r.apply(body[:cut])
			r.apply(body[cut:])
		}
	})
}
