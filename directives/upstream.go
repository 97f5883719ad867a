package directives

import (
	"strings"
	"time"

	"github.com/nginxws/nginxws/parser"
)

// Upstream is a group of peers: an upstream block, or the implicit group
// nginx creates for a proxy_pass to a host:port that names no block.
type Upstream struct {
	// Name is the block's name, or the host of an implicit group.
	Name string
	// Implicit marks a group created by proxy_pass, not by a block.
	Implicit bool
	// Port is an implicit group's port (80 when proxy_pass gives none).
	Port    int
	Servers []*UpstreamServer
	// Balancer is the load-balancing method; HashKey and HashConsistent
	// go with BalanceHash, RandomTwo and RandomLeastConn with
	// BalanceRandom.
	Balancer        Balancer
	HashKey         *Complex
	HashConsistent  bool
	RandomTwo       bool
	RandomLeastConn bool
	// Keepalive is the number of idle connections kept per worker; 0 when
	// the block has no keepalive directive (no connection reuse).
	Keepalive         int
	KeepaliveTimeout  time.Duration // default 60s
	KeepaliveRequests int           // default 1000
	KeepaliveTime     time.Duration // default 1h
	Pos               parser.Pos

	flags          upstreamFlags
	set            map[string]bool
	implicitNoPort bool   // referenced without a port (blocks: always)
	unixPath       string // an implicit group's unix socket
}

// Balancer is an upstream's load-balancing method.
type Balancer int

// The balancing methods nginx offers.
const (
	BalanceRoundRobin Balancer = iota
	BalanceHash
	BalanceIPHash
	BalanceLeastConn
	BalanceRandom
)

// UpstreamServer is one server line of an upstream (or the single server of
// an implicit group).
type UpstreamServer struct {
	// Name is the address as written ("10.0.0.1:8080", "app.local",
	// "unix:/run/app.sock"): consistent hashing keys on it.
	Name string
	// Addrs are the resolved peers ("ip:port" or "unix:/path"): a name
	// with several addresses gives several peers sharing Name.
	Addrs       []string
	Weight      int           // default 1
	MaxFails    int           // default 1; 0 disables failure accounting
	FailTimeout time.Duration // default 10s
	MaxConns    int           // default 0: unlimited
	Backup      bool
	Down        bool
	Pos         parser.Pos
}

// upstreamFlags are the server parameters the balancing method accepts
// (NGX_HTTP_UPSTREAM_WEIGHT, …).
type upstreamFlags uint8

const (
	upCreate upstreamFlags = 1 << iota
	upWeight
	upMaxConns
	upMaxFails
	upFailTimeout
	upDown
	upBackup
)

const upAll = upCreate | upWeight | upMaxConns | upMaxFails | upFailTimeout | upDown | upBackup

// upstreamAdd reproduces ngx_http_upstream_add: an upstream block
// (create) or a proxy_pass reference finds the group of the same name;
// explicit blocks and implicit groups meet here.
func (l *loader) upstreamAdd(d *parser.Directive, host string, port int, noPort bool, create bool) (*Upstream, error) {
	h := l.http.h
	for _, u := range h.Upstreams {
		if !strings.EqualFold(u.Name, host) {
			continue
		}
		if create && u.flags&upCreate != 0 {
			return nil, l.errf(d, `duplicate upstream "%s"`, host)
		}
		if u.flags&upCreate != 0 && !noPort {
			return nil, l.errf(d, `upstream "%s" may not have port %d`, host, port)
		}
		if create && !u.implicitNoPort {
			// nginx names the proxy_pass that gave the port, not this block.
			return nil, errAt(u.Pos, `upstream "%s" may not have port %d`, host, u.Port)
		}
		if u.Port != 0 && port != 0 && u.Port != port {
			continue
		}
		if create {
			// The block takes over the group proxy_pass created first.
			u.Implicit, u.flags, u.Port, u.Pos = false, upAll, 0, d.Pos
		}
		return u, nil
	}
	u := &Upstream{Name: host, Port: port, Pos: d.Pos, implicitNoPort: noPort}
	if create {
		u.flags = upAll
	} else {
		u.Implicit = true
	}
	h.Upstreams = append(h.Upstreams, u)
	return u, nil
}

