package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// This file is the scenario of issue 7's acceptance tests (reload_test.go
// runs it against the built binary, reload_inproc_test.go inside the test
// process): WebSocket tunnels exchange messages and a prober opens a new
// connection every 20 ms while the configuration changes again and again —
// in-place writes, rename saves, ConfigMap-style symlink swaps, new include
// files, SIGHUP — every tenth change broken.

// backendBinary builds examples/backend once per test binary, next to the
// nginxws binary (TestMain removes that directory).
var backendBinary = sync.OnceValues(func() (string, error) {
	path := filepath.Join(filepath.Dir(binary), "demo-backend")
	out, err := exec.Command("go", "build", "-o", path, "../../examples/backend").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./examples/backend: %v\n%s", err, out)
	}
	return path, nil
})

// startBackend runs the demo backend (a WebSocket echo at /ws) as its own
// process, so that its work does not run under this binary's race
// detector, and returns its port.
func startBackend(t *testing.T) int {
	t.Helper()
	path, err := backendBinary()
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(path, "-listen", "127.0.0.1:"+strconv.Itoa(port), "-name", "b")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	waitFor(t, "the backend to listen", func() bool { return accepts(port) })
	return port
}

// Kinds of change, each on its own file and location (GET /gen/<kind>
// answers "gen N" once change N is served).
const (
	kindInPlace   = iota // conf.d/inplace.conf rewritten in place
	kindRename           // conf.d/renamed.conf saved as editors do: a new file renamed over it
	kindConfigMap        // cm/ is a ConfigMap volume: its ..data symlink is swapped
	kindAdd              // a new conf.d/add-N.conf
	kindSIGHUP           // conf.d/hup.conf rewritten, then SIGHUP
	numKinds
)

var kindNames = [numKinds]string{"in-place write", "rename save", "ConfigMap swap", "new include file", "SIGHUP"}

// confLayout is a configuration spread the way production ones are: the
// main file in a ConfigMap-style directory (every name a symlink through
// "..data"), an include of a second ConfigMap file, and a conf.d/*.conf
// glob.
type confLayout struct {
	dir         string // the test's directory
	port        int
	backendPort int
	cmVersion   int // current ..data target: cm/..vNNNN
	cmGen       string
}

func (l *confLayout) cm() string       { return filepath.Join(l.dir, "cm") }
func (l *confLayout) confD() string    { return filepath.Join(l.dir, "conf.d") }
func (l *confLayout) mainFile() string { return filepath.Join(l.cm(), "nginx.conf") }
func (l *confLayout) errorLog() string { return filepath.Join(l.dir, "logs", "error.log") }
func (l *confLayout) pidFile() string  { return filepath.Join(l.dir, "run", "nginx.pid") }

// args are the command-line options for the layout (-e keeps the
// start-up log out of the way).
func (l *confLayout) args() []string {
	return []string{"-p", l.dir + "/", "-c", l.mainFile(), "-e", filepath.Join(l.dir, "logs", "startup.log")}
}

func (l *confLayout) mainText() string {
	return `pid ` + l.pidFile() + `;
error_log ` + l.errorLog() + ` notice;
events { worker_connections 10000; }
http {
    access_log off;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    upstream backend { server 127.0.0.1:` + strconv.Itoa(l.backendPort) + `; }
    server {
        listen 127.0.0.1:` + strconv.Itoa(l.port) + `;
        location /ws {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 300s;
        }
        # Not yet there: no static file lookup, no [error] line.
        location /gen/ { return 404; }
        include ` + filepath.Join(l.cm(), "cm.conf") + `;
        include ` + filepath.Join(l.confD(), "*.conf") + `;
    }
}
`
}

// genText is an include file for location /gen/<name> answering "gen N";
// broken, its second line is an unknown directive.
func genText(name string, n int, broken bool) string {
	s := `location = /gen/` + name + ` { return 200 "gen ` + strconv.Itoa(n) + `"; }` + "\n"
	if broken {
		s += "bogus_" + strconv.Itoa(n) + " on;\n"
	}
	return s
}

