package http1

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file runs the real nginx as the reference for the table tests: the
// same tables that check the Go parsers are sent to nginx and its answers
// must match them. Without nginx the oracle tests skip.

// oracleVars is what every non-proxied location returns, matched by
// reqCase.want: method, $uri, $args, $host, $request_uri, $server_protocol.
const oracleVars = `$request_method|$uri|$args|$host|$request_uri|$server_protocol`

// oracleServers are the server blocks of the test config, one port each;
// the key is reqCase.srv. The Go side builds matching Limits in limitsFor.
var oracleServers = map[string]string{
	"":      ``,
	"us":    `underscores_in_headers on;`,
	"inv":   `ignore_invalid_headers off;`,
	"small": `connection_pool_size 128; client_header_buffer_size 64; large_client_header_buffers 2 128;`,
	"nomrg": `merge_slashes off;`,
	"max":   `client_max_body_size 10;`,
}

// limitsFor returns the Limits matching an oracle server.
func limitsFor(srv string) *Limits {
	lim := DefaultLimits()
	switch srv {
	case "us":
		lim.UnderscoresInHeaders = true
	case "inv":
		lim.IgnoreInvalidHeaders = false
	case "small":
		lim.HeaderBufferSize, lim.LargeHeaderBufferSize, lim.LargeHeaderBuffers = 64, 128, 2
	case "nomrg":
		lim.MergeSlashes = false
	case "vhost":
		us := DefaultLimits()
		us.UnderscoresInHeaders = true
		lim.VirtualServer = func(host []byte) *Limits {
			if string(host) == "us.test" {
				return &us
			}
			return nil
		}
	}
	return &lim
}

type oracle struct {
	dir     string
	logSeen int64          // how much of error.log has been looked at
	ports   map[string]int // server key → port
	echo    net.Listener   // returns the request head (and body) it receives
	fake    net.Listener   // answers /up/<name> with fakeResponses[name]
	fakeMu  sync.Mutex
	fakeMap map[string]string
	cmd     *exec.Cmd
}

// startOracle runs nginx with one server per oracleServers entry plus the
// "vhost" pair and the "up" proxy server, or skips the test without nginx.
func startOracle(t *testing.T) *oracle {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			t.Skip("nginx not installed (the reference for these tests): apt-get install -y nginx-light")
		}
		bin = "/usr/sbin/nginx"
	}
	o := &oracle{dir: t.TempDir(), ports: map[string]int{}, fakeMap: map[string]string{}}
	o.echo = listen(t)
	o.fake = listen(t)
	go serveEcho(o.echo)
	go o.serveFake()
	t.Cleanup(func() { o.echo.Close(); o.fake.Close() })

	conf := o.config(t)
	path := filepath.Join(o.dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	o.cmd = exec.Command(bin, "-p", o.dir+"/", "-c", path, "-e", filepath.Join(o.dir, "error.log"))
	var stderr bytes.Buffer
	o.cmd.Stderr = &stderr
	if err := o.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.cmd.Process.Kill(); o.cmd.Wait() })
	for key, port := range o.ports {
		if !waitListening(port, 10*time.Second) {
			log, _ := os.ReadFile(filepath.Join(o.dir, "error.log"))
			t.Fatalf("nginx did not listen for %q: %s\n%s", key, stderr.String(), log)
		}
	}
	return o
}

