package errlog

import (
	"net"
	"regexp"
	"testing"
	"time"
)

// TestSyslogTarget: an error_log to syslog sends each line to the server
// in one datagram, behind nginx's RFC 3164 header (<facility × 8 +
// severity>, the time, the host, the tag), the line as nginx writes it
// to a file but for its newline — checked against nginx 1.22 by hand.
func TestSyslogTarget(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	set, err := Open([]Target{
		{Path: "syslog:server=…", Level: LevelInfo, Syslog: &Syslog{Addr: pc.LocalAddr().String(), Facility: 17, Tag: "errs", Hostname: "vm"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	l := New("nginxws", 1234, nil, set)
	l.Error().Uint64("conn", 2).Msg("something failed")
	l.Debug().Msg("below the target's level")
	l.Info().Msg("kept")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^<139>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d vm errs: \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] 1234#1234: \*2 something failed$`),
		regexp.MustCompile(`^<142>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d vm errs: \d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[info\] 1234#1234: kept$`),
	}
	buf := make([]byte, 4096)
	for _, re := range want {
		_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if !re.Match(buf[:n]) {
			t.Errorf("datagram %q, want %s", buf[:n], re)
		}
	}
}
