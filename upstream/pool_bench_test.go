package upstream

import (
	"testing"
	"time"
)

// BenchmarkPoolReuse is a request's trip through the keepalive pool:
// pick, take the pooled connection (with its liveness check), put it
// back.
func BenchmarkPoolReuse(b *testing.B) {
	be := newBackend(&testing.T{})
	defer be.ln.Close()
	g := keepaliveGroup(&testing.T{}, nil, 32, be.addr())
	defer g.Close()
	var a Attempt
	b.ReportAllocs()
	for b.Loop() {
		a.Start(g, Start{})
		if _, err := a.Pick(); err != nil {
			b.Fatal(err)
		}
		c, err := a.Connect(time.Second, false)
		if err != nil {
			b.Fatal(err)
		}
		c.Release(true)
		a.Release(Done)
	}
}
