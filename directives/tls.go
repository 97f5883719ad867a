package directives

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// nginx checks ssl_certificate and ssl_certificate_key in every server
// that has one, TLS listener or not, and a listener asking for TLS
// without a certificate: those checks, with nginx's messages, and the
// compilation of each server's TLS configuration (tlsconf.go) run when
// the http block ends, where ngx_http_ssl_merge_srv_conf and
// ngx_http_ssl_init run.

// certsOf returns a server's certificates and keys, its own or else the
// http level's (ngx_conf_merge_ptr_value).
func (hb *httpBuilder) certsOf(s *Server) ([]string, []string) {
	certs, keys := s.ServerConf.sslCerts, s.ServerConf.sslKeys
	if certs == nil {
		certs = hb.srvConf.sslCerts
	}
	if keys == nil {
		keys = hb.srvConf.sslKeys
	}
	return certs, keys
}

// checkServerCertificates runs, for every server in order, what
// ngx_http_ssl_merge_srv_conf checks of the certificates it inherits or
// sets (a key for each), then builds the server's TLS configuration
// (compileTLS) as that merge does: ciphers, certificates, dhparam,
// curves, ticket keys, in nginx's order, with nginx's messages.
func (l *loader) checkServerCertificates(end parser.Pos) error {
	hb := l.http
	for _, s := range hb.h.Servers {
		if v := hb.sslValue(s, "ssl_verify_client"); v != nil {
			s.VerifyClient = slices.IndexFunc(sslVerifyModes, func(m string) bool { return strings.EqualFold(m, v[0].Value) })
		}
		certs, keys := hb.certsOf(s)
		on, onPos := s.ServerConf.sslOn, s.ServerConf.sslOnPos
		if on == nil {
			on, onPos = hb.srvConf.sslOn, hb.srvConf.sslOnPos
		}
		enable := on != nil && *on
		reject := hb.rejectsHandshake(s)
		if enable {
			// nginx names the "ssl" directive in effect.
			where := fmt.Sprintf("%s:%d", onPos.File, onPos.Line)
			switch {
			case len(certs) == 0 && reject:
			case len(certs) == 0:
				return errAt(parser.Pos{}, `no "ssl_certificate" is defined for the "ssl" directive in %s`, where)
			case len(keys) == 0:
				return errAt(parser.Pos{}, `no "ssl_certificate_key" is defined for the "ssl" directive in %s`, where)
			case len(keys) < len(certs):
				return errAt(parser.Pos{}, `no "ssl_certificate_key" is defined for certificate "%s" and the "ssl" directive in %s`, certs[len(certs)-1], where)
			}
		}
		if len(certs) == 0 && !reject {
			continue
		}
		if len(keys) < len(certs) {
			return errAt(parser.Pos{}, `no "ssl_certificate_key" is defined for certificate "%s"`, certs[len(certs)-1])
		}
		tc, err := l.compileTLS(s, certs, keys, end)
		if err != nil {
			return err
		}
		tc.Enable, tc.RejectHandshake = enable, reject
		s.TLS = tc
	}
	return nil
}

// rejectsHandshake is the merged ssl_reject_handshake of a server.
func (hb *httpBuilder) rejectsHandshake(s *Server) bool {
	v := hb.sslValue(s, "ssl_reject_handshake")
	return v != nil && v[0].Value == "on"
}

// checkSSLListenCertificates is ngx_http_ssl_init (a postconfiguration
// step, after the locations are checked and before the variables are):
// the default server of an address with a "listen … ssl" must have a
// certificate, or reject handshakes; then every server of the address
// must have one or reject.
func (l *loader) checkSSLListenCertificates() error {
	hb := l.http
	for _, addr := range hb.addrOrder {
		a := hb.addrs[addr]
		ssl := false
		for _, s := range a.servers {
			for _, ls := range s.Listens {
				ssl = ssl || ls.Addr == addr && ls.SSL
			}
		}
		if !ssl {
			continue
		}
		if certs, _ := hb.certsOf(a.def); len(certs) != 0 {
			continue
		}
		if !hb.rejectsHandshake(a.def) {
			return errAt(parser.Pos{}, `no "ssl_certificate" is defined for the "listen ... ssl" directive in %s:%d`, a.def.Pos.File, a.def.Pos.Line)
		}
		for _, s := range a.servers {
			if certs, _ := hb.certsOf(s); len(certs) == 0 && !hb.rejectsHandshake(s) {
				return errAt(parser.Pos{}, `no "ssl_certificate" is defined for the "listen ... ssl" directive in %s:%d`, s.Pos.File, s.Pos.Line)
			}
		}
	}
	return nil
}
