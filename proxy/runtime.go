package proxy

import (
	"math"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
	"github.com/nginxws/nginxws/proxy/http1"
)

// runtime is a configuration compiled for serving: the listen addresses
// with their servers and name tables, each server's location tree, the
// per-level proxy plans and the maps. It is built once per
// configuration (New, Reload) and never changed, so that requests read it
// without locks; a connection takes the current one at the start of each
// request.
type runtime struct {
	cfg   *directives.Config
	addrs map[listenKey]*addrConf
	// plans holds what each level with proxy_pass needs per request,
	// computed once: the upstream header list, the hidden response
	// headers.
	plans map[*directives.LocConf]*proxyPlan
	maps  map[string]*directives.Map
	// hostname is $hostname.
	hostname string
	logs     *accessLogs
	// errLogs are the levels' own error logs.
	errLogs *levelLogs
	// groups are the upstream peer groups (balance.go).
	groups upstreamGroups
	// resolved holds the resolver directives' answers (resolver.go).
	resolved resolverCache
	// slotCap is how many connections worker_connections allows
	// (connlimit.go).
	slotCap int
	// limitZones are the states of the configuration's limit_conn
	// zones (limitconn.go).
	limitZones map[*directives.LimitConnZone]*limitZone
	reqZones   map[*directives.LimitReqZone]*limitReqZone
	// syslogs are the access_log "syslog:" targets' connections.
	syslogs map[*directives.AccessLog]*errlog.SyslogConn

	// files are the access log files the configuration names, by path
	// (shared with the other configurations naming them).
	files map[string]*logFile
	// users counts the requests and tunnels that began under the
	// configuration and are not over; retired is set once a reload
	// replaced it. The last of the two closes what only it used: its
	// level error logs and the access log files no newer configuration
	// names (nginx's old worker keeps its logs until it exits: a tunnel
	// that ends an hour after a reload still logs where it began).
	users   atomic.Int64
	retired atomic.Bool
	ending  sync.Once
}

// acquire records a request or tunnel under the configuration.
func (rt *runtime) acquire() { rt.users.Add(1) }

// release records the end of one.
func (rt *runtime) release() {
	if rt.users.Add(-1) == 0 && rt.retired.Load() {
		rt.end()
	}
}

// retire records that a reload replaced the configuration.
func (rt *runtime) retire() {
	rt.retired.Store(true)
	if rt.users.Load() == 0 {
		rt.end()
	}
}

// end closes what the configuration held open, once.
func (rt *runtime) end() {
	rt.ending.Do(func() {
		rt.errLogs.close()
		for _, c := range rt.syslogs {
			c.Close()
		}
		if rt.logs != nil {
			rt.logs.release(rt.files)
		}
	})
}

// vserver is one server block compiled for serving.
type vserver struct {
	srv *directives.Server
	// top is the server level: its settings apply when no location
	// matches, and its static tree and regexes hold the top-level
	// locations.
	top   *location
	named map[string]*location
	// limits are the server's head-reading settings.
	limits http1.Limits
	// name is nginx's cscf->server_name: the first name as written, for
	// $server_name, $host without Host, and log lines.
	name string
}

