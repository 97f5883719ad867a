package proxy

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// recordVars is a log format with every variable whose value does not
// depend on when the line is written (the clock) or on chance
// ($request_id), including those a tunnel changes until it ends, maps of
// them, "set" values, regex captures (read through a map: log_format
// itself takes "$1" for a variable named "1", which nginx does not know)
// and named captures. A regex map evaluated at the end ($tclass) between
// two $cap1 makes the captures' order matter.
const recordVars = `$remote_addr|$remote_user|$request|$request_method|$request_uri|$server_protocol|$uri|$document_uri|` +
	`$args|$query_string|$is_args|$arg_a|$host|$http_host|$http_user_agent|$http_referer|$http_x_forwarded_for|` +
	`$http_cookie|$cookie_c|$content_type|$content_length|$server_addr|$server_name|$scheme|$https|` +
	`$connection|$connection_requests|$pipe|$hostname|$pid|$nginx_version|$status|$bytes_sent|$body_bytes_sent|` +
	`$request_length|$request_completion|$sent_http_connection|$sent_http_keep_alive|$sent_http_upgrade|` +
	`$upstream_http_upgrade|$upstream_cookie_s|$proxy_host|$proxy_add_x_forwarded_for|` +
	`$upstream_status|$upstream_connect_time|$upstream_header_time|$upstream_bytes_sent|$upstream_bytes_received|` +
	`$upstream_response_length|$connection_upgrade|$setvar|$sent_class|$cap1|$named|$tclass|$cap1|$document_root|$msie|` +
	`$binary_remote_addr|$http_x_esc`

// recordConf is a server whose WebSocket location logs recordVars with
// each escaping, to several targets: buffered, conditional (on a value
// fixed at the 101, and on one known only at the end), and a file name
// with variables.
func recordConf(dir, listen, upstream string) string {
	return `map $http_upgrade $connection_upgrade { default upgrade; '' close; }
map $body_bytes_sent $sent_class { "0" none; default some; }
map $body_bytes_sent $big { "0" 0; default 1; }
map $body_bytes_sent $small { "0" 1; default 0; }
map $request_time $tclass { ~^(\d+)\. $1; default x; }
map $host $cap1 { volatile; default $1; }
map $request_time $rt { default $request_time; }
log_format dflt '` + recordVars + `';
log_format js escape=json '` + recordVars + `';
log_format no escape=none '` + recordVars + `';
log_format times '$msec $time_local $time_iso8601 $request_time $upstream_response_time $connection_time $rt';
server { listen ` + listen + `; server_name ws.example;
  root ` + dir + `;
  location ~ ^/(?<named>w)s(\d*) {
    set $setvar "v-$1-$arg_a";
    proxy_pass http://` + upstream + `; proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;
    access_log ` + dir + `/dflt.log dflt;
    access_log ` + dir + `/js.log js buffer=4k flush=1m;
    access_log ` + dir + `/no.log no if=$http_x_log;
    access_log ` + dir + `/big.log dflt if=$big;
    access_log ` + dir + `/small.log dflt if=$small;
    access_log ` + dir + `/$host.log dflt;
    access_log ` + dir + `/times.log times;
  }
}
`
}

// upgradeReq is the WebSocket request the tests send.
const upgradeReq = "GET /ws42?a=1&b=%C3%A9 HTTP/1.1\r\nHost: WS.example:8080\r\nUser-Agent: Mozilla/5.0 (X11) \"q\"\r\n" +
	"Referer: http://ref.example/p\r\nX-Forwarded-For: 10.0.0.1\r\nCookie: c=cv; d=2\r\nContent-Type: text/x\r\n" +
	"Authorization: Basic dXNlcjpwdw==\r\nX-Log: 1\r\nX-Esc: a\x01b\xffc\\d\r\n" +
	"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

