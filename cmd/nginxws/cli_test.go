package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	r := nginxws(t, t.TempDir(), "-v")
	want := "nginxws version: nginxws/" + Version + " (compatible with nginx/1.22.1)\n"
	if r.code != 0 || r.stderr != want || r.stdout != "" {
		t.Errorf("-v: exit %d, stderr %q, stdout %q; want exit 0 and %q on stderr", r.code, r.stderr, r.stdout, want)
	}
}

func TestVersionConfigure(t *testing.T) {
	r := nginxws(t, t.TempDir(), "-V")
	lines := strings.Split(r.stderr, "\n")
	if r.code != 0 || len(lines) != 5 || lines[4] != "" {
		t.Fatalf("-V: exit %d, stderr %q: want 4 lines, exit 0", r.code, r.stderr)
	}
	if lines[1] != "built with "+runtime.Version() {
		t.Errorf("second line %q, want the Go version", lines[1])
	}
	// nginx built with TLS says so next (ngx_show_version_info).
	if lines[2] != "TLS SNI support enabled" {
		t.Errorf("third line %q, want nginx's %q", lines[2], "TLS SNI support enabled")
	}
	args := strings.Fields(strings.TrimPrefix(lines[3], "configure arguments:"))
	if !strings.HasPrefix(lines[3], "configure arguments: --") {
		t.Fatalf("fourth line %q is not nginx's configure line", lines[3])
	}
	has := map[string]bool{}
	for _, a := range args {
		has[a] = true
	}
	// The paths nginxws defaults to, as a tool reading nginx -V finds them.
	for _, a := range []string{"--prefix=/usr/share/nginx", "--conf-path=/etc/nginx/nginx.conf",
		"--error-log-path=/var/log/nginx/error.log", "--pid-path=/run/nginx.pid",
		"--http-client-body-temp-path=/var/lib/nginx/body", "--http-proxy-temp-path=/var/lib/nginx/proxy"} {
		if !has[a] {
			t.Errorf("-V lacks %s", a)
		}
	}
	// Default modules nginxws lacks are announced; the ones it implements are
	// not; optional ones it implements are, as --with-.
	for _, m := range []string{"http_fastcgi_module", "http_ssi_module", "http_memcached_module"} {
		if !has["--without-"+m] {
			t.Errorf("-V does not say --without-%s", m)
		}
	}
	for _, m := range []string{"http_proxy_module", "http_map_module", "http_rewrite_module", "http_access_module",
		"http_upstream_hash_module", "http_gzip_module", "http_limit_req_module", "http_auth_basic_module",
		"http_charset_module", "http_autoindex_module", "http_referer_module", "http_geo_module"} {
		if has["--without-"+m] {
			t.Errorf("-V says --without-%s, which nginxws implements", m)
		}
	}
	for _, m := range []string{"http_realip_module", "http_stub_status_module", "http_ssl_module", "http_auth_request_module"} {
		if !has["--with-"+m] {
			t.Errorf("-V does not say --with-%s, which nginxws implements", m)
		}
	}
}

// TestHelp compares -h with nginx's own text: the same lines, with
// nginxws's name, alignment and default error log.
func TestHelp(t *testing.T) {
	for _, flag := range []string{"-h", "-?"} {
		r := nginxws(t, t.TempDir(), flag)
		if r.code != 0 || !strings.HasPrefix(r.stderr, versionLine()+"Usage: nginxws [-?hvVtTq]") {
			t.Fatalf("%s: exit %d, stderr:\n%s", flag, r.code, r.stderr)
		}
	}
	nginx := oracle(t)
	want := execute(t, t.TempDir(), nginx, "-h").stderr
	want = strings.Replace(want, "nginx version: nginx/1.22.1\n", versionLine(), 1)
	want = strings.Replace(want, "Usage: nginx ", "Usage: nginxws ", 1)
	want = strings.Replace(want, "\n             [-e", "\n               [-e", 1)
	want = strings.Replace(want, "(default: stderr)", "(default: /var/log/nginx/error.log)", 1)
	// -w and -j are nginxws's own options (watching the configuration
	// files; JSON error log lines).
	want = strings.Replace(want, "[-g directives]\n", "[-g directives] [-w on|off] [-j]\n", 1)
	want = strings.Replace(want, "out of configuration file\n", "out of configuration file\n"+
		"  -w on|off     : reload when a configuration file changes (default: on)\n"+
		"  -j            : write error log lines as JSON objects (zerolog) instead of nginx's text\n", 1)
	if got := nginxws(t, t.TempDir(), "-h").stderr; got != want {
		t.Errorf("-h differs from nginx's\n--- want:\n%s--- got:\n%s", want, got)
	}
}

