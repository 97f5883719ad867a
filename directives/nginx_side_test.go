package directives

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The side-by-side tests run the real nginx 1.22 on 127.0.0.1 (and ::1)
// with an ephemeral port, send it raw requests, and compare what it logs
// or answers with what the engine evaluates for the same request through
// testReq. Every expectation is nginx's own answer, not a copy of it.

// sideNginx is a running nginx.
type sideNginx struct {
	dir  string
	port int
	cmd  *exec.Cmd
	// logOff is how much of the access log has been read.
	logOff int
}

// freePort returns a TCP port free on 127.0.0.1 and ::1, with the next
// port free on all addresses.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		l6, err := net.Listen("tcp6", fmt.Sprintf("[::1]:%d", port))
		if err != nil {
			continue
		}
		l6.Close()
		// port+1 is the dual-stack listener of the variables test.
		ld, err := net.Listen("tcp", fmt.Sprintf("[::]:%d", port+1))
		if err == nil {
			ld.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// startNginx runs nginx with an http block built by body(port, dir) in the
// foreground with its own prefix, and waits until it accepts connections.
// It skips the test when nginx is not installed.
func startNginx(t *testing.T, dir string, port int, httpBody string) *sideNginx {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx is not installed (apt-get install -y nginx-light)")
	}
	conf := fmt.Sprintf("daemon off;\npid %s/nginx.pid;\nuser root;\nworker_processes 1;\nerror_log %s/error.log;\nevents {}\nhttp {\n%s\n}\n", dir, dir, httpBody)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir+"/", "-c", dir+"/nginx.conf", "-e", dir+"/error.log")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed when nginx has exited; waitErr is then its status.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	n := &sideNginx{dir: dir, port: port, cmd: cmd}
	t.Cleanup(func() {
		select {
		case <-exited:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	// Ready when the port accepts a connection; a poll, not a sleep.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return n
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s\n%s", waitErr, stderr.String(), log)
		case <-deadline:
			t.Fatal("nginx did not start listening")
		case <-tick.C:
		}
	}
}

// exchange is one request sent to nginx.
type exchange struct {
	resp          []byte
	local, remote netip.AddrPort
}

