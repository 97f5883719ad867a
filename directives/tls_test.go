package directives

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestTLSErrorsInNginxOrder: with a certificate nginx can load, nginx
// accepts "listen … ssl" and goes on to its checks after the merge (here
// an unknown variable); nginxws reports that error too, in nginx's words,
// and refuses what it does not do ("listen … http2") only for a
// configuration without one.
func TestTLSErrorsInNginxOrder(t *testing.T) {
	nginx, _ := exec.LookPath("nginx")
	for _, tc := range []struct{ body, want string }{
		{"server { listen 127.0.0.1:18599 ssl http2; ssl_certificate cert.pem; ssl_certificate_key key.pem;\nreturn 200 $nope; }", `[emerg] unknown "nope" variable`},
		{"server { listen 127.0.0.1:18599 ssl http2; ssl_certificate cert.pem; ssl_certificate_key key.pem;\nreturn 200; }", `[emerg] "http2" parameter of the "listen" directive is not supported in CONF/nginx.conf:3`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate cert.pem; ssl_certificate_key key.pem; ssl_ecdh_curve X25519:bogus; }", `[emerg] SSL_CTX_set1_curves_list("X25519:bogus") failed (SSL: error:0A080106:SSL routines::passed invalid argument:group 'bogus' cannot be set)`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate cert.pem; ssl_certificate_key key.pem; ssl_ciphers FOO; }", `[emerg] SSL_CTX_set_cipher_list("FOO") failed (SSL: error:0A0000B9:SSL routines::no cipher match)`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate $host.pem; ssl_certificate_key key.pem; }", `[emerg] variables other than "$ssl_server_name" in "ssl_certificate" and "ssl_certificate_key" are not supported in CONF/nginx.conf:3`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate cert.pem; ssl_certificate_key cert.pem; }", `[emerg] cannot load certificate key "CONF/cert.pem": PEM_read_bio_PrivateKey() failed (SSL: error:1E08010C:DECODER routines::unsupported:No supported data to decode. Input type: PEM)`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate cert.pem; ssl_certificate_key key.pem; ssl_session_ticket_key key.pem;\n}", `[emerg] "CONF/key.pem" must be 48 or 80 bytes in CONF/nginx.conf:5`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate cert.pem; ssl_certificate_key key.pem; ssl_trusted_certificate ca.pem; }", `[emerg] SSL_CTX_load_verify_locations("CONF/ca.pem") failed (SSL: error:80000002:system library::No such file or directory:calling fopen(CONF/ca.pem, r) error:10000080:BIO routines::no such file error:05880002:x509 certificate routines::system lib)`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate cert.pem; ssl_certificate_key key.pem; ssl_dhparam dh.pem; }", `[emerg] BIO_new_file("CONF/dh.pem") failed (SSL: error:80000002:system library::No such file or directory:calling fopen(CONF/dh.pem, r) error:10000080:BIO routines::no such file)`},
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
			if n := strings.ReplaceAll(nginxFirstLine(t, nginx, dir), dir, "CONF"); n != tc.want {
				t.Errorf("nginx says %s", n)
			}
		}
	}
}

// TestTLSConf: the settings a server's handshakes use, from its own
// directives and the http level's.
func TestTLSConf(t *testing.T) {
	dir := writeCase(t, errorCase{conf: H(`ssl_protocols TLSv1.2 TLSv1.3; ssl_certificate cert.pem; ssl_certificate_key key.pem;
ssl_session_timeout 10m; ssl_session_tickets off; ssl_ecdh_curve X25519:prime256v1;
ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256;
server { listen 127.0.0.1:18599 ssl; }
server { listen 127.0.0.1:18598; ssl_protocols TLSv1.3; ssl_ciphers HIGH:!aNULL:!MD5; ssl_session_tickets on; }
`)})
	writeTestCert(t, dir)
	cfg, err := loadCase(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.HTTP.Servers[0].TLS, cfg.HTTP.Servers[1].TLS
	if a == nil || b == nil {
		t.Fatal("no TLS configuration")
	}
	if a.MinVersion != tls.VersionTLS12 || a.MaxVersion != tls.VersionTLS13 || b.MinVersion != tls.VersionTLS13 {
		t.Errorf("versions %x-%x, %x", a.MinVersion, a.MaxVersion, b.MinVersion)
	}
	if want := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}; !slices.Equal(a.CipherSuites, want) {
		t.Errorf("suites %x", a.CipherSuites)
	}
	if len(b.CipherSuites) != 17 {
		t.Errorf("HIGH:!aNULL:!MD5 gives %d suites", len(b.CipherSuites))
	}
	if a.SessionTimeout != 10*time.Minute || a.SessionTickets || !b.SessionTickets {
		t.Errorf("sessions %v %v %v", a.SessionTimeout, a.SessionTickets, b.SessionTickets)
	}
	if !slices.Equal(a.Curves, []tls.CurveID{tls.X25519, tls.CurveP256}) || len(a.Certificates) != 1 {
		t.Errorf("curves %v, %d certificates", a.Curves, len(a.Certificates))
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings %+v", cfg.Warnings)
	}
}

