package proxy

import (
	"testing"
	"time"
)

func TestParseHTTPTime(t *testing.T) {
	ref := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Unix()
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Tue, 02 Jan 2024 03:04:05 GMT", ref, true},
		{"Tue, 02 Jan 2024 03:04:05", ref, true},       // no zone: nginx does not read it
		{"Xyz, 02 Jan 2024 03:04:05 GMT", ref, true},   // nor the weekday
		{"Tuesday, 02-Jan-24 03:04:05 GMT", ref, true}, // RFC 850
		{"Tue Jan  2 03:04:05 2024", ref, true},        // asctime
		{"Tue Jan 02 03:04:05 2024", ref, true},        // asctime, two-digit day
		{"Thu, 29 Feb 2024 00:00:00 GMT", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"Thu, 01 Jan 1970 00:00:00 GMT", 0, true},
		{"Sat, 01-Jan-00 00:00:00 GMT", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"Fri, 01-Jan-99 00:00:00 GMT", time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"Mon, 00 Jan 2024 00:00:00 GMT", time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"Thu, 29 Feb 2023 00:00:00 GMT", 0, false},
		{"Thu, 29 Feb 1900 00:00:00 GMT", 0, false},
		{"Thu, 30 Feb 2024 00:00:00 GMT", 0, false},
		{"Tue, 02 Jan 2024 24:00:00 GMT", 0, false},
		{"Tue, 02 Jan 2024 03:60:00 GMT", 0, false},
		{"Tue, 02 Jan 2024 03:04:60 GMT", 0, false},
		{"Tue, 02 Xan 2024 03:04:05 GMT", 0, false},
		{"Tue, 2 Jan 2024 03:04:05 GMT", 0, false},
		{"Tue, 02 Jan 24 03:04:05 GMT", 0, false},
		{"yesterday", 0, false},
		{"", 0, false},
		{"Tue, 02 Jan 2024 03:04", 0, false},
	} {
		got, ok := parseHTTPTime([]byte(tc.in))
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("parseHTTPTime(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseHTTPTime(f *testing.F) {
	f.Add([]byte("Tue, 02 Jan 2024 03:04:05 GMT"))
	f.Add([]byte("Tue Jan  2 03:04:05 2024"))
	f.Add([]byte("Tuesday, 02-Jan-24 03:04:05 GMT"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseHTTPTime(b) // must not panic on any input
	})
}
