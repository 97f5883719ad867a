package parser

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// writeTree writes files (path relative to dir → content) and returns dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// render prints a tree compactly: name[args]@line{children}, with the file
// shown when it is not the main one.
func render(ds []*Directive, main string) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(d.Name)
		b.WriteString("[")
		for j, a := range d.Args {
			if j > 0 {
				b.WriteString(",")
			}
			if a.Quoted {
				b.WriteString("q:")
			}
			b.WriteString(a.Value)
		}
		b.WriteString("]@")
		if d.Pos.CommandLine {
			b.WriteString("cmd")
		} else if d.Pos.File != main {
			b.WriteString(filepath.Base(d.Pos.File) + ":")
		}
		if !d.Pos.CommandLine {
			b.WriteString(strconv.Itoa(d.Pos.Line))
		}
		if d.Block != nil {
			b.WriteString("{" + render(d.Block, main) + "}")
		}
	}
	return b.String()
}

// Each expectation below was checked against nginx 1.22 on the same text
// (nginx -t with the statements made valid where the case is about values).
func TestReadsLikeNginx(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"positions are the line of ; or {",
			"a\n b\n ;\nc {\n}\nd\n{ e; }\n",
			"a[b]@3 c[]@4{} d[]@7{e[]@7}"},
		{"quotes removed and flagged",
			`a "b c" 'd' e;`,
			"a[q:b c,q:d,e]@1"},
		{"escapes nginx resolves",
			`a "x\"y" 'x\'y' "t\tn\nr\r" "b\\" \x;`,
			"a[q:x\"y,q:x'y,q:t\tn\nr\r,q:b\\,\\x]@1"},
		{"escaped semicolon stays in the word",
			`a "b\;c";`,
			`a[q:b\;c]@1`},
		{"${var} at a word start and inside",
			"a ${x}y z${y}w;",
			"a[${x}y,z${y}w]@1"},
		{"closing brace does not end a word",
			"a { b x}y; }",
			"a[]@1{b[x}y]@1}"},
		{"hash inside a word is not a comment",
			"a b#c; # comment ;\nd;",
			"a[b#c]@1 d[]@2"},
		{"parenthesis after a quote",
			`if ($a = "b") { c; }`,
			`if[($a,=,q:b,)]@1{c[]@1}`},
		{"empty quoted argument",
			`a '' "";`,
			"a[q:,q:]@1"},
		{"CR is a blank, only LF counts lines",
			"a\r b;\r\nc;",
			"a[b]@1 c[]@2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := LoadString("/x/nginx.conf", c.src)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := render(cfg.Directives, "/x/nginx.conf"); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// The messages are nginx 1.22's, checked with `nginx -t` on the same text.
func TestSyntaxErrorsLikeNginx(t *testing.T) {
	long := strings.Repeat("x", 5000)
	cases := []struct {
		name, src, want string
	}{
		{"stray closing brace mid-file (gonginx drops the rest)", "events {}\n}\nhttp {}\n", `unexpected "}" in /x/nginx.conf:2`},
		{"unclosed block", "events {}\nhttp {\n", `unexpected end of file, expecting "}" in /x/nginx.conf:3`},
		{"last statement without semicolon", "events {}\nfoo", `unexpected end of file, expecting ";" or "}" in /x/nginx.conf:2`},
		{"unterminated quote", "events {}\n\"abc", `unexpected end of file, expecting ";" or "}" in /x/nginx.conf:2`},
		{"lone semicolon (gonginx accepts it)", "events {}\n;\n", `unexpected ";" in /x/nginx.conf:2`},
		{"nameless block (gonginx splices it)", "events {}\n{ worker_processes 1; }\n", `unexpected "{" in /x/nginx.conf:2`},
		{"text glued after a quote", "events {}\nhttp { map $a $b { 'it''s' 2; } }\n", `unexpected "'" in /x/nginx.conf:2`},
		{"word glued after a quote", "a \"b\"c;\n", `unexpected "c" in /x/nginx.conf:1`},
		{"closing brace right after arguments", "http { server { listen 80 } }\n", `unexpected "}" in /x/nginx.conf:1`},
		{"NUL byte in a name (gonginx stops reading)", "events {}\nhttp { ser\x00ver {} }\n", `unknown directive "ser" in /x/nginx.conf:2`},
		{"too long word", "events {}\nworker_processes " + long + ";\n", `too long parameter "xxxxxxxxxx..." started in /x/nginx.conf:2`},
		{"too long quoted string", "events {}\nworker_processes \"" + long + "\";\n", `too long parameter, probably missing terminating """ character in /x/nginx.conf:2`},
		{"too long comment line", "events {}\n#" + long + "\n", `too long parameter "#xxxxxxxxx..." started in /x/nginx.conf:2`},
		{"include with a block", "events {}\ninclude x {}\n", `directive "include" is not terminated by ";" in /x/nginx.conf:2`},
		{"include with two arguments", "events {}\ninclude a b;\n", `invalid number of arguments in "include" directive in /x/nginx.conf:2`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadString("/x/nginx.conf", c.src)
			if err == nil {
				t.Fatalf("no error, want %s", c.want)
			}
			if err.Error() != c.want {
				t.Errorf("got  %s\nwant %s", err, c.want)
			}
		})
	}
}

