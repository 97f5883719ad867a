package directives

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nginxws/nginxws/parser"
)

// The value checks of directives nginxws ignores (or, for ssl_*, keeps
// for TLS) whose nginx handlers are their own functions rather than slot
// setters. nginx rejects a malformed one at -t, so nginxws does too, with
// the same words; what a valid one asks for is still not done.

// checkCacheValid reproduces ngx_http_file_cache_valid_set_slot
// (proxy_cache_valid and its fastcgi, scgi and uwsgi siblings): the last
// argument is a time, the others statuses 100..599 or "any".
func (l *loader) checkCacheValid(d *parser.Directive) error {
	n := len(d.Args) - 1
	if _, ok := parseTime(d.Args[n].Value, true); !ok {
		return l.errf(d, `invalid time value "%s"`, d.Args[n].Value)
	}
	for _, a := range d.Args[:n] {
		if a.Value == "any" {
			continue
		}
		if st, ok := Atoi(a.Value); !ok || st < 100 || st > 599 {
			return l.errf(d, `invalid status "%s"`, a.Value)
		}
	}
	return nil
}

// checkOpenFileCache reproduces ngx_http_core_open_file_cache and
// ngx_http_log_open_file_cache: their parameters, and "max" unless "off"
// is among them. The two differ in what max= may be and in one word of
// the message.
func (l *loader) checkOpenFileCache(d *parser.Directive) error {
	log := d.Name == "open_log_file_cache"
	var max int64
	off := false
	for _, a := range d.Args {
		v := a.Value
		ok := true
		switch {
		case strings.HasPrefix(v, "max="):
			max, ok = Atoi(v[4:])
			if !log && ok && max <= 0 {
				ok = false
			}
		case strings.HasPrefix(v, "inactive="):
			_, ok = parseTime(v[9:], true)
		case log && strings.HasPrefix(v, "min_uses="):
			_, ok = Atoi(v[9:])
		case log && strings.HasPrefix(v, "valid="):
			_, ok = parseTime(v[6:], true)
		case v == "off":
			off = true
		default:
			ok = false
		}
		if !ok {
			return l.errf(d, `invalid "%s" parameter "%s"`, d.Name, v)
		}
	}
	switch {
	case off || max != 0:
		return nil
	case log:
		return l.errf(d, `"open_log_file_cache" must have "max" parameter`)
	}
	return l.errf(d, `"open_file_cache" must have the "max" parameter`)
}

// checkSessionCache reproduces ngx_http_ssl_session_cache. A shared cache
// is a shared memory zone, so its name may clash with another zone's.
func (l *loader) checkSessionCache(d *parser.Directive) error {
	for _, a := range d.Args {
		v := a.Value
		switch {
		case v == "off", v == "none", v == "builtin":
			continue
		case len(v) > len("builtin:") && strings.HasPrefix(v, "builtin:"):
			if _, ok := Atoi(v[len("builtin:"):]); ok {
				continue
			}
		case len(v) > len("shared:") && strings.HasPrefix(v, "shared:"):
			name, size, found := strings.Cut(v[len("shared:"):], ":")
			if name == "" || !found {
				break
			}
			n, ok := parseSize(size)
			if !ok {
				break
			}
			if n < 8*pageSize {
				return l.errf(d, `session cache "%s" is too small`, v)
			}
			if _, err := l.http.limits.add(l, d, name, n, "ssl_session_cache"); err != nil {
				return err
			}
			continue
		}
		return l.errf(d, `invalid session cache "%s"`, v)
	}
	return nil
}

// checkOCSPCache reproduces ngx_http_ssl_ocsp_cache: once a level, "off"
// or "shared:NAME:SIZE" (SIZE at least 8 pages), a shared memory zone of
// its own kind.
func (l *loader) checkOCSPCache(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v := d.Args[0].Value
	if v == "off" {
		return nil
	}
	if name, size, found := strings.Cut(strings.TrimPrefix(v, "shared:"), ":"); strings.HasPrefix(v, "shared:") && name != "" && found {
		n, ok := parseSize(size)
		if ok && n < 8*pageSize {
			return l.errf(d, `OCSP cache "%s" is too small`, v)
		}
		if ok {
			if l.http != nil {
				_, err := l.http.limits.add(l, d, name, n, "ssl_ocsp_cache")
				return err
			}
			return nil
		}
	}
	return l.errf(d, `invalid OCSP cache "%s"`, v)
}