// TestBadOptions: nginx's wording and exit code for every malformed command
// line, checked against nginx itself when it is installed.
func TestBadOptions(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-x"}, `invalid option: "x"`},
		{[]string{"-tx"}, `invalid option: "x"`},
		{[]string{"-t", "extra"}, `invalid option: "extra"`},
		{[]string{"--"}, `invalid option: "-"`},
		{[]string{"--help"}, `invalid option: "-"`},
		{[]string{"-c"}, `option "-c" requires file name`},
		{[]string{"-p"}, `option "-p" requires directory name`},
		{[]string{"-e"}, `option "-e" requires file name`},
		{[]string{"-g"}, `option "-g" requires parameter`},
		{[]string{"-s"}, `option "-s" requires parameter`},
		{[]string{"-s", "restart"}, `invalid option: "-s restart"`},
		{[]string{"-sfoo"}, `invalid option: "-s foo"`},
		{[]string{"-h", "-x"}, `invalid option: "x"`},
	}
	for _, c := range cases {
		r := nginxws(t, t.TempDir(), c.args...)
		if want := "nginxws: " + c.want + "\n"; r.code != 1 || r.stderr != want || r.stdout != "" {
			t.Errorf("nginxws %v: exit %d, stderr %q; want exit 1, %q", c.args, r.code, r.stderr, want)
		}
	}
	nginx := oracle(t)
	for _, c := range cases {
		n := execute(t, t.TempDir(), nginx, c.args...)
		if got := normalise(n.stderr, ""); got != "nginxws: "+c.want+"\n" || n.code != 1 {
			t.Errorf("nginx %v says %q (exit %d): the expectation is out of date", c.args, n.stderr, n.code)
		}
	}
}

func TestParseOptions(t *testing.T) {
	o, err := parseOptions([]string{"-tq", "-cfile.conf", "-p", "", "-e", "stderr", "-g", "daemon off;", "-", "-sreload"})
	if err != nil {
		t.Fatal(err)
	}
	want := options{test: true, quiet: true, confFile: "file.conf", confSet: true, prefixSet: true,
		errorSet: true, globals: "daemon off;", signal: "reload"}
	if *o != want {
		t.Errorf("got %+v\nwant %+v", *o, want)
	}
	p := resolvePaths(&options{prefix: "rel", prefixSet: true, confFile: "x.conf", confSet: true, errorLog: "e.log", errorSet: true})
	if p != (paths{prefix: "rel/", conf: "rel/x.conf", errorLog: "rel/e.log"}) {
		t.Errorf("relative prefix: %+v", p)
	}
	p = resolvePaths(&options{confFile: "/abs.conf", confSet: true})
	if p != (paths{prefix: "/usr/share/nginx/", conf: "/abs.conf", errorLog: "/var/log/nginx/error.log"}) {
		t.Errorf("defaults: %+v", p)
	}
}

// testConf is a minimal valid configuration that nginx accepts too.
func testConf(dir string, port int) string {
	return "pid " + dir + "/nginx.pid;\n" +
		"error_log " + dir + "/error.log;\n" +
		"events {}\n" +
		"http {\n    access_log off;\n    server { listen 127.0.0.1:" + strconv.Itoa(port) + "; }\n}\n"
}

