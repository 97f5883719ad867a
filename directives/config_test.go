package directives

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUpstreamTyped(t *testing.T) {
	cfg := load(t, H(`
upstream app {
    hash $remote_addr consistent;
    server 127.0.0.1:8080 weight=5 max_fails=3 fail_timeout=30s max_conns=10;
    server localhost:8081 down;
    keepalive 16;
    keepalive_timeout 30s;
    keepalive_requests 100;
    zone app 64k;
}
upstream rr { server 127.0.0.2; server unix:/run/app.sock backup; }
upstream rnd { random two least_conn; server 127.0.0.3; }
server { listen 8080; location / { proxy_pass http://app; } }`))
	app := cfg.HTTP.Upstream("app")
	if app == nil || app.Balancer != BalanceHash || !app.HashConsistent || app.HashKey.Segments[0].Var != "remote_addr" {
		t.Fatalf("app: %+v", app)
	}
	s0, s1 := app.Servers[0], app.Servers[1]
	if s0.Name != "127.0.0.1:8080" || s0.Weight != 5 || s0.MaxFails != 3 || s0.FailTimeout != 30*time.Second || s0.MaxConns != 10 || s0.Addrs[0] != "127.0.0.1:8080" {
		t.Errorf("server 0: %+v", s0)
	}
	if s1.Name != "localhost:8081" || !s1.Down || s1.Weight != 1 || s1.MaxFails != 1 || s1.FailTimeout != 10*time.Second || s1.Addrs[0] != "127.0.0.1:8081" {
		t.Errorf("server 1: %+v", s1)
	}
	if app.Keepalive != 16 || app.KeepaliveTimeout != 30*time.Second || app.KeepaliveRequests != 100 || app.KeepaliveTime != time.Hour {
		t.Errorf("keepalive: %d %v %d %v", app.Keepalive, app.KeepaliveTimeout, app.KeepaliveRequests, app.KeepaliveTime)
	}
	rr := cfg.HTTP.Upstream("rr")
	if rr.Balancer != BalanceRoundRobin || rr.Servers[0].Addrs[0] != "127.0.0.2:80" || !rr.Servers[1].Backup || rr.Servers[1].Addrs[0] != "unix:/run/app.sock" {
		t.Errorf("rr: %+v %+v", rr.Servers[0], rr.Servers[1])
	}
	if rr.Keepalive != 0 || rr.KeepaliveTimeout != 60*time.Second || rr.KeepaliveRequests != 1000 {
		t.Errorf("rr keepalive defaults: %d %v %d", rr.Keepalive, rr.KeepaliveTimeout, rr.KeepaliveRequests)
	}
	if rnd := cfg.HTTP.Upstream("rnd"); rnd.Balancer != BalanceRandom || !rnd.RandomTwo || !rnd.RandomLeastConn {
		t.Errorf("rnd: %+v", rnd)
	}
	if pp := cfg.HTTP.Servers[0].Locations[0].Conf.ProxyPass; pp.Upstream != app || pp.HasURI || pp.Host != "app" || pp.Port != 80 {
		t.Errorf("proxy_pass to the block: %+v", pp)
	}
	if len(cfg.Warnings) != 1 || cfg.Warnings[0].Msg != `"zone" directive is ignored` {
		t.Errorf("warnings %+v", cfg.Warnings)
	}
}

func TestUpstreamDefinedAfterUse(t *testing.T) {
	cfg := load(t, H(`
server { listen 8080; location / { proxy_pass http://app; } location /b { proxy_pass http://app; } }
upstream app { server 127.0.0.1:9; }`))
	if n := len(cfg.HTTP.Upstreams); n != 1 {
		t.Fatalf("%d upstreams, want the block only", n)
	}
	u := cfg.HTTP.Upstreams[0]
	if u.Implicit || len(u.Servers) != 1 || cfg.HTTP.Servers[0].Locations[1].Conf.ProxyPass.Upstream != u {
		t.Errorf("upstream %+v", u)
	}
}

func TestMapTyped(t *testing.T) {
	cfg := load(t, H(`
map $http_upgrade $connection_upgrade {
    default upgrade;
    '' close;
    \default literal;
    ~*^web(?<rest>.*)$ $rest;
    volatile;
}
map $host $h { hostnames; .example.com 1; *.example.org 2; www.example.* 3; }`))
	m := cfg.HTTP.Maps[0]
	if m.Var != "connection_upgrade" || m.Source.Segments[0].Var != "http_upgrade" || m.Default.Raw != "upgrade" || !m.Volatile {
		t.Fatalf("map: %+v", m)
	}
	if len(m.Entries) != 3 || m.Entries[0].Key != "" || m.Entries[0].Value.Raw != "close" || m.Entries[1].Key != "default" {
		t.Fatalf("entries: %+v %+v", m.Entries[0], m.Entries[1])
	}
	re := m.Entries[2]
	if re.Regex == nil || !re.Regex.Caseless || !re.Regex.MatchString("WEBsocket") || re.Value.Segments[0].Var != "rest" || re.Pos.Line != 8 {
		t.Errorf("regex entry %+v", re)
	}
	if h := cfg.HTTP.Maps[1]; !h.Hostnames || len(h.Entries) != 3 {
		t.Errorf("hostnames map %+v", h)
	}
	if got := strings.Join(cfg.HTTP.Variables, ","); got != "connection_upgrade,rest,h" {
		t.Errorf("declared variables %s", got)
	}
}

