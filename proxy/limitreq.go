package proxy

import (
	"container/list"
	"strconv"
	"sync"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// limitReqZone is a limit_req_zone's state: per value of its key, the
// excess of requests (in thousandths) as of the last one, nginx's leaky
// bucket. Like a limit_conn zone it outlives reloads that keep its name
// and key.
type limitReqZone struct {
	key   string
	mu    sync.Mutex
	nodes map[string]*reqNode
	// lru orders the nodes by last use, most recent first: the oldest
	// idle ones are dropped as new keys come (ngx_http_limit_req_expire).
	lru list.List
}

// reqNode is one key's bucket: excess in thousandths of a request, last
// the time of the last accounted request (ms on the zone clock), count
// the requests between lookup and accounting.
type reqNode struct {
	key          string
	excess, last int64
	count        int
	elem         *list.Element
}

// The results of a limit_req lookup (nginx's NGX_DECLINED, NGX_OK,
// NGX_AGAIN, NGX_BUSY).
const (
	reqDeclined = iota
	reqOK
	reqAgain
	reqBusy
	reqError
)

// $limit_req_status values.
const (
	reqPassed uint8 = iota + 1
	reqDelayed
	reqRejected
	reqDelayedDryRun
	reqRejectedDryRun
)

var limitReqStatusNames = [...]string{"", "PASSED", "DELAYED", "REJECTED", "DELAYED_DRY_RUN", "REJECTED_DRY_RUN"}

// lookup is ngx_http_limit_req_lookup: the key's excess now, BUSY past the
// burst; the last limit of a level accounts the request at once (OK), the
// others hold their node until ngx_http_limit_req_account (AGAIN).
func (z *limitReqZone) lookup(key string, lim *directives.LimitReq, now int64, account bool) (int, int64, *reqNode) {
	rate := lim.Zone.Rate
	if nd := z.nodes[key]; nd != nil {
		z.lru.MoveToFront(nd.elem)
		ms := elapsed(now, nd.last)
		excess := max(nd.excess-rate*ms/1000+1000, 0)
		if excess > lim.Burst {
			return reqBusy, excess, nil
		}
		if account {
			nd.excess = excess
			if ms != 0 {
				nd.last = now
			}
			return reqOK, excess, nil
		}
		nd.count++
		return reqAgain, excess, nd
	}
	z.expire(now, rate)
	if len(z.nodes) >= z.capacity(lim.Zone.Size) {
		// The zone is full: nginx frees the least recently used
		// bucket by force (ngx_http_limit_req_expire(ctx, 0)).
		if e := z.lru.Back(); e != nil && e.Value.(*reqNode).count == 0 {
			nd := e.Value.(*reqNode)
			z.lru.Remove(e)
			delete(z.nodes, nd.key)
		} else {
			return reqError, 0, nil
		}
	}
	nd := &reqNode{key: key}
	nd.elem = z.lru.PushFront(nd)
	z.nodes[key] = nd
	if account {
		nd.last = now
		return reqOK, 0, nil
	}
	nd.count = 1
	return reqAgain, 0, nd
}

// reqNodeSize is what one bucket takes of a zone in nginx on 64-bit
// platforms: the documentation's "about 8 thousand 128-byte states" per
// megabyte.
const reqNodeSize = 128

// capacity is how many buckets a zone of size bytes holds, so that a flood
// of new keys costs bounded memory, as nginx's shared memory does.
func (z *limitReqZone) capacity(size int64) int {
	return max(int(size/reqNodeSize), 1)
}

// elapsed is the milliseconds since last as nginx counts them: a clock
// that went back more than a minute counts 1, less, 0.
func elapsed(now, last int64) int64 {
	ms := now - last
	switch {
	case ms < -60000:
		return 1
	case ms < 0:
		return 0
	}
	return ms
}

// expire is ngx_http_limit_req_expire(ctx, 1): it drops up to two of the
// least recently used keys, if idle for a minute with their excess gone.
func (z *limitReqZone) expire(now, rate int64) {
	for range 2 {
		e := z.lru.Back()
		if e == nil {
			return
		}
		nd := e.Value.(*reqNode)
		if nd.count != 0 {
			return
		}
		ms := now - nd.last
		if ms < 0 {
			ms = -ms
		}
		if ms < 60000 || nd.excess-rate*ms/1000 > 0 {
			return
		}
		z.lru.Remove(e)
		delete(z.nodes, nd.key)
	}
}

// limitReq is the preaccess phase's ngx_http_limit_req_handler: once per
// request, the level's limit_req limits are looked up in order; past a
// burst the request gets limit_req_status (dry run: logged, let through);
// otherwise the request waits as long as the largest excess over a
// limit's delay asks, then goes on. It reports false when it answered the
// request.
func (x *exchange) limitReq() bool {
	limits := x.conf.LimitReqs
	if x.limitReqStatus != 0 || len(limits) == 0 {
		return true
	}
	now := x.c.s.limits.clock()
	held := make([]*reqNode, len(limits))
	zones := make([]*limitReqZone, len(limits))
	rc, excess := reqDeclined, int64(0)
	n := 0
	for n = 0; n < len(limits); n++ {
		lim := limits[n]
		key, ok := x.limitKey(lim.Zone.Key, 65535)
		if !ok {
			continue
		}
		z := x.rt.reqZones[lim.Zone]
		zones[n] = z
		z.mu.Lock()
		rc, excess, held[n] = z.lookup(string(key), lim, now, n == len(limits)-1)
		z.mu.Unlock()
		if rc != reqAgain {
			break
		}
	}
	if rc == reqDeclined {
		return true
	}
	dry := ""
	if x.conf.LimitReqDryRun {
		dry = ", dry run"
	}
	if rc == reqBusy || rc == reqError {
		// ngx_http_limit_req_unlock: the earlier limits' holds go.
		for i, nd := range held[:n] {
			if nd != nil {
				zones[i].mu.Lock()
				nd.count--
				zones[i].mu.Unlock()
			}
		}
		if rc == reqBusy {
			x.logEvent(errlog.Level(x.conf.LimitReqLogLevel), "limiting requests"+dry+", excess: "+milli(excess)+` by zone "`+limits[n].Zone.Name+`"`, "", "")
		} else {
			x.c.s.log.Alert().Msg(`could not allocate node in limit_req zone "` + limits[n].Zone.Name + `"`)
		}
		if x.conf.LimitReqDryRun {
			x.limitReqStatus = reqRejectedDryRun
			return true
		}
		x.limitReqStatus = reqRejected
		x.finalize(x.conf.LimitReqStatus)
		return false
	}
	if rc == reqAgain {
		excess = 0
	}
	// ngx_http_limit_req_account: the limit the loop stopped at, then
	// the earlier ones, which now account the request.
	cur := min(n, len(limits)-1)
	var delay int64
	if excess > limits[cur].Delay {
		delay = (excess - limits[cur].Delay) * 1000 / limits[cur].Zone.Rate
	}
	for i := n - 1; i >= 0; i-- {
		nd := held[i]
		if nd == nil {
			continue
		}
		zones[i].mu.Lock()
		ms := elapsed(now, nd.last)
		e := max(nd.excess-limits[i].Zone.Rate*ms/1000+1000, 0)
		if ms != 0 {
			nd.last = now
		}
		nd.excess = e
		nd.count--
		zones[i].mu.Unlock()
		if e <= limits[i].Delay {
			continue
		}
		if d := (e - limits[i].Delay) * 1000 / limits[i].Zone.Rate; d > delay {
			delay, excess, cur = d, e, i
		}
	}
	if delay == 0 {
		x.limitReqStatus = reqPassed
		return true
	}
	lvl := errlog.Level(x.conf.LimitReqLogLevel)
	if x.conf.LimitReqLogLevel != directives.LevelInfo {
		lvl++
	}
	x.logEvent(lvl, "delaying request"+dry+", excess: "+milli(excess)+`, by zone "`+limits[cur].Zone.Name+`"`, "", "")
	if x.conf.LimitReqDryRun {
		x.limitReqStatus = reqDelayedDryRun
		return true
	}
	x.limitReqStatus = reqDelayed
	return x.delayRequest(time.Duration(delay) * time.Millisecond)
}

// delayRequest waits out a limit_req delay. A client that closes its
// connection meanwhile ends the request at once with 499, as nginx's
// ngx_http_test_reading notices it; bytes it sends (a pipelined request)
// do not shorten the wait. It reports false when the request ended.
func (x *exchange) delayRequest(d time.Duration) bool {
	c := x.c
	end := time.Now().Add(d)
	saved := c.dl.read
	c.dl.setReadAt(c.nc, end)
	closed, watched := waitClientClose(c.sock)
	c.dl.setReadAt(c.nc, saved)
	if closed {
		x.logEvent(levelInfo, "client prematurely closed connection", sockErrText(c.sock), "")
		x.finalize(499)
		return false
	}
	if !watched {
		time.Sleep(d)
		return true
	}
	// The deadline came, or the client sent more: the rest of the
	// delay, if any, is slept.
	if left := time.Until(end); left > 0 {
		time.Sleep(left)
	}
	return true
}

// milli prints thousandths as nginx's "%ui.%03ui".
func milli(v int64) string {
	f := strconv.FormatInt(v%1000, 10)
	return strconv.FormatInt(v/1000, 10) + "." + "000"[len(f):] + f
}
