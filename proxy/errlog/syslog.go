package errlog

import (
	"net"
	"strconv"
	"sync"
	"time"
)

// Syslog is a syslog server an error_log sends its lines to over UDP, as
// nginx's ngx_syslog_writer does: each line in one datagram, after an RFC
// 3164 header "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: ", PRI being the
// facility × 8 plus the line's severity (its level's number less one).
type Syslog struct {
	// Addr is the server's "ip:port".
	Addr     string
	Facility int
	Tag      string
	// Hostname is the name in the header; empty with nohostname.
	Hostname string
}

// syslogPeer is an open Syslog target: its socket, connected on first use
// (nginx's ngx_syslog_init_peer), and reconnected after a failure.
type syslogPeer struct {
	Syslog
	mu   sync.Mutex
	conn net.Conn
}

// syslogMax bounds a datagram as NGX_SYSLOG_MAX_STR does: an error line's
// 2048 bytes and the longest header.
const syslogMax = 2048 + len("<255>Jan 01 00:00:00 ") + 255 + 1 + 32 + 2

// AppendSyslogHeader appends ngx_syslog_add_header's header for a message
// of the given severity, at t.
func AppendSyslogHeader(b []byte, s *Syslog, severity int, t time.Time) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(s.Facility*8+severity), 10)
	b = append(b, '>')
	b = append(b, t.Format("Jan _2 15:04:05")...)
	b = append(b, ' ')
	if s.Hostname != "" {
		b = append(b, s.Hostname...)
		b = append(b, ' ')
	}
	b = append(b, s.Tag...)
	return append(b, ": "...)
}

// send writes one message (header included); a failure drops it and the
// socket, as nginx's ngx_syslog_send does.
func (p *syslogPeer) send(msg []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		c, err := net.Dial("udp", p.Addr)
		if err != nil {
			return
		}
		p.conn = c
	}
	if _, err := p.conn.Write(msg); err != nil {
		_ = p.conn.Close()
		p.conn = nil
	}
}

// write sends an error log line (its newline dropped) at lvl.
func (p *syslogPeer) write(lvl Level, line []byte, t time.Time) {
	msg := make([]byte, 0, len(line)+64)
	msg = AppendSyslogHeader(msg, &p.Syslog, int(lvl)-1, t)
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if room := syslogMax - len(msg); len(line) > room {
		line = line[:room]
	}
	p.send(append(msg, line...))
}

func (p *syslogPeer) close() {
	p.mu.Lock()
	if p.conn != nil {
		_ = p.conn.Close()
		p.conn = nil
	}
	p.mu.Unlock()
}

// SyslogConn sends access log lines to a syslog server (an access_log
// "syslog:" target), one datagram each.
type SyslogConn struct{ p syslogPeer }

// OpenSyslog returns a SyslogConn for s; its socket opens on first use.
func OpenSyslog(s *Syslog) *SyslogConn { return &SyslogConn{p: syslogPeer{Syslog: *s}} }

// Target is the server and header settings the connection sends with.
func (c *SyslogConn) Target() *Syslog { return &c.p.Syslog }

// Send sends msg, header included; a failure drops it.
func (c *SyslogConn) Send(msg []byte) { c.p.send(msg) }

// Close closes the socket.
func (c *SyslogConn) Close() { c.p.close() }
