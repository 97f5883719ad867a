package upstream

import (
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// seq returns the given numbers in turn, for a deterministic random
// method.
func seq(xs ...uint64) func() uint64 {
	i := 0
	return func() uint64 {
		x := xs[i%len(xs)]
		i++
		return x
	}
}

func TestRandomRanges(t *testing.T) {
	// Weights 1, 3, 2: points 0 → a, 1..3 → b, 4..5 → c.
	u := ups(directives.BalanceRandom, "a:1", "b:1 weight=3", "c:1 weight=2")
	want := []string{"a:1", "b:1", "b:1", "b:1", "c:1", "c:1"}
	for x, w := range want {
		g := NewGroup(u, Options{Rand: seq(uint64(x) + 6*1000)})
		if got := pickOne(t, g, Start{}, Done); got != w {
			t.Errorf("random %d: %s, want %s", x, got, w)
		}
	}
}

func TestRandomSkipsAndRetries(t *testing.T) {
	u := ups(directives.BalanceRandom, "a:1 down", "b:1", "c:1")
	g := NewGroup(u, Options{Rand: seq(0, 0, 1, 1, 2)})
	var a Attempt
	a.Start(g, Start{Next: directives.NextError})
	p, _ := a.Pick() // 0 → a (down), 0 → a, 1 → b
	if p.Name != "b:1" || a.hashTries != 2 {
		t.Fatalf("%s after %d misses", p.Name, a.hashTries)
	}
	a.Fail(FailError)
	p, _ = a.Pick() // 1 → b (tried), 2 → c
	if p.Name != "c:1" || a.hashTries != 3 {
		t.Fatalf("retry: %s after %d misses", p.Name, a.hashTries)
	}
	a.Release(Done)
}

func TestRandomTwo(t *testing.T) {
	u := ups(directives.BalanceRandom, "a:1", "b:1", "c:1")
	u.RandomTwo = true
	g := NewGroup(u, Options{Rand: seq(0, 1)})
	var busy Attempt
	busy.Start(g, Start{}) // a, b → a tie keeps the second drawn (b)
	if p, _ := busy.Pick(); p.Name != "b:1" {
		t.Fatalf("tie: %s, want b", p.Name)
	}
	// b has a connection now: of a and b, a wins.
	if got := pickOne(t, g, Start{}, Done); got != "a:1" {
		t.Fatalf("b busy: %s, want a", got)
	}
	busy.Release(Done)
	// The same peer drawn twice is drawn again.
	g = NewGroup(u, Options{Rand: seq(2, 2, 2, 0)})
	if got := pickOne(t, g, Start{}, Done); got != "a:1" {
		t.Fatalf("c, c, c, a: %s, want a (tie)", got)
	}
}