func TestTestSuccess(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	write(t, conf, testConf(dir, freePort(t)))
	r := nginxws(t, dir, "-t", "-p", dir+"/", "-c", conf, "-e", filepath.Join(dir, "startup.log"))
	want := "nginxws: the configuration file " + conf + " syntax is ok\n" +
		"nginxws: configuration file " + conf + " test is successful\n"
	if r.code != 0 || r.stderr != want || r.stdout != "" {
		t.Fatalf("exit %d\nstderr:\n%s\nstdout:\n%s\nwant exit 0 and:\n%s", r.code, r.stderr, r.stdout, want)
	}
	// Like nginx, -t proves the pid file can be created, and leaves it empty.
	if b, err := os.ReadFile(filepath.Join(dir, "nginx.pid")); err != nil || len(b) != 0 {
		t.Errorf("pid file after -t: %q, %v; want an empty file", b, err)
	}
}

func TestTestFailure(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	write(t, conf, "events {}\nbogus_directive on;\n")
	startup := filepath.Join(dir, "startup.log")
	r := nginxws(t, dir, "-t", "-p", dir+"/", "-c", conf, "-e", startup)
	emerg := `unknown directive "bogus_directive" in ` + conf + ":2"
	want := "nginxws: [emerg] " + emerg + "\nnginxws: configuration file " + conf + " test failed\n"
	if r.code != 1 || r.stderr != want {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", r.code, r.stderr, want)
	}
	// The start-up log (-e) has the same message in the log-file form.
	b, _ := os.ReadFile(startup)
	if got := normalise(string(b), dir); got != "LOG [emerg] "+strings.ReplaceAll(emerg, dir, "$DIR")+"\n" {
		t.Errorf("start-up log has %q", b)
	}
	// With -e stderr, the message comes in the log-file form on stderr, as
	// Debian's nginx prints it by default.
	r = nginxws(t, dir, "-t", "-p", dir+"/", "-c", conf, "-e", "stderr")
	if got := normalise(r.stderr, dir); got != "LOG [emerg] "+strings.ReplaceAll(emerg, dir, "$DIR")+"\nnginxws: configuration file $DIR/nginx.conf test failed\n" {
		t.Errorf("-e stderr: %q", r.stderr)
	}
}

func TestTestQuiet(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	write(t, conf, testConf(dir, freePort(t)))
	e := filepath.Join(dir, "startup.log")
	if r := nginxws(t, dir, "-t", "-q", "-p", dir+"/", "-c", conf, "-e", e); r.code != 0 || r.stderr != "" {
		t.Errorf("-t -q on a valid file: exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
	}
	write(t, conf, "events {}\nbogus_directive on;\n")
	r := nginxws(t, dir, "-tq", "-p", dir+"/", "-c", conf, "-e", e)
	want := `nginxws: [emerg] unknown directive "bogus_directive" in ` + conf + ":2\nnginxws: configuration file " + conf + " test failed\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("-t -q on a broken file: exit %d, stderr %q; want 1 and %q", r.code, r.stderr, want)
	}
}

