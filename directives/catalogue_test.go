package directives

import (
	"os/exec"
	"strings"
	"testing"
)

// scopeDirectives is the catalogue scope of the foundation issue: each
// must have a row, and the implemented ones a setter.
var scopeDirectives = strings.Fields(`daemon pid error_log include load_module user worker_processes
worker_rlimit_nofile worker_shutdown_timeout events worker_connections http map upstream server listen
server_name location proxy_pass proxy_set_header proxy_http_version proxy_connect_timeout
proxy_read_timeout proxy_send_timeout proxy_buffering proxy_buffer_size proxy_buffers
proxy_next_upstream proxy_next_upstream_tries proxy_next_upstream_timeout proxy_pass_header
proxy_hide_header proxy_redirect proxy_intercept_errors proxy_pass_request_headers
proxy_pass_request_body send_timeout keepalive_timeout keepalive_requests client_max_body_size
client_header_timeout client_body_timeout large_client_header_buffers return rewrite add_header
allow deny access_log log_format set if root alias index try_files default_type types
hash ip_hash least_conn random keepalive zone server_tokens
multi_accept sendfile tcp_nopush tcp_nodelay gzip types_hash_max_size server_names_hash_bucket_size
client_body_temp_path proxy_temp_path ssl_prefer_server_ciphers accept_mutex use keepalive_disable
open_file_cache auth_basic auth_request limit_req limit_conn ssl_verify_client satisfy`)

func TestCatalogueCoversScope(t *testing.T) {
	for _, name := range scopeDirectives {
		rows := byName[name]
		if len(rows) == 0 {
			t.Errorf("%s has no catalogue row", name)
			continue
		}
		for _, r := range rows {
			if r.status == implemented && r.set == nil && name != "zone" {
				t.Errorf("%s is implemented without a setter", name)
			}
		}
	}
	for _, name := range strings.Fields("mirror ssl_ocsp") {
		if byName[name][0].status != refused {
			t.Errorf("%s should be refused", name)
		}
	}
	for _, name := range strings.Fields("sendfile tcp_nopush tcp_nodelay gzip_window gzip_hash types_hash_max_size multi_accept accept_mutex use open_file_cache") {
		if s := byName[name][0].status; s != ignored {
			t.Errorf("%s should be ignored with a warning, is %d", name, s)
		}
	}
	for _, name := range strings.Fields("ssl_protocols ssl_prefer_server_ciphers ssl_certificate ssl_ciphers") {
		if s := byName[name][0].status; s != tlsSetting {
			t.Errorf("%s should be a kept TLS setting, is %d", name, s)
		}
	}
}

func TestCatalogueRows(t *testing.T) {
	for name, rows := range byName {
		var seen ctxMask
		for _, r := range rows {
			if r.ctx == 0 || r.args == 0 {
				t.Errorf("%s: a row without contexts or arity", name)
			}
			if r.ctx&seen != 0 {
				t.Errorf("%s: two rows share a context", name)
			}
			seen |= r.ctx
			if r.status != implemented && r.set != nil {
				t.Errorf("%s: a setter on a row that is not implemented", name)
			}
			if r.args&argFlag != 0 && r.args&^argFlag != 0 {
				t.Errorf("%s: FLAG mixed with other counts", name)
			}
		}
	}
}

func TestArity(t *testing.T) {
	cases := []struct {
		a    arity
		n    int
		want bool
	}{
		{argNone, 0, true}, {argNone, 1, false},
		{arg12, 1, true}, {arg12, 2, true}, {arg12, 3, false}, {arg12, 0, false},
		{argFlag, 1, true}, {argFlag, 2, false},
		{arg1More, 0, false}, {arg1More, 20, true},
		{arg2More, 1, false}, {arg2More, 2, true},
		{argAny, 0, true}, {argAny, 30, true},
		{arg7, 7, true}, {arg7, 9, false},
	}
	for _, c := range cases {
		if got := c.a.argsOK(c.n); got != c.want {
			t.Errorf("arity %b with %d args = %v, want %v", c.a, c.n, got, c.want)
		}
	}
}

// contextWrap places a directive in each context of the catalogue.
var contextWrap = []struct {
	ctx      ctxMask
	pre, suf string
}{
	{cMain, "", "\nevents{}\n"},
	{cEvents, "events{\n", "\n}\n"},
	{cHTTP, "events{}\nhttp{\n", "\n}\n"},
	{cServer, "events{}\nhttp{server{\n", "\n}}\n"},
	{cLocation, "events{}\nhttp{server{location / {\n", "\n}}}\n"},
	{cServerIf, "events{}\nhttp{server{if ($uri) {\n", "\n}}}\n"},
	{cLocationIf, "events{}\nhttp{server{location / {if ($uri) {\n", "\n}}}}\n"},
	{cUpstream, "events{}\nhttp{upstream u {\n", "\n}}\n"},
}

