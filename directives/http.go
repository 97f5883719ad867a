package directives

import (
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nginxws/nginxws/parser"
)

// HTTP is the compiled http block.
type HTTP struct {
	// Servers in config order; the first server of an address is its
	// default unless another has default_server.
	Servers []*Server
	// ProxyCacheZones are the keys zones proxy_cache_path declares.
	ProxyCacheZones map[string]bool
	// Upstreams are the upstream blocks in config order, plus the implicit
	// groups nginx creates for proxy_pass targets that name no block.
	Upstreams []*Upstream
	// Maps in config order.
	Maps []*Map
	// Geos are the geo blocks in config order.
	Geos []*Geo
	// SplitClients are the split_clients blocks in config order.
	SplitClients []*SplitClients
	// handlerOf is, per variable a map, geo or split_clients block
	// defines, the last such block: nginx gives the variable the
	// handler of the last one read (each sets var->get_handler).
	handlerOf map[string]any
	// LogFormats in config order, nginx's predefined "combined" first.
	LogFormats []*LogFormat
	// LimitConnZones and LimitReqZones are the limit_conn_zone and
	// limit_req_zone zones, in order of first mention.
	LimitConnZones []*LimitConnZone
	LimitReqZones  []*LimitReqZone
	// Charsets are the charsets charset, source_charset and charset_map
	// name, each once (as first written), in order; CharsetMaps the
	// charset_map blocks.
	Charsets    []string
	CharsetMaps []*CharsetMap
	// Variables are the names declared by set and map (and regex named
	// captures), in order of declaration: with nginx's builtin names they
	// are the variables a value may use.
	Variables []string
	// Server is the http level's server settings, merged with nginx's
	// defaults (what servers inherit).
	Server ServerConf
	// Conf is the http level's location settings, merged with nginx's
	// defaults (what servers and locations inherit).
	Conf *LocConf
	Pos  parser.Pos

	engine *Engine // see Engine()
}

// Upstream returns the upstream group of that name (an upstream block or an
// implicit group), or nil.
func (h *HTTP) Upstream(name string) *Upstream {
	for _, u := range h.Upstreams {
		if u.Name == name {
			return u
		}
	}
	return nil
}

