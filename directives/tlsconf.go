package directives

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/parser"
)

// TLSConf is a server's ngx_http_ssl_module configuration, merged, its
// certificates loaded: what a handshake that picked the server uses.
// Of a handshake, nginx (OpenSSL) takes the protocol versions and the
// cipher suites from the listen address's default server and only the
// certificates from the server SNI names (see package proxy).
type TLSConf struct {
	// Certificates are the ssl_certificate/ssl_certificate_key pairs in
	// order (an RSA and an ECDSA one, say): a handshake gets the first
	// the client can use.
	Certificates []tls.Certificate
	// DynamicCertificates are the pairs of a server whose certificate
	// names hold $ssl_server_name: loaded per handshake, as nginx does
	// (Certificates is then empty).
	DynamicCertificates []CertPair
	// Enable is the deprecated "ssl on": the addresses whose default
	// server this is speak TLS even without "listen … ssl".
	Enable bool
	// RejectHandshake is ssl_reject_handshake: a handshake that picks
	// this server (by SNI, or as the default) fails. Such a server may
	// have no certificate.
	RejectHandshake bool
	// MinVersion and MaxVersion are ssl_protocols as Go's versions; both
	// 0 when it names no version nginx could negotiate (see
	// tlsVersions): every handshake then fails. LegacyVersions is set
	// when it names TLSv1 or TLSv1.1, which nginx on OpenSSL 3 accepts
	// and then fails for want of a signature algorithm.
	MinVersion, MaxVersion uint16
	LegacyVersions         bool
	// CipherSuites are the TLS 1.2 suites ssl_ciphers selects that Go
	// implements (never nil; empty when none is left).
	CipherSuites []uint16
	// SessionTimeout is ssl_session_timeout (default 5m): how long a
	// session ticket resumes a session.
	SessionTimeout time.Duration
	// SessionTickets is ssl_session_tickets (default on); TicketKeys the
	// ssl_session_ticket_key files' keys (the first encrypts), nil for
	// keys of the process's own.
	SessionTickets bool
	TicketKeys     [][32]byte
	// Curves is ssl_ecdh_curve, nil for "auto" (OpenSSL's default groups).
	Curves []tls.CurveID

	// Verify is ssl_verify_client (VerifyOff … VerifyOptionalNoCA) and
	// VerifyDepth ssl_verify_depth (default 1).
	Verify      int
	VerifyDepth int
	// ClientCAs are ssl_client_certificate's certificates, whose
	// subjects a CertificateRequest lists (SSL_CTX_set_client_CA_list);
	// ssl_trusted_certificate's are not listed.
	ClientCAs []*x509.Certificate
	// TrustStore holds the certificates of ssl_client_certificate (read
	// only when Verify is not off) and ssl_trusted_certificate: the
	// trust anchors and intermediates a client's chain is built with.
	TrustStore []*x509.Certificate
	// CRLs are ssl_crl's lists (and those the other two files hold): with
	// any, every certificate of a client's chain needs one from its
	// issuer (X509_V_FLAG_CRL_CHECK_ALL).
	CRLs []*x509.RevocationList
	// CheckCRL is set by ssl_crl (X509_STORE_set_flags): without it,
	// CRLs the other files hold are not looked at.
	CheckCRL bool
}

// CertPair is a certificate and key named with $ssl_server_name (or
// "${ssl_server_name}"), as full paths or "data:…".
type CertPair struct{ Cert, Key string }

// withServerName is a certificate name with $ssl_server_name (either
// spelling) replaced by name.
func withServerName(s, name string) string {
	s = strings.ReplaceAll(s, "${ssl_server_name}", name)
	return strings.ReplaceAll(s, "$ssl_server_name", name)
}

// For is the pair's files for a handshake that named serverName.
func (p CertPair) For(serverName string) (cert, key string) {
	return withServerName(p.Cert, serverName), withServerName(p.Key, serverName)
}

// onlySNIVariable reports whether $ssl_server_name is the only variable
// of a certificate name.
func onlySNIVariable(name string) bool {
	return strings.IndexByte(withServerName(name, ""), '$') < 0
}

