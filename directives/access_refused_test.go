package directives

import (
	"strings"
	"testing"
)

// accessControlDirectives are nginx 1.22's directives (Debian's build) that
// decide who may see what, beyond allow, deny, auth_basic, auth_request,
// satisfy, limit_except, limit_conn, limit_req, realip, geo,
// valid_referers and secure_link.
// nginxws does not implement them, so a configuration using one must be
// refused at -t: serving it without the check would open what the user
// closed.
var accessControlDirectives = []string{
	"auth_delay",
}

// TestAccessControlRefused checks that every access-control directive is in
// the catalogue as refused, and that loading one gives nginxws's
// "is not supported" error rather than a configuration that runs open.
func TestAccessControlRefused(t *testing.T) {
	rows := map[string]*row{}
	for i := range nginxRows {
		rows[nginxRows[i].name] = &nginxRows[i]
	}
	for _, name := range accessControlDirectives {
		r := rows[name]
		if r == nil {
			t.Errorf("%s: not in the catalogue of nginx directives", name)
			continue
		}
		if r.status != refused {
			t.Errorf("%s: status %d, want refused", name, r.status)
		}
	}
	// Each one where it is written most often, with valid arguments.
	confs := map[string]string{
		"auth_delay": "server { listen 8080; location / { auth_delay 1s; } }",
	}
	for name, body := range confs {
		dir := writeCase(t, errorCase{name: name, conf: H(body)})
		_, err := loadCase(t, dir)
		want := `"` + name + `" directive is not supported`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %s", name, err, want)
		}
	}
}
