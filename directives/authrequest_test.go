package directives

import (
	"reflect"
	"testing"
)

// TestAuthRequestLevels checks the merge: auth_request's URI ("off"
// clearing it) and auth_request_set's list are inherited whole by a level
// that sets none.
func TestAuthRequestLevels(t *testing.T) {
	cfg := mustLoad(t, `
    server {
        listen 8080;
        auth_request /auth;
        auth_request_set $user $upstream_http_x_user;
        location /a { }
        location /b { auth_request off; auth_request_set $group $upstream_http_x_group; auth_request_set $user x; }
    }`)
	locs := cfg.HTTP.Servers[0].Locations
	a, b := locs[0].Conf, locs[1].Conf
	if a.AuthRequest != "/auth" || len(a.AuthRequestSets) != 1 || a.AuthRequestSets[0].Var != "user" {
		t.Errorf("/a: %q %+v", a.AuthRequest, a.AuthRequestSets)
	}
	var vars []string
	for _, st := range b.AuthRequestSets {
		vars = append(vars, st.Var)
	}
	if b.AuthRequest != "" || !reflect.DeepEqual(vars, []string{"group", "user"}) {
		t.Errorf("/b: %q %v", b.AuthRequest, vars)
	}
}

// TestAuthRequestSetVariableHandler: a variable auth_request_set declares
// first is not found until assigned (ngx_http_auth_request_variable); one
// "set" declared first keeps set's handler (empty, with a warning), as
// ngx_http_add_variable keeps the first get_handler.
func TestAuthRequestSetVariableHandler(t *testing.T) {
	cfg, s, r := evalSetup(t, `
    log_format l '$quiet|$loud';
    server {
        listen 8080;
        location /x { set $loud 1; }
        location / { auth_request_set $quiet a; auth_request_set $loud b; return 200; }
    }`, "GET / HTTP/1.0\r\n\r\n")
	if got := string(s.AppendLog(cfg.HTTP.LogFormat("l"), nil)); got != "-|" {
		t.Errorf("got %q", got)
	}
	if !reflect.DeepEqual(r.uninitialized, []string{"loud"}) {
		t.Errorf("uninitialized %v", r.uninitialized)
	}
}

// TestSubrequestState: a subrequest shares the variables (a value it
// assigns or caches is the parent's) but has captures and arguments of
// its own; the parent's come back when it leaves, and AssignedValue's
// value outlives the subrequest's buffers.
func TestSubrequestState(t *testing.T) {
	cfg, s, r := evalSetup(t, `
    server {
        listen 8080;
        location ~ ^/(p)arent { auth_request_set $v "$1-$uri"; return 200; }
    }`, "GET /parent?a=1 HTTP/1.0\r\n\r\n")
	loc := cfg.HTTP.Servers[0].Locations[0]
	if ok, _ := s.Match(loc.Regex, r.path); !ok {
		t.Fatal("no match")
	}
	s.SetArgs([]byte("set=1"))
	sub := &testReq{path: []byte("/sub"), server: r.server}
	saved := s.EnterSubrequest(sub)
	if got := string(s.Capture(1)); got != "" {
		t.Errorf("subrequest sees the parent's $1 %q", got)
	}
	if a, ok := s.Args(); ok {
		t.Errorf("subrequest sees the parent's arguments %q", a)
	}
	st := loc.Conf.AuthRequestSets[0]
	v := s.AssignedValue(st)
	sub.path[1] = 'X' // the subrequest's buffers change once it is over
	s.LeaveSubrequest(saved)
	s.Assign(st, v)
	if got := string(s.Capture(1)); got != "p" {
		t.Errorf("parent's $1 %q", got)
	}
	if a, _ := s.Args(); string(a) != "set=1" {
		t.Errorf("parent's arguments %q", a)
	}
	if got, _ := s.Var("v"); string(got) != "-/sub" {
		t.Errorf("$v %q", got)
	}
}
