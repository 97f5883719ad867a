package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// LimitReqZone is a limit_req_zone: the value whose requests are counted,
// the zone's name and size, and its rate in requests per 1000 seconds
// (nginx's ctx->rate: "1r/m" is 16).
type LimitReqZone struct {
	LimitZone
	Rate int64
}

// LimitReq is one limit_req: the zone, and burst and delay in thousandths
// of a request (nginx's limit->burst and limit->delay; nodelay is a delay
// no excess reaches).
type LimitReq struct {
	Zone         *LimitReqZone
	Burst, Delay int64
	zoneName     string
}

// noDelay is nodelay's delay (NGX_MAX_INT_T_VALUE / 1000, in thousandths).
const noDelay = (1<<63 - 1) / 1000 * 1000

// setLimitReqZone reproduces ngx_http_limit_req_zone.
func (l *loader) setLimitReqZone(d *parser.Directive, _ *scope) error {
	key, err := l.compileComplex(d, d.Args[0].Value)
	if err != nil {
		return err
	}
	var name string
	var size int64
	rate, scale := int64(1), int64(1)
	for _, a := range d.Args[1:] {
		v := a.Value
		switch {
		case strings.HasPrefix(v, "zone="):
			if name, size, err = l.zoneParam(d, v); err != nil {
				return err
			}
		case strings.HasPrefix(v, "rate="):
			n := v[5:]
			if strings.HasSuffix(v, "r/s") && len(v) >= 8 {
				n = v[5 : len(v)-3]
			} else if strings.HasSuffix(v, "r/m") && len(v) >= 8 {
				n, scale = v[5:len(v)-3], 60
			}
			r, ok := Atoi(n)
			if !ok || r <= 0 {
				return l.errf(d, `invalid rate "%s"`, v)
			}
			rate = r
		default:
			return l.errf(d, `invalid parameter "%s"`, v)
		}
	}
	if name == "" {
		return l.errf(d, `"%s" must have "zone" parameter`, d.Name)
	}
	sz, err := l.http.limits.add(l, d, name, size, "limit_req")
	if err != nil {
		return err
	}
	if sz.req != nil {
		return l.errf(d, `%s "%s" is already bound to key "%s"`, d.Name, name, sz.req.Key.Raw)
	}
	sz.req = &LimitReqZone{LimitZone: LimitZone{Name: name, Key: key, Size: size, Pos: d.Pos}, Rate: rate * 1000 / scale}
	for _, lr := range l.http.reqRefs[name] {
		lr.Zone = sz.req
	}
	return nil
}

// setLimitReq reproduces ngx_http_limit_req.
func (l *loader) setLimitReq(d *parser.Directive, sc *scope) error {
	var sz *sharedZone
	var name string
	var burst, delay int64
	for _, a := range d.Args {
		v := a.Value
		switch {
		case strings.HasPrefix(v, "zone="):
			var err error
			name = v[5:]
			if sz, err = l.http.limits.add(l, d, name, 0, "limit_req"); err != nil {
				return err
			}
		case strings.HasPrefix(v, "burst="):
			n, ok := Atoi(v[6:])
			if !ok || n <= 0 {
				return l.errf(d, `invalid burst value "%s"`, v)
			}
			burst = n
		case strings.HasPrefix(v, "delay="):
			n, ok := Atoi(v[6:])
			if !ok || n <= 0 {
				return l.errf(d, `invalid delay value "%s"`, v)
			}
			delay = n
		case v == "nodelay":
			delay = noDelay / 1000
		default:
			return l.errf(d, `invalid parameter "%s"`, v)
		}
	}
	if sz == nil {
		return l.errf(d, `"%s" must have "zone" parameter`, d.Name)
	}
	for _, lr := range sc.loc.LimitReqs {
		if lr.zoneName == name {
			return l.dup(d)
		}
	}
	lr := &LimitReq{Zone: sz.req, Burst: burst * 1000, Delay: delay * 1000, zoneName: name}
	if sz.req == nil {
		l.http.reqRefs[name] = append(l.http.reqRefs[name], lr)
	}
	sc.loc.LimitReqs = append(sc.loc.LimitReqs, lr)
	return nil
}

// limitLogLevel reads limit_conn_log_level and limit_req_log_level:
// info, notice, warn or error.
func limitLogLevel(field func(*LocConf) *LogLevel) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		v := d.Args[0].Value
		switch lowerString(v) {
		case "info":
			*field(sc.loc) = LevelInfo
		case "notice":
			*field(sc.loc) = LevelNotice
		case "warn":
			*field(sc.loc) = LevelWarn
		case "error":
			*field(sc.loc) = LevelError
		default:
			return l.errf(d, `invalid value "%s"`, v)
		}
		return nil
	}
}

// numBetween is ngx_conf_set_num_slot with a bounds check after it (as
// limit_req_status's and gzip_comp_level's post handlers do): a number
// from lo to hi, set into field of the level.
func numBetween(lo, hi int64, field func(*LocConf) *int) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		n, err := l.num(d)
		if err != nil {
			return err
		}
		if n < lo || n > hi {
			return l.errf(d, "value must be between %d and %d", lo, hi)
		}
		*field(sc.loc) = int(n)
		return nil
	}
}