// Blank runs and ordinary comments never trip the "too long" check, however
// long the file: nginx 1.22 moves the token start over blanks.
func TestLongBlankRunsAndManyCommentsAreFine(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 500; i++ {
		b.WriteString("# an ordinary comment line that is not short at all\n")
	}
	b.WriteString("a " + strings.Repeat(" ", 9000) + "b;\n")
	cfg, err := LoadString("/x/nginx.conf", b.String())
	if err != nil {
		t.Fatal(err)
	}
	if got := render(cfg.Directives, "/x/nginx.conf"); got != "a[b]@501" {
		t.Errorf("got %s", got)
	}
}

func TestPartialTreeBeforeSyntaxError(t *testing.T) {
	cfg, err := LoadString("/x/nginx.conf", "a;\nb {\n c;\n d \"x\"y;\n}\n")
	if err == nil || err.Error() != `unexpected "y" in /x/nginx.conf:4` {
		t.Fatalf("err = %v", err)
	}
	if got := render(cfg.Directives, "/x/nginx.conf"); got != "a[]@1 b[]@2{c[]@3}" {
		t.Errorf("partial tree = %s", got)
	}
}

func TestCommandLineDirectives(t *testing.T) {
	dir := writeTree(t, map[string]string{"nginx.conf": "a;\n"})
	main := filepath.Join(dir, "nginx.conf")

	cfg, err := Load(main, Options{Globals: "daemon off; pid /tmp/p;"})
	if err != nil {
		t.Fatal(err)
	}
	if got := render(cfg.Directives, main); got != "daemon[off]@cmd pid[/tmp/p]@cmd a[]@1" {
		t.Errorf("got %s", got)
	}
	if pid := cfg.Directives[1]; !pid.Pos.CommandLine || pid.Pos.String() != "command line" {
		t.Errorf("pid position = %+v", pid.Pos)
	}

	for globals, want := range map[string]string{
		"worker_processes 2":      `unexpected end of parameter, expecting ";" in command line`,
		"http {}":                 `block directives are not supported in -g option in command line`,
		"a \"b\"c;":               `unexpected "c" in command line`,
		"include /nonexistent/x;": `open() "/nonexistent/x" failed (2: No such file or directory) in command line`,
	} {
		_, err := Load(main, Options{Globals: globals})
		if err == nil || err.Error() != want {
			t.Errorf("-g %q: err = %v, want %s", globals, err, want)
		}
	}
}

