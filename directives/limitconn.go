package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// LimitZone is what limit_conn_zone and limit_req_zone declare alike: a
// shared memory zone's name and size, the value its counts are kept by,
// and where it was declared.
type LimitZone struct {
	Name string
	Key  *Complex
	Size int64
	Pos  parser.Pos
}

// Common returns the part both kinds of zone share, for code that keeps
// their states alike (across reloads, by name and key).
func (z *LimitZone) Common() *LimitZone { return z }

// LimitConnZone is a limit_conn_zone: the value whose distinct values are
// counted, and the zone's name and size. In nginx the size bounds how many
// values the zone can hold at once (a full zone rejects a new value with
// limit_conn_status); nginxws keeps every value and only checks the size
// as nginx does at -t.
type LimitConnZone struct {
	LimitZone
}

// LimitConn is one limit_conn: at most Conn requests at once per value of
// Zone's key (ngx_http_limit_conn_module).
type LimitConn struct {
	Zone     *LimitConnZone
	Conn     int
	zoneName string
}

// sharedZone is one of nginx's shared memory zones, which limit_conn_zone
// and limit_req_zone declare by name: a name belongs to one module, and a
// reference may come before the declaration (size 0 until then).
type sharedZone struct {
	name string
	size int64
	tag  string // the directive that declared or referred to it first
	conn *LimitConnZone
	req  *LimitReqZone
	// cachePath: a *_cache_path declared the zone (nginx's zone data is
	// set), which a proxy_cache naming it needs.
	cachePath bool
}

// limitZones are the shared zones the http block declared or referred to,
// in order of first mention (nginx's shared memory zones list).
type limitZones struct {
	byName map[string]*sharedZone
	order  []*sharedZone
}

// add is ngx_shared_memory_add: the zone of that name, made at first
// mention; size 0 is a reference.
func (z *limitZones) add(l *loader, d *parser.Directive, name string, size int64, tag string) (*sharedZone, error) {
	if zn := z.byName[name]; zn != nil {
		if zn.tag != tag {
			return nil, l.errf(d, `the shared memory zone "%s" is already declared for a different use`, name)
		}
		if size != 0 && zn.size != 0 && size != zn.size {
			return nil, l.errf(d, `the size %d of shared memory zone "%s" conflicts with already declared size %d`, size, name, zn.size)
		}
		if zn.size == 0 {
			zn.size = size
		}
		return zn, nil
	}
	if z.byName == nil {
		z.byName = map[string]*sharedZone{}
	}
	zn := &sharedZone{name: name, size: size, tag: tag}
	z.byName[name] = zn
	z.order = append(z.order, zn)
	return zn, nil
}

// zoneParam parses a "zone=name:size" parameter as limit_conn_zone and
// limit_req_zone do.
func (l *loader) zoneParam(d *parser.Directive, v string) (string, int64, error) {
	n, s, ok := strings.Cut(v[5:], ":")
	if !ok {
		return "", 0, l.errf(d, `invalid zone size "%s"`, v)
	}
	sz, ok := parseSize(s)
	if !ok {
		return "", 0, l.errf(d, `invalid zone size "%s"`, v)
	}
	if sz < 8*pageSize {
		return "", 0, l.errf(d, `zone "%s" is too small`, v)
	}
	return n, sz, nil
}

// checkUpstreamZone makes the checks of ngx_http_upstream_zone for an
// upstream's "zone NAME [SIZE]", which nginxws otherwise ignores (its
// peers' state is per process): the size, and the zone's place among the
// shared memory zones, so that a zone named by two upstreams with two
// sizes, a name limit_conn or limit_req already uses, or a zone never
// given a size fails as in nginx. A second zone in one upstream is not a
// duplicate there.
func (l *loader) checkUpstreamZone(d *parser.Directive) error {
	name := d.Args[0].Value
	if name == "" {
		return l.errf(d, `invalid zone name "%s"`, name)
	}
	var size int64
	if len(d.Args) == 2 {
		var ok bool
		if size, ok = parseSize(d.Args[1].Value); !ok {
			return l.errf(d, `invalid zone size "%s"`, d.Args[1].Value)
		}
		if size < 8*pageSize {
			return l.errf(d, `zone "%s" is too small`, name)
		}
	}
	_, err := l.http.limits.add(l, d, name, size, "upstream")
	return err
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
		if name, size, err = l.zoneParam(d, v); err != nil {
			return err
		}
	}
	if name == "" {
		return l.errf(d, `"%s" must have "zone" parameter`, d.Name)
	}
	sz, err := l.http.limits.add(l, d, name, size, "limit_conn")
	if err != nil {
		return err
	}
	if sz.conn != nil {
		return l.errf(d, `%s "%s" is already bound to key "%s"`, d.Name, name, sz.conn.Key.Raw)
	}
	sz.conn = &LimitConnZone{LimitZone{Name: name, Key: key, Size: size, Pos: d.Pos}}
	for _, lc := range l.http.connRefs[name] {
		lc.Zone = sz.conn
	}
	return nil
}

// setLimitConn reproduces ngx_http_limit_conn.
func (l *loader) setLimitConn(d *parser.Directive, sc *scope) error {
	name := d.Args[0].Value
	sz, err := l.http.limits.add(l, d, name, 0, "limit_conn")
	if err != nil {
		return err
	}
	for _, lc := range sc.loc.LimitConns {
		if lc.zoneName == name {
			return l.dup(d)
		}
	}
	v := d.Args[1].Value
	n, ok := Atoi(v)
	if !ok || n <= 0 {
		return l.errf(d, `invalid number of connections "%s"`, v)
	}
	if n > 65535 {
		return l.errf(d, "connection limit must be less 65536")
	}
	lc := &LimitConn{Zone: sz.conn, Conn: int(n), zoneName: name}
	if sz.conn == nil {
		// Declared further on: bound then (setLimitConnZone).
		l.http.connRefs[name] = append(l.http.connRefs[name], lc)
	}
	sc.loc.LimitConns = append(sc.loc.LimitConns, lc)
	return nil
}

// checkLimitZones is ngx_init_cycle's check of the shared memory zones,
// after the configuration is read: a zone a limit_conn or limit_req names
// that no zone directive declared has no size.
func (h *httpBuilder) checkLimitZones() error {
	for _, z := range h.limits.order {
		if z.size == 0 {
			return &parser.Error{Msg: `zero size shared memory zone "` + z.name + `"`, PostSyntax: true, Cycle: true}
		}
		if z.conn != nil {
			h.h.LimitConnZones = append(h.h.LimitConnZones, z.conn)
		}
		if z.req != nil {
			h.h.LimitReqZones = append(h.h.LimitReqZones, z.req)
		}
	}
	return nil
}
