//go:build linux

package main

import (
	"bufio"
	byteorder "encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The listen parameters that are socket options (so_keepalive=, rcvbuf=,
// sndbuf=, fastopen=, deferred, backlog=), read back from the sockets of
// the running program — nginxws, and nginx 1.22 itself when installed —
// through pidfd_getfd(2), which copies a descriptor out of another
// process.

// Linux's numbers, the same on every architecture.
const (
	sysPidfdOpen   = 434
	sysPidfdGetfd  = 438
	tcpKeepIdle    = 0x4
	tcpKeepIntvl   = 0x5
	tcpKeepCnt     = 0x6
	tcpDeferAccept = 0x9
	tcpFastOpen    = 0x17
)

// sockOpt is one option as getsockopt(2) names it.
type sockOpt struct {
	name        string
	level, code int
}

var (
	optRcvBuf    = sockOpt{"SO_RCVBUF", syscall.SOL_SOCKET, syscall.SO_RCVBUF}
	optSndBuf    = sockOpt{"SO_SNDBUF", syscall.SOL_SOCKET, syscall.SO_SNDBUF}
	optKeepAlive = sockOpt{"SO_KEEPALIVE", syscall.SOL_SOCKET, syscall.SO_KEEPALIVE}
	optKeepIdle  = sockOpt{"TCP_KEEPIDLE", syscall.IPPROTO_TCP, tcpKeepIdle}
	optKeepIntvl = sockOpt{"TCP_KEEPINTVL", syscall.IPPROTO_TCP, tcpKeepIntvl}
	optKeepCnt   = sockOpt{"TCP_KEEPCNT", syscall.IPPROTO_TCP, tcpKeepCnt}
	optDefer     = sockOpt{"TCP_DEFER_ACCEPT", syscall.IPPROTO_TCP, tcpDeferAccept}
	optFastOpen  = sockOpt{"TCP_FASTOPEN", syscall.IPPROTO_TCP, tcpFastOpen}
)

// TestListenSocketOptions: the options are set on the listening socket
// once it is bound, accepted connections inherit them (so_keepalive=7m
// means a connection's first probe after 7 idle minutes), a value the
// kernel refuses is an [alert] in nginx's words and is otherwise ignored,
// and a reload sets the new ones on the socket it keeps (deferred and
// so_keepalive=off undo what they did).
func TestListenSocketOptions(t *testing.T) {
	t.Run("nginxws", func(t *testing.T) { checkListenSocketOptions(t, binary) })
	t.Run("nginx", func(t *testing.T) { checkListenSocketOptions(t, oracle(t)) })
}

func checkListenSocketOptions(t *testing.T, prog string) {
	dir := t.TempDir()
	p1, p2 := freePort(t), freePort(t)
	conf := func(opts string) string {
		return fmt.Sprintf(`daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
    access_log off;
    server { listen 127.0.0.1:%[2]d %[4]s; return 200 "one\n"; }
    server { listen 127.0.0.1:%[3]d so_keepalive=10h::200; return 200 "two\n"; }
}
`, dir, p1, p2, opts)
	}
	write(t, filepath.Join(dir, "nginx.conf"), conf("so_keepalive=7m:30s:4 rcvbuf=96k sndbuf=160k fastopen=8 deferred backlog=77"))
	s := startProgram(t, prog, dir, filepath.Join(dir, "nginx.pid"), "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"))
	// Stopped the way nginx stops its workers too (startProgram's own
	// cleanup, which runs after this one, kills only the master).
	t.Cleanup(func() {
		s.signal(t, syscall.SIGTERM)
		s.wait(t)
	})

	// The kernel doubles the buffer sizes it is given (socket(7)), and
	// reports a one-second TCP_DEFER_ACCEPT as one second.
	listening := map[sockOpt]int{
		optRcvBuf: 2 * 96 << 10, optSndBuf: 2 * 160 << 10,
		optKeepAlive: 1, optKeepIdle: 7 * 60, optKeepIntvl: 30, optKeepCnt: 4,
		optFastOpen: 8, optDefer: 1,
	}
	lfd := socketOf(t, s.pid(), "127.0.0.1:"+strconv.Itoa(p1), "")
	expectOpts(t, "the listening socket", lfd, listening)
	if got := listenBacklog(t, p1); got != 77 {
		t.Errorf("the listening socket's backlog is %d, want 77", got)
	}

	// An accepted connection: the one the client's bytes arrived on
	// (deferred holds it until they do).
	c, err := net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(p1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "HTTP/1.1 200 OK\r\n" {
		t.Fatalf("got %q, %v", line, err)
	}
	afd := socketOf(t, s.pid(), "127.0.0.1:"+strconv.Itoa(p1), c.LocalAddr().String())
	expectOpts(t, "the accepted socket", afd, map[sockOpt]int{
		optRcvBuf: 2 * 96 << 10, optSndBuf: 2 * 160 << 10,
		optKeepAlive: 1, optKeepIdle: 7 * 60, optKeepIntvl: 30, optKeepCnt: 4,
	})

	// so_keepalive=10h::200: both values are over the kernel's limits.
	// SO_KEEPALIVE itself is set, TCP_KEEPINTVL keeps its default.
	// The error log has them (stderr is still being copied).
	for _, want := range []string{
		fmt.Sprintf("[alert] %%d#%%d: setsockopt(TCP_KEEPIDLE, 36000) 127.0.0.1:%d failed, ignored (22: Invalid argument)", p2),
		fmt.Sprintf("[alert] %%d#%%d: setsockopt(TCP_KEEPCNT, 200) 127.0.0.1:%d failed, ignored (22: Invalid argument)", p2),
	} {
		waitFor(t, "the error log's "+want, func() bool {
			b, err := os.ReadFile(filepath.Join(dir, "error.log"))
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(b), "\n") {
				var pid, tid int
				if _, after, ok := strings.Cut(line, " [alert] "); ok {
					if _, err := fmt.Sscanf("[alert] "+after, want, &pid, &tid); err == nil {
						return true
					}
				}
			}
			return false
		})
	}
	expectOpts(t, "the second listening socket", socketOf(t, s.pid(), "127.0.0.1:"+strconv.Itoa(p2), ""),
		map[sockOpt]int{optKeepAlive: 1, optKeepIdle: defaultSysctl(t, "tcp_keepalive_time")})

	// A reload: the kept socket gets the new options; deferred is taken
	// off, so_keepalive=off clears SO_KEEPALIVE, and the keepalive
	// tunables, which the new listen does not give, stay as they were.
	write(t, filepath.Join(dir, "nginx.conf"), conf("so_keepalive=off rcvbuf=64k backlog=33"))
	s.signal(t, syscall.SIGHUP)
	waitFor(t, "TCP_DEFER_ACCEPT 0 after the reload", func() bool {
		fd := socketOf(t, s.pid(), "127.0.0.1:"+strconv.Itoa(p1), "")
		defer syscall.Close(fd)
		return getOpt(t, fd, optDefer) == 0
	})
	lfd = socketOf(t, s.pid(), "127.0.0.1:"+strconv.Itoa(p1), "")
	expectOpts(t, "the listening socket after the reload", lfd, map[sockOpt]int{
		optRcvBuf: 2 * 64 << 10, optSndBuf: 2 * 160 << 10,
		optKeepAlive: 0, optKeepIdle: 7 * 60, optFastOpen: 8, optDefer: 0,
	})
	if got := listenBacklog(t, p1); got != 33 {
		t.Errorf("the listening socket's backlog after the reload is %d, want 33", got)
	}
}