// send sends a raw request from src (an address of the client, "" for
// the default) to nginx on dst and reads the response until nginx closes.
func (n *sideNginx) send(t *testing.T, src, dst, raw string) exchange {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.Dial("tcp", net.JoinHostPort(dst, strconv.Itoa(n.port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reading the response: %v", err)
	}
	return exchange{
		resp:   resp,
		local:  c.LocalAddr().(*net.TCPAddr).AddrPort(),
		remote: c.RemoteAddr().(*net.TCPAddr).AddrPort(),
	}
}

// logLine returns the next line of the access log. nginx writes it when
// it frees the request, which for a request with a body comes after the
// client closed (lingering close): the file is polled until it is there.
func (n *sideNginx) logLine(t *testing.T, name string) string {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(n.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		rest := string(b[n.logOff:])
		if line, _, ok := strings.Cut(rest, "\n"); ok {
			n.logOff += len(line) + 1
			return line
		}
		select {
		case <-deadline:
			t.Fatalf("no new line in %s (%q)", name, rest)
		case <-tick.C:
		}
	}
}

// body returns a response's body and status.
func responseParts(resp []byte) (status int, headers [][2][]byte, headLen int, body []byte) {
	head, body, _ := bytes.Cut(resp, []byte("\r\n\r\n"))
	headLen = len(head) + 4
	lines := strings.Split(string(head), "\r\n")
	if f := strings.Fields(lines[0]); len(f) > 1 {
		status, _ = strconv.Atoi(f[1])
	}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		headers = append(headers, [2][]byte{[]byte(k), []byte(strings.TrimSpace(v))})
	}
	return status, headers, headLen, body
}

// withResponse fills a testReq's response facts from nginx's response, as
// the proxy will from what it sends: the status, the byte counts, and the
// headers nginx keeps in headers_out.
func (r *testReq) withResponse(resp []byte) {
	status, headers, headLen, _ := responseParts(resp)
	r.info.Status = status
	r.info.BytesSent = int64(len(resp))
	r.info.HeaderBytes = int64(headLen)
	r.info.Completed = true
	for _, h := range headers {
		switch strings.ToLower(string(h[0])) {
		case "server", "date", "connection", "keep-alive":
			if strings.EqualFold(string(h[0]), "connection") && strings.EqualFold(string(h[1]), "keep-alive") {
				r.info.KeepAlive = true
			}
			continue
		case "transfer-encoding":
			r.info.Chunked = true
			continue
		}
		r.respHeaders = append(r.respHeaders, h)
	}
}

// withConn fills a testReq's connection facts from the client's socket.
func (r *testReq) withConn(ex exchange) {
	r.conn.Remote = netip.AddrPortFrom(ex.local.Addr().Unmap(), ex.local.Port())
	r.conn.Local = netip.AddrPortFrom(ex.remote.Addr().Unmap(), ex.remote.Port())
	r.conn.Number = 1
	r.conn.Requests = 1
	r.conn.Start = r.now
	r.info.Start = r.now
}

// sideRequest is a request of a side-by-side case.
type sideRequest struct {
	name string
	src  string // client address, "" for 127.0.0.1
	dst  string // server address, "" for 127.0.0.1
	raw  string
	// mapped sends the request to the dual-stack listener (port+1), where
	// nginx sees an IPv4 client as ::ffff:a.b.c.d.
	mapped bool
}

// sideVarsConf is the http block of the variable comparison: a log line of
// every variable after a plain "return".
const sideVarsConf = `
    log_format side '%s';
    access_log %s/access.log side;
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }
    server {
        listen 127.0.0.1:%d;
        listen [::1]:%d;
        listen [::]:%d ipv6only=off;
        server_name .Example.com other;
        location / {
            return 200 "ok\n";
        }
    }
`

// exactVars are compared byte for byte, found or not.
var exactVars = []string{
	"request", "request_method", "request_uri", "uri", "document_uri",
	"args", "query_string", "is_args", "arg_a", "arg_b", "arg_aa", "arg_none",
	"cookie_c", "cookie_d", "cookie_e", "cookie_none",
	"http_host", "http_user_agent", "http_x_forwarded_for", "http_cookie",
	"http_foo_bar", "http_x_empty", "http_connection", "http_upgrade",
	"host", "server_name", "server_protocol",
	"remote_addr", "remote_port", "binary_remote_addr", "realip_remote_addr",
	"server_addr", "server_port", "scheme", "https",
	"content_length", "content_type", "remote_user",
	"proxy_add_x_forwarded_for", "proxy_host", "proxy_port",
	"status", "body_bytes_sent", "bytes_sent", "request_length",
	"nginx_version", "hostname", "connection_upgrade", "connection_requests",
	"sent_http_content_type", "sent_http_content_length", "sent_http_connection",
	"sent_http_server", "sent_http_date", "sent_http_keep_alive", "sent_http_transfer_encoding",
	"sent_http_location", "sent_http_cache_control",
	"upstream_addr", "upstream_status", "upstream_http_server", "upstream_response_time",
	"pipe", "request_completion", "http2", "limit_rate",
}

// shapeVars are compared by shape: their values depend on the moment, the
// process or the connection count.
var shapeVars = map[string]string{
	"msec":         `^\d{10}\.\d{3}$`,
	"time_local":   `^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$`,
	"time_iso8601": `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`,
	"request_time": `^\d+\.\d{3}$`,
	"request_id":   `^[0-9a-f]{32}$`,
	"pid":          `^\d+$`,
	"connection":   `^\d+$`,
}

var sideVarRequests = []sideRequest{
	{name: "repeated headers", src: "127.0.0.2", raw: "GET /a%20b/../c?A=1&a=2&b=&aa=3 HTTP/1.1\r\nHost: WWW.Example.COM:80\r\nX-Forwarded-For: 1.1.1.1\r\nx-forwarded-for: 2.2.2.2\r\nCookie: c=1; d=2\r\nCookie: c=3; e = 5 ;f=6\r\nFoo-Bar: x\r\nfoo-bar: y\r\nX-Empty:\r\nUser-Agent: u1\r\nUser-Agent: u2\r\nConnection: close\r\n\r\n"},
	{name: "no query no host http/1.0", raw: "GET /x HTTP/1.0\r\n\r\n"},
	{name: "empty query", src: "127.0.0.3", raw: "GET /x? HTTP/1.0\r\nHost: other\r\n\r\n"},
	{name: "absolute uri", raw: "GET http://Abs.Host:99/p/./q?z=1 HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n"},
	{name: "absolute uri without path", raw: "GET http://abs.host?z HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n"},
	{name: "ipv6 client", src: "::1", dst: "::1", raw: "GET /v6 HTTP/1.1\r\nHost: [::1]:80\r\nX-Forwarded-For: 10.0.0.1\r\nConnection: close\r\n\r\n"},
	{name: "encoded uri", raw: "GET /%41b%2Fc//d/%7e?x=%20y HTTP/1.0\r\nHost: trailing.dot.\r\n\r\n"},
	{name: "post with body", raw: "POST /form HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"},
	{name: "upgrade and auth", raw: "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nAuthorization: Basic dXNlcjpwYXNz\r\nConnection: close\r\n\r\n"},
	{name: "empty upgrade, bad auth", raw: "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade:\r\nAuthorization: Basic dXNlcg==\r\nConnection: close\r\n\r\n"},
	{name: "ipv4-mapped client", src: "127.0.0.4", mapped: true, raw: "GET /m HTTP/1.0\r\nHost: mapped\r\n\r\n"},
	{name: "arguments edge cases", raw: "GET /?aa=1&&A=2&a&b=x=y&a=3 HTTP/1.0\r\nCookie: cc=1;c=2,d=3\r\nCookie: e\r\n\r\n"},
}

func TestSideBySideVariables(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	var names []string
	names = append(names, exactVars...)
	for n := range shapeVars {
		names = append(names, n)
	}
	format := "$" + strings.Join(names, "|$")
	httpBody := fmt.Sprintf(sideVarsConf, format, dir, port, port, port+1)
	ng := startNginx(t, dir, port, httpBody)
	cfg := mustLoad(t, httpBody)
	f := cfg.HTTP.LogFormat("side")
	e := cfg.HTTP.Engine()
	var s State
	for _, rq := range sideVarRequests {
		t.Run(rq.name, func(t *testing.T) {
			dst := rq.dst
			if dst == "" {
				dst = "127.0.0.1"
			}
			var ex exchange
			if rq.mapped {
				ng.port++
				ex = ng.send(t, rq.src, dst, rq.raw)
				ng.port--
			} else {
				ex = ng.send(t, rq.src, dst, rq.raw)
			}
			want := strings.Split(ng.logLine(t, "access.log"), "|")
			r := parseTestRequest(t, rq.raw)
			r.server = cfg.HTTP.Servers[0]
			r.withConn(ex)
			if rq.mapped {
				// What accept() on the dual-stack socket gives.
				r.conn.Remote = netip.AddrPortFrom(netip.AddrFrom16(r.conn.Remote.Addr().As16()), r.conn.Remote.Port())
				r.conn.Local = netip.AddrPortFrom(netip.AddrFrom16(r.conn.Local.Addr().As16()), r.conn.Local.Port())
			}
			r.withResponse(ex.resp)
			if _, _, _, body := responseParts(ex.resp); string(body) != "ok\n" {
				t.Fatalf("nginx answered %q", ex.resp)
			}
			s.Reset(e, r)
			got := strings.Split(string(s.AppendLog(f, nil)), "|")
			if len(got) != len(names) || len(want) != len(names) {
				t.Fatalf("fields: got %d, nginx %d, want %d\n%q\n%q", len(got), len(want), len(names), got, want)
			}
			for i, n := range names {
				if re, ok := shapeVars[n]; ok {
					if !matchShape(re, want[i]) || !matchShape(re, got[i]) {
						t.Errorf("$%s: got %q, nginx %q, both should match %s", n, got[i], want[i], re)
					}
					continue
				}
				if got[i] != want[i] {
					t.Errorf("$%s: got %q, nginx %q", n, got[i], want[i])
				}
				if n == "remote_addr" {
					t.Logf("$remote_addr %q", want[i])
				}
			}
		})
	}
}

func matchShape(re, v string) bool {
	r, err := compileRegexp(re, false)
	return err == nil && r.MatchString(v)
}

// sideMapConf exercises every map key form and their precedence; the
// location answers with the maps' values (and the captures they leave).
const sideMapConf = `
    map $http_x_key $m_exact {
        default        def;
        ''             empty;
        \default       esc-default;
        \~tilde        esc-tilde;
        Exact          exact;
        include        %s;
        ~^re(\d+)$     re-$1;
        ~*^ci-(?<word>[a-z]+)$   ci-$word;
        ~^ord          first;
        ~^order        second;
    }
    map $http_x_host $m_host {
        hostnames;
        default               none;
        example.net           exact;
        .example.com          dot;
        *.sub.example.com     star-sub;
        www.example.*         tail-www;
        www.example.com.*     tail-longer;
        *.example.org         star-org;
        ~^re\.(.+)$           regex-$1;
        Mixed.Case.COM        mixed;
    }
    map $http_x_key $m_vars {
        default "$host:$server_port";
        a       "$m_exact-nested";
        b       "[$uri]";
        c       $m_host;
    }
    map $m_exact $m_of_map {
        default other;
        exact   was-exact;
        empty   was-empty;
    }
    map $http_x_key $m_late {
        a.example.com exact-before;
        hostnames;
        *.example.com wild;
    }
    map $http_x_host $m_nohost {
        *.example.com literal-star;
        default       no;
    }
    server {
        listen 127.0.0.1:%d;
        server_name maps.test;
        location / {
            return 200 "$m_exact|$m_host|$m_vars|$m_of_map|$m_late|$m_nohost|$1|$word\n";
        }
    }
`

func TestSideBySideMaps(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.conf")
	if err := os.WriteFile(keys, []byte("incl1 from-include;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	httpBody := fmt.Sprintf(sideMapConf, keys, port)
	ng := startNginx(t, dir, port, httpBody)
	cfg := mustLoad(t, httpBody)
	text := cfg.HTTP.Servers[0].Locations[0].Conf.Script[0].Text
	e := cfg.HTTP.Engine()
	keyValues := []string{"<none>", "", "default", "~tilde", "exact", "EXACT", "incl1", "re12", "re", "CI-Foo",
		"order", "ordinal", "a", "b", "c", "a.example.com", "x.example.com", "*.example.com", "Exact "}
	hostValues := []string{"<none>", "example.com", "EXAMPLE.COM.", "a.example.com", "x.sub.example.com", "sub.example.com",
		"www.example.net", "www.example.com.au", "www.example", "a.example.org", "example.org", "re.foo", "mixed.case.com",
		"*.example.com", ".", "com", "", "a.b.example.com", "RE.Bar.", "example.net", "Example.NET.", "www.example.com"}
	var s State
	for i := range max(len(keyValues), len(hostValues)) {
		k, h := keyValues[i%len(keyValues)], hostValues[i%len(hostValues)]
		raw := "GET /path%20x HTTP/1.0\r\nHost: maps.test\r\n"
		if k != "<none>" {
			raw += "X-Key: " + k + "\r\n"
		}
		if h != "<none>" {
			raw += "X-Host: " + h + "\r\n"
		}
		raw += "\r\n"
		ex := ng.send(t, "", "127.0.0.1", raw)
		_, _, _, want := responseParts(ex.resp)
		r := parseTestRequest(t, raw)
		r.server = cfg.HTTP.Servers[0]
		r.withConn(ex)
		s.Reset(e, r)
		got := s.Eval(text, nil)
		t.Logf("X-Key %q, X-Host %q: %q", k, h, got)
		if string(got) != string(want) {
			t.Errorf("X-Key %q, X-Host %q:\n got   %q\n nginx %q", k, h, got, want)
		}
	}
}

// regexCase is a pattern and subjects to match it on, as a header value
// (bytes) or as a URI (percent-encoded, matched decoded as $uri).
type regexCase struct {
	pattern  string
	caseless bool
	header   []string
	uri      []string
}

// regexCases cover what nginx's PCRE and the RE2 / regexp2 split must agree
// on: look-around, back-references, captures PCRE's way (unset groups,
// repeated groups, named groups numbered in order), "$" before a final
// newline, bytes ≥ 0x80, "\s" and the vertical tab, caseless matching.
var regexCases = []regexCase{
	{pattern: `/\.(?!well-known)`, header: []string{"/.git", "/.well-known/x", "/a"}},
	{pattern: `^/(?<a>x)(y)\2`, header: []string{"/xyy", "/xyx"}},
	{pattern: `\.php$`, header: []string{"x.php", "x.phpx"}, uri: []string{"/a.php%0A", "/a.php", "/a.php%0A%0A"}},
	{pattern: `^/caf.$`, header: []string{"/caf\xc3\xa9", "/cafe"}},
	{pattern: `^/caf..$`, header: []string{"/caf\xc3\xa9"}},
	{pattern: `^/CAF` + "\xc3\x89" + `$`, caseless: true, header: []string{"/caf\xc3\xa9", "/CAF\xc3\x89"}},
	{pattern: `^/CAFE(.)$`, caseless: true, header: []string{"/cafeX", "/CaFe\xc3"}},
	{pattern: `(?<=/a)b(\d+)`, header: []string{"/ab12", "/cb12"}},
	{pattern: `^(\w+)\s(\d)`, header: []string{"ab\x0b3", "ab 3"}},
	{pattern: `^\S+$`, header: []string{"a\x0bb", "ab"}},
	{pattern: `x{1001}`, header: []string{strings.Repeat("x", 1001), "xx"}},
	{pattern: `a\Z`, header: []string{"a"}, uri: []string{"/a%0A", "/a%0Ab"}},
	{pattern: `(a)|b`, header: []string{"b", "a"}},
	{pattern: `(a)?(b)`, header: []string{"b", "ab"}},
	{pattern: `^(?:(a)|(b))+$`, header: []string{"ab", "ba"}},
	{pattern: `[[:alpha:]]+(\d)`, header: []string{"abc1"}},
	{pattern: `(?i)MiXed(\d)`, header: []string{"mixed5"}},
	{pattern: `^(?<first>\w+)-(?<second>\w+)$`, header: []string{"foo-bar"}},
	{pattern: `\bword\b`, header: []string{"a word here", "awordb"}},
	{pattern: `^.{3}$`, header: []string{"\xc3\xa9x", "abc"}},
	{pattern: `(\d+)(?=px)`, header: []string{"12px", "12em"}},
	{pattern: `^(a+)\1$`, header: []string{"aaaa", "aaa"}},
	{pattern: `^[^/]+/(.*)$`, header: []string{"h\xc3\xa9/x"}},
	{pattern: `(?<!\.)php`, header: []string{"xphp", ".php"}},
	{pattern: `(?x) a b (c)`, header: []string{"abc"}},
	{pattern: `^(?>a+)b`, header: []string{"aab", "aac"}},
	{pattern: `\h+(\d)`, header: []string{"\t 5", "x5"}},
	{pattern: `(?P<n>x)(?P=n)`, header: []string{"xx", "xy"}},
	{pattern: `\Qa.b\E(c)`, header: []string{"a.bc", "axbc"}},
	{pattern: `^(?<k>[a-z]+)=(?<v>.*)(?!x)$`, header: []string{"key=val"}},
	{pattern: `(?s)a.b`, header: []string{"a\x01b"}, uri: []string{"/a%0Ab"}},
	{pattern: `^/a.b`, uri: []string{"/a%0Ab", "/axb"}},
	{pattern: `[\d-]+(\w)`, caseless: true, header: []string{"12-3Z"}},
	{pattern: `^(?!api)(\w+)`, header: []string{"apix", "web"}},
	{pattern: `^([[:^alpha:]]+)(?=[^[:^digit:]])`, header: []string{"-+1", "--a1", "\xc3\xa91"}},
}

func TestSideBySideRegexes(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	var b strings.Builder
	var vars []string
	for i, c := range regexCases {
		op := "~"
		if c.caseless {
			op = "~*"
		}
		q := strings.ReplaceAll(c.pattern, `"`, `\"`)
		fmt.Fprintf(&b, "map $http_x_s $h%d { \"%s%s\" \"1|$1|$2|$3\"; default 0; }\n", i, op, q)
		fmt.Fprintf(&b, "map $uri $u%d { \"%s%s\" \"1|$1|$2|$3\"; default 0; }\n", i, op, q)
		vars = append(vars, fmt.Sprintf("$h%d", i), fmt.Sprintf("$u%d", i))
	}
	fmt.Fprintf(&b, "server { listen 127.0.0.1:%d; location / { return 200 \"%s\"; } }\n", port, strings.Join(vars, "#"))
	httpBody := b.String()
	ng := startNginx(t, dir, port, httpBody)
	cfg := mustLoad(t, httpBody)
	text := cfg.HTTP.Servers[0].Locations[0].Conf.Script[0].Text
	e := cfg.HTTP.Engine()
	var s State
	check := func(raw, what string) {
		t.Helper()
		ex := ng.send(t, "", "127.0.0.1", raw)
		status, _, _, want := responseParts(ex.resp)
		if status != 200 {
			t.Fatalf("%s: nginx answered %q", what, ex.resp)
		}
		r := parseTestRequest(t, raw)
		r.server = cfg.HTTP.Servers[0]
		r.withConn(ex)
		s.Reset(e, r)
		got := strings.Split(string(s.Eval(text, nil)), "#")
		ws := strings.Split(string(want), "#")
		for i := range got {
			if i < len(ws) && got[i] != ws[i] {
				c := regexCases[i/2]
				t.Errorf("%s: pattern %q (caseless %v) on %s: got %q, nginx %q", what, c.pattern, c.caseless, []string{"header", "$uri"}[i%2], got[i], ws[i])
			}
		}
	}
	for _, c := range regexCases {
		for _, h := range c.header {
			check("GET / HTTP/1.0\r\nX-S: "+h+"\r\n\r\n", fmt.Sprintf("X-S %q", h))
		}
		for _, u := range c.uri {
			check("GET "+u+" HTTP/1.0\r\n\r\n", "URI "+u)
		}
	}
}

// testBackend is an upstream for the side-by-side tests: it answers every
// request with a fixed response and records how many bytes it read.
type testBackend struct {
	ln   net.Listener
	port int
	// reads receives the size of each request head read.
	reads chan int
}

const backendBody = "backend body\n"

// backendResponse is the backend's answer for a path.
func backendResponse(path string) string {
	status := "200 OK"
	if strings.Contains(path, "/redirect") {
		status = "404 Not Found"
	}
	return "HTTP/1.1 " + status + "\r\nServer: gobackend\r\nX-Backend: b1\r\nSet-Cookie: other=1\r\nSet-Cookie: sid = abc; Path=/\r\n" +
		"Cache-Control: no-cache\r\nCache-Control: private\r\nContent-Type: text/x-test\r\nContent-Length: " +
		strconv.Itoa(len(backendBody)) + "\r\nConnection: close\r\n\r\n" + backendBody
}

func startBackend(t *testing.T) *testBackend {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &testBackend{ln: ln, port: ln.Addr().(*net.TCPAddr).Port, reads: make(chan int, 100)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				var head []byte
				buf := make([]byte, 4096)
				for !bytes.Contains(head, []byte("\r\n\r\n")) {
					n, err := c.Read(buf)
					head = append(head, buf[:n]...)
					if err != nil {
						return
					}
				}
				b.reads <- len(head)
				path := strings.Fields(string(head))[1]
				_, _ = io.WriteString(c, backendResponse(path))
			}(c)
		}
	}()
	return b
}

// sideUpstreamConf proxies to the test backend: directly, through a group
// whose first peer refuses connections, and through an error_page that
// redirects to another group (nginx's " : " in the lists).
const sideUpstreamConf = `
    log_format up '$upstream_addr|$upstream_status|$upstream_http_x_backend|$upstream_http_server|$upstream_cookie_sid|$upstream_cookie_none|$proxy_host|$proxy_port|$upstream_response_length|$upstream_bytes_received|$upstream_bytes_sent|$sent_http_x_backend|$sent_http_cache_control|$sent_http_content_length|$sent_http_content_type|$sent_http_server|$status|$upstream_connect_time|$upstream_header_time|$upstream_response_time';
    access_log %[1]s/access.log up;
    upstream two {
        server 127.0.0.1:%[2]d max_fails=0;
        server 127.0.0.1:%[3]d backup;
    }
    upstream fb {
        server 127.0.0.1:%[3]d;
    }
    server {
        listen 127.0.0.1:%[4]d;
        location /one {
            proxy_pass http://127.0.0.1:%[3]d;
        }
        location /two {
            proxy_pass http://two;
        }
        location /redirect {
            proxy_pass http://127.0.0.1:%[3]d;
            proxy_intercept_errors on;
            error_page 404 = @fallback;
        }
        location @fallback {
            proxy_pass http://fb;
        }
    }
`

func TestSideBySideUpstream(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	dead := freePort(t)
	be := startBackend(t)
	httpBody := fmt.Sprintf(sideUpstreamConf, dir, dead, be.port, port)
	ng := startNginx(t, dir, port, httpBody)
	cfg := mustLoad(t, httpBody)
	f := cfg.HTTP.LogFormat("up")
	e := cfg.HTTP.Engine()
	live := fmt.Sprintf("127.0.0.1:%d", be.port)
	resp := backendResponse("/")
	resp404 := backendResponse("/redirect")
	_, upHeaders, headLen, _ := responseParts([]byte(resp))
	liveTry := func(status int, sent int) UpstreamState {
		return UpstreamState{Peer: live, Status: status, ConnectTime: 0, HeaderTime: time.Millisecond, ResponseTime: time.Millisecond,
			ResponseLength: int64(len(resp) - headLen), BytesReceived: int64(len(resp)), BytesSent: int64(sent)}
	}
	deadTry := UpstreamState{Peer: fmt.Sprintf("127.0.0.1:%d", dead), Status: 502, ConnectTime: -1, HeaderTime: -1, ResponseTime: 0}
	cases := []struct {
		path  string
		host  string
		port  string
		tries func(sent []int) []UpstreamState
	}{
		{"/one", live, strconv.Itoa(be.port), func(sent []int) []UpstreamState { return []UpstreamState{liveTry(200, sent[0])} }},
		{"/two", "two", "80", func(sent []int) []UpstreamState { return []UpstreamState{deadTry, liveTry(200, sent[0])} }},
		{"/redirect", "127.0.0.1:" + strconv.Itoa(be.port), strconv.Itoa(be.port), func(sent []int) []UpstreamState {
			// The backend answers 404 to both tries; nginx intercepts the
			// first (its body is not read) and passes the second.
			first := liveTry(404, sent[0])
			first.BytesReceived, first.ResponseLength = int64(len(resp404)), 0
			second := liveTry(404, sent[1])
			second.BytesReceived = int64(len(resp404))
			return []UpstreamState{first, {}, second}
		}},
	}
	times := regexpMust(t, `\d+\.\d{3}`)
	var s State
	for _, c := range cases {
		raw := "GET " + c.path + " HTTP/1.0\r\nHost: up.test\r\n\r\n"
		ex := ng.send(t, "", "127.0.0.1", raw)
		want := strings.Split(ng.logLine(t, "access.log"), "|")
		var sent []int
		for len(be.reads) > 0 {
			sent = append(sent, <-be.reads)
		}
		r := parseTestRequest(t, raw)
		r.server = cfg.HTTP.Servers[0]
		r.withConn(ex)
		r.withResponse(ex.resp)
		r.upHeaders = upHeaders
		r.upstream = &UpstreamInfo{ProxyHost: c.host, ProxyPort: c.port, States: c.tries(sent)}
		if c.path == "/redirect" {
			// The fallback's proxy_pass names the group "fb".
			r.upstream.ProxyHost, r.upstream.ProxyPort = "fb", "80"
		}
		s.Reset(e, r)
		got := strings.Split(string(s.AppendLog(f, nil)), "|")
		if len(got) != len(want) {
			t.Fatalf("%s: got %q, nginx %q", c.path, got, want)
		}
		for i := range got {
			g, w := times.ReplaceAllString(got[i], "T"), times.ReplaceAllString(want[i], "T")
			if g != w {
				t.Errorf("%s: field %d: got %q, nginx %q", c.path, i, got[i], want[i])
			}
		}
	}
}

// regexpMust compiles a pattern for a test.
func regexpMust(t *testing.T, p string) *regexp.Regexp {
	t.Helper()
	return regexp.MustCompile(p)
}

// sideScriptConf has captures from server_name, if and location regexes,
// set variables and "set $args".
const sideScriptConf = `
    server {
        listen 127.0.0.1:%d;
        server_name ~^(?<sub>[a-z]+)\.cap\.test$ other;
        set $s_var "srv-$host";
        if ($http_x_flag ~ ^(on|yes)-(\d+)$) {
            set $flag "f$2";
        }
        location ~ ^/loc/(?<name>[^/]+)/(\d+)$ {
            set $v "v$1";
            return 200 "$1|$2|$name|$sub|$s_var|$flag|$v|$args|$is_args|$arg_x|$uninit\n";
        }
        location /plain {
            set $args "x=5&y";
            return 200 "$1|$2|$name|$sub|$s_var|$flag|$args|$is_args|$arg_x|$query_string|$uninit\n";
        }
        location ~ \.(?<ext>php|html)$ {
            if ($uri ~ ^/([^/]+)/) {
                set $dir $1;
            }
            return 200 "$1|$ext|$dir|$name|$uninit\n";
        }
        location = /never {
            set $uninit never;
        }
    }
`

// runLevel runs a level's rewrite statements as nginx's rewrite module
// does, as far as the tests need: set, if and return.
func runLevel(t *testing.T, s *State, stmts []*Stmt) *Stmt {
	t.Helper()
	for _, st := range stmts {
		switch st.Op {
		case OpSet:
			s.Set(st)
		case OpIf:
			ok, err := s.Cond(st.Cond)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				if ret := runLevel(t, s, st.Conf.Script); ret != nil {
					return ret
				}
			}
		case OpReturn:
			return st
		}
	}
	return nil
}