// anyVariable reports whether one of the names holds a variable.
func anyVariable(names []string) bool {
	for _, n := range names {
		if strings.IndexByte(n, '$') >= 0 {
			return true
		}
	}
	return false
}

// confPathOrData is confPath for a file name, "data:…" as written.
func (l *loader) confPathOrData(name string) string {
	if strings.HasPrefix(name, "data:") {
		return name
	}
	return l.confPath(name)
}

// sslValue is the merged value of one of ngx_http_ssl_module's
// directives: the server's own, else the http level's; nil if neither
// set it.
func (hb *httpBuilder) sslValue(s *Server, name string) []parser.Arg {
	if v, ok := s.ServerConf.ssl[name]; ok {
		return v
	}
	return hb.srvConf.ssl[name]
}

// keepSSL records an ssl_* directive's arguments at its level, for
// compileTLS (the values were checked as nginx's setters check them).
// ssl_protocols lines add up, as ngx_conf_set_bitmask_slot's bits;
// ssl_session_ticket_key is a list; the rest are set once.
func (sc *scope) keepSSL(d *parser.Directive) {
	c := sc.srvConf
	if c.ssl == nil {
		c.ssl = map[string][]parser.Arg{}
	}
	switch d.Name {
	case "ssl_protocols", "ssl_session_ticket_key":
		c.ssl[d.Name] = append(c.ssl[d.Name], d.Args...)
	default:
		c.ssl[d.Name] = d.Args
	}
	if c.sslPos == nil {
		c.sslPos = map[string]parser.Pos{}
	}
	c.sslPos[d.Name] = d.Pos
}

