package directives

import "testing"

// accessControlDirectives are nginx 1.22's directives (Debian's build) that
// decide who may see what. A configuration using one must never run open:
// each is implemented (nginxws refuses at -t what it does not implement,
// and an access-control directive must not slip to "ignored").
var accessControlDirectives = []string{
	"allow", "deny", "satisfy", "limit_except",
	"auth_basic", "auth_basic_user_file", "auth_request", "auth_request_set", "auth_delay",
	"limit_conn", "limit_req", "geo", "set_real_ip_from", "real_ip_header",
	"valid_referers", "secure_link", "secure_link_md5", "secure_link_secret",
	"ssl_verify_client", "ssl_client_certificate",
}

// TestAccessControlImplemented checks that every access-control directive
// is carried out.
func TestAccessControlImplemented(t *testing.T) {
	for _, name := range accessControlDirectives {
		if !Implemented(name) {
			t.Errorf("%s: not implemented", name)
		}
	}
}
