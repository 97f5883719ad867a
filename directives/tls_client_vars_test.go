package directives

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"
)

// rawName is a DER name of one attribute per RDN, each value given as
// its tag and content bytes (the string types pkix would not write).
func rawName(t *testing.T, atvs ...struct {
	oid asn1.ObjectIdentifier
	tag int
	b   []byte
}) []byte {
	t.Helper()
	type atv struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}
	var rdns []asn1.RawValue
	for _, a := range atvs {
		set, err := asn1.MarshalWithParams([]atv{{a.oid, asn1.RawValue{Class: asn1.ClassUniversal, Tag: a.tag, Bytes: a.b}}}, "set")
		if err != nil {
			t.Fatal(err)
		}
		rdns = append(rdns, asn1.RawValue{FullBytes: set})
	}
	der, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// The expected texts are what OpenSSL 3 printed for the same names
// (openssl x509 -nameopt RFC2253 and -nameopt compat, nginx's variables).
func TestNameFormats(t *testing.T) {
	type atv = struct {
		oid asn1.ObjectIdentifier
		tag int
		b   []byte
	}
	cn, o, c := asn1.ObjectIdentifier{2, 5, 4, 3}, asn1.ObjectIdentifier{2, 5, 4, 10}, asn1.ObjectIdentifier{2, 5, 4, 6}
	for _, tc := range []struct {
		name         string
		der          []byte
		rfc, oneline string
	}{
		{"order and separators", rawName(t, atv{c, asn1.TagPrintableString, []byte("CH")}, atv{o, asn1.TagUTF8String, []byte("Org")}, atv{cn, asn1.TagUTF8String, []byte("name")}),
			"CN=name,O=Org,C=CH", "/C=CH/O=Org/CN=name"},
		{"RFC 2253 specials", rawName(t, atv{cn, asn1.TagUTF8String, []byte("a/b+c=d\\e\x01\x7f;,#x ")}),
			`CN=a/b\+c=d\\e\01\7F\;\,#x\ `, `/CN=a\/b\+c=d\e\x01\x7F;,#x `},
		{"leading space and hash", rawName(t, atv{cn, asn1.TagUTF8String, []byte("#team ")}, atv{o, asn1.TagUTF8String, []byte(` é"x`)}),
			`O=\ \C3\A9\"x,CN=\#team\ `, `/CN=#team /O= \xC3\xA9"x`},
		{"T61String byte as Latin-1", rawName(t, atv{cn, asn1.TagT61String, []byte{0xe9}}), `CN=\C3\A9`, `/CN=\xE9`},
		{"BMPString", rawName(t, atv{cn, asn1.TagBMPString, []byte{0, 'a', 0, 0xe9}}), `CN=a\C3\A9`, `/CN=\x00a\x00\xE9`},
		{"not a string", rawName(t, atv{cn, asn1.TagInteger, []byte{1}}), `CN=#020101`, "/CN=\\x01"},
		{"unknown type dumped", rawName(t, atv{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, asn1.TagPrintableString, []byte("opaque")}),
			`1.3.6.1.4.1.99999.1=#13066F7061717565`, `/1.3.6.1.4.1.99999.1=opaque`},
	} {
		if got := string(AppendNameRFC2253(nil, tc.der)); got != tc.rfc {
			t.Errorf("%s: RFC 2253 %q, want %q", tc.name, got, tc.rfc)
		}
		if got := string(AppendNameOneline(nil, tc.der)); got != tc.oneline {
			t.Errorf("%s: oneline %q, want %q", tc.name, got, tc.oneline)
		}
	}
	// A multi-valued RDN as pkix writes two OUs (DER sorts the set: a,
	// b): "+" between them, in reverse for RFC 2253.
	der, err := asn1.Marshal(pkix.Name{OrganizationalUnit: []string{"b", "a"}}.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(AppendNameRFC2253(nil, der)); got != "OU=b+OU=a" {
		t.Errorf("multi-valued: %q", got)
	}
	if got := string(AppendNameOneline(nil, der)); got != "/OU=a+OU=b" {
		t.Errorf("multi-valued oneline: %q", got)
	}
	if got := AppendNameRFC2253(nil, []byte("junk")); len(got) != 0 {
		t.Errorf("junk: %q", got)
	}
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func issue(t *testing.T, cn string, parent *testCA, isCA bool, notAfter time.Time) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert, key}
}

