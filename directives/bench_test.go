package directives

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genConfig writes a realistic configuration of about lines lines with
// servers server blocks (the -t target: 5,000 lines, 200 servers) and
// returns its path.
func genConfig(tb testing.TB, servers int) (string, int) {
	tb.Helper()
	var b strings.Builder
	b.WriteString("user www-data;\nworker_processes auto;\npid /tmp/nginxws-bench.pid;\nerror_log /tmp/nginxws-bench-error.log warn;\n")
	b.WriteString("events {\n    worker_connections 1024;\n}\n\nhttp {\n")
	b.WriteString("    default_type application/octet-stream;\n    keepalive_timeout 65;\n    client_max_body_size 10m;\n")
	b.WriteString("    log_format main '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"';\n")
	b.WriteString("    access_log /tmp/nginxws-bench-access.log main;\n")
	b.WriteString("    map $http_upgrade $connection_upgrade {\n        default upgrade;\n        '' close;\n    }\n")
	for u := 0; u < 10; u++ {
		fmt.Fprintf(&b, "    upstream app%d {\n        hash $remote_addr consistent;\n        server 127.0.0.%d:8080 weight=2 max_fails=3 fail_timeout=5s;\n        server 127.0.0.%d:8081;\n        keepalive 16;\n    }\n", u, u+1, u+1)
	}
	for s := 0; s < servers; s++ {
		fmt.Fprintf(&b, "    server {\n        listen 127.0.0.1:%d;\n        server_name s%d.example.com www.s%d.example.com;\n        root /var/www/s%d;\n", 10000+s%50, s, s, s)
		fmt.Fprintf(&b, "        location / {\n            try_files $uri $uri/ =404;\n        }\n")
		fmt.Fprintf(&b, "        location /api/ {\n            proxy_pass http://app%d/;\n            proxy_http_version 1.1;\n            proxy_set_header Host $host:$server_port;\n            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        }\n", s%10)
		fmt.Fprintf(&b, "        location /ws {\n            proxy_pass http://app%d;\n            proxy_http_version 1.1;\n            proxy_set_header Upgrade $http_upgrade;\n            proxy_set_header Connection $connection_upgrade;\n            proxy_read_timeout 1h;\n            proxy_send_timeout 1h;\n        }\n", s%10)
		fmt.Fprintf(&b, "        location ~* \\.(css|js|png)$ {\n            add_header Cache-Control \"max-age=3600\";\n        }\n    }\n")
	}
	b.WriteString("}\n")
	dir := tb.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path, strings.Count(b.String(), "\n")
}

// BenchmarkLoad5000Lines measures Load (parse, validate, compile: the -t
// path) on a generated 5,000-line configuration with 200 servers.
func BenchmarkLoad5000Lines(b *testing.B) {
	path, lines := genConfig(b, 200)
	if lines < 4900 || lines > 5200 {
		b.Fatalf("generated %d lines, want about 5,000", lines)
	}
	opts := LoadOptions{Prefix: filepath.Dir(path) + "/", Resolve: testResolver}
	b.ReportAllocs()
	for b.Loop() {
		cfg, err := Load(path, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(cfg.HTTP.Servers) != 200 {
			b.Fatalf("%d servers", len(cfg.HTTP.Servers))
		}
	}
}

func TestGeneratedConfigLoads(t *testing.T) {
	path, _ := genConfig(t, 20)
	cfg, err := Load(path, LoadOptions{Prefix: filepath.Dir(path) + "/", Resolve: testResolver})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cfg.HTTP.Servers); got != 20 {
		t.Fatalf("%d servers, want 20", got)
	}
	loc := cfg.HTTP.Servers[3].Locations[2]
	if loc.Match != "/ws" || loc.Conf.ProxyReadTimeout.Hours() != 1 || loc.Conf.ProxyPass.Upstream.Name != "app3" {
		t.Errorf("location %q: read timeout %v, upstream %+v", loc.Match, loc.Conf.ProxyReadTimeout, loc.Conf.ProxyPass.Upstream)
	}
}
