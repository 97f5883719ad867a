package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// TLS termination (ngx_http_ssl_handshake, ngx_http_ssl_servername).
//
// An address speaks TLS when one of its listens says "ssl" or its
// default server says the deprecated "ssl on". A connection to it is
// looked at before anything is read: a first byte that starts a TLS (or
// SSLv2) handshake gets one, anything else is read as plain HTTP and
// answered 497 (nginx's "400 The plain HTTP request was sent to HTTPS
// port"), as nginx does. The handshake and the request head share one
// timer, client_header_timeout from the accept.
//
// As with nginx and OpenSSL, the protocol versions, cipher suites and
// session tickets of a handshake are the address's default server's;
// the server the client names by SNI only supplies the certificate. The
// request's server is then chosen by Host, as on a plain connection
// (but for nginx 1.22's 421 when the Host's server verifies client
// certificates, clientcert.go).
//
// A TLS connection's requests are read through crypto/tls: the wait for
// the next request holds the reader's first buffer and crypto/tls's
// record buffers, where a plain connection's wait holds none (its bytes
// may already sit decrypted in crypto/tls, out of a readiness check's
// sight). Its WebSocket tunnels run on the goroutine engine
// (tunnel_plain.go): the event loop and splice move a socket's bytes.

// alpnProtocols is nginx's NGX_HTTP_ALPN_PROTOS: a client whose ALPN
// offer has none of them fails the handshake (no_application_protocol),
// as with nginx 1.22.
var alpnProtocols = []string{"http/1.1", "http/1.0", "http/0.9"}

// opensslGroups is "ssl_ecdh_curve auto": OpenSSL 3.0's default groups
// that Go has, in its order (X448 and the finite-field groups it lacks).
// Go's own default would put its post-quantum hybrid first, a key
// exchange nginx 1.22 on OpenSSL 3.0 never makes ($ssl_curve).
var opensslGroups = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP521, tls.CurveP384}

// tlsAddr is an address's TLS configuration.
type tlsAddr struct {
	config *tls.Config
	// requestCert is, for each server of the address that verifies
	// client certificates, config asking for one with its CA names.
	requestCert map[*directives.TLSConf]*tls.Config
}

// newTLSAddr builds the handshake configuration of an address from its
// default server's TLS settings (OpenSSL's SSL_CTX nginx starts every
// handshake with) and, per handshake, the SNI server's certificates.
func newTLSAddr(ac *addrConf, servers []*vserver) *tlsAddr {
	def := ac.def.srv.TLS
	curves := def.Curves
	if curves == nil {
		curves = opensslGroups
	}
	cfg := &tls.Config{
		MinVersion:             def.MinVersion,
		MaxVersion:             def.MaxVersion,
		CipherSuites:           def.CipherSuites,
		CurvePreferences:       curves,
		SessionTicketsDisabled: !def.SessionTickets,
		NextProtos:             alpnProtocols,
	}
	names := ac.names
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		// ngx_http_ssl_servername: the server SNI names, else the
		// default; its ssl_reject_handshake, its certificates if it
		// has some (else the default's).
		chosen := def
		if names != nil && hello.ServerName != "" {
			if v := names.find(sniHost(hello.ServerName), nil); v != nil {
				chosen = v.srv.TLS
			}
		}
		// The server whose certificates serve: the chosen one's if it
		// has some (its SSL_CTX), else the default's.
		from := def
		if chosen != nil {
			if chosen.RejectHandshake {
				// No certificate and none configured: crypto/tls
				// answers with the unrecognized_name alert, as nginx.
				return nil, nil
			}
			if len(chosen.Certificates) > 0 || len(chosen.DynamicCertificates) > 0 {
				from = chosen
			}
		}
		if len(from.DynamicCertificates) > 0 {
			certs, err := loadForHandshake(from.DynamicCertificates, hello.ServerName)
			if err != nil {
				return nil, err
			}
			return pickCertificate(hello, certs, cfg)
		}
		return pickCertificate(hello, from.Certificates, cfg)
	}
	if len(def.TicketKeys) > 0 {
		cfg.SetSessionTicketKeys(def.TicketKeys)
	}
	ticketLifetime(cfg, def.SessionTimeout)
	ta := &tlsAddr{config: cfg}
	verifying := verifiesClients(servers)
	if verifying {
		// ngx_http_ssl_servername copies the SNI server's verify mode
		// (SSL_set_verify) and, with its SSL_CTX, the CA names its
		// CertificateRequest lists.
		ta.requestCert = make(map[*directives.TLSConf]*tls.Config)
		for _, v := range servers {
			tc := v.srv.TLS
			if tc == nil || tc.Verify == directives.VerifyOff || ta.requestCert[tc] != nil {
				continue
			}
			rc := cfg.Clone()
			rc.ClientAuth = tls.RequestClientCert
			if len(tc.ClientCAs) > 0 {
				pool := x509.NewCertPool()
				for _, c := range tc.ClientCAs {
					pool.AddCert(c)
				}
				rc.ClientCAs = pool
			}
			ta.requestCert[tc] = rc
		}
	}
	if def.LegacyVersions || def.MinVersion == 0 || verifying {
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			if def.LegacyVersions && slices.Max(hello.SupportedVersions) <= tls.VersionTLS11 {
				// OpenSSL 3 takes the version ssl_protocols allows,
				// then finds no signature algorithm its default
				// security level allows for it (internal_error).
				return nil, errNoSignatureAlgorithm
			}
			if def.MinVersion == 0 {
				// ssl_protocols names no version that can be negotiated.
				return nil, errUnsupportedProtocol
			}
			if verifying {
				if rc := ta.requestCert[handshakeConf(ac, hello.ServerName)]; rc != nil {
					return rc, nil
				}
			}
			return nil, nil
		}
	}
	return ta
}

