package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// LimitConnZone is a limit_conn_zone: the value whose distinct values are
// counted, and the zone's name and size. In nginx the size bounds how many
// values the zone can hold at once (a full zone rejects a new value with
// limit_conn_status); nginxws keeps every value and only checks the size
// as nginx does at -t.
type LimitConnZone struct {
	Name string
	Key  *Complex
	Size int64
	Pos  parser.Pos
}

// LimitConn is one limit_conn: at most Conn requests at once per value of
// Zone's key (ngx_http_limit_conn_module).
type LimitConn struct {
	Zone *LimitConnZone
	Conn int
}

// limitZones are the zones the http block declared or referred to, in
// order of first mention (nginx's shared memory zones list).
type limitZones struct {
	byName map[string]*LimitConnZone
	order  []*LimitConnZone
}

// zone returns the zone of that name, creating an empty one (size 0, no
// key) at first mention, as ngx_shared_memory_add does.
func (z *limitZones) zone(name string) *LimitConnZone {
	if zn := z.byName[name]; zn != nil {
		return zn
	}
	if z.byName == nil {
		z.byName = map[string]*LimitConnZone{}
	}
	zn := &LimitConnZone{Name: name}
	z.byName[name] = zn
	z.order = append(z.order, zn)
	return zn
}

// setLimitConnZone reproduces ngx_http_limit_conn_zone.
func (l *loader) setLimitConnZone(d *parser.Directive, _ *scope) error {
	key, err := l.compileComplex(d, d.Args[0].Value)
	if err != nil {
		return err
	}
	var name string
	var size int64
	for _, a := range d.Args[1:] {
		v := a.Value
		if !strings.HasPrefix(v, "zone=") {
			return l.errf(d, `invalid parameter "%s"`, v)
		}
		n, s, ok := strings.Cut(v[5:], ":")
		if !ok {
			return l.errf(d, `invalid zone size "%s"`, v)
		}
		sz, ok := parseSize(s)
		if !ok {
			return l.errf(d, `invalid zone size "%s"`, v)
		}
		if sz < 8*pageSize {
			return l.errf(d, `zone "%s" is too small`, v)
		}
		name, size = n, sz
	}
	if name == "" {
		return l.errf(d, `"%s" must have "zone" parameter`, d.Name)
	}
	z := l.http.limits.zone(name)
	if z.Size != 0 && z.Size != size {
		return l.errf(d, `the size %d of shared memory zone "%s" conflicts with already declared size %d`, size, name, z.Size)
	}
	if z.Key != nil {
		return l.errf(d, `%s "%s" is already bound to key "%s"`, d.Name, name, z.Key.Raw)
	}
	z.Key, z.Size, z.Pos = key, size, d.Pos
	return nil
}

// setLimitConn reproduces ngx_http_limit_conn.
func (l *loader) setLimitConn(d *parser.Directive, sc *scope) error {
	z := l.http.limits.zone(d.Args[0].Value)
	for _, lc := range sc.loc.LimitConns {
		if lc.Zone == z {
			return l.dup(d)
		}
	}
	v := d.Args[1].Value
	n, ok := atoi(v)
	if !ok || n <= 0 {
		return l.errf(d, `invalid number of connections "%s"`, v)
	}
	if n > 65535 {
		return l.errf(d, "connection limit must be less 65536")
	}
	sc.loc.LimitConns = append(sc.loc.LimitConns, LimitConn{Zone: z, Conn: int(n)})
	return nil
}

// setLimitConnLogLevel reads limit_conn_log_level info|notice|warn|error.
func (l *loader) setLimitConnLogLevel(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v := d.Args[0].Value
	switch strings.ToLower(v) {
	case "info":
		sc.loc.LimitConnLogLevel = LevelInfo
	case "notice":
		sc.loc.LimitConnLogLevel = LevelNotice
	case "warn":
		sc.loc.LimitConnLogLevel = LevelWarn
	case "error":
		sc.loc.LimitConnLogLevel = LevelError
	default:
		return l.errf(d, `invalid value "%s"`, v)
	}
	return nil
}

// setLimitConnStatus reads limit_conn_status, a code from 400 to 599.
func (l *loader) setLimitConnStatus(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	n, ok := atoi(d.Args[0].Value)
	if !ok {
		return l.errf(d, `"%s" directive invalid number`, d.Name)
	}
	if n < 400 || n > 599 {
		return l.errf(d, "value must be between 400 and 599")
	}
	sc.loc.LimitConnStatus = int(n)
	return nil
}

// checkLimitZones is ngx_init_cycle's check of the shared memory zones,
// after the configuration is read: a zone limit_conn names that no
// limit_conn_zone declared has no size.
func (h *httpBuilder) checkLimitZones() error {
	for _, z := range h.limits.order {
		if z.Size == 0 {
			return &parser.Error{Msg: `zero size shared memory zone "` + z.Name + `"`, PostSyntax: true}
		}
	}
	h.h.LimitConnZones = h.limits.order
	return nil
}
