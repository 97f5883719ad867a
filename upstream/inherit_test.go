package upstream

import (
	"sync"
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// peerNamed returns g's peer with the given address.
func peerNamed(t *testing.T, g *Group, name string) *Peer {
	t.Helper()
	for _, p := range g.Peers() {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no peer %s", name)
	return nil
}

// TestInheritState: a reload's new group starts with the failures, weights
// and active connections of the peers that did not change; a changed or
// new peer starts afresh.
func TestInheritState(t *testing.T) {
	c := newClock()
	old := group(t, ups(directives.BalanceLeastConn, "a:1 max_fails=2", "b:1", "c:1 weight=2"), c)
	// One connection on each peer, a failure on a and on c.
	var as [3]Attempt
	for i := range as {
		as[i].Start(old, Start{Tries: 1})
		if _, err := as[i].Pick(); err != nil {
			t.Fatal(err)
		}
	}
	var f Attempt
	for _, name := range []string{"a:1", "c:1"} {
		f.Start(old, Start{})
		for {
			p, err := f.Pick()
			if err != nil {
				t.Fatal(err)
			}
			if p.Name == name {
				f.Release(Failed)
				break
			}
			f.Release(Done)
		}
	}

	// c's weight changes, d is new.
	cur := group(t, ups(directives.BalanceLeastConn, "a:1 max_fails=2", "b:1", "c:1 weight=3", "d:1"), c)
	cur.Inherit(old)
	for _, w := range []struct {
		name  string
		conns int
		fails int
	}{{"a:1", 1, 1}, {"b:1", 1, 0}, {"c:1", 0, 0}, {"d:1", 0, 0}} {
		st := cur.State(peerNamed(t, cur, w.name))
		if st.Conns != w.conns || st.Fails != w.fails {
			t.Errorf("%s: conns %d fails %d, want %d and %d", w.name, st.Conns, st.Fails, w.conns, w.fails)
		}
	}
	if st, was := cur.State(peerNamed(t, cur, "a:1")), old.State(peerNamed(t, old, "a:1")); st.Checked != was.Checked || st.Accessed != was.Accessed || st.EffectiveWeight != was.EffectiveWeight {
		t.Errorf("a: state %+v, was %+v", st, was)
	}

	// The connections that started on the old group end on the new
	// counts; a failure among them counts there.
	for i := range as {
		o := Done
		if as[i].Current().Name == "b:1" {
			o = Failed
		}
		as[i].Release(o)
	}
	for _, p := range cur.Peers() {
		if st := cur.State(p); st.Conns != 0 {
			t.Errorf("%s: %d connections after every one ended", p.Name, st.Conns)
		}
	}
	if st := cur.State(peerNamed(t, cur, "b:1")); st.Fails != 1 {
		t.Errorf("b: %d failures, want the old request's 1", st.Fails)
	}
}

// TestInheritChain: two reloads in a row while a tunnel stays open on the
// first group; a retry on the old group counts on the newest group.
func TestInheritChain(t *testing.T) {
	c := newClock()
	u := ups(directives.BalanceRoundRobin, "a:1", "b:1")
	g1 := group(t, u, c)
	var tunnel, retry Attempt
	tunnel.Start(g1, Start{})
	if _, err := tunnel.Pick(); err != nil {
		t.Fatal(err)
	}
	retry.Start(g1, Start{})
	first, err := retry.Pick()
	if err != nil {
		t.Fatal(err)
	}
	g2 := group(t, u, c)
	g2.Inherit(g1)
	g3 := group(t, u, c)
	g3.Inherit(g2)

	total := func(g *Group) int {
		n := 0
		for _, p := range g.Peers() {
			n += g.State(p).Conns
		}
		return n
	}
	if n := total(g3); n != 2 {
		t.Fatalf("newest group counts %d connections, want 2", n)
	}
	retry.Release(Failed)
	if _, err := retry.Pick(); err != nil {
		t.Fatal(err)
	}
	if n := total(g3); n != 2 {
		t.Errorf("after a retry on the old group: %d connections, want 2", n)
	}
	if st := g3.State(peerNamed(t, g3, first.Name)); st.Fails != 1 {
		t.Errorf("%s: %d failures, want 1", first.Name, st.Fails)
	}
	retry.Release(Done)
	tunnel.Release(Done)
	if n := total(g3); n != 0 {
		t.Errorf("%d connections after all ended", n)
	}
}

// TestInheritConcurrent: requests on the old and the new group while the
// reload happens (run with -race): every connection is counted once.
func TestInheritConcurrent(t *testing.T) {
	c := newClock()
	u := ups(directives.BalanceLeastConn, "a:1 max_fails=0", "b:1 max_fails=0", "c:1 max_fails=0")
	old := group(t, u, c)
	cur := group(t, u, c)
	var wg sync.WaitGroup
	start := make(chan struct{})
	work := func(g *Group) {
		defer wg.Done()
		<-start
		var a Attempt
		for range 2000 {
			a.Start(g, Start{})
			if _, err := a.Pick(); err != nil {
				t.Error(err)
				return
			}
			a.Release(Done)
		}
	}
	for range 4 {
		wg.Add(1)
		go work(old)
	}
	close(start)
	cur.Inherit(old)
	for range 4 {
		wg.Add(1)
		go work(cur)
	}
	wg.Wait()
	for _, p := range cur.Peers() {
		if st := cur.State(p); st.Conns != 0 {
			t.Errorf("%s: %d connections counted after all ended", p.Name, st.Conns)
		}
	}
}