// verifiesClients reports whether a server of the address verifies
// client certificates.
func verifiesClients(servers []*vserver) bool {
	for _, v := range servers {
		if v.srv.TLS != nil && v.srv.TLS.Verify != directives.VerifyOff {
			return true
		}
	}
	return false
}

// handshakeConf is the TLS configuration whose client verification a
// handshake naming serverName uses: the SNI server's when it has one
// (its SSL_CTX, which ngx_http_ssl_servername switches to), else the
// default server's.
func handshakeConf(ac *addrConf, serverName string) *directives.TLSConf {
	if ac.names != nil && serverName != "" {
		if v := ac.names.find(sniHost(serverName), nil); v != nil && v.srv.TLS != nil {
			return v.srv.TLS
		}
	}
	return ac.def.srv.TLS
}

// errUnsupportedProtocol is a handshake refused for its version;
// errNoSignatureAlgorithm one in TLS 1.0 or 1.1, which nginx on OpenSSL
// 3 accepts and then cannot sign.
var (
	errUnsupportedProtocol  = errors.New("tls: client offered only unsupported versions")
	errNoSignatureAlgorithm = errors.New("tls: no suitable signature algorithm")
	errCallbackFailed       = errors.New("tls: certificate callback failed")
)

// certLoadError is a certificate named with $ssl_server_name that could
// not be loaded for a handshake: nginx's message for it.
type certLoadError struct{ msg string }

func (e *certLoadError) Error() string { return e.msg }