// TestListenOptionsBindTheirOwnSocket: a listen with a socket option binds
// its address on a socket of its own, even beside a wildcard listen of
// the same port (nginx's implied "bind"), which then cannot be bound:
// nginx does not start, and neither does nginxws.
func TestListenOptionsBindTheirOwnSocket(t *testing.T) {
	for _, prog := range []string{"nginxws", "nginx"} {
		t.Run(prog, func(t *testing.T) {
			path := binary
			if prog == "nginx" {
				path = oracle(t)
			}
			dir := t.TempDir()
			p := freePort(t)
			write(t, filepath.Join(dir, "nginx.conf"), fmt.Sprintf(`daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
    server { listen %[2]d; }
    server { listen 127.0.0.1:%[2]d deferred; }
}
`, dir, p))
			r := execute(t, dir, path, "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"))
			want := fmt.Sprintf("[emerg] bind() to 0.0.0.0:%d failed (98: Address already in use)", p)
			if r.code != 1 || strings.Count(r.stderr, want) != 5 || !strings.Contains(r.stderr, "[emerg] still could not bind()") {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 and %q five times, then \"still could not bind()\"", r.code, r.stderr, want)
			}
		})
	}
}

// expectOpts checks the options of the socket fd (closing it).
func expectOpts(t *testing.T, what string, fd int, want map[sockOpt]int) {
	t.Helper()
	defer syscall.Close(fd)
	for o, v := range want {
		if got := getOpt(t, fd, o); got != v {
			t.Errorf("%s: %s is %d, want %d", what, o.name, got, v)
		}
	}
}

