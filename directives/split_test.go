package directives

import "testing"

func TestSplitPercent(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"*", 0, true},
		{"50%", 5000, true},
		{"0.01%", 1, true},
		{".5%", 50, true},
		{"50.%", 5000, true},
		{"33.33%", 3333, true},
		{"42949673%", 4, true}, // 4294967300 cut to 32 bits, as nginx stores it
		{"0%", 0, false},
		{"0.00%", 0, false},
		{"50.125%", 0, false},
		{"50", 0, false},
		{"%", 0, false},
		{"-5%", 0, false},
		{"5..0%", 0, false},
		{"99999999999999999999%", 0, false},
	} {
		got, ok := splitPercent(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("splitPercent(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestMurmurHash2 pins ngx_murmur_hash2 on inputs of every length modulo
// 4; the bucket choices they lead to are checked against nginx in
// side-by-side 511-split-clients.
func TestMurmurHash2(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint32
	}{
		{"", 0},
		{"0", 0x423ecf74},
		{"10", 0x039240b0},
		{"392", 0x000ab3ee},
		{"4367", 0x4e1636a5},
	} {
		if got := MurmurHash2([]byte(c.in)); got != c.want {
			t.Errorf("MurmurHash2(%q) = %#x, want %#x", c.in, got, c.want)
		}
	}
}