// TestTestDump: -T prints every file read, once, after nginx's two lines,
// in nginx's layout; compared with nginx's own -T when installed.
func TestTestDump(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	main := "pid " + dir + "/nginx.pid;\nevents {}\nhttp {\n    access_log off;\n    include conf.d/a.conf;\n    include conf.d/*.conf;\n}\n"
	port := strconv.Itoa(freePort(t))
	inc := "server { listen 127.0.0.1:" + port + "; }" // no final newline
	write(t, conf, main)
	write(t, filepath.Join(dir, "conf.d", "a.conf"), inc)
	args := []string{"-T", "-p", dir + "/", "-c", conf, "-e", filepath.Join(dir, "startup.log")}
	r := nginxws(t, dir, args...)
	wantOut := "# configuration file " + conf + ":\n" + main + "\n" +
		"# configuration file " + filepath.Join(dir, "conf.d", "a.conf") + ":\n" + inc + "\n"
	// The server is read twice, which nginx warns about.
	wantErr := `nginxws: [warn] conflicting server name "" on 127.0.0.1:` + port + ", ignored\n" +
		"nginxws: the configuration file " + conf + " syntax is ok\n" +
		"nginxws: configuration file " + conf + " test is successful\n"
	if r.code != 0 || r.stdout != wantOut || r.stderr != wantErr {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant stdout:\n%s", r.code, r.stdout, r.stderr, wantOut)
	}
	// -q keeps warnings (and errors), drops the two lines.
	if q := nginxws(t, dir, append([]string{"-q"}, args...)...); q.stdout != wantOut || q.stderr != strings.SplitAfter(wantErr, "\n")[0] {
		t.Errorf("-T -q: stdout %q stderr %q; want the dump and the warning", q.stdout, q.stderr)
	}
	nginx := oracle(t)
	n := execute(t, dir, nginx, args...)
	if n.stdout != r.stdout || normalise(n.stderr, dir) != normalise(r.stderr, dir) {
		t.Errorf("nginx -T prints\n%s%s\nnginxws -T prints\n%s%s", n.stderr, n.stdout, r.stderr, r.stdout)
	}
}

// TestPrefixAndGlobals: -p makes relative -c, -e and pid paths relative to
// it (a relative prefix stays relative in messages, as in nginx), and -g
// adds directives.
func TestPrefixAndGlobals(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "site")
	write(t, filepath.Join(dir, "conf", "nginx.conf"), "events {}\n")
	r := nginxws(t, parent, "-t", "-p", "site", "-c", "conf/nginx.conf", "-e", "logs.err", "-g", "pid run/x.pid;")
	if r.code != 1 {
		t.Fatalf("exit %d (the pid directory does not exist), stderr:\n%s", r.code, r.stderr)
	}
	want := "nginxws: the configuration file site/conf/nginx.conf syntax is ok\n" +
		`nginxws: [emerg] open() "site/run/x.pid" failed (2: No such file or directory)` + "\n" +
		"nginxws: configuration file site/conf/nginx.conf test failed\n"
	if r.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "logs.err")); err != nil {
		t.Errorf("-e logs.err was not created under the prefix: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	r = nginxws(t, parent, "-t", "-p", "site", "-c", "conf/nginx.conf", "-e", "logs.err", "-g", "pid run/x.pid;")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "x.pid")); err != nil {
		t.Errorf("-g pid was not honoured: %v", err)
	}
}

// TestEmptyPrefix: an empty -p prefixes nothing, so relative paths in the
// configuration (pid, logs) stay relative to the working directory and
// are printed so, rather than falling back to the default prefix;
// compared with nginx.
func TestEmptyPrefix(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "conf", "nginx.conf"), "pid run/nginx.pid;\nerror_log run/error.log;\nevents {}\n")
	args := []string{"-t", "-p", "", "-c", "conf/nginx.conf", "-e", "startup.log"}
	r := nginxws(t, dir, args...)
	want := "nginxws: the configuration file conf/nginx.conf syntax is ok\n" +
		`nginxws: [emerg] open() "run/nginx.pid" failed (2: No such file or directory)` + "\n" +
		"nginxws: configuration file conf/nginx.conf test failed\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", r.code, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "startup.log")); err != nil {
		t.Errorf("-e startup.log was not created in the working directory: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	r = nginxws(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "nginx.pid")); err != nil {
		t.Errorf("the pid file is not in the working directory: %v", err)
	}
	nginx := oracle(t)
	if err := os.RemoveAll(filepath.Join(dir, "run")); err != nil {
		t.Fatal(err)
	}
	if n := execute(t, dir, nginx, args...); normalise(n.stderr, dir) != normalise(want, "") {
		t.Errorf("nginx prints:\n%s", n.stderr)
	}
}

