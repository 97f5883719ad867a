package parser

import "testing"

// TestFnmatchLikeGlibc: the bracket and escape rules glibc's fnmatch(3)
// applies for glob(3), where path/filepath.Match reports a syntax error
// or answers otherwise (each checked with nginx's include).
func TestFnmatchLikeGlibc(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"[", "[", true},              // no closing "]": a literal "["
		{"[a", "[a", true},            // likewise
		{"a[", "a", false},            // the "[" must be there
		{"[]a].conf", "a.conf", true}, // "]" first is a member
		{"[]a].conf", "].conf", true},
		{"[!]].conf", "a.conf", true},
		{"[a-]", "-", true}, // "-" last is a member
		{"[-a].conf", "-.conf", true},
		{"[z-a].conf", "a.conf", false}, // a reversed range matches nothing
		{"[[:alpha:]].conf", "a.conf", true},
		{"[[:foo:]].conf", "a.conf", false},
		{"[[=a=]].conf", "a.conf", true},
		{`[\]].conf`, "].conf", true},
		{`\[`, "[", true},
		{`[a\-z].conf`, "-.conf", true},
		{`[a\-z].conf`, "b.conf", false},
		{"*.conf", "a.conf", true},
		{"*[", "x[", true},
		{"?.conf", "ab.conf", false},
		{"[^a].conf", "b.conf", true},
	} {
		if got := fnmatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}
