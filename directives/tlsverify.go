package directives

import (
	"bytes"
	"crypto/x509"
	"time"
)

// Client certificate verification as OpenSSL 3 does it for nginx 1.22
// (ssl_verify_client). nginx's verify callback accepts every error, so
// OpenSSL goes on after each one and the connection keeps the last error
// it met (SSL_get_verify_result): the handshake succeeds whatever the
// certificate, and the request is answered 495 or 496 (or let in, with
// $ssl_client_verify "FAILED:…") by the request's server's mode.

// The ssl_verify_client modes (TLSConf.Verify).
const (
	VerifyOff = iota
	VerifyOn
	VerifyOptional
	VerifyOptionalNoCA
)

// OpenSSL's X509_V_ERR_* codes that VerifyClientChain reports.
const (
	x509OK                       = 0
	x509UnableToGetIssuerCert    = 2
	x509UnableToGetCRL           = 3
	x509CertSignatureFailure     = 7
	x509CRLSignatureFailure      = 8
	x509CertNotYetValid          = 9
	x509CertHasExpired           = 10
	x509CRLNotYetValid           = 11
	x509CRLHasExpired            = 12
	x509DepthZeroSelfSigned      = 18
	x509SelfSignedCertInChain    = 19
	x509UnableToGetIssuerLocally = 20
	x509UnableToVerifyLeaf       = 21
	x509CertRevoked              = 23
	x509InvalidCA                = 24
	x509InvalidPurpose           = 26
)

// verifyErrorTexts are X509_verify_cert_error_string's texts (OpenSSL 3).
var verifyErrorTexts = map[int]string{
	x509OK:                       "ok",
	x509UnableToGetIssuerCert:    "unable to get issuer certificate",
	x509UnableToGetCRL:           "unable to get certificate CRL",
	x509CertSignatureFailure:     "certificate signature failure",
	x509CRLSignatureFailure:      "CRL signature failure",
	x509CertNotYetValid:          "certificate is not yet valid",
	x509CertHasExpired:           "certificate has expired",
	x509CRLNotYetValid:           "CRL is not yet valid",
	x509CRLHasExpired:            "CRL has expired",
	x509DepthZeroSelfSigned:      "self-signed certificate",
	x509SelfSignedCertInChain:    "self-signed certificate in certificate chain",
	x509UnableToGetIssuerLocally: "unable to get local issuer certificate",
	x509UnableToVerifyLeaf:       "unable to verify the first certificate",
	x509CertRevoked:              "certificate revoked",
	x509InvalidCA:                "invalid CA certificate",
	x509InvalidPurpose:           "unsupported certificate purpose",
}

// VerifyErrorText is X509_verify_cert_error_string.
func VerifyErrorText(code int) string {
	if t, ok := verifyErrorTexts[code]; ok {
		return t
	}
	return "unknown certificate verification error"
}

// VerifyErrorOptional is ngx_ssl_verify_error_optional: the errors
// "ssl_verify_client optional_no_ca" lets through (an issuer not known).
func VerifyErrorOptional(code int) bool {
	switch code {
	case x509DepthZeroSelfSigned, x509SelfSignedCertInChain, x509UnableToGetIssuerLocally, x509UnableToVerifyLeaf:
		return true
	}
	return false
}