func TestComplexValues(t *testing.T) {
	cfg := load(t, H(`server { listen 8080; location ~ ^/(a)(?<n>b) {
    return 200 "$host:${server_port}x$1$12$N";
} }`))
	st := cfg.HTTP.Servers[0].Locations[0].Conf.Script[0]
	if st.Op != OpReturn || st.Code != 200 {
		t.Fatalf("statement %+v", st)
	}
	var parts []string
	for _, s := range st.Text.Segments {
		switch {
		case s.Var != "":
			parts = append(parts, "$"+s.Var)
		case s.Capture != 0:
			parts = append(parts, "#"+itoa(s.Capture))
		default:
			parts = append(parts, "'"+s.Literal+"'")
		}
	}
	// "$12" is capture 1 then "2"; names are lower-cased.
	if got := strings.Join(parts, " "); got != "$host ':' $server_port 'x' #1 #1 '2' $n" {
		t.Errorf("segments %s", got)
	}
	if literal("abc").IsLiteral() != true || st.Text.IsLiteral() {
		t.Error("IsLiteral")
	}
}

func TestRewriteScript(t *testing.T) {
	cfg := load(t, H(`server {
    listen 8080;
    rewrite ^/old/(.*)$ /new/$1 permanent;
    location / {
        set $backend a;
        if ($request_method !~* ^(GET|HEAD)$) { return 405; }
        if (-f $request_filename) { break; }
        if ($http_x = "a b") { return 302 https://example.com$request_uri; }
        rewrite ^ http://example.com;
        return https://example.org;
    }
}`))
	s := cfg.HTTP.Servers[0]
	if rw := s.Conf.Script[0]; rw.Op != OpRewrite || rw.Flag != RewritePermanent || rw.Code != 301 || rw.Replacement.Segments[1].Capture != 1 {
		t.Errorf("server rewrite %+v", rw)
	}
	sc := s.Locations[0].Conf.Script
	if len(sc) != 6 {
		t.Fatalf("%d statements", len(sc))
	}
	if sc[0].Op != OpSet || sc[0].Var != "backend" || sc[0].Value.Raw != "a" {
		t.Errorf("set %+v", sc[0])
	}
	if c := sc[1].Cond; sc[1].Op != OpIf || c.Kind != CondMatch || !c.Negate || !c.Regex.Caseless || c.Var.Segments[0].Var != "request_method" || sc[1].Conf.Script[0].Code != 405 {
		t.Errorf("if ~ %+v", c)
	}
	if c := sc[2].Cond; c.Kind != CondFile || c.FileOp != 'f' || c.Negate || sc[2].Conf.Script[0].Op != OpBreak {
		t.Errorf("if -f %+v", c)
	}
	if c := sc[3].Cond; c.Kind != CondEqual || c.Value.Raw != "a b" {
		t.Errorf("if = %+v", c)
	}
	if sc[4].Flag != RewriteRedirect || sc[4].Code != 302 {
		t.Errorf("rewrite to a URL %+v", sc[4])
	}
	if sc[5].Code != 302 || sc[5].Text.Raw != "https://example.org" {
		t.Errorf("return URL %+v", sc[5])
	}
}