// newRuntime compiles cfg. It cannot fail: everything that can be wrong
// with a configuration was reported when it was loaded.
func newRuntime(cfg *directives.Config, logs *accessLogs) *runtime {
	rt := &runtime{cfg: cfg, plans: map[*directives.LocConf]*proxyPlan{}, maps: map[string]*directives.Map{}, logs: logs, groups: newUpstreamGroups(cfg), slotCap: slotCapacity(cfg)}
	if h, err := os.Hostname(); err == nil {
		rt.hostname = strings.ToLower(h)
	} else {
		rt.hostname = "localhost"
	}
	h := cfg.HTTP
	if h == nil {
		return rt
	}
	for _, m := range h.Maps {
		rt.maps[m.Var] = m
	}
	vs := make(map[*directives.Server]*vserver, len(h.Servers))
	for _, s := range h.Servers {
		v := &vserver{srv: s, named: map[string]*location{}}
		v.top = &location{conf: s.Conf}
		compileLocations(v.top, s.Locations, v.named)
		v.limits = http1.Limits{
			HeaderBufferSize:      int(s.ClientHeaderBufferSize),
			LargeHeaderBufferSize: int(s.LargeClientHeaderBuffers.Size),
			LargeHeaderBuffers:    s.LargeClientHeaderBuffers.Num,
			IgnoreInvalidHeaders:  s.IgnoreInvalidHeaders,
			UnderscoresInHeaders:  s.UnderscoresInHeaders,
			MergeSlashes:          s.MergeSlashes,
			MaxHeaders:            int(min(s.MaxHeaders, math.MaxInt32)),
		}
		if len(s.Names) > 0 {
			n := s.Names[0]
			// As cscf->server_name: "~" kept for a regex, a leading "."
			// dropped.
			v.name = strings.TrimPrefix(n.Name, ".")
			if n.Regex != nil {
				v.name = "~" + n.Name
			}
		}
		vs[s] = v
	}
	rt.planLevel(h.Conf, nil, "")
	for _, s := range h.Servers {
		rt.planLevel(s.Conf, h.Conf, "")
		rt.planLocations(s.Locations, s.Conf)
	}
	rt.addrs = buildAddrs(h, vs)
	return rt
}

// planLocations compiles the proxy plans of locations and their nested
// ones.
func (rt *runtime) planLocations(locs []*directives.Location, parent *directives.LocConf) {
	for _, l := range locs {
		name := l.Match
		if l.Named() {
			name = "@" + l.Match
		}
		rt.planLevel(l.Conf, parent, name)
		rt.planLocations(l.Locations, l.Conf)
	}
}

// planLevel compiles the proxy plan of a level and of its "if" blocks,
// which take the location's name.
func (rt *runtime) planLevel(c, parent *directives.LocConf, locName string) {
	if c == nil {
		return
	}
	if _, done := rt.plans[c]; done {
		return
	}
	var parentRules []redirectRule
	if parent != nil {
		if pp := rt.plans[parent]; pp != nil {
			parentRules = pp.redirects
		}
	}
	p := newProxyPlan(c)
	p.redirects = compileRedirects(c, parent, parentRules, locName)
	rt.plans[c] = p
	for _, st := range c.Script {
		if st.Op == directives.OpIf && st.Conf != nil {
			rt.planLevel(st.Conf, c, locName)
		}
	}
	rt.planLevel(c.LimitExcept, c, locName)
}

// normAddr returns a listen address in the form addrFor builds from a
// connection: netip's text for IP addresses, the path for unix sockets.
func normAddr(l directives.Listen) listenKey {
	if l.Network == "unix" {
		return listenKey{"unix", l.Addr}
	}
	if ap, err := netip.ParseAddrPort(l.Addr); err == nil {
		return listenKey{"tcp", netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()}
	}
	return listenKey{l.Network, l.Addr}
}

// openSyslogs makes the connections of cfg's access_log "syslog:" targets.
func openSyslogs(cfg *directives.Config) map[*directives.AccessLog]*errlog.SyslogConn {
	if cfg.HTTP == nil {
		return nil
	}
	out := map[*directives.AccessLog]*errlog.SyslogConn{}
	walkConfs(cfg.HTTP, func(c *directives.LocConf) {
		for _, l := range c.AccessLogs {
			if l.Syslog != nil && out[l] == nil {
				out[l] = errlog.OpenSyslog(SyslogTarget(l.Syslog))
			}
		}
	})
	return out
}

// sendSyslog sends an access log line to its syslog target, with the
// header of the target's severity.
func (rt *runtime) sendSyslog(l *directives.AccessLog, text []byte, s *Server) {
	c := rt.syslogs[l]
	if c == nil {
		return
	}
	b := s.bufs.get(0)
	msg := errlog.AppendSyslogHeader(b.b[:0], c.Target(), l.Syslog.Severity, time.Now())
	msg = append(msg, text...)
	c.Send(msg)
	b.b = msg
	s.bufs.put(b)
}
