package upstream

import (
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// TestLeastConnTunnels: peers holding open attempts (tunnels, slow
// requests) are avoided relative to their weight; ties go round robin.
func TestLeastConnTunnels(t *testing.T) {
	g := NewGroup(ups(directives.BalanceLeastConn, "a:1", "b:1", "c:1 weight=2"), Options{})
	// No connections: all tie, smooth weighted round robin over them.
	got := ""
	for i := 0; i < 4; i++ {
		got += pickOne(t, g, Start{}, Done) + " "
	}
	if got != "c:1 a:1 b:1 c:1 " {
		t.Fatalf("ties: %s", got)
	}
	// Hold two tunnels: the first on ... whoever wins, then compare.
	hold := make([]*Attempt, 0)
	open := func() *Peer {
		a := &Attempt{}
		a.Start(g, Start{})
		p, err := a.Pick()
		if err != nil {
			t.Fatal(err)
		}
		hold = append(hold, a)
		return p
	}
	// Four held: with weights 1, 1, 2 they spread a, b, c, c in some order.
	counts := map[string]int{}
	for i := 0; i < 4; i++ {
		counts[open().Name]++
	}
	if counts["a:1"] != 1 || counts["b:1"] != 1 || counts["c:1"] != 2 {
		t.Fatalf("held tunnels spread %v, want a 1, b 1, c 2", counts)
	}
	// Close a's tunnel: a has the fewest now.
	for _, h := range hold {
		if h.Current().Name == "a:1" {
			h.Release(Done)
			break
		}
	}
	for i := 0; i < 3; i++ {
		if p := pickOne(t, g, Start{}, Done); p != "a:1" {
			t.Fatalf("pick %d with a freed: %s", i, p)
		}
	}
	for _, h := range hold {
		h.Release(Done)
	}
	for _, p := range g.Peers() {
		if n := g.State(p).Conns; n != 0 {
			t.Fatalf("%s has %d connections after every release", p.Name, n)
		}
	}
}

func TestLeastConnBackup(t *testing.T) {
	g := NewGroup(ups(directives.BalanceLeastConn, "a:1 max_conns=1", "x:1 backup", "y:1 backup"), Options{})
	var first Attempt
	first.Start(g, Start{})
	if p, _ := first.Pick(); p.Name != "a:1" {
		t.Fatal(p.Name)
	}
	// a is full: backups, least connections first.
	var second Attempt
	second.Start(g, Start{})
	p, err := second.Pick()
	if err != nil || !p.Backup {
		t.Fatalf("a full: %v %v, want a backup", p, err)
	}
	if q := pickOne(t, g, Start{}, Done); q == p.Name || q == "a:1" {
		t.Fatalf("next while %s busy: %s, want the other backup", p.Name, q)
	}
	first.Release(Done)
	second.Release(Done)
}

// TestHoldOutlivesAttempt: a peer held past its request (a tunnel) keeps
// counting after the request's Attempt is reused for another request, and
// its Release ends that peer's connection only, whatever the Attempt holds
// by then.
func TestHoldOutlivesAttempt(t *testing.T) {
	g := NewGroup(ups(directives.BalanceLeastConn, "a:1", "b:1"), Options{})
	var a Attempt
	a.Start(g, Start{})
	first, err := a.Pick()
	if err != nil {
		t.Fatal(err)
	}
	held := a.Hold()
	if a.Current() != nil {
		t.Fatalf("the attempt still holds %s after Hold", a.Current().Name)
	}
	// The same Attempt serves the next request, which picks the other
	// peer (the held one has a connection) and keeps it open.
	a.Start(g, Start{})
	second, err := a.Pick()
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatalf("least_conn picked the held peer %s again", first.Name)
	}
	held.Release()
	if n := g.State(first).Conns; n != 0 {
		t.Errorf("held peer %s: %d connections after Release, want 0", first.Name, n)
	}
	if n := g.State(second).Conns; n != 1 {
		t.Errorf("the next request's peer %s: %d connections, want 1", second.Name, n)
	}
	a.Release(Done)
	if n := g.State(second).Conns; n != 0 {
		t.Errorf("%s: %d connections after the request's Release", second.Name, n)
	}
	Held{}.Release() // a zero Held does nothing
}
