package proxy

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// TestDefaultAccessLogOnlyWhenUsed: nginx opens its default access log
// (/var/log/nginx/access.log) only when a server has no access_log and
// inherits none from http (ngx_http_log_merge_loc_conf); with every
// server naming its own, nginx -t and nginx itself never touch it, so a
// user who cannot write there can still run them.
func TestDefaultAccessLogOnlyWhenUsed(t *testing.T) {
	cases := []struct {
		name, http string
		want       bool
	}{
		{"every server has its own", `
			server { listen 127.0.0.1:1; access_log a.log; location / { access_log b.log; } }
			server { listen 127.0.0.2:1; access_log off; }`, false},
		{"no server", ``, false},
		{"http says off", `access_log off; server { listen 127.0.0.1:1; }`, false},
		{"http names one", `access_log c.log; server { listen 127.0.0.1:1; }`, false},
		{"a server without", `
			server { listen 127.0.0.1:1; access_log a.log; }
			server { listen 127.0.0.2:1; }`, true},
		{"only locations name one", `server { listen 127.0.0.1:1; location / { access_log a.log; } }`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			text := "events {}\nhttp {\n" + c.http + "\n}\n"
			cfg, err := directives.LoadString(filepath.Join(dir, "nginx.conf"), text, directives.LoadOptions{Prefix: dir + "/"})
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for p := range fileLogs(cfg) {
				files = append(files, p)
			}
			if got := slices.Contains(files, directives.DefaultAccessLog); got != c.want {
				t.Errorf("files opened: %q; the default access log among them: %v, want %v", files, got, c.want)
			}
		})
	}
}
