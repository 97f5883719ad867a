// Command tunnel measures WebSocket tunnels through nginx 1.22 and nginxws
// side by side — same configuration, same backend, one run — and prints a
// table with the ratios (`make bench`):
//
//   - (a) ping-pong: 50 connections × 1,000 round trips of 64 B each, all
//     at once: round trips per second and the 99th percentile latency;
//   - (b) bulk: one connection, 200 round trips of 1 MiB: MB/s of echoed
//     payload, and the same straight to the backend (no proxy);
//   - (c) 3,000 idle tunnels (each echoed once, then quiet): the proxy's
//     RSS growth and open descriptors per tunnel.
//
// The backend is the demo backend (examples/backend, a gorilla/websocket
// echo), one process for all runs. Both proxies start fresh and stay up;
// (c) is measured first, then (a) and (b) in interleaved rounds (best of
// -rounds), so that load from elsewhere on the machine weighs on both alike. nginx runs with
// its default of one worker per core (worker_processes auto) and
// worker_connections raised for (c); its figures are summed over master and
// workers.
//
// Usage:
//
//	go run ./examples/bench/tunnel -nginxws bin/nginxws -backend bin/demo-backend [-nginx nginx]
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tunnel bench:", err)
		os.Exit(1)
	}
}

// options are the command line's settings.
type options struct {
	nginxws, nginx, backend string
	conns, roundTrips       int
	bulkTrips, idle, rounds int
}

// result is one proxy's figures (or the backend's alone, for bulk).
type result struct {
	rate       float64       // (a) round trips per second
	p99        time.Duration // (a)
	bulkMBps   float64       // (b)
	rssPerTun  float64       // (c) bytes
	fdsPerTun  float64       // (c)
	measuredOK bool
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tunnel bench", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.nginxws, "nginxws", "bin/nginxws", "nginxws `binary`")
	fs.StringVar(&o.nginx, "nginx", "nginx", "nginx `binary` (skipped when not found)")
	fs.StringVar(&o.backend, "backend", "bin/demo-backend", "demo backend `binary`")
	fs.IntVar(&o.conns, "conns", 50, "(a) connections")
	fs.IntVar(&o.roundTrips, "rt", 1000, "(a) round trips per connection")
	fs.IntVar(&o.bulkTrips, "bulk", 200, "(b) round trips of 1 MiB")
	fs.IntVar(&o.idle, "idle", 3000, "(c) idle tunnels")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds of (a) and (b); each figure is the best")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "nginxws-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bport, err := freePort()
	if err != nil {
		return err
	}
	backendAddr := "127.0.0.1:" + bport
	be, err := startProcess(dir, "backend", backendAddr, o.backend, "-listen", backendAddr, "-name", "bench")
	if err != nil {
		return err
	}
	defer be.stop()

	var procs []*proxyProc
	if path, err := exec.LookPath(o.nginx); err == nil {
		p, err := startProxy(dir, "nginx", path, backendAddr, o)
		if err != nil {
			return fmt.Errorf("nginx: %w", err)
		}
		defer p.stop()
		procs = append(procs, p)
	} else {
		fmt.Fprintln(os.Stderr, "tunnel bench: nginx not found; its column stays empty (apt-get install nginx-light)")
	}
	ws, err := startProxy(dir, "nginxws", o.nginxws, backendAddr, o)
	if err != nil {
		return fmt.Errorf("nginxws: %w", err)
	}
	defer ws.stop()
	procs = append(procs, ws)

	// (c) first, on fresh processes.
	for _, p := range procs {
		fmt.Fprintf(os.Stderr, "tunnel bench: %s: %d idle tunnels\n", p.name, o.idle)
		if p.r.rssPerTun, p.r.fdsPerTun, err = idleCost(p.pid, p.url, o.idle); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	// (a) and (b), interleaved and repeated: the machine may be shared,
	// and each figure is the best of the rounds, taken under the same
	// conditions for both proxies and the direct connection.
	var direct float64
	for round := 1; round <= o.rounds; round++ {
		d, err := bulk("ws://"+backendAddr+"/ws", o.bulkTrips)
		if err != nil {
			return fmt.Errorf("bulk without proxy: %w", err)
		}
		direct = max(direct, d)
		for _, p := range procs {
			fmt.Fprintf(os.Stderr, "tunnel bench: %s: round %d\n", p.name, round)
			rate, p99, err := pingPong(p.url, o.conns, o.roundTrips)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			mb, err := bulk(p.url, o.bulkTrips)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			r := &p.r
			r.rate = max(r.rate, rate)
			if r.p99 == 0 || p99 < r.p99 {
				r.p99 = p99
			}
			r.bulkMBps = max(r.bulkMBps, mb)
			r.measuredOK = true
		}
	}
	var ngx result
	if len(procs) == 2 {
		ngx = procs[0].r
	}
	printTable(out, o, ngx, ws.r, direct)
	return nil
}

// proxyProc is a running proxy and its figures.
type proxyProc struct {
	*process
	name, url string
	r         result
}

// startProxy starts one proxy on the common configuration.
func startProxy(dir, name, bin, backendAddr string, o options) (*proxyProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	sub := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Join(sub, "logs"), 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(sub, "nginx.conf")
	if err := os.WriteFile(conf, []byte(config(sub, addr, backendAddr, o.idle)), 0o644); err != nil {
		return nil, err
	}
	p, err := startProcess(sub, name, addr, bin, "-p", sub+"/", "-c", conf, "-e", filepath.Join(sub, "logs/error.log"))
	if err != nil {
		return nil, err
	}
	return &proxyProc{process: p, name: name, url: "ws://" + addr + "/ws"}, nil
}

// config is the configuration both proxies run: the WebSocket idiom of
// nginx's documentation, long timeouts, no access log.
func config(dir, addr, backendAddr string, idle int) string {
	return fmt.Sprintf(`daemon off;
pid %[1]s/logs/nginx.pid;
worker_processes auto;
events { worker_connections %[4]d; }
http {
    access_log off;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    server {
        listen %[2]s backlog=4096;
        location /ws {
            proxy_pass http://%[3]s;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
}
`, dir, addr, backendAddr, 2*idle+1024)
}

// newDialer is the client: gorilla/websocket, no compression, with
// buffers of bufSize.
func newDialer(bufSize int) *websocket.Dialer {
	return &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: bufSize, WriteBufferSize: bufSize}
}

