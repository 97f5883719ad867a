package directives

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// testReq is a test implementation of Request: a raw HTTP/1.x request head
// parsed the simple way (enough for the requests the tests send), with the
// connection and response facts the test sets.
type testReq struct {
	line, method, uri, proto []byte
	path, args               []byte
	host                     []byte
	headers                  [][2][]byte
	respHeaders              [][2][]byte
	upHeaders                [][2][]byte
	server                   *Server
	conn                     ConnInfo
	info                     RequestInfo
	upstream                 *UpstreamInfo
	now                      time.Time
	// uninitialized lists the UninitializedVariable calls.
	uninitialized []string
	counts        ConnectionCounts
}

func (r *testReq) RequestLine() []byte                { return r.line }
func (r *testReq) Method() []byte                     { return r.method }
func (r *testReq) RequestURI() []byte                 { return r.uri }
func (r *testReq) Protocol() []byte                   { return r.proto }
func (r *testReq) URI() []byte                        { return r.path }
func (r *testReq) Args() []byte                       { return r.args }
func (r *testReq) Host() []byte                       { return r.host }
func (r *testReq) Server() *Server                    { return r.server }
func (r *testReq) Conn() *ConnInfo                    { return &r.conn }
func (r *testReq) Info() *RequestInfo                 { return &r.info }
func (r *testReq) Upstream() *UpstreamInfo            { return r.upstream }
func (r *testReq) Now() time.Time                     { return r.now }
func (r *testReq) ConnectionCounts() ConnectionCounts { return r.counts }
func (r *testReq) UninitializedVariable(name string) {
	r.uninitialized = append(r.uninitialized, name)
}
func (r *testReq) NumHeaders(set HeaderSet) int { return len(r.list(set)) }
func (r *testReq) Header(set HeaderSet, i int) ([]byte, []byte) {
	h := r.list(set)[i]
	return h[0], h[1]
}

func (r *testReq) list(set HeaderSet) [][2][]byte {
	switch set {
	case ResponseHeaders:
		return r.respHeaders
	case UpstreamHeaders:
		return r.upHeaders
	case ResponseTrailers:
		return nil
	}
	return r.headers
}

// parseTestRequest reads a raw request head ("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").
func parseTestRequest(t testing.TB, raw string) *testReq {
	t.Helper()
	head, _, _ := strings.Cut(raw, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	// The requests of the tests are answered without reading a body, so
	// nginx counts the head only.
	r := &testReq{line: []byte(lines[0]), now: time.Now(), info: RequestInfo{BodyLength: -1, Length: int64(len(head) + 4)}}
	parts := strings.Split(lines[0], " ")
	r.method = []byte(parts[0])
	target := parts[1]
	if len(parts) > 2 {
		r.proto = []byte(parts[2])
	}
	if i := strings.Index(target, "://"); i > 0 {
		rest := target[i+3:]
		end := strings.IndexAny(rest, "/?")
		hostport := rest
		if end >= 0 {
			hostport, rest = rest[:end], rest[end:]
		} else {
			rest = "/"
		}
		r.host = []byte(normHost(hostport))
		target = rest
	}
	r.uri = []byte(target)
	p, a, _ := strings.Cut(target, "?")
	r.path = []byte(normPath(p))
	if a != "" {
		r.args = []byte(a)
	}
	for _, l := range lines[1:] {
		n, v, _ := strings.Cut(l, ":")
		v = strings.Trim(v, " ") // nginx skips spaces, not tabs
		r.headers = append(r.headers, [2][]byte{[]byte(n), []byte(v)})
		if strings.EqualFold(n, "host") && r.host == nil {
			r.host = []byte(normHost(v))
		}
	}
	return r
}

// normHost lower-cases a host and drops its port and a trailing dot.
func normHost(h string) string {
	h = strings.ToLower(h)
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[:i+1]
		}
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

// normPath decodes %XX, merges slashes and resolves dot segments.
func normPath(p string) string {
	var b bytes.Buffer
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			if v, ok := unhex(p[i+1]); ok {
				if w, ok := unhex(p[i+2]); ok {
					b.WriteByte(v<<4 | w)
					i += 2
					continue
				}
			}
		}
		b.WriteByte(p[i])
	}
	var out []string
	for _, seg := range strings.Split(b.String(), "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	res := "/" + strings.Join(out, "/")
	if strings.HasSuffix(b.String(), "/") && res != "/" {
		res += "/"
	}
	return res
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// mustLoad compiles an http block's content (servers, maps) for a test.
func mustLoad(t testing.TB, httpBody string) *Config {
	t.Helper()
	dir := t.TempDir()
	text := "pid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log;\nevents {}\nhttp {\n" + httpBody + "\n}\n"
	cfg, err := LoadString(dir+"/nginx.conf", text, LoadOptions{Prefix: dir + "/", Resolve: testResolver})
	if err != nil {
		t.Fatalf("load: %v\n%s", err, text)
	}
	if cfg.HTTP == nil || cfg.HTTP.Engine() == nil {
		t.Fatal("no engine")
	}
	return cfg
}