// upgradeOnConn serves upgradeReq on a fresh connection of s, up to the
// point where the tunnel would start: the 101 went to the client. The
// connection's number, client address and the upstream try's timings are
// then set to fixed values, so that two runs log the same.
func upgradeOnConn(t *testing.T, s *Server) (*conn, *exchange) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cc, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	go func() { _, _ = io.Copy(io.Discard, cc) }()
	if _, err := io.WriteString(cc, upgradeReq); err != nil {
		t.Fatal(err)
	}
	rt := s.rt.Load()
	var ac *addrConf
	for _, a := range rt.addrs {
		ac = a
	}
	c := newConn(s, sc, "tcp")
	c.rs = s.getReq()
	if err := c.rd.ReadRequest(&c.rs.head, &ac.limits); err != nil {
		t.Fatal(err)
	}
	c.requests++
	c.number, c.info.Number = 7, 7
	c.info.Remote = netip.MustParseAddrPort("127.0.0.1:40000")
	x := &c.rs.x
	x.begin(c, rt, ac)
	x.process()
	if c.tun == nil || x.status != 101 {
		t.Fatalf("no tunnel: status %d", x.status)
	}
	for i := range x.upInfo.States {
		x.upInfo.States[i].ConnectTime = time.Millisecond
		x.upInfo.States[i].HeaderTime = 2 * time.Millisecond
	}
	return c, x
}

// upgradeBackend answers every request with a 101 and a cookie, then
// holds the connection until the test ends.
func upgradeBackend(t *testing.T) string {
	done := make(chan struct{})
	addr := rawBackend(t, func(c net.Conn, br *bufio.Reader, head string) {
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSet-Cookie: s=sv; Path=/\r\n\r\n")
		<-done
	})
	t.Cleanup(func() { close(done) })
	return addr
}

// TestTunnelRecordAccessLines: the access log lines a tunnel's record
// writes when the tunnel ends are, byte for byte, those the request's
// own finish would have written then (the former code path: counters
// completed on the exchange, then exchange.finish), for every variable,
// escaping, condition, buffered file and file name with variables.
func TestTunnelRecordAccessLines(t *testing.T) {
	dir := t.TempDir()
	log, lines := testLog(t)
	s := New(load(t, recordConf(dir, "127.0.0.1:"+freePort(t), upgradeBackend(t))), log)
	const down = 1234

	// The former way: the exchange kept until the end.
	c, x := upgradeOnConn(t, s)
	x.bytesSent += down
	st := &x.upInfo.States[len(x.upInfo.States)-1]
	st.ResponseTime = time.Since(x.upStart)
	st.BytesReceived = responseHeadSize(x.resp) + down
	x.finish()
	c.rd.Reset(eofReader{})
	c.rs.up = http1.NewReader(eofReader{}, &s.pools)
	s.putReq(c.rs)
	c.rs = nil

	// The record.
	c, x = upgradeOnConn(t, s)
	rec := c.recordTunnel(x, 0)
	if c.rs != nil {
		t.Fatal("recordTunnel kept the request state")
	}
	rec.finish(down, 0, true)
	s.logs.closeAll()

	for _, name := range []string{"dflt.log", "js.log", "no.log", "big.log", "ws.example.log"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(got) != 2 || got[0] != got[1] {
			t.Errorf("%s: the record's line differs from the request's:\n%s", name, b)
		}
		// The pieces that changed during the tunnel are there, and $cap1
		// reads the captures of the map evaluated at the end once it ran:
		// in the first line, after it; in the others (written after the
		// first, whose evaluation set them) from the start.
		// Within one line the second $cap1 repeats the first, as nginx 1.22
		// logs it (side by side: "$c|$t|$c" with a volatile map $c of
		// $1 and a regex map $t gives "a|0|a").
		caps := "|v-w-1|some|0|w|0|0|"
		if name == "dflt.log" {
			caps = "|v-w-1|some|w|w|0|w|"
		}
		if !strings.Contains(got[0], "|101|1391|1234|") || !strings.Contains(got[0], caps) {
			t.Errorf("%s: %s", name, got[0])
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "small.log")); len(b) != 0 {
		t.Errorf("small.log, whose condition is false at the end: %q", b)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "times.log"))
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		f := strings.Fields(l)
		if len(f) != 8 || !strings.HasPrefix(f[4], "0.0") || !strings.HasPrefix(f[5], "0.0") || f[4] != f[7] {
			t.Errorf("times.log: %q", l)
		}
	}
	if l := lines(); len(l) != 0 {
		t.Errorf("error log: %q", l)
	}
}

