package directives

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTestCert writes a throwaway self-signed certificate and its key to
// dir (cert.pem, key.pem), made afresh so that no key lives in the tree.
func writeTestCert(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nginxws-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{"cert.pem": {Type: "CERTIFICATE", Bytes: der}, "key.pem": {Type: "PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTLSRefusalComesLast: with a certificate nginx can load, nginx
// accepts "listen … ssl" and goes on to its checks after the merge (here
// an unknown variable); nginxws reports that error too, in nginx's words,
// and refuses the TLS listener only for a configuration without one.
func TestTLSRefusalComesLast(t *testing.T) {
	nginx, _ := exec.LookPath("nginx")
	for _, tc := range []struct{ body, want string }{
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate cert.pem; ssl_certificate_key key.pem;\nreturn 200 $nope; }", `[emerg] unknown "nope" variable`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate cert.pem; ssl_certificate_key key.pem;\nreturn 200; }", `[emerg] "ssl" parameter of the "listen" directive is not supported in CONF/nginx.conf:3`},
	} {
		dir := writeCase(t, errorCase{conf: H(tc.body)})
		writeTestCert(t, dir)
		_, err := loadCase(t, dir)
		if err == nil {
			t.Fatalf("%s: no error", tc.body)
		}
		if got := "[emerg] " + strings.ReplaceAll(err.Error(), dir, "CONF"); got != tc.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.body, got, tc.want)
		}
		if nginx != "" && !strings.Contains(tc.want, "not supported") {
			if n := nginxFirstLine(t, nginx, dir); n != tc.want {
				t.Errorf("nginx says %s", n)
			}
		}
	}
}