// checkResolver reproduces ngx_resolver_create's reading of "resolver":
// valid= and ipv6= (nginx 1.22 has no ipv4=), and addresses, whose names
// nginx resolves right there (port 53 by default). nginxws resolves names
// its own way, so the directive has no other effect.
func (l *loader) checkResolver(d *parser.Directive) (*Resolver, error) {
	r := &Resolver{IPv6: true}
	servers := 0
	for _, a := range d.Args {
		v := a.Value
		switch {
		case strings.HasPrefix(v, "valid="):
			secs, ok := parseTime(v[6:], true)
			if !ok {
				return nil, l.errf(d, "invalid parameter: %s", v)
			}
			r.Valid = time.Duration(secs) * time.Second
		case strings.HasPrefix(v, "ipv6="):
			if v[5:] != "on" && v[5:] != "off" {
				return nil, l.errf(d, "invalid parameter: %s", v)
			}
			r.IPv6 = v[5:] == "on"
		default:
			u := parseURL(v, urlOpts{defaultPort: 53}, l.resolve)
			if u.err != "" {
				return nil, l.errf(d, `%s in resolver "%s"`, u.err, v)
			}
			r.Servers = append(r.Servers, u.addrs...)
			servers++
		}
	}
	if servers == 0 {
		return nil, l.errf(d, "no name servers defined")
	}
	return r, nil
}

// Resolver is a resolver directive's name servers ("ip:port", those
// given by name resolved at load; a unix: one has none) and parameters.
type Resolver struct {
	Servers []string
	Valid   time.Duration // valid=: how long nginx caches an answer
	IPv6    bool          // ipv6=on (the default): AAAA records too
}

// setResolver reads the resolver directive (ngx_http_core_resolver).
func setResolver(l *loader, d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	r, err := l.checkResolver(d)
	if err != nil {
		return err
	}
	sc.loc.Resolver = r
	return nil
}

// checkProxyCache reproduces ngx_http_proxy_cache (and fastcgi_cache,
// uwsgi_cache, scgi_cache): "off", a value with variables (the zone
// chosen per request), or a zone, which must be the module's
// *_cache_path's (checked when the levels are merged, locconf.go).
func (l *loader) checkProxyCache(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v := d.Args[0].Value
	if sc.loc.cacheOn == nil {
		sc.loc.cacheOn, sc.loc.cacheKeyed = map[string]bool{}, map[string]bool{}
	}
	sc.loc.cacheOn[d.Name] = v != "off"
	if v == "off" {
		return nil
	}
	cv, err := l.compileComplex(d, v)
	if err != nil {
		return err
	}
	if !cv.IsLiteral() && d.Name == "proxy_cache" {
		sc.loc.ProxyCacheValue = cv
	}
	if cv.IsLiteral() {
		z, err := l.http.limits.add(l, d, v, 0, strings.TrimSuffix(d.Name, "_cache"))
		if err != nil {
			return err
		}
		if sc.loc.cacheZones == nil {
			sc.loc.cacheZones = map[string]*sharedZone{}
		}
		sc.loc.cacheZones[d.Name] = z
	}
	return nil
}

