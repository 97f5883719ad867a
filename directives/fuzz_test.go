package directives

import (
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary text through the parser and the directive
// checks: whatever the input, Load must return (a Config, and an error or
// not) without panicking or hanging.
func FuzzLoad(f *testing.F) {
	for _, c := range errorCases {
		f.Add(c.conf)
	}
	f.Add(H("server { listen 8080; location / { proxy_pass http://localhost; } }"))
	dir := f.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := LoadString(path, text, LoadOptions{Prefix: dir + "/", Resolve: testResolver})
		if cfg == nil {
			t.Fatalf("nil Config (err %v)", err)
		}
		if err == nil {
			_ = cfg.Listeners()
		}
	})
}