// LogFormat returns the log format of that name, or nil.
func (h *HTTP) LogFormat(name string) *LogFormat {
	for _, f := range h.LogFormats {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Server is one server block.
type Server struct {
	// Listens are the server's listen directives; a server without one
	// listens on nginx's default (*:80 as root, *:8000 otherwise).
	Listens []Listen
	// Names are the server_name entries in config order; a server without
	// one has the single name "".
	Names []ServerName
	// ServerConf holds the connection-level settings, merged.
	ServerConf
	// TLS is the server's TLS configuration, nil for a server without
	// ssl_certificate (of its own or inherited).
	TLS *TLSConf
	// VerifyClient is the merged ssl_verify_client (VerifyOff …), also
	// for a server without certificates: a request whose Host picks it
	// is held to it (ngx_http_process_request, the 421 rule), whichever
	// server's handshake the connection made.
	VerifyClient int
	// Conf is the server level's location settings, merged: it applies
	// where no location matches, and holds the server-level rewrite script.
	Conf *LocConf
	// Locations are the top-level locations in config order.
	Locations []*Location
	Pos       parser.Pos
	// Digest identifies the block's text as read, included files inlined,
	// comments and layout ignored: an unchanged server keeps its Digest
	// across a reload (nginxws reports the servers a reload changed).
	Digest string

	hasListen bool
}

// ServerName is one server_name entry.
type ServerName struct {
	// Name is the name lower-cased ($hostname replaced by the machine's
	// name), or for a regex the pattern as written without its "~".
	Name  string
	Regex *Regexp // non-nil for "~regex" names
	Pos   parser.Pos
}

// ServerConf holds the settings nginx keeps per server
// (ngx_http_core_srv_conf_t): they apply to reading the request head,
// before a location is known.
type ServerConf struct {
	ClientHeaderTimeout      time.Duration // default 60s
	ClientHeaderBufferSize   int64         // default 1k
	LargeClientHeaderBuffers Bufs          // default 4 8k
	IgnoreInvalidHeaders     bool          // default on
	UnderscoresInHeaders     bool          // default off
	MergeSlashes             bool          // default on
	// MaxHeaders is max_headers, which Debian backported to its nginx
	// 1.22 (the oracle): a request with more header lines than this
	// (those ignore_invalid_headers drops not counted) gets 400. Default
	// 1000.
	MaxHeaders int64

	set map[string]bool
	// sslCerts and sslKeys are ssl_certificate and ssl_certificate_key as
	// written (checked and loaded by checkServerCertificates, tls.go).
	sslCerts, sslKeys []string
	sslOn             *bool // the deprecated "ssl on|off", nil when not given
	sslOnPos          parser.Pos
	// ssl and sslPos are the other ssl_* directives of the level, as
	// written and where (keepSSL), compiled into the servers' TLS
	// (compileTLS).
	ssl    map[string][]parser.Arg
	sslPos map[string]parser.Pos
}

// Bufs is a "number size" pair such as proxy_buffers 8 4k.
type Bufs struct {
	Num  int
	Size int64
}

// mark records that a directive was set at this level; it reports whether
// it already was (the "is duplicate" case).
func (c *ServerConf) mark(name string) bool {
	if c.set == nil {
		c.set = map[string]bool{}
	}
	if c.set[name] {
		return true
	}
	c.set[name] = true
	return false
}

// merge fills the settings this level did not set from its parent, like
// ngx_http_core_merge_srv_conf.
func (c *ServerConf) merge(p *ServerConf) {
	inherit(c.set, "client_header_timeout", &c.ClientHeaderTimeout, p.ClientHeaderTimeout)
	inherit(c.set, "client_header_buffer_size", &c.ClientHeaderBufferSize, p.ClientHeaderBufferSize)
	inherit(c.set, "large_client_header_buffers", &c.LargeClientHeaderBuffers, p.LargeClientHeaderBuffers)
	inherit(c.set, "ignore_invalid_headers", &c.IgnoreInvalidHeaders, p.IgnoreInvalidHeaders)
	inherit(c.set, "underscores_in_headers", &c.UnderscoresInHeaders, p.UnderscoresInHeaders)
	inherit(c.set, "merge_slashes", &c.MergeSlashes, p.MergeSlashes)
	inherit(c.set, "max_headers", &c.MaxHeaders, p.MaxHeaders)
}

// defaultServerConf is nginx's defaults for ServerConf.
func defaultServerConf() *ServerConf {
	return &ServerConf{
		ClientHeaderTimeout:      60 * time.Second,
		ClientHeaderBufferSize:   1024,
		LargeClientHeaderBuffers: Bufs{Num: 4, Size: 8192},
		IgnoreInvalidHeaders:     true,
		MergeSlashes:             true,
		MaxHeaders:               1000,
	}
}

// inherit copies the parent's value unless the directive was set at this
// level: nginx's ngx_conf_merge_*_value without the default, which the
// top level gets from the defaults config.
func inherit[T any](set map[string]bool, name string, dst *T, parent T) {
	if !set[name] {
		*dst = parent
	}
}

// defineHandler records that block (a *Map, *Geo or *SplitClients) gives
// the variable name its value, replacing any block read before.
func (h *HTTP) defineHandler(name string, block any) {
	if h.handlerOf == nil {
		h.handlerOf = map[string]any{}
	}
	h.handlerOf[name] = block
}

// handles reports whether block is the one giving name its value; a
// configuration built without the loader has no record, and every block
// counts.
func (h *HTTP) handles(name string, block any) bool {
	b, ok := h.handlerOf[name]
	return !ok || b == block
}

// httpBuilder is the state of the http block while it is read.
type httpBuilder struct {
	h       *HTTP
	srvConf *ServerConf
	vars    *varTable
	// addrs are the listening addresses seen so far, for nginx's
	// duplicate listen / default server checks.
	addrs     map[string]*listenAddr
	addrOrder []string
	// limits are the shared memory zones of limit_conn and limit_req;
	// connRefs and reqRefs, the limits naming a zone not declared yet.
	limits   limitZones
	connRefs map[string][]*LimitConn
	reqRefs  map[string][]*LimitReq
	// logBuffers are the access_log files given a buffer, by full path:
	// nginx attaches the buffer to the file, and every later access_log
	// with a buffer for the same file must ask for the same one.
	logBuffers map[string]*AccessLog
	// namesHash holds server_names_hash_bucket_size and
	// server_names_hash_max_size as read (-1: not given); nginx uses them
	// to build each address's name hash, which can fail (hashsize.go).
	namesHash map[string]int64
	// mapHash holds map_hash_bucket_size and map_hash_max_size; the first
	// map block gives them their defaults, as ngx_http_map_block does.
	mapHash map[string]int64
	// charsets are the charsets named so far and the charset_map blocks.
	charsets charsetNames
}

// listeningSockets counts the sockets nginx opens for the http block
// (ngx_http_init_listening): on a port with a wildcard address, one for
// the wildcard and one for each address with socket options; on other
// ports one per address. (nginx clones "reuseport" sockets per worker
// only after it has counted them.)
func (hb *httpBuilder) listeningSockets() int {
	wildcard := map[string]bool{}
	for _, addr := range hb.addrOrder {
		if isWildcardAddr(hb.addrs[addr].first) {
			wildcard[portKey(hb.addrs[addr].first)] = true
		}
	}
	n := 0
	for _, addr := range hb.addrOrder {
		a := hb.addrs[addr]
		if wildcard[portKey(a.first)] && !a.optsSet && !isWildcardAddr(a.first) {
			continue
		}
		n++
	}
	return n
}

// isWildcardAddr reports whether a listen is on 0.0.0.0 or [::].
func isWildcardAddr(ls Listen) bool {
	return ls.Network != "unix" && (strings.HasPrefix(ls.Addr, "0.0.0.0:") || strings.HasPrefix(ls.Addr, "[::]:"))
}

// refuseLater records that nginxws refuses the configuration for
// something it cannot do as nginx would (a directive of the refused rows,
// "listen … ssl", "http2", "ssl on"), and goes on
// reading. The refusal is reported once everything nginx checks has
// passed (compileTree), so that any error nginx itself would report — a
// misspelled directive further on, a duplicate listen, an unknown
// variable — comes first, in nginx's words, and a configuration nginx
// accepts is still refused, at the first thing refused.
func (l *loader) refuseLater(err error) {
	if l.refusal == nil {
		l.refusal = err
	}
}

func (l *loader) setHTTP(d *parser.Directive, sc *scope) error {
	if l.http != nil {
		return l.dup(d)
	}
	h := &HTTP{Pos: d.Pos, Conf: newLocConf(), LogFormats: []*LogFormat{combinedFormat()}}
	h.Conf.from = "http"
	l.http = &httpBuilder{h: h, srvConf: &ServerConf{}, vars: newVarTable(), addrs: map[string]*listenAddr{},
		connRefs: map[string][]*LimitConn{}, reqRefs: map[string][]*LimitReq{}, namesHash: map[string]int64{}, mapHash: map[string]int64{}}
	l.cfg.HTTP = h
	hs := &scope{ctx: cHTTP, open: sc.open, srvConf: l.http.srvConf, loc: h.Conf}
	if err := l.block(d.Block, hs); err != nil {
		return err
	}
	if sc.open {
		return nil
	}
	return l.finishHTTP(d)
}

func (l *loader) setServer(d *parser.Directive, sc *scope) error {
	s := &Server{Pos: d.Pos, Conf: newLocConf(), Digest: blockDigest(d)}
	l.http.h.Servers = append(l.http.h.Servers, s)
	ss := &scope{ctx: cServer, open: sc.open, srvConf: &s.ServerConf, server: s, loc: s.Conf}
	ss.script = &s.Conf.Script
	return l.block(d.Block, ss)
}

// finishHTTP runs what ngx_http_block does after reading the block, in
// its order: merge the levels (errors at the block's "}"), check the
// locations, check the variables, then set up the listening addresses.
func (l *loader) finishHTTP(d *parser.Directive) error {
	hb := l.http
	h := hb.h
	end := l.end(d)

	hb.srvConf.merge(defaultServerConf())
	h.Server = *hb.srvConf
	// ngx_http_upstream_module's init_main_conf runs before the proxy
	// module's merge: implicit groups resolve first.
	if err := l.initUpstreams(); err != nil {
		return err
	}
	if err := l.checkServerCertificates(end); err != nil {
		return err
	}

	defaults := defaultLocConf(l)
	err := func() error {
		if err := h.Conf.merge(defaults, end); err != nil {
			return err
		}
		for _, s := range h.Servers {
			s.ServerConf.merge(&h.Server)
			// ngx_http_core_merge_srv_conf: connection_pool_size (ignored
			// by nginxws; 512 by default on 64-bit) bounds the buffers.
			pool := s.Conf.passiveSize("connection_pool_size", h.Conf.passiveSize("connection_pool_size", 512))
			if s.ServerConf.LargeClientHeaderBuffers.Size < pool {
				return errAt(end, `the "large_client_header_buffers" size must be equal to or greater than "connection_pool_size"`)
			}
			if !s.hasListen {
				// ngx_http_core_merge_srv_conf adds the default listen; it
				// carries no option that could conflict.
				if err := l.addListen(s.Pos, s, defaultListen(s.Pos)); err != nil {
					return err
				}
			}
			if err := s.Conf.merge(h.Conf, end); err != nil {
				return err
			}
			if err := mergeLocations(s.Locations, s.Conf, end); err != nil {
				return err
			}
		}
		return nil
	}()
	if err == nil {
		err = l.addDefaultPaths(h, end)
	}
	// ngx_http_log_merge_loc_conf opens the default access log for a
	// server that has no access_log and inherits none: after every file
	// the block named.
	for _, s := range h.Servers {
		if c := s.Conf; err == nil && !c.AccessLogOff && len(c.AccessLogs) > 0 && c.AccessLogs[0].Pos.File == "" {
			l.addLogFile(DefaultAccessLog)
			break
		}
	}
	// nginx merges module by module, each over every level, so the
	// merge's warnings come grouped by module, in its order.
	for _, m := range mergeWarnModules {
		l.cfg.Warnings = append(l.cfg.Warnings, defaults.diag.byModule[m]...)
	}
	if err != nil {
		return err
	}
	if err := l.mergeReferers(h, end); err != nil {
		return err
	}
	for _, s := range h.Servers {
		if err := checkDuplicateLocations(s.Locations); err != nil {
			return err
		}
	}
	if err := l.checkSSLListenCertificates(); err != nil {
		return err
	}
	h.Charsets, h.CharsetMaps = hb.charsets.names, hb.charsets.maps
	if err := l.checkCharsetRecodes(); err != nil {
		return err
	}
	for _, m := range mergeUseModules {
		for _, v := range defaults.diag.usesByModule[m] {
			hb.vars.use(v)
		}
	}
	if err := hb.vars.check(); err != nil {
		return err
	}
	if err := hb.vars.checkHash(h.Conf.passiveSize("variables_hash_max_size", 1024), h.Conf.passiveSize("variables_hash_bucket_size", 64)); err != nil {
		return err
	}
	h.Variables = hb.vars.declaredNames()
	for _, s := range h.Servers {
		if len(s.Names) == 0 {
			s.Names = []ServerName{{Name: "", Pos: s.Pos}}
		}
	}
	if err := l.checkServerNames(); err != nil {
		return err
	}
	l.dropCacheWarnings()
	l.warnWebSocketIdioms()
	h.engine = newEngine(h, h.Variables, hb.vars.quiet)
	return nil
}

// dropCacheWarnings removes the warnings of proxy_cache_* settings when
// no proxy_cache_path declares a zone: nginx then caches nothing, as
// nginxws never does, and "proxy_cache_bypass $http_upgrade" (ASP.NET
// Core's and many Node.js guides' WebSocket location) is a no-op in both.
func (l *loader) dropCacheWarnings() {
	if l.http.h.ProxyCacheZones != nil || len(l.cacheWarns) == 0 {
		return
	}
	kept := l.cfg.Warnings[:0]
	next := 0
	for i, w := range l.cfg.Warnings {
		if next < len(l.cacheWarns) && l.cacheWarns[next] == i {
			next++
			continue
		}
		kept = append(kept, w)
	}
	l.cfg.Warnings = kept
	l.cacheWarns = nil
}

// hostname is the machine's name, for server_name $hostname.
func (l *loader) hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return lowerString(h)
}

// checkServerNames reproduces ngx_http_optimize_servers'
// ngx_http_server_names: on every address that more than one server
// shares (or whose default server has a regex name with captures), the
// names go into nginx's name hash one by one, in server and name order.
// A name the hash already holds, by the rules of ngx_hash_add_key (where
// ".example.com" claims "example.com" and "*.example.com" both), gets
// the [warn] "conflicting server name" and is ignored; a name the hash
// cannot hold ("*.example.*", "www.*.example.com", "a..b") is an [emerg]
// there, which nginx does not check for an address with a single server.
// Addresses are taken in nginx's order (addrsInNginxOrder). Both messages
// have no position: nginx logs them with cf->log after the http block.
func (l *loader) checkServerNames() error {
	hb := l.http
	for _, addr := range hb.addrsInNginxOrder() {
		a := hb.addrs[addr]
		if len(a.servers) < 2 && !serverCaptures(a.def) {
			continue
		}
		text := addrText(a.first)
		keys := newMapKeys()
		var exact, wild []string
		for _, s := range a.servers {
			for _, n := range s.Names {
				if n.Regex != nil {
					continue
				}
				valid, conflict := keys.add(n.Name, true)
				if !valid {
					return errAt(parser.Pos{}, `invalid server name or wildcard "%s" on %s`, n.Name, text)
				}
				if conflict {
					l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: `conflicting server name "` + n.Name + `" on ` + text + `, ignored`})
					continue
				}
				if isWildcardName(n.Name) {
					wild = append(wild, n.Name)
				} else {
					exact = append(exact, n.Name)
				}
			}
		}
		if err := l.checkNamesHash(exact, wild); err != nil {
			return err
		}
	}
	return nil
}