// checkCachePath reproduces ngx_http_file_cache_set_slot's reading of
// proxy_cache_path (and the fastcgi, scgi and uwsgi ones): levels=,
// use_temp_path=, keys_zone=NAME:SIZE (required), inactive=, max_size=,
// min_free=, loader_* and manager_*; the keys zone is a shared memory
// zone of the module, declared once.
func (l *loader) checkCachePath(d *parser.Directive) error {
	var name string
	var size int64
	var levels [MaxPathLevel]int
	for _, a := range d.Args[1:] {
		v := a.Value
		key, val, _ := strings.Cut(v, "=")
		ok := true
		switch key {
		case "levels":
			ok = validCacheLevels(val)
			if !ok {
				return l.errf(d, `invalid "levels" "%s"`, v)
			}
			levels = cacheLevels(val)
		case "use_temp_path":
			if val != "on" && val != "off" {
				return l.errf(d, `invalid use_temp_path value "%s", it must be "on" or "off"`, v)
			}
		case "keys_zone":
			n, sz, found := strings.Cut(val, ":")
			if !found {
				return l.errf(d, `invalid keys zone size "%s"`, v)
			}
			if size, ok = parseSize(sz); !ok {
				return l.errf(d, `invalid keys zone size "%s"`, v)
			}
			if size < 2*pageSize {
				return l.errf(d, `keys zone "%s" is too small`, v)
			}
			name = n
			continue
		case "inactive":
			_, ok = parseTime(val, true)
		case "max_size", "min_free":
			var n int64
			n, ok = parseOffset(val)
			ok = ok && n >= 0
		case "loader_files", "manager_files":
			_, ok = Atoi(val)
		case "loader_sleep", "loader_threshold", "manager_sleep", "manager_threshold":
			_, ok = parseMsec(val)
		default:
			return l.errf(d, `invalid parameter "%s"`, v)
		}
		if !ok {
			return l.errf(d, `invalid %s value "%s"`, key, v)
		}
	}
	if name == "" || size == 0 {
		return l.errf(d, `"%s" must have "keys_zone" parameter`, d.Name)
	}
	z, err := l.http.limits.add(l, d, name, size, strings.TrimSuffix(d.Name, "_cache_path"))
	if err != nil {
		return err
	}
	if z.cachePath {
		return l.errf(d, `duplicate zone "%s"`, name)
	}
	z.cachePath = true
	if err := l.addPath(d, d.Args[0].Value, levels, true); err != nil {
		return err
	}
	if d.Name == "proxy_cache_path" {
		if l.http.h.ProxyCacheZones == nil {
			l.http.h.ProxyCacheZones = map[string]bool{}
		}
		l.http.h.ProxyCacheZones[name] = true
	}
	return nil
}

// cacheLevels turns a valid "levels=" value into the path's levels.
func cacheLevels(v string) [MaxPathLevel]int {
	var levels [MaxPathLevel]int
	for i, p := range strings.Split(v, ":") {
		if i < MaxPathLevel && p != "" {
			levels[i] = int(p[0] - '0')
		}
	}
	return levels
}

// validCacheLevels checks "levels=" as ngx_http_file_cache_set_slot does:
// up to three levels of 1 or 2 characters, separated by ":" (an empty
// value is no levels).
func validCacheLevels(v string) bool {
	if v == "" {
		return true
	}
	parts := strings.Split(v, ":")
	if len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if p != "1" && p != "2" {
			return false
		}
	}
	return true
}

// checkAio reproduces ngx_http_core_set_aio as Debian builds nginx:
// "off", "threads" or "threads=POOL" (POOL may hold variables); "on" needs
// file AIO, which that build lacks.
func (l *loader) checkAio(d *parser.Directive) error {
	v := d.Args[0].Value
	switch {
	case v == "on":
		return l.errf(d, `"aio on" is unsupported on this platform`)
	case v == "off":
		return nil
	case v == "threads":
		l.mentionPool(d, "default")
		return nil
	case strings.HasPrefix(v, "threads="):
		cv, err := l.compileComplex(d, v[8:])
		if err == nil && cv.IsLiteral() {
			l.mentionPool(d, v[8:])
		}
		return err
	}
	return l.invalid(d)
}

// poolRef is a thread pool as nginx first met it (ngx_thread_pool_add).
type poolRef struct {
	name string
	pos  parser.Pos
}

// mentionPool records a thread pool's first mention.
func (l *loader) mentionPool(d *parser.Directive, name string) {
	for _, r := range l.poolRefs {
		if r.name == name {
			return
		}
	}
	l.poolRefs = append(l.poolRefs, poolRef{name: name, pos: d.Pos})
}

// checkThreadPools is ngx_thread_pool_init_conf: a pool named by "aio
// threads=" that no thread_pool declared is an error ("default" excepted,
// nginx gives it 32 threads), with the place of its first mention in the
// message.
func (l *loader) checkThreadPools() error {
	for _, r := range l.poolRefs {
		if !l.threadPools[r.name] && r.name != "default" {
			return &parser.Error{Msg: fmt.Sprintf(`unknown thread pool "%s" in %s:%d`, r.name, r.pos.File, r.pos.Line), PostSyntax: true}
		}
	}
	return nil
}

// checkThreadPool reproduces ngx_thread_pool: threads= is required and
// positive, max_queue= a number; other parameters are skipped, as nginx
// skips them.
func (l *loader) checkThreadPool(d *parser.Directive) error {
	name := d.Args[0].Value
	if l.threadPools[name] {
		return l.errf(d, `duplicate thread pool "%s"`, name)
	}
	threads := false
	for _, a := range d.Args[1:] {
		v := a.Value
		switch {
		case strings.HasPrefix(v, "threads="):
			n, ok := Atoi(v[8:])
			if !ok || n == 0 {
				return l.errf(d, `invalid threads value "%s"`, v)
			}
			threads = true
		case strings.HasPrefix(v, "max_queue="):
			if _, ok := Atoi(v[10:]); !ok {
				return l.errf(d, `invalid max_queue value "%s"`, v)
			}
		}
	}
	l.mentionPool(d, name)
	if !threads {
		return l.errf(d, `"%s" must have "threads" parameter`, d.Name)
	}
	if l.threadPools == nil {
		l.threadPools = map[string]bool{}
	}
	l.threadPools[name] = true
	return nil
}

