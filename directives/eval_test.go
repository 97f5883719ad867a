package directives

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// evalSetup loads an http block and prepares a request for it.
func evalSetup(t *testing.T, httpBody, raw string) (*Config, *State, *testReq) {
	t.Helper()
	cfg := mustLoad(t, httpBody)
	r := parseTestRequest(t, raw)
	r.server = cfg.HTTP.Servers[0]
	r.conn.Remote = netip.MustParseAddrPort("192.0.2.1:40000")
	r.conn.Local = netip.MustParseAddrPort("127.0.0.1:8080")
	s := NewState()
	s.Reset(cfg.HTTP.Engine(), r)
	return cfg, s, r
}

// retText is the text of the first location's return.
func retText(cfg *Config) *Complex { return cfg.HTTP.Servers[0].Locations[0].Conf.Script[0].Text }

func TestEveryValueIsBound(t *testing.T) {
	path, _ := genConfig(t, 20)
	cfg, err := Load(path, LoadOptions{Resolve: testResolver})
	if err != nil {
		t.Fatal(err)
	}
	refs := collectRefs(cfg.HTTP)
	if len(refs.complexes) < 100 {
		t.Fatalf("only %d values found", len(refs.complexes))
	}
	for _, c := range refs.complexes {
		for _, sg := range c.Segments {
			if sg.Var != "" && sg.idx == 0 {
				t.Errorf("value %q: $%s not bound", c.Raw, sg.Var)
			}
		}
	}
	// The default access log's predefined format is bound too.
	f := cfg.HTTP.Servers[0].Conf.AccessLogs[0].Format
	if f.Value.Segments[0].idx == 0 {
		t.Errorf("format %q not bound", f.Name)
	}
}

func TestCacheAndNonCacheable(t *testing.T) {
	conf := `
    map $uri $cached_map { default "m:$uri"; }
    map $uri $volatile_map { volatile; default "v:$uri"; }
    server { listen 8080; location / { return 200 "$uri|$cached_map|$volatile_map|$host"; } }`
	cfg, s, r := evalSetup(t, conf, "GET /first HTTP/1.1\r\nHost: a.test\r\n\r\n")
	text := retText(cfg)
	if got := string(s.Eval(text, nil)); got != "/first|m:/first|v:/first|a.test" {
		t.Fatalf("first: %q", got)
	}
	// A rewrite changes the URI: $uri and the volatile map follow; the
	// cached map and $host keep the request's first values, as in nginx.
	r.path = []byte("/second")
	r.host = []byte("b.test")
	if got := string(s.Eval(text, nil)); got != "/second|m:/first|v:/second|a.test" {
		t.Fatalf("after rewrite: %q", got)
	}
	// A new request starts afresh.
	s.Reset(cfg.HTTP.Engine(), r)
	if got := string(s.Eval(text, nil)); got != "/second|m:/second|v:/second|b.test" {
		t.Fatalf("next request: %q", got)
	}
}

func TestRequestTimeIsNotCached(t *testing.T) {
	cfg, s, r := evalSetup(t, `server { listen 8080; location / { return 200 "$request_time $msec"; } }`, "GET / HTTP/1.0\r\n\r\n")
	start := time.Unix(1700000000, 250e6)
	r.info.Start = start
	r.now = start.Add(1500 * time.Millisecond)
	if got := string(s.Eval(retText(cfg), nil)); got != "1.500 1700000001.750" {
		t.Fatalf("got %q", got)
	}
	r.now = start.Add(2 * time.Second)
	if got := string(s.Eval(retText(cfg), nil)); got != "2.000 1700000002.250" {
		t.Fatalf("got %q", got)
	}
}

