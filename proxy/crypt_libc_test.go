//go:build cgo && linux

package proxy

import "testing"

// TestLibcCrypt: the schemes nginx leaves to the C library, checked
// through crypt_r (hashes made by openssl passwd and Python's crypt).
func TestLibcCrypt(t *testing.T) {
	for _, c := range []struct{ key, hash string }{
		{"gracepw", "grexcT5btdXWo"},
		{"erinpw", "$1$s4lt$uMSZJx3HCe2VMYMWNiHcR1"},
		{"frankpw", "$6$frankSALT$fF3xZKQR1Bc00XCulrbG7SqcDG30gWuzjL92kwfWDqjbTHLPCeSgRxnfQg6/niOx4bvobtshWbX.2JzhTph4d."},
		{"heidipw", "$2b$05$abcdefghijklmnopqrstuung6OXNqSaEe1h2lMC7ApPumXo9zzcd6"},
	} {
		got, err := ngxCrypt(c.key, c.hash)
		if err != nil || got != c.hash {
			t.Errorf("%q with %q: %q, %v", c.key, c.hash, got, err)
		}
	}
}