// TestTunnelRecordUpstreamBytes: the bytes a tunnel moved to the upstream
// are added to the last try's sent bytes, as nginx's
// $upstream_bytes_sent is the upstream connection's whole count when the
// request is finalized; the bytes moved to the client to its received
// bytes.
func TestTunnelRecordUpstreamBytes(t *testing.T) {
	dir := t.TempDir()
	log, _ := testLog(t)
	s := New(load(t, recordConf(dir, "127.0.0.1:"+freePort(t), upgradeBackend(t))), log)
	c, x := upgradeOnConn(t, s)
	st := x.upInfo.States[len(x.upInfo.States)-1]
	head := responseHeadSize(x.resp)
	rec := c.recordTunnel(x, 0)
	a := rec.access
	if a == nil || a.end == nil || len(a.end.states) == 0 {
		t.Fatal("the record keeps no upstream try to complete")
	}
	last := &a.end.states[len(a.end.states)-1]
	rec.finish(40, 77, true)
	s.logs.closeAll()
	if last.BytesSent != st.BytesSent+77 {
		t.Errorf("upstream bytes sent %d, want %d (the request's) + 77 (the tunnel's)", last.BytesSent, st.BytesSent)
	}
	if want := head + 40; last.BytesReceived != want {
		t.Errorf("upstream bytes received %d, want %d", last.BytesReceived, want)
	}
}

// TestTunnelRecordTerminated: a tunnel that ends the way nginx terminates
// a request (a client timeout, a shutdown) is not complete
// ($request_completion empty); one that ends normally is.
func TestTunnelRecordTerminated(t *testing.T) {
	dir := t.TempDir()
	log, _ := testLog(t)
	s := New(load(t, recordConf(dir, "127.0.0.1:"+freePort(t), upgradeBackend(t))), log)
	for _, complete := range []bool{true, false} {
		c, x := upgradeOnConn(t, s)
		rec := c.recordTunnel(x, 0)
		a := rec.access
		if a == nil || a.end == nil {
			t.Fatal("the record keeps nothing to complete")
		}
		rec.finish(0, 0, complete)
		if a.end.info.Completed != complete {
			t.Errorf("finish(complete=%v): Completed %v", complete, a.end.info.Completed)
		}
	}
	s.logs.closeAll()
}

// TestTunnelRecordErrorLines: the record's error log lines read as the
// request's, in nginx's text form and in the JSON form (-j), bytes that
// are not UTF-8 included.
func TestTunnelRecordErrorLines(t *testing.T) {
	dir := t.TempDir()
	for _, js := range []bool{false, true} {
		log, lines := testLog(t)
		log.SetJSON(js)
		s := New(load(t, recordConf(dir, "127.0.0.1:"+freePort(t), upgradeBackend(t))), log)
		c, x := upgradeOnConn(t, s)
		x.logEvent(levelInfo, "upstream timed out", "110: Connection timed out", tunnelAction)
		x.logEvent(levelError, "m \xff", "", "")
		rec := c.recordTunnel(x, 0)
		rec.logEvent(levelInfo, "upstream timed out", "110: Connection timed out", tunnelAction)
		rec.logEvent(levelError, "m \xff", "", "")
		rec.finish(0, 0, true)
		l := lines()
		if len(l) != 4 || l[0] != l[2] || l[1] != l[3] {
			t.Fatalf("json %v: the record's lines differ from the request's:\n%s", js, strings.Join(l, "\n"))
		}
		if !strings.Contains(l[0], "ws.example") || !strings.Contains(l[0], "ref.example") || !strings.Contains(l[0], "GET /ws42") {
			t.Errorf("json %v: context missing: %s", js, l[0])
		}
	}
}