// VerifyClientChain is X509_verify_cert on the certificates a client sent
// (its own first) against the server's store (ssl_client_certificate and
// ssl_trusted_certificate), ssl_verify_depth and ssl_crl, with a callback
// that accepts every error: the code of the last error met, 0 for none.
// Its steps are OpenSSL's, in its order: the chain is built (the store
// first at each step, then what the client sent; no issuer looked for
// past depth+1 certificates, so at most depth between the client's and
// the trust anchor), then the
// certificates' uses, then revocation, then the signatures and validity
// times from the top down.
func (tc *TLSConf) VerifyClientChain(sent []*x509.Certificate, now time.Time) int {
	if len(sent) == 0 {
		return x509OK
	}
	last := x509OK
	fail := func(code int) { last = code }

	// build_chain.
	chain := []*x509.Certificate{sent[0]}
	trusted := 0 // how many of the chain's top certificates came from the store
	untrusted := sent[1:]
	for {
		top := chain[len(chain)-1]
		if selfIssued(top) {
			break
		}
		// Neither the store nor the client's certificates are searched
		// for the issuer of a certificate past the depth: a chain
		// through it would be too long.
		if len(chain) > tc.VerifyDepth+1 {
			break
		}
		if issuer := findIssuer(top, tc.TrustStore); issuer != nil {
			chain = append(chain, issuer)
			trusted++
			continue
		}
		if trusted > 0 {
			break
		}
		issuer := findIssuer(top, untrusted)
		if issuer == nil {
			break
		}
		chain = append(chain, issuer)
	}
	top := chain[len(chain)-1]
	switch {
	case trusted > 0 && selfIssued(top):
		// A trust anchor.
	case selfIssued(top) && len(chain) == 1:
		fail(x509DepthZeroSelfSigned)
	case selfIssued(top):
		fail(x509SelfSignedCertInChain)
	case trusted > 0:
		fail(x509UnableToGetIssuerCert)
	default:
		fail(x509UnableToGetIssuerLocally)
	}

	// check_extensions: the client's certificate must be one for a TLS
	// client, the others CAs.
	for i, c := range chain {
		if i == 0 {
			if !clientPurpose(c) {
				fail(x509InvalidPurpose)
			}
			continue
		}
		if !(c.BasicConstraintsValid && c.IsCA) && c.Version >= 3 {
			fail(x509InvalidCA)
		}
	}

	// check_revocation (X509_V_FLAG_CRL_CHECK_ALL): every certificate of
	// the chain needs a CRL from its issuer.
	if tc.CheckCRL {
		for i, c := range chain {
			var issuer *x509.Certificate
			if i+1 < len(chain) {
				issuer = chain[i+1]
			} else if selfIssued(c) {
				issuer = c
			}
			if code := crlCheck(c, issuer, tc.CRLs, now); code != x509OK {
				fail(code)
			}
		}
	}

	// internal_verify: from the top down, each signature by the one
	// above, each validity period; a top that is not self-issued has no
	// signature to check (and the client's own certificate alone fails).
	n := len(chain) - 1
	if !selfIssued(top) {
		if n == 0 {
			fail(x509UnableToVerifyLeaf)
			timeCheck(chain[0], now, fail)
			return last
		}
		n--
	}
	for ; n >= 0; n-- {
		c := chain[n]
		if n+1 < len(chain) && !signedBy(c, chain[n+1]) {
			fail(x509CertSignatureFailure)
		}
		timeCheck(c, now, fail)
	}
	return last
}

// timeCheck is check_cert_time.
func timeCheck(c *x509.Certificate, now time.Time, fail func(int)) {
	switch {
	case now.Before(c.NotBefore):
		fail(x509CertNotYetValid)
	case now.After(c.NotAfter):
		fail(x509CertHasExpired)
	}
}

// selfIssued is a certificate whose issuer is its subject.
func selfIssued(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject)
}

// findIssuer is the first certificate of from that names c's issuer as
// its subject and whose key signed c.
func findIssuer(c *x509.Certificate, from []*x509.Certificate) *x509.Certificate {
	for _, cand := range from {
		if bytes.Equal(cand.RawSubject, c.RawIssuer) && signedBy(c, cand) {
			return cand
		}
	}
	for _, cand := range from {
		if bytes.Equal(cand.RawSubject, c.RawIssuer) {
			return cand
		}
	}
	return nil
}

// signedBy reports whether issuer's key made c's signature (whatever
// issuer's extensions say: check_extensions judges those).
func signedBy(c, issuer *x509.Certificate) bool {
	return issuer.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// clientPurpose is X509_check_purpose(X509_PURPOSE_SSL_CLIENT) for the
// client's certificate: clientAuth among its extended key usages, if
// it has some, and a key usage that can sign, if it has one.
func clientPurpose(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) > 0 || len(c.UnknownExtKeyUsage) > 0 {
		ok := false
		for _, u := range c.ExtKeyUsage {
			ok = ok || u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny
		}
		if !ok {
			return false
		}
	}
	if c.KeyUsage != 0 && c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageKeyAgreement) == 0 {
		return false
	}
	return true
}

// crlCheck is check_cert for one certificate: a CRL its issuer signed,
// current, that does not list it.
func crlCheck(c, issuer *x509.Certificate, crls []*x509.RevocationList, now time.Time) int {
	var crl *x509.RevocationList
	for _, l := range crls {
		if bytes.Equal(l.RawIssuer, c.RawIssuer) {
			crl = l
			break
		}
	}
	if crl == nil {
		return x509UnableToGetCRL
	}
	if issuer != nil && crl.CheckSignatureFrom(issuer) != nil {
		return x509CRLSignatureFailure
	}
	if now.Before(crl.ThisUpdate) {
		return x509CRLNotYetValid
	}
	if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
		return x509CRLHasExpired
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(c.SerialNumber) == 0 {
			return x509CertRevoked
		}
	}
	return x509OK
}