// compileTLS builds a server's TLSConf (ngx_http_ssl_merge_srv_conf from
// ngx_ssl_create on, in its order).
func (l *loader) compileTLS(s *Server, certs, keys []string, end parser.Pos) (*TLSConf, error) {
	hb := l.http
	tc := &TLSConf{SessionTimeout: 300 * time.Second, SessionTickets: true}
	// ssl_protocols: 1.22's default is TLSv1 TLSv1.1 TLSv1.2.
	bits := uint64(1<<2 | 1<<3 | 1<<4)
	if v := hb.sslValue(s, "ssl_protocols"); v != nil {
		bits = 0
		for _, a := range v {
			bits |= 1 << slices.IndexFunc(sslProtocols, func(n string) bool { return strings.EqualFold(n, a.Value) })
		}
	}
	tc.MinVersion, tc.MaxVersion = tlsVersions(bits)
	tc.LegacyVersions = bits&(1<<2|1<<3) != 0

	ciphers := "HIGH:!aNULL:!MD5"
	if v := hb.sslValue(s, "ssl_ciphers"); v != nil {
		ciphers = v[0].Value
	}
	set, ok := parseCipherList(ciphers)
	if !ok {
		return nil, errAt(parser.Pos{}, `SSL_CTX_set_cipher_list("%s") failed (SSL: error:0A0000B9:SSL routines::no cipher match)`, ciphers)
	}
	var lacking []string
	tc.CipherSuites, lacking = goCipherSuites(set)
	if len(tc.CipherSuites) == 0 && tc.MinVersion != 0 && tc.MinVersion < tls.VersionTLS13 {
		l.cfg.Warnings = append(l.cfg.Warnings, Diag{Pos: hb.sslPos(s, "ssl_ciphers"),
			Msg: fmt.Sprintf(`ssl_ciphers "%s" selects only cipher suites nginxws does not implement (%s): TLS 1.2 handshakes will fail`, ciphers, strings.Join(lacking, ", "))})
	}

	if anyVariable(certs) || anyVariable(keys) {
		// ngx_http_ssl_compile_certificates: with a variable in any
		// name, every pair is loaded per handshake, none now.
		for i, name := range certs {
			if !onlySNIVariable(name) || !onlySNIVariable(keys[i]) {
				l.refuseLater(errAt(hb.sslPos(s, "ssl_certificate"), `variables other than "$ssl_server_name" in "ssl_certificate" and "ssl_certificate_key" are not supported`))
			}
			tc.DynamicCertificates = append(tc.DynamicCertificates, CertPair{Cert: l.confPathOrData(name), Key: l.confPathOrData(keys[i])})
		}
		certs = nil
	}
	for i, name := range certs {
		cert, err := l.loadKeyPair(name, keys[i])
		if err != nil {
			return nil, err
		}
		if cert.Leaf != nil && keySecurityBits(cert.Leaf.PublicKey) < securityLevelBits(cipherSecurityLevel(ciphers)) {
			// SSL_CTX_use_certificate's security check (ssl_security_cert):
			// a 1024-bit RSA key is below OpenSSL 3's default level 2.
			return nil, errAt(parser.Pos{}, `SSL_CTX_use_certificate("%s") failed (SSL: error:0A00018F:SSL routines::ee key too small)`, l.confPathOrData(name))
		}
		tc.Certificates = append(tc.Certificates, cert)
	}

	if err := l.compileClientVerify(s, tc); err != nil {
		return nil, err
	}
	if v := hb.sslValue(s, "ssl_dhparam"); v != nil {
		path := l.confPath(v[0].Value)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errAt(parser.Pos{}, "%s", fmt.Sprintf(`BIO_new_file("%s") failed (SSL: error:80000002:system library::No such file or directory:calling fopen(%s, r) error:10000080:BIO routines::no such file)`, path, path))
		}
		if err == nil {
			if msg := checkDHParams(path, data, ciphers); msg != "" {
				return nil, errAt(parser.Pos{}, "%s", msg)
			}
		}
	}
	if v := hb.sslValue(s, "ssl_ecdh_curve"); v != nil && v[0].Value != "auto" {
		curves, bad := curveList(v[0].Value)
		if bad != "" {
			return nil, errAt(parser.Pos{}, `SSL_CTX_set1_curves_list("%s") failed (SSL: error:0A080106:SSL routines::passed invalid argument:group '%s' cannot be set)`, v[0].Value, bad)
		}
		tc.Curves = curves
	}
	if v := hb.sslValue(s, "ssl_session_timeout"); v != nil {
		secs, _ := parseTime(v[0].Value, true)
		tc.SessionTimeout = time.Duration(secs) * time.Second
	}
	if v := hb.sslValue(s, "ssl_session_tickets"); v != nil {
		tc.SessionTickets = v[0].Value == "on"
	}
	for _, a := range hb.sslValue(s, "ssl_session_ticket_key") {
		path := l.confPath(a.Value)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, errAt(end, `open() "%s" failed (%s)`, path, osErrText(err))
		}
		if len(b) != 48 && len(b) != 80 {
			return nil, errAt(end, `"%s" must be 48 or 80 bytes`, path)
		}
		// Go's tickets are not OpenSSL's: the file's bytes make one key
		// of Go's, so that every process given the file shares it.
		tc.TicketKeys = append(tc.TicketKeys, sha256.Sum256(b))
	}
	if v := hb.sslValue(s, "ssl_stapling"); v != nil && v[0].Value == "on" {
		l.staplingWarnings(s, tc, certs)
	}
	if v := hb.sslValue(s, "ssl_early_data"); v != nil && v[0].Value == "on" {
		// crypto/tls accepts no 0-RTT data: nginx's own warning for a
		// build whose OpenSSL has none (clients then send their
		// request after the handshake).
		l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: `"ssl_early_data" is not supported on this platform, ignored`})
	}
	return tc, nil
}

