package directives

import "github.com/nginxws/nginxws/parser"

// SplitClients is a split_clients block (ngx_http_split_clients_module):
// Var takes the value of the part whose share of the 32-bit MurmurHash2
// space holds the hash of Source, for A/B testing.
type SplitClients struct {
	Source *Complex
	// Var is the defined variable, lower-cased, without "$".
	Var   string
	Parts []SplitPart
	Pos   parser.Pos
}

// SplitPart is one "PERCENT VALUE;" line, with PERCENT turned into the
// upper bound of its share of the hash space as nginx computes it at load
// (the running total of percent × 0xffffffff / 10000); Bound 0 is "*",
// which takes every hash that reaches it.
type SplitPart struct {
	Bound uint32
	// Value is the value as written: nginx does not compile it, so a "$"
	// in it is a literal "$".
	Value []byte
}

// Pick returns the value of the part the hash of v falls in, nil when it
// falls in none (the variable is then empty), as
// ngx_http_split_clients_variable does.
func (sc *SplitClients) Pick(v []byte) []byte {
	h := MurmurHash2(v)
	for _, p := range sc.Parts {
		if h < p.Bound || p.Bound == 0 {
			return p.Value
		}
	}
	return nil
}

// MurmurHash2 is nginx's ngx_murmur_hash2 (Austin Appleby's MurmurHash2
// with seed 0, words read little-endian whatever the machine).
func MurmurHash2(data []byte) uint32 {
	const m = 0x5bd1e995
	h := uint32(len(data))
	for len(data) >= 4 {
		k := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h *= m
		h ^= k
		data = data[4:]
	}
	switch len(data) {
	case 3:
		h ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// setSplitClients reproduces ngx_conf_split_clients_block and
// ngx_http_split_clients (one call per line of the block).
func (l *loader) setSplitClients(d *parser.Directive, _ *scope) error {
	src, name, err := l.blockSourceAndVariable(d)
	if err != nil {
		return err
	}
	sc := &SplitClients{Source: src, Var: name, Pos: d.Pos}
	l.http.h.SplitClients = append(l.http.h.SplitClients, sc)
	l.http.h.defineHandler(sc.Var, sc)
	// nginx reads a line's value from the second slot of its argument
	// array whatever the line's length: a line without a value takes
	// what the slot still holds from the line before it (the block's own
	// first argument for the first line).
	previous := d.Args[0].Value
	percents := make([]uint32, 0, len(d.Block))
	for _, e := range d.Block {
		if e.IsBlock() {
			return l.errf(e, `unexpected "{"`)
		}
		value := previous
		if len(e.Args) > 0 {
			value = e.Args[0].Value
		}
		previous = value
		p, ok := splitPercent(e.Name)
		if !ok {
			return l.errf(e, `invalid percent value "%s"`, e.Name)
		}
		percents = append(percents, p)
		sc.Parts = append(sc.Parts, SplitPart{Value: []byte(value)})
	}
	// The shares, summed in nginx's unsigned 32-bit arithmetic: "*"
	// brings the total to 100%, and anything after it is too much.
	var sum, last uint32
	for i, p := range percents {
		if p == 0 {
			sum = 10000
		} else {
			sum += p
		}
		if sum > 10000 {
			return errAt(l.end(d), "percent total is greater than 100%%")
		}
		if p != 0 {
			last += uint32(uint64(p) * 0xffffffff / 10000)
			sc.Parts[i].Bound = last
		}
	}
	return nil
}

// getSplit is the split_clients variable's handler.
func getSplit(s *State, d *varDef) ([]byte, bool) {
	v := d.split.Pick(s.Value(d.split.Source))
	if v == nil {
		return []byte{}, true
	}
	// Full slice: a caller appending to the value must not write into
	// the configuration.
	return v[:len(v):len(v)], true
}

// splitPercent reads a part's share: "*" (0), or a percentage with at
// most two decimals, not zero, in hundredths (ngx_atofp(…, 2)) and cut to
// 32 bits as nginx stores it.
func splitPercent(s string) (uint32, bool) {
	if s == "*" {
		return 0, true
	}
	if s == "" || s[len(s)-1] != '%' {
		return 0, false
	}
	n, ok := atofp(s[:len(s)-1], 2)
	if !ok || n == 0 {
		return 0, false
	}
	return uint32(n), true
}

// atofp is ngx_atofp: a fixed-point number with at most point decimals,
// as an integer scaled by 10^point.
func atofp(s string, point int) (int64, bool) {
	if s == "" {
		return 0, false
	}
	const maxInt = 1<<63 - 1
	cutoff, cutlim := int64(maxInt/10), int64(maxInt%10)
	var value int64
	dot := false
	for i := 0; i < len(s); i++ {
		if point == 0 {
			return 0, false
		}
		c := s[i]
		if c == '.' {
			if dot {
				return 0, false
			}
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		if value >= cutoff && (value > cutoff || int64(c-'0') > cutlim) {
			return 0, false
		}
		value = value*10 + int64(c-'0')
		if dot {
			point--
		}
	}
	for ; point > 0; point-- {
		if value > cutoff {
			return 0, false
		}
		value *= 10
	}
	return value, true
}
