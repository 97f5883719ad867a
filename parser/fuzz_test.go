package parser

import (
	"strings"
	"testing"
)

// FuzzLoadString feeds arbitrary text to the reader: it must return a tree
// or an error, never panic or hang, and every directive must carry a
// position inside the text.
func FuzzLoadString(f *testing.F) {
	for _, seed := range []string{
		"events {}\nhttp { server { listen 80; location / { proxy_pass http://u; } } }\n",
		"map $http_upgrade $connection_upgrade { default upgrade; '' close; }\n",
		"a \"b\\\"c\" 'd' ${e}f;\n# comment\n",
		"}", "{", ";", "\"", "'", "a\x00b;", "include x;", "if ($a = \"b\") { c; }",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := LoadString("/nonexistent/nginx.conf", src)
		if cfg == nil {
			t.Fatal("nil config")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
		lines := strings.Count(src, "\n") + 1
		var walk func([]*Directive)
		walk = func(ds []*Directive) {
			for _, d := range ds {
				if d.Pos.Line < 1 || d.Pos.Line > lines {
					t.Fatalf("directive %q at line %d of %d", d.Name, d.Pos.Line, lines)
				}
				walk(d.Block)
			}
		}
		walk(cfg.Directives)
	})
}
