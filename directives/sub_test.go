package directives

import "testing"

// TestSubFilterMerge: a level with sub_filter pairs of its own has only
// those, one without inherits its parent's; search strings are
// lower-cased as written; a table is built at load only when no search
// string has variables; sub_filter_once, sub_filter_last_modified and
// sub_filter_types inherit.
func TestSubFilterMerge(t *testing.T) {
	cfg, err := loadText(t, H(`sub_filter HTTP://Backend/ https://$host/; sub_filter_once off;
server { listen 8080; sub_filter_last_modified on;
  location /a/ { }
  location /b/ { sub_filter One 1; sub_filter two 2; sub_filter_once on; sub_filter_types text/plain; }
  location /c/ { sub_filter $arg_A-X $arg_b; sub_filter_types *; }
}`))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.HTTP.Servers[0]
	a, b, c := s.Locations[0].Conf, s.Locations[1].Conf, s.Locations[2].Conf
	if a.SubFilter == nil || len(a.SubFilter.Pairs) != 1 || a.SubFilter.Dynamic() {
		t.Fatalf("a: %+v", a.SubFilter)
	}
	if got := string(a.SubFilter.Matches.Patterns[0]); got != "http://backend/" {
		t.Errorf("a: search %q", got)
	}
	if a.SubFilterOnce || !a.SubFilterLastModified || !a.SubFilterTypes.Match([]byte("text/html"), true) || a.SubFilterTypes.Match([]byte("text/plain"), true) {
		t.Errorf("a: once %v last_modified %v types %+v", a.SubFilterOnce, a.SubFilterLastModified, a.SubFilterTypes)
	}
	if len(b.SubFilter.Pairs) != 2 || b.SubFilter.Matches.MinLen != 3 || !b.SubFilterOnce {
		t.Errorf("b: %+v once %v", b.SubFilter, b.SubFilterOnce)
	}
	if !b.SubFilterTypes.Match([]byte("Text/Plain"), true) || !b.SubFilterTypes.Match([]byte("text/html"), true) {
		t.Errorf("b: types %+v", b.SubFilterTypes)
	}
	if !c.SubFilter.Dynamic() || c.SubFilter.Pairs[0].Search.Raw != "$arg_a-x" || !c.SubFilterTypes.Match(nil, false) {
		t.Errorf("c: %+v %+v", c.SubFilter, c.SubFilterTypes)
	}
}
