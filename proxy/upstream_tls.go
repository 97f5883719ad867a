package proxy

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/upstream"
)

// TLS toward the upstreams ("proxy_pass https://", ngx_http_upstream_ssl_init_connection).
// Each level with such a proxy_pass gets one client configuration per
// configuration (its plan's): the versions and cipher suites of
// proxy_ssl_protocols and proxy_ssl_ciphers. Per try come the session to
// resume with proxy_ssl_session_reuse on (the peer's last, as nginx saves
// one per peer, whichever location used it), and the name
// (proxy_ssl_name, else the URL's host): sent as SNI with
// proxy_ssl_server_name on, checked against the certificate with
// proxy_ssl_verify on. As in nginx, the handshake itself never fails for
// the certificate: it is checked after (verifyUpstream), and a failure
// ends the try as a connection error would.

// upstreamTLS is a level's client configuration.
type upstreamTLS struct {
	conf *directives.ProxySSL
	base *tls.Config
}

// newUpstreamTLS builds the configuration of a level's ProxySSL.
func newUpstreamTLS(ps *directives.ProxySSL) *upstreamTLS {
	cfg := &tls.Config{
		MinVersion:   ps.MinVersion,
		MaxVersion:   ps.MaxVersion,
		CipherSuites: ps.CipherSuites,
		// OpenSSL's default groups, as on the server side.
		CurvePreferences: opensslGroups,
		// Checked after the handshake, when at all (verifyUpstream).
		InsecureSkipVerify: true,
	}
	if ps.MinVersion == 0 {
		// proxy_ssl_protocols names no version that can be negotiated:
		// a range Go refuses makes every handshake fail.
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS13, tls.VersionTLS12
	}
	return &upstreamTLS{conf: ps, base: cfg}
}

// upstreamTLSConfig is the client configuration of this request's try
// of p, and the name its certificate is checked against; nil for plain
// HTTP.
func (x *exchange) upstreamTLSConfig(plan *proxyPlan, p *upstream.Peer) (*tls.Config, string) {
	ut := plan.tls
	if !x.up.secure || ut == nil {
		return nil, ""
	}
	name := x.up.host
	if ut.conf.Name != nil {
		name = hostOnly(string(x.value(ut.conf.Name)))
	}
	sni := ut.conf.ServerName && name != ""
	if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		// RFC 6066: no address as a server name (nginx checks with
		// ngx_inet_addr).
		sni = false
	}
	if !sni && !ut.conf.SessionReuse {
		return ut.base, name
	}
	cfg := ut.base.Clone()
	if sni {
		cfg.ServerName = name
	}
	if ut.conf.SessionReuse {
		cfg.ClientSessionCache = p.SessionCache()
	}
	return cfg, name
}

// upstreamHandshaken follows a new connection's handshake with p: the
// session bookkeeping nginx's OpenSSL makes (ForgetSession), then the
// certificate check of proxy_ssl_verify. It returns nginx's message for
// a peer that is not trusted.
func upstreamHandshaken(ps *directives.ProxySSL, uc *upstream.Conn, p *upstream.Peer, name string) string {
	tc, ok := uc.Conn.(*tls.Conn)
	if !ok {
		return ""
	}
	st := tc.ConnectionState()
	if st.DidResume && st.Version < tls.VersionTLS13 {
		p.ForgetSession()
	}
	if !ps.Verify {
		return ""
	}
	return verifyUpstream(ps, st, name)
}

// verifyUpstream is nginx's check of a peer's certificate after the
// handshake (ngx_http_upstream_ssl_handshake with proxy_ssl_verify on):
// the chain against the trusted certificates, within the depth, then the
// name. It returns nginx's message for a failure, "" when the peer is
// trusted.
func verifyUpstream(ps *directives.ProxySSL, st tls.ConnectionState, name string) string {
	certs := st.PeerCertificates
	if len(certs) == 0 {
		return "upstream SSL certificate verify error: (50:application verification failure)"
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{Roots: ps.Roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return "upstream SSL certificate verify error: (" + x509Reason(certs[0], err) + ")"
	}
	short := false
	for _, ch := range chains {
		short = short || len(ch)-1 <= ps.VerifyDepth
	}
	if !short {
		return "upstream SSL certificate verify error: (22:certificate chain too long)"
	}
	if certs[0].VerifyHostname(strings.Trim(name, "[]")) != nil {
		return `upstream SSL certificate does not match "` + name + `"`
	}
	return ""
}

// x509Reason is OpenSSL's "code:text" for a verification failure.
func x509Reason(leaf *x509.Certificate, err error) string {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		if bytes.Equal(leaf.RawIssuer, leaf.RawSubject) && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil {
			return "18:self-signed certificate"
		}
		return "20:unable to get local issuer certificate"
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return "10:certificate has expired"
	}
	return strconv.Itoa(1) + ":" + err.Error()
}
