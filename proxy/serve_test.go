package proxy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReturn checks return in its forms.
func TestReturn(t *testing.T) {
	runClientCases(t, []clientCase{
		{
			name: "code and text, typed by the URI's extension",
			conf: `location / { return 200 "hi $uri"; }`,
			req:  "GET /x.html HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 10\nConnection: keep-alive\n\nhi /x.html",
		},
		{
			name: "code and relative URL",
			conf: `location / { return 301 /new; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 301 Moved Permanently\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 169\nLocation: http://h:{{PORT}}/new\nConnection: keep-alive\n\n" + page("301 Moved Permanently"),
		},
		{
			name: "URL only: 302",
			conf: `location / { return http://example.com/x; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 302 Moved Temporarily\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 145\nConnection: keep-alive\nLocation: http://example.com/x\n\n" +
				"<html>\n<head><title>302 Found</title></head>\n<body>\n<center><h1>302 Found</h1></center>\n<hr><center>nginx/1.22.1</center>\n</body>\n</html>\n",
		},
		{
			name: "code only: nginx's page",
			conf: `location / { return 403; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 403 Forbidden\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 153\nConnection: keep-alive\n\n" + page("403 Forbidden"),
		},
		{
			name: "444 closes without a response",
			conf: `location / { return 444; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "",
		},
		{
			name: "server-level return before locations, with a variable",
			conf: `return 200 "$host:$server_port$request_uri"; location / { return 404; }`,
			req:  "GET /p?q HTTP/1.1\nHost: Name\n\n",
			want: "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/plain\nContent-Length: 14\nConnection: keep-alive\n\nname:{{PORT}}/p?q",
		},
	})
}

// TestStatic checks static files: type, ETag, Last-Modified, index, the
// directory redirect, 404 and conditional requests.
func TestStatic(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, body := range map[string]string{"index.html": "home", "a.txt": "hello world", "sub/index.html": "sub"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	conf := `root ` + dir + `; types { text/plain txt; text/html html; }`
	runClientCases(t, []clientCase{
		{
			name: "a file",
			conf: conf,
			req:  "GET /a.txt HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/plain\nContent-Length: 11\nLast-Modified: Tue, 02 Jan 2024 03:04:05 GMT\nConnection: keep-alive\nETag: \"65937d25-b\"\nAccept-Ranges: bytes\n\nhello world",
		},
		{
			name: "the index",
			conf: conf,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 4\nLast-Modified: Tue, 02 Jan 2024 03:04:05 GMT\nConnection: keep-alive\nETag: \"65937d25-4\"\nAccept-Ranges: bytes\n\nhome",
		},
		{
			name: "a directory without its slash",
			conf: conf,
			req:  "GET /sub?x HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 301 Moved Permanently\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 169\nLocation: http://h:{{PORT}}/sub/?x\nConnection: keep-alive\n\n" + page("301 Moved Permanently"),
		},
		{
			name: "not found",
			conf: conf,
			req:  "GET /nope HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 404 Not Found\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 153\nConnection: keep-alive\n\n" + page("404 Not Found"),
		},
		{
			name: "If-None-Match: 304",
			conf: conf,
			req:  "GET /a.txt HTTP/1.1\nHost: h\nIf-None-Match: \"65937d25-b\"\n\n",
			want: "HTTP/1.1 304 Not Modified\nServer: nginx/1.22.1\nDate: <date>\nLast-Modified: Tue, 02 Jan 2024 03:04:05 GMT\nConnection: keep-alive\nETag: \"65937d25-b\"\n\n",
		},
		{
			name: "a range",
			conf: conf,
			req:  "GET /a.txt HTTP/1.1\nHost: h\nRange: bytes=0-4\n\n",
			want: "HTTP/1.1 206 Partial Content\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/plain\nContent-Length: 5\nLast-Modified: Tue, 02 Jan 2024 03:04:05 GMT\nConnection: keep-alive\nETag: \"65937d25-b\"\nContent-Range: bytes 0-4/11\n\nhello",
		},
	})
}

// TestStreaming: with proxy_buffering off each part of the body reaches
// the client as the upstream sends it (server-sent events).
func TestStreaming(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	release := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		readRequest(c, true)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: one\n\n")
		<-release
		_, _ = io.WriteString(c, "data: two\n\n")
	}()
	conf := "server { listen 127.0.0.1:{{PORT}}; location / { proxy_buffering off; proxy_pass http://" + ln.Addr().String() + "; } }\n"
	addr, _ := proxyFor(t, conf, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /events HTTP/1.1\r\nHost: h\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	br := bufio.NewReader(c)
	var got strings.Builder
	for !strings.Contains(got.String(), "data: one") {
		line, err := br.ReadString('\n')
		got.WriteString(line)
		if err != nil {
			t.Fatalf("the first event did not arrive before the second was sent: %q (%v)", got.String(), err)
		}
	}
	close(release)
	for !strings.Contains(got.String(), "data: two") {
		line, err := br.ReadString('\n')
		got.WriteString(line)
		if err != nil {
			t.Fatalf("second event: %q (%v)", got.String(), err)
		}
	}
}

// TestUpgrade: a 101 to a client that asked to upgrade becomes a tunnel;
// bytes flow both ways.
func TestUpgrade(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		readRequest(c, true)
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello")
		b := make([]byte, 4)
		if _, err := io.ReadFull(c, b); err == nil {
			_, _ = c.Write([]byte(strings.ToUpper(string(b))))
		}
	}()
	conf := "server { listen 127.0.0.1:{{PORT}}; location / { proxy_pass http://" + ln.Addr().String() +
		"; proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection upgrade; } }\n"
	addr, _ := proxyFor(t, conf, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		head.WriteString(line)
		if err != nil || line == "\r\n" {
			break
		}
	}
	want := "HTTP/1.1 101 Switching Protocols\r\nServer: nginx/1.22.1\r\nDate: <date>\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
	if got := stripDate(head.String()); got != want {
		t.Errorf("head %q, want %q", got, want)
	}
	b := make([]byte, 5)
	if _, err := io.ReadFull(br, b); err != nil || string(b) != "hello" {
		t.Fatalf("upstream's first bytes: %q %v", b, err)
	}
	_, _ = c.Write([]byte("ping"))
	b = make([]byte, 4)
	if _, err := io.ReadFull(br, b); err != nil || string(b) != "PING" {
		t.Fatalf("echo: %q %v", b, err)
	}
}

// TestAccessLog checks the combined format.
func TestAccessLog(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	conf := "server { listen 127.0.0.1:{{PORT}}; access_log " + path + "; location / { return 200 ok; } location /off { access_log off; return 204; } }\n"
	addr, _ := proxyFor(t, conf, nil)
	exchangeRaw(t, addr, crlf("GET /a?b=\"c\" HTTP/1.1\nHost: h\nUser-Agent: ua\nReferer: r\nConnection: close\n\n"), 2*time.Second)
	exchangeRaw(t, addr, crlf("GET /off HTTP/1.1\nHost: h\nConnection: close\n\n"), 2*time.Second)
	time.Sleep(100 * time.Millisecond)
	b, _ := os.ReadFile(path)
	got := regexp.MustCompile(`\[[^]]+\]`).ReplaceAllString(string(b), "[TIME]")
	want := `127.0.0.1 - - [TIME] "GET /a?b=\x22c\x22 HTTP/1.1" 200 2 "r" "ua"` + "\n"
	if got != want {
		t.Errorf("access log %q, want %q", got, want)
	}
}

// TestRewrite checks the rewrite module's statements: rewrite with its
// flags and argument rules, set, if.
func TestRewrite(t *testing.T) {
	conf := `server { listen 127.0.0.1:{{PORT}};
    rewrite ^/old/(.*)$ /new/$1 permanent;
    location /r1 { rewrite ^/r1/(\w+)$ /echo?who=$1 last; }
    location /r2 { rewrite ^ /echo? last; }
    location /r3 { rewrite ^/r3(.*)$ /echo$1 break; return 200 "broke $uri $args"; }
    location /r4 { rewrite ^/r4/(.*)$ http://example.com/$1?x=1 redirect; }
    location /r5 { rewrite ^/r5/(.*)$ /echo/$1; rewrite ^/echo/(.*)$ /echo?two=$1; }
    location /echo { return 200 "uri=$uri args=$args"; }
    location /s { set $a "A$arg_q"; if ($a = "Ax") { return 200 "if-x $a"; } return 200 "no $a"; }
}
`
	addr, _ := proxyFor(t, conf, nil)
	for _, tc := range []struct{ req, want string }{
		{"GET /old/a%20b?q=1 HTTP/1.0\n\n", "Location: http://127.0.0.1:PORT/new/a%20b?q=1"},
		{"GET /r1/abc?z=9 HTTP/1.0\n\n", "uri=/echo args=who=abc&z=9"},
		{"GET /r2/abc?z=9 HTTP/1.0\n\n", "uri=/echo args="},
		{"GET /r3/x%20y?z=9 HTTP/1.0\n\n", "404 Not Found"}, // break stops the statements: static /echo/x y
		{"GET /r4/p?z=9 HTTP/1.0\n\n", "Location: http://example.com/p?x=1&z=9"},
		{"GET /r5/p?z=9 HTTP/1.0\n\n", "uri=/echo args=two=p&z=9"},
		{"GET /s?q=x HTTP/1.0\n\n", "if-x Ax"},
		{"GET /s?q=y HTTP/1.0\n\n", "no Ay"},
	} {
		resp := exchangeRaw(t, addr, crlf(tc.req), 2*time.Second)
		want := strings.ReplaceAll(tc.want, "PORT", addr[strings.LastIndexByte(addr, ':')+1:])
		if !strings.Contains(resp, want) {
			t.Errorf("%q: got %q, want it to contain %q", tc.req, resp, want)
		}
	}
}

// TestShutdownClosesIdle: a graceful shutdown closes keepalive connections
// waiting for a request at once, as nginx's exiting worker does, and does
// not wait for their keepalive_timeout.
func TestShutdownClosesIdle(t *testing.T) {
	log, _ := testLog(t)
	port := freePort(t)
	s := New(load(t, "server { listen 127.0.0.1:"+port+"; return 200 ok; }\n"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve() }()
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	br := bufio.NewReader(c)
	var out bytes.Buffer
	if _, ok := readResponse(br, &out, false); !ok || !strings.Contains(out.String(), "Connection: keep-alive") {
		t.Fatalf("first response: %q", out.String())
	}
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Shutdown took %v with only an idle connection open", d)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Error("the idle connection is still open")
	}
}
