package main

import (
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nginxws/nginxws/proxy"
)

// inproc is nginxws running inside the test process: the same
// configuration loading, proxy.Server, watcher and signal loop as the
// binary, minus what only a process does (pid file, stderr redirect, OS
// signals — the test sends them on the loop's channel).
type inproc struct {
	p    *process
	srv  *proxy.Server
	w    *watcher
	sigs chan os.Signal
	done chan int
}

// startInProcess starts nginxws in the test process with the given
// command line.
func startInProcess(t *testing.T, argv []string) *inproc {
	t.Helper()
	ip := newInProcess(t, argv)
	ip.run(t)
	return ip
}

// newInProcess is startInProcess up to the signal loop, which run starts:
// the server serves and the watcher watches, but nothing acts on their
// signals and pokes yet.
func newInProcess(t *testing.T, argv []string) *inproc {
	t.Helper()
	o, err := parseOptions(argv)
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stderr.Close() })
	p := &process{opts: o, paths: resolvePaths(o), stdout: stderr, stderr: stderr, pid: os.Getpid()}
	startup := p.openStartupLog()
	cfg, err := p.loadConfig()
	if err != nil {
		t.Fatalf("configuration: %s", readFile(t, p.paths.errorLog))
	}
	c, err := p.openCycle(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.log.Use(c.logs)
	srv := proxy.New(cfg, p.log)
	srv.SetVersion(verBuild)
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	_ = startup.Close()
	p.log.SetMirror(false)
	go func() { _ = srv.Serve() }()
	var w *watcher
	if !o.noWatch {
		w = p.watch(cfg)
	}
	return &inproc{p: p, srv: srv, w: w, sigs: make(chan os.Signal, 8), done: make(chan int, 1)}
}

// run starts the signal loop.
func (ip *inproc) run(t *testing.T) {
	t.Helper()
	go func() {
		code := ip.p.loop(ip.srv, ip.sigs, ip.w)
		if ip.w != nil {
			ip.w.close()
		}
		_ = ip.p.log.Use(nil).Close()
		ip.done <- code
	}()
	t.Cleanup(func() {
		select {
		case ip.sigs <- syscall.SIGTERM:
		default:
		}
		ip.wait(t)
	})
}

// wait waits for the loop to return (once) and returns its code.
func (ip *inproc) wait(t *testing.T) int {
	t.Helper()
	select {
	case code, ok := <-ip.done:
		if ok {
			close(ip.done)
		}
		return code
	case <-time.After(waitTimeout):
		t.Fatalf("the in-process nginxws did not stop within %v", waitTimeout)
		return -1
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestReloadInProcess runs the acceptance scenario with nginxws inside the
// test process (under the race detector with `make test`), smaller — 200
// tunnels, 30 changes — and checks what only an in-process run can see:
// once nginxws has stopped, the process has no more goroutines than before
// it started. Tunnels, probes, watches and reloads leave nothing behind.
func TestReloadInProcess(t *testing.T) {
	backend := startBackend(t)
	before := runtime.NumGoroutine()

	dir := t.TempDir()
	l := &confLayout{dir: dir, port: freePort(t), backendPort: backend}
	l.create(t)
	ip := startInProcess(t, l.args())
	sc := &scenario{layout: l, tunnels: 200, changes: 30, sighup: func() { ip.sigs <- syscall.SIGHUP }}
	res := sc.run(t)
	res.report(t, sc)

	ip.sigs <- syscall.SIGQUIT
	if code := ip.wait(t); code != 0 {
		t.Errorf("loop returned %d after SIGQUIT, want 0", code)
	}
	checkReloadLog(t, l.errorLog(), sc)

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Errorf("%d goroutines after the run, %d before:\n%s", n, before, b.String())
	}
}

// TestReloadSignalBeforePoke: an edit the watcher has seen and a HUP, both
// waiting when the loop comes round (a reload was running), make one
// reload: the signal goes first, and the watcher's check then finds
// nothing new. A broken edit is reported once, not once per trigger.
// Without the signal first, the loop's choice between the two is random:
// five rounds see a double report but for 1 time in 32.
func TestReloadSignalBeforePoke(t *testing.T) {
	for round := range 5 {
		l := &confLayout{dir: t.TempDir(), port: freePort(t), backendPort: freePort(t)}
		l.create(t)
		ip := newInProcess(t, l.args())
		hup := filepath.Join(l.confD(), "hup.conf")
		writeInPlace(t, hup, genText("hup", 1, true))
		waitFor(t, "the watcher's poke", func() bool { return len(ip.w.pokes) == 1 })
		ip.sigs <- syscall.SIGHUP
		ip.run(t)
		waitFor(t, "the [emerg] line", func() bool { return len(emergLines(l.errorLog())) > 0 })
		// A good edit after: once it is served, both triggers of the
		// broken one have been acted on (the loop takes one at a time).
		written := time.Now()
		writeInPlace(t, hup, genText("hup", 2, false))
		if took, last := served(&http.Client{Timeout: 5 * time.Second}, l.port, "/gen/hup", "gen 2", written, 3*time.Second); took < 0 {
			t.Fatalf("round %d: /gen/hup answers %q after the fix, want \"gen 2\"", round, last)
		}
		if got := emergLines(l.errorLog()); len(got) != 1 {
			t.Fatalf("round %d: %d [emerg] lines for one broken edit and one HUP, want 1: %q", round, len(got), got)
		}
		ip.sigs <- syscall.SIGTERM
		ip.wait(t)
	}
}
