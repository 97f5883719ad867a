package upstream

import (
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

func threePeers(t *testing.T, c *clock) *Group {
	return group(t, ups(directives.BalanceRoundRobin, "a:1", "b:1", "c:1"), c)
}

func TestFailStatuses(t *testing.T) {
	for f, want := range map[Failure]int{
		FailError: 502, FailTimeout: 504, FailInvalidHeader: 502, FailHTTP500: 500,
		FailHTTP502: 502, FailHTTP503: 503, FailHTTP504: 504, FailHTTP403: 403,
		FailHTTP404: 404, FailHTTP429: 429, FailNoLive: 502,
	} {
		if got := f.Status(); got != want {
			t.Errorf("%#x: %d, want %d", f, got, want)
		}
	}
}

// TestFailTries: every peer is tried once, then nginx gives up with the
// last failure's status.
func TestFailTries(t *testing.T) {
	c := newClock()
	g := threePeers(t, c)
	var a Attempt
	a.Start(g, Start{Next: directives.NextError | directives.NextTimeout})
	var seen []string
	for {
		p, err := a.Pick()
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, p.Name)
		retry, status, disabled := a.Fail(FailTimeout)
		if !disabled {
			t.Errorf("%s not disabled after max_fails=1", p.Name)
		}
		if !retry {
			if status != 504 {
				t.Fatalf("gave up with %d, want 504", status)
			}
			break
		}
	}
	if len(seen) != 3 {
		t.Fatalf("tried %v, want all three", seen)
	}
	// All failed now: the next request finds no live upstream.
	var b Attempt
	b.Start(g, Start{Next: directives.NextError})
	if _, err := b.Pick(); err != ErrNoLive {
		t.Fatalf("%v, want ErrNoLive", err)
	}
	if retry, status, _ := b.Fail(FailNoLive); retry || status != 502 {
		t.Fatalf("no live: retry %v status %d", retry, status)
	}
}

func TestFailPolicy(t *testing.T) {
	cases := []struct {
		name          string
		start         Start
		sent, noBuf   bool
		f             Failure
		elapse        time.Duration
		retry         bool
		cappedAtTries int
	}{
		{name: "error retried", start: Start{Next: directives.NextError}, f: FailError, retry: true},
		{name: "timeout not configured", start: Start{Next: directives.NextError}, f: FailTimeout},
		{name: "off", start: Start{Next: directives.NextOff}, f: FailError},
		{name: "POST not sent", start: Start{Next: directives.NextError, NonIdempotent: true}, f: FailError, retry: true},
		{name: "POST sent", start: Start{Next: directives.NextError, NonIdempotent: true}, sent: true, f: FailError},
		{name: "POST sent non_idempotent", start: Start{Next: directives.NextError | directives.NextNonIdempotent, NonIdempotent: true}, sent: true, f: FailError, retry: true},
		{name: "GET sent", start: Start{Next: directives.NextError}, sent: true, f: FailError, retry: true},
		{name: "streamed body sent", start: Start{Next: directives.NextError}, sent: true, noBuf: true, f: FailError},
		{name: "timeout passed", start: Start{Next: directives.NextError, Timeout: time.Second}, elapse: time.Second, f: FailError},
		{name: "timeout not passed", start: Start{Next: directives.NextError, Timeout: time.Second}, elapse: 999 * time.Millisecond, f: FailError, retry: true},
		{name: "tries 1", start: Start{Next: directives.NextError, Tries: 1}, f: FailError},
		{name: "no live", start: Start{Next: directives.NextError | directives.NextTimeout}, f: FailNoLive},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			g := threePeers(t, c)
			var a Attempt
			a.Start(g, tc.start)
			if _, err := a.Pick(); err != nil {
				t.Fatal(err)
			}
			if tc.sent {
				a.MarkSent(tc.noBuf)
			}
			c.add(tc.elapse)
			if retry, _, _ := a.Fail(tc.f); retry != tc.retry {
				t.Fatalf("retry %v, want %v", retry, tc.retry)
			}
		})
	}
}

// TestRetryStatus: a status proxy_next_upstream names is retried only
// with more than one try left; 403 and 404 do not count as failures.
func TestRetryStatus(t *testing.T) {
	c := newClock()
	g := group(t, ups(directives.BalanceRoundRobin, "a:1", "b:1"), c)
	var a Attempt
	a.Start(g, Start{Next: directives.NextError | directives.NextHTTP404 | directives.NextHTTP503})
	p, _ := a.Pick()
	if retryStatus(&a, 500) {
		t.Fatal("500 retried without http_500")
	}
	if !retryStatus(&a, 404) {
		t.Fatal("404 not retried with http_404")
	}
	if st := g.State(p); st.Fails != 0 {
		t.Fatalf("404 counted as a failure: %+v", st)
	}
	q, _ := a.Pick()
	if q == p {
		t.Fatal("retried on the same peer")
	}
	if retryStatus(&a, 503) {
		t.Fatal("503 retried with one try left (nginx passes the last answer on)")
	}
	a.Release(Done)
	if st := g.State(q); st.Fails != 0 {
		t.Fatalf("the passed-on 503 counted as a failure: %+v", st)
	}

	// A 503 that is retried counts.
	var b Attempt
	b.Start(g, Start{Next: directives.NextHTTP503})
	p, _ = b.Pick()
	if !retryStatus(&b, 503) {
		t.Fatal("503 not retried")
	}
	if st := g.State(p); st.Fails != 1 {
		t.Fatalf("retried 503 not counted: %+v", st)
	}
	b.Pick()
	b.Release(Done)
}

// TestCachedErrorKeepsTry: an error on a pooled connection gives the try
// back, so a lone peer is tried again on a fresh connection.
func TestCachedErrorKeepsTry(t *testing.T) {
	c := newClock()
	g := group(t, ups(directives.BalanceRoundRobin, "a:1", "b:1"), c)
	var a Attempt
	a.Start(g, Start{Next: directives.NextError, Tries: 1})
	if _, err := a.Pick(); err != nil {
		t.Fatal(err)
	}
	a.cached = true
	a.MarkSent(false)
	if retry, _, _ := a.Fail(FailError); !retry {
		t.Fatal("error on a pooled connection not retried")
	}
	if a.TriesLeft() != 1 {
		t.Fatalf("tries %d, want 1", a.TriesLeft())
	}
	if _, err := a.Pick(); err != nil {
		t.Fatal(err)
	}
	if a.Cached() {
		t.Fatal("Pick kept the cached flag of the previous try")
	}
	if retry, _, _ := a.Fail(FailTimeout); retry {
		t.Fatal("fresh connection's timeout retried past proxy_next_upstream_tries")
	}
}

// retryStatus is RetryStatus's first result.
func retryStatus(a *Attempt, status int) bool {
	retry, _ := a.RetryStatus(status)
	return retry
}
