package proxy

import (
	"crypto/tls"
	"io"
	"strings"
	"testing"
	"time"
)

// tlsServer runs a Server whose one server listens with TLS on a fresh
// certificate (written to dir) and answers "$ssl_session_reused"; extra
// goes in the server block.
func tlsServer(t *testing.T, port, dir, extra string) *Server {
	t.Helper()
	log, _ := testLog(t)
	s := New(load(t, tlsServerConf(port, dir, extra)), log)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	return s
}

func tlsServerConf(port, dir, extra string) string {
	return "server { " + tlsListen(port, dir) + " " + extra + " return 200 \"$ssl_session_reused\"; }\n"
}

// tlsGet makes one request on a new TLS connection and returns the body
// and the certificate's signature (which tells certificates apart).
func tlsGet(t *testing.T, addr string, cfg *tls.Config) (body, serial string) {
	t.Helper()
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ = strings.Cut(string(b), "\r\n\r\n")
	return body, string(c.ConnectionState().PeerCertificates[0].Signature)
}

// TestTLSSessions: a session ticket resumes a session ($ssl_session_reused
// "r") until ssl_session_timeout; ssl_session_tickets off resumes none.
func TestTLSSessions(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		pause       time.Duration
		want        string
	}{
		{"resumed", "", 0, "r"},
		{"expired", "ssl_session_timeout 1s;", 1100 * time.Millisecond, "."},
		{"tickets off", "ssl_session_tickets off;", 0, "."},
	} {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(tc.name+"/"+tls.VersionName(version), func(t *testing.T) {
				port := freePort(t)
				tlsServer(t, port, t.TempDir(), "ssl_protocols TLSv1.2 TLSv1.3; "+tc.extra)
				cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: version, MaxVersion: version,
					ClientSessionCache: tls.NewLRUClientSessionCache(4)}
				if got, _ := tlsGet(t, "127.0.0.1:"+port, cfg); got != "." {
					t.Fatalf("first connection: reused %q", got)
				}
				// The expiry is what is tested: a wait is the test.
				time.Sleep(tc.pause)
				if got, _ := tlsGet(t, "127.0.0.1:"+port, cfg); got != tc.want {
					t.Errorf("second connection: reused %q, want %q", got, tc.want)
				}
			})
		}
	}
}

// TestTLSReloadCertificate: a reload reads the certificate files again
// (as nginx's does): new connections get the new certificate.
func TestTLSReloadCertificate(t *testing.T) {
	port, dir := freePort(t), t.TempDir()
	s := tlsServer(t, port, dir, "")
	cfg := &tls.Config{InsecureSkipVerify: true}
	_, before := tlsGet(t, "127.0.0.1:"+port, cfg)
	if err := s.Reload(load(t, tlsServerConf(port, dir, ""))); err != nil {
		t.Fatal(err)
	}
	if _, after := tlsGet(t, "127.0.0.1:"+port, cfg); after == before {
		t.Errorf("the certificate did not change on reload")
	}
}