// TestStartupLogUnusable: a -e file that cannot be opened is reported and
// replaced by stderr, as nginx does; compared with nginx.
func TestStartupLogUnusable(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	write(t, conf, "events {}\nbogus_directive on;\n")
	args := []string{"-t", "-p", dir + "/", "-c", conf, "-e", filepath.Join(dir, "missing", "e.log")}
	r := nginxws(t, dir, args...)
	want := `nginxws: [alert] could not open error log file: open() "$DIR/missing/e.log" failed (2: No such file or directory)` + "\n" +
		`LOG [emerg] unknown directive "bogus_directive" in $DIR/nginx.conf:2` + "\n" +
		"nginxws: configuration file $DIR/nginx.conf test failed\n"
	if got := normalise(r.stderr, dir); r.code != 1 || got != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", r.code, got, want)
	}
	nginx := oracle(t)
	if n := execute(t, dir, nginx, args...); normalise(n.stderr, dir) != want {
		t.Errorf("nginx prints:\n%s", normalise(n.stderr, dir))
	}
}

// TestTestBindCheck: -t binds the listen addresses: one the host does not
// have fails the test with nginx's message; one in use (by a running
// server) does not.
func TestTestBindCheck(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	e := filepath.Join(dir, "startup.log")
	write(t, conf, "pid "+dir+"/nginx.pid;\nerror_log "+dir+"/error.log;\nevents {}\nhttp {\n    access_log off;\n    server { listen 192.0.2.1:18999; }\n}\n")
	r := nginxws(t, dir, "-t", "-p", dir+"/", "-c", conf, "-e", e)
	want := "nginxws: the configuration file " + conf + " syntax is ok\n" +
		"nginxws: [emerg] bind() to 192.0.2.1:18999 failed (99: Cannot assign requested address)\n" +
		"nginxws: configuration file " + conf + " test failed\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", r.code, r.stderr, want)
	}

	ln, port := occupy(t)
	defer ln.Close()
	write(t, conf, testConf(dir, port))
	if r := nginxws(t, dir, "-t", "-q", "-p", dir+"/", "-c", conf, "-e", e); r.code != 0 || r.stderr != "" {
		t.Errorf("-t with the port in use: exit %d, stderr %q; want success", r.code, r.stderr)
	}
}

// TestTestCreatesPaths: like nginx (ngx_create_paths), -t makes the
// directories of *_temp_path and *_cache_path (one level, 0700), after the
// "syntax is ok" line, and fails where it cannot: Nginx Proxy Manager's
// proxy_cache_path under a directory that does not exist yet.
func TestTestCreatesPaths(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	base := testConf(dir, freePort(t))
	paths := "http {\n    proxy_temp_path tmp/;\n    proxy_cache_path cache keys_zone=c:1m;\n"
	write(t, conf, strings.Replace(base, "http {\n", paths, 1))
	r := nginxws(t, dir, "-t", "-p", dir+"/", "-c", conf, "-e", filepath.Join(dir, "startup.log"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, name := range []string{"tmp", "cache"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s after -t: %v %v", name, fi, err)
		}
	}

	write(t, conf, strings.Replace(base, "http {\n", "http {\n    proxy_cache_path nosuch/public keys_zone=public-cache:30m;\n", 1))
	r = nginxws(t, dir, "-t", "-p", dir+"/", "-c", conf, "-e", filepath.Join(dir, "startup.log"))
	want := "nginxws: [warn] \"proxy_cache_path\" directive is ignored in " + conf + ":5\n" +
		"nginxws: the configuration file " + conf + " syntax is ok\n" +
		"nginxws: [emerg] mkdir() \"" + dir + "/nosuch/public\" failed (2: No such file or directory)\n" +
		"nginxws: configuration file " + conf + " test failed\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d\nstderr:\n%s\nwant exit 1 and:\n%s", r.code, r.stderr, want)
	}
}