// checkCPUAffinity reproduces ngx_set_cpu_affinity: "auto" with at most
// one mask, or masks of "0" and "1" (spaces skipped), up to 1024 CPUs.
// (nginx's warning when the masks and worker_processes differ in number
// comes after "syntax is ok" and is not reproduced.)
func (l *loader) checkCPUAffinity(d *parser.Directive) error {
	masks := d.Args
	if masks[0].Value == "auto" {
		if len(masks) > 2 {
			return l.errf(d, `invalid number of arguments in "worker_cpu_affinity" directive`)
		}
		masks = masks[1:]
	}
	for _, m := range masks {
		v := m.Value
		if len(v) > 1024 {
			return l.errf(d, `"worker_cpu_affinity" supports up to 1024 CPUs only`)
		}
		for i := len(v) - 1; i >= 0; i-- {
			if c := v[i]; c != ' ' && c != '0' && c != '1' {
				return l.errf(d, `invalid character "%c" in "worker_cpu_affinity"`, c)
			}
		}
	}
	return nil
}

// checkHTTP2Push reproduces ngx_http_v2_push: "off" once, or URIs (with
// variables) any number of times, but not both at one level.
func (l *loader) checkHTTP2Push(d *parser.Directive, sc *scope) error {
	v := d.Args[0].Value
	if v == "off" {
		switch {
		case sc.loc.isSet("http2_push uri"):
			return l.errf(d, `"%s" directive "off" parameter cannot be used with URI`, d.Name)
		case sc.loc.mark("http2_push off"):
			return l.dup(d)
		}
		return nil
	}
	if sc.loc.isSet("http2_push off") {
		return l.errf(d, `"%s" directive URI cannot be used with "off" parameter`, d.Name)
	}
	sc.loc.mark("http2_push uri")
	_, err := l.compileComplex(d, v)
	return err
}

// checkSplitPathInfo reproduces ngx_http_fastcgi_split_path_info: the
// pattern must compile (PCRE2's message) and have exactly two captures.
// Only PCRE2's own verdict counts: a pattern nginxws could not run is
// fine, since nothing runs it.
func (l *loader) checkSplitPathInfo(d *parser.Directive) error {
	v := d.Args[0].Value
	info := scanPCRE(v)
	switch {
	case info.pcreErr != "":
		return errAt(d.Pos, "%s", pcreFailed(v, info.pcreErr, info.pcreErrAt).Error())
	case info.lateErr != "":
		return errAt(d.Pos, "%s", pcreFailed(v, info.lateErr, info.lateErrAt).Error())
	case info.lookbehindAt >= 0:
		return errAt(d.Pos, "%s", pcreFailed(v, "lookbehind assertion is not fixed length", info.lookbehindAt).Error())
	}
	if info.unsup == "" && info.needs == "" {
		if _, err := compileRegexp(v, false); err != nil && strings.HasPrefix(err.Error(), "pcre2_compile() failed") {
			return errAt(d.Pos, "%s", err.Error())
		}
	}
	if len(info.groups) != 2 {
		return l.errf(d, `pattern "%s" must have 2 captures`, v)
	}
	return nil
}

// checkParam reproduces ngx_http_upstream_param_set_slot (fastcgi_param
// and its siblings; grpc_set_header is ngx_conf_set_keyval_slot): a third
// argument can only be "if_not_empty". The value's variables are compiled
// now, so an unknown one fails at the end as in nginx; a syntax error in
// it is nginx's only when the level is merged, so it waits (paramErrs).
func (l *loader) checkParam(d *parser.Directive, sc *scope) error {
	if len(d.Args) == 3 && d.Args[2].Value != "if_not_empty" {
		return l.errf(d, `invalid parameter "%s"`, d.Args[2].Value)
	}
	sc.loc.mark(d.Name)
	_, uses, err := l.compileAtMerge(d, d.Args[1].Value)
	if len(uses) > 0 {
		if sc.loc.paramUses == nil {
			sc.loc.paramUses = map[string][]string{}
		}
		sc.loc.paramUses[d.Name] = append(sc.loc.paramUses[d.Name], uses...)
	}
	if err != nil {
		var pe *parser.Error
		if !errors.As(err, &pe) {
			return err
		}
		if sc.loc.paramErrs == nil {
			sc.loc.paramErrs = map[string]string{}
		}
		if sc.loc.paramErrs[d.Name] == "" {
			sc.loc.paramErrs[d.Name] = pe.Msg
		}
	}
	return nil
}

