package directives

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"strconv"
	"time"
	"unicode/utf8"
)

// The $ssl_client_* variables: the client certificate of the request's
// connection, as OpenSSL prints it for nginx 1.22. Each is empty on a TLS
// connection without one and not found on a plain connection.

// clientCert is the certificate the client sent, nil for none; ok is
// false on a plain connection.
func (s *State) clientCert() (cert *x509.Certificate, ok bool) {
	st := s.tlsState()
	if st == nil {
		return nil, false
	}
	if len(st.PeerCertificates) == 0 {
		return nil, true
	}
	return st.PeerCertificates[0], true
}

// clientCertVar is a variable computed from the client's certificate.
func clientCertVar(s *State, f func(dst []byte, c *x509.Certificate) []byte) ([]byte, bool) {
	c, ok := s.clientCert()
	if !ok {
		return nil, false
	}
	if c == nil {
		return []byte{}, true
	}
	start := len(s.buf)
	s.buf = f(s.buf, c)
	return s.since(start), true
}

// getSSLClientVerify is ngx_ssl_get_client_verify: NONE without a
// certificate, SUCCESS, or FAILED and OpenSSL's reason.
func getSSLClientVerify(s *State, _ *varDef) ([]byte, bool) {
	c, ok := s.clientCert()
	switch {
	case !ok:
		return nil, false
	case c == nil:
		return s.str("NONE")
	}
	code := s.r.Conn().ClientVerify
	if code == 0 {
		return s.str("SUCCESS")
	}
	return s.str("FAILED:" + VerifyErrorText(code))
}

func getSSLClientSubjectDN(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte { return AppendNameRFC2253(dst, c.RawSubject) })
}

func getSSLClientIssuerDN(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte { return AppendNameRFC2253(dst, c.RawIssuer) })
}

func getSSLClientSubjectDNLegacy(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte { return AppendNameOneline(dst, c.RawSubject) })
}

func getSSLClientIssuerDNLegacy(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte { return AppendNameOneline(dst, c.RawIssuer) })
}

// getSSLClientSerial is i2a_ASN1_INTEGER: the magnitude's bytes in
// upper-case hex ("00" for zero), "-" before a negative one.
func getSSLClientSerial(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte {
		const digits = "0123456789ABCDEF"
		if c.SerialNumber.Sign() < 0 {
			dst = append(dst, '-')
		}
		b := c.SerialNumber.Bytes()
		if len(b) == 0 {
			return append(dst, "00"...)
		}
		for _, x := range b {
			dst = append(dst, digits[x>>4], digits[x&0xf])
		}
		return dst
	})
}

// getSSLClientFingerprint is the SHA-1 of the certificate, lower-case hex.
func getSSLClientFingerprint(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte {
		sum := sha1.Sum(c.Raw)
		return hex.AppendEncode(dst, sum[:])
	})
}

// appendPEM is PEM_write_bio_X509's text.
func appendPEM(dst []byte, c *x509.Certificate) []byte {
	return append(dst, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
}

func getSSLClientRawCert(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, appendPEM)
}

// getSSLClientCert is the deprecated $ssl_client_cert: the PEM text
// without its last newline, a tab after each of the others.
func getSSLClientCert(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte {
		p := appendPEM(nil, c)
		for _, b := range p[:len(p)-1] {
			dst = append(dst, b)
			if b == '\n' {
				dst = append(dst, '\t')
			}
		}
		return dst
	})
}

func getSSLClientEscapedCert(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte {
		return AppendURIComponent(dst, appendPEM(nil, c))
	})
}

// asn1TimeText is ASN1_TIME_print's "Mar  4 12:00:00 2024 GMT".
func asn1TimeText(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, "Jan _2 15:04:05 2006 GMT")
}

func getSSLClientVStart(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte { return asn1TimeText(dst, c.NotBefore) })
}

func getSSLClientVEnd(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte { return asn1TimeText(dst, c.NotAfter) })
}

