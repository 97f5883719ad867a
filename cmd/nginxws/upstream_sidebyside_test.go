package main

// The upstream side-by-side suite: nginx 1.22 and nginxws run the same configuration of
// upstream blocks (every balancing method, down, backup and failing peers, response
// statuses proxy_next_upstream skips, keepalive) in front of the same backends, and play
// the same scenarios: for each method, 300 requests with distinct keys (client source
// addresses bound on 127/8, header or argument keys). What each request got — status,
// answering backend, $upstream_addr and $upstream_status — must be the same request by
// request, so for round robin in the same order; random choices cannot repeat nginx's
// random numbers and are compared by their shape (statuses, failover patterns,
// backends used).

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// upsConf is the configuration both proxies run ({{NAME}} placeholders are rendered by
// sbsRender). Failure windows are long (fail_timeout=300) or off (max_fails=0) so that a
// scenario's outcome does not depend on how fast a proxy runs it.
const upsConf = `
http {
    access_log off;
    proxy_connect_timeout 2s;
    add_header X-Up $upstream_addr always;
    add_header X-Up-Status $upstream_status always;

    upstream rr        { server {{B1}} weight=3; server {{B2}}; server {{B3}} weight=2; server {{B4}} down; }
    upstream rrbackup  { server {{DEAD1}} fail_timeout=300; server {{B1}} down; server {{B2}} backup; server {{B3}} backup weight=2; }
    upstream hash      { hash $arg_k; server {{B1}}; server {{B2}} weight=2; server {{B3}} down; server {{B4}}; }
    upstream chash     { hash $http_x_key consistent; server {{B1}}; server {{B2}} weight=2; server {{B3}} down; server {{B4}}; }
    upstream chashaddr { hash $remote_addr consistent; server {{B1}}; server {{B2}}; server {{B3}}; server {{B4}}; }
    upstream iphash    { ip_hash; server {{B1}}; server {{B2}} weight=2; server {{B3}}; server {{B4}} down; }
    upstream lc        { least_conn; server {{B1}}; server {{B2}}; server {{B3}}; }
    upstream mc        { server {{B1}} max_conns=2; server {{B2}} max_conns=1; server {{B3}} backup max_conns=1; }
    upstream mclc      { least_conn; server {{B1}} max_conns=2 weight=3; server {{B2}} max_conns=1; server {{B3}} backup; }
    upstream hcookie   { hash $cookie_x; server {{B1}}; server {{B2}} weight=2; server {{B3}}; server {{B4}} down; }
    upstream rnd       { random; server {{B1}}; server {{B2}} weight=2; server {{B3}}; }
    upstream rnd2      { random two least_conn; server {{B1}}; server {{B2}}; server {{B3}}; server {{DEAD1}} fail_timeout=300; }
    upstream failrr    { server {{DEAD1}} max_fails=0; server {{B1}}; server {{B2}}; }
    upstream failch    { hash $arg_k consistent; server {{DEAD1}} max_fails=0; server {{B1}}; server {{DEAD2}} max_fails=0; server {{B2}}; }
    upstream failip    { ip_hash; server {{DEAD1}} max_fails=0; server {{B1}}; server {{B2}}; }
    upstream faillc    { least_conn; server {{DEAD1}} fail_timeout=300; server {{B1}}; server {{B2}}; }
    upstream alldead   { server {{DEAD1}} fail_timeout=300; server {{DEAD2}} fail_timeout=300; }
    upstream status    { server {{B500}} fail_timeout=300; server {{B404}}; server {{B1}}; }
    upstream status2   { server {{B500}} max_fails=0; server {{B1}}; }
    upstream hang      { server {{HANG}} fail_timeout=300; server {{B1}}; }
    upstream ka        { server {{B1}}; server {{B2}}; keepalive 8; }
    upstream kaclose   { server {{BCLOSE}}; keepalive 8; }
    upstream kadrop    { server {{BDROP}}; keepalive 8; }

    server {
        listen {{LISTEN}};
        location /rr        { proxy_pass http://rr; }
        location /rrbackup  { proxy_pass http://rrbackup; }
        location /hash      { proxy_pass http://hash; }
        location /chash     { proxy_pass http://chash; }
        location /chashaddr { proxy_pass http://chashaddr; }
        location /iphash    { proxy_pass http://iphash; }
        location /lc {
            proxy_pass http://lc;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $http_connection;
        }
        location ~ ^/(mc|mclc)$ {
            proxy_pass http://$1;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $http_connection;
        }
        location /hcookie   { proxy_pass http://hcookie; }
        location /rnd       { proxy_pass http://rnd; }
        location /rnd2      { proxy_pass http://rnd2; }
        location /failrr    { proxy_pass http://failrr; }
        location /failch    { proxy_pass http://failch; }
        location /failip    { proxy_pass http://failip; }
        location /faillc    { proxy_pass http://faillc; }
        location /alldead   { proxy_pass http://alldead; }
        location /status    { proxy_pass http://status; proxy_next_upstream error http_500 http_404; }
        location /status2   { proxy_pass http://status2; proxy_next_upstream error http_500; }
        location /status2n  { proxy_pass http://status2; proxy_next_upstream error http_500 non_idempotent; }
        location /status2t  { proxy_pass http://status2; proxy_next_upstream error http_500; proxy_next_upstream_tries 1; }
        location /off       { proxy_pass http://failrr; proxy_next_upstream off; }
        location /hang      { proxy_pass http://hang; proxy_read_timeout 300ms; proxy_next_upstream error timeout; }
        location /direct    { proxy_pass http://{{DEAD1}}; }
        location /varups    { set $u failrr; proxy_pass http://$u; }
        location /varaddr   { proxy_pass http://$arg_a; }
        location /ka {
            proxy_pass http://ka;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /kaclose {
            proxy_pass http://kaclose;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /kadrop {
            proxy_pass http://kadrop;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`

