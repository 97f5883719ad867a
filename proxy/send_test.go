package proxy

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A client that stops reading a file: send_timeout's line says what the
// static module's connection was doing, "sending response to client"
// (nginx 1.22: "client timed out (110: Connection timed out) while
// sending response to client").
func TestStaticSendTimeoutAction(t *testing.T) {
	root := t.TempDir()
	// More than the socket buffers take.
	if err := os.WriteFile(filepath.Join(root, "big"), make([]byte, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, lines := proxyFor(t, `server { listen 127.0.0.1:{{PORT}}; send_timeout 300ms;
		location / { root `+root+`; } }`, nil)
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	const want = "[info] *1 client timed out (110: Connection timed out) while sending response to client, client: 127.0.0.1"
	eventually(t, 5*time.Second, func() bool {
		return strings.Contains(strings.Join(lines(), "\n"), want)
	}, func() string { return "want " + want + ", got:\n" + strings.Join(lines(), "\n") })
}
