package upstream

import (
	"strings"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// TestRoundRobinSmooth checks nginx's smooth weighted sequence: weights
// 5, 1, 1 give a a b a c a a (the example of nginx's commit 52327e0627f4),
// repeating.
func TestRoundRobinSmooth(t *testing.T) {
	c := newClock()
	g := group(t, ups(directives.BalanceRoundRobin, "a:1 weight=5", "b:1", "c:1"), c)
	var got []string
	for i := 0; i < 14; i++ {
		got = append(got, strings.TrimSuffix(pickOne(t, g, Start{}, Done), ":1"))
	}
	want := "a a b a c a a a a b a c a a"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("sequence %q, want %q", s, want)
	}
}

// refSmooth is an independent model of smooth weighted round robin
// without failures, to compare long sequences against.
func refSmooth(weights []int, n int) []int {
	cur := make([]int, len(weights))
	total := 0
	for _, w := range weights {
		total += w
	}
	var out []int
	for ; n > 0; n-- {
		best := -1
		for i, w := range weights {
			cur[i] += w
			if best < 0 || cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out = append(out, best)
	}
	return out
}

func TestRoundRobinMatchesModel(t *testing.T) {
	weights := []int{3, 1, 4, 1, 5, 9, 2, 6}
	var specs []string
	for i, w := range weights {
		specs = append(specs, "p"+string(rune('a'+i))+":80 weight="+string(rune('0'+w)))
	}
	g := group(t, ups(directives.BalanceRoundRobin, specs...), newClock())
	peers := g.Peers()
	for i, want := range refSmooth(weights, 500) {
		if got := pickOne(t, g, Start{}, Done); got != peers[want].Name {
			t.Fatalf("pick %d: %s, want %s", i, got, peers[want].Name)
		}
	}
}

// TestRoundRobinFailure follows a failing peer through nginx's
// accounting: out of rotation for fail_timeout after max_fails failures,
// then tried again, its effective weight recovering step by step.
func TestRoundRobinFailure(t *testing.T) {
	c := newClock()
	g := group(t, ups(directives.BalanceRoundRobin, "a:1 max_fails=2 fail_timeout=30 weight=4", "b:1"), c)
	a := g.Peers()[0]

	var at Attempt
	at.Start(g, Start{Next: directives.NextError})
	p, _ := at.Pick()
	if p != a {
		t.Fatalf("first pick %s, want a", p.Name)
	}
	if disabled := at.Release(Failed); disabled {
		t.Fatal("one failure of two disabled the peer")
	}
	st := g.State(a)
	if st.Fails != 1 || st.EffectiveWeight != 2 || st.Checked != c.now().Unix() {
		t.Fatalf("after a failure: %+v", st)
	}
	// a's current weight is -1 and its effective weight 2 (then 3): b
	// (current 1 + 1) wins the next pick, a the one after.
	if got := pickOne(t, g, Start{}, Done); got != "b:1" {
		t.Fatalf("second pick %s, want b", got)
	}
	at.Start(g, Start{})
	p, _ = at.Pick()
	if p != a {
		t.Fatalf("third pick %s, want a (one failure of two)", p.Name)
	}
	if !at.Release(Failed) {
		t.Fatal("second failure did not disable the peer")
	}
	for i := 0; i < 5; i++ {
		if got := pickOne(t, g, Start{}, Done); got != "b:1" {
			t.Fatalf("pick %d within fail_timeout: %s", i, got)
		}
	}
	c.add(30 * time.Second)
	if got := pickOne(t, g, Start{}, Done); got != "b:1" {
		t.Fatalf("at exactly fail_timeout: %s, want b (nginx waits for now-checked > fail_timeout)", got)
	}
	c.add(time.Second)
	// a is back: its current weight 0 + effective 2 beats b's 0 + 1.
	at.Start(g, Start{})
	if p, _ := at.Pick(); p != a {
		t.Fatalf("first pick after the window: %s, want a", p.Name)
	}
	if st := g.State(a); st.Fails != 2 || st.EffectiveWeight != 3 || st.Checked != c.now().Unix() {
		t.Fatalf("a chosen after the window: %+v (a new window starts)", st)
	}
	at.Release(Done)
	if st := g.State(a); st.Fails != 0 {
		t.Fatalf("a success after the window left fails=%d, want 0", st.Fails)
	}
}

func TestRoundRobinBackup(t *testing.T) {
	c := newClock()
	g := group(t, ups(directives.BalanceRoundRobin, "a:1", "b:1 down", "x:1 backup", "y:1 backup"), c)
	for i := 0; i < 3; i++ {
		if got := pickOne(t, g, Start{}, Done); got != "a:1" {
			t.Fatalf("pick %d: %s, want a (b is down)", i, got)
		}
	}
	var at Attempt
	at.Start(g, Start{Next: directives.NextError})
	if at.TriesLeft() != 3 {
		t.Fatalf("tries %d, want 3 (a, x, y; down b does not count)", at.TriesLeft())
	}
	if p, _ := at.Pick(); p.Name != "a:1" {
		t.Fatalf("got %s", p.Name)
	}
	if retry, _, _ := at.Fail(FailError); !retry {
		t.Fatal("no retry after a's error")
	}
	p, _ := at.Pick()
	if p == nil || !p.Backup {
		t.Fatalf("after the primary failed: %v, want a backup", p)
	}
	at.Release(Done)
	// a is now failed: every request goes to the backups, alternately.
	got := pickOne(t, g, Start{}, Done) + " " + pickOne(t, g, Start{}, Done)
	if got != "y:1 x:1" && got != "x:1 y:1" {
		t.Fatalf("backups: %s", got)
	}
}

func TestRoundRobinSingle(t *testing.T) {
	g := group(t, ups(directives.BalanceRoundRobin, "a:1"), newClock())
	var at Attempt
	at.Start(g, Start{Next: directives.NextError | directives.NextTimeout})
	p, err := at.Pick()
	if err != nil || p.Name != "a:1" {
		t.Fatal(p, err)
	}
	retry, status, disabled := at.Fail(FailTimeout)
	if retry || status != 504 || disabled {
		t.Fatalf("single peer: retry %v status %d disabled %v", retry, status, disabled)
	}
	if st := g.State(p); st.Fails != 0 || st.Conns != 0 {
		t.Fatalf("single peer state after failure: %+v (nginx counts no failure)", st)
	}
}

func TestMaxConns(t *testing.T) {
	g := group(t, ups(directives.BalanceRoundRobin, "a:1 max_conns=1", "b:1 max_conns=1"), newClock())
	var x, y, z Attempt
	x.Start(g, Start{})
	y.Start(g, Start{})
	z.Start(g, Start{})
	px, _ := x.Pick()
	py, _ := y.Pick()
	if px == py {
		t.Fatal("both requests on one max_conns=1 peer")
	}
	if _, err := z.Pick(); err != ErrNoLive {
		t.Fatalf("third concurrent request: %v, want ErrNoLive", err)
	}
	x.Release(Done)
	if p, err := z.Pick(); err != nil || p != px {
		t.Fatalf("after a release: %v %v", p, err)
	}
}
