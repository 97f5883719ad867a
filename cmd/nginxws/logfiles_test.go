package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestLogFilesOpenOrder: nginx opens the files its error_log and
// access_log directives name in the order the configuration names them
// (cycle->open_files), wherever they stand (http level, server, location,
// the main context after the http block), and stops at the first that
// fails: -t reports that one. Checked against nginx itself.
func TestLogFilesOpenOrder(t *testing.T) {
	cases := []struct{ name, conf, want string }{
		{"access logs", `http { server { listen 127.0.0.1:PORT; access_log nodir/z.log; } access_log nodir/a.log; }`, "z.log"},
		{"server error_log before http access_log", `http { access_log off; server { listen 127.0.0.1:PORT; error_log nodir/y.log; location / { access_log nodir/b.log; } } }`, "y.log"},
		{"location before server", `http { server { listen 127.0.0.1:PORT; location / { access_log nodir/b.log; } access_log nodir/a.log; } }`, "b.log"},
		{"main error_log after http", `http { access_log nodir/b.log; } error_log nodir/a.log;`, "b.log"},
		{"command line first", `http { access_log off; } error_log nodir/c.log; -g error_log nodir/d.log;`, "d.log"},
		// Without error_log, the -e file is the error log, added last
		// (ngx_log_open_default).
		{"default error log last", `http { access_log nodir/b.log; } -e nodir/a.log`, "b.log"},
	}
	run := func(t *testing.T, prog string, i int) string {
		dir := t.TempDir()
		conf, elog, _ := strings.Cut(cases[i].conf, " -e ")
		if elog == "" {
			elog = "startup.log"
		}
		conf, globals, _ := strings.Cut(conf, " -g ")
		conf = strings.ReplaceAll(conf, "PORT", strconv.Itoa(freePort(t)))
		write(t, filepath.Join(dir, "nginx.conf"), "pid "+dir+"/nginx.pid;\nevents {}\n"+conf+"\n")
		a := []string{"-t", "-p", dir + "/", "-c", filepath.Join(dir, "nginx.conf"), "-e", elog}
		if globals != "" {
			a = append(a, "-g", globals)
		}
		r := execute(t, dir, prog, a...)
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1", prog, r.code)
		}
		return normalise(r.stderr, dir)
	}
	// The last lines: the [emerg] (on the terminal, or in the log's form
	// when the -e file could not be opened), then the verdict.
	check := func(got, file string) bool {
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		n := len(lines)
		return n >= 2 && lines[n-1] == "nginxws: configuration file $DIR/nginx.conf test failed" &&
			strings.HasSuffix(lines[n-2], "[emerg] open() \"$DIR/nodir/"+file+"\" failed (2: No such file or directory)")
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(t, binary, i); !check(got, c.want) {
				t.Errorf("nginxws:\n%s\nwant it to fail on nodir/%s", got, c.want)
			}
		})
		t.Run("nginx/"+c.name, func(t *testing.T) {
			if got := run(t, oracle(t), i); !check(got, c.want) {
				t.Errorf("nginx prints:\n%s\nthe expectation says it fails on nodir/%s", got, c.want)
			}
		})
	}
}

