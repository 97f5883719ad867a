package main

import (
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestReloadUnderLoad is issue 7's acceptance test, against the built
// binary: 1,000 WebSocket tunnels exchange messages while the
// configuration changes 100 times — in-place writes, rename saves,
// ConfigMap symlink swaps, new include files and SIGHUP, every tenth change
// broken — and a prober opens a new connection every 20 ms. No tunnel may
// drop, no probe fail; every good change must be served within 1 s of its
// write, every broken one rejected with one [emerg] naming its file:line,
// without effect. (Goroutines are counted by the in-process variant,
// TestReloadInProcess: a separate process's goroutines cannot be seen.)
func TestReloadUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: 1,000 tunnels through a second process (not with -short)")
	}
	dir := t.TempDir()
	l := &confLayout{dir: dir, port: freePort(t), backendPort: startBackend(t)}
	l.create(t)
	s := start(t, dir, l.pidFile(), l.args()...)
	sc := &scenario{layout: l, tunnels: 1000, changes: 100, sighup: func() { s.signal(t, syscall.SIGHUP) }}
	res := sc.run(t)
	res.report(t, sc)

	s.signal(t, syscall.SIGQUIT)
	if code := s.wait(t); code != 0 {
		t.Errorf("exit code %d after SIGQUIT, want 0", code)
	}
	checkReloadLog(t, l.errorLog(), sc)
}

// checkReloadLog checks the error log of a scenario: a SIGHUP notice per
// SIGHUP change, a "reconfigured" summary per reload that switched (at
// least one per good change), and nothing above [notice] but the broken
// changes' [emerg] lines.
func checkReloadLog(t *testing.T, path string, sc *scenario) {
	t.Helper()
	hups := 0
	for n := 1; n <= sc.changes; n++ {
		if n%numKinds == kindSIGHUP && n%10 != 0 || n%10 == 0 && (n/10)%numKinds == kindSIGHUP {
			hups++
		}
	}
	got := logCounts(t, path,
		`\[notice\] \d+#\d+: signal 1 \(SIGHUP\) received, reconfiguring$`,
		`\[notice\] \d+#\d+: reconfigured in `,
		`\[emerg\] `,
		`\[(alert|crit|error|warn)\] `)
	if got[0] < hups {
		t.Errorf("%d SIGHUP notices, want at least %d", got[0], hups)
	}
	if good := sc.changes - sc.changes/10; got[1] < good {
		t.Errorf("%d reload summaries, want at least %d (one per good change)", got[1], good)
	}
	if got[2] != sc.changes/10 {
		t.Errorf("%d [emerg] lines, want %d (one per broken change)", got[2], sc.changes/10)
	}
	if got[3] != 0 {
		b, _ := os.ReadFile(path)
		bad := regexp.MustCompile(`(?m)^.*\[(alert|crit|error|warn)\] .*$`).FindAllString(string(b), 5)
		t.Errorf("%d lines at [warn] or above besides [emerg], e.g.:\n%s", got[3], strings.Join(bad, "\n"))
	}
}

// shutdownConf is a configuration with a WebSocket location and the given
// worker_shutdown_timeout ("" for none).
func shutdownConf(dir string, port, backend int, timeout string) string {
	s := "pid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log notice;\n"
	if timeout != "" {
		s += "worker_shutdown_timeout " + timeout + ";\n"
	}
	return s + `events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:` + strconv.Itoa(port) + `;
        location /ws {
            proxy_pass http://127.0.0.1:` + strconv.Itoa(backend) + `;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
        }
    }
}
`
}