// loadForHandshake loads, as ngx_http_ssl_certificate does for every
// handshake, the pairs whose names hold $ssl_server_name. A name that
// could reach outside the certificates' directory ("/", or a leading
// dot) loads nothing.
func loadForHandshake(pairs []directives.CertPair, serverName string) ([]tls.Certificate, error) {
	certs := make([]tls.Certificate, 0, len(pairs))
	for _, p := range pairs {
		if strings.ContainsRune(serverName, '/') || strings.HasPrefix(serverName, ".") {
			return nil, &certLoadError{`server name "` + serverName + `" cannot name a certificate file`}
		}
		cert, key := p.For(serverName)
		c, err := directives.LoadCertPair(cert, key)
		if err != nil {
			return nil, &certLoadError{err.Error()}
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// sniHost is the server name as ngx_http_validate_host leaves it for the
// name lookup: lower case, without a trailing dot.
func sniHost(name string) []byte {
	return []byte(strings.TrimSuffix(strings.ToLower(name), "."))
}

// pickCertificate is OpenSSL's choice among a server's certificates (an
// RSA and an ECDSA one), without ssl_prefer_server_ciphers: in TLS 1.2
// the first of the client's cipher suites that the address allows and a
// certificate can serve decides; in TLS 1.3 the first of the client's
// signature algorithms a certificate can make. Else the first certificate
// the client can use, else the first.
func pickCertificate(hello *tls.ClientHelloInfo, certs []tls.Certificate, cfg *tls.Config) (*tls.Certificate, error) {
	if len(certs) == 0 {
		return nil, errors.New("no certificate")
	}
	// OpenSSL does not hold a certificate's names against the SNI name
	// (an unknown name gets the default server's certificate); Go's
	// check would.
	anyName := *hello
	anyName.ServerName = ""
	hello = &anyName
	if len(certs) > 1 {
		if offersTLS13(hello, cfg) {
			for _, scheme := range hello.SignatureSchemes {
				if c := certFor(hello, certs, schemeKey(scheme)); c != nil {
					return c, nil
				}
			}
		} else {
			for _, id := range hello.CipherSuites {
				if !slices.Contains(cfg.CipherSuites, id) {
					continue
				}
				key := x509.RSA
				if strings.Contains(tls.CipherSuiteName(id), "_ECDSA_") {
					key = x509.ECDSA
				}
				if c := certFor(hello, certs, key); c != nil {
					return c, nil
				}
			}
		}
	}
	for i := range certs {
		if hello.SupportsCertificate(&certs[i]) == nil {
			return &certs[i], nil
		}
	}
	return &certs[0], nil
}

// offersTLS13 reports whether the handshake will be TLS 1.3.
func offersTLS13(hello *tls.ClientHelloInfo, cfg *tls.Config) bool {
	return cfg.MaxVersion >= tls.VersionTLS13 && slices.Contains(hello.SupportedVersions, tls.VersionTLS13)
}

// schemeKey is the kind of key a signature algorithm needs.
func schemeKey(s tls.SignatureScheme) x509.PublicKeyAlgorithm {
	switch s {
	case tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP384AndSHA384, tls.ECDSAWithP521AndSHA512, tls.ECDSAWithSHA1:
		return x509.ECDSA
	case tls.Ed25519:
		return x509.Ed25519
	}
	return x509.RSA
}

// certFor is the first certificate with a key of the kind that the
// client can use.
func certFor(hello *tls.ClientHelloInfo, certs []tls.Certificate, key x509.PublicKeyAlgorithm) *tls.Certificate {
	for i := range certs {
		if certs[i].Leaf != nil && certs[i].Leaf.PublicKeyAlgorithm == key && hello.SupportsCertificate(&certs[i]) == nil {
			return &certs[i]
		}
	}
	return nil
}

// ticketTag marks the issue time nginxws adds to a session ticket.
const ticketTag = "nginxws-issued:"

// ticketLifetime makes tickets resume sessions for ssl_session_timeout
// only (OpenSSL's session timeout; Go's own limit is 7 days): the issue
// time rides in the ticket, which the client cannot read or change.
func ticketLifetime(cfg *tls.Config, timeout time.Duration) {
	cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		if issuedAt(ss).IsZero() {
			ss.Extra = append(ss.Extra, binary.BigEndian.AppendUint64([]byte(ticketTag), uint64(time.Now().UnixMilli())))
		}
		return cfg.EncryptTicket(cs, ss)
	}
	cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := cfg.DecryptTicket(identity, cs)
		if ss == nil || err != nil {
			return nil, err
		}
		if t := issuedAt(ss); t.IsZero() || time.Since(t) > timeout {
			return nil, nil // a full handshake
		}
		return ss, nil
	}
}

// issuedAt is the issue time ticketLifetime put in a session.
func issuedAt(ss *tls.SessionState) time.Time {
	for _, e := range ss.Extra {
		if len(e) == len(ticketTag)+8 && string(e[:len(ticketTag)]) == ticketTag {
			return time.UnixMilli(int64(binary.BigEndian.Uint64(e[len(ticketTag):])))
		}
	}
	return time.Time{}
}

// startTLS is ngx_http_ssl_handshake: it waits for the client's first
// byte (under the head's timer, already armed), then either handshakes
// or leaves the connection plain, to be answered 497. It reports false
// when the connection is to be closed (its line logged).
func (c *conn) startTLS(ac *addrConf, deadline time.Time) bool {
	first, err := peekFirstByte(c.sock)
	if err != nil {
		c.handshakeFailed(ac, err, false)
		return false
	}
	if first&0x80 == 0 && first != 0x16 {
		c.plainOnTLS = true
		return true
	}
	// Busy from here, not a connection to close to make room (nginx's
	// ngx_reusable_connection(c, 0) before ngx_ssl_handshake), unless it
	// was claimed while its first bytes came.
	c.clearWaiting()
	if c.wasReused() {
		return false
	}
	tc := tls.Server(c.sock, ac.tls.config)
	// The handshake's writes run under the same timer.
	_ = c.sock.SetWriteDeadline(deadline)
	err = tc.Handshake()
	_ = c.sock.SetWriteDeadline(time.Time{})
	if err != nil {
		// The name was read if the ClientHello was: the failure is
		// logged where that server logs (nginx switched the
		// connection's log in ngx_http_ssl_servername).
		c.noteSNI(ac, tc.ConnectionState().ServerName)
		c.handshakeFailed(ac, err, true)
		return false
	}
	st := tc.ConnectionState()
	c.nc = tc
	c.info.TLS, c.info.TLSState = true, &st
	if len(st.PeerCertificates) > 0 {
		c.info.ClientVerify = handshakeConf(ac, st.ServerName).VerifyClientChain(st.PeerCertificates, time.Now())
	}
	c.noteSNI(ac, st.ServerName)
	// The reader must now read through crypto/tls (headSource).
	c.rd.Reset(&c.src)
	return true
}

// noteSNI records the server name a handshake sent, when the address
// has names to look it up in.
func (c *conn) noteSNI(ac *addrConf, name string) {
	if name != "" && ac.sniLimits != nil {
		host := sniHost(name)
		c.sni = &host
	}
}

// entry is the server a request on c starts with, before its Host picks
// one, with its head-reading settings: the address's default, or on a
// TLS connection the server its handshake named (nginx's hc->conf_ctx
// after ngx_http_ssl_servername: its client_header_buffer_size and
// large_client_header_buffers, its error_log, its error pages for a
// request that names no host).
func (c *conn) entry(ac *addrConf) (*vserver, *http1.Limits) {
	if c.sni != nil && ac.sniLimits != nil {
		if v := ac.names.find(*c.sni, nil); v != nil {
			if l := ac.sniLimits[v]; l != nil {
				return v, l
			}
		}
	}
	return ac.def, &ac.limits
}

// peekFirstByte waits, reading nothing, for the connection's first byte.
func peekFirstByte(nc net.Conn) (byte, error) {
	var b [1]byte
	if _, err := peekInto(nc, b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}

// handshakeFailed logs the end of a connection that never got to a
// request, at nginx's levels: a timeout or a client that went away at
// info, as every client-side handshake failure (ngx_ssl_connection_error
// puts OpenSSL's client-caused reasons at info).
func (c *conn) handshakeFailed(ac *addrConf, err error, handshaking bool) {
	if c.wasReused() {
		return
	}
	rt := c.s.rt.Load()
	rt.acquire()
	defer rt.release()
	entry, _ := c.entry(ac)
	log := rt.errLogs.forConf(entry.srv.Conf, c.s.log)
	var cle *certLoadError
	if errors.As(err, &cle) {
		// ngx_ssl_connection_certificate's line, then the handshake's.
		if log.Enabled(levelError) {
			log.Error().Uint64("conn", c.number).Str("action", "SSL handshaking").Str("client", c.remoteAddr).Str("server", ac.text).Msg(cle.msg)
		}
		err = errCallbackFailed
	}
	if !log.Enabled(levelInfo) {
		return
	}
	msg, errno := "", ""
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		msg, errno = "client timed out", "110: Connection timed out"
	case err == io.EOF && !handshaking:
		msg = "client closed connection"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		msg = "peer closed connection in SSL handshake"
	case errors.Is(err, syscall.ECONNRESET):
		msg, errno = "peer closed connection in SSL handshake", "104: Connection reset by peer"
	case strings.Contains(err.Error(), "no certificates configured"):
		// ssl_reject_handshake (GetCertificate gave no certificate).
		msg = "handshake rejected"
	default:
		msg = "SSL_do_handshake() failed (SSL: " + opensslReason(err) + ")"
	}
	e := log.Info().Uint64("conn", c.number)
	if errno != "" {
		e = e.Str("errno", errno)
	}
	e.Str("action", "SSL handshaking").Str("client", c.remoteAddr).Str("server", ac.text).Msg(msg)
}

// opensslReason words a Go handshake error as OpenSSL's error queue does
// for the same failure where there is one; Go's text otherwise.
func opensslReason(err error) string {
	s := err.Error()
	if i := strings.Index(s, "remote error: tls: "); i >= 0 {
		switch s[i+len("remote error: tls: "):] {
		case "bad certificate":
			return "error:0A000412:SSL routines::sslv3 alert bad certificate:SSL alert number 42"
		case "unknown certificate authority":
			return "error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48"
		case "unknown certificate":
			return "error:0A000416:SSL routines::sslv3 alert certificate unknown:SSL alert number 46"
		}
		return s[i:]
	}
	switch {
	case strings.Contains(s, "unsupported versions"):
		return "error:0A000102:SSL routines::unsupported protocol"
	case strings.Contains(s, "certificate callback failed"):
		return "error:0A000179:SSL routines::cert cb error"
	case strings.Contains(s, "no suitable signature algorithm"):
		return "error:0A000076:SSL routines::no suitable signature algorithm"
	case strings.Contains(s, "no cipher suite supported by both"):
		return "error:0A0000C1:SSL routines::no shared cipher"
	case strings.Contains(s, "unsupported application protocols"):
		return "error:0A0000EB:SSL routines::no application protocol"
	case strings.Contains(s, "does not look like a TLS handshake"):
		return "error:0A00010B:SSL routines::wrong version number"
	}
	return s
}

// tlsOf is the TLS configuration of an address: nil unless one of its
// listens asks for TLS or its default server says "ssl on".
func tlsOf(ac *addrConf, listens []directives.Listen, servers []*vserver) *tlsAddr {
	ssl := false
	for _, l := range listens {
		ssl = ssl || l.SSL
	}
	tc := ac.def.srv.TLS
	if tc == nil || !ssl && !tc.Enable {
		return nil
	}
	return newTLSAddr(ac, servers)
}
