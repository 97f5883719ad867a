package directives

import (
	"testing"
)

// TestGzipMerge checks the gzip settings' defaults and inheritance,
// gzip_disable's split between expressions (replaced by a level that has
// its own) and msie6 (inherited unless set), and gzip_proxied's values
// adding up over two lines.
func TestGzipMerge(t *testing.T) {
	cfg := mustLoad(t, `
    gzip on;
    gzip_disable msie6 "^Bot";
    gzip_types text/css;
    gzip_proxied expired;
    gzip_proxied no-cache;
    server {
        listen 8080;
        location /inherit/ { }
        location /own/ {
            gzip_disable "^Other";
            gzip_types *;
            gzip_http_version 1.0;
            gzip_min_length 1k;
            gzip_comp_level 6;
            gzip_buffers 4 16k;
            gzip_vary on;
            if ($arg_x) { gzip off; }
        }
    }`)
	srv := cfg.HTTP.Servers[0]
	var inherit, own *LocConf
	for _, l := range srv.Locations {
		switch l.Match {
		case "/inherit/":
			inherit = l.Conf
		case "/own/":
			own = l.Conf
		}
	}
	if inherit == nil || own == nil {
		t.Fatal("locations not found")
	}
	if !inherit.Gzip || inherit.GzipCompLevel != 1 || inherit.GzipMinLength != 20 || inherit.GzipHTTPVersion != 1001 || inherit.GzipVary {
		t.Errorf("defaults: %+v", inherit)
	}
	if inherit.GzipBuffers != (Bufs{Num: 32, Size: 4096}) {
		t.Errorf("default gzip_buffers %+v", inherit.GzipBuffers)
	}
	if inherit.GzipProxied != GzipProxiedExpired|GzipProxiedNoCache {
		t.Errorf("gzip_proxied %b", inherit.GzipProxied)
	}
	if !inherit.GzipTypes.Match([]byte("Text/CSS"), true) || !inherit.GzipTypes.Match([]byte("text/html"), true) || inherit.GzipTypes.Match([]byte("text/plain"), true) {
		t.Errorf("gzip_types %+v", inherit.GzipTypes)
	}
	if !inherit.GzipDisableMSIE6 || len(inherit.GzipDisable) != 1 || !inherit.GzipDisable[0].MatchString("bot/1") {
		t.Errorf("inherited gzip_disable: msie6 %v, %d expressions", inherit.GzipDisableMSIE6, len(inherit.GzipDisable))
	}
	if !own.GzipDisableMSIE6 || len(own.GzipDisable) != 1 || own.GzipDisable[0].MatchString("Bot") || !own.GzipDisable[0].MatchString("other") {
		t.Errorf("own gzip_disable: msie6 %v, %d expressions", own.GzipDisableMSIE6, len(own.GzipDisable))
	}
	if !own.GzipTypes.Match(nil, false) || own.GzipHTTPVersion != 1000 || own.GzipMinLength != 1024 || own.GzipCompLevel != 6 || own.GzipBuffers != (Bufs{4, 16384}) || !own.GzipVary {
		t.Errorf("own settings: %+v", own)
	}
	if len(own.ifs) != 1 || own.ifs[0].Gzip || own.ifs[0].GzipCompLevel != 6 {
		t.Errorf("if block: %+v", own.ifs)
	}
}

// TestGzipRatio checks $gzip_ratio's arithmetic: nginx's two decimals,
// rounded half up from the third, and not found before the body was
// compressed whole.
func TestGzipRatio(t *testing.T) {
	conf := `
    log_format l '$gzip_ratio';
    server { listen 8080; location / { return 200; } }`
	for _, c := range []struct {
		in, out int64
		want    string
	}{
		{0, 0, "-"},
		{1000, 300, "3.33"},
		{2125, 1000, "2.13"},
		{1999, 1000, "2.00"},
		{10, 30, "0.33"},
		{5, 1000, "0.01"},
		{4, 1000, "0.00"},
		{2778, 240, "11.58"},
	} {
		cfg, s, r := evalSetup(t, conf, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
		r.info.GzipIn, r.info.GzipOut = c.in, c.out
		if got := string(s.AppendLog(cfg.HTTP.LogFormat("l"), nil)); got != c.want {
			t.Errorf("%d/%d: got %q, want %q", c.in, c.out, got, c.want)
		}
	}
}