// The codes are those nginx 1.22 on OpenSSL 3 logged for the same
// chains (side-by-side 530-mtls).
func TestVerifyClientChain(t *testing.T) {
	later := time.Now().Add(24 * time.Hour)
	root := issue(t, "root", nil, true, later)
	other := issue(t, "other", nil, true, later)
	inter := issue(t, "inter", root, true, later)
	inter2 := issue(t, "inter2", inter, true, later)
	leaf := issue(t, "leaf", root, false, later)
	expired := issue(t, "expired", root, false, time.Now().Add(-time.Minute))
	stranger := issue(t, "stranger", other, false, later)
	strangerExpired := issue(t, "stranger", other, false, time.Now().Add(-time.Minute))
	self := issue(t, "self", nil, false, later)
	chained := issue(t, "chained", inter, false, later)
	deep := issue(t, "deep", inter2, false, later)

	store := &TLSConf{TrustStore: []*x509.Certificate{root.cert}, VerifyDepth: 1}
	empty := &TLSConf{VerifyDepth: 1}
	for _, tc := range []struct {
		name string
		conf *TLSConf
		sent []*testCA
		want int
	}{
		{"good", store, []*testCA{leaf}, 0},
		{"expired", store, []*testCA{expired}, x509CertHasExpired},
		{"unknown issuer", store, []*testCA{stranger}, x509UnableToVerifyLeaf},
		{"unknown issuer, expired: the last error", store, []*testCA{strangerExpired}, x509CertHasExpired},
		{"self-signed", store, []*testCA{self}, x509DepthZeroSelfSigned},
		{"chain within depth 1", store, []*testCA{chained, inter}, 0},
		{"chain beyond depth 1", store, []*testCA{deep, inter2, inter}, x509UnableToGetIssuerLocally},
		{"chain within depth 2", &TLSConf{TrustStore: store.TrustStore, VerifyDepth: 2}, []*testCA{deep, inter2, inter}, 0},
		{"depth 0", &TLSConf{TrustStore: store.TrustStore}, []*testCA{chained, inter}, x509UnableToGetIssuerLocally},
		{"no store, chain", empty, []*testCA{chained, inter}, x509UnableToGetIssuerLocally},
		{"no store, self-signed", empty, []*testCA{self}, x509DepthZeroSelfSigned},
		{"intermediate as the only anchor", &TLSConf{TrustStore: []*x509.Certificate{inter.cert}, VerifyDepth: 1}, []*testCA{chained, inter}, x509UnableToGetIssuerCert},
	} {
		sent := make([]*x509.Certificate, len(tc.sent))
		for i, c := range tc.sent {
			sent[i] = c.cert
		}
		if got := tc.conf.VerifyClientChain(sent, time.Now()); got != tc.want {
			t.Errorf("%s: %d (%s), want %d (%s)", tc.name, got, VerifyErrorText(got), tc.want, VerifyErrorText(tc.want))
		}
	}
	if VerifyErrorOptional(x509CertHasExpired) || !VerifyErrorOptional(x509UnableToVerifyLeaf) {
		t.Error("VerifyErrorOptional")
	}
}

// FuzzNameFormats: any bytes as a name print without a panic.
func FuzzNameFormats(f *testing.F) {
	der, _ := asn1.Marshal(pkix.Name{CommonName: "a", Organization: []string{"b", "c"}}.ToRDNSequence())
	f.Add(der)
	f.Add([]byte{0x30, 0x06, 0x31, 0x04, 0x30, 0x02, 0x06, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		AppendNameRFC2253(nil, b)
		AppendNameOneline(nil, b)
	})
}