// create writes the initial files: generation 0 everywhere.
func (l *confLayout) create(t *testing.T) {
	t.Helper()
	for _, d := range []string{l.cm(), l.confD(), filepath.Join(l.dir, "logs"), filepath.Join(l.dir, "run")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l.cmGen = genText("cm", 0, false)
	l.swapConfigMap(t)
	for _, name := range []string{"nginx.conf", "cm.conf"} {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(l.cm(), name)); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(l.confD(), "inplace.conf"), genText("inplace", 0, false))
	write(t, filepath.Join(l.confD(), "renamed.conf"), genText("renamed", 0, false))
	write(t, filepath.Join(l.confD(), "hup.conf"), genText("hup", 0, false))
}

// swapConfigMap publishes the ConfigMap's files as the kubelet does
// (AtomicWriter): a new timestamped directory, a ..data_tmp symlink to it
// renamed over ..data, then the old directory removed.
func (l *confLayout) swapConfigMap(t *testing.T) {
	t.Helper()
	old := l.cmVersion
	l.cmVersion++
	name := fmt.Sprintf("..v%04d", l.cmVersion)
	dir := filepath.Join(l.cm(), name)
	write(t, filepath.Join(dir, "nginx.conf"), l.mainText())
	write(t, filepath.Join(dir, "cm.conf"), l.cmGen)
	tmp := filepath.Join(l.cm(), "..data_tmp")
	if err := os.Symlink(name, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(l.cm(), "..data")); err != nil {
		t.Fatal(err)
	}
	if old > 0 {
		if err := os.RemoveAll(filepath.Join(l.cm(), fmt.Sprintf("..v%04d", old))); err != nil {
			t.Fatal(err)
		}
	}
}

// writeInPlace rewrites an existing file through the same inode, as `>`
// and most editors' "write" do.
func writeInPlace(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// renameSave saves as editors do: the new content goes to a temporary file
// that is renamed over the old one (gedit, VS Code, `sed -i`); every other
// time the old file is first moved to a backup (vim's default).
func renameSave(t *testing.T, path, text string, backup bool) {
	t.Helper()
	if backup {
		if err := os.Rename(path, path+"~"); err != nil {
			t.Fatal(err)
		}
		write(t, path, text)
		if err := os.Remove(path + "~"); err != nil {
			t.Fatal(err)
		}
		return
	}
	tmp := path + ".tmp"
	write(t, tmp, text)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// scenario is one run of the acceptance scenario against a server.
type scenario struct {
	layout  *confLayout
	tunnels int
	changes int
	// sighup sends SIGHUP to the server under test.
	sighup func()
}

// results are the figures the acceptance criteria are about.
type results struct {
	tunnelsDropped int
	exchanges      int64
	probes         int64
	probeFailures  int64
	applied        []time.Duration // good changes: write → served
	rejected       int             // broken changes rejected with file:line
	maxApply       time.Duration
}

// tunnel is one WebSocket held open through nginxws for the whole run.
type tunnel struct {
	id   int
	c    *websocket.Conn
	seq  int
	err  error
	done chan struct{}
}

// exchange sends a numbered message and reads its echo.
func (tn *tunnel) exchange() error {
	tn.seq++
	msg := "t" + strconv.Itoa(tn.id) + "-" + strconv.Itoa(tn.seq)
	_ = tn.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := tn.c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		return fmt.Errorf("tunnel %d: write %d: %w", tn.id, tn.seq, err)
	}
	_ = tn.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, got, err := tn.c.ReadMessage()
	if err != nil {
		return fmt.Errorf("tunnel %d: read %d: %w", tn.id, tn.seq, err)
	}
	if typ != websocket.TextMessage || string(got) != msg {
		return fmt.Errorf("tunnel %d: sent %q, echo %q", tn.id, msg, got)
	}
	return nil
}

// wsDialer dials the tunnels and the prober's WebSockets.
var wsDialer = websocket.Dialer{HandshakeTimeout: 10 * time.Second}

// openTunnels dials n tunnels, 16 at a time.
func openTunnels(t *testing.T, port, n int) []*tunnel {
	t.Helper()
	url := "ws://127.0.0.1:" + strconv.Itoa(port) + "/ws"
	ts := make([]*tunnel, n)
	errs := make(chan error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, resp, err := wsDialer.Dial(url, nil)
				if err != nil {
					errs <- fmt.Errorf("tunnel %d: dial: %w", i, err)
					continue
				}
				_ = resp.Body.Close()
				ts[i] = &tunnel{id: i, c: c, done: make(chan struct{})}
				if err := ts[i].exchange(); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ts
}

// keep runs a tunnel's exchanges until stop, a random 0.2–1.8 s apart,
// then one last exchange and a clean close. Its error, if any, is the
// drop.
func (tn *tunnel) keep(stop <-chan struct{}, exchanges *atomic.Int64) {
	defer close(tn.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		timer.Reset(200*time.Millisecond + rand.N(1600*time.Millisecond))
		select {
		case <-stop:
			if tn.err = tn.exchange(); tn.err == nil {
				exchanges.Add(1)
				tn.err = tn.close()
			}
			return
		case <-timer.C:
			if tn.err = tn.exchange(); tn.err != nil {
				return
			}
			exchanges.Add(1)
		}
	}
}

// close ends the tunnel with a close handshake: the echo returns the
// close frame, so nginxws relayed it both ways.
func (tn *tunnel) close() error {
	defer tn.c.Close()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
	if err := tn.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(10*time.Second)); err != nil {
		return fmt.Errorf("tunnel %d: close: %w", tn.id, err)
	}
	_ = tn.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err := tn.c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		return fmt.Errorf("tunnel %d: closing: %v", tn.id, err)
	}
	return nil
}