// TestImplementedRowsMatchNginx puts every hand-written row in a context
// it does not allow and gives it an argument count it does not take, and
// checks that nginx 1.22 answers as nginxws does. (The other rows were
// generated from the same probes of the binary.)
func TestImplementedRowsMatchNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx is not installed (apt-get install nginx-light) — skipping the comparison with the real binary")
	}
	if v, _ := exec.Command(nginx, "-v").CombinedOutput(); !strings.Contains(string(v), "nginx/1.22") {
		t.Skipf("the catalogue is nginx 1.22's; found %s", strings.TrimSpace(string(v)))
	}
	done := map[string]bool{}
	for _, r := range catalogueRows {
		if done[r.name] || r.name == "include" {
			continue
		}
		done[r.name] = true
		var all ctxMask
		for _, rr := range byName[r.name] {
			all |= rr.ctx
		}
		stmt := func(n int) string {
			s := r.name + strings.Repeat(" a", n)
			if r.args&argBlock != 0 {
				return s + " {}"
			}
			return s + ";"
		}
		var confs []string
		for _, w := range contextWrap {
			if all&w.ctx == 0 {
				confs = append(confs, w.pre+stmt(1)+w.suf)
				break
			}
		}
		for _, w := range contextWrap {
			if r.ctx&w.ctx == 0 {
				continue
			}
			for n := 0; n <= maxArgs+1; n++ {
				if !r.args.argsOK(n) {
					confs = append(confs, w.pre+stmt(n)+w.suf)
					break
				}
			}
			break
		}
		for i, conf := range confs {
			c := errorCase{name: r.name, conf: conf}
			dir := writeCase(t, c)
			_, err := loadCase(t, dir)
			got := "(no error)"
			if err != nil {
				got = "[emerg] " + strings.ReplaceAll(err.Error(), dir, "CONF")
			}
			if want := nginxFirstLine(t, nginx, dir); got != want {
				t.Errorf("%s #%d:\n%s\nnginx: %s\nours:  %s", r.name, i, conf, want, got)
			}
		}
	}
}

// sampleArgs are valid arguments for the non-repeatable implemented rows
// (other rows get a value of their kind in sampleFor).
var sampleArgs = map[string]string{
	"autoindex_format": "json", "client_body_in_file_only": "on", "charset": "utf-8", "source_charset": "utf-8",
	"daemon": "off", "pid": "x.pid", "user": "root", "worker_processes": "1",
	"default_type": "a/b", "root": "/x", "alias": "/x", "try_files": "a b", "internal": "",
	"keepalive_timeout": "5s", "proxy_pass": "http://127.0.0.1:1", "proxy_http_version": "1.1",
	"proxy_buffers": "8 4k", "large_client_header_buffers": "4 8k", "proxy_next_upstream": "error",
	"server_tokens": "off", "ssl": "off", "keepalive": "2", "events": "", "http": "",
	"limit_conn_log_level": "warn", "limit_conn_status": "429", "real_ip_header": "X-Forwarded-For",
	"limit_req_log_level": "warn", "limit_req_status": "429", "satisfy": "any", "limit_except": "GET",
	"server_names_hash_bucket_size": "128", "server_names_hash_max_size": "1024",
	"map_hash_bucket_size": "128", "map_hash_max_size": "1024",
	"if_modified_since":        "before",
	"referer_hash_bucket_size": "128", "referer_hash_max_size": "1024",
	"gzip_buffers": "16 8k", "gzip_http_version": "1.0", "gzip_static": "always", "proxy_bind": "127.0.0.2",
	"lingering_close": "always",
}

func sampleFor(r *row) string {
	if v, ok := sampleArgs[r.name]; ok {
		return v
	}
	switch {
	case r.args&argFlag != 0:
		return "on"
	case strings.HasSuffix(r.name, "_timeout") || strings.HasSuffix(r.name, "_time"):
		return "5s"
	case strings.HasSuffix(r.name, "_size"):
		return "8k"
	}
	return "5"
}

// TestDuplicates writes every non-repeatable implemented directive twice
// at one level: nginx's "is duplicate" (checked against nginx when it is
// installed).
func TestDuplicates(t *testing.T) {
	nginx, _ := exec.LookPath("nginx")
	for i := range catalogueRows {
		r := &catalogueRows[i]
		if r.repeat || r.status != implemented || r.name == "include" {
			continue
		}
		for _, w := range contextWrap {
			if r.ctx&w.ctx == 0 {
				continue
			}
			stmt := strings.TrimSpace(r.name + " " + sampleFor(r))
			if r.args&argBlock != 0 {
				stmt += " {}"
			} else {
				stmt += ";"
			}
			pre := w.pre
			if w.ctx == cUpstream {
				pre += "server 127.0.0.1;\n"
			}
			conf := pre + stmt + "\n" + stmt + w.suf
			if r.name == "events" {
				conf = "events {}\nevents {}\n"
			}
			c := errorCase{name: r.name, conf: conf}
			dir := writeCase(t, c)
			_, err := loadCase(t, dir)
			want := `"` + r.name + `" directive is duplicate`
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s twice:\n%s\ngot %v, want %s", r.name, conf, err, want)
				break
			}
			if nginx != "" {
				got := "[emerg] " + strings.ReplaceAll(err.Error(), dir, "CONF")
				if n := nginxFirstLine(t, nginx, dir); n != got {
					t.Errorf("%s twice: nginx %s, ours %s", r.name, n, got)
				}
			}
			break
		}
	}
}