// upsBackend is a raw HTTP/1.x backend: it answers every request with its status, an
// X-Backend header and its name as the body, keeps HTTP/1.1 connections open (unless its
// mode says otherwise), holds upgraded connections open, and counts the connections it
// accepted.
type upsBackend struct {
	name   string
	status int
	// mode: "" normal; "hang" reads and never answers; "close" answers and closes
	// the connection without saying so (an upstream dropping idle keepalive
	// connections); "dropSecond" closes a connection at its second request
	// without answering (a keepalive connection the upstream closed as the
	// request arrived).
	mode  string
	ln    net.Listener
	mu    sync.Mutex
	conns int
	live  map[net.Conn]bool
	wg    sync.WaitGroup
}

func startUpsBackend(t *testing.T, name string, status int, mode string) *upsBackend {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &upsBackend{name: name, status: status, mode: mode, ln: ln, live: map[net.Conn]bool{}}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns++
			b.live[c] = true
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				b.serve(c)
				b.mu.Lock()
				delete(b.live, c)
				b.mu.Unlock()
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for c := range b.live {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *upsBackend) addr() string { return b.ln.Addr().String() }

// reset zeroes the connection count (between scenarios).
func (b *upsBackend) reset() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.conns
	b.conns = 0
	return n
}

// waitIdle waits until the backend holds no connection open.
func (b *upsBackend) waitIdle(t *testing.T) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		n := len(b.live)
		b.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %s still has %d connections open", b.name, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func (b *upsBackend) serve(c net.Conn) {
	br := bufio.NewReader(c)
	for n := 1; ; n++ {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if b.mode == "hang" {
			_, _ = io.Copy(io.Discard, br)
			return
		}
		if strings.EqualFold(req.Header.Get("Upgrade"), "websocket") {
			fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Backend: %s\r\n\r\n", b.name)
			_ = c.SetReadDeadline(time.Time{})
			_, _ = io.Copy(c, br) // echo until the tunnel closes
			return
		}
		if b.mode == "dropSecond" && n == 2 {
			return
		}
		closing := req.Close
		conn := ""
		if closing {
			conn = "Connection: close\r\n"
		}
		fmt.Fprintf(c, "HTTP/1.1 %d X\r\nX-Backend: %s\r\nContent-Length: %d\r\n%s\r\n%s", b.status, b.name, len(b.name), conn, b.name)
		if closing || b.mode == "close" {
			return
		}
	}
}

// upsRequest is one request of a scenario.
type upsRequest struct {
	from    string // client source address ("" = 127.0.0.1)
	method  string // "" = GET
	path    string
	headers string // extra header lines, CRLF-terminated
}

