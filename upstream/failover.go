package upstream

import (
	"github.com/nginxws/nginxws/directives"
)

// Failure is why a try of a peer failed: one of nginx's
// NGX_HTTP_UPSTREAM_FT_* conditions, which proxy_next_upstream names.
type Failure uint32

// The failures. Their bits are proxy_next_upstream's
// (directives.NextUpstream), so that a configured set tests them
// directly; FailNoLive is nginx's FT_NOLIVE, which no configuration
// retries.
const (
	FailError         = Failure(directives.NextError)
	FailTimeout       = Failure(directives.NextTimeout)
	FailInvalidHeader = Failure(directives.NextInvalidHeader)
	FailHTTP500       = Failure(directives.NextHTTP500)
	FailHTTP502       = Failure(directives.NextHTTP502)
	FailHTTP503       = Failure(directives.NextHTTP503)
	FailHTTP504       = Failure(directives.NextHTTP504)
	FailHTTP403       = Failure(directives.NextHTTP403)
	FailHTTP404       = Failure(directives.NextHTTP404)
	FailHTTP429       = Failure(directives.NextHTTP429)
	FailNoLive        = Failure(1 << 30)

	failNonIdempotent = Failure(directives.NextNonIdempotent)
)

// statusFailures are the response statuses proxy_next_upstream can skip
// (ngx_http_upstream_next_errors), in nginx's order.
var statusFailures = [...]struct {
	status int
	f      Failure
}{
	{500, FailHTTP500}, {502, FailHTTP502}, {503, FailHTTP503}, {504, FailHTTP504},
	{403, FailHTTP403}, {404, FailHTTP404}, {429, FailHTTP429},
}

// Status is the status nginx answers with when it gives up after f, and
// the status $upstream_status shows for the failed try.
func (f Failure) Status() int {
	switch f {
	case FailTimeout, FailHTTP504:
		return 504
	case FailHTTP500:
		return 500
	case FailHTTP503:
		return 503
	case FailHTTP403:
		return 403
	case FailHTTP404:
		return 404
	case FailHTTP429:
		return 429
	}
	return 502
}

// RetryStatus is ngx_http_upstream_test_next: when the current peer
// answered with a status that proxy_next_upstream names, and another try
// is allowed (more than one try left, the request may be repeated, the
// timeout has not passed), it releases the peer as failed (as next for 403
// and 404) and returns true: the caller drops the response and picks
// again; disabled reports the peer's being taken out of rotation.
// Otherwise it returns false and the response is the answer.
func (a *Attempt) RetryStatus(status int) (retry, disabled bool) {
	for _, sf := range statusFailures {
		if sf.status != status {
			continue
		}
		mask := sf.f
		if a.sent && a.nonIdempotent {
			mask |= failNonIdempotent
		}
		if a.tries > 1 && a.allows(mask) && !(a.sent && a.noBuffering) && !a.timedOut() {
			retry, _, disabled = a.Fail(sf.f)
			return retry, disabled
		}
		return false, false
	}
	return false, false
}

// Fail is ngx_http_upstream_next: the current peer (if any) is released
// as failed (403 and 404 as next), and the request goes on to another peer
// when proxy_next_upstream names f, tries are left, a request already sent
// is repeatable (idempotent, or non_idempotent configured, and its body
// not streamed) and proxy_next_upstream_timeout has not passed. Otherwise
// retry is false and status is what nginx answers with. A try on a pooled
// connection that failed with an error does not use up a try, so that a
// connection the upstream closed is retried on a fresh one. disabled
// reports the peer's being taken out of rotation.
func (a *Attempt) Fail(f Failure) (retry bool, status int, disabled bool) {
	if a.current != nil {
		o := Failed
		if f == FailHTTP403 || f == FailHTTP404 {
			o = Next
		}
		disabled = a.Release(o)
	}
	if a.cached && f == FailError {
		a.tries++
	}
	status = f.Status()
	mask := f
	if a.sent && a.nonIdempotent {
		mask |= failNonIdempotent
	}
	if a.tries == 0 || !a.allows(mask) || (a.sent && a.noBuffering) || a.timedOut() {
		return false, status, disabled
	}
	a.nowOK = false // the next choice reads the clock afresh
	return true, status, disabled
}

// allows reports whether proxy_next_upstream names every condition of
// mask.
func (a *Attempt) allows(mask Failure) bool {
	return Failure(a.next)&mask == mask
}

// timedOut reports whether proxy_next_upstream_timeout has passed since
// the request started.
func (a *Attempt) timedOut() bool {
	t := a.timeout
	return t > 0 && a.g.now().Sub(a.start) >= t
}
