// Command tunnel measures WebSocket tunnels through nginx 1.22 and nginxws
// side by side — same configuration, same backend, one run — and prints a
// table with the ratios (`make bench`):
//
//   - (a) ping-pong: 50 connections × 1,000 round trips of 64 B each, all
//     at once: round trips per second and the 99th percentile latency;
//   - (b) bulk: one connection, 200 round trips of 1 MiB: MB/s of echoed
//     payload, and the same straight to the backend (no proxy) and through
//     a bare proxy (this command run with -bare-proxy: two io.Copy
//     goroutines per connection, which Go turns into splice(2), and
//     nothing else) — the reference for what any user-space proxy costs
//     on the machine, its third process sharing the cores with the
//     client and the backend;
//   - (c) 3,000 idle tunnels (each echoed once, then quiet): the proxy's
//     RSS growth and open descriptors per tunnel;
//   - (d), for comparison, 3,000 idle keepalive HTTP connections (each
//     served one proxied request): the proxy's RSS growth per connection;
//   - (e) as (c), over TLS: 3,000 idle wss:// tunnels to a second server
//     of the same configuration (listen … ssl, a P-256 certificate made
//     for the run, each proxy's default protocols: TLS 1.2);
//   - (f) ping-pong over one connection, 10,000 round trips of 64 B: the
//     median latency, where every message is a wake-up of its own (what a
//     mostly idle tunnel sees);
//   - (g) a reconnect storm: 2,000 tunnels, 50 at a time, each opened
//     (connect, upgrade), echoed once (64 B) and closed by the client, as
//     a fleet's clients do after a deploy: tunnels per second, and the
//     proxy's CPU time per tunnel.
//
// For (a), (b) and (g) it also prints the CPU time each proxy used per round
// trip and per MB (every thread of every process of the proxy, from
// schedstat): the proxy's own cost, which the rates show only in part,
// since the client and the backend share the machine's cores with it.
//
// The backend is the demo backend (examples/backend, a gorilla/websocket
// echo), one process for all runs. Both proxies start fresh and stay up;
// (c) is measured first, then (a), (f), (g) and (b) in -rounds interleaved rounds,
// the proxies' order swapped each round. Each figure is the median of its
// rounds, and each ratio the median of the rounds' own ratios: the two
// figures of a ratio are taken a few seconds apart, so that load from
// elsewhere on a shared machine weighs on both alike. The table also shows
// the spread of the rounds' ratios. nginx runs with its default of one
// worker per core (worker_processes auto) and worker_connections raised
// for (c); its figures are summed over master and workers.
//
// Usage:
//
//	go run ./examples/bench/tunnel -nginxws bin/nginxws -backend bin/demo-backend [-nginx nginx]
package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"math/big"

	"github.com/gorilla/websocket"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "-bare-proxy" {
		fmt.Fprintln(os.Stderr, "bare proxy:", bareProxy(os.Args[2], os.Args[3]))
		os.Exit(1)
	}
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
	single, storm           int
}

// result is one proxy's figures: (c) once, (a) and (b) for each round.
type result struct {
	rounds     []round
	rssPerTun  float64 // (c) bytes
	fdsPerTun  float64 // (c)
	rssPerKA   float64 // (d) bytes
	rssPerWSS  float64 // (e) bytes
	measuredOK bool
}