func TestListeners(t *testing.T) {
	cfg := load(t, H(`
server { listen 127.0.0.1:8080 proxy_protocol; listen [::1]:8081 ipv6only=off; server_name a; }
server { listen 127.0.0.1:8080 default_server backlog=100 reuseport; listen unix:/tmp/x.sock; server_name b; }
server { listen localhost:8082; }
server { server_name nolisten; }`))
	ls := cfg.Listeners()
	var got []string
	for _, l := range ls {
		got = append(got, l.Network+" "+l.Addr)
	}
	want := defaultListen(cfg.HTTP.Pos).Addr
	if g := strings.Join(got, ","); g != "tcp 127.0.0.1:8080,tcp [::1]:8081,unix /tmp/x.sock,tcp 127.0.0.1:8082,tcp "+want {
		t.Fatalf("listeners %s", g)
	}
	// proxy_protocol is no socket option: it holds for the address
	// whichever listen gives the options.
	if !ls[0].DefaultServer || ls[0].Backlog != 100 || !ls[0].ReusePort || !ls[0].ProxyProtocol || ls[0].Pos.Line != 5 {
		t.Errorf("merged options of 127.0.0.1:8080: %+v", ls[0])
	}
	if ls[1].IPv6Only {
		t.Errorf("ipv6only=off lost: %+v", ls[1])
	}
	if n := cfg.HTTP.Servers[3].Names; len(n) != 1 || n[0].Name != "nolisten" {
		t.Errorf("names %+v", n)
	}
	if n := cfg.HTTP.Servers[2].Names; len(n) != 1 || n[0].Name != "" {
		t.Errorf("a server without server_name has the name \"\": %+v", n)
	}
	if (&Config{}).Listeners() != nil {
		t.Error("no http block, yet listeners")
	}
}

func TestServerNames(t *testing.T) {
	cfg := load(t, H(`server { listen 8080; server_name Example.COM *.example.com ~^(?<sub>\w+)\.example\.net$ $hostname; }`))
	ns := cfg.HTTP.Servers[0].Names
	host, _ := os.Hostname()
	if len(ns) != 4 || ns[0].Name != "example.com" || ns[1].Name != "*.example.com" || ns[2].Regex == nil || !ns[2].Regex.MatchString("API.example.net") || ns[3].Name != strings.ToLower(host) {
		t.Errorf("names %+v", ns)
	}
}

func TestWarnings(t *testing.T) {
	// load_module needs a file dlopen() could open: the test binary is one.
	module, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := load(t, `load_module `+module+`;
worker_processes auto;
events { worker_connections 768; multi_accept on; }
http {
    sendfile on;
    ssl_protocols TLSv1.2;
    server { listen 8080; server_name a; location / { proxy_pass http://127.0.0.1:1; proxy_next_upstream error error; allow 10.0.0.1/8; } }
    server { listen 8080; server_name a; }
}
`)
	var got []string
	for _, w := range cfg.Warnings {
		s := w.Msg
		if w.Pos.File != "" {
			s += " @" + itoa(w.Pos.Line)
		}
		got = append(got, s)
	}
	want := []string{
		`"load_module" directive is ignored, dynamic module "` + module + `" is not loaded @1`,
		`"multi_accept" directive is ignored @3`,
		`"sendfile" directive is ignored @5`,
		`duplicate value "error" @7`,
		`low address bits of 10.0.0.1/8 are meaningless @7`,
		`conflicting server name "a" on 0.0.0.0:8080, ignored`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cfg.Events.WorkerConnections != 768 {
		t.Errorf("worker_connections %d", cfg.Events.WorkerConnections)
	}
}

func TestWarningsKeptOnError(t *testing.T) {
	cfg, err := loadText(t, H("sendfile on;\nmirror /m;"))
	if err == nil || !strings.Contains(err.Error(), `"mirror" directive is not supported`) {
		t.Fatalf("err %v", err)
	}
	if cfg == nil || len(cfg.Warnings) != 1 || len(cfg.Files) != 1 {
		t.Fatalf("the failed Config should carry the warning and the file: %+v", cfg)
	}
}

func TestGlobals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte("events{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, LoadOptions{Prefix: dir, Globals: "daemon off; pid x.pid;"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Main.Daemon || cfg.Main.Pid != dir+"/x.pid" {
		t.Errorf("globals: daemon %v pid %q", cfg.Main.Daemon, cfg.Main.Pid)
	}
	_, err = Load(path, LoadOptions{Prefix: dir, Globals: "foo;"})
	if err == nil || err.Error() != `unknown directive "foo" in command line` {
		t.Errorf("err %v", err)
	}
	_, err = Load(path, LoadOptions{Prefix: dir, Globals: "daemon off;", Resolve: testResolver})
	if err != nil {
		t.Errorf("err %v", err)
	}
}

func TestTypesAndErrorPages(t *testing.T) {
	cfg := load(t, H(`types { text/html html htm; application/json JSON; }
default_type application/octet-stream;
error_page 404 /404.html;
error_page 500 502 =200 /50x.html;
server { listen 8080; location / { types { } error_page 403 = @x; } location @x { return 403; } }`))
	h := cfg.HTTP.Conf
	if h.Types["json"] != "application/json" || h.Types["htm"] != "text/html" || h.DefaultType != "application/octet-stream" {
		t.Errorf("types %v", h.Types)
	}
	if len(h.ErrorPages) != 2 || h.ErrorPages[1].Overwrite != 200 || len(h.ErrorPages[1].Codes) != 2 || h.ErrorPages[0].Overwrite != -1 {
		t.Errorf("error pages %+v %+v", h.ErrorPages[0], h.ErrorPages[1])
	}
	loc := cfg.HTTP.Servers[0].Locations[0].Conf
	if len(loc.Types) != 0 || len(loc.ErrorPages) != 1 || loc.ErrorPages[0].Overwrite != 0 || loc.ErrorPages[0].URI.Raw != "@x" {
		t.Errorf("location: types %v pages %+v", loc.Types, loc.ErrorPages)
	}
	if !cfg.HTTP.Servers[0].Locations[1].Named() {
		t.Error("named location")
	}
}