// upsScenario is a named series of requests; loose scenarios (random choices) are
// compared by a summary of their results instead of request by request.
type upsScenario struct {
	name  string
	reqs  []upsRequest
	loose bool
	// tunnels are upgrade requests held open while reqs run (least_conn counts them).
	tunnels []upsRequest
	// conns lists backends whose accepted connections are compared.
	conns []string
	// settle names a backend that closes its connections after answering: the next
	// request waits until it has, so that the proxy has the close before it.
	settle string
}

// upsScenarios builds the scenarios, 300 requests per balancing method;
// vars render the addresses some requests name.
func upsScenarios(vars map[string]string) []upsScenario {
	n := func(count int, f func(i int) upsRequest) []upsRequest {
		out := make([]upsRequest, count)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	get := func(path string) func(int) upsRequest {
		return func(int) upsRequest { return upsRequest{path: path} }
	}
	upgrade := upsRequest{path: "/lc", headers: "Upgrade: websocket\r\nConnection: Upgrade\r\n"}
	return []upsScenario{
		{name: "round robin, weights and down", reqs: n(300, get("/rr"))},
		{name: "round robin, failed primary, backups", reqs: n(300, get("/rrbackup"))},
		{name: "hash $arg_k", reqs: n(300, func(i int) upsRequest {
			return upsRequest{path: "/hash?k=key" + strconv.Itoa(i*7919)}
		})},
		{name: "hash $http_x_key consistent", reqs: n(300, func(i int) upsRequest {
			return upsRequest{path: "/chash", headers: "X-Key: user-" + strconv.Itoa(i) + "\r\n"}
		})},
		{name: "hash $remote_addr consistent", reqs: n(300, func(i int) upsRequest {
			return upsRequest{path: "/chashaddr", from: fmt.Sprintf("127.0.%d.%d", i/253, i%253+2)}
		})},
		{name: "ip_hash", reqs: n(300, func(i int) upsRequest {
			return upsRequest{path: "/iphash", from: fmt.Sprintf("127.%d.%d.1", i%250+1, (i*37)%256)}
		})},
		{name: "least_conn", reqs: n(300, get("/lc"))},
		{name: "least_conn with open tunnels", tunnels: []upsRequest{upgrade, upgrade}, reqs: n(300, get("/lc"))},
		// max_conns counts tunnels: the primaries fill up, then the backup,
		// then nothing is live (502, "no live upstreams").
		{name: "max_conns reached by tunnels", tunnels: n(5, func(int) upsRequest {
			return upsRequest{path: "/mc", headers: "Upgrade: websocket\r\nConnection: Upgrade\r\n"}
		}), reqs: n(10, get("/mc"))},
		// least_conn with weights, limits and a backup: tunnels fill b2, then
		// b1 up to its limit; plain requests go to what is left.
		{name: "least_conn, max_conns and backup with open tunnels", tunnels: n(4, func(int) upsRequest {
			return upsRequest{path: "/mclc", headers: "Upgrade: websocket\r\nConnection: Upgrade\r\n"}
		}), reqs: n(10, get("/mclc"))},
		// hash on a cookie: present, empty (round robin), repeated, absent.
		{name: "hash $cookie_x", reqs: n(300, func(i int) upsRequest {
			var h string
			switch i % 5 {
			case 0:
				h = "Cookie: x=user" + strconv.Itoa(i) + "\r\n"
			case 1:
				h = "Cookie: x=\r\n"
			case 2:
				h = "Cookie: a=1; x=v" + strconv.Itoa(i) + "; x=w\r\n"
			case 3:
				h = "Cookie: a=1\r\nCookie: x=u" + strconv.Itoa(i) + "\r\n"
			}
			return upsRequest{path: "/hcookie", headers: h}
		})},
		{name: "random", loose: true, reqs: n(300, get("/rnd"))},
		{name: "random two least_conn, dead peer", loose: true, reqs: n(300, get("/rnd2"))},
		{name: "failover, round robin, max_fails=0", reqs: n(300, get("/failrr"))},
		{name: "failover, hash consistent", reqs: n(300, func(i int) upsRequest {
			return upsRequest{path: "/failch?k=" + strconv.Itoa(i)}
		})},
		{name: "failover, ip_hash", reqs: n(300, func(i int) upsRequest {
			return upsRequest{path: "/failip", from: fmt.Sprintf("127.%d.%d.1", i%250+1, (i*11)%256)}
		})},
		{name: "failover, least_conn", reqs: n(50, get("/faillc"))},
		{name: "all peers dead, then none live", reqs: n(10, get("/alldead"))},
		{name: "http_500 and http_404", reqs: n(30, get("/status"))},
		{name: "POST not retried once sent", reqs: n(10, func(int) upsRequest {
			return upsRequest{method: "POST", path: "/status2", headers: "Content-Length: 3\r\n\r\nabc"}
		})},
		{name: "POST retried with non_idempotent", reqs: n(10, func(int) upsRequest {
			return upsRequest{method: "POST", path: "/status2n", headers: "Content-Length: 3\r\n\r\nabc"}
		})},
		{name: "proxy_next_upstream_tries 1", reqs: n(10, get("/status2t"))},
		{name: "proxy_next_upstream off", reqs: n(10, get("/off"))},
		{name: "read timeout then next", reqs: n(6, get("/hang"))},
		{name: "implicit upstream, dead", reqs: n(5, get("/direct"))},
		{name: "proxy_pass with variables, upstream block", reqs: n(30, get("/varups"))},
		{name: "proxy_pass with variables, addresses", reqs: n(6, func(i int) upsRequest {
			return upsRequest{path: "/varaddr?a=" + []string{vars["DEAD1"], vars["B1"], vars["B2"]}[i%3]}
		})},
		{name: "keepalive", reqs: n(300, get("/ka")), conns: []string{"b1", "b2"}},
		{name: "keepalive, upstream closes idle connections", reqs: n(60, get("/kaclose")), conns: []string{"bclose"}, settle: "bclose"},
		{name: "keepalive, stale connection retried once", reqs: n(30, get("/kadrop")), conns: []string{"bdrop"}},
		{name: "keepalive, stale connection and POST", reqs: n(10, func(int) upsRequest {
			return upsRequest{method: "POST", path: "/kadrop", headers: "Content-Length: 3\r\n\r\nabc"}
		}), conns: []string{"bdrop"}},
	}
}

// upsDo sends one request on a new connection and describes the answer.
func upsDo(proxy string, r upsRequest) (string, net.Conn) {
	c, err := sbsDial(proxy, r.from)
	if err != nil {
		return "dial: " + err.Error(), nil
	}
	method := r.method
	if method == "" {
		method = "GET"
	}
	version, keep := "1.0", false
	if strings.Contains(r.headers, "Upgrade:") {
		version, keep = "1.1", true
	}
	head, body, _ := strings.Cut(r.headers, "\r\n\r\n")
	if head != "" && !strings.HasSuffix(head, "\r\n") {
		head += "\r\n"
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/%s\r\nHost: test\r\n%s\r\n%s", method, r.path, version, head, body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return "read: " + err.Error(), nil
	}
	if !keep {
		_, _ = io.Copy(io.Discard, resp.Body)
		c.Close()
		c = nil
	}
	return fmt.Sprintf("%d backend=%s up=[%s] status=[%s]", resp.StatusCode, resp.Header.Get("X-Backend"), resp.Header.Get("X-Up"), resp.Header.Get("X-Up-Status")), c
}

// upsRun plays every scenario against the proxy prog and returns each one's lines.
func upsRun(t *testing.T, prog, prefix, conf, listen string, backends map[string]*upsBackend, vars map[string]string) map[string][]string {
	t.Helper()
	_ = os.Remove(prefix + "error.log")
	p, err := sbsStartProc(prog, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		p.stop()
		_ = os.Rename(prefix+"error.log", prefix+"error.log."+strings.ReplaceAll(prog, "/", "_"))
	}()
	if err := p.ready(conf, prefix); err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	out := map[string][]string{}
	for _, sc := range upsScenarios(vars) {
		for _, b := range backends {
			b.reset()
		}
		var lines []string
		var held []net.Conn
		for _, tr := range sc.tunnels {
			line, c := upsDo(listen, tr)
			lines = append(lines, "tunnel: "+line)
			if c != nil {
				held = append(held, c)
			}
		}
		for _, r := range sc.reqs {
			line, _ := upsDo(listen, r)
			lines = append(lines, line)
			if sc.settle != "" {
				backends[sc.settle].waitIdle(t)
				// nginx notices the close in its event loop, which gives
				// no signal: a moment lets it, or its next request may race
				// the close (then a "502, 200" retry, which the stale
				// connection scenario covers).
				time.Sleep(20 * time.Millisecond)
			}
		}
		for _, c := range held {
			c.Close()
		}
		if sc.loose {
			lines = upsSummary(lines)
		}
		for _, name := range sc.conns {
			lines = append(lines, fmt.Sprintf("connections to %s: %d", name, backends[name].reset()))
		}
		out[sc.name] = lines
	}
	return out
}

// upsSummary reduces random results to what must agree: how many requests got each
// status with each $upstream_status pattern, and which backends answered.
func upsSummary(lines []string) []string {
	counts := map[string]int{}
	seen := map[string]bool{}
	for _, l := range lines {
		f := strings.Fields(l)
		st := l[strings.Index(l, "status=["):]
		counts[f[0]+" "+st]++
		if len(f) > 1 {
			seen[f[1]] = true
		}
	}
	var out []string
	for k, v := range counts {
		out = append(out, fmt.Sprintf("%d× %s", v, k))
	}
	for k := range seen {
		out = append(out, "seen "+k)
	}
	sort.Strings(out)
	return out
}

func TestUpstreamSideBySide(t *testing.T) {
	nginx := oracle(t)
	backends := map[string]*upsBackend{}
	for i := 1; i <= 4; i++ {
		name := "b" + strconv.Itoa(i)
		backends[name] = startUpsBackend(t, name, 200, "")
	}
	backends["b500"] = startUpsBackend(t, "b500", 500, "")
	backends["b404"] = startUpsBackend(t, "b404", 404, "")
	backends["hang"] = startUpsBackend(t, "hang", 200, "hang")
	backends["bclose"] = startUpsBackend(t, "bclose", 200, "close")
	backends["bdrop"] = startUpsBackend(t, "bdrop", 200, "dropSecond")

	prefix := t.TempDir() + "/"
	if err := os.Chmod(prefix, 0o755); err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	vars := map[string]string{
		"PREFIX": prefix, "USER": "", "LISTEN": listen,
		"B1": backends["b1"].addr(), "B2": backends["b2"].addr(), "B3": backends["b3"].addr(), "B4": backends["b4"].addr(),
		"B500": backends["b500"].addr(), "B404": backends["b404"].addr(), "HANG": backends["hang"].addr(),
		"BCLOSE": backends["bclose"].addr(), "BDROP": backends["bdrop"].addr(),
		"DEAD1": "127.0.0.1:" + strconv.Itoa(freePort(t)), "DEAD2": "127.0.0.1:" + strconv.Itoa(freePort(t)),
	}
	if os.Geteuid() == 0 {
		vars["USER"] = "user root;"
	}
	conf := sbsRender(sbsHeader, vars) + sbsRender(upsConf, vars)
	if err := os.WriteFile(prefix+"nginx.conf", []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	candidate := binary
	if os.Getenv("NGINXWS_SIDEBYSIDE") == "nginx-only" {
		candidate = nginx // checks that the scenarios are deterministic
	}
	want := upsRun(t, nginx, prefix, conf, listen, backends, vars)
	got := upsRun(t, candidate, prefix, conf, listen, backends, vars)
	for _, sc := range upsScenarios(vars) {
		t.Run(sc.name, func(t *testing.T) {
			w, g := want[sc.name], got[sc.name]
			for i := 0; i < len(w) || i < len(g); i++ {
				var x, y string
				if i < len(w) {
					x = w[i]
				}
				if i < len(g) {
					y = g[i]
				}
				if x != y {
					from := max(0, i-3)
					t.Fatalf("line %d differs from nginx 1.22\n  nginx:   %s\n  nginxws: %s\nnginx's lines %d-%d:\n  %s\nnginxws's:\n  %s",
						i+1, x, y, from+1, i+1, strings.Join(w[from:min(i+1, len(w))], "\n  "), strings.Join(g[from:min(i+1, len(g))], "\n  "))
				}
			}
			if os.Getenv("NGINXWS_SIDEBYSIDE_SHOW") != "" {
				t.Logf("nginx:\n  %s", strings.Join(w, "\n  "))
			} else if testing.Verbose() && len(w) > 0 {
				t.Logf("%d lines agree; first: %s", len(w), w[0])
			}
		})
	}
}