// checkUpstreamPass reproduces the pass handlers of the modules nginxws
// does not run (ngx_http_fastcgi_pass, _uwsgi_, _scgi_, _grpc_,
// _memcached_pass): once a level; a value with "$" is compiled as a
// script (not for memcached), any other is an upstream added without
// resolving and without a default port, after the scheme uwsgi and grpc
// allow ("uwsgi://", "suwsgi://", "grpc://", "grpcs://"). Such a group is
// resolved, or refused for want of a port, when the http block ends
// (initUpstreams). memcached_pass indexes $memcached_key.
func (l *loader) checkUpstreamPass(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	url := d.Args[0].Value
	module := strings.TrimSuffix(d.Name, "_pass")
	if module != "memcached" && strings.IndexByte(url, '$') >= 0 {
		_, err := l.compileComplex(d, url)
		return err
	}
	var schemes []string
	switch module {
	case "uwsgi":
		schemes = []string{"uwsgi://", "suwsgi://"}
	case "grpc":
		schemes = []string{"grpc://", "grpcs://"}
	}
	for _, sch := range schemes {
		if len(url) >= len(sch) && strings.EqualFold(url[:len(sch)], sch) {
			url = url[len(sch):]
			break
		}
	}
	if l.http == nil {
		return nil
	}
	if _, _, err := l.passUpstream(d, url, urlOpts{noResolve: true}); err != nil {
		return err
	}
	if module == "memcached" {
		l.useVar("memcached_key")
	}
	return nil
}

// checkDisableSymlinks reproduces ngx_http_disable_symlinks: once a
// level; each argument "off", "on", "if_not_owner" or "from=" with a
// complex value; one of the first three required; "from=" with two
// arguments only, and not with "off".
func (l *loader) checkDisableSymlinks(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	mode, from := "", false
	for _, a := range d.Args {
		switch v := a.Value; {
		case v == "off" || v == "on" || v == "if_not_owner":
			mode = v
		case strings.HasPrefix(v, "from="):
			if _, err := l.compileComplex(d, v[5:]); err != nil {
				return err
			}
			from = true
		default:
			return l.errf(d, `invalid parameter "%s"`, v)
		}
	}
	switch {
	case mode == "":
		return l.errf(d, `"%s" must have "off", "on" or "if_not_owner" parameter`, d.Name)
	case len(d.Args) == 1:
		return nil
	case !from:
		return l.errf(d, `duplicate parameters "%s %s"`, d.Args[0].Value, d.Args[1].Value)
	case mode == "off":
		return l.errf(d, `"from=" cannot be used with "off" parameter`)
	}
	return nil
}

// checkBind reproduces ngx_http_upstream_bind_set_slot for the modules
// nginxws does not implement (proxy_bind is setProxyBind): once a level,
// "off", an address with an optional port or a value with variables,
// then only "transparent".
func (l *loader) checkBind(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	v := d.Args[0].Value
	if len(d.Args) == 1 && v == "off" {
		return nil
	}
	c, err := l.compileComplex(d, v)
	if err != nil {
		return err
	}
	if c.IsLiteral() {
		if _, ok := ParseAddrPort([]byte(v)); !ok {
			return l.errf(d, `invalid address "%s"`, v)
		}
	}
	if len(d.Args) == 2 && d.Args[1].Value != "transparent" {
		return l.errf(d, `invalid parameter "%s"`, d.Args[1].Value)
	}
	return nil
}

// checkAccess reproduces ngx_conf_set_access_slot (*_store_access): once
// a level, each argument "user:", "group:" or "all:" followed by "r" or
// "rw".
func (l *loader) checkAccess(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	for _, a := range d.Args {
		v := a.Value
		who := ""
		for _, p := range []string{"user:", "group:", "all:"} {
			if strings.HasPrefix(v, p) {
				who = p
			}
		}
		if who == "" || (v[len(who):] != "r" && v[len(who):] != "rw") {
			return l.errf(d, `invalid value "%s"`, v)
		}
	}
	return nil
}

