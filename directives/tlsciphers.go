package directives

import (
	"crypto/tls"
	"strings"
)

// OpenSSL cipher lists (ssl_ciphers) read the way SSL_CTX_set_cipher_list
// reads them, over the TLS 1.2-and-older cipher suites of the OpenSSL 3
// that Debian 12's nginx links ("openssl ciphers -V ALL", less PSK, SRP,
// DSS, ARIA, CAMELLIA, CCM and the NULL ciphers): which suites a string
// selects, so that the ones Go implements can be offered. Only the set
// matters: Go orders suites itself (ssl_prefer_server_ciphers, see
// docs/differences.md). TLS 1.3's suites are not chosen by this string in
// OpenSSL either.

// cipherAttr is what cipher-list aliases select on.
type cipherAttr uint32

const (
	kRSA cipherAttr = 1 << iota
	kECDHE
	kDHE
	aRSA
	aECDSA
	encAES128
	encAES256
	encAESGCM
	encCHACHA20
	macSHA1
	macSHA256
	macSHA384
	macAEAD
	protoTLS12 // a TLS 1.2-only suite (else SSLv3/TLSv1)
)

// opensslCipher is one suite: OpenSSL's name, Go's identifier (0 when Go
// lacks it) and its attributes. Every suite here is HIGH in OpenSSL 3.
type opensslCipher struct {
	name string
	id   uint16
	attr cipherAttr
}