func TestSetAndArgs(t *testing.T) {
	conf := `server { listen 8080; location / {
        set $a "[$args]";
        set $args "x=1&y=2";
        set $b "$a|$args|$arg_y|$is_args|$query_string";
        return 200 $b;
    } }`
	cfg, s, _ := evalSetup(t, conf, "GET /?q=0 HTTP/1.0\r\n\r\n")
	script := cfg.HTTP.Servers[0].Locations[0].Conf.Script
	for _, st := range script[:3] {
		s.Set(st)
	}
	if got := string(s.Eval(script[3].Text, nil)); got != "[q=0]|x=1&y=2|2|?|x=1&y=2" {
		t.Fatalf("got %q", got)
	}
	if a, ok := s.Args(); !ok || string(a) != "x=1&y=2" {
		t.Fatalf("Args() = %q, %v", a, ok)
	}
	// set $args "" leaves the arguments empty but found.
	s.SetArgs([]byte{})
	if v, ok := s.Var("args"); !ok || len(v) != 0 {
		t.Fatalf("$args after set to empty: %q, %v", v, ok)
	}
}

func TestUninitializedSetVariable(t *testing.T) {
	conf := `server { listen 8080; location /x { set $late 1; } location / { return 200 "[$late]"; } }`
	cfg, s, r := evalSetup(t, conf, "GET / HTTP/1.0\r\n\r\n")
	text := cfg.HTTP.Servers[0].Locations[1].Conf.Script[0].Text
	if got := string(s.Eval(text, nil)); got != "[]" {
		t.Fatalf("got %q", got)
	}
	i, ok := cfg.HTTP.Engine().Index("late")
	if !ok {
		t.Fatal("no index for $late")
	}
	if v, found := s.Get(i); !found || len(v) != 0 {
		t.Fatalf("$late = %q, %v; nginx gives a found empty value", v, found)
	}
	// The request is told once: the value is cached, as nginx's is.
	if got := string(s.Eval(text, nil)); got != "[]" {
		t.Fatalf("got %q", got)
	}
	if got := r.uninitialized; len(got) != 1 || got[0] != "late" {
		t.Fatalf("UninitializedVariable calls %q, want one for late", got)
	}
	// Once set, the variable is no longer uninitialized.
	s.Reset(cfg.HTTP.Engine(), r)
	s.Set(cfg.HTTP.Servers[0].Locations[0].Conf.Script[0])
	if got := string(s.Eval(text, nil)); got != "[1]" {
		t.Fatalf("after set: %q", got)
	}
	if got := r.uninitialized; len(got) != 1 {
		t.Fatalf("UninitializedVariable calls %q after set, want none more", got)
	}
}

func TestCaptures(t *testing.T) {
	cfg, s, _ := evalSetup(t, `server { listen 8080; location / { return 200 "$1|$2|"; } }`, "GET / HTTP/1.0\r\n\r\n")
	text := retText(cfg)
	eval := func() string { return string(s.Eval(text, nil)) }
	re, err := compileRegexp(`^/(?<name>[a-z]+)/(\d+)?`, false)
	if err != nil {
		t.Fatal(err)
	}
	if eval() != "||" {
		t.Fatalf("before any match: %q", eval())
	}
	if ok, _ := s.Match(re, []byte("/abc/12")); !ok || eval() != "abc|12|" || s.NumCaptures() != 2 {
		t.Fatalf("after a match: %q (%d captures)", eval(), s.NumCaptures())
	}
	// A location or map regex that does not match keeps the captures.
	if ok, _ := s.Match(re, []byte("nope")); ok || eval() != "abc|12|" {
		t.Fatalf("after a failed match: %q", eval())
	}
	// An unset group is empty; the count follows the highest set group.
	if ok, _ := s.Match(re, []byte("/xyz/")); !ok || eval() != "xyz||" || s.NumCaptures() != 1 {
		t.Fatalf("unset group: %q (%d)", eval(), s.NumCaptures())
	}
	// A regex without groups leaves no $1.
	plain, _ := compileRegexp(`^/`, false)
	if ok, _ := s.Match(plain, []byte("/q")); !ok || eval() != "||" || s.NumCaptures() != 0 {
		t.Fatalf("group-less match: %q", eval())
	}
	// if/rewrite regexes clear the captures when they do not match.
	s.Match(re, []byte("/abc/1"))
	if ok, _ := s.MatchScript(re, []byte("x")); ok || eval() != "||" {
		t.Fatalf("failed script match: %q", eval())
	}
}

