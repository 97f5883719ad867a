package proxy

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAccessLogSyslog: an access_log to syslog sends each line in one
// datagram behind nginx's header, with the target's facility, severity
// and tag, without a newline; a WebSocket tunnel's line goes there too
// when the tunnel ends.
func TestAccessLogSyslog(t *testing.T) {
	noLeaks(t)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	be := startWSBackend(t)
	port := freePort(t)
	log, _ := testLog(t)
	s := New(load(t, "map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n"+
		"log_format short '$request $status';\n"+
		"server { listen 127.0.0.1:"+port+";\n"+
		" access_log syslog:server="+pc.LocalAddr().String()+",facility=local0,severity=notice,tag=web,nohostname short;\n"+
		" location = /plain { return 200 ok; }\n"+
		" location / { proxy_pass http://"+be.addr()+"; proxy_http_version 1.1;\n"+
		"  proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; } }\n"), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	read := func() string {
		t.Helper()
		buf := make([]byte, 4096)
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	header := `^<133>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d web: `
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /plain HTTP/1.0\r\n\r\n")
	if got := read(); !regexp.MustCompile(header + `GET /plain HTTP/1\.0 200$`).MatchString(got) {
		t.Errorf("plain request's datagram %q", got)
	}
	c.Close()
	e := &tunnelEnv{port: port, addr: "127.0.0.1:" + port, s: s}
	ws := e.dial(t, "/echo", nil)
	echoOnce(t, ws, pattern(10, false))
	ws.Close()
	if got := read(); !regexp.MustCompile(header+`GET /echo HTTP/1\.1 101$`).MatchString(got) || strings.Contains(got, "\n") {
		t.Errorf("tunnel's datagram %q", got)
	}
}