// staplingWarnings says why a server's certificates get no OCSP staple.
// nginxws staples none; nginx (ngx_ssl_stapling, for each certificate,
// the last configured first) staples none either, with its own [warn],
// for a certificate whose issuer is neither in its file's chain nor in
// the trusted certificates (a self-signed one), for one without an OCSP
// responder URL (Let's Encrypt's since 2025) unless ssl_stapling_responder
// names one, and for a responder that is not "http://" or whose host does
// not resolve: those get nginx's words, the rest nginxws's "not
// supported". With variables in the names nginx loads no
// certificate at -t, and says nothing.
func (l *loader) staplingWarnings(s *Server, tc *TLSConf, names []string) {
	hb := l.http
	if len(tc.Certificates) == 0 {
		if len(tc.DynamicCertificates) == 0 {
			l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: `"ssl_stapling" ignored, not supported`})
		}
		return
	}
	file := hb.sslValue(s, "ssl_stapling_file")
	responder := hb.sslValue(s, "ssl_stapling_responder")
	unsupported := false
	for i := len(tc.Certificates) - 1; i >= 0; i-- {
		c := tc.Certificates[i]
		if file != nil || c.Leaf == nil {
			unsupported = true
			continue
		}
		name := l.confPathOrData(names[i])
		if !hasIssuer(c, tc.TrustStore) {
			l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: fmt.Sprintf(`"ssl_stapling" ignored, issuer certificate not found for certificate "%s"`, name)})
			continue
		}
		url := ""
		switch {
		case responder != nil:
			url = responder[0].Value
		case len(c.Leaf.OCSPServer) > 0:
			url = c.Leaf.OCSPServer[0]
		default:
			l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: fmt.Sprintf(`"ssl_stapling" ignored, no OCSP responder URL in the certificate "%s"`, name)})
			continue
		}
		// ngx_ssl_stapling_responder: "http://" only, then the address
		// parsed and its name resolved now.
		if len(url) <= 7 || !strings.EqualFold(url[:7], "http://") {
			l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: fmt.Sprintf(`"ssl_stapling" ignored, invalid URL prefix in OCSP responder "%s" in the certificate "%s"`, url, name)})
			continue
		}
		if u := parseURL(url[7:], urlOpts{uriPart: true, defaultPort: 80}, l.resolve); u.err != "" {
			l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: fmt.Sprintf(`"ssl_stapling" ignored, %s in OCSP responder "%s" in the certificate "%s"`, u.err, url[7:], name)})
			continue
		}
		unsupported = true
	}
	if unsupported {
		l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: `"ssl_stapling" ignored, not supported`})
	}
}

// hasIssuer reports whether the certificate's issuer is among the
// certificates after it in its file or in the trusted ones, as
// X509_check_issued matches them: the issuer's subject is the
// certificate's issuer name, the key identifiers agree where both are
// given, and the issuer may sign certificates if it says what it may do.
func hasIssuer(c tls.Certificate, store []*x509.Certificate) bool {
	leaf := c.Leaf
	issued := func(ca *x509.Certificate) bool {
		if !bytes.Equal(ca.RawSubject, leaf.RawIssuer) {
			return false
		}
		if len(leaf.AuthorityKeyId) > 0 && len(ca.SubjectKeyId) > 0 && !bytes.Equal(leaf.AuthorityKeyId, ca.SubjectKeyId) {
			return false
		}
		return ca.KeyUsage == 0 || ca.KeyUsage&x509.KeyUsageCertSign != 0
	}
	for _, der := range c.Certificate[1:] {
		if ca, err := x509.ParseCertificate(der); err == nil && issued(ca) {
			return true
		}
	}
	for _, ca := range store {
		if issued(ca) {
			return true
		}
	}
	return false
}

// compileClientVerify reads ssl_verify_client, ssl_verify_depth,
// ssl_client_certificate, ssl_trusted_certificate and ssl_crl as
// ngx_http_ssl_merge_srv_conf does, in its order and with its messages.
func (l *loader) compileClientVerify(s *Server, tc *TLSConf) error {
	hb := l.http
	tc.VerifyDepth = 1
	tc.Verify = s.VerifyClient
	if v := hb.sslValue(s, "ssl_verify_depth"); v != nil {
		depth, _ := Atoi(v[0].Value)
		tc.VerifyDepth = int(min(depth, 1<<30))
	}
	client := hb.sslValue(s, "ssl_client_certificate")
	if tc.Verify != VerifyOff {
		if client == nil && tc.Verify != VerifyOptionalNoCA {
			return errAt(parser.Pos{}, "no ssl_client_certificate for ssl_verify_client")
		}
		if client != nil {
			certs, crls, err := loadVerifyFile(l.confPath(client[0].Value), "SSL_CTX_load_verify_locations")
			if err != nil {
				return err
			}
			tc.ClientCAs = certs
			tc.TrustStore = append(tc.TrustStore, certs...)
			tc.CRLs = append(tc.CRLs, crls...)
		}
	}
	if v := hb.sslValue(s, "ssl_trusted_certificate"); v != nil {
		certs, crls, err := loadVerifyFile(l.confPath(v[0].Value), "SSL_CTX_load_verify_locations")
		if err != nil {
			return err
		}
		tc.TrustStore = append(tc.TrustStore, certs...)
		tc.CRLs = append(tc.CRLs, crls...)
	}
	if v := hb.sslValue(s, "ssl_crl"); v != nil {
		certs, crls, err := loadVerifyFile(l.confPath(v[0].Value), "X509_LOOKUP_load_file")
		if err != nil {
			return err
		}
		tc.TrustStore = append(tc.TrustStore, certs...)
		tc.CRLs = append(tc.CRLs, crls...)
		tc.CheckCRL = true
	}
	return nil
}