func TestMainFileMissing(t *testing.T) {
	_, err := Load("/nonexistent/nginx.conf", Options{})
	want := `open() "/nonexistent/nginx.conf" failed (2: No such file or directory)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestIncludes(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"nginx.conf":            "events {}\nhttp {\n include conf.d/*.conf;\n include \"quoted.conf\";\n map $a $b {\n  include map.keys;\n }\n upstream u {\n  include servers.inc;\n }\n include nomatch/*.conf;\n}\n",
		"conf.d/b.conf":         "server { listen 2; include loc.inc; }\n",
		"conf.d/a.conf":         "server { listen 1; }\n",
		"conf.d/.hidden.conf":   "hidden;\n",
		"conf.d/..data/x.conf":  "hidden;\n",
		"conf.d/notconf.txt":    "other;\n",
		"quoted.conf":           "q;\n",
		"map.keys":              "k1 v1;\n'' v2;\n",
		"servers.inc":           "server 127.0.0.1:1;\n",
		"loc.inc":               "location / { }\n",
		"nomatch/placeholder.x": "",
	})
	main := filepath.Join(dir, "nginx.conf")
	cfg, err := Load(main, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "events[]@1{} http[]@2{server[]@a.conf:1{listen[1]@a.conf:1} server[]@b.conf:1{listen[2]@b.conf:1 location[/]@loc.inc:1{}} q[]@quoted.conf:1 " +
		"map[$a,$b]@5{k1[v1]@map.keys:1 [v2]@map.keys:2} upstream[u]@8{server[127.0.0.1:1]@servers.inc:1}}"
	// The map key '' is a quoted empty name.
	if got := render(cfg.Directives, main); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	var files []string
	for _, f := range cfg.Files {
		rel, _ := filepath.Rel(dir, f.Path)
		files = append(files, rel)
	}
	wantFiles := []string{"nginx.conf", "conf.d/a.conf", "conf.d/b.conf", "loc.inc", "quoted.conf", "map.keys", "servers.inc"}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Errorf("files = %v, want %v", files, wantFiles)
	}
	wantDirs := []string{filepath.Join(dir, "conf.d"), filepath.Join(dir, "nomatch")}
	if !reflect.DeepEqual(cfg.WatchDirs, wantDirs) {
		t.Errorf("watch dirs = %v, want %v", cfg.WatchDirs, wantDirs)
	}
}

func TestIncludeErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"missing.conf": "events {}\nhttp {\n include conf.d/nothere.conf;\n}\n",
		"inner.conf":   "events {}\ninclude sub/bad.conf;\n",
		"sub/bad.conf": "\n\nbad }\n",
		"cycle.conf":   "events {}\ninclude cycle.conf;\n",
		"dir.conf":     "events {}\ninclude sub;\n",
	})
	cases := map[string]string{
		"missing.conf": `open() "` + dir + `/conf.d/nothere.conf" failed (2: No such file or directory) in ` + dir + `/missing.conf:3`,
		"inner.conf":   `unexpected "}" in ` + dir + `/sub/bad.conf:3`,
		"cycle.conf":   `include of "` + dir + `/cycle.conf" is nested more than 64 levels deep (an include cycle?) in ` + dir + `/cycle.conf:2`,
		"dir.conf":     `pread() "` + dir + `/sub" failed (21: Is a directory)`,
	}
	for file, want := range cases {
		_, err := Load(filepath.Join(dir, file), Options{})
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v\nwant %s", file, err, want)
		}
	}
	_, err := Load(filepath.Join(dir, "dir.conf"), Options{})
	if pe, ok := err.(*Error); !ok || pe.Level != "crit" {
		t.Errorf("directory include: level = %+v, want crit", err)
	}
	// The main file (-c) a directory: the same [crit], as nginx says it.
	_, err = Load(filepath.Join(dir, "sub"), Options{})
	if pe, ok := err.(*Error); !ok || pe.Level != "crit" || pe.Error() != `pread() "`+dir+`/sub" failed (21: Is a directory)` {
		t.Errorf("-c a directory: %+v, want nginx's [crit] pread() failure", err)
	}
}

// Text that nginx reads one way and gonginx another is read as nginx
// reads it; the difference is noted for the error log.
func TestNginxReadingStandsWhereGonginxDiffers(t *testing.T) {
	for _, c := range []struct{ src, tree string }{
		{"error_log a\\;b;\nc;\n", `error_log[a\;b]@1 c[]@2`},
		{"add_header X-Path \"C:\\\\tab\\\\\";\nc;\n", `add_header[X-Path,q:C:\tab\]@1 c[]@2`},
	} {
		cfg, err := LoadString("/x/nginx.conf", c.src)
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if got := render(cfg.Directives, "/x/nginx.conf"); got != c.tree {
			t.Errorf("%q: got %s, want %s", c.src, got, c.tree)
		}
		if len(cfg.Notes) != 1 || cfg.Notes[0].Level != "info" || cfg.Notes[0].Pos.Line != 1 {
			t.Errorf("%q: notes = %+v, want one info note at line 1", c.src, cfg.Notes)
		}
	}
	cfg, err := LoadString("/x/nginx.conf", "events {}\nerror_log \"a\\;b\";\n")
	if err != nil || len(cfg.Notes) != 0 {
		t.Fatalf("quoted form: err %v, notes %+v", err, cfg.Notes)
	}
}

// gonginx fails on an escaped backslash before a closing quote; nginx's
// reading stands.
func TestEscapedBackslashBeforeQuote(t *testing.T) {
	cfg, err := LoadString("/x/nginx.conf", "map $a $b { \"tab\\\\\" 1; }\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := render(cfg.Directives, "/x/nginx.conf"); got != `map[$a,$b]@1{tab\[1]@1}` {
		t.Errorf("got %s", got)
	}
}

// gonginx takes a NUL byte for the end of input and never returns from
// such text; nginx reads the NUL as part of a word. Load must finish.
func TestNULInArgumentDoesNotHang(t *testing.T) {
	cfg, err := LoadString("/x/nginx.conf", "error_log a\x00b;\nc;\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := render(cfg.Directives, "/x/nginx.conf"); got != "error_log[a\x00b]@1 c[]@2" {
		t.Errorf("got %q", got)
	}
}

// nginx resolves relative includes against the main file's name up to its
// last "/" as written (ngx_process_options), and glob(3) keeps the
// pattern's directory part as written: "./" and "//" stay in the names it
// prints. ("-p /etc/nginx/ -c ./nginx.conf" is a common way to get them.)
func TestIncludePathsAsNginxWritesThem(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"nginx.conf":    "events {}\ninclude inc.conf;\n",
		"inc.conf":      "include ./conf.d//*.conf;\n",
		"conf.d/a.conf": "\nbad }\n",
		"sub/n.conf":    "include ../conf.d/a.conf;\n",
	})
	cases := map[string]string{
		dir + "/./nginx.conf":      `unexpected "}" in ` + dir + `/././conf.d//a.conf:2`,
		dir + "//nginx.conf":       `unexpected "}" in ` + dir + `//./conf.d//a.conf:2`,
		dir + "/sub/n.conf":        `unexpected "}" in ` + dir + `/sub/../conf.d/a.conf:2`,
		dir + "/sub/../nginx.conf": `unexpected "}" in ` + dir + `/sub/.././conf.d//a.conf:2`,
	}
	for main, want := range cases {
		_, err := Load(main, Options{})
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v\nwant %s", main, err, want)
		}
	}
	// No "/" past the first byte: the prefix (-p) stands in, as in nginx.
	if got := ConfPrefix("nginx.conf", "/p/"); got != "/p/" {
		t.Errorf(`ConfPrefix("nginx.conf") = %q, want the prefix`, got)
	}
	if got := ConfPrefix("/nginx.conf", "/p/"); got != "/p/" {
		t.Errorf(`ConfPrefix("/nginx.conf") = %q, want the prefix`, got)
	}
}

// In an include glob "\" escapes the next character, glob(3) names what
// it found as spelt on disk, and its readdir(3) lists "." and "..": a
// pattern with a leading "." matches them (nginx then fails to read a
// directory).
func TestIncludeGlobEscapesAndDotEntries(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"escaped.conf":  "include ./con\\f.d//*.conf;\n",
		"dots.conf":     "include conf.d/.*;\n",
		"conf.d/a.conf": "\nbad }\n",
		"conf.d/.h":     "",
	})
	cases := map[string]string{
		"escaped.conf": `unexpected "}" in ` + dir + `/./conf.d//a.conf:2`,
		"dots.conf":    `pread() "` + dir + `/conf.d/." failed (21: Is a directory)`,
	}
	for file, want := range cases {
		_, err := Load(filepath.Join(dir, file), Options{})
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v\nwant %s", file, err, want)
		}
	}
}
