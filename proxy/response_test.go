package proxy

import (
	"io"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clientCase is one exchange checked on the client side: a configuration
// (server block contents), the backend's replies, the raw request, and
// the response expected (Date normalised, "{{B}}" and "{{PORT}}"
// substituted). Expectations were read off nginx 1.22.
type clientCase struct {
	name    string
	conf    string
	replies []string
	req     string
	// n is the number of responses to read (default 1).
	n    int
	want string
	// wantLog, when set, is the error log's [error]/[crit] lines
	// (without the connection number).
	wantLog []string
	// hold makes the backend never answer.
	hold bool
}

func runClientCases(t *testing.T, cases []clientCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			replies := tc.replies
			if replies == nil {
				replies = []string{okReply}
			}
			be := startBackend(t, replies...)
			be.setHold(tc.hold)
			conf := "server { listen 127.0.0.1:{{PORT}};\n" + tc.conf + "\n}\n"
			addr, logLines := proxyFor(t, conf, be)
			n := tc.n
			if n == 0 {
				n = 1
			}
			got := stripDate(exchangeN(t, addr, crlf(tc.req), n, 2*time.Second))
			port := addr[strings.LastIndexByte(addr, ':')+1:]
			want := strings.ReplaceAll(strings.ReplaceAll(crlf(tc.want), "{{B}}", be.addr()), "{{PORT}}", port)
			if os.Getenv("NGINXWS_ORACLE_SHOW") == "1" {
				t.Logf("got:\n%s", got)
			}
			if got != want {
				t.Errorf("client got\n%q\nwant\n%q", got, want)
			}
			if tc.wantLog != nil {
				time.Sleep(50 * time.Millisecond)
				var lines []string
				for _, l := range logLines() {
					if strings.HasPrefix(l, "[error]") || strings.HasPrefix(l, "[crit]") {
						lines = append(lines, connNumber.ReplaceAllString(l, "$1"))
					}
				}
				wantLog := make([]string, len(tc.wantLog))
				for i, l := range tc.wantLog {
					wantLog[i] = strings.ReplaceAll(strings.ReplaceAll(l, "{{B}}", be.addr()), "{{PORT}}", port)
				}
				if strings.Join(lines, "\n") != strings.Join(wantLog, "\n") {
					t.Errorf("error log\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(wantLog, "\n"))
				}
			}
		})
	}
}

// TestResponse checks what the client gets from a proxied response:
// nginx's header order, hidden and hop-by-hop headers, proxy_redirect,
// add_header, framing.
func TestResponse(t *testing.T) {
	runClientCases(t, []clientCase{
		{
			name: "header order, hidden and hop-by-hop headers",
			conf: `location / { proxy_pass http://{{B}}; }`,
			replies: []string{crlf("HTTP/1.1 201 Made\nServer: up\nDate: yesterday\nX-Pad: p\nX-Accel-Buffering: no\nX-A: 1\n" +
				"Connection: keep-alive\nKeep-Alive: timeout=5\nContent-Type: text/x\nContent-Length: 2\nSet-Cookie: a=b\nUpgrade: x\nTransfer-Encoding: identity\n\nok")},
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 201 Made\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/x\nContent-Length: 2\nConnection: keep-alive\nX-A: 1\nSet-Cookie: a=b\nUpgrade: x\n\nok",
		},
		{
			name:    "proxy_pass_header and proxy_hide_header",
			conf:    `location / { proxy_pass http://{{B}}; proxy_pass_header Server; proxy_hide_header X-A; }`,
			replies: []string{crlf("HTTP/1.1 200 OK\nX-A: 1\nServer: up\nX-B: 2\nContent-Length: 2\n\nok")},
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 200 OK\nDate: <date>\nContent-Length: 2\nConnection: keep-alive\nServer: up\nX-B: 2\n\nok",
		},
		{
			name:    "proxy_redirect default makes the location relative, then absolute",
			conf:    `location /api/ { proxy_pass http://{{B}}/v1/; }`,
			replies: []string{crlf("HTTP/1.1 302 Found\nX-A: 1\nLocation: http://{{B}}/v1/next?a=1\nRefresh: 5; url=http://{{B}}/v1/r\nContent-Length: 0\n\n")},
			req:     "GET /api/x HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 302 Found\nServer: nginx/1.22.1\nDate: <date>\nContent-Length: 0\nLocation: http://h:{{PORT}}/api/next?a=1\nConnection: keep-alive\nX-A: 1\nRefresh: 5; url=/api/r\n\n",
		},
		{
			name:    "add_header on 200, always on errors",
			conf:    `add_header X-Always a always; add_header X-Ok o; location / { proxy_pass http://{{B}}; }`,
			replies: []string{crlf("HTTP/1.1 404 Not Found\nContent-Length: 2\n\nno")},
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 404 Not Found\nServer: nginx/1.22.1\nDate: <date>\nContent-Length: 2\nConnection: keep-alive\nX-Always: a\n\nno",
		},
		{
			name:    "chunked upstream body, re-chunked for HTTP/1.1",
			conf:    `location / { proxy_pass http://{{B}}; }`,
			replies: []string{crlf("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n")},
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nTransfer-Encoding: chunked\nConnection: keep-alive\n\n3\nabc\n0\n\n",
		},
		{
			name:    "body until close, to an HTTP/1.0 client: no length, closed",
			conf:    `location / { proxy_pass http://{{B}}; }`,
			replies: []string{crlf("HTTP/1.0 200 OK\n\nabc")},
			req:     "GET / HTTP/1.0\nConnection: keep-alive\n\n",
			want:    "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nConnection: close\n\nabc",
		},
		{
			name:    "HEAD gets the upstream's length and no body",
			conf:    `location / { proxy_pass http://{{B}}; }`,
			replies: []string{crlf("HTTP/1.1 200 OK\nContent-Length: 10\n\n")},
			req:     "HEAD / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nContent-Length: 10\nConnection: keep-alive\n\n",
		},
	})
}