func (o *oracle) config(t *testing.T) string {
	var b strings.Builder
	fmt.Fprintf(&b, "daemon off; master_process off; pid %[1]s/nginx.pid; error_log %[1]s/error.log info;\n", o.dir)
	b.WriteString("events { worker_connections 256; }\n")
	fmt.Fprintf(&b, "http {\n access_log off; client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy;\n", o.dir)
	fmt.Fprintf(&b, " fastcgi_temp_path %[1]s/f; uwsgi_temp_path %[1]s/u; scgi_temp_path %[1]s/s;\n", o.dir)
	echo := o.echo.Addr().String()
	for key, extra := range oracleServers {
		o.ports[key] = freePort(t)
		fmt.Fprintf(&b, " server { listen 127.0.0.1:%d; %s\n  location / { return 200 %q; }\n", o.ports[key], extra, oracleVars)
		fmt.Fprintf(&b, "  location /echo/ { proxy_pass http://%s; }\n", echo)
		fmt.Fprintf(&b, "  location /esc/ { proxy_pass http://%s/q/; }\n }\n", echo)
	}
	o.ports["vhost"] = freePort(t)
	fmt.Fprintf(&b, " server { listen 127.0.0.1:%d; location / { proxy_pass http://%s; } }\n", o.ports["vhost"], echo)
	fmt.Fprintf(&b, " server { listen 127.0.0.1:%d; server_name us.test; underscores_in_headers on; location / { proxy_pass http://%s; } }\n", o.ports["vhost"], echo)
	o.ports["status"] = freePort(t)
	fmt.Fprintf(&b, " server { listen 127.0.0.1:%d;\n", o.ports["status"])
	for code := 200; code < 600; code++ {
		fmt.Fprintf(&b, "  location = /%d { return %d; }\n", code, code)
	}
	b.WriteString(" }\n")
	o.ports["up"] = freePort(t)
	fmt.Fprintf(&b, " server { listen 127.0.0.1:%d; location /up/ { proxy_pass http://%s; } }\n}\n", o.ports["up"], o.fake.Addr())
	return b.String()
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func freePort(t *testing.T) int {
	ln := listen(t)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitListening(port int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for delay := time.Millisecond; time.Now().Before(deadline); delay = min(2*delay, 100*time.Millisecond) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return true
		}
		time.Sleep(delay)
	}
	return false
}

// serveEcho answers each request with its own head and Content-Length body
// as the response body, so a test sees what nginx sent upstream.
func serveEcho(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			var head bytes.Buffer
			n := 0
			for {
				line, err := br.ReadString('\n')
				head.WriteString(line)
				if err != nil || line == "\r\n" {
					break
				}
				if v, ok := strings.CutPrefix(strings.ToLower(line), "content-length: "); ok {
					n, _ = strconv.Atoi(strings.TrimSpace(v))
				}
			}
			body := make([]byte, n)
			io.ReadFull(br, body)
			head.Write(body)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", head.Len())
			c.Write(head.Bytes())
		}()
	}
}

// serveFake answers "GET /up/<name>" with the raw bytes registered for name.
func (o *oracle) serveFake() {
	for {
		c, err := o.fake.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			line, _ := br.ReadString('\n')
			for {
				l, err := br.ReadString('\n')
				if err != nil || l == "\r\n" {
					break
				}
			}
			f := strings.Fields(line)
			if len(f) < 2 {
				return
			}
			o.fakeMu.Lock()
			resp := o.fakeMap[strings.TrimPrefix(f[1], "/up/")]
			o.fakeMu.Unlock()
			c.Write([]byte(resp))
		}()
	}
}

// newLog returns what nginx logged since the last call.
func (o *oracle) newLog(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(o.dir, "error.log"))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) < o.logSeen {
		o.logSeen = 0
	}
	s := string(b[o.logSeen:])
	o.logSeen = int64(len(b))
	return s
}

// reply is what a client got from nginx.
type reply struct {
	none   bool   // nothing at all before the read deadline or close
	raw    string // everything received
	status int    // 0 for an HTTP/0.9 reply (no status line)
	line   string // status line
	heads  []string
	body   string
}

func (r reply) header(name string) string {
	for _, h := range r.heads {
		if k, v, _ := strings.Cut(h, ": "); strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// send writes raw to the server key and reads one reply: up to
// Content-Length when there is one, else until close; nothing within wait
// counts as no reply.
func (o *oracle) send(t *testing.T, key, raw string, wait time.Duration) reply {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(o.ports[key]))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if r, done := parseReply(got); done {
			return r
		}
		if err != nil {
			r, _ := parseReply(got)
			r.none = len(got) == 0
			return r
		}
	}
}

// parseReply splits a reply and tells whether it is complete.
func parseReply(b []byte) (reply, bool) {
	r := reply{raw: string(b)}
	if !bytes.HasPrefix(b, []byte("HTTP/")) {
		r.body = string(b)
		return r, false
	}
	head, body, ok := strings.Cut(string(b), "\r\n\r\n")
	if !ok {
		return r, false
	}
	lines := strings.Split(head, "\r\n")
	r.line = lines[0]
	r.heads = lines[1:]
	r.status, _ = strconv.Atoi(strings.Fields(r.line)[1])
	r.body = body
	if cl := r.header("content-length"); cl != "" {
		n, _ := strconv.Atoi(cl)
		return r, len(body) >= n
	}
	return r, false
}