// round is one round's figures of (a) and (b).
type round struct {
	rate     float64       // (a) round trips per second
	p99      time.Duration // (a)
	cpuPerRT float64       // (a) the proxy's CPU time per round trip, µs
	bulkMBps float64       // (b)
	cpuPerMB float64       // (b) the proxy's CPU time per MB echoed, µs
	direct   float64       // (b) the same round's figure without a proxy
	bare     float64       // (b) the same round's figure through the bare proxy
	p50One   time.Duration // (f)
	opened   float64       // (g) tunnels per second
	cpuPerTu float64       // (g) the proxy's CPU time per tunnel, µs
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
	fs.IntVar(&o.single, "single", 10000, "(f) round trips over one connection")
	fs.IntVar(&o.storm, "storm", 2000, "(g) tunnels opened, echoed once and closed")
	fs.IntVar(&o.rounds, "rounds", 7, "rounds of (a) and (b); each figure is their median")
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
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bareAddr, err := freeAddr()
	if err != nil {
		return err
	}
	bare, err := startProcess(dir, "bare-proxy", bareAddr, self, "-bare-proxy", bareAddr, backendAddr)
	if err != nil {
		return err
	}
	defer bare.stop()

	ws, err := startProxy(dir, "nginxws", o.nginxws, backendAddr, o)
	if err != nil {
		return fmt.Errorf("nginxws: %w", err)
	}
	defer ws.stop()
	procs = append(procs, ws)

	// (c) first, on fresh processes.
	for _, p := range procs {
		fmt.Fprintf(os.Stderr, "tunnel bench: %s: %d idle tunnels\n", p.name, o.idle)
		if p.r.rssPerTun, p.r.fdsPerTun, err = idleCost(p.pid, p.url, o.idle, nil); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	for _, p := range procs {
		fmt.Fprintf(os.Stderr, "tunnel bench: %s: %d idle keepalive connections\n", p.name, o.idle)
		if p.r.rssPerKA, err = idleHTTPCost(p.pid, strings.TrimSuffix(strings.TrimPrefix(p.url, "ws://"), "/ws"), o.idle); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	// (e) last of the three: each measures RSS growth, and memory a
	// process freed after an earlier one would hide a later one's.
	for _, p := range procs {
		fmt.Fprintf(os.Stderr, "tunnel bench: %s: %d idle wss:// tunnels\n", p.name, o.idle)
		if p.r.rssPerWSS, _, err = idleCost(p.pid, p.tlsURL, o.idle, &tls.Config{InsecureSkipVerify: true}); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	// (a), (f) and (b), interleaved and repeated: the machine may be shared.
	// The proxies take turns going first, and the figure without a proxy
	// is taken in each round, next to theirs.
	for r := 1; r <= o.rounds; r++ {
		order := slices.Clone(procs)
		if r%2 == 0 {
			slices.Reverse(order)
		}
		figures := make(map[*proxyProc]*round, len(order))
		for _, p := range order {
			fmt.Fprintf(os.Stderr, "tunnel bench: %s: round %d, ping-pong\n", p.name, r)
			cpu0 := cpuTime(p.pid)
			rate, _, p99, err := pingPong(p.url, o.conns, o.roundTrips)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			cpu := cpuTime(p.pid) - cpu0
			figures[p] = &round{rate: rate, p99: p99, cpuPerRT: cpu.Seconds() * 1e6 / float64(o.conns*o.roundTrips)}
		}
		for _, p := range order {
			fmt.Fprintf(os.Stderr, "tunnel bench: %s: round %d, ping-pong over one connection\n", p.name, r)
			_, p50, _, err := pingPong(p.url, 1, o.single)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			figures[p].p50One = p50
		}
		for _, p := range order {
			fmt.Fprintf(os.Stderr, "tunnel bench: %s: round %d, reconnect storm\n", p.name, r)
			cpu0 := cpuTime(p.pid)
			rate, err := reconnectStorm(p.url, o.storm, 50)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			cpu := cpuTime(p.pid) - cpu0
			figures[p].opened = rate
			figures[p].cpuPerTu = cpu.Seconds() * 1e6 / float64(o.storm)
		}
		direct, err := bulk("ws://"+backendAddr+"/ws", o.bulkTrips)
		if err != nil {
			return fmt.Errorf("bulk without proxy: %w", err)
		}
		bareMB, err := bulk("ws://"+bareAddr+"/ws", o.bulkTrips)
		if err != nil {
			return fmt.Errorf("bulk through the bare proxy: %w", err)
		}
		for _, p := range order {
			fmt.Fprintf(os.Stderr, "tunnel bench: %s: round %d, bulk\n", p.name, r)
			cpu0 := cpuTime(p.pid)
			mb, err := bulk(p.url, o.bulkTrips)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			cpu := cpuTime(p.pid) - cpu0
			f := figures[p]
			f.bulkMBps, f.direct, f.bare = mb, direct, bareMB
			// bulk's warm-up round trip is counted in the CPU time too.
			f.cpuPerMB = cpu.Seconds() * 1e6 / (float64(o.bulkTrips+1) * float64(1<<20) / 1e6)
			p.r.rounds = append(p.r.rounds, *f)
			p.r.measuredOK = true
		}
	}
	var ngx result
	if len(procs) == 2 {
		ngx = procs[0].r
	}
	printTable(out, o, ngx, ws.r)
	return nil
}

// proxyProc is a running proxy and its figures.
type proxyProc struct {
	*process
	name, url, tlsURL string
	r                 result
}

// startProxy starts one proxy on the common configuration.
func startProxy(dir, name, bin, backendAddr string, o options) (*proxyProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	tlsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	addr, tlsAddr := "127.0.0.1:"+port, "127.0.0.1:"+tlsPort
	sub := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Join(sub, "logs"), 0o755); err != nil {
		return nil, err
	}
	if err := writeCertificate(sub); err != nil {
		return nil, err
	}
	conf := filepath.Join(sub, "nginx.conf")
	if err := os.WriteFile(conf, []byte(config(sub, addr, tlsAddr, backendAddr, o.idle)), 0o644); err != nil {
		return nil, err
	}
	p, err := startProcess(sub, name, addr, bin, "-p", sub+"/", "-c", conf, "-e", filepath.Join(sub, "logs/error.log"))
	if err != nil {
		return nil, err
	}
	return &proxyProc{process: p, name: name, url: "ws://" + addr + "/ws", tlsURL: "wss://" + tlsAddr + "/ws"}, nil
}

// writeCertificate writes a self-signed P-256 certificate and its key for
// the TLS server (cert.pem, key.pem in dir).
func writeCertificate(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bench"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}

// config is the configuration both proxies run: the WebSocket idiom of
// nginx's documentation, long timeouts, no access log; the same location
// again on a TLS server.
func config(dir, addr, tlsAddr, backendAddr string, idle int) string {
	return fmt.Sprintf(`daemon off;
pid %[1]s/logs/nginx.pid;
worker_processes auto;
events { worker_connections %[4]d; }
http {
    access_log off;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    server {
        listen %[2]s backlog=4096;
        location / {
            proxy_pass http://%[3]s;
        }
        location /ws {
            proxy_pass http://%[3]s;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
    server {
        listen %[5]s ssl backlog=4096;
        ssl_certificate %[1]s/cert.pem;
        ssl_certificate_key %[1]s/key.pem;
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
`, dir, addr, backendAddr, 2*idle+1024, tlsAddr)
}

// newDialer is the client: gorilla/websocket, no compression, with
// buffers of bufSize.
func newDialer(bufSize int) *websocket.Dialer {
	return &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: bufSize, WriteBufferSize: bufSize}
}

// pingPong runs conns connections at once, each doing n round trips of a
// 64 B binary message; it returns round trips per second and the median
// and 99th percentile of their latencies.
func pingPong(url string, conns, n int) (float64, time.Duration, time.Duration, error) {
	cs := make([]*websocket.Conn, conns)
	for i := range cs {
		c, _, err := newDialer(64<<10).Dial(url, nil)
		if err != nil {
			return 0, 0, 0, err
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
		return 0, 0, 0, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	return float64(len(all)) / elapsed.Seconds(), all[len(all)/2], all[len(all)*99/100], nil
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

// reconnectStorm opens n tunnels through url, conc at a time; each is
// echoed once (64 B) and closed by the client. It returns tunnels per
// second.
func reconnectStorm(url string, n, conc int) (float64, error) {
	var next atomic.Int64
	errs := make(chan error, conc)
	msg := bytes.Repeat([]byte{'s'}, 64)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := newDialer(1024)
			for next.Add(1) <= int64(n) {
				c, _, err := d.Dial(url, nil)
				if err != nil {
					errs <- err
					return
				}
				// A proxy that stops answering fails the run, not hangs it.
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				err = echo(c, msg)
				c.Close()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(n) / elapsed.Seconds(), nil
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
// tunnel. With tlsConf, the tunnels are wss:// ones.
func idleCost(pid int, url string, n int, tlsConf *tls.Config) (float64, float64, error) {
	// A first tunnel warms up what every proxy allocates once.
	warm := newDialer(64 << 10)
	warm.TLSClientConfig = tlsConf
	if c, _, err := warm.Dial(url, nil); err == nil {
		_ = echo(c, []byte("warm"))
		c.Close()
	}
	settle()
	rss0, fds0, err := usage(pid)
	if err != nil {
		return 0, 0, err
	}
	small := newDialer(1024)
	small.TLSClientConfig = tlsConf
	conns := make([]*websocket.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	err = concurrently(n, func(i int) error {
		c, _, err := small.Dial(url, nil)
		if err != nil {
			return err
		}
		conns[i] = c
		return echo(c, []byte("hello"))
	})
	if err != nil {
		return 0, 0, err
	}
	settle()
	rss1, fds1, err := usage(pid)
	if err != nil {
		return 0, 0, err
	}
	return float64(rss1-rss0) / float64(n), float64(fds1-fds0) / float64(n), nil
}

// idleHTTPCost opens n keepalive connections to addr (50 at a time), each
// served one request, lets them go idle, and returns the proxy's RSS
// growth per connection.
func idleHTTPCost(pid int, addr string, n int) (float64, error) {
	settle()
	rss0, _, err := usage(pid)
	if err != nil {
		return 0, err
	}
	conns := make([]net.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	err = concurrently(n, func(i int) error {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		conns[i] = c
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: bench\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			return fmt.Errorf("keepalive request: %s, close %v", resp.Status, resp.Close)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	settle()
	rss1, _, err := usage(pid)
	if err != nil {
		return 0, err
	}
	return float64(rss1-rss0) / float64(n), nil
}

// concurrently runs open(0) … open(n-1), 50 at a time, and returns the
// first error.
func concurrently(n int, open func(i int) error) error {
	errs := make(chan error, n)
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := open(i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
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

// cpuTime is the CPU time used so far by pid and its children (nginx's
// workers), every thread counted: the first field of each thread's
// schedstat, in nanoseconds.
func cpuTime(pid int) time.Duration {
	var total time.Duration
	for _, p := range append([]int{pid}, children(pid)...) {
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", p))
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", p, t.Name()))
			if err != nil {
				continue
			}
			if f := strings.Fields(string(b)); len(f) > 0 {
				ns, _ := strconv.ParseInt(f[0], 10, 64)
				total += time.Duration(ns)
			}
		}
	}
	return total
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

// freeAddr returns a loopback address nothing listens on.
func freeAddr() (string, error) {
	port, err := freePort()
	return "127.0.0.1:" + port, err
}

// bareProxy relays each connection to backend with two io.Copy
// goroutines, passing a FIN on: the least a user-space proxy does. It
// returns only when it can no longer accept.
func bareProxy(listen, backend string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", backend)
			if err != nil {
				return
			}
			defer u.Close()
			go func() {
				_, _ = io.Copy(u, c)
				_ = u.(*net.TCPConn).CloseWrite()
			}()
			_, _ = io.Copy(c, u)
		}()
	}
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

// median returns the median of the rounds' values of f.
func median(rs []round, f func(round) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return medianOf(v)
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// pairedRatio is the median and the spread of the rounds' ratios of one
// figure to another taken in the same round.
type pairedRatio struct{ median, lo, hi float64 }

// ratios pairs round i of ws (figure f) with round i of other (figure g).
func ratios(ws, other []round, f, g func(round) float64) (pairedRatio, bool) {
	if len(ws) == 0 || len(ws) != len(other) {
		return pairedRatio{}, false
	}
	q := make([]float64, len(ws))
	for i := range ws {
		q[i] = f(ws[i]) / g(other[i])
	}
	return pairedRatio{medianOf(q), slices.Min(q), slices.Max(q)}, true
}

// printTable writes the figures, the ratios and the targets.
func printTable(out io.Writer, o options, ngx, ws result) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
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
	// row prints a ratio of nginxws's rounds to other's, its spread and
	// its target (want reports whether the median meets it).
	row := func(label, ngxVal, wsVal string, other []round, f, g func(round) float64, target string, want func(float64) bool) {
		q, ok := ratios(ws.rounds, other, f, g)
		if !ok {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t\t%s\t\n", label, ngxVal, wsVal, target)
			return
		}
		v := ""
		if want != nil {
			v = verdict(want(q.median))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f–%.2f\t%s %s\t\n", label, ngxVal, wsVal, q.median, q.lo, q.hi, target, v)
	}
	rate := func(r round) float64 { return r.rate }
	p99 := func(r round) float64 { return float64(r.p99) }
	bulkOf := func(r round) float64 { return r.bulkMBps }
	direct := func(r round) float64 { return r.direct }
	fmt.Fprintf(tw, "measure (median of %d rounds)\tnginx 1.22\tnginxws\tnginxws/nginx\trounds' ratios\ttarget\t\n", o.rounds)
	row(fmt.Sprintf("(a) ping-pong %d×%d×64 B, round trips/s", o.conns, o.roundTrips),
		val(ngx, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, rate)) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, rate)) }),
		ngx.rounds, rate, rate, "≥ 1.00", func(q float64) bool { return q >= 1 })
	row("(a) p99 latency",
		val(ngx, func(r result) string { return ms(time.Duration(median(r.rounds, p99))) }),
		val(ws, func(r result) string { return ms(time.Duration(median(r.rounds, p99))) }),
		ngx.rounds, p99, p99, "≤ 1.00", func(q float64) bool { return q <= 1 })
	cpuRT := func(r round) float64 { return r.cpuPerRT }
	row("(a) proxy CPU per round trip, µs",
		val(ngx, func(r result) string { return fmt.Sprintf("%.1f", median(r.rounds, cpuRT)) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.1f", median(r.rounds, cpuRT)) }),
		ngx.rounds, cpuRT, cpuRT, "", nil)
	row(fmt.Sprintf("(b) bulk %d×1 MiB echo, MB/s", o.bulkTrips),
		val(ngx, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, bulkOf)) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, bulkOf)) }),
		ngx.rounds, bulkOf, bulkOf, "", nil)
	// ÷ no proxy: each proxy's rounds against the same rounds' figure
	// without a proxy; the spread and the target are nginxws's.
	ngxDirect, wsDirect := "-", "-"
	if q, ok := ratios(ngx.rounds, ngx.rounds, bulkOf, direct); ok {
		ngxDirect = fmt.Sprintf("%.2f", q.median)
	}
	if q, ok := ratios(ws.rounds, ws.rounds, bulkOf, direct); ok {
		wsDirect = fmt.Sprintf("%.2f", q.median)
		fmt.Fprintf(tw, "(b) ÷ no proxy (%.0f MB/s)\t%s\t%s\t\t%.2f–%.2f\t≥ 0.90 %s\t\n", median(ws.rounds, direct),
			ngxDirect, wsDirect, q.lo, q.hi, verdict(q.median >= 0.9))
	}
	if q, ok := ratios(ws.rounds, ws.rounds, func(r round) float64 { return r.bare }, direct); ok {
		fmt.Fprintf(tw, "(b) bare splice proxy ÷ no proxy\t\t%.2f\t\t%.2f–%.2f\t\t\n", q.median, q.lo, q.hi)
	}
	cpuMB := func(r round) float64 { return r.cpuPerMB }
	row("(b) proxy CPU per MB echoed, µs",
		val(ngx, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, cpuMB)) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, cpuMB)) }),
		ngx.rounds, cpuMB, cpuMB, "", nil)
	fmt.Fprintf(tw, "(c) %d idle tunnels, RSS per tunnel\t%s\t%s\t%s\t\t≤ 0.50 %s\t\n", o.idle,
		val(ngx, func(r result) string { return kb(r.rssPerTun) }),
		val(ws, func(r result) string { return kb(r.rssPerTun) }),
		plainRatio(ws.rssPerTun, ngx.rssPerTun), verdict(ngx.measuredOK && ws.rssPerTun <= 0.5*ngx.rssPerTun))
	fmt.Fprintf(tw, "(c) descriptors per tunnel\t%s\t%s\t%s\t\t= 2 %s\t\n",
		val(ngx, func(r result) string { return fmt.Sprintf("%.2f", r.fdsPerTun) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.2f", r.fdsPerTun) }),
		plainRatio(ws.fdsPerTun, ngx.fdsPerTun), verdict(ws.fdsPerTun < 2.05))
	fmt.Fprintf(tw, "(d) %d idle keepalive HTTP connections, RSS each\t%s\t%s\t%s\t\t\t\n", o.idle,
		val(ngx, func(r result) string { return kb(r.rssPerKA) }),
		val(ws, func(r result) string { return kb(r.rssPerKA) }),
		plainRatio(ws.rssPerKA, ngx.rssPerKA))
	fmt.Fprintf(tw, "(e) %d idle wss:// tunnels, RSS per tunnel\t%s\t%s\t%s\t\t\t\n", o.idle,
		val(ngx, func(r result) string { return kb(r.rssPerWSS) }),
		val(ws, func(r result) string { return kb(r.rssPerWSS) }),
		plainRatio(ws.rssPerWSS, ngx.rssPerWSS))
	p50One := func(r round) float64 { return float64(r.p50One) }
	row(fmt.Sprintf("(f) ping-pong 1×%d×64 B, median latency", o.single),
		val(ngx, func(r result) string { return us(time.Duration(median(r.rounds, p50One))) }),
		val(ws, func(r result) string { return us(time.Duration(median(r.rounds, p50One))) }),
		ngx.rounds, p50One, p50One, "", nil)
	opened := func(r round) float64 { return r.opened }
	row(fmt.Sprintf("(g) reconnect storm, %d tunnels, tunnels/s", o.storm),
		val(ngx, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, opened)) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, opened)) }),
		ngx.rounds, opened, opened, "", nil)
	cpuTu := func(r round) float64 { return r.cpuPerTu }
	row("(g) proxy CPU per tunnel, µs",
		val(ngx, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, cpuTu)) }),
		val(ws, func(r result) string { return fmt.Sprintf("%.0f", median(r.rounds, cpuTu)) }),
		ngx.rounds, cpuTu, cpuTu, "", nil)
	_ = tw.Flush()
}

func plainRatio(a, b float64) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/1e3) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func kb(b float64) string { return fmt.Sprintf("%.1f KB", b/1000) }
