package directives

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
)

// checkDHParams reads an ssl_dhparam file as ngx_ssl_dhparam does
// (PEM_read_bio_DHparams, then SSL_CTX_set_tmp_dh under the context's
// security level) and returns nginx's error text, or "". nginxws offers no
// DHE suites (Go's TLS has none), so the parameters are not used; a file
// nginx refuses is still refused, so that a configuration that fails on
// nginx does not pass here: a 1024-bit file of an old guide ("dh key too
// small" at OpenSSL 3's default level 2), a certificate given by mistake
// ("no start line").
func checkDHParams(path string, data []byte, ciphers string) string {
	// PEM_read_bio skips whatever is not the block it expects: other
	// blocks, text around them.
	var der []byte
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return fmt.Sprintf(`PEM_read_bio_DHparams("%s") failed (SSL: error:0480006C:PEM routines::no start line:Expecting: DH PARAMETERS)`, path)
		}
		if b.Type == "DH PARAMETERS" || b.Type == "X9.42 DH PARAMETERS" {
			der = b.Bytes
			break
		}
	}
	// DHparams ::= SEQUENCE { prime INTEGER, base INTEGER,
	// privateValueLength INTEGER OPTIONAL } (PKCS #3); X9.42's adds q
	// and more after the base. Only the prime's length matters here.
	var params struct {
		P, G *big.Int
		Rest []asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.UnmarshalWithParams(der, &params, ""); err != nil || params.P == nil || params.P.Sign() <= 0 {
		// OpenSSL names the ASN.1 failure in detail; its last words are these.
		return fmt.Sprintf(`PEM_read_bio_DHparams("%s") failed (SSL: error:0688010A:asn1 encoding routines::nested asn1 error:Type=DHparams error:0488000D:PEM routines::ASN1 lib)`, path)
	}
	if dhSecurityBits(params.P.BitLen()) < securityLevelBits(cipherSecurityLevel(ciphers)) {
		return fmt.Sprintf(`SSL_CTX_set_tmp_dh("%s") failed (SSL: error:0A00018A:SSL routines::dh key too small)`, path)
	}
	return ""
}

// dhSecurityBits is OpenSSL's BN_security_bits for a finite-field group
// of that many bits (no subgroup size known).
func dhSecurityBits(bits int) int {
	switch {
	case bits >= 15360:
		return 256
	case bits >= 7680:
		return 192
	case bits >= 3072:
		return 128
	case bits >= 2048:
		return 112
	case bits >= 1024:
		return 80
	}
	return 0
}

// keySecurityBits is EVP_PKEY_get_security_bits of a certificate's public
// key: an RSA modulus as a finite-field group, an elliptic curve half its
// order's bits; other kinds (Ed25519: 128) pass.
func keySecurityBits(pub any) int {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return dhSecurityBits(k.N.BitLen())
	case *ecdsa.PublicKey:
		return k.Curve.Params().N.BitLen() / 2
	}
	return 256
}

// securityLevelBits is the minimum security of a key at an OpenSSL
// security level (ssl_security_default_callback's minbits_table).
func securityLevelBits(level int) int {
	switch {
	case level <= 0:
		return 0
	case level == 1:
		return 80
	case level == 2:
		return 112
	case level == 3:
		return 128
	case level == 4:
		return 192
	}
	return 256
}

// cipherSecurityLevel is the security level an ssl_ciphers string leaves:
// its last "@SECLEVEL=n", else the system's default, 2 (Debian 12's
// OpenSSL 3).
func cipherSecurityLevel(ciphers string) int {
	level := 2
	for _, elem := range strings.FieldsFunc(ciphers, func(r rune) bool { return r == ':' || r == ',' || r == ' ' || r == ';' }) {
		if v, ok := strings.CutPrefix(elem, "@SECLEVEL="); ok && len(v) == 1 && v[0] >= '0' && v[0] <= '5' {
			level = int(v[0] - '0')
		}
	}
	return level
}