// TestCipherLists: OpenSSL cipher strings as sets of suites.
func TestCipherLists(t *testing.T) {
	for _, tc := range []struct {
		list string
		n    int // suites of the table selected
		ok   bool
	}{
		{"HIGH:!aNULL:!MD5", 27, true},
		{"ECDHE+AESGCM:!ECDSA", 2, true},
		{"EECDH+AESGCM:EDH+AESGCM", 6, true},
		{"ALL:-AES128:-CHACHA20", 12, true},
		{"!kRSA:ALL", 21, true},
		{"!kRSA:kRSA", 0, false},
		{"kRSA:!kRSA", 0, false},
		{"FOO:BAR", 0, false},
		{"aNULL", 0, false},
		{"DEFAULT:@SECLEVEL=0", 27, true},
	} {
		set, ok := parseCipherList(tc.list)
		if n := bits.OnesCount64(set); n != tc.n || ok != tc.ok {
			t.Errorf("%s: %d suites, %v; want %d, %v", tc.list, n, ok, tc.n, tc.ok)
		}
	}
}

// TestCertificateForms: the PEM layouts certificates come in: a chain and
// its key in one file, a key after EC parameters, a PKCS#1 RSA key, and
// "data:" with the PEM in the configuration.
func TestCertificateForms(t *testing.T) {
	dir := t.TempDir()
	writeTestCert(t, dir)
	cert, _ := os.ReadFile(filepath.Join(dir, "cert.pem"))
	key, _ := os.ReadFile(filepath.Join(dir, "key.pem"))
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "rsa"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"both.pem": string(cert) + string(key),
		"ecp.key":  "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + string(key),
		"rsa.crt":  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		"rsa1.key": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})),
		"cert.pem": string(cert),
		"key.pem":  string(key),
	}
	conf := H(`server { listen 127.0.0.1:18599 ssl; ssl_certificate both.pem; ssl_certificate_key both.pem; }
server { listen 127.0.0.1:18598 ssl; ssl_certificate cert.pem; ssl_certificate_key ecp.key; }
server { listen 127.0.0.1:18597 ssl; ssl_certificate rsa.crt; ssl_certificate_key rsa1.key; }
server { listen 127.0.0.1:18596 ssl; ssl_certificate "data:` + string(cert) + `"; ssl_certificate_key "data:` + string(key) + `"; }
`)
	c := writeCase(t, errorCase{conf: conf, files: files})
	cfg, err := loadCase(t, c)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range cfg.HTTP.Servers {
		if s.TLS == nil || len(s.TLS.Certificates) != 1 || s.TLS.Certificates[0].Leaf == nil {
			t.Errorf("server %d: no certificate loaded", i+1)
		}
	}
}

