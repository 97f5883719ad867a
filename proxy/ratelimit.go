package proxy

import (
	"time"

	"github.com/nginxws/nginxws/directives"
)

// rateLimit is a response's limit_rate state, nginx's r->limit_rate and
// r->limit_rate_after with their "_set" flags: a "set $limit_rate" or an
// upstream's X-Accel-Limit-Rate fixes the rate before the first write;
// otherwise the first write computes it from limit_rate.
type rateLimit struct {
	rate, after       int64
	rateSet, afterSet bool
	// delayedUntil is when the next write may go (nginx's write event
	// "delayed" with its timer): the pause owed for the bytes just sent
	// is taken before the next bytes, not after the last ones.
	delayedUntil time.Time
}

// setLimitRate fixes the request's rate (bytes per second; 0: none).
func (x *exchange) setLimitRate(n int64) {
	x.limit.rate, x.limit.rateSet = n, true
	x.info.LimitRate = n
}

// setLimitRateVar is $limit_rate's set handler
// (ngx_http_variable_set_limit_rate): a size, or an [error] and no change.
func (x *exchange) setLimitRateVar(v []byte) {
	n, ok := directives.ParseSize(v)
	if !ok {
		x.logEvent(levelError, `invalid $limit_rate "`+string(v)+`"`, "", "")
		return
	}
	x.setLimitRate(n)
}

// xAccelLimitRate applies an upstream's X-Accel-Limit-Rate
// (ngx_http_upstream_process_limit_rate): a number of bytes per second;
// anything else is ignored.
func (x *exchange) xAccelLimitRate(v []byte) {
	if n, ok := directives.Atoi(string(v)); ok {
		x.setLimitRate(n)
	}
}

// complexSize is ngx_http_complex_value_size: cv's value as a size, 0
// when unset or not a size (with nginx's [error] for the latter, the
// write filter's: "while sending response to client").
func (x *exchange) complexSize(cv *directives.Complex) int64 {
	if cv == nil {
		return 0
	}
	v := x.value(cv)
	n, ok := directives.ParseSize(v)
	if !ok {
		x.logEvent(levelError, `invalid size "`+string(v)+`"`, "", "sending response to client")
		return 0
	}
	return n
}

// paceWrite mirrors the rate limiting of ngx_http_write_filter before a
// write of want bytes: it waits out a pause owed, then returns how many
// bytes may go now (want when there is no limit). The allowance is
// rate × (whole seconds since the request started + 1), less what was
// sent beyond limit_rate_after; when it is used up, the write waits as
// long as nginx's timer would ((-allowance × 1000 / rate) + 1 ms).
func (x *exchange) paceWrite(want int) int {
	l := &x.limit
	if !l.rateSet {
		x.setLimitRate(x.complexSize(x.confOrServer().LimitRate))
	}
	if l.rate <= 0 {
		return want
	}
	if !l.afterSet {
		l.after, l.afterSet = x.complexSize(x.confOrServer().LimitRateAfter), true
	}
	for {
		if d := time.Until(l.delayedUntil); d > 0 {
			time.Sleep(d)
		}
		allowance := l.rate*(time.Now().Unix()-x.start.Unix()+1) - (x.bytesSent - l.after)
		if allowance > 0 {
			return int(min(allowance, int64(want)))
		}
		l.delayedUntil = time.Now().Add(time.Duration(-allowance*1000/l.rate+1) * time.Millisecond)
	}
}

// paced records a write of n bytes that began with before bytes sent: the
// next write waits n × 1000 / rate ms, counting only bytes past
// limit_rate_after (nginx's delay after send_chain).
func (x *exchange) paced(before int64) {
	l := &x.limit
	if l.rate <= 0 {
		return
	}
	sent, nsent := before, x.bytesSent
	if l.after > 0 {
		sent, nsent = max(sent-l.after, 0), max(nsent-l.after, 0)
	}
	if ms := (nsent - sent) * 1000 / l.rate; ms > 0 {
		l.delayedUntil = time.Now().Add(time.Duration(ms) * time.Millisecond)
	}
}
