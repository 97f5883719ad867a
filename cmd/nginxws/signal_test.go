package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSignalErrors: -s when the pid file is missing, unreadable or wrong,
// or names no process: nginx's messages, levels and exit code 1, checked
// against nginx itself when it is installed.
func TestSignalErrors(t *testing.T) {
	deadPid := exitedPid(t)

	cases := []struct {
		name    string
		prepare func(pidFile string) // nil: no pid file
		want    string
	}{
		{"missing", nil, `LOG [error] open() "$DIR/nginx.pid" failed (2: No such file or directory)`},
		{"not a number", func(p string) { write(t, p, "abc\n") }, `LOG [error] invalid PID number "abc" in "$DIR/nginx.pid"`},
		{"empty", func(p string) { write(t, p, "") }, `LOG [error] invalid PID number "" in "$DIR/nginx.pid"`},
		{"spaces", func(p string) { write(t, p, " 123 \r\n") }, `LOG [error] invalid PID number " 123 " in "$DIR/nginx.pid"`},
		{"too long", func(p string) { write(t, p, "123456789012345678901234567890\n") },
			`LOG [error] invalid PID number "1234567890123456789012" in "$DIR/nginx.pid"`},
		{"no such process", func(p string) { write(t, p, deadPid+"\n") }, `LOG [alert] kill(` + deadPid + `, 1) failed (3: No such process)`},
		{"directory", func(p string) { os.Mkdir(p, 0o755) }, `LOG [crit] pread() "$DIR/nginx.pid" failed (21: Is a directory)`},
	}
	run := func(t *testing.T, prog string, c int) string {
		dir := t.TempDir()
		pidFile := filepath.Join(dir, "nginx.pid")
		write(t, filepath.Join(dir, "nginx.conf"), "pid "+pidFile+";\nevents {}\n")
		if p := cases[c].prepare; p != nil {
			p(pidFile)
		}
		r := execute(t, dir, prog, "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"), "-e", "stderr", "-s", "reload")
		if r.code != 1 {
			t.Errorf("%s: exit %d, want 1", prog, r.code)
		}
		return normalise(r.stderr, dir)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := "LOG [notice] signal process started\n" + c.want + "\n"
			if got := run(t, binary, i); got != want {
				t.Errorf("nginxws:\n%s\nwant:\n%s", got, want)
			}
		})
	}
	nginx := oracle(t)
	for i, c := range cases {
		t.Run("nginx/"+c.name, func(t *testing.T) {
			if got, want := run(t, nginx, i), "LOG [notice] signal process started\n"+c.want+"\n"; got != want {
				t.Errorf("nginx prints:\n%s\nthe expectation says:\n%s", got, want)
			}
		})
	}
}

// TestSignalZero: nginx would kill(0, SIGHUP) — its whole process group —
// for a pid file holding 0, and truncate a number past 2147483647 to its
// pid_t (4294967297 is pid 1, 2147483648 a process group); nginxws
// refuses those numbers instead. Never run nginx on these.
func TestSignalZero(t *testing.T) {
	for _, n := range []string{"0", "4294967297", "2147483648"} {
		dir := t.TempDir()
		pidFile := filepath.Join(dir, "nginx.pid")
		write(t, filepath.Join(dir, "nginx.conf"), "pid "+pidFile+";\nevents {}\n")
		write(t, pidFile, n+"\n")
		r := nginxws(t, dir, "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"), "-e", "stderr", "-s", "reload")
		want := "LOG [notice] signal process started\nLOG [error] invalid PID number \"" + n + "\" in \"$DIR/nginx.pid\"\n"
		if got := normalise(r.stderr, dir); r.code != 1 || got != want {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant:\n%s", n, r.code, got, want)
		}
	}
}

// TestSignalSkipsCycleChecks: a signalling nginx (-s, and -t -s) reads
// the configuration to its end but stops ngx_init_cycle before the shared
// memory zones, so a zone that limit_req names and no limit_req_zone
// declares ("zero size shared memory zone") stops neither -s nor -t -s,
// where -t alone fails. Checked against nginx itself.
func TestSignalSkipsCycleChecks(t *testing.T) {
	deadPid := exitedPid(t)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"-s", []string{"-s", "reload"}, 1,
			"LOG [notice] signal process started\nLOG [alert] kill(" + deadPid + ", 1) failed (3: No such process)\n"},
		{"-t -s", []string{"-t", "-s", "reload"}, 0,
			"nginxws: the configuration file $DIR/nginx.conf syntax is ok\nnginxws: configuration file $DIR/nginx.conf test is successful\n"},
		{"-t", []string{"-t"}, 1,
			"nginxws: the configuration file $DIR/nginx.conf syntax is ok\nLOG [emerg] zero size shared memory zone \"x\"\nnginxws: configuration file $DIR/nginx.conf test failed\n"},
	}
	run := func(t *testing.T, prog string, i int) string {
		dir := t.TempDir()
		pidFile := filepath.Join(dir, "nginx.pid")
		write(t, filepath.Join(dir, "nginx.conf"), "pid "+pidFile+";\nevents {}\nhttp { server { listen 127.0.0.1:"+
			strconv.Itoa(freePort(t))+"; access_log off; limit_req zone=x; } }\n")
		write(t, pidFile, deadPid+"\n")
		r := execute(t, dir, prog, append([]string{"-p", dir + "/", "-c", filepath.Join(dir, "nginx.conf"), "-e", "stderr"}, cases[i].args...)...)
		if r.code != cases[i].code {
			t.Errorf("%s: exit %d, want %d", prog, r.code, cases[i].code)
		}
		return normalise(r.stderr, dir)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := run(t, binary, i); got != c.want {
				t.Errorf("nginxws:\n%s\nwant:\n%s", got, c.want)
			}
		})
		t.Run("nginx/"+c.name, func(t *testing.T) {
			if got := run(t, oracle(t), i); got != c.want {
				t.Errorf("nginx prints:\n%s\nthe expectation says:\n%s", got, c.want)
			}
		})
	}
}

// exitedPid is the pid of a process that has exited: what a stale pid file
// names.
func exitedPid(t *testing.T) string {
	t.Helper()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(gone.Process.Pid)
}