// TestTLSWarnings: what nginxws accepts and does not do, said once per
// server as nginx says its own: DHE parameters, stapling, 0-RTT, and a
// cipher list of suites Go lacks.
func TestTLSWarnings(t *testing.T) {
	dir := writeCase(t, errorCase{conf: H(`server { listen 127.0.0.1:18599 ssl; ssl_certificate cert.pem; ssl_certificate_key key.pem;
ssl_dhparam dh.pem; ssl_stapling on; ssl_early_data on; ssl_ciphers DHE-RSA-AES128-GCM-SHA256; }
`)})
	writeTestCert(t, dir)
	writeDHParams(t, filepath.Join(dir, "dh.pem"), 2048)
	cfg, err := loadCase(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, strings.ReplaceAll(w.Msg, dir, "CONF"))
	}
	want := []string{
		`"ssl_dhparam" directive is ignored, nginxws has no DHE cipher suites`,
		`ssl_ciphers "DHE-RSA-AES128-GCM-SHA256" selects only cipher suites nginxws does not implement (DHE-RSA-AES128-GCM-SHA256): TLS 1.2 handshakes will fail`,
		`"ssl_stapling" ignored, issuer certificate not found for certificate "CONF/cert.pem"`,
		`"ssl_early_data" is not supported on this platform, ignored`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings\n%q\nwant\n%q", got, want)
	}
}

// TestTLSSecurityLevel: what OpenSSL 3 refuses at its default security
// level 2 nginx refuses at -t, and so does nginxws although it uses
// neither: ssl_dhparam with 1024-bit parameters (old guides' files), a
// certificate given as ssl_dhparam, a 1024-bit RSA certificate; a lower
// "@SECLEVEL=" in ssl_ciphers lets the parameters through, as in nginx.
func TestTLSSecurityLevel(t *testing.T) {
	nginx, _ := exec.LookPath("nginx")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nginxws-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	rsaDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*pem.Block{
		"rsa1024.pem": {Type: "CERTIFICATE", Bytes: rsaDER},
		"rsa1024.key": {Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)},
	}
	const srv = "server { listen 127.0.0.1:18599 ssl; ssl_certificate_key key.pem; "
	for _, tc := range []struct{ body, want string }{
		{srv + "ssl_certificate cert.pem; ssl_dhparam dh1024.pem; }", `[emerg] SSL_CTX_set_tmp_dh("CONF/dh1024.pem") failed (SSL: error:0A00018A:SSL routines::dh key too small)`},
		{srv + "ssl_certificate cert.pem; ssl_dhparam cert.pem; }", `[emerg] PEM_read_bio_DHparams("CONF/cert.pem") failed (SSL: error:0480006C:PEM routines::no start line:Expecting: DH PARAMETERS)`},
		{srv + "ssl_certificate cert.pem; ssl_dhparam dh1024.pem; ssl_ciphers HIGH:@SECLEVEL=1; return 200 $nope; }", `[emerg] unknown "nope" variable`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate rsa1024.pem; ssl_certificate_key rsa1024.key; }", `[emerg] SSL_CTX_use_certificate("CONF/rsa1024.pem") failed (SSL: error:0A00018F:SSL routines::ee key too small)`},
		{"server { listen 127.0.0.1:18599 ssl; ssl_certificate rsa1024.pem; ssl_certificate_key rsa1024.key; ssl_ciphers DEFAULT:@SECLEVEL=1; return 200 $nope; }", `[emerg] unknown "nope" variable`},
	} {
		dir := writeCase(t, errorCase{conf: H(tc.body)})
		writeTestCert(t, dir)
		writeDHParams(t, filepath.Join(dir, "dh1024.pem"), 1024)
		for name, block := range files {
			if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		_, err := loadCase(t, dir)
		if err == nil {
			t.Fatalf("%s: no error", tc.body)
		}
		if got := "[emerg] " + strings.ReplaceAll(err.Error(), dir, "CONF"); got != tc.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.body, got, tc.want)
		}
		if nginx != "" {
			if n := strings.ReplaceAll(nginxFirstLine(t, nginx, dir), dir, "CONF"); n != tc.want {
				t.Errorf("nginx says %s", n)
			}
		}
	}
}