// pingPong runs conns connections at once, each doing n round trips of a
// 64 B binary message; it returns round trips per second and the 99th
// percentile of their latencies.
func pingPong(url string, conns, n int) (float64, time.Duration, error) {
	cs := make([]*websocket.Conn, conns)
	for i := range cs {
		c, _, err := newDialer(64<<10).Dial(url, nil)
		if err != nil {
			return 0, 0, err
		}
		defer c.Close()
		cs[i] = c
	}
	lat := make([][]time.Duration, conns)
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	msg := bytes.Repeat([]byte{'p'}, 64)
	start := time.Now()
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := make([]time.Duration, 0, n)
			for range n {
				t0 := time.Now()
				if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					errs <- err
					return
				}
				if _, m, err := c.ReadMessage(); err != nil || len(m) != len(msg) {
					errs <- fmt.Errorf("echo: %d B, %v", len(m), err)
					return
				}
				l = append(l, time.Since(t0))
			}
			lat[i] = l
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	return float64(len(all)) / elapsed.Seconds(), all[len(all)*99/100], nil
}

// bulk echoes n messages of 1 MiB over one connection and returns MB/s of
// payload echoed (each MiB counted once).
func bulk(url string, n int) (float64, error) {
	c, _, err := newDialer(64<<10).Dial(url, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	// One round trip to warm up (buffers, TCP windows).
	if err := echo(c, msg); err != nil {
		return 0, err
	}
	start := time.Now()
	for range n {
		if err := echo(c, msg); err != nil {
			return 0, err
		}
	}
	return float64(n*len(msg)) / 1e6 / time.Since(start).Seconds(), nil
}

func echo(c *websocket.Conn, msg []byte) error {
	if err := c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
		return err
	}
	_, m, err := c.ReadMessage()
	if err == nil && len(m) != len(msg) {
		err = fmt.Errorf("echo of %d B came back with %d B", len(msg), len(m))
	}
	return err
}

// idleCost opens n tunnels (50 at a time), each echoing once, lets them go
// quiet, and returns the proxy's RSS growth and descriptor growth per
// tunnel.
func idleCost(pid int, url string, n int) (float64, float64, error) {
	// A first tunnel warms up what every proxy allocates once.
	if c, _, err := newDialer(64<<10).Dial(url, nil); err == nil {
		_ = echo(c, []byte("warm"))
		c.Close()
	}
	settle()
	rss0, fds0, err := usage(pid)
	if err != nil {
		return 0, 0, err
	}
	small := newDialer(1024)
	conns := make([]*websocket.Conn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, _, err := small.Dial(url, nil)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
			if err := echo(c, []byte("hello")); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	settle()
	rss1, fds1, err := usage(pid)
	if err != nil {
		return 0, 0, err
	}
	return float64(rss1-rss0) / float64(n), float64(fds1-fds0) / float64(n), nil
}

// settle gives the proxy time to go quiet: the tunnels' last bytes are
// moved and their requests' state given back, and Go's runtime returns
// freed memory in the background.
func settle() { time.Sleep(3 * time.Second) }

// usage sums the resident memory (bytes) and open descriptors of pid and
// its children (nginx's workers).
func usage(pid int) (int64, int, error) {
	var rss int64
	fds := 0
	for _, p := range append([]int{pid}, children(pid)...) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			return 0, 0, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				rss += kb << 10
			}
		}
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p))
		if err != nil {
			return 0, 0, err
		}
		fds += len(ents)
	}
	return rss, fds, nil
}

