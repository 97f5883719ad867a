package proxy

import (
	"strings"
	"testing"
	"time"
)

// selectCase is a request and the name of the server or location that
// must answer it (each answers "return 200 NAME").
type selectCase struct {
	req, want string
}

// runSelect plays the cases against one configuration; each response's
// body must be the expected name (or, for a want starting with "HTTP/",
// the status line).
func runSelect(t *testing.T, conf string, cases []selectCase) {
	t.Helper()
	addr, _ := proxyFor(t, conf, nil)
	for _, tc := range cases {
		resp := exchangeRaw(t, addr, crlf(tc.req), 2*time.Second)
		got := resp
		if i := strings.Index(resp, "\r\n\r\n"); i >= 0 {
			got = resp[i+4:]
		}
		if strings.HasPrefix(tc.want, "HTTP/") {
			got, _, _ = strings.Cut(resp, "\r\n")
		}
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", strings.SplitN(tc.req, "\n", 2)[0], got, tc.want)
		}
	}
}

// TestLocationMatch checks nginx's location algorithm: exact, longest
// prefix, "^~", regexes in config order (case-sensitive and not), nested
// locations, named locations only by redirect, matching on the normalised
// URI. Expectations read off nginx 1.22.
func TestLocationMatch(t *testing.T) {
	conf := `server { listen 127.0.0.1:{{PORT}};
    location = / { return 200 exact-root; }
    location / { return 200 root; }
    location /a { return 200 a; }
    location /a/b { return 200 ab; }
    location = /a/b { return 200 exact-ab; }
    location ^~ /static/ { return 200 static-noregex; }
    location ~ \.php$ { return 200 php; }
    location ~* \.JPG$ { return 200 jpg; }
    location ~ ^/a/b/c { return 200 regex-abc; }
    location /n/ {
        location /n/inner/ { return 200 nested; }
        location ~ \.txt$ { return 200 nested-regex; }
        return 200 n;
    }
    location @named { return 200 named; }
    location /int/ { internal; return 200 int; }
}
`
	runSelect(t, conf, []selectCase{
		{"GET / HTTP/1.0\n\n", "exact-root"},
		{"GET /x HTTP/1.0\n\n", "root"},
		{"GET /a HTTP/1.0\n\n", "a"},
		{"GET /abc HTTP/1.0\n\n", "a"},
		{"GET /a/b HTTP/1.0\n\n", "exact-ab"},
		{"GET /a/bc HTTP/1.0\n\n", "ab"},
		{"GET /a/b/c/d HTTP/1.0\n\n", "regex-abc"},
		{"GET /a/x.php HTTP/1.0\n\n", "php"},
		{"GET /static/x.php HTTP/1.0\n\n", "static-noregex"},
		{"GET /img/X.jpg HTTP/1.0\n\n", "jpg"},
		{"GET /n/inner/x HTTP/1.0\n\n", "nested"},
		{"GET /n/inner/x.txt HTTP/1.0\n\n", "nested-regex"},
		{"GET /n/x.php HTTP/1.0\n\n", "php"},
		{"GET /n/y HTTP/1.0\n\n", "n"},
		{"GET /@named HTTP/1.0\n\n", "root"},
		{"GET /int/x HTTP/1.0\n\n", "HTTP/1.1 404 Not Found"},
		{"GET /x/../a/%62 HTTP/1.0\n\n", "exact-ab"},
		{"GET //a//b HTTP/1.0\n\n", "exact-ab"},
		{"GET /../x HTTP/1.0\n\n", "HTTP/1.1 400 Bad Request"},
	})
}

// TestAutoRedirect: "/api" gets a 301 to "/api/" when "location /api/"
// proxies, arguments kept, made absolute with the request's host and port.
func TestAutoRedirect(t *testing.T) {
	runClientCases(t, []clientCase{{
		name: "301 to the location with its slash",
		conf: `location /api/ { proxy_pass http://{{B}}; }`,
		req:  "GET /api?x=1 HTTP/1.1\nHost: Example.com:99\n\n",
		want: "HTTP/1.1 301 Moved Permanently\nServer: nginx/1.22.1\nDate: <date>\nContent-Type: text/html\nContent-Length: 169\n" +
			"Location: http://example.com:{{PORT}}/api/?x=1\nConnection: keep-alive\n\n" +
			"<html>\n<head><title>301 Moved Permanently</title></head>\n<body>\n<center><h1>301 Moved Permanently</h1></center>\n<hr><center>nginx/1.22.1</center>\n</body>\n</html>\n",
	}})
}

// TestServerSelect checks the virtual server chosen by Host, then by the
// request line's host: exact names, leading and trailing wildcards (most
// specific first), regexes with captures in order, the empty name for
// requests without Host, default_server.
func TestServerSelect(t *testing.T) {
	conf := `server { listen 127.0.0.1:{{PORT}}; server_name first; return 200 first; }
server { listen 127.0.0.1:{{PORT}} default_server; server_name def; return 200 default; }
server { listen 127.0.0.1:{{PORT}}; server_name example.com www.example.com; return 200 exact; }
server { listen 127.0.0.1:{{PORT}}; server_name *.example.com; return 200 star; }
server { listen 127.0.0.1:{{PORT}}; server_name *.a.example.com; return 200 star-a; }
server { listen 127.0.0.1:{{PORT}}; server_name .example.org; return 200 dot-org; }
server { listen 127.0.0.1:{{PORT}}; server_name www.example.*; return 200 tail; }
server { listen 127.0.0.1:{{PORT}}; server_name ~^(?<sub>[a-z]+)\.regex\.test$ ~^(\d+)\.num$; return 200 "re-$sub$1"; }
server { listen 127.0.0.1:{{PORT}}; server_name ""; return 200 empty; }
`
	runSelect(t, conf, []selectCase{
		{"GET / HTTP/1.1\nHost: example.com\n\n", "exact"},
		{"GET / HTTP/1.1\nHost: WWW.Example.COM.\n\n", "exact"},
		{"GET / HTTP/1.1\nHost: x.example.com\n\n", "star"},
		{"GET / HTTP/1.1\nHost: x.a.example.com\n\n", "star-a"},
		{"GET / HTTP/1.1\nHost: example.org\n\n", "dot-org"},
		{"GET / HTTP/1.1\nHost: y.example.org:80\n\n", "dot-org"},
		{"GET / HTTP/1.1\nHost: www.example.net\n\n", "tail"},
		{"GET / HTTP/1.1\nHost: abc.regex.test\n\n", "re-abcabc"}, // $1 is the named group too
		{"GET / HTTP/1.1\nHost: 42.num\n\n", "re-42"},
		{"GET / HTTP/1.1\nHost: unknown\n\n", "default"},
		{"GET / HTTP/1.0\n\n", "empty"},
		{"GET http://example.com/ HTTP/1.1\nHost: other\n\n", "exact"},
		{"GET / HTTP/1.1\nHost: a..b\n\n", "HTTP/1.1 400 Bad Request"},
	})
}