// checkDebugConnection reproduces ngx_event_debug_connection (Debian
// builds nginx --with-debug): "unix:", an address or a network (with
// nginx's warning when the host bits are set), or a name, which nginx
// resolves there and then.
func (l *loader) checkDebugConnection(d *parser.Directive) error {
	v := d.Args[0].Value
	if v == "unix:" {
		return nil
	}
	if _, meaningless, ok := parseCIDR(v); ok {
		if meaningless {
			l.warnf(d, "low address bits of %s are meaningless", v)
		}
		return nil
	}
	if u := resolveHost(urlParse{host: v}, l.resolve); u.err != "" {
		return l.errf(d, `%s in debug_connection "%s"`, u.err, v)
	}
	return nil
}

// Post handlers of ignored directives' values (ngx_conf_post_t), with
// nginx's words.

// minPoolSize is NGX_MIN_POOL_SIZE on 64-bit Linux: a pool header and
// two large-allocation links, aligned to NGX_POOL_ALIGNMENT (16).
const minPoolSize = 112

// postPoolSize is ngx_http_core_pool_size and ngx_http_v2_pool_size
// (connection_pool_size, request_pool_size, http2_pool_size).
func postPoolSize(_ string, v int64) string {
	switch {
	case v < minPoolSize:
		return fmt.Sprintf("the pool size must be no less than %d", minPoolSize)
	case v%16 != 0:
		return "the pool size must be a multiple of 16"
	}
	return ""
}

// postHTTP2ChunkSize is ngx_http_v2_chunk_size (a larger value is cut
// down to the largest frame without a word).
func postHTTP2ChunkSize(_ string, v int64) string {
	if v == 0 {
		return "the http2 chunk size cannot be zero"
	}
	return ""
}

// postHTTP2RecvBufferSize is ngx_http_v2_recv_buffer_size: more than
// twice NGX_HTTP_V2_STATE_BUFFER_SIZE (16).
func postHTTP2RecvBufferSize(name string, v int64) string {
	if v <= 2*16 {
		return `"` + name + `" directive value is too small`
	}
	return ""
}

// postHTTP2PrereadSize is ngx_http_v2_preread_size: at most
// NGX_HTTP_V2_MAX_WINDOW.
func postHTTP2PrereadSize(_ string, v int64) string {
	if v > 1<<31-1 {
		return fmt.Sprintf("the maximum body preread buffer size is %d", 1<<31-1)
	}
	return ""
}

// postModifierBounds is ngx_http_uwsgi_modifier_bounds, an
// ngx_conf_check_num_bounds from 0 to 255 (uwsgi_modifier1, uwsgi_modifier2).
func postModifierBounds(_ string, v int64) string {
	if v > 255 {
		return "value must be between 0 and 255"
	}
	return ""
}

// postPowerOfTwo is ngx_http_v2_streams_index_mask.
func postPowerOfTwo(name string, v int64) string {
	if v == 0 || v&(v-1) != 0 {
		return `"` + name + `" directive must be a power of two`
	}
	return ""
}

// passwordBufferSize is NGX_SSL_PASSWORD_BUFFER_SIZE: a line of the
// password file must fit in it with room to spare.
const passwordBufferSize = 4096

// readPasswordFile reproduces ngx_ssl_read_password_file, which reads the
// file where the directive stands (ssl_password_file and the grpc and
// uwsgi ones): it must open, read (a directory does not), and have no
// line of 4096 bytes or more.
func (l *loader) readPasswordFile(d *parser.Directive) error {
	path := l.confPath(d.Args[0].Value)
	f, err := os.Open(path)
	if err != nil {
		return l.errf(d, `open() "%s" failed (%s)`, path, osErrText(err))
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(f); err != nil {
		return l.errf(d, `read() "%s" failed (%s)`, path, osErrText(err))
	}
	for _, line := range bytes.Split(b.Bytes(), []byte("\n")) {
		if len(line) >= passwordBufferSize {
			return l.errf(d, `too long line in "%s"`, path)
		}
	}
	return nil
}

// keepPassive records an ignored directive's value at the scope's level
// (http, server or location), for the checks nginx makes when it merges
// the levels.
func (sc *scope) keepPassive(name string, a, b int64) {
	if sc.loc != nil {
		sc.loc.keepPassive(name, a, b)
	}
}