// getSSLClientVRemain is the whole days left, 0 within the last one.
func getSSLClientVRemain(s *State, _ *varDef) ([]byte, bool) {
	return clientCertVar(s, func(dst []byte, c *x509.Certificate) []byte {
		now, end := time.Now().Unix(), c.NotAfter.Unix()
		if end < now+86400 {
			return append(dst, '0')
		}
		return strconv.AppendInt(dst, (end-now)/86400, 10)
	})
}

// attribute is one AttributeTypeAndValue of a name.
type attribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// nameRDNs parses a DER name into its RDNs, each a set of attributes.
func nameRDNs(raw []byte) ([][]attribute, bool) {
	var sets []asn1.RawValue
	if rest, err := asn1.Unmarshal(raw, &sets); err != nil || len(rest) > 0 {
		return nil, false
	}
	rdns := make([][]attribute, 0, len(sets))
	for _, set := range sets {
		var atvs []attribute
		if _, err := asn1.UnmarshalWithParams(set.FullBytes, &atvs, "set"); err != nil {
			return nil, false
		}
		rdns = append(rdns, atvs)
	}
	return rdns, true
}

// attributeShortNames are OpenSSL's short names (OBJ_nid2sn) of the
// attribute types names hold; another type prints as its dotted OID.
var attributeShortNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C",
	"2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O",
	"2.5.4.11": "OU", "2.5.4.12": "title", "2.5.4.13": "description",
	"2.5.4.15": "businessCategory", "2.5.4.16": "postalAddress", "2.5.4.17": "postalCode",
	"2.5.4.18": "postOfficeBox", "2.5.4.20": "telephoneNumber", "2.5.4.41": "name",
	"2.5.4.42": "GN", "2.5.4.43": "initials", "2.5.4.44": "generationQualifier",
	"2.5.4.45": "x500UniqueIdentifier", "2.5.4.46": "dnQualifier", "2.5.4.65": "pseudonym",
	"2.5.4.97": "organizationIdentifier", "1.2.840.113549.1.9.1": "emailAddress",
	"1.2.840.113549.1.9.2": "unstructuredName", "0.9.2342.19200300.100.1.1": "UID",
	"0.9.2342.19200300.100.1.25": "DC", "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST", "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}

// charWidth is OpenSSL's tag2nbyte: the bytes per character of a string
// type (0 for UTF8String), -1 for a type that is not a string.
func charWidth(v asn1.RawValue) int {
	if v.Class != asn1.ClassUniversal {
		return -1
	}
	switch v.Tag {
	case asn1.TagUTF8String:
		return 0
	case 18, asn1.TagPrintableString, asn1.TagT61String, asn1.TagIA5String, asn1.TagUTCTime, asn1.TagGeneralizedTime, 26:
		return 1
	case 28:
		return 4
	case asn1.TagBMPString:
		return 2
	}
	return -1
}

// AppendNameRFC2253 is X509_NAME_print_ex with XN_FLAG_RFC2253 (nginx's
// $ssl_client_s_dn since 1.11.6): the RDNs last first, "," between them
// and "+" inside one, short names, RFC 2253's characters escaped with a
// backslash, control and non-ASCII bytes as "\XX" (a character of
// another width than UTF8String's as its UTF-8 bytes), and the value of
// an unknown attribute type or of a non-string as "#" and its DER in hex.
func AppendNameRFC2253(dst, raw []byte) []byte {
	rdns, ok := nameRDNs(raw)
	if !ok {
		return dst
	}
	for i := len(rdns) - 1; i >= 0; i-- {
		for j := len(rdns[i]) - 1; j >= 0; j-- {
			a := rdns[i][j]
			switch {
			case j < len(rdns[i])-1:
				dst = append(dst, '+')
			case i < len(rdns)-1:
				dst = append(dst, ',')
			}
			sn, known := attributeShortNames[a.Type.String()]
			if !known {
				sn = a.Type.String()
			}
			dst = append(dst, sn...)
			dst = append(dst, '=')
			width := charWidth(a.Value)
			if !known || width < 0 {
				dst = append(dst, '#')
				dst = hex.AppendEncode(dst, a.Value.FullBytes)
				n := len(dst) - 2*len(a.Value.FullBytes)
				upper(dst[n:])
				continue
			}
			dst = appendEscaped2253(dst, a.Value.Bytes, width)
		}
	}
	return dst
}

