package directives

import "crypto/tls"

// The variables of ngx_http_ssl_module, from the connection's handshake.
// On a plain connection each is not found, as nginx's handlers leave them
// without c->ssl.

// tlsState is the request's connection's handshake, nil on a plain one.
func (s *State) tlsState() *tls.ConnectionState {
	if c := s.r.Conn(); c != nil {
		return c.TLSState
	}
	return nil
}

func getSSLProtocol(s *State, _ *varDef) ([]byte, bool) {
	if st := s.tlsState(); st != nil {
		return s.str(OpenSSLProtocolName(st.Version))
	}
	return nil, false
}

func getSSLCipher(s *State, _ *varDef) ([]byte, bool) {
	if st := s.tlsState(); st != nil {
		return s.str(OpenSSLCipherName(st.CipherSuite))
	}
	return nil, false
}

// getSSLCurve is $ssl_curve: the key exchange group, by OpenSSL's name.
func getSSLCurve(s *State, _ *varDef) ([]byte, bool) {
	st := s.tlsState()
	if st == nil {
		return nil, false
	}
	switch st.CurveID {
	case tls.X25519:
		return s.str("X25519")
	case tls.CurveP256:
		return s.str("prime256v1")
	case tls.CurveP384:
		return s.str("secp384r1")
	case tls.CurveP521:
		return s.str("secp521r1")
	case 0:
		return []byte{}, true
	}
	return s.str(st.CurveID.String())
}

func getSSLServerName(s *State, _ *varDef) ([]byte, bool) {
	if st := s.tlsState(); st != nil {
		return s.str(st.ServerName)
	}
	return nil, false
}

// getSSLSessionReused is "r" for a resumed session, "." otherwise.
func getSSLSessionReused(s *State, _ *varDef) ([]byte, bool) {
	st := s.tlsState()
	switch {
	case st == nil:
		return nil, false
	case st.DidResume:
		return s.str("r")
	}
	return s.str(".")
}

func getSSLALPN(s *State, _ *varDef) ([]byte, bool) {
	if st := s.tlsState(); st != nil {
		return s.str(st.NegotiatedProtocol)
	}
	return nil, false
}

// getSSLEmpty is a variable that is empty on a TLS connection of
// nginxws's: no early data, and a session id Go does not expose ($ssl_session_id, see docs/differences.md).
func getSSLEmpty(s *State, _ *varDef) ([]byte, bool) {
	if s.tlsState() != nil {
		return []byte{}, true
	}
	return nil, false
}
