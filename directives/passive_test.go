package directives

import (
	"fmt"
	"strings"
	"testing"
)

// TestPassiveValuesNginxAccepts lists values of directives nginxws ignores
// that nginx 1.22 accepts (each checked on it) and that a stricter check
// once refused: such a refusal would stop a working configuration.
func TestPassiveValuesNginxAccepts(t *testing.T) {
	for _, body := range []string{
		"directio off;",
		"ssl on;\nserver { listen 8080; ssl off; }", // no server is left with TLS
		"error_log /tmp/nginxws-e.log debug_http debug_core;\nserver { listen 8080; location / { error_log /tmp/nginxws-e.log debug_event; } }",
		"ssl_certificate /nonexistent/x.pem;", // no server: nginx loads it nowhere
		"aio threads=default;\nserver { listen 8080; aio threads; location / { aio off; } location /x { aio threads=$host; } }",
		"proxy_cache_path /tmp/nginxws-cache levels=1:2 keys_zone=mm:10m max_size=3g inactive=120m use_temp_path=off;\nserver { listen 8080; location / { proxy_cache mm; } location /x { proxy_cache $host; } location /y { proxy_cache off; } }",
		"server { listen 8080; location / { proxy_cache later; } }\nproxy_cache_path /tmp/nginxws-cache keys_zone=later:10m;",
		"resolver 127.0.0.11 [::1]:5353 unix:/run/dns.sock valid=30s ipv6=off;",
		"open_file_cache max=10 off;",
		"open_log_file_cache max=1000 inactive=20s valid=1m min_uses=2;",
		"proxy_cache_valid 10m;\nproxy_cache_valid 200 302 any 1h;",
		"ssl_session_cache builtin:1000 shared:SSL:10m;\nserver { listen 8080; ssl_session_cache shared:SSL:10m; }",
		"gzip_buffers 16 8k;",
		"proxy_temp_path /tmp/nginxws-temp 5 5;",
		"client_body_temp_path /tmp/nginxws-temp/ 3 3 4;",
		"keepalive_disable msie6 safari;",
		"directio 4m;",
		"gzip_proxied expired no-cache no-store private auth;",
		"lingering_close always;",
		"ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;",
		"server { listen 8080; return 200 $upstream_cache_etag$upstream_cache_last_modified; }",
		"upstream u { server 127.0.0.1:1; zone u 64k; zone u; }\nupstream v { server 127.0.0.1:2; zone u; }",
	} {
		if _, err := loadText(t, H(body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	for _, main := range []string{"worker_cpu_affinity auto 0101;", "worker_cpu_affinity 0001 \"0010\";", "thread_pool default threads=32 max_queue=65536;\nthread_pool io threads=4 bogus=1;",
		"worker_priority -30;", "worker_priority +5;", "worker_priority 0;\nworker_priority -5;"} {
		if _, err := loadText(t, main+"\nevents {}\n"); err != nil {
			t.Errorf("%s: %v", main, err)
		}
	}
}

// TestRefusedAtTheirDefault: a refused directive written with nginx's
// default value changes nothing (nginx 1.22 accepts each silently, as
// checked on it), so nginxws accepts it without a word; any other value
// is still refused.
func TestRefusedAtTheirDefault(t *testing.T) {
	cfg, err := loadText(t, H(`charset off; etag on; expires off; if_modified_since exact; disable_symlinks off;
proxy_ssl_verify off; proxy_ssl_server_name OFF; proxy_cookie_path off;
ssl_verify_client off; ssl_verify_depth 1; mirror off; userid off; auth_delay 0s; ssi off;
server { listen 8080; location / { random_index off; return 200; } }`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings %+v", cfg.Warnings)
	}
	for _, body := range []string{"ssi on;", "ssl_ocsp on;", "userid on;"} {
		_, err := loadText(t, H(body))
		if err == nil || !strings.Contains(err.Error(), "directive is not supported") {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// TestGzipTypesDuplicates pins ngx_http_types_slot's [warn]s (checked on
// nginx 1.22): text/html is always in the list, a type named again at the
// level warns (lower-cased), "*" ends the list, another level starts
// afresh.
func TestGzipTypesDuplicates(t *testing.T) {
	cfg, err := loadText(t, H("gzip_types text/html text/css;\ngzip_types TEXT/CSS;\nserver { listen 8080; gzip_types text/css; location / { gzip_types * text/html; } }"))
	if err != nil {
		t.Fatal(err)
	}
	got := valueWarnings(cfg)
	want := []string{`duplicate MIME type "text/html" @3`, `duplicate MIME type "text/css" @4`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings %q, want %q", got, want)
	}
}

// TestCacheKeyWarnings: fastcgi, uwsgi and scgi have no default cache key;
// nginx warns at each level that caches without one (inherited or set
// there), where the http block ends, grouped by module in its order
// (nginx merges module by module). The want is nginx 1.22's output for
// this configuration.
func TestCacheKeyWarnings(t *testing.T) {
	cfg := load(t, `events {}
http {
uwsgi_cache $host;
scgi_cache $host;
scgi_cache_key $uri;
fastcgi_cache off;
server {
listen 8080;
location / { }
location /b { uwsgi_cache_key $uri; if ($uri) { } }
location /c { uwsgi_cache off; fastcgi_cache $host; limit_except GET { } }
}
}
`)
	var got []string
	for _, w := range cfg.Warnings {
		if !strings.HasSuffix(w.Msg, "directive is ignored") {
			got = append(got, fmt.Sprintf("%s @%d", w.Msg, w.Pos.Line))
		}
	}
	want := []string{
		`no "fastcgi_cache_key" for "fastcgi_cache" @13`,
		`no "fastcgi_cache_key" for "fastcgi_cache" @13`,
		`no "uwsgi_cache_key" for "uwsgi_cache" @13`,
		`no "uwsgi_cache_key" for "uwsgi_cache" @13`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
