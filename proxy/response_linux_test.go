//go:build linux

package proxy

import (
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClientEOFWithRequest: a client whose end of file comes with its
// request (a request, then shutdown(SHUT_WR)) gets no answer: nginx's
// posted read event finds the end of file pending as the upstream is set
// up, and the request ends with 499 before the backend answers it. With
// proxy_ignore_client_abort on, the half-closed client reads its answer.
// (Side by side, nginx races its connect against that event: the action
// in its line and whether the backend saw the request vary from run to
// run, so 440-client-abort keeps only what does not.)
func TestClientEOFWithRequest(t *testing.T) {
	be := startBackend(t, crlf("HTTP/1.1 200 OK\nContent-Length: 2\n\n")+"ok")
	dir := t.TempDir()
	conf := "server { listen 127.0.0.1:{{PORT}}; access_log " + dir + "/access.log; location / { proxy_pass http://{{B}}; }" +
		" location /ignore/ { proxy_ignore_client_abort on; proxy_pass http://{{B}}; } }\n"
	addr, lines := proxyFor(t, conf, be)
	send := func(path string) string {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Corked, the request waits for the shutdown and leaves in the
		// same segment as the FIN: the end of file is there when the
		// proxy reads the request.
		rc, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		_ = rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, 1) })
		_, _ = c.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n"))
		_ = c.(*net.TCPConn).CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return string(b)
	}
	if got := send("/fast"); got != "" {
		t.Errorf("answered a client whose end of file came with its request: %q", got)
	}
	waitFileContains(t, dir+"/access.log", `"GET /fast HTTP/1.1" 499 0 `)
	found := false
	for _, l := range lines() {
		// The action depends on how far the upstream got when the end
		// of file was seen, as in nginx.
		if strings.Contains(l, "[info]") && strings.Contains(l, "client prematurely closed connection, so upstream connection is closed too while ") {
			found = true
		}
	}
	if !found {
		t.Errorf("no 499 line in %q", lines())
	}
	if got := send("/ignore/fast"); !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, "\r\n\r\nok") {
		t.Errorf("proxy_ignore_client_abort on: %q", got)
	}
}