func getOpt(t *testing.T, fd int, o sockOpt) int {
	t.Helper()
	v, err := syscall.GetsockoptInt(fd, o.level, o.code)
	if err != nil {
		t.Fatalf("getsockopt(%s): %v", o.name, err)
	}
	return v
}

// defaultSysctl reads an integer of /proc/sys/net/ipv4.
func defaultSysctl(t *testing.T, name string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/" + name)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// socketOf returns a copy of the TCP socket with the given local address
// (and remote one; "" for a listening socket) held by the process pid or
// one of its children (nginx's workers hold the accepted connections).
func socketOf(t *testing.T, pid int, local, remote string) int {
	t.Helper()
	inode := tcpInode(t, local, remote)
	pids := append([]int{pid}, childrenOf(pid)...)
	for _, p := range pids {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p))
		for _, e := range fds {
			link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", p, e.Name()))
			if err != nil || link != "socket:["+inode+"]" {
				continue
			}
			n, _ := strconv.Atoi(e.Name())
			return copyFd(t, p, n)
		}
	}
	t.Fatalf("no process of %v holds the socket %s %s (inode %s)", pids, local, remote, inode)
	return -1
}

// copyFd copies descriptor n of process pid into this one.
func copyFd(t *testing.T, pid, n int) int {
	t.Helper()
	pidfd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno != 0 {
		t.Fatalf("pidfd_open(%d): %v", pid, errno)
	}
	defer syscall.Close(int(pidfd))
	fd, _, errno := syscall.Syscall(sysPidfdGetfd, pidfd, uintptr(n), 0)
	if errno != 0 {
		t.Fatalf("pidfd_getfd(%d, %d): %v", pid, n, errno)
	}
	return int(fd)
}

// childrenOf lists the children of pid.
func childrenOf(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// tcpRow is a row of /proc/net/tcp.
type tcpRow struct {
	local, remote, inode string
}

// tcpRows reads /proc/net/tcp.
func tcpRows(t *testing.T) []tcpRow {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	var rows []tcpRow
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		rows = append(rows, tcpRow{local: f[1], remote: f[2], inode: f[9]})
	}
	return rows
}

// tcpInode finds the socket's inode in /proc/net/tcp; remote "" means the
// listening socket.
func tcpInode(t *testing.T, local, remote string) string {
	t.Helper()
	wantRemote := "00000000:0000"
	if remote != "" {
		wantRemote = procAddr(t, remote)
	}
	for _, r := range tcpRows(t) {
		if r.local == procAddr(t, local) && r.remote == wantRemote {
			return r.inode
		}
	}
	t.Fatalf("no socket %s %s in /proc/net/tcp", local, remote)
	return ""
}

// listenBacklog is the backlog of the socket listening on 127.0.0.1:port,
// as sock_diag(7) reports it (ss's Send-Q column): /proc/net/tcp and
// getsockopt(2) have no figure for it.
func listenBacklog(t *testing.T, port int) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, netlinkSockDiag)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	// nlmsghdr, then inet_diag_req_v2: TCP over IPv4, listening sockets
	// only (the states bit mask), every one of them (a dump).
	req := make([]byte, 16+56)
	byteorder.LittleEndian.PutUint32(req[0:], uint32(len(req)))
	byteorder.LittleEndian.PutUint16(req[4:], sockDiagByFamily)
	byteorder.LittleEndian.PutUint16(req[6:], syscall.NLM_F_REQUEST|syscall.NLM_F_DUMP)
	req[16], req[17] = syscall.AF_INET, syscall.IPPROTO_TCP
	byteorder.LittleEndian.PutUint32(req[20:], 1<<tcpListen)
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<16)
	for {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Header.Type == syscall.NLMSG_DONE || m.Header.Type == syscall.NLMSG_ERROR {
				t.Fatalf("nothing listens on 127.0.0.1:%d", port)
			}
			// inet_diag_msg: family, state, timer, retrans, then the
			// socket's id (source port first, big-endian, source
			// address at 8), expires, rqueue, wqueue: for a listening
			// socket, its backlog.
			d := m.Data
			if len(d) < 64 || int(byteorder.BigEndian.Uint16(d[4:])) != port || !net.IP(d[8:12]).Equal(net.IPv4(127, 0, 0, 1)) {
				continue
			}
			return int(byteorder.LittleEndian.Uint32(d[60:]))
		}
	}
}

// sock_diag(7)'s numbers.
const (
	netlinkSockDiag  = 4
	sockDiagByFamily = 20
	tcpListen        = 10
)

// procAddr writes an IPv4 address as /proc/net/tcp does: the address in
// the machine's byte order, then the port, in hexadecimal.
func procAddr(t *testing.T, addr string) string {
	t.Helper()
	ap, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	ip := ap.IP.To4()
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port)
}
