package proxy

import (
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// TestTempFileName checks ngx_create_hashed_filename's layout: each level
// names a subdirectory by the number's last digits, the first level the
// last ones.
func TestTempFileName(t *testing.T) {
	for _, tc := range []struct {
		path directives.TempPath
		n    uint32
		want string
	}{
		{directives.TempPath{Name: "/var/lib/nginx/body"}, 1, "/var/lib/nginx/body/0000000001"},
		{directives.TempPath{Name: "/t", Level: [3]int{1, 2}}, 1234567, "/t/7/56/0001234567"},
		{directives.TempPath{Name: "/t", Level: [3]int{3, 3, 4}}, 4294967295, "/t/295/967/4294/4294967295"},
		{directives.TempPath{Name: "/t", Level: [3]int{2}}, 3, "/t/03/0000000003"},
	} {
		if got := tempFileName(tc.path, tc.n); got != tc.want {
			t.Errorf("%v %d: got %s, want %s", tc.path, tc.n, got, tc.want)
		}
	}
}

// TestClientBodyInFileOnly checks that client_body_in_file_only on keeps
// the body's file (named as nginx names it, its level directory made on
// demand) after the request, and that a body that cannot be written to
// client_body_temp_path is a 500 with nginx's [crit].
func TestClientBodyInFileOnly(t *testing.T) {
	dir := t.TempDir()
	be := startBackend(t, okReply, okReply)
	conf := "server { listen 127.0.0.1:{{PORT}};\n" +
		"location /keep { client_body_in_file_only on; client_body_temp_path " + dir + "/keep/ 1; proxy_pass http://{{B}}; }\n" +
		"location /gone { client_body_buffer_size 1k; client_body_temp_path " + dir + "/gone; proxy_pass http://{{B}}; }\n}\n"
	addr, logLines := proxyFor(t, conf, be)
	if err := os.Mkdir(dir+"/keep", 0o700); err != nil {
		t.Fatal(err)
	}
	got := stripDate(exchangeRaw(t, addr, crlf("POST /keep HTTP/1.1\nHost: h\nContent-Length: 5\nConnection: close\n\nhello"), 2*time.Second))
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK") {
		t.Fatalf("client got %q", got)
	}
	if reqs := be.requests(); len(reqs) != 1 || !strings.HasSuffix(reqs[0], "\r\n\r\nhello") {
		t.Errorf("backend got %q", reqs)
	}
	// The file stays once the request is over: "on", not "clean".
	eventually(t, 2*time.Second, func() bool {
		b, err := os.ReadFile(dir + "/keep/1/0000000001")
		return err == nil && string(b) == "hello"
	}, func() string { return "no kept file " + dir + "/keep/1/0000000001" })

	body := strings.Repeat("x", 4000)
	got = stripDate(exchangeRaw(t, addr, crlf("POST /gone HTTP/1.1\nHost: h\nContent-Length: 4000\nConnection: close\n\n")+body, 2*time.Second))
	if !strings.HasPrefix(got, "HTTP/1.1 500 Internal Server Error") {
		t.Errorf("client got %q, want a 500", got)
	}
	want := `[crit] open() "` + dir + `/gone/0000000002" failed (2: No such file or directory), client: 127.0.0.1, server: , request: "POST /gone HTTP/1.1", host: "h"`
	eventually(t, 2*time.Second, func() bool {
		for _, l := range logLines() {
			if connNumber.ReplaceAllString(l, "$1") == want {
				return true
			}
		}
		return false
	}, func() string { return "error log\n" + strings.Join(logLines(), "\n") + "\nwant\n" + want })
}

// TestClientBodyInFileOnlyClean checks that the file of
// client_body_in_file_only clean is gone once the request is over.
func TestClientBodyInFileOnlyClean(t *testing.T) {
	dir := t.TempDir()
	be := startBackend(t, okReply)
	conf := "server { listen 127.0.0.1:{{PORT}};\n" +
		"location / { client_body_in_file_only clean; client_body_temp_path " + dir + "; proxy_pass http://{{B}}; }\n}\n"
	addr, _ := proxyFor(t, conf, be)
	got := exchangeRaw(t, addr, crlf("POST / HTTP/1.1\nHost: h\nContent-Length: 5\nConnection: close\n\nhello"), 2*time.Second)
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK") {
		t.Fatalf("client got %q", got)
	}
	if reqs := be.requests(); len(reqs) != 1 || !strings.HasSuffix(reqs[0], "\r\n\r\nhello") {
		t.Errorf("backend got %q", reqs)
	}
	eventually(t, 2*time.Second, func() bool {
		_, err := os.Stat(dir + "/0000000001")
		return os.IsNotExist(err)
	}, func() string { return dir + "/0000000001 is still there" })
}

// TestResponseTempFileFails checks a response that must go to a
// temporary file which cannot be made: nginx's [crit] while reading
// upstream, and the response cut short (the pipe aborts).
func TestResponseTempFileFails(t *testing.T) {
	dir := t.TempDir()
	const size = 20 << 20
	be := startBackend(t, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n"+strings.Repeat("x", size))
	conf := "server { listen 127.0.0.1:{{PORT}};\n" +
		"location / { proxy_temp_path " + dir + "/missing; proxy_pass http://{{B}}; }\n}\n"
	addr, logLines := proxyFor(t, conf, be)
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /big HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	// Take nothing until the proxy's buffers and the socket are full.
	time.Sleep(time.Second)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := io.Copy(io.Discard, c)
	if n >= size {
		t.Errorf("client got %d bytes, want the response cut short", n)
	}
	want := `[crit] open() "` + dir + `/missing/0000000001" failed (2: No such file or directory) while reading upstream, client: 127.0.0.1, server: , request: "GET /big HTTP/1.1", upstream: "http://` + be.addr() + `/big", host: "h"`
	eventually(t, 2*time.Second, func() bool {
		for _, l := range logLines() {
			if connNumber.ReplaceAllString(l, "$1") == want {
				return true
			}
		}
		return false
	}, func() string { return "error log\n" + strings.Join(logLines(), "\n") + "\nwant\n" + want })
}
