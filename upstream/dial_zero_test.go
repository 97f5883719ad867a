package upstream

import (
	"errors"
	"net"
	"path/filepath"
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// proxy_connect_timeout 0: nginx's connect timer of 0 fires before a TCP
// connect() under way completes, so a TCP peer times out (504) without a
// connection being made, while a unix socket's connect() completes at once
// and needs no timer.
func TestConnectTimeoutZero(t *testing.T) {
	b := newBackend(t)
	sock := filepath.Join(t.TempDir(), "u.sock")
	uln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { uln.Close() })

	for _, tc := range []struct {
		addr    string
		timeout bool
	}{
		{b.addr(), true},
		{"unix:" + sock, false},
	} {
		g := NewGroup(&directives.Upstream{Name: "z", Servers: []*directives.UpstreamServer{srv(tc.addr)}}, Options{})
		var a Attempt
		a.Start(g, Start{})
		if _, err := a.Pick(); err != nil {
			t.Fatal(err)
		}
		c, err := a.Connect(0, false)
		var ne net.Error
		switch {
		case tc.timeout && (err == nil || !errors.As(err, &ne) || !ne.Timeout()):
			t.Errorf("%s: Connect(0) = %v, want a timeout", tc.addr, err)
		case !tc.timeout && err != nil:
			t.Errorf("%s: Connect(0) = %v, want a connection", tc.addr, err)
		}
		if c != nil {
			c.Release(false)
		}
		a.Release(Done)
		g.Close()
	}
}