var opensslCiphers = [...]opensslCipher{
	{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, kECDHE | aECDSA | encAES256 | encAESGCM | macAEAD | protoTLS12},
	{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, kECDHE | aRSA | encAES256 | encAESGCM | macAEAD | protoTLS12},
	{"DHE-RSA-AES256-GCM-SHA384", 0, kDHE | aRSA | encAES256 | encAESGCM | macAEAD | protoTLS12},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, kECDHE | aECDSA | encCHACHA20 | macAEAD | protoTLS12},
	{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, kECDHE | aRSA | encCHACHA20 | macAEAD | protoTLS12},
	{"DHE-RSA-CHACHA20-POLY1305", 0, kDHE | aRSA | encCHACHA20 | macAEAD | protoTLS12},
	{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, kECDHE | aECDSA | encAES128 | encAESGCM | macAEAD | protoTLS12},
	{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, kECDHE | aRSA | encAES128 | encAESGCM | macAEAD | protoTLS12},
	{"DHE-RSA-AES128-GCM-SHA256", 0, kDHE | aRSA | encAES128 | encAESGCM | macAEAD | protoTLS12},
	{"ECDHE-ECDSA-AES256-SHA384", 0, kECDHE | aECDSA | encAES256 | macSHA384 | protoTLS12},
	{"ECDHE-RSA-AES256-SHA384", 0, kECDHE | aRSA | encAES256 | macSHA384 | protoTLS12},
	{"DHE-RSA-AES256-SHA256", 0, kDHE | aRSA | encAES256 | macSHA256 | protoTLS12},
	{"ECDHE-ECDSA-AES128-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, kECDHE | aECDSA | encAES128 | macSHA256 | protoTLS12},
	{"ECDHE-RSA-AES128-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, kECDHE | aRSA | encAES128 | macSHA256 | protoTLS12},
	{"DHE-RSA-AES128-SHA256", 0, kDHE | aRSA | encAES128 | macSHA256 | protoTLS12},
	{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, kECDHE | aECDSA | encAES256 | macSHA1},
	{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, kECDHE | aRSA | encAES256 | macSHA1},
	{"DHE-RSA-AES256-SHA", 0, kDHE | aRSA | encAES256 | macSHA1},
	{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, kECDHE | aECDSA | encAES128 | macSHA1},
	{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, kECDHE | aRSA | encAES128 | macSHA1},
	{"DHE-RSA-AES128-SHA", 0, kDHE | aRSA | encAES128 | macSHA1},
	{"AES256-GCM-SHA384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384, kRSA | aRSA | encAES256 | encAESGCM | macAEAD | protoTLS12},
	{"AES128-GCM-SHA256", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, kRSA | aRSA | encAES128 | encAESGCM | macAEAD | protoTLS12},
	{"AES256-SHA256", 0, kRSA | aRSA | encAES256 | macSHA256 | protoTLS12},
	{"AES128-SHA256", tls.TLS_RSA_WITH_AES_128_CBC_SHA256, kRSA | aRSA | encAES128 | macSHA256 | protoTLS12},
	{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA, kRSA | aRSA | encAES256 | macSHA1},
	{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA, kRSA | aRSA | encAES128 | macSHA1},
}

// cipherAliases are OpenSSL's group names, as the attributes they need
// (any of them, for the masks marked "any"); a name that selects none of
// the suites above (aNULL, MD5, RC4, 3DES, PSK, CAMELLIA, …) maps to 0.
var cipherAliases = map[string]struct {
	attr cipherAttr
	any  bool
}{
	"ALL": {0, false}, "HIGH": {0, false}, "DEFAULT": {0, false},
	"kRSA": {kRSA, false}, "aRSA": {aRSA, false}, "RSA": {kRSA | aRSA, true},
	"kECDHE": {kECDHE, false}, "kEECDH": {kECDHE, false}, "ECDHE": {kECDHE, false}, "EECDH": {kECDHE, false}, "ECDH": {kECDHE, false},
	"kDHE": {kDHE, false}, "kEDH": {kDHE, false}, "DHE": {kDHE, false}, "EDH": {kDHE, false}, "DH": {kDHE, false},
	"aECDSA": {aECDSA, false}, "ECDSA": {aECDSA, false},
	"AES": {encAES128 | encAES256, true}, "AES128": {encAES128, false}, "AES256": {encAES256, false},
	"AESGCM": {encAESGCM, false}, "CHACHA20": {encCHACHA20, false},
	"SHA1": {macSHA1, false}, "SHA": {macSHA1, false}, "SHA256": {macSHA256, false}, "SHA384": {macSHA384, false},
	"AEAD": {macAEAD, false}, "TLSv1.2": {protoTLS12, false},
	"TLSv1": {0, false}, "TLSv1.0": {0, false}, "SSLv3": {0, false},
}

// noneAliases select no suite of the table: known to OpenSSL, so a list
// made only of them is not a typo (the "no cipher match" error is
// OpenSSL's to give, and it gives it for these too).
var noneAliases = map[string]bool{
	"aNULL": true, "eNULL": true, "NULL": true, "COMPLEMENTOFDEFAULT": true, "COMPLEMENTOFALL": true,
	"MD5": true, "RC4": true, "DES": true, "3DES": true, "MEDIUM": true, "LOW": true, "EXPORT": true,
	"EXP": true, "ADH": true, "AECDH": true, "PSK": true, "kPSK": true, "aPSK": true, "SRP": true,
	"kSRP": true, "DSS": true, "aDSS": true, "CAMELLIA": true, "ARIA": true, "SEED": true, "IDEA": true,
	"CCM": true, "CCM8": true, "aGOST": true, "kGOST": true, "GOST": true, "kECDH": true, "kDH": true,
}

// matchTerm is the suites one term (no prefix, no "+") selects; known
// reports whether OpenSSL knows the name.
func matchTerm(term string) (set uint64, known bool) {
	if a, ok := cipherAliases[term]; ok {
		for i, c := range opensslCiphers {
			switch {
			case a.attr == 0 && term != "TLSv1" && term != "TLSv1.0" && term != "SSLv3":
				set |= 1 << i // ALL, HIGH, DEFAULT: every suite here
			case a.attr == 0:
				if c.attr&protoTLS12 == 0 {
					set |= 1 << i
				}
			case a.any && c.attr&a.attr != 0, !a.any && c.attr&a.attr == a.attr:
				set |= 1 << i
			}
		}
		return set, true
	}
	if noneAliases[term] {
		return 0, true
	}
	for i, c := range opensslCiphers {
		if c.name == term {
			return 1 << i, true
		}
	}
	return 0, false
}

// parseCipherList evaluates an OpenSSL cipher string to the set of the
// table's suites it selects: "A:B" adds, "-A" removes, "!A" removes for
// good, "+A" moves (no change to the set), "A+B" is both at once, "@…"
// (STRENGTH, SECLEVEL=n) orders or tunes. Unknown names are skipped, as
// OpenSSL skips them; ok is false when nothing was matched at all
// (OpenSSL's "no cipher match").
func parseCipherList(s string) (set uint64, ok bool) {
	var banned uint64
	for _, elem := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' || r == ';' }) {
		op := byte(0)
		if elem[0] == '!' || elem[0] == '-' || elem[0] == '+' {
			op, elem = elem[0], elem[1:]
		}
		if elem == "" || elem[0] == '@' {
			continue
		}
		match := ^uint64(0)
		for _, term := range strings.Split(elem, "+") {
			m, known := matchTerm(term)
			if !known {
				match = 0
				break
			}
			match &= m
		}
		switch op {
		case 0:
			set |= match &^ banned
		case '-':
			set &^= match
		case '!':
			set &^= match
			banned |= match
		}
	}
	return set, set != 0
}

// goCipherSuites are the suites of the set Go implements, and the
// OpenSSL names of those it does not.
func goCipherSuites(set uint64) (ids []uint16, lacking []string) {
	ids = []uint16{}
	for i, c := range opensslCiphers {
		if set&(1<<i) == 0 {
			continue
		}
		if c.id == 0 {
			lacking = append(lacking, c.name)
			continue
		}
		ids = append(ids, c.id)
	}
	return ids, lacking
}

// OpenSSLCipherName is $ssl_cipher: OpenSSL's name of a suite Go
// negotiated (TLS 1.3's names are the same in both).
func OpenSSLCipherName(id uint16) string {
	for _, c := range opensslCiphers {
		if c.id == id {
			return c.name
		}
	}
	return tls.CipherSuiteName(id)
}

// OpenSSLProtocolName is $ssl_protocol: OpenSSL's name of a TLS version.
func OpenSSLProtocolName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return ""
}
