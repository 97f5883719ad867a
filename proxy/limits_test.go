package proxy

import (
	"strings"
	"testing"
	"time"
)

// page is nginx's built-in page for a status line.
func page(status string) string {
	return "<html>\n<head><title>" + status + "</title></head>\n<body>\n<center><h1>" + status +
		"</h1></center>\n<hr><center>nginx/1.22.1</center>\n</body>\n</html>\n"
}

// TestClientLimits checks nginx's answers to requests over its limits or
// malformed, with the default settings and small ones.
func TestClientLimits(t *testing.T) {
	long := strings.Repeat("a", 9000)
	runClientCases(t, []clientCase{
		{
			name: "request line over a large buffer: 414",
			conf: `location / { return 200 ok; }`,
			req:  "GET /" + long + " HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 414 Request-URI Too Large\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 177\nConnection: close\n\n" + page("414 Request-URI Too Large"),
		},
		{
			name: "header line over a large buffer: 400 with the 494 page",
			conf: `location / { return 200 ok; }`,
			req:  "GET / HTTP/1.1\nHost: h\nX-Long: " + long + "\n\n",
			want: "HTTP/1.1 400 Bad Request\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 233\nConnection: close\n\n" +
				"<html>\n<head><title>400 Request Header Or Cookie Too Large</title></head>\n<body>\n<center><h1>400 Bad Request</h1></center>\n<center>Request Header Or Cookie Too Large</center>\n<hr><center>nginx/1.22.1</center>\n</body>\n</html>\n",
		},
		{
			name:    "body over client_max_body_size: 413",
			conf:    `client_max_body_size 4; location / { proxy_pass http://{{B}}; }`,
			req:     "POST / HTTP/1.1\nHost: h\nContent-Length: 5\n\nhello",
			want:    "HTTP/1.1 413 Request Entity Too Large\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 183\nConnection: close\n\n" + page("413 Request Entity Too Large"),
			wantLog: []string{`[error] client intended to send too large body: 5 bytes, client: 127.0.0.1, server: , request: "POST / HTTP/1.1", host: "h"`},
		},
		{
			name: "chunked body over client_max_body_size: 413",
			conf: `client_max_body_size 4; location / { proxy_pass http://{{B}}; }`,
			req:  "POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n5\nhello\n0\n\n",
			want: "HTTP/1.1 413 Request Entity Too Large\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 183\nConnection: close\n\n" + page("413 Request Entity Too Large"),
		},
		{
			name: "duplicate Host: 400",
			conf: `location / { return 200 ok; }`,
			req:  "GET / HTTP/1.1\nHost: a\nHost: b\n\n",
			want: "HTTP/1.1 400 Bad Request\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 157\nConnection: close\n\n" + page("400 Bad Request"),
		},
		{
			name: "HTTP/1.1 without Host: 400",
			conf: `location / { return 200 ok; }`,
			req:  "GET / HTTP/1.1\n\n",
			want: "HTTP/1.1 400 Bad Request\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 157\nConnection: close\n\n" + page("400 Bad Request"),
		},
		{
			name: "TRACE: 405",
			conf: `location / { return 200 ok; }`,
			req:  "TRACE / HTTP/1.1\nHost: h\n\n",
			want: "HTTP/1.1 405 Not Allowed\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 157\nConnection: close\n\n" + page("405 Not Allowed"),
		},
		{
			name: "client_header_timeout: closed without an answer",
			conf: `client_header_timeout 200ms; location / { return 200 ok; }`,
			req:  "GET / HTTP/1.1\nHost: h\n",
			want: "",
		},
	})
}

// TestKeepalive checks keepalive with nginx's rules: several requests on
// a connection, "Connection: close", keepalive_requests, HTTP/1.0.
func TestKeepalive(t *testing.T) {
	okResp := "HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/plain\nContent-Length: 2\nConnection: keep-alive\n\nok"
	closeResp := strings.Replace(okResp, "keep-alive", "close", 1)
	runClientCases(t, []clientCase{
		{
			name: "two requests on one connection",
			conf: `location / { return 200 ok; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\nGET / HTTP/1.1\nHost: h\nConnection: close\n\n",
			n:    2,
			want: okResp + closeResp,
		},
		{
			name: "keepalive_requests ends the connection",
			conf: `keepalive_requests 2; location / { return 200 ok; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\nGET / HTTP/1.1\nHost: h\n\nGET / HTTP/1.1\nHost: h\n\n",
			n:    3,
			want: okResp + closeResp,
		},
		{
			name: "HTTP/1.0 with keep-alive",
			conf: `location / { return 200 ok; }`,
			req:  "GET / HTTP/1.0\nConnection: keep-alive\n\n",
			want: okResp,
		},
		{
			name: "keepalive_timeout 0",
			conf: `keepalive_timeout 0; location / { return 200 ok; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: closeResp,
		},
		{
			name: "keepalive_timeout with a header value",
			conf: `keepalive_timeout 30 20; location / { return 200 ok; }`,
			req:  "GET / HTTP/1.1\nHost: h\n\n",
			want: strings.Replace(okResp, "keep-alive\n", "keep-alive\nKeep-Alive: timeout=20\n", 1),
		},
	})
}

// TestClientHeaderTimeoutCloses: a connection that sends nothing is closed
// after client_header_timeout, without a response.
func TestClientHeaderTimeoutCloses(t *testing.T) {
	addr, _ := proxyFor(t, "server { listen 127.0.0.1:{{PORT}}; client_header_timeout 100ms; return 200 ok; }\n", nil)
	start := time.Now()
	got := exchangeRaw(t, addr, "", 3*time.Second)
	if got != "" {
		t.Errorf("got %q, want nothing", got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closed after %v, want about 100ms", d)
	}
}
