package directives

import (
	"sort"

	"github.com/nginxws/nginxws/parser"
)

// The directives of ngx_http_sub_filter_module: sub_filter (search and
// replacement pairs), sub_filter_types, sub_filter_once and
// sub_filter_last_modified. Package proxy's sub filter applies them.

// SubFilter is the sub_filter pairs of one level. A level with any
// sub_filter of its own has only its own; one without inherits its
// parent's whole.
type SubFilter struct {
	// Pairs are the level's pairs in configuration order.
	Pairs []SubPair
	// Matches is the search table of a level whose search strings have no
	// variables, built once; nil when some have (Dynamic): proxy builds
	// it per response from the evaluated strings (NewSubMatches).
	Matches *SubMatches
}

// SubPair is one sub_filter: the search string, lower-cased as written
// (nginx lowers it before compiling it, and its value again once
// evaluated), and the replacement.
type SubPair struct {
	Search, Replace *Complex
}

// Dynamic reports whether a search string has variables.
func (s *SubFilter) Dynamic() bool { return s.Matches == nil }

// SubMatches is nginx's table of search strings (ngx_http_sub_tables_t
// with its match array): the strings sorted by their byte at MinLen-1,
// stably, so that among strings starting a match at the same place the
// first in that order wins; Shift, for a lower-cased body byte at the end
// of a MinLen window, is how far the window may move on; Index[c] up to
// Index[c+1] are the strings whose byte at MinLen-1 is c.
type SubMatches struct {
	MinLen, MaxLen int
	Index          [257]uint8
	Shift          [256]uint8
	// Patterns are the lower-cased search strings, sorted; Values their
	// replacements.
	Patterns [][]byte
	Values   []*Complex
}

// NewSubMatches is ngx_http_sub_init_tables over search strings that are
// lower-cased and not empty, and their replacements (at most 255).
func NewSubMatches(patterns [][]byte, values []*Complex) *SubMatches {
	n := len(patterns)
	t := &SubMatches{Patterns: make([][]byte, n), Values: make([]*Complex, n)}
	if n == 0 {
		return t
	}
	t.MinLen, t.MaxLen = len(patterns[0]), len(patterns[0])
	for _, p := range patterns[1:] {
		t.MinLen = min(t.MinLen, len(p))
		t.MaxLen = max(t.MaxLen, len(p))
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	// ngx_sort is an insertion sort: stable.
	key := t.MinLen - 1
	sort.SliceStable(order, func(a, b int) bool {
		return patterns[order[a]][key] < patterns[order[b]][key]
	})
	for i, o := range order {
		t.Patterns[i], t.Values[i] = patterns[o], values[o]
	}
	short := min(t.MinLen, 255)
	for c := range t.Shift {
		t.Shift[c] = uint8(short)
	}
	ch := 0
	for i, p := range t.Patterns {
		for j := 0; j < short; j++ {
			c := p[t.MinLen-1-j]
			t.Shift[c] = min(t.Shift[c], uint8(j))
		}
		c := int(p[t.MinLen-1])
		for ch <= c {
			t.Index[ch] = uint8(i)
			ch++
		}
	}
	for ch < len(t.Index) {
		t.Index[ch] = uint8(n)
		ch++
	}
	return t
}

// LowerASCII lower-cases b in place as ngx_strlow does: A to Z only.
func LowerASCII(b []byte) []byte {
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c | 0x20
		}
	}
	return b
}

// lowerString is ngx_strlow for a string: A to Z only. strings.ToLower
// would also fold other letters of UTF-8 and turn bytes that are not
// UTF-8 into U+FFFD, neither of which nginx does.
func lowerString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return string(LowerASCII([]byte(s)))
		}
	}
	return s
}

// setSubFilter is ngx_http_sub_filter: a search string that is not
// empty, at most 255 pairs a level, both strings compiled as complex
// values (the search string lower-cased first, variable names included).
func (l *loader) setSubFilter(d *parser.Directive, sc *scope) error {
	search := d.Args[0].Value
	if search == "" {
		return l.errf(d, "empty search pattern")
	}
	sf := sc.loc.SubFilter
	if !sc.loc.isSet(d.Name) {
		sc.loc.mark(d.Name)
		sf = &SubFilter{}
		sc.loc.SubFilter = sf
	}
	if len(sf.Pairs) == 255 {
		return l.errf(d, "number of search patterns exceeds 255")
	}
	match, err := l.compileComplex(d, string(LowerASCII([]byte(search))))
	if err != nil {
		return err
	}
	value, err := l.compileComplex(d, d.Args[1].Value)
	if err != nil {
		return err
	}
	sf.Pairs = append(sf.Pairs, SubPair{Search: match, Replace: value})
	sf.Matches = nil
	for _, p := range sf.Pairs {
		if !p.Search.IsLiteral() {
			return nil
		}
	}
	patterns := make([][]byte, len(sf.Pairs))
	values := make([]*Complex, len(sf.Pairs))
	for i, p := range sf.Pairs {
		patterns[i], values[i] = []byte(p.Search.Raw), p.Replace
	}
	sf.Matches = NewSubMatches(patterns, values)
	return nil
}

// setSubFilterTypes reads sub_filter_types (ngx_http_types_slot with
// text/html as the list's first entry, readTypes).
func (l *loader) setSubFilterTypes(d *parser.Directive, sc *scope) error {
	l.readTypes(d, sc, &sc.loc.SubFilterTypes)
	return nil
}

// mergeSub is ngx_http_sub_merge_conf.
func (c *LocConf) mergeSub(p *LocConf) {
	s := c.set
	if c.SubFilter == nil {
		c.SubFilter = p.SubFilter
	}
	if c.SubFilterTypes == nil {
		c.SubFilterTypes = p.SubFilterTypes
	}
	inherit(s, "sub_filter_once", &c.SubFilterOnce, p.SubFilterOnce)
	inherit(s, "sub_filter_last_modified", &c.SubFilterLastModified, p.SubFilterLastModified)
}
