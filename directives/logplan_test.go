package directives

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPlanLog: a plan made while the request is answered, run at the end
// with a Request that knows only the end facts, writes the lines
// AppendLog writes at the end with the whole request, in the cases where
// the plan has to choose: a value computed before the plan keeps it, a
// map of an end value is computed at the end from the request's values,
// conditions decided at once drop their line, a line without end pieces
// needs no State.
func TestPlanLog(t *testing.T) {
	cfg := mustLoad(t, `
map $bytes_sent $m { "0" zero; default "n-$request_uri"; }
map $status $st { default "s$status"; }
map $bytes_sent $big { "0" 0; default 1; }
log_format end '$request_uri $m $bytes_sent $body_bytes_sent $st "$http_user_agent" $upstream_bytes_received';
log_format fixed '$request_uri $st $status';
server { listen 127.0.0.1:8080; location / {
  access_log /tmp/a.log end;
  access_log /tmp/b.log fixed if=$http_x_no;
  access_log /tmp/c.log end if=$big;
  access_log /tmp/d.log fixed;
} }`)
	e := cfg.HTTP.Engine()
	al := cfg.HTTP.Servers[0].Locations[0].Conf.AccessLogs
	targets := make([]LogTarget, len(al))
	for i, l := range al {
		targets[i] = LogTarget{If: l.If, Format: l.Format, Reserve: i == 0}
	}
	const raw = "GET /p?q HTTP/1.1\r\nHost: h\r\nUser-Agent: ua \"x\"\r\n\r\n"
	start := time.Unix(1000, 0)
	newReq := func() *testReq {
		r := parseTestRequest(t, raw)
		r.info = RequestInfo{Start: start, Status: 101, BytesSent: 0, HeaderBytes: 100}
		r.upstream = &UpstreamInfo{States: []UpstreamState{{Peer: "u", Status: 101, BytesReceived: 80}}}
		r.now = start
		return r
	}
	atEnd := func(r *testReq) {
		r.info.BytesSent = 600
		r.upstream.States[0].BytesReceived = 580
		r.now = start.Add(3 * time.Second)
	}
	for _, tc := range []struct {
		name     string
		before   func(s *State)
		lines    int
		deferred bool
	}{
		// $m and $big computed at the end: $bytes_sent is 600 then.
		{"computed at the end", func(*State) {}, 3, true},
		// $m and $big cached while $bytes_sent was 0: they keep it, and
		// c.log's condition is decided (false) at once.
		{"cached before", func(s *State) {
			for _, n := range []string{"m", "big"} {
				i, _ := e.Index(n)
				s.Get(i)
			}
		}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The end, the way the request's own State writes it.
			want := []string{}
			r := newReq()
			s := NewState()
			s.Reset(e, r)
			tc.before(s)
			atEnd(r)
			for _, tg := range targets {
				if tg.If != nil {
					if v := s.Value(tg.If); len(v) == 0 || string(v) == "0" {
						continue
					}
				}
				n := 0
				if tg.Reserve {
					n = s.LogLineLen(tg.Format)
				}
				want = append(want, string(s.AppendLog(tg.Format, nil))+"|"+strconv.Itoa(n))
			}

			r = newReq()
			s = NewState()
			s.Reset(e, r)
			tc.before(s)
			p := s.PlanLog(targets)
			if p.Deferred() != tc.deferred {
				t.Errorf("Deferred() = %v", p.Deferred())
			}
			// The end knows only its facts.
			end := &testReq{info: r.info, upstream: &UpstreamInfo{States: append([]UpstreamState(nil), r.upstream.States...)}, now: r.now}
			atEnd(end)
			s.Reset(nil, nil)
			s2 := NewState()
			s2.Reset(e, end)
			got := []string{}
			p.Run(s2, nil, func(l *LogLine) {
				n := l.Reserve
				if n < 0 {
					n = 0
				}
				got = append(got, string(l.Text)+"|"+strconv.Itoa(n))
			})
			if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != tc.lines {
				t.Errorf("plan wrote\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}

	// Lines without end pieces, one dropped by its condition: no State.
	r := newReq()
	s := NewState()
	s.Reset(e, r)
	p := s.PlanLog([]LogTarget{targets[1], targets[3]})
	if p == nil || p.Deferred() {
		t.Fatalf("fixed lines: plan %v", p)
	}
	var got []string
	p.Run(nil, nil, func(l *LogLine) { got = append(got, strconv.Itoa(l.Target)+" "+string(l.Text)) })
	if strings.Join(got, ",") != "1 /p?q s101 101" {
		t.Errorf("fixed lines: %q", got)
	}
	if p := s.PlanLog(targets[1:2]); p != nil {
		t.Errorf("a plan whose only line's condition is false: %v", p)
	}
}