func TestNamedCaptureVariables(t *testing.T) {
	conf := `server { listen 8080; location ~ ^/(?<first>a)(?<second>b)?$ { return 200 "$first|$second|$1"; } }`
	cfg, s, _ := evalSetup(t, conf, "GET / HTTP/1.0\r\n\r\n")
	loc := cfg.HTTP.Servers[0].Locations[0]
	if v, ok := s.Var("first"); ok || v != nil {
		t.Fatalf("$first before a match: %q, %v (nginx: not found)", v, ok)
	}
	if ok, _ := s.Match(loc.Regex, []byte("/a")); !ok {
		t.Fatal("no match")
	}
	if got := string(s.Eval(loc.Conf.Script[0].Text, nil)); got != "a||a" {
		t.Fatalf("got %q", got)
	}
	if v, ok := s.Var("second"); !ok || len(v) != 0 {
		t.Fatalf("$second of an unset group: %q, %v (nginx: found, empty)", v, ok)
	}
}

func TestCond(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := `server { listen 8080; location / {
        if ($http_x) { }
        if ($http_x = "0") { }
        if ($http_x != yes) { }
        if ($http_x ~* ^Y(E)s$) { }
        if (-f ` + file + `) { }
        if (!-d ` + file + `) { }
        if (-x ` + file + `) { }
        if (-e ` + dir + `/missing) { }
        return 200 "$1";
    } }`
	for _, c := range []struct {
		header string
		want   []bool
	}{
		{"yes", []bool{true, false, false, true, true, true, true, false}},
		{"0", []bool{false, true, true, false, true, true, true, false}},
		{"", []bool{false, false, true, false, true, true, true, false}},
	} {
		raw := "GET / HTTP/1.0\r\nX: " + c.header + "\r\n\r\n"
		cfg, s, _ := evalSetup(t, conf, raw)
		script := cfg.HTTP.Servers[0].Locations[0].Conf.Script
		for i, w := range c.want {
			got, err := s.Cond(script[i].Cond)
			if err != nil || got != w {
				t.Errorf("X %q: condition %d = %v (%v), want %v", c.header, i, got, err, w)
			}
		}
		if c.header == "yes" {
			if got := string(s.Eval(script[len(c.want)].Text, nil)); got != "e" {
				t.Errorf("capture of the if regex: %q", got)
			}
		}
	}
}

func TestAppendLogEscapes(t *testing.T) {
	conf := `
    log_format def '$http_x|$http_missing|$status|$uri';
    log_format js escape=json '$http_x|$http_missing|$status';
    log_format raw escape=none '$http_x|$http_missing|$status';
    server { listen 8080; location / { return 200; } }`
	cfg, s, r := evalSetup(t, conf, "GET /a%22b HTTP/1.0\r\nX: q\"\\\x01\xc3\xa9\t\r\n\r\n")
	r.info.Status = 204
	for _, c := range []struct{ format, want string }{
		{"def", `q\x22\x5C\x01\xC3\xA9\x09|-|204|/a\x22b`},
		{"js", `q\"\\\u0001` + "\xc3\xa9" + `\t||204`},
		{"raw", "q\"\\\x01\xc3\xa9\t||204"},
	} {
		if got := string(s.AppendLog(cfg.HTTP.LogFormat(c.format), nil)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.format, got, c.want)
		}
	}
}