// TestShutdownTunnels: SIGQUIT stops accepting at once and lets tunnels
// run until worker_shutdown_timeout, then closes them and exits 0; tunnels
// that end earlier let it exit earlier; SIGTERM closes them at once.
func TestShutdownTunnels(t *testing.T) {
	backend := startBackend(t)
	for _, c := range []struct {
		name    string
		timeout string
		sig     syscall.Signal
		// clientCloses: the clients end their tunnels 300 ms after the
		// signal.
		clientCloses bool
		// min and max bound the time from the signal to the exit.
		min, max time.Duration
	}{
		{"SIGQUIT, tunnels closed at the timeout", "1s", syscall.SIGQUIT, false, 900 * time.Millisecond, 5 * time.Second},
		{"SIGQUIT, tunnels ending first", "30s", syscall.SIGQUIT, true, 250 * time.Millisecond, 5 * time.Second},
		{"SIGTERM", "30s", syscall.SIGTERM, false, 0, 2 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			port := freePort(t)
			write(t, filepath.Join(dir, "nginx.conf"), shutdownConf(dir, port, backend, c.timeout))
			s := start(t, dir, filepath.Join(dir, "nginx.pid"), args(dir)...)
			ts := openTunnels(t, port, 3)

			sent := time.Now()
			s.signal(t, c.sig)
			waitFor(t, "the listener to close", func() bool { return !accepts(port) })
			if c.sig == syscall.SIGQUIT {
				// Still relaying after the listener closed.
				for _, tn := range ts {
					if err := tn.exchange(); err != nil {
						t.Fatalf("after SIGQUIT: %v", err)
					}
				}
			}
			if c.clientCloses {
				time.Sleep(300*time.Millisecond - time.Since(sent))
				for _, tn := range ts {
					if err := tn.close(); err != nil {
						t.Fatal(err)
					}
				}
			}
			code := s.wait(t)
			took := time.Since(sent)
			if code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
			if took < c.min || took > c.max {
				t.Errorf("exited %v after the signal, want between %v and %v", took, c.min, c.max)
			}
			if !c.clientCloses {
				for _, tn := range ts {
					_ = tn.c.SetReadDeadline(time.Now().Add(5 * time.Second))
					_, _, err := tn.c.ReadMessage()
					var ne net.Error
					if err == nil || websocket.IsCloseError(err, websocket.CloseNormalClosure) || (errors.As(err, &ne) && ne.Timeout()) {
						t.Errorf("tunnel %d after exit: %v, want it closed", tn.id, err)
					}
					tn.c.Close()
				}
			}
			lines := strings.Join(logLines(t, filepath.Join(dir, "error.log"), s.pid()), "\n")
			want := "[notice] signal 3 (SIGQUIT) received, shutting down\n[notice] gracefully shutting down\n[notice] exiting\n[notice] exit"
			if c.sig == syscall.SIGTERM {
				want = "[notice] signal 15 (SIGTERM) received, exiting\n[notice] exiting\n[notice] exit"
			}
			if !strings.HasSuffix(lines, want) {
				t.Errorf("error log ends:\n%s\nwant:\n%s", lines, want)
			}
		})
	}
}

// TestReloadKeepsPeerState: upstream peer state outlives a reload for the
// peers that did not change. With max_conns=1 and one tunnel open, a
// second WebSocket gets 502 before and after a reload (the tunnel still
// counts); once the tunnel ends, one gets through.
func TestReloadKeepsPeerState(t *testing.T) {
	backend := startBackend(t)
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "nginx.conf")
	text := func(gen int) string {
		return "pid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log notice;\nevents {}\nhttp {\n" +
			"    access_log off;\n" +
			"    upstream ws { server 127.0.0.1:" + strconv.Itoa(backend) + " max_conns=1; }\n" +
			"    server {\n        listen 127.0.0.1:" + strconv.Itoa(port) + ";\n" +
			"        location = /gen { return 200 \"gen " + strconv.Itoa(gen) + "\"; }\n" +
			"        location /ws {\n            proxy_pass http://ws;\n            proxy_http_version 1.1;\n" +
			"            proxy_set_header Upgrade $http_upgrade;\n            proxy_set_header Connection \"upgrade\";\n        }\n    }\n}\n"
	}
	write(t, conf, text(0))
	start(t, dir, filepath.Join(dir, "nginx.pid"), args(dir)...)
	ts := openTunnels(t, port, 1)
	url := "ws://127.0.0.1:" + strconv.Itoa(port) + "/ws"
	refused := func(when string) {
		t.Helper()
		c, resp, err := wsDialer.Dial(url, nil)
		if err == nil {
			c.Close()
			t.Fatalf("%s: a second tunnel got through max_conns=1", when)
		}
		if resp == nil || resp.StatusCode != 502 {
			t.Fatalf("%s: %v, want a 502", when, err)
		}
		_ = resp.Body.Close()
	}
	refused("before the reload")

	writeInPlace(t, conf, text(1))
	client := &http.Client{Timeout: 5 * time.Second}
	if took, last := served(client, port, "/gen", "gen 1", time.Now(), 3*time.Second); took < 0 {
		t.Fatalf("the reload was not served: %s", last)
	}
	refused("after the reload")
	if err := ts[0].exchange(); err != nil {
		t.Fatalf("the tunnel after the reload: %v", err)
	}

	if err := ts[0].close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a tunnel once the first ended", func() bool {
		c, resp, err := wsDialer.Dial(url, nil)
		if err != nil {
			if resp != nil {
				_ = resp.Body.Close()
			}
			return false
		}
		c.Close()
		return true
	})
}
