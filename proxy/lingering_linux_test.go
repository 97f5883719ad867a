package proxy

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The lingering close under lingering_close, lingering_time and
// lingering_timeout. A connection closed while the client's bytes wait
// unread is reset; one closed lingering is shut down for writing first
// and reads what comes, so the client sees an end of file and can go on
// writing. Run against nginx 1.22 with NGINXWS_ORACLE=1.

// lingerServer is a server whose responses end their connections
// (keepalive_timeout 0), with the given lingering directives.
func lingerServer(t *testing.T, directives string) string {
	t.Helper()
	addr, _ := proxyFor(t, "server { listen 127.0.0.1:{{PORT}}; keepalive_timeout 0; "+directives+
		" location / { return 200 \"ok\\n\"; } }\n", nil)
	return addr
}

// getWithJunk sends a request and, in the same write, more bytes than
// either server reads with it (so that some wait unread in the socket when
// the response is done), then reads the response and what ends it.
func getWithJunk(t *testing.T, addr string) (string, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := "GET / HTTP/1.1\r\nHost: h\r\n\r\n" + strings.Repeat("x", 256<<10)
	go func() { _, _ = c.Write([]byte(req)) }()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestLingeringCloseOnDrainsUnreadBytes(t *testing.T) {
	resp, err := getWithJunk(t, lingerServer(t, ""))
	if err != nil || !strings.HasSuffix(resp, "\r\n\r\nok\n") {
		t.Errorf("lingering_close on: read %q, then %v; want the response and an end of file", resp, err)
	}
}

func TestLingeringCloseOffResets(t *testing.T) {
	resp, err := getWithJunk(t, lingerServer(t, "lingering_close off;"))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("lingering_close off: read %q, then %v; want a reset", resp, err)
	}
}

// endedGet sends a request with nothing after it and reads its response
// to the end of file; the connection is returned open for writing.
func endedGet(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := io.ReadAll(c); err != nil || !strings.HasSuffix(string(b), "ok\n") {
		t.Fatalf("read %q, then %v", b, err)
	}
	return c.(*net.TCPConn)
}

// stillLingering writes a byte after the response's end of file and
// reports whether the server took it: a server that closed answers with a
// reset, which moves the socket from CLOSE-WAIT to CLOSED (reads cannot
// tell: after the end of file they return it again). The reset comes back
// at once on loopback; 50ms without it is a server still lingering.
func stillLingering(t *testing.T, c *net.TCPConn) bool {
	t.Helper()
	if _, err := c.Write([]byte("x")); err != nil {
		return false
	}
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		// struct tcp_info starts with tcpi_state.
		var info [104]byte
		size := uint32(len(info))
		var errno syscall.Errno
		_ = raw.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
				uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&size)), 0)
		})
		if errno != 0 {
			t.Fatal(errno)
		}
		if info[0] == tcpClosed {
			return false
		}
	}
	return true
}

// tcpClosed is Linux's TCP_CLOSE state (tcp_info.tcpi_state).
const tcpClosed = 7

func TestLingeringCloseAlwaysWithNothingPending(t *testing.T) {
	on := endedGet(t, lingerServer(t, ""))
	if stillLingering(t, on) {
		t.Error("lingering_close on, nothing pending: the connection lingers; want it closed")
	}
	always := endedGet(t, lingerServer(t, "lingering_close always;"))
	if !stillLingering(t, always) {
		t.Error("lingering_close always: the connection is closed; want it lingering")
	}
}

func TestLingeringTimeout(t *testing.T) {
	c := endedGet(t, lingerServer(t, "lingering_close always; lingering_timeout 1s;"))
	start := time.Now()
	// Bytes within lingering_timeout keep it going past it (nginx
	// re-arms its timer lazily, moving it only by 300ms or more: every
	// other byte here)...
	for time.Since(start) < 1500*time.Millisecond {
		time.Sleep(100 * time.Millisecond)
		if !stillLingering(t, c) {
			t.Fatalf("closed %v after the response, with a byte every 150ms; lingering_timeout is 1s", time.Since(start))
		}
	}
	// ...and a silence longer than it ends it.
	time.Sleep(1500 * time.Millisecond)
	if stillLingering(t, c) {
		t.Error("still lingering 1.5s after the last byte; lingering_timeout is 1s")
	}
}

func TestLingeringTime(t *testing.T) {
	c := endedGet(t, lingerServer(t, "lingering_close always; lingering_time 2s; lingering_timeout 5s;"))
	start := time.Now()
	// nginx counts lingering_time in whole seconds from the close (the
	// close's second plus 2), and sees its end at the first byte after
	// it: between 1s and 2s of bytes every 150ms, then one more.
	for stillLingering(t, c) {
		if time.Since(start) > 4*time.Second {
			t.Fatal("still lingering after 4s; lingering_time is 2s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := time.Since(start); d < time.Second || d > 2500*time.Millisecond {
		t.Errorf("lingering ended %v after the close; want between 1s and 2s, and a byte", d)
	}
}

// TestTunnelLingeringClose: a tunnel that ends on a timeout closes the
// client's side under lingering_close as a request does (nginx finalizes
// the request): off resets a client whose bytes wait unread, always
// lingers with nothing pending, on only when bytes wait.
func TestTunnelLingeringClose(t *testing.T) {
	t.Run("off", func(t *testing.T) {
		noLeaks(t)
		e := startTunnelProxy(t, stalled101Backend(t), "proxy_send_timeout 300ms; lingering_close off;")
		c, br, _ := e.rawUpgrade(t, wsRequest)
		// Write until the proxy gives up on the upstream with the
		// client's bytes unread, and closes: the write fails with the
		// reset (a lingering proxy would read on).
		chunk := make([]byte, 64<<10)
		var werr error
		for start := time.Now(); time.Since(start) < 3*time.Second; {
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, werr = c.Write(chunk); werr != nil {
				break
			}
		}
		logged(t, e.lines, `^\[info\] \*\d+ upstream timed out \(110: Connection timed out\) while proxying upgraded connection`)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, rerr := br.ReadByte()
		if !errors.Is(werr, syscall.ECONNRESET) && !errors.Is(werr, syscall.EPIPE) && !errors.Is(rerr, syscall.ECONNRESET) {
			t.Errorf("write: %v, read: %v; want a reset (lingering_close off)", werr, rerr)
		}
		waitTunnels(t, e.s, 0)
	})
	for _, mode := range []string{"on", "always"} {
		t.Run(mode, func(t *testing.T) {
			noLeaks(t)
			e := startTunnelProxy(t, stalled101Backend(t), "proxy_read_timeout 200ms; lingering_close "+mode+";")
			c, br, _ := e.rawUpgrade(t, wsRequest)
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
				t.Fatalf("read after proxy_read_timeout: %v; want an end of file", err)
			}
			if got, want := stillLingering(t, c.(*net.TCPConn)), mode == "always"; got != want {
				t.Errorf("lingering_close %s, nothing pending: lingering %v, want %v", mode, got, want)
			}
			c.Close()
			waitTunnels(t, e.s, 0)
		})
	}
}
