package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test harness: a raw TCP backend that records the exact bytes of each
// request it receives and answers canned responses, a proxy.Server run in
// process on a configuration, and a client that writes raw bytes and reads
// what comes back. Expectations in the tests were read off nginx 1.22
// (Debian's nginx-light) on the same configurations.

// backend is a test upstream.
type backend struct {
	ln      net.Listener
	mu      sync.Mutex
	got     []string // each connection's request bytes, head and body
	replies []string // answers, one per connection; the last repeats
	// hold keeps a connection open without answering (timeouts).
	hold bool
	// headOnly answers after the request head, without reading a body.
	headOnly bool
	// held receives when a held connection ends (the proxy closed it).
	held  chan struct{}
	conns sync.WaitGroup
}

// startBackend listens on 127.0.0.1 and answers each connection with the
// next reply.
func startBackend(t *testing.T, replies ...string) *backend {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{ln: ln, replies: replies, held: make(chan struct{}, 16)}
	go b.serve()
	t.Cleanup(func() {
		ln.Close()
		b.conns.Wait()
	})
	return b
}

func (b *backend) addr() string { return b.ln.Addr().String() }

// setHeadOnly makes the backend answer after request heads.
func (b *backend) setHeadOnly(on bool) {
	b.mu.Lock()
	b.headOnly = on
	b.mu.Unlock()
}

// setHold makes the backend never answer.
func (b *backend) setHold(on bool) {
	b.mu.Lock()
	b.hold = on
	b.mu.Unlock()
}

func (b *backend) serve() {
	n := 0
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		reply := ""
		if len(b.replies) > 0 {
			reply = b.replies[min(n, len(b.replies)-1)]
		}
		hold, headOnly := b.hold, b.headOnly
		b.mu.Unlock()
		n++
		b.conns.Add(1)
		go func() {
			defer b.conns.Done()
			defer c.Close()
			req := readRequest(c, headOnly)
			b.mu.Lock()
			b.got = append(b.got, req)
			b.mu.Unlock()
			if hold {
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, _ = io.Copy(io.Discard, c)
				b.held <- struct{}{}
				return
			}
			_, _ = io.WriteString(c, strings.ReplaceAll(reply, "{{B}}", b.addr()))
		}()
	}
}

// requests returns what the backend received so far.
func (b *backend) requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

// readRequest reads one request as the proxy sends it: the head, then a
// Content-Length or chunked body.
func readRequest(c net.Conn, headOnly bool) string {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	var buf bytes.Buffer
	length, chunked := 0, false
	for {
		line, err := br.ReadString('\n')
		buf.WriteString(line)
		if err != nil {
			return buf.String()
		}
		low := strings.ToLower(line)
		if v, ok := strings.CutPrefix(low, "content-length:"); ok {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if strings.HasPrefix(low, "transfer-encoding:") && strings.Contains(low, "chunked") {
			chunked = true
		}
		if line == "\r\n" {
			break
		}
	}
	if headOnly {
		return buf.String()
	}
	if chunked {
		for {
			line, err := br.ReadString('\n')
			buf.WriteString(line)
			if err != nil {
				return buf.String()
			}
			n, _ := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
			chunk := make([]byte, n+2)
			k, _ := io.ReadFull(br, chunk)
			buf.Write(chunk[:k])
			if n == 0 {
				return buf.String()
			}
		}
	}
	body := make([]byte, length)
	k, _ := io.ReadFull(br, body)
	buf.Write(body[:k])
	return buf.String()
}

// oracle reports whether the tests run against the real nginx 1.22
// (NGINXWS_ORACLE=1): the same tables, the same backends, nginx instead of
// the in-process Server. It is how their expectations were written and how
// they are checked again.
func oracle() bool { return os.Getenv("NGINXWS_ORACLE") == "1" }

// proxyFor runs a Server (or, in oracle mode, nginx) on a configuration
// whose http block holds servers; "{{B}}" in it is replaced by the
// backend's address, "{{PORT}}" by a free port the server listens on and
// "{{DIR}}" by a scratch directory. It returns the server's address and
// a reader of its error log lines ("[level] message", without time, pid
// and connection number in oracle mode).
func proxyFor(t *testing.T, servers string, be *backend) (string, func() []string) {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	text := strings.ReplaceAll(servers, "{{PORT}}", port)
	text = strings.ReplaceAll(text, "{{DIR}}", dir)
	if be != nil {
		text = strings.ReplaceAll(text, "{{B}}", be.addr())
	}
	addr := "127.0.0.1:" + port
	if oracle() {
		return addr, runNginx(t, dir, text, addr)
	}
	log, lines := testLog(t)
	s := New(load(t, text), log)
	// The name nginx announces, so that pages compare byte for byte.
	s.SetVersion("nginx/1.22.1")
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	return addr, lines
}

// runNginx starts nginx in the foreground on the configuration.
func runNginx(t *testing.T, dir, servers, addr string) func() []string {
	t.Helper()
	conf := "daemon off; user root; worker_processes 1; pid " + dir + "/nginx.pid;\n" +
		"error_log " + dir + "/error.log debug;\nevents {}\nhttp {\n    access_log off;\n" + servers + "}\n"
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nginx", "-p", dir+"/", "-c", path, "-e", dir+"/error.log")
	if err := cmd.Start(); err != nil {
		t.Skip("nginx not available:", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		_ = cmd.Wait()
	})
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	prefix := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[[a-z]+\]) \d+#\d+: (\*\d+ )?`)
	return func() []string {
		b, _ := os.ReadFile(dir + "/error.log")
		var out []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.Contains(l, "[error]") && !strings.Contains(l, "[crit]") {
				continue
			}
			out = append(out, prefix.ReplaceAllString(l, "$1 "))
		}
		return out
	}
}