// serverCaptures is nginx's cscf->captures: whether the server's last
// regex name has captures (ngx_http_core_server_name sets the flag anew
// for every regex name, so only the last one counts).
func serverCaptures(s *Server) bool {
	if s == nil {
		return false
	}
	captures := false
	for _, n := range s.Names {
		if n.Regex != nil {
			captures = n.Regex.NumSubexp() > 0
		}
	}
	return captures
}

// addrsInNginxOrder lists the listening addresses in the order nginx's
// ngx_http_optimize_servers visits them: grouped by port (a port is a
// port number and an address family; every unix socket shares one), the
// ports in the order their first listen was read; within a port, the
// addresses with socket options (nginx's "bind") first, then the others,
// each in the order read, and the wildcard address (0.0.0.0, [::]) last,
// as ngx_http_cmp_conf_addrs sorts them.
func (hb *httpBuilder) addrsInNginxOrder() []string {
	var ports []string
	byPort := map[string][]string{}
	for _, addr := range hb.addrOrder {
		p := portKey(hb.addrs[addr].first)
		if _, ok := byPort[p]; !ok {
			ports = append(ports, p)
		}
		byPort[p] = append(byPort[p], addr)
	}
	rank := func(addr string) int {
		a := hb.addrs[addr]
		switch {
		case isWildcardAddr(a.first):
			return 2
		case a.optsSet:
			return 0
		}
		return 1
	}
	out := make([]string, 0, len(hb.addrOrder))
	for _, p := range ports {
		group := byPort[p]
		sort.SliceStable(group, func(i, j int) bool { return rank(group[i]) < rank(group[j]) })
		out = append(out, group...)
	}
	return out
}

// portKey is what makes two listening addresses share an nginx "port"
// (ngx_http_conf_port_t): the family and the port number.
func portKey(ls Listen) string {
	if ls.Network == "unix" {
		return "unix"
	}
	family := "inet"
	if strings.HasPrefix(ls.Addr, "[") {
		family = "inet6"
	}
	return family + " " + ls.Addr[strings.LastIndexByte(ls.Addr, ':')+1:]
}