// prober opens a new connection every 20 ms — alternately a plain request
// (Connection: close) and a WebSocket with one echo — and counts the
// failures.
type prober struct {
	port             int
	probes, failures atomic.Int64
	mu               sync.Mutex
	firstErrors      []string
}

func (p *prober) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		var err error
		if i%2 == 0 {
			err = p.httpProbe()
		} else {
			err = p.wsProbe()
		}
		p.probes.Add(1)
		if err != nil {
			p.failures.Add(1)
			p.mu.Lock()
			if len(p.firstErrors) < 10 {
				p.firstErrors = append(p.firstErrors, time.Now().Format("15:04:05.000")+" "+err.Error())
			}
			p.mu.Unlock()
		}
	}
}

// httpProbe sends GET /gen/inplace on a new connection and wants a 200.
func (p *prober) httpProbe() error {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p.port), 5*time.Second)
	if err != nil {
		return fmt.Errorf("http probe: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET /gen/inplace HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"); err != nil {
		return fmt.Errorf("http probe: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return fmt.Errorf("http probe: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(string(body), "gen ") {
		return fmt.Errorf("http probe: %d %q %v", resp.StatusCode, body, err)
	}
	return nil
}

// wsProbe opens a WebSocket, exchanges one message and closes it.
func (p *prober) wsProbe() error {
	c, resp, err := wsDialer.Dial("ws://127.0.0.1:"+strconv.Itoa(p.port)+"/ws", nil)
	if err != nil {
		return fmt.Errorf("ws probe: %w", err)
	}
	_ = resp.Body.Close()
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.WriteMessage(websocket.TextMessage, []byte("probe")); err != nil {
		return fmt.Errorf("ws probe: %w", err)
	}
	if _, m, err := c.ReadMessage(); err != nil || string(m) != "probe" {
		return fmt.Errorf("ws probe: %q %v", m, err)
	}
	return nil
}

// served polls GET path on a keepalive connection until it answers want,
// and returns how long that took from since; it gives up after limit. On
// failure the last answer says how long the longest request took: a
// starved test process shows there, not in nginxws.
func served(client *http.Client, port int, path, want string, since time.Time, limit time.Duration) (took time.Duration, last string) {
	var slowest time.Duration
	defer func() {
		if slowest > 100*time.Millisecond {
			last += " (slowest poll " + slowest.Round(time.Millisecond).String() + ")"
		}
	}()
	for {
		polled := time.Now()
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + path)
		slowest = max(slowest, time.Since(polled))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			last = strconv.Itoa(resp.StatusCode) + " " + string(b)
			if resp.StatusCode == 200 && string(b) == want {
				return time.Since(since), last
			}
		} else {
			last = err.Error()
		}
		if time.Since(since) > limit {
			return -1, last
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// emergLines returns the [emerg] lines of the error log, without their
// time and pid.
func emergLines(path string) []string {
	b, _ := os.ReadFile(path)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if m := logPrefix.FindStringSubmatchIndex(l); m != nil && l[m[2]:m[3]] == "emerg" {
			out = append(out, "[emerg] "+l[m[1]:])
		}
	}
	return out
}

// run executes the scenario and returns its figures; a criterion that
// fails is reported with t.Errorf as it happens.
func (sc *scenario) run(t *testing.T) results {
	t.Helper()
	l := sc.layout
	var res results
	ts := openTunnels(t, l.port, sc.tunnels)
	stop := make(chan struct{})
	var exchanges atomic.Int64
	for _, tn := range ts {
		go tn.keep(stop, &exchanges)
	}
	pr := &prober{port: l.port}
	proberDone := make(chan struct{})
	go pr.run(stop, proberDone)
	stopped := false
	stopAll := func() {
		if !stopped {
			stopped = true
			close(stop)
			<-proberDone
			for _, tn := range ts {
				<-tn.done
			}
		}
	}
	defer stopAll()

	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}

	// expect is what each location answers now.
	expect := map[string]string{"/gen/inplace": "gen 0", "/gen/renamed": "gen 0", "/gen/cm": "gen 0", "/gen/hup": "gen 0"}
	emergs := len(emergLines(l.errorLog()))
	fix := -1     // the kind whose file the last (broken) change left broken
	addFile := "" // the add-N.conf a broken kindAdd change left
	for n := 1; n <= sc.changes; n++ {
		broken := n%10 == 0
		kind := n % numKinds
		switch {
		case broken:
			kind = (n / 10) % numKinds
		case fix >= 0:
			kind = fix
		}
		loc := ""
		var file string
		switch kind {
		case kindInPlace:
			loc, file = "/gen/inplace", filepath.Join(l.confD(), "inplace.conf")
			writeInPlace(t, file, genText("inplace", n, broken))
		case kindRename:
			loc, file = "/gen/renamed", filepath.Join(l.confD(), "renamed.conf")
			renameSave(t, file, genText("renamed", n, broken), n%4 == 1)
		case kindConfigMap:
			loc, file = "/gen/cm", filepath.Join(l.cm(), "cm.conf")
			l.cmGen = genText("cm", n, broken)
			l.swapConfigMap(t)
		case kindAdd:
			name := fmt.Sprintf("add-%03d", n)
			loc, file = "/gen/"+name, filepath.Join(l.confD(), name+".conf")
			if addFile != "" {
				// The fix of a broken new file: it goes, a good one comes.
				if err := os.Remove(addFile); err != nil {
					t.Fatal(err)
				}
				addFile = ""
			}
			write(t, file, genText(name, n, broken))
			if broken {
				addFile = file
			}
		case kindSIGHUP:
			loc, file = "/gen/hup", filepath.Join(l.confD(), "hup.conf")
			writeInPlace(t, file, genText("hup", n, broken))
			sc.sighup()
		}
		written := time.Now()
		if !broken {
			fix = -1
			want := "gen " + strconv.Itoa(n)
			took, last := served(client, l.port, loc, want, written, 3*time.Second)
			if took < 0 || took > time.Second {
				t.Errorf("change %d (%s): %s answers %q %v after the write (at %s), want %q within 1s; error log ends:\n%s",
					n, kindNames[kind], loc, last, took, written.Format("15:04:05.000"), want, logTail(l.errorLog(), 8))
				if took < 0 {
					took = 3 * time.Second
				}
			}
			res.applied = append(res.applied, took)
			res.maxApply = max(res.maxApply, took)
			expect[loc] = want
		} else {
			fix = kind
			want := `[emerg] unknown directive "bogus_` + strconv.Itoa(n) + `" in ` + file + ":2"
			var got []string
			deadline := written.Add(time.Second)
			for {
				got = emergLines(l.errorLog())
				if len(got) > emergs || time.Now().After(deadline) {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			switch {
			case len(got) != emergs+1:
				t.Errorf("change %d (%s, broken): %d new [emerg] lines within 1s, want 1: %q", n, kindNames[kind], len(got)-emergs, got[emergs:])
			case got[emergs] != want:
				t.Errorf("change %d (%s, broken): logged %q, want %q", n, kindNames[kind], got[emergs], want)
			default:
				res.rejected++
			}
			emergs = len(got)
		}
		// Whatever the change, every other location still answers what
		// the last good change made it answer: a broken change had no
		// effect at all.
		for _, path := range sortedKeys(expect) {
			if took, last := served(client, l.port, path, expect[path], time.Now(), 0); took < 0 {
				t.Errorf("after change %d (%s, broken %t): %s answers %q, want %q", n, kindNames[kind], broken, path, last, expect[path])
			}
		}
		if broken && kind == kindAdd {
			if _, last := served(client, l.port, loc, "", time.Now(), 0); !strings.HasPrefix(last, "404 ") {
				t.Errorf("change %d (broken new file): %s answers %q, want 404", n, loc, last)
			}
		}
	}
	if got := len(emergLines(l.errorLog())); got != emergs {
		t.Errorf("%d more [emerg] lines after the last change", got-emergs)
	}

	stopAll()
	for _, tn := range ts {
		if tn.err != nil {
			res.tunnelsDropped++
			if res.tunnelsDropped <= 10 {
				t.Errorf("dropped: %v", tn.err)
			}
		}
	}
	res.exchanges = exchanges.Load()
	res.probes = pr.probes.Load()
	res.probeFailures = pr.failures.Load()
	for _, e := range pr.firstErrors {
		t.Errorf("probe failed: %s", e)
	}
	return res
}

// logTail returns the last n lines of a log.
func logTail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// percentile returns the p-th percentile (0–100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// report checks the figures against issue 7's criteria and logs them.
func (res results) report(t *testing.T, sc *scenario) {
	t.Helper()
	broken := sc.changes / 10
	t.Logf("%d tunnels, %d changes (%d broken): %d tunnels dropped, %d exchanges; %d probes, %d failed; "+
		"apply latency p50 %v, p99 %v, max %v; %d/%d broken changes rejected with file:line",
		sc.tunnels, sc.changes, broken, res.tunnelsDropped, res.exchanges, res.probes, res.probeFailures,
		percentile(res.applied, 50), percentile(res.applied, 99), res.maxApply, res.rejected, broken)
	if res.tunnelsDropped != 0 {
		t.Errorf("%d tunnels dropped, want 0", res.tunnelsDropped)
	}
	if res.probeFailures != 0 {
		t.Errorf("%d of %d probes failed, want 0", res.probeFailures, res.probes)
	}
	if res.rejected != broken {
		t.Errorf("%d of %d broken changes rejected as expected", res.rejected, broken)
	}
	if len(res.applied) != sc.changes-broken {
		t.Errorf("%d good changes measured, want %d", len(res.applied), sc.changes-broken)
	}
}

// logCounts counts the error log's lines that match each pattern.
func logCounts(t *testing.T, path string, patterns ...string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	counts := make([]int, len(patterns))
	for i, p := range patterns {
		counts[i] = len(regexp.MustCompile(`(?m)`+p).FindAll(b, -1))
	}
	return counts
}
