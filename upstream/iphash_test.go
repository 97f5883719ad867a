package upstream

import (
	"net/netip"
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// refIPHash models ip_hash without failures: one round over the bytes.
func refIPHash(weights []int, b []byte) int {
	h := 89
	for _, x := range b {
		h = (h*113 + int(x)) % 6271
	}
	w := h % sum(weights)
	for i, x := range weights {
		if w < x {
			return i
		}
		w -= x
	}
	return -1
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

func TestIPHash(t *testing.T) {
	weights := []int{2, 1, 1, 3}
	g := NewGroup(ups(directives.BalanceIPHash, "a:1 weight=2", "b:1", "c:1", "d:1 weight=3"), Options{})
	peers := g.Peers()
	for i := 0; i < 256; i++ {
		for j := 0; j < 256; j += 7 {
			ip := netip.AddrFrom4([4]byte{10, byte(i), byte(j), 99})
			want := peers[refIPHash(weights, []byte{10, byte(i), byte(j)})].Name
			if got := pickOne(t, g, Start{Client: ip}, Done); got != want {
				t.Fatalf("%s: %s, model %s", ip, got, want)
			}
			// The fourth byte does not count.
			if got := pickOne(t, g, Start{Client: netip.AddrFrom4([4]byte{10, byte(i), byte(j), 1})}, Done); got != want {
				t.Fatalf("%s with another last byte: %s, model %s", ip, got, want)
			}
		}
	}
	v6 := netip.MustParseAddr("2001:db8::1")
	b := v6.As16()
	if got, want := pickOne(t, g, Start{Client: v6}, Done), peers[refIPHash(weights, b[:])].Name; got != want {
		t.Fatalf("IPv6: %s, model %s", got, want)
	}
	mapped := netip.MustParseAddr("::ffff:10.1.2.3")
	b = mapped.As16()
	if got, want := pickOne(t, g, Start{Client: mapped}, Done), peers[refIPHash(weights, b[:])].Name; got != want {
		t.Fatalf("IPv4-mapped: %s, model %s (sixteen bytes, as nginx's AF_INET6)", got, want)
	}
	if got, want := pickOne(t, g, Start{}, Done), peers[refIPHash(weights, []byte{0, 0, 0})].Name; got != want {
		t.Fatalf("unix client: %s, model %s", got, want)
	}
}

// TestIPHashRetry: the next try goes on from the hash that found the
// failed peer.
func TestIPHashRetry(t *testing.T) {
	g := NewGroup(ups(directives.BalanceIPHash, "a:1", "b:1", "c:1", "d:1"), Options{})
	ip := netip.MustParseAddr("192.168.7.1")
	var a Attempt
	a.Start(g, Start{Client: ip, Next: directives.NextError})
	h := 89
	var want []string
	seen := map[int]bool{}
	for len(want) < 4 {
		for _, x := range []int{192, 168, 7} {
			h = (h*113 + x) % 6271
		}
		if i := h % 4; !seen[i] {
			seen[i] = true
			want = append(want, g.Peers()[i].Name)
		}
	}
	for i, w := range want {
		p, err := a.Pick()
		if err != nil || p.Name != w {
			t.Fatalf("try %d: %v %v, want %s", i, p, err, w)
		}
		retry, _, _ := a.Fail(FailError)
		if retry != (i < 3) {
			t.Fatalf("try %d: retry %v", i, retry)
		}
	}
}
