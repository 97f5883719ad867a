package proxy

import (
	"strings"
	"testing"
	"time"
)

// pause in a request makes the client wait 200 ms before writing the
// rest, so that the proxy reads the head alone.
const pause = "{{PAUSE}}"

// okReply is what test backends answer unless a case says otherwise.
const okReply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// TestUpstreamRequest checks the request the upstream receives, byte for
// byte: request line, nginx's default and configured headers in order,
// the client's headers passed in order and case, the URI rules and the
// body. Each expectation was read off nginx 1.22 (NGINXWS_ORACLE=1 runs
// the table against it).
func TestUpstreamRequest(t *testing.T) {
	cases := []struct {
		name, conf, req, want string
		headOnly              bool
	}{
		{
			name: "defaults and hop-by-hop headers",
			conf: `location / { proxy_pass http://{{B}}; }`,
			req: "GET /a/b?x=1 HTTP/1.1\nHost: Example.COM\nUser-Agent: t\nX-Mixed-Case: v\nConnection: keep-alive, X-Mixed-Case\n" +
				"Keep-Alive: 300\nTE: trailers\nUpgrade: h2c\nProxy-Connection: x\nX_Under: 1\nExpect: x\nTrailer: y\nVia: 1.1 z\nX-Dup: 1\nX-Dup: 2\n\n",
			want: "GET /a/b?x=1 HTTP/1.0\nHost: {{B}}\nConnection: close\nUser-Agent: t\nX-Mixed-Case: v\nProxy-Connection: x\nTrailer: y\nVia: 1.1 z\nX-Dup: 1\nX-Dup: 2\n\n",
		},
		{
			name: "proxy_set_header order, empty values, defaults after",
			conf: `location / { proxy_pass http://{{B}}; proxy_set_header X-B b; proxy_set_header Host $host; proxy_set_header X-A ""; proxy_set_header Connection ""; }`,
			req:  "GET / HTTP/1.1\nHost: Example.COM:8080\nX-A: client\nX-C: c\n\n",
			want: "GET / HTTP/1.0\nX-B: b\nHost: example.com\nX-C: c\n\n",
		},
		{
			name: "values kept as written, spaces included",
			conf: `location / { proxy_pass http://{{B}}; proxy_set_header X-Sp "  a b  "; proxy_set_header X-E " "; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "GET / HTTP/1.0\nX-Sp:   a b  \nX-E:  \nHost: {{B}}\nConnection: close\n\n",
		},
		{
			name: "a level with its own proxy_set_header inherits none",
			conf: `proxy_set_header X-Server s; location / { proxy_pass http://{{B}}; proxy_set_header X-Loc l; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "GET / HTTP/1.0\nX-Loc: l\nHost: {{B}}\nConnection: close\n\n",
		},
		{
			name: "inherited proxy_set_header and HTTP/1.1",
			conf: `proxy_set_header X-Server s; proxy_http_version 1.1; location / { proxy_pass http://{{B}}; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "GET / HTTP/1.1\nX-Server: s\nHost: {{B}}\nConnection: close\n\n",
		},
		{
			name: "proxy_pass_request_headers off",
			conf: `location / { proxy_pass http://{{B}}; proxy_pass_request_headers off; }`,
			req:  "GET / HTTP/1.1\nHost: h\nX-A: a\n\n",
			want: "GET / HTTP/1.0\nHost: {{B}}\nConnection: close\n\n",
		},
		{
			name: "URI part replaces the prefix of the normalised URI, re-escaped",
			conf: `location /api/ { proxy_pass http://{{B}}/v1/; }`,
			req:  "GET /api/x%20y/./z/../w%3F?q=1 HTTP/1.1\nHost: h\n\n",
			want: "GET /v1/x%20y/w%3F?q=1 HTTP/1.0\nHost: {{B}}\nConnection: close\n\n",
		},
		{
			name: "URI part without escapes in the request",
			conf: `location /api/ { proxy_pass http://{{B}}/; }`,
			req:  "GET /api//a/./b HTTP/1.1\nHost: h\n\n",
			want: "GET /a/b HTTP/1.0\nHost: {{B}}\nConnection: close\n\n",
		},
		{
			name: "without a URI part the request URI goes unchanged",
			conf: `location / { proxy_pass http://{{B}}; }`,
			req:  "GET //a/./b%41?x=%20 HTTP/1.1\nHost: h\n\n",
			want: "GET //a/./b%41?x=%20 HTTP/1.0\nHost: {{B}}\nConnection: close\n\n",
		},
		{
			name: "with variables the URI is used as given",
			conf: `location / { proxy_pass http://{{B}}/fixed$request_uri; }`,
			req:  "GET /p?q HTTP/1.1\nHost: h\n\n",
			want: "GET /fixed/p?q HTTP/1.0\nHost: {{B}}\nConnection: close\n\n",
		},
		{
			name: "X-Forwarded-For joins the client's and adds the address",
			conf: `location / { proxy_pass http://{{B}}; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Real-IP $remote_addr; }`,
			req:  "GET / HTTP/1.1\nHost: h\nX-Forwarded-For: 1.1.1.1\nX-Forwarded-For: 2.2.2.2\n\n",
			want: "GET / HTTP/1.0\nX-Forwarded-For: 1.1.1.1, 2.2.2.2, 127.0.0.1\nX-Real-IP: 127.0.0.1\nHost: {{B}}\nConnection: close\n\n",
		},
		{
			name: "Content-Length body",
			conf: `location / { proxy_pass http://{{B}}; }`,
			req:  "POST /u HTTP/1.1\nHost: h\nContent-Length: 5\nContent-Type: text/plain\n\nhello",
			want: "POST /u HTTP/1.0\nHost: {{B}}\nConnection: close\nContent-Length: 5\nContent-Type: text/plain\n\nhello",
		},
		{
			name: "chunked body goes to HTTP/1.0 with Content-Length",
			conf: `location / { proxy_pass http://{{B}}; }`,
			req:  "POST /u HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n5\nhello\n6\n world\n0\n\n",
			want: "POST /u HTTP/1.0\nHost: {{B}}\nConnection: close\nContent-Length: 11\n\nhello world",
		},
		{
			name: "chunked body already read with the head: Content-Length even unbuffered",
			conf: `location / { proxy_pass http://{{B}}; proxy_http_version 1.1; proxy_request_buffering off; }`,
			req:  "POST /u HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n5\nhello\n0\n\n",
			want: "POST /u HTTP/1.1\nHost: {{B}}\nConnection: close\nContent-Length: 5\n\nhello",
		},
		{
			name: "chunked body streamed to HTTP/1.1 without buffering",
			conf: `location / { proxy_pass http://{{B}}; proxy_http_version 1.1; proxy_request_buffering off; }`,
			req:  "POST /u HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n" + pause + "5\nhello\n0\n\n",
			want: "POST /u HTTP/1.1\nHost: {{B}}\nConnection: close\nTransfer-Encoding: chunked\n\n5\nhello\n0\n\n",
		},
		{
			name:     "proxy_pass_request_body off keeps Content-Length",
			conf:     `location / { proxy_pass http://{{B}}; proxy_pass_request_body off; }`,
			req:      "POST /u HTTP/1.1\nHost: h\nContent-Length: 5\n\nhello",
			want:     "POST /u HTTP/1.0\nHost: {{B}}\nConnection: close\nContent-Length: 5\n\n",
			headOnly: true,
		},
		{
			name: "the upstream name as Host, its port kept",
			conf: `location / { proxy_pass http://up; }` + "\n}\nupstream up { server {{B}}; }\nserver { listen 127.0.0.1:1 ; ",
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: "GET / HTTP/1.0\nHost: up\nConnection: close\n\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			be := startBackend(t, okReply)
			be.setHeadOnly(tc.headOnly)
			addr, _ := proxyFor(t, "server { listen 127.0.0.1:{{PORT}};\n"+tc.conf+"\n}\n", be)
			resp := exchangeRaw(t, addr, crlf(tc.req), 2*time.Second)
			if !strings.HasSuffix(resp, "\r\n\r\nok") {
				t.Errorf("client got %q", resp)
			}
			got := be.requests()
			want := strings.ReplaceAll(crlf(tc.want), "{{B}}", be.addr())
			if len(got) != 1 || got[0] != want {
				t.Errorf("upstream got\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// TestExpectContinue: nginx answers "Expect: 100-continue" itself, before
// reading the body, and does not pass Expect upstream.
func TestExpectContinue(t *testing.T) {
	be := startBackend(t, okReply)
	addr, _ := proxyFor(t, "server { listen 127.0.0.1:{{PORT}}; location / { proxy_pass http://{{B}}; } }\n", be)
	resp := exchangeN(t, addr, crlf("POST / HTTP/1.1\nHost: h\nExpect: 100-continue\nContent-Length: 2\n\nab"), 1, 2*time.Second)
	if !strings.HasPrefix(resp, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n") {
		t.Errorf("client got %q", resp)
	}
	want := crlf("POST / HTTP/1.0\nHost: " + be.addr() + "\nConnection: close\nContent-Length: 2\n\nab")
	if got := be.requests(); len(got) != 1 || got[0] != want {
		t.Errorf("upstream got %q, want %q", got, want)
	}
}

// TestLargeBodies: bodies beyond client_body_buffer_size go upstream whole:
// a Content-Length one, and a chunked one (spilled to a temporary file,
// sent with Content-Length to the HTTP/1.0 upstream).
func TestLargeBodies(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 2500) // 40000 bytes
	for _, tc := range []struct{ name, req string }{
		{"content-length", "POST /u HTTP/1.1\nHost: h\nContent-Length: 40000\n\n"},
		{"chunked", "POST /u HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := startBackend(t, okReply)
			addr, _ := proxyFor(t, "server { listen 127.0.0.1:{{PORT}}; location / { proxy_pass http://{{B}}; } }\n", be)
			req := crlf(tc.req)
			if tc.name == "chunked" {
				req += "4e20\r\n" + body[:20000] + "\r\n" + pause + "4e20\r\n" + body[20000:] + "\r\n0\r\n\r\n"
			} else {
				req += body[:20000] + pause + body[20000:]
			}
			resp := exchangeRaw(t, addr, req, 3*time.Second)
			if !strings.HasSuffix(resp, "\r\n\r\nok") {
				t.Errorf("client got %q", resp)
			}
			want := crlf("POST /u HTTP/1.0\nHost: "+be.addr()+"\nConnection: close\nContent-Length: 40000\n\n") + body
			if got := be.requests(); len(got) != 1 || got[0] != want {
				t.Errorf("upstream got %d requests, first %.200q…", len(got), got)
			}
		})
	}
}