func (l *loader) setUpstream(d *parser.Directive, sc *scope) error {
	u, err := l.upstreamAdd(d, d.Args[0].Value, 0, true, true)
	if err != nil {
		return err
	}
	us := &scope{ctx: cUpstream, open: sc.open, ups: u}
	if err := l.block(d.Block, us); err != nil {
		return err
	}
	if sc.open {
		return nil
	}
	if len(u.Servers) == 0 {
		return errAt(l.end(d), "no servers are inside upstream")
	}
	u.applyDefaults()
	return nil
}

// applyDefaults fills the keepalive settings not given.
func (u *Upstream) applyDefaults() {
	if !u.set["keepalive_timeout"] {
		u.KeepaliveTimeout = 60 * time.Second
	}
	if !u.set["keepalive_requests"] {
		u.KeepaliveRequests = 1000
	}
	if !u.set["keepalive_time"] {
		u.KeepaliveTime = time.Hour
	}
}

// setUpstreamServer reproduces ngx_http_upstream_server: parameters are
// checked against the balancing method first, then the address is
// parsed and resolved.
func (l *loader) setUpstreamServer(d *parser.Directive, sc *scope) error {
	u := sc.ups
	srv := &UpstreamServer{Name: d.Args[0].Value, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second, Pos: d.Pos}
	for _, a := range d.Args[1:] {
		p := a.Value
		var need upstreamFlags
		ok := true
		switch {
		case strings.HasPrefix(p, "weight="):
			need = upWeight
			n, good := Atoi(p[7:])
			ok = good && n != 0
			srv.Weight = int(n)
		case strings.HasPrefix(p, "max_conns="):
			need = upMaxConns
			n, good := Atoi(p[10:])
			ok = good
			srv.MaxConns = int(n)
		case strings.HasPrefix(p, "max_fails="):
			need = upMaxFails
			n, good := Atoi(p[10:])
			ok = good
			srv.MaxFails = int(n)
		case strings.HasPrefix(p, "fail_timeout="):
			need = upFailTimeout
			t, good := parseSec(p[13:])
			ok = good
			srv.FailTimeout = t
		case p == "backup":
			need = upBackup
			srv.Backup = true
		case p == "down":
			need = upDown
			srv.Down = true
		default:
			ok = false
		}
		if need != 0 && u.flags&need == 0 {
			return l.errf(d, `balancing method does not support parameter "%s"`, p)
		}
		if !ok {
			return l.errf(d, `invalid parameter "%s"`, p)
		}
	}
	pu := parseURL(srv.Name, urlOpts{defaultPort: 80}, l.resolve)
	if pu.err != "" {
		return l.errf(d, `%s in upstream "%s"`, pu.err, srv.Name)
	}
	srv.Addrs = pu.addrs
	u.Servers = append(u.Servers, srv)
	return nil
}

// balancer sets the group's method; nginx warns when a block names two.
// keepalive counts as one: in nginx it takes the upstream's init handler
// over, wrapping the method set before it; a method named after it
// replaces that handler, with the same warning, and so turns the cache
// off (ngx_http_upstream_keepalive and the balancers' setters).
func (l *loader) balancer(d *parser.Directive, u *Upstream, b Balancer, flags upstreamFlags) {
	if u.set["balancer"] {
		l.warnf(d, "load balancing method redefined")
	}
	if u.set == nil {
		u.set = map[string]bool{}
	}
	u.set["balancer"] = true
	u.Balancer = b
	u.flags = flags
	u.Keepalive = 0
}

func (l *loader) setHash(d *parser.Directive, sc *scope) error {
	u := sc.ups
	key, err := l.compileComplex(d, d.Args[0].Value)
	if err != nil {
		return err
	}
	if len(d.Args) == 2 {
		if d.Args[1].Value != "consistent" {
			return l.errf(d, `invalid parameter "%s"`, d.Args[1].Value)
		}
	}
	l.balancer(d, u, BalanceHash, upCreate|upWeight|upMaxConns|upMaxFails|upFailTimeout|upDown)
	u.HashKey, u.HashConsistent = key, len(d.Args) == 2
	return nil
}

func (l *loader) setIPHash(d *parser.Directive, sc *scope) error {
	l.balancer(d, sc.ups, BalanceIPHash, upCreate|upWeight|upMaxConns|upMaxFails|upFailTimeout|upDown)
	return nil
}

func (l *loader) setLeastConn(d *parser.Directive, sc *scope) error {
	l.balancer(d, sc.ups, BalanceLeastConn, upAll)
	return nil
}

