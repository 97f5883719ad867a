package proxy

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// subTable builds the table of sub_filter pairs written as search,
// replacement, search, replacement… (literal replacements).
func subTable(pairs ...string) *directives.SubMatches {
	var patterns [][]byte
	var values []*directives.Complex
	for i := 0; i+1 < len(pairs); i += 2 {
		patterns = append(patterns, directives.LowerASCII([]byte(pairs[i])))
		values = append(values, &directives.Complex{Raw: pairs[i+1]})
	}
	return directives.NewSubMatches(patterns, values)
}

// literalEval evaluates a replacement without variables.
func literalEval(c *directives.Complex) []byte { return []byte(c.Raw) }

// runSub filters body cut at the given places, the end marked on the last
// piece when lastOnData, else on an empty piece after it (as nginx's
// upstream module ends a body).
func runSub(t *directives.SubMatches, once bool, body []byte, cuts []int, lastOnData bool) []byte {
	s := newSubStream(t, once, literalEval)
	var out []byte
	prev := 0
	for i, c := range append(cuts, len(body)) {
		last := lastOnData && i == len(cuts)
		out = append(out, s.filter(body[prev:c], last)...)
		prev = c
	}
	if !lastOnData {
		out = append(out, s.filter(nil, true)...)
	}
	return out
}

// TestSubFilterAsNginx holds the filter to bodies nginx 1.22 answered in
// the side-by-side cases (500-sub-proxied), cut into pieces in every way.
func TestSubFilterAsNginx(t *testing.T) {
	tests := []struct {
		pairs []string
		once  bool
		body  string
		want  string
	}{
		{[]string{"abc", "X", "ab", "Y"}, false, "abc ab abx abcd aab", "X Y Yx Xd aab"},
		{[]string{"ab", "Y", "abc", "X"}, false, "abc ab abx abcd aab", "Yc Y Yx Ycd aY"},
		{[]string{"ab", "Y", "abc", "X"}, true, "abc abc ab abc", "Yc X ab abc"},
		{[]string{"abcd", "X", "bc", "Y"}, false, "abcd abce xbc abcabcd", "X aYe xY aYX"},
		{[]string{"abcd", "X", "bc", "Y"}, false, "xx abc", "xx abc"},
		{[]string{"bcd", "X", "abc", "Y", "cd", "Z"}, false, "abcd bcd cd abc xcd", "Yd X Z Y xZ"},
		{[]string{"a", "aa"}, false, "a aa banana", "aa aaaa baanaanaa"},
		{[]string{"foo", "FOO1", "bar", "BAR1", "baz", ""}, true, "baz foo bar baz foo bar", " FOO1 BAR1 baz foo bar"},
		{[]string{"abcdef", "XYZ", "cd", "Q"}, false, "1 abcdxx 2 abcdeg 3 abcd", "1 abQxx 2 abQeg 3 abcd"},
		{[]string{"abcdef", "XYZ", "cd", "Q"}, false, "ABCDeF aBcDeF", "XYZ XYZ"},
		{[]string{"needle", "first", "NEEDLE", "second"}, true, "<p>a needle, a NEEDLE and a Needle</p>\n", "<p>a first, a second and a Needle</p>\n"},
	}
	for _, tt := range tests {
		tab := subTable(tt.pairs...)
		body := []byte(tt.body)
		for cut := 0; cut <= len(body); cut++ {
			for _, lastOnData := range []bool{true, false} {
				if got := runSub(tab, tt.once, body, []int{cut}, lastOnData); string(got) != tt.want {
					t.Errorf("%q once=%v on %q cut at %d: got %q, want %q", tt.pairs, tt.once, tt.body, cut, got, tt.want)
				}
			}
		}
		if got := runSub(tab, tt.once, body, nil, true); string(got) != tt.want {
			t.Errorf("%q once=%v on %q whole: got %q, want %q", tt.pairs, tt.once, tt.body, got, tt.want)
		}
	}
}

// subReference is what nginx's search comes to, said plainly: at each
// place in turn, the strings in the table's order (those used up under
// once skipped); the first that matches whole is replaced and the search
// goes on after it; one that matches up to the body's end stops the
// search there, the rest going out as it is.
func subReference(t *directives.SubMatches, once bool, body []byte) []byte {
	var out []byte
	done := make([]bool, len(t.Patterns))
	applied := 0
	low := directives.LowerASCII(bytes.Clone(body))
	for i := 0; i < len(body); {
		if i+t.MinLen > len(body) || once && applied == len(t.Patterns) {
			return append(out, body[i:]...)
		}
		found := false
		for k, m := range t.Patterns {
			if once && done[k] {
				continue
			}
			rest := low[i:]
			if len(rest) < len(m) {
				if bytes.HasPrefix(m, rest) {
					return append(out, body[i:]...)
				}
				continue
			}
			if bytes.HasPrefix(rest, m) {
				out = append(out, t.Values[k].Raw...)
				i += len(m)
				if !done[k] {
					done[k] = true
					applied++
				}
				found = true
				break
			}
		}
		if !found {
			out = append(out, body[i])
			i++
		}
	}
	return out
}