// children returns the processes whose parent is pid.
func children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The parent is the 4th field, after the command in parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 2 && f[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

// process is a started server.
type process struct {
	cmd *exec.Cmd
	pid int
}

// startProcess starts bin and waits until addr accepts connections.
func startProcess(dir, name, addr, bin string, args ...string) (*process, error) {
	logf, err := os.Create(filepath.Join(dir, name+".out"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, pid: cmd.Process.Pid}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return p, nil
		}
		select {
		case <-exited:
			out, _ := os.ReadFile(filepath.Join(dir, name+".out"))
			return nil, fmt.Errorf("%s exited: %s", name, out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.stop()
	return nil, errors.New(name + " does not listen on " + addr)
}

// stop ends the process (SIGTERM: nginx's fast shutdown) and waits for it.
func (p *process) stop() {
	_ = syscall.Kill(p.pid, syscall.SIGTERM)
	for i := 0; i < 100; i++ {
		if syscall.Kill(p.pid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(p.pid, syscall.SIGKILL)
}

// freePort returns a port nothing listens on.
func freePort() (string, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// printTable writes the figures, the ratios and the targets.
func printTable(out io.Writer, o options, ngx, ws result, direct float64) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	ratio := func(a, b float64) string {
		if a == 0 || b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	val := func(r result, f func(result) string) string {
		if !r.measuredOK {
			return "-"
		}
		return f(r)
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	fmt.Fprintln(tw, "measure\tnginx 1.22\tnginxws\tnginxws/nginx\ttarget\t")
	fmt.Fprintf(tw, "(a) ping-pong %d×%d×64 B, round trips/s\t%s\t%s\t%s\t≥ 1.00 %s\t\n", o.conns, o.roundTrips,
		val(ngx, func(r result) string { return fmt.Sprintf("%.0f", r.rate) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.0f", r.rate) }),
		ratio(ws.rate, ngx.rate), verdict(ngx.measuredOK && ws.rate >= ngx.rate))
	fmt.Fprintf(tw, "(a) p99 latency\t%s\t%s\t%s\t≤ 1.00 %s\t\n",
		val(ngx, func(r result) string { return ms(r.p99) }),
		val(ws, func(r result) string { return ms(r.p99) }),
		ratio(float64(ws.p99), float64(ngx.p99)), verdict(ngx.measuredOK && ws.p99 <= ngx.p99))
	fmt.Fprintf(tw, "(b) bulk %d×1 MiB echo, MB/s\t%s\t%s\t%s\t\t\n", o.bulkTrips,
		val(ngx, func(r result) string { return fmt.Sprintf("%.0f", r.bulkMBps) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.0f", r.bulkMBps) }),
		ratio(ws.bulkMBps, ngx.bulkMBps))
	fmt.Fprintf(tw, "(b) no proxy, MB/s: %.0f; ÷ no proxy\t%s\t%s\t\t≥ 0.90 %s\t\n", direct,
		ratio(ngx.bulkMBps, direct), ratio(ws.bulkMBps, direct), verdict(ws.bulkMBps >= 0.9*direct))
	fmt.Fprintf(tw, "(c) %d idle tunnels, RSS per tunnel\t%s\t%s\t%s\t≤ 0.50 %s\t\n", o.idle,
		val(ngx, func(r result) string { return kb(r.rssPerTun) }),
		val(ws, func(r result) string { return kb(r.rssPerTun) }),
		ratio(ws.rssPerTun, ngx.rssPerTun), verdict(ngx.measuredOK && ws.rssPerTun <= 0.5*ngx.rssPerTun))
	fmt.Fprintf(tw, "(c) descriptors per tunnel\t%s\t%s\t%s\t= 2 %s\t\n",
		val(ngx, func(r result) string { return fmt.Sprintf("%.2f", r.fdsPerTun) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.2f", r.fdsPerTun) }),
		ratio(ws.fdsPerTun, ngx.fdsPerTun), verdict(ws.fdsPerTun < 2.05))
	_ = tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func kb(b float64) string { return fmt.Sprintf("%.1f KB", b/1000) }