func (l *loader) setRandom(d *parser.Directive, sc *scope) error {
	u := sc.ups
	l.balancer(d, u, BalanceRandom, upCreate|upWeight|upMaxConns|upMaxFails|upFailTimeout|upDown)
	if len(d.Args) == 0 {
		return nil
	}
	if d.Args[0].Value != "two" {
		return l.errf(d, `invalid parameter "%s"`, d.Args[0].Value)
	}
	u.RandomTwo = true
	if len(d.Args) == 1 {
		return nil
	}
	if d.Args[1].Value != "least_conn" {
		return l.errf(d, `invalid parameter "%s"`, d.Args[1].Value)
	}
	u.RandomLeastConn = true
	return nil
}

func (l *loader) setUpstreamKeepalive(d *parser.Directive, sc *scope) error {
	u := sc.ups
	if u.mark("keepalive") {
		return l.dup(d)
	}
	n, ok := Atoi(d.Args[0].Value)
	if !ok || n == 0 {
		return l.errf(d, `invalid value "%s" in "%s" directive`, d.Args[0].Value, d.Name)
	}
	u.Keepalive = int(n)
	// The keepalive module now holds the init handler: a balancing method
	// named after this is "redefined" and drops the cache (balancer).
	u.set["balancer"] = true
	return nil
}

// upMark records an upstream-level directive, reporting a duplicate.
func (u *Upstream) mark(name string) bool {
	if u.set == nil {
		u.set = map[string]bool{}
	}
	if u.set[name] {
		return true
	}
	u.set[name] = true
	return false
}

func (l *loader) setUpstreamKeepaliveTimeout(d *parser.Directive, sc *scope) error {
	return l.upstreamMsec(d, sc.ups, &sc.ups.KeepaliveTimeout)
}

func (l *loader) setUpstreamKeepaliveTime(d *parser.Directive, sc *scope) error {
	return l.upstreamMsec(d, sc.ups, &sc.ups.KeepaliveTime)
}

func (l *loader) upstreamMsec(d *parser.Directive, u *Upstream, dst *time.Duration) error {
	if u.mark(d.Name) {
		return l.dup(d)
	}
	v, ok := parseMsec(d.Args[0].Value)
	if !ok {
		return l.invalid(d)
	}
	*dst = v
	return nil
}

func (l *loader) setUpstreamKeepaliveRequests(d *parser.Directive, sc *scope) error {
	u := sc.ups
	if u.mark(d.Name) {
		return l.dup(d)
	}
	n, err := l.num(d)
	if err != nil {
		return err
	}
	u.KeepaliveRequests = int(n)
	return nil
}

// initUpstreams reproduces ngx_http_upstream_init_main_conf at the end of
// the http block: implicit groups are resolved now (proxy_pass does not
// resolve when read), and a group needs at least one non-backup server.
// nginx reports these with the position stored in the group.
func (l *loader) initUpstreams() error {
	for _, u := range l.http.h.Upstreams {
		if u.Implicit && u.Servers == nil {
			if u.Port == 0 && u.unixPath == "" {
				// ngx_http_upstream_init_round_robin: an implicit group
				// needs a port (fastcgi_pass and the like have no
				// default one).
				return errAt(u.Pos, `no port in upstream "%s"`, u.Name)
			}
			pu := urlParse{host: u.Name, port: u.Port}
			if u.unixPath != "" {
				pu.addrs = []string{"unix:" + u.unixPath}
			} else if lit := parseURL(u.Name+":"+itoa(u.Port), urlOpts{defaultPort: 80, noResolve: true}, l.resolve); lit.err == "" && len(lit.addrs) > 0 {
				pu.addrs = lit.addrs
			} else if strings.HasPrefix(u.Name, "[") {
				pu.addrs = parseURL(u.Name+":"+itoa(u.Port), urlOpts{defaultPort: 80}, l.resolve).addrs
			} else {
				pu = resolveHost(pu, l.resolve)
				if pu.err != "" {
					return errAt(u.Pos, `host not found in upstream "%s"`, u.Name)
				}
			}
			name := u.Name
			if !u.implicitNoPort {
				name += ":" + itoa(u.Port)
			}
			u.Servers = []*UpstreamServer{{Name: name, Addrs: pu.addrs, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second, Pos: u.Pos}}
			u.applyDefaults()
			continue
		}
		primary := 0
		for _, s := range u.Servers {
			if !s.Backup {
				primary++
			}
		}
		if primary == 0 {
			return errAt(u.Pos, `no servers in upstream "%s"`, u.Name)
		}
	}
	return nil
}
