package directives

import (
	"strings"
	"testing"
)

// TestServerNameConflictAddressOrder pins the order nginx 1.22 gives its
// "conflicting server name" warnings in (checked on nginx: the wildcard
// address of a port comes after the port's other addresses even when it is
// read first, and IPv4 and IPv6 are separate ports). The -t corpus cannot
// hold this case: its valid cases bind loopback addresses only.
func TestServerNameConflictAddressOrder(t *testing.T) {
	srv := "server { listen 19120; listen [::]:19120; listen 127.0.0.1:19120; listen [::1]:19120; server_name x; }\n"
	cfg, err := loadText(t, H(srv+srv))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.Msg)
	}
	want := []string{
		`conflicting server name "x" on 127.0.0.1:19120, ignored`,
		`conflicting server name "x" on 0.0.0.0:19120, ignored`,
		`conflicting server name "x" on [::1]:19120, ignored`,
		`conflicting server name "x" on [::]:19120, ignored`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestServerNameHashKeys pins ngx_hash_add_key's rules for server names,
// each checked on nginx 1.22: which name conflicts with which, and which
// names it cannot hold (an [emerg] without position, only for an address
// shared by several servers).
func TestServerNameHashKeys(t *testing.T) {
	for _, tc := range []struct {
		names string // the second server's names; the first has "*.a.example"
		warn  string // the conflicting names, in order
		err   string
	}{
		{names: ".a.example a.example", warn: ".a.example a.example"},
		{names: "a.example .a.example", warn: ".a.example"},
		{names: "b.example B.example", warn: "b.example"},
		{names: "www.a.* www.A.*", warn: "www.a.*"},
		{names: "*.a.*", err: `invalid server name or wildcard "*.a.*" on 127.0.0.1:8080`},
		{names: "a*b", err: `invalid server name or wildcard "a*b" on 127.0.0.1:8080`},
		{names: "a..b", err: `invalid server name or wildcard "a..b" on 127.0.0.1:8080`},
	} {
		conf := H("server { listen 127.0.0.1:8080; server_name *.a.example; }\nserver { listen 127.0.0.1:8080; server_name " + tc.names + "; }")
		cfg, err := loadText(t, conf)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: err %v, want %s", tc.names, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.names, err)
			continue
		}
		var got []string
		for _, w := range cfg.Warnings {
			name := strings.TrimPrefix(w.Msg, `conflicting server name "`)
			got = append(got, name[:strings.IndexByte(name, '"')])
		}
		if strings.Join(got, " ") != tc.warn {
			t.Errorf("%s: conflicts %q, want %q", tc.names, strings.Join(got, " "), tc.warn)
		}
	}
}

// TestBitmaskDuplicateValue pins ngx_conf_set_bitmask_slot's [warn] for an
// ignored directive: the bits accumulate over the level's occurrences, so
// a value named again on a later line (in any case) is a duplicate, and
// another level starts afresh (checked on nginx 1.22).
func TestBitmaskDuplicateValue(t *testing.T) {
	cfg, err := loadText(t, H("gzip_proxied any expired;\ngzip_proxied ANY;\nserver { listen 8080; gzip_proxied any; }"))
	if err != nil {
		t.Fatal(err)
	}
	got := valueWarnings(cfg)
	if want := `duplicate value "ANY" @4`; strings.Join(got, "\n") != want {
		t.Errorf("warnings %q, want %q", got, want)
	}
}

// valueWarnings are cfg's [warn]s other than "is ignored" ones, each with
// its line: what a test of an ignored directive's value checks looks at.
func valueWarnings(cfg *Config) []string {
	var got []string
	for _, w := range cfg.Warnings {
		if !strings.Contains(w.Msg, "is ignored") {
			got = append(got, w.Msg+" @"+itoa(w.Pos.Line))
		}
	}
	return got
}