// loadVerifyFile reads the certificates and CRLs of a PEM file as
// OpenSSL's X509_LOOKUP_load_file does (for ssl_client_certificate,
// ssl_trusted_certificate and ssl_crl alike); fn names the call in
// nginx's message when it fails.
func loadVerifyFile(path, fn string) ([]*x509.Certificate, []*x509.RevocationList, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, errAt(parser.Pos{}, "%s", fmt.Sprintf(`%s("%s") failed (SSL: error:80000002:system library::No such file or directory:calling fopen(%s, r) error:10000080:BIO routines::no such file error:05880002:x509 certificate routines::system lib)`, fn, path, path))
	}
	if err != nil {
		return nil, nil, errAt(parser.Pos{}, `%s("%s") failed (SSL: %s)`, fn, path, osErrText(err))
	}
	var certs []*x509.Certificate
	var crls []*x509.RevocationList
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "CERTIFICATE", "TRUSTED CERTIFICATE":
			if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
				certs = append(certs, c)
			}
		case "X509 CRL":
			if l, err := x509.ParseRevocationList(blk.Bytes); err == nil {
				crls = append(crls, l)
			}
		}
	}
	if len(certs) == 0 && len(crls) == 0 {
		return nil, nil, errAt(parser.Pos{}, `%s("%s") failed (SSL: error:05800088:x509 certificate routines::no certificate or crl found)`, fn, path)
	}
	return certs, crls, nil
}

// sslPos is where the merged value of an ssl_* directive was written.
func (hb *httpBuilder) sslPos(s *Server, name string) parser.Pos {
	if p, ok := s.ServerConf.sslPos[name]; ok {
		return p
	}
	return hb.srvConf.sslPos[name]
}

// tlsVersions maps ssl_protocols' bits (sslProtocols' order) to Go's
// version range. SSLv2 and SSLv3 are gone from OpenSSL 3 as from Go.
// TLSv1 and TLSv1.1 are accepted but not negotiated: OpenSSL 3 at its
// default security level refuses the SHA-1 signatures they need, so
// nginx 1.22 on it fails those handshakes ("no suitable signature
// algorithm"). Go cannot leave a hole in the range ("TLSv1.1 TLSv1.3"
// gives 1.2 and 1.3 too).
func tlsVersions(bits uint64) (lo, hi uint16) {
	const tls12, tls13 = 1 << 4, 1 << 5
	switch {
	case bits&tls12 != 0 && bits&tls13 != 0:
		return tls.VersionTLS12, tls.VersionTLS13
	case bits&tls12 != 0:
		return tls.VersionTLS12, tls.VersionTLS12
	case bits&tls13 != 0:
		return tls.VersionTLS13, tls.VersionTLS13
	}
	return 0, 0
}

// curveList maps ssl_ecdh_curve's "a:b" to Go's curves; bad is the
// first name OpenSSL would not know (one Go lacks is skipped).
func curveList(v string) (curves []tls.CurveID, bad string) {
	for _, name := range strings.Split(v, ":") {
		switch name {
		case "X25519", "x25519":
			curves = append(curves, tls.X25519)
		case "prime256v1", "P-256", "secp256r1":
			curves = append(curves, tls.CurveP256)
		case "secp384r1", "P-384":
			curves = append(curves, tls.CurveP384)
		case "secp521r1", "P-521":
			curves = append(curves, tls.CurveP521)
		case "X448", "x448", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192", "secp256k1", "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1":
		default:
			return nil, name
		}
	}
	return curves, ""
}

