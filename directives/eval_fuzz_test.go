package directives

import (
	"testing"
)

// FuzzRegexp compiles arbitrary patterns and matches them: whatever the
// input, compiling gives a Regexp or an error, and matching (on either
// engine, with the State's captures) never panics.
func FuzzRegexp(f *testing.F) {
	for _, c := range regexCases {
		for _, h := range c.header {
			f.Add(c.pattern, h, c.caseless)
		}
	}
	for _, p := range []string{`(?<=a(b|cd))x`, `\g{-2}(a)`, `[[:^alpha:]`, `\Q`, `(?P=`, `\k<`, `(?<=`, `\x{`, `[\Q]\E]`, `(?x)#(`, `a{,3}`} {
		f.Add(p, "abc", false)
	}
	f.Fuzz(func(t *testing.T, pattern, subject string, caseless bool) {
		re, err := compileRegexp(pattern, caseless)
		if err != nil {
			return
		}
		var s State
		_, _ = s.Match(re, []byte(subject))
		_ = re.FindSubmatchIndex([]byte(subject + "\n"))
		for n := 0; n <= 9; n++ {
			_ = s.Capture(n)
		}
	})
}

// FuzzEval evaluates a configuration's values for arbitrary request
// heads: no input makes the engine panic.
func FuzzEval(f *testing.F) {
	for _, r := range sideVarRequests {
		f.Add(r.raw)
	}
	cfg := mustLoad(f, sideMapConfForFuzz)
	f.Fuzz(func(t *testing.T, raw string) {
		r := fuzzRequest(raw)
		r.server = cfg.HTTP.Servers[0]
		var s State
		s.Reset(cfg.HTTP.Engine(), r)
		_ = s.Eval(cfg.HTTP.Servers[0].Locations[0].Conf.Script[0].Text, nil)
		_ = s.AppendLog(cfg.HTTP.LogFormat("all"), nil)
	})
}

// sideMapConfForFuzz uses maps, captures and header, cookie and argument
// variables.
const sideMapConfForFuzz = `
    log_format all '$http_x|$cookie_a|$arg_b|$remote_user|$content_length|$proxy_add_x_forwarded_for|$host|$status|$m';
    map $http_x $m {
        hostnames;
        default d;
        .example.com dot;
        www.example.* tail;
        ~^(?<n>.)(.)? "$n$2$1";
    }
    server {
        listen 8080;
        location / { return 200 "$m|$1|$n|$http_cookie|$args|$is_args|$uri"; }
    }
`

// fuzzRequest makes a request of arbitrary bytes: a line, then header
// lines split at the first ":".
func fuzzRequest(raw string) *testReq {
	r := &testReq{info: RequestInfo{BodyLength: -1}}
	line, rest := raw, ""
	if i := indexCRLF(raw); i >= 0 {
		line, rest = raw[:i], raw[i+2:]
	}
	r.line, r.uri, r.path = []byte(line), []byte(line), []byte(line)
	for rest != "" {
		l := rest
		if i := indexCRLF(rest); i >= 0 {
			l, rest = rest[:i], rest[i+2:]
		} else {
			rest = ""
		}
		name, value := l, ""
		for i := 0; i < len(l); i++ {
			if l[i] == ':' {
				name, value = l[:i], l[i+1:]
				break
			}
		}
		r.headers = append(r.headers, [2][]byte{[]byte(name), []byte(value)})
		if len(r.args) == 0 {
			r.args = []byte(value)
		}
	}
	return r
}

func indexCRLF(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\r' && s[i+1] == '\n' {
			return i
		}
	}
	return -1
}
