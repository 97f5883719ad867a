package directives

import (
	"os/exec"
	"strings"
	"testing"
)

// ifContextCases are directives written inside "if" in a location and in a
// server, with what nginx 1.22 says of each: accepted, or "not allowed
// here". nginx's rewrite module reads an if block as its own level, where
// only the directives marked NGX_HTTP_LIF_CONF (in a location) or
// NGX_HTTP_SIF_CONF (in a server) may appear.
var ifContextCases = []struct {
	stmt     string
	location bool // accepted in "if" in a location
	server   bool // accepted in "if" in a server
}{
	{"return 200", true, true},
	{"rewrite ^ /x", true, true},
	{"set $v 1", true, true},
	{"break", true, true},
	{"rewrite_log on", true, true},
	{"proxy_pass http://127.0.0.1:1", true, false},
	{"add_header X y", true, false},
	{"access_log off", true, false},
	{"root /tmp", true, false},
	{"error_page 404 /x", true, false},
	{"proxy_set_header X y", false, false},
	{"proxy_http_version 1.1", false, false},
	{"proxy_read_timeout 1s", false, false},
	{"allow all", false, false},
	{"deny all", false, false},
	{"default_type a/b", false, false},
	{"try_files $uri =404", false, false},
	{"index index.html", false, false},
	{"alias /tmp/", false, false},
	{"client_max_body_size 1m", false, false},
	{"error_log /tmp/x.log", false, false},
	{"keepalive_timeout 5", false, false},
	{"internal", false, false},
	{"log_format f x", false, false},
}

// TestIfContext checks which directives an if block accepts, in a location
// and in a server, with nginx's wording and line, and against the real
// nginx 1.22 when it is installed.
func TestIfContext(t *testing.T) {
	nginx, _ := exec.LookPath("nginx")
	if nginx != "" {
		if v, _ := exec.Command(nginx, "-v").CombinedOutput(); !strings.Contains(string(v), "nginx/1.22") {
			nginx = ""
		}
	}
	for _, c := range ifContextCases {
		name := strings.Fields(c.stmt)[0]
		for _, where := range []struct {
			label string
			conf  string
			ok    bool
		}{
			{"location", "server { listen 8080;\nlocation / {\nif ($arg_a) {\n" + c.stmt + ";\n}\n}\n}", c.location},
			{"server", "server { listen 8080;\nif ($arg_a) {\n" + c.stmt + ";\n}\n}", c.server},
		} {
			line := "6"
			if where.label == "server" {
				line = "5"
			}
			want := "(no error)"
			if !where.ok {
				want = `[emerg] "` + name + `" directive is not allowed here in CONF/nginx.conf:` + line
			}
			dir := writeCase(t, errorCase{name: name, conf: H(where.conf)})
			_, err := loadCase(t, dir)
			got := "(no error)"
			if err != nil {
				got = "[emerg] " + strings.ReplaceAll(err.Error(), dir, "CONF")
			}
			if got != want {
				t.Errorf("%s in if in a %s: got %s, want %s", c.stmt, where.label, got, want)
			}
			if nginx == "" {
				continue
			}
			n := nginxFirstLine(t, nginx, dir)
			if strings.HasPrefix(n, "(no emerg)") {
				n = "(no error)"
			}
			if n != want {
				t.Errorf("%s in if in a %s: nginx says %s, the table %s", c.stmt, where.label, n, want)
			}
		}
	}
}
