//go:build unix

package upstream

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// nginxBinary finds nginx 1.22, or skips the test.
func nginxBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
		if _, err := os.Stat(bin); err != nil {
			t.Skip("nginx not installed: apt-get install -y nginx-light (these tests compare the balancers with it)")
		}
	}
	out, _ := exec.Command(bin, "-V").CombinedOutput()
	if !strings.Contains(string(out), "nginx/1.22.") {
		t.Skipf("want nginx 1.22, have %q", strings.TrimSpace(string(out)))
	}
	if !strings.Contains(string(out), "--with-debug") {
		t.Skip("nginx is built without --with-debug: its peer choices are not logged")
	}
	return bin
}

// TestChoicesMatchNginx runs nginx with a debug log on upstreams of every
// hashing method and compares, request by request, what it logs about its
// choice (the ring index, the hash sum, the peer index) and the peer it
// answered from with the group built here from the same file.
func TestChoicesMatchNginx(t *testing.T) {
	bin := nginxBinary(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Backends on four loopback addresses, one port.
	var port int
	var lns []net.Listener
	for attempt := 0; attempt < 5 && len(lns) < 4; attempt++ {
		for _, l := range lns {
			l.Close()
		}
		lns = nil
		first, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, first)
		port = first.Addr().(*net.TCPAddr).Port
		for i := 2; i <= 4; i++ {
			l, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.%d:%d", i, port))
			if err != nil {
				break
			}
			lns = append(lns, l)
		}
	}
	if len(lns) < 4 {
		t.Skip("cannot listen on 127.0.0.2-4")
	}
	for _, l := range lns {
		defer l.Close()
		go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	}
	listen, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := listen.Addr().String()
	listen.Close()

	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	b := func(i int) string { return fmt.Sprintf("127.0.0.%d:%d", i, port) }
	conf := fmt.Sprintf(`daemon off; %s worker_processes 1; pid %[2]s/nginx.pid;
error_log %[2]s/debug.log debug;
events { worker_connections 64; }
http {
    access_log off;
    upstream ch { hash $arg_k consistent; server %[3]s; server %[4]s weight=2; server %[5]s; server %[6]s down; }
    upstream h  { hash $arg_k; server %[3]s weight=3; server %[4]s; server %[5]s down; server %[6]s weight=2; }
    upstream ip { ip_hash; server %[3]s; server %[4]s weight=2; server %[5]s; server %[6]s down; }
    server {
        listen %[7]s;
        add_header X-Up $upstream_addr always;
        location /ch { proxy_pass http://ch; }
        location /h  { proxy_pass http://h; }
        location /ip { proxy_pass http://ip; }
    }
}
`, user, dir, b(1), b(2), b(3), b(4), front)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := directives.Load(confPath, directives.LoadOptions{Prefix: dir + "/"})
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]*Group{}
	for _, name := range []string{"ch", "h", "ip"} {
		groups[name] = NewGroup(cfg.HTTP.Upstream(name), Options{})
	}

	cmd := exec.Command(bin, "-p", dir+"/", "-c", confPath, "-e", dir+"/stderr.log")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", front)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %s", front)
		}
		time.Sleep(10 * time.Millisecond)
	}
	logPath := filepath.Join(dir, "debug.log")
	logOffset := int64(0)
	newLog := func() string {
		b, _ := os.ReadFile(logPath)
		s := string(b[logOffset:])
		logOffset = int64(len(b))
		return s
	}
	request := func(from netip.Addr, path string) string {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from.AsSlice()}}
		c, err := d.Dial("tcp", front)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return resp.Header.Get("X-Up")
	}
	localhost := netip.MustParseAddr("127.0.0.1")
	newLog()

	chashLine := regexp.MustCompile(`consistent hash peer:(\d+), server:"([^"]+)"`)
	hashLine := regexp.MustCompile(`get hash peer, value:(\d+), peer:(\d+)`)
	ipLine := regexp.MustCompile(`get ip hash peer, hash: (\d+)`)

	t.Run("consistent", func(t *testing.T) {
		g := groups["ch"]
		for i := 0; i < 60; i++ {
			key := "user" + strconv.Itoa(i*7919)
			up := request(localhost, "/ch?k="+key)
			m := chashLine.FindStringSubmatch(newLog())
			if m == nil {
				t.Fatal("no consistent hash line in nginx's debug log")
			}
			idx := g.ring.find(crc32IEEE([]byte(key)))
			srv := g.ring.servers[g.ring.server[idx%uint32(len(g.ring.hashes))]].name
			if m[1] != strconv.Itoa(int(idx)) || m[2] != srv {
				t.Fatalf("key %s: nginx starts at point %s (%s), here %d (%s)", key, m[1], m[2], idx, srv)
			}
			if got := pickOne(t, g, Start{Key: []byte(key)}, Done); got != up {
				t.Fatalf("key %s: nginx chose %s, here %s", key, up, got)
			}
		}
	})
	t.Run("hash", func(t *testing.T) {
		g := groups["h"]
		for i := 0; i < 60; i++ {
			key := "/img/" + strconv.Itoa(i*104729)
			up := request(localhost, "/h?k="+key)
			m := hashLine.FindStringSubmatch(newLog())
			if m == nil {
				t.Fatal("no hash line in nginx's debug log")
			}
			var a Attempt
			a.Start(g, Start{Key: []byte(key)})
			p, _ := a.Pick()
			sum := (crc32IEEE([]byte(key)) >> 16) & 0x7fff
			if m[1] != strconv.Itoa(int(sum)) || m[2] != strconv.Itoa(g.set(p).byWeightIndex(int(sum))) {
				t.Fatalf("key %s: nginx's first round value %s peer %s, here %d", key, m[1], m[2], sum)
			}
			a.Release(Done)
			if p.Name != up {
				t.Fatalf("key %s: nginx chose %s, here %s", key, up, p.Name)
			}
		}
	})
	t.Run("ip_hash", func(t *testing.T) {
		g := groups["ip"]
		for i := 0; i < 60; i++ {
			from := netip.AddrFrom4([4]byte{127, byte(i * 37), byte(i*11 + 3), 9})
			up := request(from, "/ip")
			m := ipLine.FindStringSubmatch(newLog())
			if m == nil {
				t.Fatal("no ip hash line in nginx's debug log")
			}
			got := pickOne(t, g, Start{Client: from}, Done)
			if got != up {
				t.Fatalf("client %s: nginx chose %s (peer %s), here %s", from, up, m[1], got)
			}
		}
	})
}

// set is the set a peer belongs to (tests).
func (g *Group) set(p *Peer) *peerSet {
	if p.Backup {
		return g.primary.backup
	}
	return g.primary
}

// byWeightIndex is byWeight's peer index (tests).
func (s *peerSet) byWeightIndex(sum int) int {
	return s.byWeight(sum % s.totalWeight).index
}