// TestSubFilterPieces checks, over random strings and bodies, that the
// filter gives what the plain reading of nginx's search gives, however
// the body is cut.
func TestSubFilterPieces(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 22))
	const alphabet = "abcAB x"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for iter := 0; iter < 3000; iter++ {
		var pairs []string
		for n := 1 + r.IntN(4); n > 0; n-- {
			pairs = append(pairs, word(1+r.IntN(4)), "<"+word(r.IntN(3))+">")
		}
		tab := subTable(pairs...)
		once := r.IntN(2) == 0
		body := []byte(word(r.IntN(40)))
		want := subReference(tab, once, body)
		var cuts []int
		for c := 0; c < len(body); c += 1 + r.IntN(6) {
			cuts = append(cuts, c)
		}
		got := runSub(tab, once, body, cuts, r.IntN(2) == 0)
		if !bytes.Equal(got, want) {
			t.Fatalf("%q once=%v on %q cut at %v: got %q, want %q", pairs, once, body, cuts, got, want)
		}
	}
}

// TestSubTablesOrder checks ngx_http_sub_init_tables: the strings sorted
// stably by their byte at the shortest length, the shifts, and the index.
func TestSubTablesOrder(t *testing.T) {
	tab := subTable("xb", "1", "ab", "2", "za", "3", "cab", "4")
	var got []string
	for _, p := range tab.Patterns {
		got = append(got, string(p))
	}
	if want := []string{"za", "cab", "xb", "ab"}; !slices.Equal(got, want) {
		t.Fatalf("order %q, want %q", got, want)
	}
	if tab.MinLen != 2 || tab.MaxLen != 3 {
		t.Fatalf("lengths %d..%d", tab.MinLen, tab.MaxLen)
	}
	if tab.Shift['a'] != 0 || tab.Shift['b'] != 0 || tab.Shift['x'] != 1 || tab.Shift['c'] != 1 || tab.Shift['q'] != 2 {
		t.Fatalf("shifts a=%d b=%d x=%d c=%d q=%d", tab.Shift['a'], tab.Shift['b'], tab.Shift['x'], tab.Shift['c'], tab.Shift['q'])
	}
	if tab.Index['a'] != 0 || tab.Index['b'] != 2 || tab.Index['c'] != 4 || tab.Index[256] != 4 {
		t.Fatalf("index a=%d b=%d c=%d end=%d", tab.Index['a'], tab.Index['b'], tab.Index['c'], tab.Index[256])
	}
}

// FuzzSubFilter feeds the filter search strings, a body and cuts from the
// fuzzer's bytes: it must not fail, and must give what subReference does.
// The input is "pattern|pattern|…\x00body", the cuts taken from seed.
func FuzzSubFilter(f *testing.F) {
	f.Add([]byte("abcd|bc\x00xx abcd abc"), uint64(3), true)
	f.Add([]byte("ab|abc|AB\x00abcabABc"), uint64(1), false)
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, once bool) {
		spec, body, ok := bytes.Cut(data, []byte{0})
		if !ok {
			return
		}
		var pairs []string
		for i, p := range bytes.Split(spec, []byte("|")) {
			if len(p) == 0 || i == 255 {
				continue
			}
			pairs = append(pairs, string(p), "<r>")
		}
		if len(pairs) == 0 {
			return
		}
		tab := subTable(pairs...)
		r := rand.New(rand.NewPCG(seed, 0))
		var cuts []int
		for c := 0; c < len(body); c += 1 + r.IntN(8) {
			cuts = append(cuts, c)
		}
		got := runSub(tab, once, body, cuts, seed%2 == 0)
		if want := subReference(tab, once, body); !bytes.Equal(got, want) {
			t.Fatalf("%q once=%v on %q cut at %v: got %q, want %q", pairs, once, body, cuts, got, want)
		}
	})
}

// BenchmarkSubFilter is the common use: absolute URLs rewritten in a
// 64 KiB page, read in 16 KiB pieces, once off.
func BenchmarkSubFilter(b *testing.B) {
	tab := subTable("http://backend/", "https://example.org/", "</head>", "<script src=/x.js></script></head>")
	line := []byte(`<p><a href="http://backend/some/path">a link</a> and some text around it</p>` + "\n")
	body := bytes.Repeat(line, 64<<10/len(line))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s := newSubStream(tab, false, literalEval)
		for p := body; len(p) > 0; {
			n := min(len(p), 16<<10)
			s.filter(p[:n], false)
			p = p[n:]
		}
		s.filter(nil, true)
	}
}
