package directives

import (
	"testing"
	"time"
)

// Every expectation here was checked against nginx 1.22 (proxy_buffer_size
// for sizes, client_max_body_size for offsets, proxy_read_timeout for
// milliseconds, upstream fail_timeout= for seconds).

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"8k", 8192, true},
		{"1K", 1024, true},
		{"1m", 1 << 20, true},
		{"0", 0, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9007199254740991k", 9007199254740991 * 1024, true},
		{"9007199254740992k", 0, false}, // overflows after scaling
		{"9223372036854775808", 0, false},
		{"1g", 0, false}, // sizes have no g
		{"k", 0, false},
		{"", 0, false},
		{"-1", 0, false},
		{"1kb", 0, false},
		{" 8k", 0, false},
	}
	for _, c := range cases {
		got, ok := parseSize(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseOffset(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1g", 1 << 30, true},
		{"10G", 10 << 30, true},
		{"8589934591g", 8589934591 << 30, true},
		{"8589934592g", 0, false},
		{"1t", 0, false},
		{"1m", 1 << 20, true},
	}
	for _, c := range cases {
		got, ok := parseOffset(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseOffset(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseMsec(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"60", 60 * time.Second, true},
		{"0", 0, true},
		{"500ms", 500 * time.Millisecond, true},
		{"1s500ms", 1500 * time.Millisecond, true},
		{"1h30m", 90 * time.Minute, true},
		{"1h 30m", 90 * time.Minute, true},
		{"1h  2m", 62 * time.Minute, true},
		{"1d1h", 25 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"1m1ms", time.Minute + time.Millisecond, true},
		{"1h2", time.Hour + 2*time.Second, true}, // a trailing bare number is seconds
		{"5 ", 5 * time.Second, true},
		{" 5", 5 * time.Second, true},
		{"1 2", 3 * time.Second, true},
		{"24856d", 24856 * 24 * time.Hour, true},              // nginx 1.22 has no 32-bit bound
		{"2147483648ms", 2147483648 * time.Millisecond, true}, // idem
		{"30m 1h", 0, false},                                  // units must decrease
		{"1ms1s", 0, false},
		{"5 s", 0, false}, // a space ends a bare number
		{"1y", 0, false},  // no years in milliseconds
		{"1M", 0, false},  // nor months
		{"", 0, false},
		{"ms", 0, false},
		{"10S", 0, false},
		{"9223372036854775808ms", 0, false},
	}
	for _, c := range cases {
		got, ok := parseMsec(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseMsec(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseSec(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"10", 10 * time.Second, true},
		{"10s", 10 * time.Second, true},
		{"1h", time.Hour, true},
		{"1y", 365 * 24 * time.Hour, true},
		{"1M", 30 * 24 * time.Hour, true},
		{"5 ", 5 * time.Second, true},
		{"500ms", 0, false}, // no milliseconds in seconds
		{"106751991167301d", 0, false},
	}
	for _, c := range cases {
		got, ok := parseSec(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseSec(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	// The largest value nginx accepts saturates the Duration.
	if got, ok := parseSec("106751991167300d"); !ok || got <= 0 {
		t.Errorf("parseSec(106751991167300d) = %v, %v; want a saturated positive duration", got, ok)
	}
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]bool{"0": true, "123": true, "": false, "+1": false, "1 ": false, "9223372036854775807": true, "9223372036854775808": false} {
		if _, ok := Atoi(in); ok != want {
			t.Errorf("Atoi(%q) ok = %v, want %v", in, ok, want)
		}
	}
}

func TestInetAton(t *testing.T) {
	cases := map[string]string{
		"0": "0.0.0.0", "127.1": "127.0.0.1", "0x7f.0.0.1": "127.0.0.1", "010.0.0.1": "8.0.0.1",
		"1.2.3.4": "1.2.3.4", "1.2.65535": "1.2.255.255", "4294967295": "255.255.255.255",
		"1.2.3.256": "", "4294967296": "", "a.b": "", "1..2": "", "": "", "08": "", "1.2.3.4.5": "",
	}
	for in, want := range cases {
		ip, ok := inetAton(in)
		got := ""
		if ok {
			got = ip.String()
		}
		if got != want {
			t.Errorf("inetAton(%q) = %q, want %q", in, got, want)
		}
	}
}