func TestLogFormats(t *testing.T) {
	cfg := load(t, H(`log_format main escape=json '$remote_addr "$request"' ' $status';
server { listen 8080; access_log /tmp/a.log main buffer=32k flush=5s if=$status; access_log /tmp/b.log; }`))
	f := cfg.HTTP.LogFormat("main")
	if f == nil || f.Escape != "json" || f.Value.Raw != `$remote_addr "$request" $status` || len(f.Value.Segments) != 5 {
		t.Fatalf("format %+v", f)
	}
	logs := cfg.HTTP.Servers[0].Conf.AccessLogs
	if len(logs) != 2 || logs[0].Format != f || logs[0].Buffer != 32<<10 || logs[0].Flush != 5000 || logs[0].If == nil || logs[1].Format.Name != "combined" {
		t.Errorf("logs %+v %+v", logs[0], logs[1])
	}
	if c := cfg.HTTP.LogFormat("combined"); c == nil || !strings.HasPrefix(c.Value.Raw, "$remote_addr - $remote_user") {
		t.Errorf("combined %+v", c)
	}
}

func TestCaseInsensitiveValues(t *testing.T) {
	// nginx compares flags, enums and bitmask values with ngx_strcasecmp.
	cfg := load(t, H(`server { listen 8080; server_tokens OFF; proxy_buffering Off;
proxy_next_upstream ERROR http_502; proxy_next_upstream Timeout; }`))
	c := cfg.HTTP.Servers[0].Conf
	if c.ServerTokens != "off" || c.ProxyBuffering || c.ProxyNextUpstream != NextError|NextHTTP502|NextTimeout {
		t.Errorf("server_tokens %q buffering %v next %b", c.ServerTokens, c.ProxyBuffering, c.ProxyNextUpstream)
	}
}

// TestIgnoredAtDefaultIsSilent: "proxy_cache off" (ASP.NET Core's SignalR
// and n8n's documented locations) asks for what nginxws does anyway, so it
// gets no "is ignored" warning; a cache zone still does.
func TestIgnoredAtDefaultIsSilent(t *testing.T) {
	cfg := load(t, H(`
proxy_cache_path /tmp/nginxws-cache keys_zone=z:1m;
server { listen 8080; proxy_cache off; location / { proxy_cache off; fastcgi_cache off; uwsgi_cache off; scgi_cache off; } location /z { proxy_cache z; } }`))
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, fmt.Sprintf("%s @%d", w.Msg, w.Pos.Line))
	}
	want := []string{`"proxy_cache_path" directive is ignored @4`, `"proxy_cache" directive is ignored @5`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCacheSettingsWithoutCachePath: without a proxy_cache_path nginx
// caches nothing, so proxy_cache_bypass, proxy_no_cache and the other
// proxy_cache_* settings change nothing there, as in nginxws: no warning.
// proxy_cache with a variable keeps its own (nginx answers 500 when the
// zone it names does not exist), and with a cache path all warn.
func TestCacheSettingsWithoutCachePath(t *testing.T) {
	for _, tc := range []struct {
		body string
		want []string
	}{
		{"server { listen 8080; location / { proxy_cache_bypass $http_upgrade; proxy_no_cache $http_upgrade; proxy_cache_valid 200 1m; proxy_pass http://127.0.0.1:1; } }", nil},
		{"server { listen 8080; location / { proxy_cache $host; proxy_cache_bypass $http_upgrade; proxy_pass http://127.0.0.1:1; } }",
			[]string{`"proxy_cache" directive is ignored @3`}},
		{"server { listen 8080; location / { proxy_cache_bypass $http_upgrade; proxy_pass http://127.0.0.1:1; } }\nproxy_cache_path /tmp/nginxws-cache keys_zone=z:1m;",
			[]string{`"proxy_cache_bypass" directive is ignored @3`, `"proxy_cache_path" directive is ignored @4`}},
	} {
		cfg := load(t, H(tc.body))
		var got []string
		for _, w := range cfg.Warnings {
			got = append(got, fmt.Sprintf("%s @%d", w.Msg, w.Pos.Line))
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\nwarnings %q\nwant %q", tc.body, got, tc.want)
		}
	}
}