// upper makes hex digits upper-case.
func upper(b []byte) {
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
}

// appendEscaped2253 is do_buf with ASN1_STRFLGS_RFC2253.
func appendEscaped2253(dst, v []byte, width int) []byte {
	var chars []rune
	switch width {
	case 0:
		// A UTF8String is taken a byte at a time, not decoded twice.
		for _, b := range v {
			chars = append(chars, rune(b))
		}
	case 1:
		for _, b := range v {
			chars = append(chars, rune(b))
		}
	case 2:
		for i := 0; i+1 < len(v); i += 2 {
			chars = append(chars, rune(v[i])<<8|rune(v[i+1]))
		}
	case 4:
		for i := 0; i+3 < len(v); i += 4 {
			chars = append(chars, rune(v[i])<<24|rune(v[i+1])<<16|rune(v[i+2])<<8|rune(v[i+3]))
		}
	}
	for i, c := range chars {
		first, last := i == 0, i == len(chars)-1
		if width == 0 || c < 0x80 {
			dst = escape2253(dst, byte(c), first, last)
			continue
		}
		var u [utf8.UTFMax]byte
		n := utf8.EncodeRune(u[:], c)
		for _, b := range u[:n] {
			dst = escape2253(dst, b, false, false)
		}
	}
	return dst
}

// escape2253 is do_esc_char for one byte.
func escape2253(dst []byte, c byte, first, last bool) []byte {
	const digits = "0123456789ABCDEF"
	switch {
	case c >= 0x80 || c < 0x20 || c == 0x7f:
		return append(dst, '\\', digits[c>>4], digits[c&0xf])
	case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';',
		c == '#' && first, c == ' ' && (first || last):
		return append(dst, '\\', c)
	}
	return append(dst, c)
}

// AppendNameOneline is X509_NAME_oneline (OpenSSL 3), nginx's
// $ssl_client_s_dn_legacy: "/" before each RDN and "+" inside one, short
// names, a value's bytes as they are but for "/" and "+" escaped with a
// backslash and bytes outside printable ASCII as "\xXX".
func AppendNameOneline(dst, raw []byte) []byte {
	rdns, ok := nameRDNs(raw)
	if !ok {
		return dst
	}
	const digits = "0123456789ABCDEF"
	for _, rdn := range rdns {
		for j, a := range rdn {
			if j > 0 {
				dst = append(dst, '+')
			} else {
				dst = append(dst, '/')
			}
			sn, known := attributeShortNames[a.Type.String()]
			if !known {
				sn = a.Type.String()
			}
			dst = append(dst, sn...)
			dst = append(dst, '=')
			for _, c := range a.Value.Bytes {
				switch {
				case c < ' ' || c > '~':
					dst = append(dst, '\\', 'x', digits[c>>4], digits[c&0xf])
				case c == '/' || c == '+':
					dst = append(dst, '\\', c)
				default:
					dst = append(dst, c)
				}
			}
		}
	}
	return dst
}

// uriComponentEscape is ngx_escape_uri's NGX_ESCAPE_URI_COMPONENT table:
// bit c set for a byte c written as %XX (all but letters, digits, "-",
// ".", "_" and "~").
var uriComponentEscape = [8]uint32{
	0xffffffff, 0xfc009fff, 0x78000001, 0xb8000001,
	0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
}

// AppendURIComponent is ngx_escape_uri with NGX_ESCAPE_URI_COMPONENT.
func AppendURIComponent(dst, s []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range s {
		if uriComponentEscape[c>>5]&(1<<(c&0x1f)) != 0 {
			dst = append(dst, '%', hex[c>>4], hex[c&0xf])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
