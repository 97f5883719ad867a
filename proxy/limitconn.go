package proxy

import (
	"strconv"
	"sync"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// limitZone is a limit_conn_zone's state: how many requests each value of
// its key has in flight. It outlives reloads that keep the zone's name
// and key, as nginx's shared memory zone does, so that requests and
// tunnels begun under an older configuration are still counted.
type limitZone struct {
	key    string // the key as written, which a reload may not change
	mu     sync.Mutex
	counts map[string]int32
}

// limitZones are a Server's limit_conn and limit_req zones by name (each
// zone has its own lock, as nginx's shared zones do).
type limitZones struct {
	mu       sync.Mutex
	zones    map[string]*limitZone
	reqZones map[string]*limitReqZone
	// epoch starts the limit_req clock (clock).
	epoch time.Time
}

// clock is limit_req's clock in milliseconds, monotonic. Like nginx's
// ngx_current_msec it is far from zero, so that a bucket made with no
// time yet (last 0) has drained by its first accounting.
func (lz *limitZones) clock() int64 {
	return time.Since(lz.epoch).Milliseconds() + 1<<40
}

// zoneDecl is a zone as the configuration declares it (limit_conn_zone,
// limit_req_zone); zoneState is its state here, made for one key.
type (
	zoneDecl interface {
		comparable
		Common() *directives.LimitZone
	}
	zoneState interface{ zoneKey() string }
)

func (z *limitZone) zoneKey() string    { return z.key }
func (z *limitReqZone) zoneKey() string { return z.key }

// check reports nginx's error for a configuration whose zone of a known
// name has another key (ngx_http_limit_conn_init_zone,
// ngx_http_limit_req_init_zone): such a reload fails.
func (lz *limitZones) check(cfg *directives.Config) error {
	if cfg.HTTP == nil {
		return nil
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	if err := keyChanged(lz.zones, cfg.HTTP.LimitConnZones, "limit_conn_zone"); err != nil {
		return err
	}
	return keyChanged(lz.reqZones, cfg.HTTP.LimitReqZones, "limit_req")
}

// keyChanged is check for one kind of zone.
func keyChanged[Z zoneDecl, S zoneState](states map[string]S, zones []Z, directive string) error {
	for _, z := range zones {
		c := z.Common()
		if old, ok := states[c.Name]; ok && old.zoneKey() != c.Key.Raw {
			return &limitKeyError{directive: directive, name: c.Name, key: c.Key.Raw, old: old.zoneKey()}
		}
	}
	return nil
}

// limitKeyError is ngx_http_limit_conn_init_zone's and
// ngx_http_limit_req_init_zone's [emerg].
type limitKeyError struct{ directive, name, key, old string }

func (e *limitKeyError) Error() string {
	return e.directive + ` "` + e.name + `" uses the "` + e.key + `" key while previously it used the "` + e.old + `" key`
}

// bind returns the state of each limit_conn zone of cfg, made on first
// use.
func (lz *limitZones) bind(cfg *directives.Config) map[*directives.LimitConnZone]*limitZone {
	if cfg.HTTP == nil {
		return nil
	}
	return bindZones(lz, &lz.zones, cfg.HTTP.LimitConnZones, func(key string) *limitZone {
		return &limitZone{key: key, counts: map[string]int32{}}
	})
}

// bindReq is bind for the limit_req zones.
func (lz *limitZones) bindReq(cfg *directives.Config) map[*directives.LimitReqZone]*limitReqZone {
	if cfg.HTTP == nil {
		return nil
	}
	return bindZones(lz, &lz.reqZones, cfg.HTTP.LimitReqZones, func(key string) *limitReqZone {
		return &limitReqZone{key: key, nodes: map[string]*reqNode{}}
	})
}

// bindZones returns the state of each zone: the one kept under its name
// when the key is the same (a reload keeps nginx's shared zone and its
// counts), else a fresh one made by fresh, which replaces it.
func bindZones[Z zoneDecl, S zoneState](lz *limitZones, states *map[string]S, zones []Z, fresh func(key string) S) map[Z]S {
	if len(zones) == 0 {
		return nil
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	if *states == nil {
		*states = map[string]S{}
	}
	out := make(map[Z]S, len(zones))
	for _, z := range zones {
		c := z.Common()
		st, ok := (*states)[c.Name]
		if !ok || st.zoneKey() != c.Key.Raw {
			st = fresh(c.Key.Raw)
			(*states)[c.Name] = st
		}
		out[z] = st
	}
	return out
}

// limitHold is one count a request holds in a zone until it ends.
type limitHold struct {
	zone *limitZone
	key  string
}

// release gives the count back.
func (h limitHold) release() {
	h.zone.mu.Lock()
	if n := h.zone.counts[h.key] - 1; n > 0 {
		h.zone.counts[h.key] = n
	} else {
		delete(h.zone.counts, h.key)
	}
	h.zone.mu.Unlock()
}

// $limit_conn_status values (r->main->limit_conn_status).
const (
	limitNone uint8 = iota
	limitPassed
	limitRejected
	limitRejectedDryRun
)

var limitStatusNames = [...]string{"", "PASSED", "REJECTED", "REJECTED_DRY_RUN"}

// limitConn is the preaccess phase's ngx_http_limit_conn_handler: once per
// request, each limit_conn of the level counts the request under its
// key's value, or, at the limit, rejects it with limit_conn_status (dry
// run: logs and lets it through). It reports false when it answered the
// request.
func (x *exchange) limitConn() bool {
	if x.limitStatus != limitNone || len(x.conf.LimitConns) == 0 {
		return true
	}
	for _, lc := range x.conf.LimitConns {
		zone := x.rt.limitZones[lc.Zone]
		key, ok := x.limitKey(lc.Zone.Key, 255)
		if !ok {
			continue
		}
		x.limitStatus = limitPassed
		k := string(key)
		zone.mu.Lock()
		n := zone.counts[k]
		if int(n) >= lc.Conn {
			zone.mu.Unlock()
			dry := ""
			if x.conf.LimitConnDryRun {
				dry = ", dry run,"
			}
			x.logEvent(errlog.Level(x.conf.LimitConnLogLevel), "limiting connections"+dry+` by zone "`+lc.Zone.Name+`"`, "", "")
			x.releaseLimits()
			if x.conf.LimitConnDryRun {
				x.limitStatus = limitRejectedDryRun
				return true
			}
			x.limitStatus = limitRejected
			x.finalize(x.conf.LimitConnStatus)
			return false
		}
		zone.counts[k] = n + 1
		zone.mu.Unlock()
		x.limitHeld = append(x.limitHeld, limitHold{zone: zone, key: k})
	}
	return true
}

// limitKey is a limit's key for the request, as limit_conn and limit_req
// take it: an empty value is not counted, a longer one than max bytes is
// logged and skipped.
func (x *exchange) limitKey(key *directives.Complex, max int) ([]byte, bool) {
	v := x.value(key)
	if len(v) == 0 {
		return nil, false
	}
	if len(v) > max {
		x.logEvent(levelError, `the value of the "`+key.Raw+`" key is more than `+strconv.Itoa(max)+` bytes: "`+string(v)+`"`, "", "")
		return nil, false
	}
	return v, true
}

// releaseLimits gives back the counts the request holds: at its end
// (nginx's pool cleanup), or all at once when one limit rejected it.
func (x *exchange) releaseLimits() {
	for _, h := range x.limitHeld {
		h.release()
	}
	clear(x.limitHeld)
	x.limitHeld = x.limitHeld[:0]
}

// handLimitsTo makes the tunnel the request became hold the request's
// counts until it ends: a WebSocket counts against limit_conn for as long
// as it lives, as in nginx, where the request is not freed before.
func (x *exchange) handLimitsTo(t *tunnel) {
	for _, h := range x.limitHeld {
		t.onEnd(h.release)
	}
	clear(x.limitHeld)
	x.limitHeld = x.limitHeld[:0]
}