func TestLogFlushesNonCacheable(t *testing.T) {
	// nginx's log reads variables with ngx_http_get_indexed_variable after
	// flushing the format's non-cacheable ones: $uri computed earlier is
	// computed again, a cacheable variable keeps its value, and the log
	// module's own variables ($status) are computed when the line is
	// written.
	conf := `
    log_format l '$uri|$host|$status';
    server { listen 8080; location / { return 200 "$uri$host$status"; } }`
	cfg, s, r := evalSetup(t, conf, "GET /before HTTP/1.0\r\nHost: first\r\n\r\n")
	s.Eval(retText(cfg), nil)
	r.path = []byte("/after")
	r.host = []byte("second")
	r.info.Status = 200
	if got := string(s.AppendLog(cfg.HTTP.LogFormat("l"), nil)); got != "/after|first|200" {
		t.Fatalf("got %q", got)
	}
}

func TestMapCycle(t *testing.T) {
	conf := `
    map $b $a { default "a$b"; }
    map $a $b { default "b$a"; }
    server { listen 8080; location / { return 200 "[$a]"; } }`
	cfg, s, _ := evalSetup(t, conf, "GET / HTTP/1.0\r\n\r\n")
	// nginx fails the value ("cycle while evaluating variable"); the
	// engine stops at nginx's depth and answers.
	got := string(s.Eval(retText(cfg), nil))
	if !strings.HasPrefix(got, "[ab") || len(got) > 400 {
		t.Fatalf("got %q", got)
	}
}