// emergLine matches an [emerg] line of an error log, keeping its message.
var emergLine = regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: (.*)$`)

// TestReopenFailuresLikeNginx: on SIGUSR1 nginx reopens every file once,
// in the order the configuration names them, and reports each one it
// cannot open once, in the main error log (ngx_reopen_files with the
// cycle's log) — not once per level that names it, nor in a level's own
// error log. nginx's master and then its worker each reopen, so nginx's
// log holds the lines twice.
func TestReopenFailuresLikeNginx(t *testing.T) {
	want := []string{
		`open() "$DIR/logs/error.log" failed (2: No such file or directory)`,
		`open() "$DIR/logs/access.log" failed (2: No such file or directory)`,
		`open() "$DIR/logs/s.log" failed (2: No such file or directory)`,
		`open() "$DIR/logs/buf.log" failed (2: No such file or directory)`,
	}
	run := func(t *testing.T, prog string, copies int) {
		dir := t.TempDir()
		port := freePort(t)
		logs := filepath.Join(dir, "logs")
		text := "pid " + dir + "/nginx.pid;\nerror_log " + logs + "/error.log notice;\nevents {}\n" +
			"http {\n    access_log " + logs + "/access.log;\n    error_log " + logs + "/error.log;\n" +
			"    server {\n        listen 127.0.0.1:" + strconv.Itoa(port) + ";\n" +
			"        error_log " + logs + "/s.log;\n        error_log " + logs + "/error.log;\n" +
			"        location / { error_log " + logs + "/error.log; access_log " + logs + "/buf.log combined buffer=4k; }\n" +
			"    }\n    server { listen 127.0.0.1:" + strconv.Itoa(freePort(t)) + "; error_log " + logs + "/s.log; }\n}\n"
		write(t, filepath.Join(dir, "nginx.conf"), text)
		if err := os.Mkdir(logs, 0o755); err != nil {
			t.Fatal(err)
		}
		s := startProgram(t, prog, dir, filepath.Join(dir, "nginx.pid"), "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"),
			"-e", filepath.Join(dir, "startup.log"), "-g", "daemon off; user root;")
		old := filepath.Join(dir, "old")
		if err := os.Rename(logs, old); err != nil {
			t.Fatal(err)
		}
		s.signal(t, syscall.SIGUSR1)
		var got []string
		waitFor(t, "the reopen failures in the error log", func() bool {
			b, _ := os.ReadFile(filepath.Join(old, "error.log"))
			got = got[:0]
			for _, m := range emergLine.FindAllStringSubmatch(string(b), -1) {
				got = append(got, strings.ReplaceAll(m[1], dir, "$DIR"))
			}
			return len(got) >= copies*len(want)
		})
		s.signal(t, syscall.SIGTERM)
		s.wait(t)
		var all []string
		for range copies {
			all = append(all, want...)
		}
		if strings.Join(got, "\n") != strings.Join(all, "\n") {
			t.Errorf("%s: [emerg] lines:\n%s\nwant:\n%s", prog, strings.Join(got, "\n"), strings.Join(all, "\n"))
		}
		if b, _ := os.ReadFile(filepath.Join(old, "s.log")); len(b) != 0 {
			t.Errorf("%s: the server's error log got:\n%s", prog, b)
		}
	}
	t.Run("nginxws", func(t *testing.T) { run(t, binary, 1) })
	t.Run("nginx", func(t *testing.T) { run(t, oracle(t), 2) })
}

// TestLevelErrorLogStderr: an `error_log stderr;` at any level keeps
// nginx from pointing its standard error at the error log
// (cycle->log_use_stderr, ngx_log_redirect_stderr), so a location that
// logs to stderr reaches the real standard error (a container's log)
// while the others write to the file. Checked against nginx itself.
func TestLevelErrorLogStderr(t *testing.T) {
	run := func(t *testing.T, prog string) {
		dir := t.TempDir()
		port := freePort(t)
		errorLog := filepath.Join(dir, "error.log")
		write(t, filepath.Join(dir, "nginx.conf"), "pid "+dir+"/nginx.pid;\nerror_log "+errorLog+" notice;\nevents {}\n"+
			"http {\n    access_log off;\n    server {\n        listen 127.0.0.1:"+strconv.Itoa(port)+";\n        root "+dir+"/html;\n"+
			"        location /s { error_log stderr; }\n    }\n}\n")
		s := startProgram(t, prog, dir, filepath.Join(dir, "nginx.pid"), "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"),
			"-e", filepath.Join(dir, "startup.log"), "-g", "daemon off; user root;")
		for _, path := range []string{"/s/missing", "/f/missing"} {
			c := sendTo(t, port, "GET "+path+" HTTP/1.0\r\n\r\n")
			if b, err := io.ReadAll(c); err != nil || !strings.HasPrefix(string(b), "HTTP/1.1 404 ") {
				t.Fatalf("%s: %q, %v", path, b, err)
			}
			c.Close()
		}
		waitFor(t, "the /f line in the error log", func() bool {
			b, _ := os.ReadFile(errorLog)
			return strings.Contains(string(b), `"GET /f/missing HTTP/1.0"`)
		})
		s.signal(t, syscall.SIGTERM)
		s.wait(t)
		b, _ := os.ReadFile(errorLog)
		if strings.Contains(string(b), "/s/missing") {
			t.Errorf("%s: the location's stderr line went to the error log:\n%s", prog, b)
		}
		if !strings.Contains(s.stderr.String(), `open() "`+dir+`/html/s/missing" failed (2: No such file or directory)`) {
			t.Errorf("%s: stderr lacks the location's line:\n%s", prog, s.stderr)
		}
	}
	t.Run("nginxws", func(t *testing.T) { run(t, binary) })
	t.Run("nginx", func(t *testing.T) { run(t, oracle(t)) })
}