// fakeTunnel builds, without sockets, a request in the state an upgrade
// leaves it in (101 sent, proxied, upstream reader detached) on a conn of
// its own.
func fakeTunnel(t testing.TB, s *Server, n uint64) (*conn, *exchange) {
	rt := s.rt.Load()
	var ac *addrConf
	for _, a := range rt.addrs {
		ac = a
	}
	c := &conn{s: s, number: n, start: time.Now(), remoteAddr: "127.0.0.1", remotePort: "50000", localAddr: "127.0.0.1", localPort: "8080"}
	c.info.Remote = netip.MustParseAddrPort("127.0.0.1:50000")
	c.info.Local = netip.MustParseAddrPort("127.0.0.1:8080")
	c.info.Start, c.info.Number = c.start, n
	raw := "GET /chat HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: Go-http-client/1.1\r\nUpgrade: websocket\r\n" +
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	c.rd = http1.NewReader(strings.NewReader(raw), &s.pools)
	c.rs = s.getReq()
	if err := c.rd.ReadRequest(&c.rs.head, &ac.limits); err != nil {
		t.Fatal(err)
	}
	c.requests = 1
	x := &c.rs.x
	x.begin(c, rt, ac)
	x.selectServer()
	m, _ := x.srv.find(x.uri, x.vs)
	x.setConf(m.loc, m.loc.conf)
	x.proxied = true
	x.up.addr, x.up.uri = "127.0.0.1:9001", []byte("/chat")
	x.upInfo.States = append(x.upInfo.States, directives.UpstreamState{
		Peer: "127.0.0.1:9001", Status: 101, ConnectTime: time.Millisecond, HeaderTime: time.Millisecond,
		ResponseTime: -1, BytesSent: 180,
	})
	x.upStart = time.Now()
	x.resp.Version, x.resp.Status = 11, 101
	x.resp.StatusLine = []byte("101 Switching Protocols")
	x.resp.Headers = append(x.resp.Headers[:0], http1.Header{Name: []byte("Upgrade"), Value: []byte("websocket")})
	x.status, x.headerSent, x.headerOnly, x.broken, x.keepalive = 101, true, true, true, false
	x.bytesSent, x.headerSize = 129, 129
	return c, x
}

// recordBytes returns the heap each record made for the configuration
// servers keeps, from the live heap before and after making n of them.
func recordBytes(t *testing.T, servers string) float64 {
	s := New(load(t, servers), nil)
	c, x := fakeTunnel(t, s, 1)
	c.recordTunnel(x, 0).finish(0, 0, true)
	const n = 2000
	recs := make([]*tunnelRecord, n)
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	for i := range recs {
		c, x := fakeTunnel(t, s, uint64(i+2))
		recs[i] = c.recordTunnel(x, 19)
	}
	// Twice: what the requests gave back to the pools goes with the
	// second collection.
	goruntime.GC()
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	per := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
	for _, r := range recs {
		r.finish(100, 0, true)
	}
	goruntime.KeepAlive(recs)
	return per
}

// TestTunnelRecordSize: what an idle tunnel keeps of its request is small
// (measured as the live heap the records hold): with the access log off,
// little more than the error-log context; with the combined log, the
// rendered line and a few counters.
func TestTunnelRecordSize(t *testing.T) {
	dir := t.TempDir()
	loc := "server { listen 127.0.0.1:18090; server_name localhost; %s\n" +
		" location / { proxy_pass http://127.0.0.1:9001; proxy_http_version 1.1; } }\n"
	for _, tc := range []struct {
		name, accessLog string
		max             float64
	}{
		{"off", "", 512},
		{"combined", "access_log " + dir + "/access.log;", 1536},
	} {
		per := recordBytes(t, strings.Replace(loc, "%s", tc.accessLog, 1))
		t.Logf("access_log %s: %.0f bytes per record", tc.name, per)
		if per > tc.max {
			t.Errorf("access_log %s: %.0f bytes per record, want at most %.0f", tc.name, per, tc.max)
		}
	}
}