// confPath is a file name as nginx resolves it (ngx_conf_full_name with
// the configuration prefix): relative to the main file's directory.
func (l *loader) confPath(name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	return l.confPrefix() + name
}

// loadKeyPair reads a certificate (with its chain) and its key as
// ngx_ssl_certificate does, from files named relative to the
// configuration's directory or from "data:…"; an encrypted key is
// refused.
func (l *loader) loadKeyPair(certName, keyName string) (tls.Certificate, error) {
	cert, err := LoadCertPair(l.confPathOrData(certName), l.confPathOrData(keyName))
	var enc encryptedKeyError
	if errors.As(err, &enc) {
		l.refuseLater(errAt(parser.Pos{}, "%s", err.Error()))
		return tls.Certificate{}, nil
	}
	return cert, err
}

// encryptedKeyError is a key that needs a password (ssl_password_file),
// which nginxws does not decrypt.
type encryptedKeyError struct{ path string }

func (e encryptedKeyError) Error() string {
	return `cannot load certificate key "` + e.path + `": encrypted keys (ssl_password_file) are not supported`
}

// LoadCertPair reads a certificate and its key from files (full paths)
// or "data:…", with nginx's messages where Go's checks meet OpenSSL's: at
// load, and per handshake for names with $ssl_server_name.
func LoadCertPair(certName, keyName string) (tls.Certificate, error) {
	certPEM, err := readPEM(certName, "certificate")
	if err != nil {
		return tls.Certificate{}, err
	}
	if !hasPEM(certPEM, func(t string) bool { return t == "CERTIFICATE" || t == "TRUSTED CERTIFICATE" }) {
		return tls.Certificate{}, errAt(parser.Pos{}, `cannot load certificate "%s": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)`, certName)
	}
	keyPEM, err := readPEM(keyName, "certificate key")
	if err != nil {
		return tls.Certificate{}, err
	}
	if !hasPEM(keyPEM, func(t string) bool { return strings.HasSuffix(t, "PRIVATE KEY") }) {
		return tls.Certificate{}, errAt(parser.Pos{}, `cannot load certificate key "%s": PEM_read_bio_PrivateKey() failed (SSL: error:1E08010C:DECODER routines::unsupported:No supported data to decode. Input type: PEM)`, keyName)
	}
	if b, _ := pem.Decode(keyPEM); b != nil && (b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != "") {
		return tls.Certificate{}, encryptedKeyError{keyName}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, errAt(parser.Pos{}, `SSL_CTX_use_PrivateKey("%s") failed (SSL: %s)`, keyName, err)
	}
	if cert.Leaf == nil {
		cert.Leaf, _ = x509.ParseCertificate(cert.Certificate[0])
	}
	return cert, nil
}

// readPEM reads a certificate or key file (a full path), or the PEM
// text after "data:".
func readPEM(name, what string) ([]byte, error) {
	if data, ok := strings.CutPrefix(name, "data:"); ok {
		return []byte(data), nil
	}
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errAt(parser.Pos{}, "%s", fmt.Sprintf(`cannot load %s "%s": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory:calling fopen(%s, r) error:10000080:BIO routines::no such file)`, what, name, name))
	}
	if err != nil {
		return nil, errAt(parser.Pos{}, `cannot load %s "%s": BIO_new_file() failed (SSL: %s)`, what, name, osErrText(err))
	}
	return b, nil
}

// hasPEM reports whether b holds a PEM block of a type ok accepts.
func hasPEM(b []byte, ok func(string) bool) bool {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return false
		}
		if ok(blk.Type) {
			return true
		}
		if len(bytes.TrimSpace(b)) == 0 {
			return false
		}
	}
}

// osErrText is a file error as nginx prints it: "13: Permission denied".
func osErrText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fmt.Sprintf("%d: %s", int(errno), errnoText(errno))
	}
	return err.Error()
}
