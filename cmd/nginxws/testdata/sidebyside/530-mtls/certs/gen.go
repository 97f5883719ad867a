//go:build ignore

// gen.go writes the certificates of 530-mtls (run once, in this
// directory: go run gen.go). They are committed: the same files serve
// nginx and nginxws, and the variables show their fixed serials and
// dates. Validity runs to 2124, but for client-expired.crt (2020).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"time"
)

type pair struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var (
	start = time.Date(2024, 3, 4, 12, 0, 0, 0, time.UTC)
	end   = time.Date(2124, 3, 4, 12, 0, 0, 0, time.UTC)
)

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func write(name string, blocks ...*pem.Block) {
	f, err := os.Create(name)
	must(err)
	for _, b := range blocks {
		must(pem.Encode(f, b))
	}
	must(f.Close())
}

func make1(name string, tmpl *x509.Certificate, parent *pair, chain ...*pair) *pair {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	must(err)
	cert, err := x509.ParseCertificate(der)
	must(err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	must(err)
	blocks := []*pem.Block{{Type: "CERTIFICATE", Bytes: der}}
	for _, c := range chain {
		blocks = append(blocks, &pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})
	}
	write(name+".crt", blocks...)
	write(name+".key", &pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	return &pair{cert, key}
}

func ca(serial int64, subject pkix.Name) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: subject,
		NotBefore: start, NotAfter: end,
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
}

func leaf(serial *big.Int, subject pkix.Name) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: serial, Subject: subject,
		NotBefore: start, NotAfter: end,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

func main() {
	root := make1("ca", ca(1, pkix.Name{CommonName: "Test Client CA", Organization: []string{"nginxws tests"}}), nil)
	other := make1("other-ca", ca(2, pkix.Name{CommonName: "Unknown CA"}), nil)
	inter := make1("intermediate", ca(3, pkix.Name{CommonName: "Test Intermediate CA", Organization: []string{"nginxws tests"}}), root)

	// A subject with every character RFC 2253 escapes, a non-ASCII
	// one, an e-mail address and a multi-valued RDN.
	odd, _ := new(big.Int).SetString("0102030A0B0C0D0E0F", 16)
	email := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	uid := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	unknown := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
	make1("client", leaf(odd, pkix.Name{
		Country:            []string{"CH"},
		Locality:           []string{"Zürich"},
		Organization:       []string{`Ex "quoted" <a>;b\c`},
		OrganizationalUnit: []string{"#team ", " lead+x=y"},
		CommonName:         "Doe, John",
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: email, Value: "john@example.com"},
			{Type: uid, Value: "jd42"},
			{Type: unknown, Value: "opaque"},
		},
	}), root)
	make1("client-plain", leaf(big.NewInt(0x1234), pkix.Name{CommonName: "plain client", Organization: []string{"nginxws tests"}}), root)
	expired := leaf(big.NewInt(0x77), pkix.Name{CommonName: "expired client"})
	expired.NotBefore, expired.NotAfter = time.Date(2019, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	make1("client-expired", expired, root)
	make1("client-unknown", leaf(big.NewInt(0x88), pkix.Name{CommonName: "stranger"}), other)
	make1("client-chain", leaf(big.NewInt(0x99), pkix.Name{CommonName: "chained client"}), inter, inter)
	selfSigned := leaf(big.NewInt(0xaa), pkix.Name{CommonName: "self-signed client"})
	make1("client-self", selfSigned, nil)
	inter2 := make1("intermediate2", ca(4, pkix.Name{CommonName: "Test Intermediate CA 2"}), inter)
	make1("client-deep", leaf(big.NewInt(0xcc), pkix.Name{CommonName: "deep client"}), inter2, inter2, inter)
	_ = other

	// The root's CRL revokes client-revoked.crt.
	make1("client-revoked", leaf(big.NewInt(0xbb), pkix.Name{CommonName: "revoked client"}), root)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: start, NextUpdate: end,
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(0xbb), RevocationTime: start}},
	}, root.cert, root.key)
	must(err)
	write("ca.crl", &pem.Block{Type: "X509 CRL", Bytes: crl})
}