func TestInet6Text(t *testing.T) {
	// ngx_inet6_ntop's choices.
	for _, c := range []struct{ in, want string }{
		{"::1", "::1"},
		{"::", "::"},
		{"2001:db8::1", "2001:db8::1"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
		{"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
		{"::192.0.2.1", "::192.0.2.1"},
		{"::2", "::2"},
		{"fe80::1:2", "fe80::1:2"},
		{"1::", "1::"},
		{"ABCD:EF01::", "abcd:ef01::"},
	} {
		a := netip.MustParseAddr(c.in)
		if got := string(appendInet6(nil, a.As16())); got != c.want {
			t.Errorf("%s: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestUnixSocketAndMissingFacts(t *testing.T) {
	conf := `server { listen 8080; location / { return 200 "$remote_addr|$remote_port|$server_addr|$server_port|$binary_remote_addr"; } }`
	cfg, s, r := evalSetup(t, conf, "GET / HTTP/1.0\r\n\r\n")
	r.conn = ConnInfo{UnixPath: "/run/x.sock"}
	if got := string(s.Eval(retText(cfg), nil)); got != "unix:||unix:/run/x.sock||unix:" {
		t.Fatalf("got %q", got)
	}
	// A State without a request evaluates literals only.
	var empty State
	if got := string(empty.Eval(literal("lit"), nil)); got != "lit" {
		t.Fatalf("got %q", got)
	}
	empty.Reset(nil, nil)
	if v, ok := empty.Var("uri"); ok || v != nil {
		t.Fatal("a State without engine found a variable")
	}
}

func TestRegexpMethods(t *testing.T) {
	for _, c := range []struct {
		pattern string
		pcre    bool
	}{
		{`^/(?<a>x)(y)?(z)`, false},
		{`^/(?<a>x)(y)?(z)(?=$)`, true},
	} {
		re, err := compileRegexp(c.pattern, false)
		if err != nil {
			t.Fatal(err)
		}
		if (re.pcre != nil) != c.pcre {
			t.Errorf("%s: PCRE engine %v, want %v", c.pattern, re.pcre != nil, c.pcre)
		}
		if re.NumSubexp() != 3 || strings.Join(re.SubexpNames(), ",") != ",a,," || re.String() != c.pattern {
			t.Errorf("%s: groups %d %q", c.pattern, re.NumSubexp(), re.SubexpNames())
		}
		idx := re.FindSubmatchIndex([]byte("/xz"))
		if want := []int{0, 3, 1, 2, -1, -1, 2, 3}; !slices.Equal(idx, want) {
			t.Errorf("%s: FindSubmatchIndex = %v, want %v", c.pattern, idx, want)
		}
		if !re.MatchString("/xz") || re.Match([]byte("/x")) || re.FindSubmatchIndex([]byte("no")) != nil {
			t.Errorf("%s: Match", c.pattern)
		}
	}
}

func TestPCREConstructs(t *testing.T) {
	for _, c := range []struct {
		pattern string
		err     string // "" when accepted
		pcre    bool
	}{
		{`/\.(?!well-known)`, "", true},
		{`(?<=\d{3})x`, "", true},
		{`(?<=ab|cde)x`, "", true},
		{`(?<=a(b|cd))x`, `lookbehind assertion is not fixed length`, false},
		{`(?<=a(bc|cd))x`, "", true},
		{`(?<=a{2,3})x`, `lookbehind assertion is not fixed length`, false},
		{`(?<=a{2}b?)x`, `lookbehind assertion is not fixed length`, false},
		{`(a)\1`, "", true},
		{`(?<n>a)\k<n>\k{n}\g{n}\g1\g{-1}`, "", true},
		{`(?>a+)b`, "", true},
		{`a\Z`, "", true},
		{`(?#comment)a`, "", true},
		{`\e\cA`, "", true},
		{`a{1001}`, "", true},
		{`a{2000000}`, `number too big in {} quantifier`, false},
		{`a++`, `possessive quantifier`, false},
		{`a?+`, `possessive quantifier`, false},
		{`(?R)`, `recursion`, false},
		{`(?1)(a)`, `recursion`, false},
		{`a\Kb`, `\K`, false},
		{`(*UTF)a`, `PCRE verb`, false},
		{`(?|a|b)`, `branch reset`, false},
		{`(?(1)a|b)`, `conditional`, false},
		{`\X`, `\X`, false},
		{`(?U)a+(?=b)`, `inline option "U"`, false},
		{`(?U)a+`, "", false},
		{`a\Qb(\E`, "", false},
		{`[[:^alpha:]](?=x)`, "", true},
		{`[^[:^alpha:]](?=x)`, "", true},
		{`[1[:^alpha:]](?=x)`, `negated POSIX class`, false},
		{`\q`, `unrecognized character follows \`, false},
		{`^/(?:a|b)(?i:c)(?i)d$`, "", false}, // RE2 runs these
		{`^/(?^i)a`, "", true},               // and not these
		{`^/(?-)a`, "", true},
	} {
		re, err := compileRegexp(c.pattern, false)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.pattern, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want one with %q", c.pattern, err, c.err)
		case err == nil && (re.pcre != nil) != c.pcre:
			t.Errorf("%s: PCRE engine %v, want %v", c.pattern, re.pcre != nil, c.pcre)
		}
	}
}

func TestPCREBackReferenceNumbering(t *testing.T) {
	// .NET numbers named groups after unnamed ones; PCRE numbers all groups
	// left to right. \2 must be the second group as written.
	re, err := compileRegexp(`^(?<n>a)(b)\2\1$`, false)
	if err != nil {
		t.Fatal(err)
	}
	if !re.MatchString("abba") || re.MatchString("abab") {
		t.Fatal("back-references numbered the .NET way")
	}
}

func TestMapEvaluatedOnlyWhenUsed(t *testing.T) {
	conf := `
    map $http_x $unused { ~^(a)(b)$ "$2"; }
    map $http_x $used { ~^(a)(.)$ "$2"; }
    server { listen 8080; location / { return 200 "$1"; } location /u { return 200 "$used$1"; } }`
	cfg, s, _ := evalSetup(t, conf, "GET / HTTP/1.0\r\nX: ab\r\n\r\n")
	// $unused is never referenced: its regex never runs, $1 stays empty.
	if got := string(s.Eval(retText(cfg), nil)); got != "" {
		t.Fatalf("got %q", got)
	}
	u := cfg.HTTP.Servers[0].Locations[1].Conf.Script[0].Text
	if got := string(s.Eval(u, nil)); got != "ba" {
		t.Fatalf("got %q", got)
	}
}

func TestStateWithoutEngine(t *testing.T) {
	cfg := mustLoad(t, `server { listen 8080; location / { return 200 "$uri|$1|x"; } }`)
	var s State
	// Reset with no engine: bound values evaluate as not found, no panic.
	s.Reset(nil, nil)
	if got := string(s.Eval(retText(cfg), nil)); got != "||x" {
		t.Fatalf("got %q", got)
	}
	if got := string(s.AppendLog(cfg.HTTP.LogFormats[0], nil)); !strings.HasPrefix(got, "- - - [") {
		t.Fatalf("log %q", got)
	}
}

func TestStateWithoutRequest(t *testing.T) {
	cfg := mustLoad(t, `server { listen 8080; location / { return 200 "$uri|$host|$remote_addr|x"; } }`)
	var s State
	s.Reset(cfg.HTTP.Engine(), nil)
	if got := string(s.Eval(retText(cfg), nil)); got != "|||x" {
		t.Fatalf("got %q", got)
	}
}

func TestAnchoredPrefix(t *testing.T) {
	for _, c := range []struct{ pattern, want string }{
		{`^/api/v0/(?<rest>.+)$`, "/api/v0/"},
		{`^(/a)b`, "/ab"},
		{`(?i)^/ab`, "/"},
		{`^/a(?i)b`, "/a"},
		{`/x`, ""},
		{`(?m)^/x`, ""},
		{`^/a|^/b`, ""},
		{`^/a?`, "/"},
		{"^/\xc3\xa9", "/\xc3\xa9"},
		{`^/\xff`, "/"},
		{`^/\x{e9}x`, "/"},
	} {
		if got := anchoredPrefix(c.pattern); got != c.want {
			t.Errorf("%s: %q, want %q", c.pattern, got, c.want)
		}
	}
}

func TestMapHashDirectivesAccepted(t *testing.T) {
	cfg := mustLoad(t, `map_hash_max_size 4096; map_hash_bucket_size 128;
    map $uri $m { /a 1; }
    server { listen 8080; location / { return 200 $m; } }`)
	_, s, _ := evalSetup(t, `map_hash_bucket_size 64; map $uri $m { /a 1; } server { listen 8080; location / { return 200 $m; } }`, "GET /a HTTP/1.0\r\n\r\n")
	if cfg.HTTP.Engine() == nil {
		t.Fatal("no engine")
	}
	if v, _ := s.Var("m"); string(v) != "1" {
		t.Fatalf("$m = %q", v)
	}
}

func TestConcurrentStates(t *testing.T) {
	// One Engine and its regexes serve many requests at once; each request
	// has its own State. The PCRE twins compile on first need, concurrently.
	conf := `
    map $http_x $m { ~^/caf(.)$ "1$1"; ~(?<=/)x(\d) "2$1"; default 0; }
    server { listen 8080; location / { return 200 "$m|$1"; } }`
	cfg := mustLoad(t, conf)
	text := retText(cfg)
	done := make(chan string, 8)
	for g := range 8 {
		go func() {
			r := parseTestRequest(t, "GET / HTTP/1.0\r\nX: /caf\xc3\xa9\r\n\r\n")
			if g%2 == 1 {
				r = parseTestRequest(t, "GET / HTTP/1.0\r\nX: /x7\r\n\r\n")
			}
			var s State
			out := ""
			for range 200 {
				s.Reset(cfg.HTTP.Engine(), r)
				out = string(s.Eval(text, nil))
			}
			done <- out
		}()
	}
	for range 8 {
		if got := <-done; got != "0|" && got != "27|7" {
			t.Errorf("got %q", got)
		}
	}
}
