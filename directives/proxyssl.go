package directives

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/nginxws/nginxws/parser"
)

// ProxySSL is what "proxy_pass https://…" needs of a level (the
// proxy_ssl_* directives, merged; ngx_http_proxy_set_ssl): set on the
// levels whose proxy_pass is an https:// URL or has variables, nil
// elsewhere.
type ProxySSL struct {
	// MinVersion and MaxVersion are proxy_ssl_protocols (default TLSv1
	// TLSv1.1 TLSv1.2: TLS 1.2 on OpenSSL 3, see tlsVersions); both 0 when
	// no version can be negotiated.
	MinVersion, MaxVersion uint16
	// CipherSuites are the TLS 1.2 suites of proxy_ssl_ciphers (default
	// "DEFAULT") Go implements.
	CipherSuites []uint16
	// ServerName is proxy_ssl_server_name (default off): send SNI.
	ServerName bool
	// Name is proxy_ssl_name, nil for the proxy_pass URL's host.
	Name *Complex
	// Verify is proxy_ssl_verify (default off), against Roots (the
	// proxy_ssl_trusted_certificate file) with at most VerifyDepth
	// intermediate certificates (proxy_ssl_verify_depth, default 1).
	Verify      bool
	Roots       *x509.CertPool
	VerifyDepth int
	// SessionReuse is proxy_ssl_session_reuse (default on).
	SessionReuse bool
}

// proxySSLConf is a level's proxy_ssl_* settings as written.
type proxySSLConf struct {
	protocols    uint64 // bits of sslProtocols; 0: not set
	ciphers      string
	name         *Complex
	serverName   bool
	verify       bool
	verifyDepth  int
	trusted      string // full path
	sessionReuse bool
}

func (l *loader) setProxySSLProtocols(d *parser.Directive, sc *scope) error {
	sc.loc.mark(d.Name)
	bits, err := l.bitmask(d, sc, sslProtocols)
	sc.loc.proxySSL.protocols |= bits
	return err
}

func (l *loader) setProxySSLName(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v, err := l.compileComplex(d, d.Args[0].Value)
	sc.loc.proxySSL.name = v
	return err
}

func (l *loader) setProxySSLTrusted(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	sc.loc.proxySSL.trusted = l.confPath(d.Args[0].Value)
	return nil
}

// mergeProxySSL inherits the proxy_ssl_* settings (ngx_conf_merge_*) and,
// for a level that proxies over TLS, builds its ProxySSL with
// ngx_http_proxy_set_ssl's checks.
func (c *LocConf) mergeProxySSL(p *LocConf) error {
	s, cs, ps := c.set, &c.proxySSL, &p.proxySSL
	inherit(s, "proxy_ssl_protocols", &cs.protocols, ps.protocols)
	inherit(s, "proxy_ssl_ciphers", &cs.ciphers, ps.ciphers)
	inherit(s, "proxy_ssl_name", &cs.name, ps.name)
	inherit(s, "proxy_ssl_server_name", &cs.serverName, ps.serverName)
	inherit(s, "proxy_ssl_verify", &cs.verify, ps.verify)
	inherit(s, "proxy_ssl_verify_depth", &cs.verifyDepth, ps.verifyDepth)
	inherit(s, "proxy_ssl_trusted_certificate", &cs.trusted, ps.trusted)
	inherit(s, "proxy_ssl_session_reuse", &cs.sessionReuse, ps.sessionReuse)
	pp := c.ProxyPass
	if pp == nil || pp.Scheme != "https" && pp.Value == nil {
		return nil
	}
	if pp == p.ProxyPass && (c.from == "if" || c.from == "limit_except") {
		// The location's proxy_pass, and with it its TLS.
		c.ProxySSL = p.ProxySSL
		return nil
	}
	ps2 := &ProxySSL{ServerName: cs.serverName, Name: cs.name, Verify: cs.verify, VerifyDepth: cs.verifyDepth, SessionReuse: cs.sessionReuse}
	ps2.MinVersion, ps2.MaxVersion = tlsVersions(cs.protocols)
	set, ok := parseCipherList(cs.ciphers)
	if !ok {
		return errAt(parser.Pos{}, `SSL_CTX_set_cipher_list("%s") failed (SSL: error:0A0000B9:SSL routines::no cipher match)`, cs.ciphers)
	}
	ps2.CipherSuites, _ = goCipherSuites(set)
	if cs.verify {
		if cs.trusted == "" {
			return errAt(parser.Pos{}, "no proxy_ssl_trusted_certificate for proxy_ssl_verify")
		}
		roots, err := loadRoots(cs.trusted)
		if err != nil {
			return err
		}
		ps2.Roots = roots
	}
	c.ProxySSL = ps2
	return nil
}

// loadRoots reads the CA certificates of a trusted-certificate file
// (SSL_CTX_load_verify_locations).
func loadRoots(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errAt(parser.Pos{}, "%s", fmt.Sprintf(`SSL_CTX_load_verify_locations("%s") failed (SSL: error:80000002:system library::No such file or directory:calling fopen(%s, r) error:10000080:BIO routines::no such file error:05880002:x509 certificate routines::system lib)`, path, path))
	}
	if err != nil {
		return nil, errAt(parser.Pos{}, `SSL_CTX_load_verify_locations("%s") failed (SSL: %s)`, path, osErrText(err))
	}
	pool := x509.NewCertPool()
	found := false
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" && blk.Type != "TRUSTED CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			continue
		}
		pool.AddCert(cert)
		found = true
	}
	if !found {
		return nil, errAt(parser.Pos{}, `SSL_CTX_load_verify_locations("%s") failed (SSL: error:05880009:x509 certificate routines::PEM lib)`, path)
	}
	return pool, nil
}