// writeDHParams writes a "DH PARAMETERS" file with a modulus of that many
// bits: not a safe prime (OpenSSL does not test one when it loads it), as
// making one takes too long for a test.
func writeDHParams(t *testing.T, path string, bits int) {
	t.Helper()
	p := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	p.Add(p, big.NewInt(1))
	der, err := asn1.Marshal(struct{ P, G *big.Int }{p, big.NewInt(2)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStaplingWarnings: nginx's own [warn] for each certificate it cannot
// staple (the last configured first), as Mozilla's generated
// configurations (ssl_stapling on) meet self-signed and Let's Encrypt
// certificates; nginxws's "not supported" only where nginx would staple.
func TestStaplingWarnings(t *testing.T) {
	nginx, _ := exec.LookPath("nginx")
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	// RSA, beside writeTestCert's ECDSA certificate: OpenSSL keeps one
	// certificate per key type.
	leafKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(ocsp ...string) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "leaf"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), OCSPServer: ocsp}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &leafKey.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	kder, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(ders ...[]byte) []byte {
		var b []byte
		for _, d := range ders {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})...)
		}
		return b
	}
	files := map[string][]byte{
		"ca.pem":         pemOf(caDER),
		"leaf.key":       pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		"leaf-only.pem":  pemOf(leaf("http://nosuchhost.invalid/")),
		"full-none.pem":  pemOf(leaf(), caDER),
		"full-ocsp.pem":  pemOf(leaf("http://nosuchhost.invalid/"), caDER),
		"full-https.pem": pemOf(leaf("https://nosuchhost.invalid/"), caDER),
		"full-local.pem": pemOf(leaf("http://127.0.0.1:8080/ocsp"), caDER),
	}
	const srv = "server { listen 127.0.0.1:18599 ssl; ssl_stapling on; "
	for _, tc := range []struct {
		body string
		want []string
	}{
		{srv + "ssl_certificate leaf-only.pem; ssl_certificate_key leaf.key; }",
			[]string{`"ssl_stapling" ignored, issuer certificate not found for certificate "CONF/leaf-only.pem"`}},
		{srv + "ssl_certificate leaf-only.pem; ssl_certificate_key leaf.key; ssl_trusted_certificate ca.pem; }",
			[]string{`"ssl_stapling" ignored, host not found in OCSP responder "nosuchhost.invalid/" in the certificate "CONF/leaf-only.pem"`}},
		{srv + "ssl_certificate full-none.pem; ssl_certificate_key leaf.key; }",
			[]string{`"ssl_stapling" ignored, no OCSP responder URL in the certificate "CONF/full-none.pem"`}},
		{srv + "ssl_certificate full-https.pem; ssl_certificate_key leaf.key; }",
			[]string{`"ssl_stapling" ignored, invalid URL prefix in OCSP responder "https://nosuchhost.invalid/" in the certificate "CONF/full-https.pem"`}},
		{srv + "ssl_certificate full-none.pem; ssl_certificate_key leaf.key; ssl_stapling_responder http://127.0.0.1:99999/; }",
			[]string{`"ssl_stapling" ignored, invalid port in OCSP responder "127.0.0.1:99999/" in the certificate "CONF/full-none.pem"`}},
		{srv + "ssl_certificate full-ocsp.pem; ssl_certificate_key leaf.key; ssl_certificate cert.pem; ssl_certificate_key key.pem; }",
			[]string{`"ssl_stapling" ignored, issuer certificate not found for certificate "CONF/cert.pem"`,
				`"ssl_stapling" ignored, host not found in OCSP responder "nosuchhost.invalid/" in the certificate "CONF/full-ocsp.pem"`}},
		// nginx staples this one (no warning); nginxws does not.
		{srv + "ssl_certificate full-local.pem; ssl_certificate_key leaf.key; }",
			[]string{`"ssl_stapling" ignored, not supported`}},
	} {
		dir := writeCase(t, errorCase{conf: H(tc.body)})
		writeTestCert(t, dir)
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := loadCase(t, dir)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		var got []string
		for _, w := range cfg.Warnings {
			got = append(got, strings.ReplaceAll(w.Msg, dir, "CONF"))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.body, got, tc.want)
		}
		if nginx != "" && !strings.Contains(tc.want[len(tc.want)-1], "not supported") {
			out, _ := exec.Command(nginx, "-t", "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"), "-e", "/dev/null").CombinedOutput()
			var warns []string
			for _, line := range strings.Split(string(out), "\n") {
				if w, ok := strings.CutPrefix(line, "nginx: [warn] "); ok {
					warns = append(warns, strings.ReplaceAll(w, dir, "CONF"))
				}
			}
			if !slices.Equal(warns, tc.want) {
				t.Errorf("%s: nginx warns %q", tc.body, warns)
			}
		}
	}
}