// testLocation chooses a location as nginx does, as far as the tests need:
// exact, then the longest prefix, then regexes in order (their captures
// kept by the State).
func testLocation(t *testing.T, s *State, srv *Server, uri []byte) *Location {
	t.Helper()
	var prefix *Location
	for _, l := range srv.Locations {
		switch {
		case l.Exact() && string(uri) == l.Match:
			return l
		case l.Modifier == "" && strings.HasPrefix(string(uri), l.Match) && (prefix == nil || len(l.Match) > len(prefix.Match)):
			prefix = l
		}
	}
	for _, l := range srv.Locations {
		if l.IsRegex() {
			ok, err := s.Match(l.Regex, uri)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				return l
			}
		}
	}
	return prefix
}

func TestSideBySideScript(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	httpBody := fmt.Sprintf(sideScriptConf, port)
	ng := startNginx(t, dir, port, httpBody)
	cfg := mustLoad(t, httpBody)
	srv := cfg.HTTP.Servers[0]
	e := cfg.HTTP.Engine()
	requests := []string{
		"GET /loc/foo/42?x=1 HTTP/1.0\r\nHost: abc.cap.test\r\nX-Flag: on-7\r\n\r\n",
		"GET /plain?x=1 HTTP/1.0\r\nHost: other\r\n\r\n",
		"GET /plain HTTP/1.0\r\nHost: q.cap.test\r\nX-Flag: yes-3\r\n\r\n",
		"GET /loc/bar/7 HTTP/1.0\r\nHost: XYZ.cap.test\r\nX-Flag: no\r\n\r\n",
		"GET /a/b.php HTTP/1.0\r\nHost: other\r\n\r\n",
		"GET /b.html HTTP/1.0\r\nHost: zz.cap.test\r\nX-Flag: on-1\r\n\r\n",
		"GET /plain HTTP/1.0\r\nHost: q.cap.test\r\n\r\n",
		"GET /loc/%62az/1%32 HTTP/1.0\r\nHost: other\r\nX-Flag: yes-12\r\n\r\n",
	}
	var s State
	for _, raw := range requests {
		ex := ng.send(t, "", "127.0.0.1", raw)
		_, _, _, want := responseParts(ex.resp)
		r := parseTestRequest(t, raw)
		r.server = srv
		r.withConn(ex)
		s.Reset(e, r)
		// Server selection: exact names, then regexes (with captures).
		for _, n := range srv.Names {
			if n.Regex != nil {
				if ok, _ := s.Match(n.Regex, r.host); ok {
					break
				}
			}
		}
		ret := runLevel(t, &s, srv.Conf.Script)
		if ret == nil {
			if loc := testLocation(t, &s, srv, r.path); loc != nil {
				ret = runLevel(t, &s, loc.Conf.Script)
			}
		}
		if ret == nil {
			t.Fatalf("%q: no return", raw)
		}
		got := s.Eval(ret.Text, nil)
		if string(got) != string(want) {
			t.Errorf("%q:\n got   %q\n nginx %q", raw, got, want)
		}
	}
}
