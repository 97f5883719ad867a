package proxy

import (
	"strings"
	"testing"
)

// TestAutoindexSizes pins the HTML listing's size column (exact, and
// nginx's rounding to K, M and G), including the gigabyte sizes the
// side-by-side suite has no file for.
func TestAutoindexSizes(t *testing.T) {
	const g = 1 << 30
	for _, tc := range []struct {
		size  int64
		dir   bool
		exact bool
		want  string
	}{
		{0, false, false, "      0"},
		{9999, false, false, "   9999"},
		{10000, false, false, "    10K"},
		{10751, false, false, "    10K"},
		{10752, false, false, "    11K"},
		{1048575, false, false, "  1024K"},
		{1572863, false, false, "     1M"},
		{1572864, false, false, "     2M"},
		{g, false, false, "     1G"},
		{g + g/2 - 1, false, false, "     1G"},
		{g + g/2, false, false, "     2G"},
		{5 * g, false, true, "         5368709120"},
		{0, true, false, "      -"},
		{0, true, true, "                  -"},
	} {
		e := autoindexEntry{size: tc.size, dir: tc.dir, file: !tc.dir}
		if got := string(appendAutoindexSize(nil, &e, tc.exact)); got != tc.want {
			t.Errorf("size %d dir %v exact %v: %q, want %q", tc.size, tc.dir, tc.exact, got, tc.want)
		}
	}
}

// TestAutoindexLocaltime: autoindex_localtime shifts every date by the
// current local offset (the suite's machines run in UTC).
func TestAutoindexLocaltime(t *testing.T) {
	e := []autoindexEntry{{name: "a", file: true, mtime: 1704164645, size: 1}}
	gmt := string(appendAutoindexHTML(nil, []byte("/"), e, false, 0, true))
	ist := string(appendAutoindexHTML(nil, []byte("/"), e, false, 5*3600+1800, true))
	if !strings.Contains(gmt, " 02-Jan-2024 03:04 ") || !strings.Contains(ist, " 02-Jan-2024 08:34 ") {
		t.Errorf("gmt %q\nist %q", gmt, ist)
	}
}
