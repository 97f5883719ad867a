package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// TestReloadSummary: the reload notice names the files, servers and
// upstream blocks a reload changed, added and removed. A server counts as
// changed when its text changed, in its own file or in a file it
// includes; comments and layout do not count.
func TestReloadSummary(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	app := filepath.Join(dir, "app.conf")
	extra := filepath.Join(dir, "extra.conf")
	load := func(files map[string]string) *directives.Config {
		t.Helper()
		for path, text := range files {
			write(t, path, text)
		}
		cfg, err := directives.Load(main, directives.LoadOptions{Prefix: dir + "/"})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	head := "events {}\nhttp {\n    upstream up { server 127.0.0.1:9001; }\n    upstream other { server 127.0.0.1:9003; }\n"
	old := load(map[string]string{
		main: head + "    server { listen 127.0.0.1:8001; server_name a.example; include " + app + "; }\n" +
			"    server { listen 127.0.0.1:8002; server_name b.example; location / { proxy_pass http://up; } }\n" +
			"    server { listen 127.0.0.1:8003; location / { return 204; } }\n}\n",
		app: "location / { return 200 a; }\n",
	})

	// Only comments and spacing change: the file did, no server did.
	same := load(map[string]string{
		main: head + "    server { listen 127.0.0.1:8001; server_name a.example; include " + app + "; }\n" +
			"    server { listen 127.0.0.1:8002; server_name b.example;\n        location / { proxy_pass http://up; }   # comment\n    }\n" +
			"    server { listen 127.0.0.1:8003; location / { return 204; } }\n}\n",
	})
	if got, want := reloadSummary(old, same, 1234567*time.Nanosecond),
		"reconfigured in 1.23ms; files: 1 changed ("+main+"); servers unchanged; upstreams unchanged"; got != want {
		t.Errorf("layout only:\n got %s\nwant %s", got, want)
	}

	// The included file of a.example changes, the upstream gets a second
	// server, 8003 goes, c.example comes with a new file.
	cur := load(map[string]string{
		main: "events {}\nhttp {\n    upstream up { server 127.0.0.1:9001; server 127.0.0.1:9002; }\n    upstream other { server 127.0.0.1:9003; }\n" +
			"    server { listen 127.0.0.1:8001; server_name a.example; include " + app + "; }\n" +
			"    server { listen 127.0.0.1:8002; server_name b.example; location / { proxy_pass http://up; } }\n" +
			"    include " + extra + ";\n}\n",
		app:   "location / { return 200 b; }\n",
		extra: "server { listen 127.0.0.1:8004; server_name c.example; }\n",
	})
	got := reloadSummary(same, cur, 50*time.Microsecond)
	want := "reconfigured in 50µs; files: 2 changed (" + main + ", " + app + "), 1 added (" + extra + "); " +
		"servers: 1 changed (a.example 127.0.0.1:8001), 1 added (c.example 127.0.0.1:8004), 1 removed (\"\" 127.0.0.1:8003); " +
		"upstreams: 1 changed (up)"
	if got != want {
		t.Errorf("changes:\n got %s\nwant %s", got, want)
	}

	// Back: the reverse, and the long lists are cut after five names.
	if got := reloadSummary(cur, old, 0); !strings.Contains(got, "files: 2 changed ("+main+", "+app+"), 1 removed ("+extra+")") {
		t.Errorf("reverse: %s", got)
	}
	if got := nameList(strings.Fields("a b c d e f g")); got != "a, b, c, d, e and 2 more" {
		t.Errorf("nameList: %s", got)
	}
}