// TestUpstreamErrors checks nginx's statuses, pages and error log lines
// for upstreams that fail.
func TestUpstreamErrors(t *testing.T) {
	dead := refusedAddr(t)
	page502 := "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx/1.22.1</center>\n</body>\n</html>\n"
	page504 := "<html>\n<head><title>504 Gateway Time-out</title></head>\n<body>\n<center><h1>504 Gateway Time-out</h1></center>\n<hr><center>nginx/1.22.1</center>\n</body>\n</html>\n"
	runClientCases(t, []clientCase{
		{
			name:    "connection refused",
			conf:    `server_name example.com; location / { proxy_pass http://` + dead + `; }`,
			req:     "GET /x?a=1 HTTP/1.1\nHost: h\nReferer: http://r/\n\n",
			want:    "HTTP/1.1 502 Bad Gateway\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 157\nConnection: keep-alive\n\n" + page502,
			wantLog: []string{`[error] connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /x?a=1 HTTP/1.1", upstream: "http://` + dead + `/x?a=1", host: "h", referrer: "http://r/"`},
		},
		{
			name:    "read timeout",
			conf:    `location / { proxy_read_timeout 200ms; proxy_pass http://{{B}}; }`,
			hold:    true,
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 504 Gateway Time-out\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 167\nConnection: keep-alive\n\n" + page504,
			wantLog: []string{`[error] upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://{{B}}/", host: "h"`},
		},
		{
			// nginx arms its read timer with 0 once the request is sent;
			// it fires before the upstream can answer (the backend
			// here answers at once).
			name:    "proxy_read_timeout 0",
			conf:    `location / { proxy_read_timeout 0; proxy_pass http://{{B}}; }`,
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 504 Gateway Time-out\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 167\nConnection: keep-alive\n\n" + page504,
			wantLog: []string{`[error] upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://{{B}}/", host: "h"`},
		},
		{
			// Likewise the connect timer: a TCP connect() under way
			// does not complete in time.
			name:    "proxy_connect_timeout 0",
			conf:    `location / { proxy_connect_timeout 0; proxy_pass http://{{B}}; }`,
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 504 Gateway Time-out\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 167\nConnection: keep-alive\n\n" + page504,
			wantLog: []string{`[error] upstream timed out (110: Connection timed out) while connecting to upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://{{B}}/", host: "h"`},
		},
		{
			// The send timer counts only while a write is blocked:
			// a request that goes at once is answered.
			name: "proxy_send_timeout 0",
			conf: `location / { proxy_send_timeout 0; proxy_pass http://{{B}}; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nContent-Length: 2\nConnection: keep-alive\n\nok",
		},
		{
			name:    "closed before a response",
			conf:    `location / { proxy_pass http://{{B}}; }`,
			replies: []string{""},
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 502 Bad Gateway\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 157\nConnection: keep-alive\n\n" + page502,
			wantLog: []string{`[error] upstream prematurely closed connection while reading response header from upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://{{B}}/", host: "h"`},
		},
		{
			name:    "invalid header line",
			conf:    `location / { proxy_pass http://{{B}}; }`,
			replies: []string{crlf("HTTP/1.1 200 OK\nBad Header: x\n\n")},
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 502 Bad Gateway\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 157\nConnection: keep-alive\n\n" + page502,
			wantLog: []string{`[error] upstream sent invalid header: "Bad\x20..." while reading response header from upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://{{B}}/", host: "h"`},
		},
		{
			name: "error_page to a URI with =code",
			conf: `location / { proxy_pass http://` + dead + `; error_page 502 =200 /fallback; } location = /fallback { return 200 "fallback"; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/plain\nContent-Length: 8\nConnection: keep-alive\n\nfallback",
		},
		{
			name:    "proxy_intercept_errors with a matching error_page",
			conf:    `location / { proxy_pass http://{{B}}; proxy_intercept_errors on; error_page 404 @nf; } location @nf { return 404 "intercepted"; }`,
			replies: []string{crlf("HTTP/1.1 404 Not Found\nX-Up: 1\nContent-Length: 2\n\nno")},
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 404 Not Found\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/plain\nContent-Length: 11\nConnection: keep-alive\n\nintercepted",
		},
	})
}

// TestLevelErrorLog: a location's own error_log gets the request's
// errors.
func TestLevelErrorLog(t *testing.T) {
	dead := refusedAddr(t)
	dir := t.TempDir()
	conf := "server { listen 127.0.0.1:{{PORT}}; location / { error_log " + dir + "/loc.log; proxy_pass http://" + dead + "; } }\n"
	addr, mainLines := proxyFor(t, conf, nil)
	exchangeRaw(t, addr, crlf("GET /x HTTP/1.1\nHost: h\n\n"), 2*time.Second)
	time.Sleep(50 * time.Millisecond)
	b, _ := os.ReadFile(dir + "/loc.log")
	if !strings.Contains(string(b), "[error]") || !strings.Contains(string(b), "connect() failed (111: Connection refused) while connecting to upstream") {
		t.Errorf("location log: %q", b)
	}
	for _, l := range mainLines() {
		if strings.Contains(l, "connect() failed") {
			t.Errorf("main log got the location's error: %q", l)
		}
	}
}

// TestClientAbort: a client that leaves while the upstream has not
// answered makes the proxy close the upstream connection too (nginx's 499).
func TestClientAbort(t *testing.T) {
	be := startBackend(t)
	be.setHold(true)
	dir := t.TempDir()
	conf := "server { listen 127.0.0.1:{{PORT}}; access_log " + dir + "/access.log; location / { proxy_pass http://{{B}}; } }\n"
	addr, _ := proxyFor(t, conf, be)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n"))
	time.Sleep(100 * time.Millisecond)
	c.Close()
	select {
	case <-be.held:
	case <-time.After(3 * time.Second):
		t.Fatal("the upstream connection stayed open after the client left")
	}
	waitFileContains(t, dir+"/access.log", `"GET /slow HTTP/1.1" 499 0 `)
}

// TestAccelRedirect: an upstream's X-Accel-Redirect redirects the request
// internally, keeping the upstream's Content-Type and Set-Cookie.
func TestAccelRedirect(t *testing.T) {
	runClientCases(t, []clientCase{
		{
			name:    "to an internal location",
			conf:    `location / { proxy_pass http://{{B}}; } location /protected/ { internal; return 200 "secret $uri $args"; }`,
			replies: []string{crlf("HTTP/1.1 200 OK\nX-Accel-Redirect: /protected/f?a=1\nContent-Type: application/x-thing\nSet-Cookie: c=1\nX-Other: o\nContent-Length: 0\n\n")},
			req:     "POST /get HTTP/1.1\nHost: h\nContent-Length: 0\n\n",
			want:    "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: application/x-thing\nContent-Length: 23\nConnection: keep-alive\nSet-Cookie: c=1\n\nsecret /protected/f a=1",
		},
		{
			name:    "unsafe URI",
			conf:    `location / { proxy_pass http://{{B}}; }`,
			replies: []string{crlf("HTTP/1.1 200 OK\nX-Accel-Redirect: /a/../b\nContent-Length: 0\n\n")},
			req:     "GET / HTTP/1.1\nHost: h\n\n",
			want:    "HTTP/1.1 404 Not Found\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 153\nConnection: keep-alive\n\n" + page("404 Not Found"),
			wantLog: []string{`[error] unsafe URI "/a/../b" was detected while reading response header from upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://{{B}}/", host: "h"`},
		},
	})
}

// TestSendTimeout: send_timeout bounds a write to a client that does not
// read, with nginx's line; 0 is nginx's timer of 0, which fires at the
// first write that would block (not "no timeout").
func TestSendTimeout(t *testing.T) {
	body := strings.Repeat("x", 16<<20)
	for _, timeout := range []string{"300ms", "0"} {
		t.Run(timeout, func(t *testing.T) {
			be := startBackend(t, crlf("HTTP/1.1 200 OK\nContent-Length: "+strconv.Itoa(len(body))+"\n\n")+body)
			addr, lines := proxyFor(t, "server { listen 127.0.0.1:{{PORT}}; location / { send_timeout "+timeout+"; proxy_pass http://{{B}}; } }\n", be)
			c, err := net.Dial("tcp4", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			// The client reads nothing: the proxy's writes block once the
			// socket buffers are full, and the timeout ends the request.
			want := regexp.MustCompile(`^\[info\] \*\d+ client timed out \(110: Connection timed out\) while sending to client, client: 127\.0\.0\.1, server: , request: "GET /big HTTP/1\.1", upstream: "http://127\.0\.0\.1:\d+/big", host: "h"$`)
			eventually(t, 10*time.Second, func() bool {
				return slices.ContainsFunc(lines(), want.MatchString)
			}, func() string { return "no line matching " + want.String() + " in " + strings.Join(lines(), "\n") })
		})
	}
}