// exchangeRaw writes req to addr and returns the responses read: as many
// as expected (n, interim 100 responses counted), each up to its end as
// its framing says, or everything until the server closes or nothing
// arrives for wait.
func exchangeRaw(t *testing.T, addr, req string, wait time.Duration) string {
	t.Helper()
	return exchangeN(t, addr, req, 1, wait)
}

func exchangeN(t *testing.T, addr, req string, n int, wait time.Duration) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, part := range strings.Split(req, "{{PAUSE}}") {
		if i > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		if _, err := io.WriteString(c, part); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	br := bufio.NewReader(c)
	var out bytes.Buffer
	for i := 0; i < n; i++ {
		interim, ok := readResponse(br, &out, strings.HasPrefix(req, "HEAD "))
		if !ok {
			break
		}
		if interim {
			i--
		}
	}
	return out.String()
}

// readResponse copies one response from br to out; interim reports a 1xx
// other than 101.
func readResponse(br *bufio.Reader, out *bytes.Buffer, head bool) (interim, ok bool) {
	status := 0
	length, chunked := -1, false
	for {
		line, err := br.ReadString('\n')
		out.WriteString(line)
		if err != nil {
			return false, false
		}
		if status == 0 && strings.HasPrefix(line, "HTTP/") && len(line) >= 12 {
			status, _ = strconv.Atoi(line[9:12])
		}
		low := strings.ToLower(line)
		if v, ok := strings.CutPrefix(low, "content-length:"); ok {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if strings.HasPrefix(low, "transfer-encoding:") && strings.Contains(low, "chunked") {
			chunked = true
		}
		if line == "\r\n" {
			break
		}
	}
	switch {
	case status >= 100 && status < 200:
		return status != 101, status != 101
	case head || status == 204 || status == 304:
		return false, true
	case chunked:
		for {
			line, err := br.ReadString('\n')
			out.WriteString(line)
			if err != nil {
				return false, false
			}
			k, _ := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
			if k == 0 {
				end, _ := br.ReadString('\n')
				out.WriteString(end)
				return false, true
			}
			chunk := make([]byte, k+2)
			m, err := io.ReadFull(br, chunk)
			out.Write(chunk[:m])
			if err != nil {
				return false, false
			}
		}
	case length >= 0:
		body := make([]byte, length)
		m, err := io.ReadFull(br, body)
		out.Write(body[:m])
		return false, err == nil
	}
	_, _ = io.Copy(out, br)
	return false, false
}

// dateLine matches the Date header, whose value is the time of the
// response.
func stripDate(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\r\n") {
		if strings.HasPrefix(l, "Date: ") {
			l = "Date: <date>"
		}
		out = append(out, l)
	}
	return strings.Join(out, "\r\n")
}

// connNumber matches the "*N " of an error log line.
var connNumber = regexp.MustCompile(`^(\[[a-z]+\] )\*\d+ `)

// crlf turns "\n" into "\r\n" so that expectations read as text.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// eventually polls cond until it holds, and fails the test with failure's
// account of the state once timeout has passed: for what the server does
// a moment after the client sees it (a log line, a tunnel's end).
func eventually(t *testing.T, timeout time.Duration, cond func() bool, failure func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(failure())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
