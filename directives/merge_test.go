package directives

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// load compiles configuration text and fails the test on error.
func load(t *testing.T, text string) *Config {
	t.Helper()
	cfg, err := loadText(t, text)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

func loadText(t *testing.T, text string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(path, LoadOptions{Prefix: dir + "/", Resolve: testResolver})
}

func headerNames(hs []*Header) string {
	var names []string
	for _, h := range hs {
		names = append(names, h.Name+"="+h.Value.Raw)
	}
	return strings.Join(names, ",")
}

func TestDefaults(t *testing.T) {
	cfg := load(t, H("server { listen 8080; location / { } }"))
	c := cfg.HTTP.Servers[0].Locations[0].Conf
	checks := []struct {
		name      string
		got, want any
	}{
		{"proxy_read_timeout", c.ProxyReadTimeout, 60 * time.Second},
		{"proxy_connect_timeout", c.ProxyConnectTimeout, 60 * time.Second},
		{"proxy_send_timeout", c.ProxySendTimeout, 60 * time.Second},
		{"proxy_http_version", c.ProxyHTTPVersion, "1.0"},
		{"proxy_buffering", c.ProxyBuffering, true},
		{"proxy_buffer_size", c.ProxyBufferSize, int64(4096)},
		{"proxy_buffers", c.ProxyBuffers, Bufs{Num: 8, Size: 4096}},
		{"proxy_busy_buffers_size", c.ProxyBusyBuffersSize, int64(8192)},
		{"proxy_next_upstream", c.ProxyNextUpstream, NextError | NextTimeout},
		{"proxy_pass_request_headers", c.ProxyPassRequestHeaders, true},
		{"client_max_body_size", c.ClientMaxBodySize, int64(1 << 20)},
		{"client_body_timeout", c.ClientBodyTimeout, 60 * time.Second},
		{"keepalive_timeout", c.KeepaliveTimeout, 75 * time.Second},
		{"keepalive_requests", c.KeepaliveRequests, 1000},
		{"send_timeout", c.SendTimeout, 60 * time.Second},
		{"default_type", c.DefaultType, "text/plain"},
		{"server_tokens", c.ServerTokens, "on"},
		{"root", c.Root.Raw, cfg.Files[0].Path[:len(cfg.Files[0].Path)-len("nginx.conf")] + "html"},
		{"index", c.Index[0].Raw, "index.html"},
		{"access_log", c.AccessLogs[0].Path.Raw, DefaultAccessLog},
		{"access_log format", c.AccessLogs[0].Format.Name, "combined"},
		{"types html", c.Types["html"], "text/html"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	s := cfg.HTTP.Servers[0]
	if s.ClientHeaderTimeout != 60*time.Second || s.LargeClientHeaderBuffers != (Bufs{4, 8192}) || s.ClientHeaderBufferSize != 1024 || !s.IgnoreInvalidHeaders || s.UnderscoresInHeaders || !s.MergeSlashes {
		t.Errorf("server defaults: %+v", s.ServerConf)
	}
	if cfg.Events.WorkerConnections != 512 || !cfg.Main.Daemon || cfg.Main.Pid != DefaultPidPath {
		t.Errorf("main defaults: %+v %+v", cfg.Main, cfg.Events)
	}
	if len(cfg.Main.ErrorLogs) != 1 || cfg.Main.ErrorLogs[0].Path != DefaultErrorLog || cfg.Main.ErrorLogs[0].Pos.File != "" {
		t.Errorf("default error log: %+v", cfg.Main.ErrorLogs)
	}
}

func TestInheritance(t *testing.T) {
	cfg := load(t, H(`
proxy_read_timeout 10s;
proxy_set_header A a;
proxy_set_header B b;
add_header X x;
allow 127.0.0.1;
deny all;
server {
    listen 8080;
    proxy_connect_timeout 3s;
    location /inherits {
        location /inherits/nested { proxy_send_timeout 7s; }
    }
    location /own {
        proxy_read_timeout 20s;
        proxy_set_header C c;
        add_header Y y;
        deny 10.0.0.0/8;
    }
    location /off { access_log off; proxy_redirect off; }
}`))
	s := cfg.HTTP.Servers[0]
	inh, nested, own, off := s.Locations[0].Conf, s.Locations[0].Locations[0].Conf, s.Locations[1].Conf, s.Locations[2].Conf

	if inh.ProxyReadTimeout != 10*time.Second || inh.ProxyConnectTimeout != 3*time.Second {
		t.Errorf("inherited timeouts: read %v connect %v", inh.ProxyReadTimeout, inh.ProxyConnectTimeout)
	}
	if nested.ProxyReadTimeout != 10*time.Second || nested.ProxyConnectTimeout != 3*time.Second || nested.ProxySendTimeout != 7*time.Second {
		t.Errorf("nested timeouts: %v %v %v", nested.ProxyReadTimeout, nested.ProxyConnectTimeout, nested.ProxySendTimeout)
	}
	if own.ProxyReadTimeout != 20*time.Second {
		t.Errorf("own read timeout %v", own.ProxyReadTimeout)
	}
	// Lists: a level that sets any replaces the whole inherited list.
	if got := headerNames(inh.ProxySetHeaders); got != "A=a,B=b" {
		t.Errorf("inherited proxy_set_header %s", got)
	}
	if got := headerNames(own.ProxySetHeaders); got != "C=c" {
		t.Errorf("own proxy_set_header %s, want only C", got)
	}
	if len(inh.AddHeaders) != 1 || len(own.AddHeaders) != 1 || own.AddHeaders[0].Name != "Y" {
		t.Errorf("add_header inheritance: %d %v", len(inh.AddHeaders), own.AddHeaders)
	}
	if len(inh.AccessRules) != 2 || len(own.AccessRules) != 1 || own.AccessRules[0].Prefix.String() != "10.0.0.0/8" {
		t.Errorf("access rules: %d %d", len(inh.AccessRules), len(own.AccessRules))
	}
	if !off.AccessLogOff || len(off.AccessLogs) != 0 || !off.ProxyRedirectOff {
		t.Errorf("off: access_log %v %d, proxy_redirect off %v", off.AccessLogOff, len(off.AccessLogs), off.ProxyRedirectOff)
	}
	if len(nested.AccessLogs) != 1 {
		t.Errorf("nested access logs: %d", len(nested.AccessLogs))
	}
}

func TestProxyPassNotInheritedByNestedButByIf(t *testing.T) {
	cfg := load(t, H(`
server {
    listen 8080;
    location /a/ {
        proxy_pass http://127.0.0.1:9000/b/;
        if ($http_x) { set $y 1; }
        location /a/n/ { }
    }
}`))
	loc := cfg.HTTP.Servers[0].Locations[0]
	pp := loc.Conf.ProxyPass
	if pp == nil || pp.Host != "127.0.0.1:9000" || pp.Port != 9000 || pp.URI != "/b/" || !pp.HasURI || pp.Upstream == nil || !pp.Upstream.Implicit {
		t.Fatalf("proxy_pass %+v", pp)
	}
	if got := pp.Upstream.Servers[0].Addrs; len(got) != 1 || got[0] != "127.0.0.1:9000" {
		t.Errorf("implicit upstream addrs %v", got)
	}
	if loc.Locations[0].Conf.ProxyPass != nil {
		t.Error("a nested location inherited proxy_pass")
	}
	ifStmt := loc.Conf.Script[0]
	if ifStmt.Op != OpIf || ifStmt.Conf.ProxyPass != pp {
		t.Error("the if block did not inherit proxy_pass")
	}
}

func TestProxyBusyBuffersDerived(t *testing.T) {
	cfg := load(t, H(`proxy_buffers 4 256k; proxy_buffer_size 128k;
server { listen 8080; location / { } }`))
	c := cfg.HTTP.Servers[0].Locations[0].Conf
	if c.ProxyBusyBuffersSize != 512<<10 {
		t.Errorf("busy buffers %d, want 2 × 256k", c.ProxyBusyBuffersSize)
	}
}

func TestSrvConfInheritance(t *testing.T) {
	cfg := load(t, H(`client_header_timeout 5s; underscores_in_headers on;
server { listen 8080; large_client_header_buffers 8 16k; }
server { listen 8081; client_header_timeout 9s; }`))
	a, b := cfg.HTTP.Servers[0], cfg.HTTP.Servers[1]
	if a.ClientHeaderTimeout != 5*time.Second || !a.UnderscoresInHeaders || a.LargeClientHeaderBuffers != (Bufs{8, 16 << 10}) {
		t.Errorf("server a: %+v", a.ServerConf)
	}
	if b.ClientHeaderTimeout != 9*time.Second || b.LargeClientHeaderBuffers != (Bufs{4, 8 << 10}) {
		t.Errorf("server b: %+v", b.ServerConf)
	}
}

func TestRootAndPaths(t *testing.T) {
	cfg := load(t, "pid logs/x.pid;\nerror_log logs/e.log warn;\n"+H(`root www/;
server { listen 8080; access_log logs/a.log; location /x/ { alias /srv/x/; } location /v { root /srv/$host; } }`))
	prefix := filepath.Dir(cfg.Files[0].Path) + "/"
	if cfg.Main.Pid != prefix+"logs/x.pid" || cfg.Main.ErrorLogs[0].Path != prefix+"logs/e.log" || cfg.Main.ErrorLogs[0].Level != LevelWarn {
		t.Errorf("main paths: %q %+v", cfg.Main.Pid, cfg.Main.ErrorLogs)
	}
	s := cfg.HTTP.Servers[0]
	if s.Conf.Root.Raw != prefix+"www" {
		t.Errorf("root %q (trailing slash dropped, prefix added)", s.Conf.Root.Raw)
	}
	if s.Conf.AccessLogs[0].Path.Raw != prefix+"logs/a.log" {
		t.Errorf("access_log %q", s.Conf.AccessLogs[0].Path.Raw)
	}
	x, v := s.Locations[0].Conf, s.Locations[1].Conf
	if !x.Alias || x.Root.Raw != "/srv/x/" {
		t.Errorf("alias %v %q", x.Alias, x.Root.Raw)
	}
	if v.Root.IsLiteral() || v.Root.Segments[1].Var != "host" {
		t.Errorf("root with variables %+v", v.Root.Segments)
	}
}

// TestUpstreamTempPathsWithoutWarning: fastcgi_temp_path, uwsgi_temp_path and
// scgi_temp_path do what nginx does without those modules' requests — the
// directory is made at start (Config.Paths) — so they are not reported as
// ignored.
func TestUpstreamTempPathsWithoutWarning(t *testing.T) {
	cfg := load(t, H(`client_body_temp_path body; proxy_temp_path proxy;
fastcgi_temp_path fcgi 1 2; uwsgi_temp_path uwsgi; scgi_temp_path scgi;
server { listen 8080; }`))
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %+v", cfg.Warnings)
	}
	prefix := filepath.Dir(cfg.Files[0].Path) + "/"
	for _, dir := range []string{"fcgi", "uwsgi", "scgi"} {
		if !slices.Contains(cfg.Main.Paths, prefix+dir) {
			t.Errorf("%s not among the directories made at start: %q", prefix+dir, cfg.Main.Paths)
		}
	}
}
