package directives

import (
	"errors"
	"strings"
	"time"

	"github.com/nginxws/nginxws/parser"
)

// Generic setters for the common value kinds, reproducing nginx's
// ngx_conf_set_*_slot functions: a second occurrence at one level is
// "is duplicate", a bad value is "invalid value" (or "invalid number").

// locMsec sets a time value (ngx_conf_set_msec_slot) of the level.
func locMsec(field func(*LocConf) *time.Duration) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		v, ok := parseMsec(d.Args[0].Value)
		if !ok {
			return l.invalid(d)
		}
		*field(sc.loc) = v
		return nil
	}
}

// locNum sets a number (ngx_conf_set_num_slot): anything ngx_atoi reads
// into an ngx_int_t, up to 9223372036854775807 on a 64-bit build.
func locNum(field func(*LocConf) *int) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		n, ok := Atoi(d.Args[0].Value)
		if !ok || int64(int(n)) != n {
			return l.errf(d, `"%s" directive invalid number`, d.Name)
		}
		*field(sc.loc) = int(n)
		return nil
	}
}

// locSize sets a size (ngx_conf_set_size_slot).
func locSize(field func(*LocConf) *int64) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		n, ok := parseSize(d.Args[0].Value)
		if !ok {
			return l.invalid(d)
		}
		*field(sc.loc) = n
		return nil
	}
}

// locBufs sets a "number size" pair (ngx_conf_set_bufs_slot).
func locBufs(field func(*LocConf) *Bufs) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		b, ok := parseBufs(d)
		if !ok {
			return l.invalid(d)
		}
		*field(sc.loc) = b
		return nil
	}
}

// locString sets a string as written (ngx_conf_set_str_slot).
func locString(field func(*LocConf) *string) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		*field(sc.loc) = d.Args[0].Value
		return nil
	}
}

// locEnum sets one of vals, matched without regard to case and stored as
// written in vals (ngx_conf_set_enum_slot).
func locEnum(field func(*LocConf) *string, vals ...string) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		for _, v := range vals {
			if strings.EqualFold(d.Args[0].Value, v) {
				*field(sc.loc) = v
				return nil
			}
		}
		return l.errf(d, `invalid value "%s"`, d.Args[0].Value)
	}
}

// locFlag sets an on|off value (ngx_conf_set_flag_slot).
func locFlag(field func(*LocConf) *bool) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		v, err := l.flag(d)
		if err != nil {
			return err
		}
		*field(sc.loc) = v
		return nil
	}
}

// srvMsec, srvSize and srvFlag are the same for server-level settings.
func srvMsec(field func(*ServerConf) *time.Duration) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.srvConf.mark(d.Name) {
			return l.dup(d)
		}
		v, ok := parseMsec(d.Args[0].Value)
		if !ok {
			return l.invalid(d)
		}
		*field(sc.srvConf) = v
		return nil
	}
}

func srvSize(field func(*ServerConf) *int64) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.srvConf.mark(d.Name) {
			return l.dup(d)
		}
		n, ok := parseSize(d.Args[0].Value)
		if !ok {
			return l.invalid(d)
		}
		*field(sc.srvConf) = n
		return nil
	}
}

// srvNum is ngx_conf_set_num_slot for a ServerConf field.
func srvNum(field func(*ServerConf) *int64) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.srvConf.mark(d.Name) {
			return l.dup(d)
		}
		n, err := l.num(d)
		if err != nil {
			return err
		}
		*field(sc.srvConf) = n
		return nil
	}
}

func srvFlag(field func(*ServerConf) *bool) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.srvConf.mark(d.Name) {
			return l.dup(d)
		}
		v, err := l.flag(d)
		if err != nil {
			return err
		}
		*field(sc.srvConf) = v
		return nil
	}
}

// keepaliveDisableNames are keepalive_disable's values, in the order of
// the bits bitmask gives them.
var keepaliveDisableNames = []string{"none", "msie6", "safari"}

// setKeepaliveDisable is ngx_conf_set_bitmask_slot for keepalive_disable:
// the level's lines add up (a name given twice is warned about), and the
// level's value replaces the inherited one.
func (l *loader) setKeepaliveDisable(d *parser.Directive, sc *scope) error {
	if !sc.loc.mark(d.Name) {
		sc.loc.KeepaliveDisable = 0
	}
	bits, err := l.bitmask(d, sc, keepaliveDisableNames)
	if bits&2 != 0 {
		sc.loc.KeepaliveDisable |= KeepaliveDisableMSIE6
	}
	if bits&4 != 0 {
		sc.loc.KeepaliveDisable |= KeepaliveDisableSafari
	}
	return err
}

// locComplex sets a value that may hold variables
// (ngx_http_set_complex_value_slot).
func locComplex(field func(*LocConf) **Complex) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		cv, err := l.compileComplex(d, d.Args[0].Value)
		if err != nil {
			return err
		}
		*field(sc.loc) = cv
		return nil
	}
}

// setProxySetBody is proxy_set_body: ngx_conf_set_str_slot keeps the
// text, and the proxy module's merge compiles it, so that a bad variable
// is reported where the http block ends.
func (l *loader) setProxySetBody(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	cv, uses, err := l.compileAtMerge(d, d.Args[0].Value)
	sc.loc.proxySetBodyUses = uses
	if err != nil {
		var pe *parser.Error
		if !errors.As(err, &pe) {
			return err
		}
		sc.loc.proxySetBodyErr = pe.Msg
		cv = literal(d.Args[0].Value)
	}
	sc.loc.ProxySetBody = cv
	return nil
}

// locComplexSize sets a size that may hold variables
// (ngx_http_set_complex_value_size_slot): one without variables must be a
// size now ("invalid value"); one with them is parsed per request.
func locComplexSize(field func(*LocConf) **Complex) setter {
	set := locComplex(field)
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if err := set(l, d, sc); err != nil {
			return err
		}
		if cv := *field(sc.loc); cv.IsLiteral() {
			if _, ok := parseSize(cv.Raw); !ok {
				return l.errf(d, `"%s" directive invalid value`, d.Name)
			}
		}
		return nil
	}
}

// ParseSize parses a size as ngx_parse_size ("8k", "1m"; no "g"): for
// values computed per request, such as $limit_rate.
func ParseSize(b []byte) (int64, bool) { return parseSize(string(b)) }

// locKeptSize sets a size kept with the level's passive sizes, which the
// merge's checks on proxy buffers read too (proxy_max_temp_file_size).
func locKeptSize(l *loader, d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	n, ok := parseSize(d.Args[0].Value)
	if !ok {
		return l.invalid(d)
	}
	sc.keepPassive(d.Name, n, 0)
	return nil
}
