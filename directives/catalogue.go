package directives

import (
	"time"

	"github.com/nginxws/nginxws/parser"
)

// The catalogue is modelled on nginx's module command tables
// (ngx_command_t): one row per directive with the contexts it may appear
// in, its argument count as flags, what nginxws does with it, and the
// setter that parses its arguments into the level's typed config.
//
// Rows for directives nginxws implements are in this file; rows for the
// rest of nginx 1.22's directives (ignored with a warning, or refused) are
// in catalogue_nginx.go. Contexts and argument counts of every row were
// read off the real nginx 1.22 binary (see testdata/probe/README.md).

// ctxMask is the set of contexts a directive may appear in, like nginx's
// NGX_MAIN_CONF, NGX_HTTP_SRV_CONF, … flags.
type ctxMask uint16

const (
	cMain        ctxMask = 1 << iota // top level
	cEvents                          // events { }
	cHTTP                            // http { }
	cServer                          // server { } in http
	cLocation                        // location { }
	cServerIf                        // if { } in server (NGX_HTTP_SIF_CONF)
	cLocationIf                      // if { } in location (NGX_HTTP_LIF_CONF)
	cUpstream                        // upstream { }
	cLimitExcept                     // limit_except { }
)

// arity is the argument-count part of a directive's type, like nginx's
// NGX_CONF_NOARGS, NGX_CONF_TAKE1, … NGX_CONF_1MORE flags.
type arity uint32

const (
	argNone  arity = 1 << iota // NGX_CONF_NOARGS
	arg1                       // NGX_CONF_TAKE1
	arg2                       // NGX_CONF_TAKE2
	arg3                       // NGX_CONF_TAKE3
	arg4                       // NGX_CONF_TAKE4
	arg5                       // NGX_CONF_TAKE5
	arg6                       // NGX_CONF_TAKE6
	arg7                       // NGX_CONF_TAKE7
	argBlock                   // NGX_CONF_BLOCK: written with { }
	argFlag                    // NGX_CONF_FLAG: exactly one argument, on|off
	argAny                     // NGX_CONF_ANY: any count
	arg1More                   // NGX_CONF_1MORE
	arg2More                   // NGX_CONF_2MORE
)

// Common combinations, named as nginx names them.
const (
	arg12   = arg1 | arg2
	arg23   = arg2 | arg3
	arg123  = arg1 | arg2 | arg3
	arg1234 = arg1 | arg2 | arg3 | arg4
)

// maxArgs is NGX_CONF_MAX_ARGS: a directive with more arguments than this
// is rejected unless it takes 1MORE, 2MORE or ANY.
const maxArgs = 8

// takeN maps an argument count to its NGX_CONF_TAKEn flag.
var takeN = [maxArgs + 1]arity{argNone, arg1, arg2, arg3, arg4, arg5, arg6, arg7, 0}

// argsOK reports whether n arguments fit the arity, as ngx_conf_handler
// checks them.
func (a arity) argsOK(n int) bool {
	switch {
	case a&argAny != 0:
		return true
	case a&argFlag != 0:
		return n == 1
	case a&arg1More != 0:
		return n >= 1
	case a&arg2More != 0:
		return n >= 2
	case n > maxArgs:
		return false
	}
	return a&takeN[n] != 0
}

// status says what nginxws does with a directive nginx knows.
type status uint8

const (
	// implemented: parsed into the typed Config and honoured.
	implemented status = iota
	// ignored: harmless tuning; accepted with a [warn] and no effect.
	ignored
	// refused: ignoring it would weaken access control or change what is
	// served, so a config using it fails with "directive is not supported".
	refused
	// tlsSetting: an ngx_http_ssl_module setting: its value checked as
	// nginx's setter checks it, then kept as written at its level
	// (keepSSL) and compiled into each server's TLS configuration when
	// the http block ends (compileTLS, tlsconf.go).
	tlsSetting
)

// setter parses one directive's arguments into the scope's typed config.
// It runs when the directive is read, like an nginx handler, so its errors
// come in reading order.
type setter func(l *loader, d *parser.Directive, sc *scope) error

// row is one catalogue entry.
type row struct {
	name   string
	ctx    ctxMask
	args   arity
	status status
	set    setter // nil unless implemented
	// repeat marks directives that may appear several times at one level
	// (lists such as proxy_set_header); others are "is duplicate" the
	// second time, as nginx's slot setters say.
	repeat bool

	// For rows without a setter (ignored, refused): the value syntax and
	// the duplicate rule nginx's slot setter applies, so that a config
	// nginx rejects is rejected here too. Read off the real binary.
	check  valueCheck
	dupErr bool
	// vals are the names checkEnum and checkBitmask accept (nginx's
	// ngx_conf_enum_t / ngx_conf_bitmask_t tables, compared ignoring
	// case); max is checkNum's upper bound with min 1 (nginx's
	// ngx_conf_num_bounds_t post handler), 0 for none.
	vals []string
	max  int64
	// obsolete names the directive nginx 1.22 says to use instead of this
	// one (ngx_http_v2_obsolete): nginx ignores it too, with that [warn].
	obsolete string
	// post is the post handler nginx's slot setter runs on the parsed
	// value (ngx_conf_post_t): given the directive's name and the number
	// or size, it returns nginx's error, or "".
	post func(name string, v int64) string
	// warn is the [warn] nginx itself prints for the directive on Linux
	// (the *_send_lowat ones), printed instead of nginxws's "is ignored".
	warn string
	// def are the values of a refused or ignored directive that ask for
	// nginx's own default (etag on, ssl_ocsp off, proxy_cache off): written
	// out, they change nothing, so nginxws accepts them silently.
	def []string
}

// valueCheck is the syntax of a single-argument directive's value, as
// nginx's ngx_conf_set_*_slot setters parse it.
type valueCheck uint8

const (
	checkNone            valueCheck = iota
	checkNum                        // ngx_conf_set_num_slot: "invalid number"
	checkSize                       // ngx_conf_set_size_slot: "invalid value"
	checkOffset                     // ngx_conf_set_off_slot
	checkOffsetOff                  // "off" or an offset (ngx_http_core_directio)
	checkMsec                       // ngx_conf_set_msec_slot
	checkSec                        // ngx_conf_set_sec_slot
	checkEnum                       // ngx_conf_set_enum_slot: one of vals, else "invalid value"
	checkBitmask                    // ngx_conf_set_bitmask_slot: each argument one of vals
	checkEvent                      // ngx_event_use: "epoll", the one event module Debian's build has on Linux
	checkPriority                   // ngx_set_priority: a number with an optional sign
	checkBufs                       // ngx_conf_set_bufs_slot: "NUMBER SIZE", both non-zero
	checkPath                       // ngx_conf_set_path_slot: a path and up to 3 levels, non-zero, 10 in all at most
	checkCacheValid                 // ngx_http_file_cache_valid_set_slot: [STATUS|any ...] TIME
	checkOpenFileCache              // open_file_cache, open_log_file_cache: max=, inactive=, (min_uses=, valid=), off
	checkSessionCache               // ngx_http_ssl_session_cache: off, none, builtin[:N], shared:NAME:SIZE
	checkCachePath                  // ngx_http_file_cache_set_slot: a *_cache_path and its keys zone
	checkProxyCache                 // ngx_http_proxy_cache: off, a variable, or a zone
	checkAio                        // ngx_http_core_set_aio: off, on, threads[=pool]
	checkThreadPool                 // ngx_thread_pool: NAME threads=N [max_queue=N]
	checkCPUAffinity                // ngx_set_cpu_affinity: auto [mask], or masks of 0 and 1
	checkSSLCert                    // ssl_certificate, ssl_certificate_key: kept for nginx's checks (tls.go)
	checkTypes                      // ngx_http_types_slot: MIME types, text/html already in, "*" (readTypes)
	checkGzipWindow                 // a size, 512 to 32k, a power of two (ngx_http_gzip_window)
	checkGzipHash                   // a size, 512 to 128k, a power of two (ngx_http_gzip_hash)
	checkZone                       // an upstream's zone: ngx_http_upstream_zone's checks, a shared memory zone
	checkPredicate                  // ngx_http_set_predicate_slot: each argument a complex value (*_cache_bypass, *_no_cache)
	checkComplex                    // ngx_http_set_complex_value_slot and _zero_slot: one complex value
	checkStore                      // fastcgi_store and its siblings: "off", "on" or a path with variables
	checkHTTP2Push                  // ngx_http_v2_push: "off", or URIs with variables, not both
	checkSplitPathInfo              // fastcgi_split_path_info: a regular expression with 2 captures
	checkParam                      // ngx_http_upstream_param_set_slot: KEY VALUE [if_not_empty]
	checkBind                       // ngx_http_upstream_bind_set_slot: off, an address, or variables; transparent
	checkAccess                     // ngx_conf_set_access_slot: user:, group:, all: with r or rw
	checkDebugConnection            // ngx_event_debug_connection: unix:, an address or network, or a host name
	checkPasswordFile               // ngx_ssl_read_password_file: the file is read where the directive stands
	checkUpstreamPass               // fastcgi_pass and its siblings: variables, or an implicit upstream (ngx_http_upstream_add)
	checkDisableSymlinks            // ngx_http_disable_symlinks: off, on or if_not_owner, and from=
	checkUseridExpires              // ngx_http_userid_expires: max, off or a time
	checkUseridMark                 // ngx_http_userid_mark: off, or one letter, digit or "="
	checkMirror                     // ngx_http_mirror: "off" alone, or URIs
	checkOCSPCache                  // ngx_http_ssl_ocsp_cache: off or shared:NAME:SIZE, a shared memory zone
	checkModernBrowser              // ngx_http_modern_browser: "unlisted", or a known browser and a version
)

// valid reports whether v is a valid value of the kind.
func (k valueCheck) valid(v string) bool {
	var ok bool
	switch k {
	case checkNum:
		_, ok = Atoi(v)
	case checkSize:
		_, ok = parseSize(v)
	case checkOffset:
		_, ok = parseOffset(v)
	case checkOffsetOff:
		_, ok = parseOffset(v)
		ok = ok || v == "off"
	case checkMsec:
		_, ok = parseMsec(v)
	case checkSec:
		_, ok = parseSec(v)
	default:
		ok = true
	}
	return ok
}

// Context groups used by many rows.
const (
	cHSL   = cHTTP | cServer | cLocation
	cHSLI  = cHSL | cLocationIf
	cSLIf  = cServer | cLocation | cServerIf | cLocationIf
	cAnyIn = cMain | cEvents | cHTTP | cServer | cLocation | cServerIf | cLocationIf | cUpstream | cLimitExcept
)

// catalogueRows lists the implemented directives. Several rows may share a
// name when the directive means different things in different contexts
// (server in http vs in upstream), as nginx's modules do.
var catalogueRows = []row{
	// Main context (ngx_core_module, ngx_errlog_module).
	{name: "daemon", ctx: cMain, args: argFlag, set: (*loader).setDaemon},
	{name: "pid", ctx: cMain, args: arg1, set: (*loader).setPid},
	{name: "error_log", ctx: cMain | cHSL, args: arg1More, set: (*loader).setErrorLog, repeat: true},
	{name: "include", ctx: cAnyIn, args: arg1, set: (*loader).setInclude, repeat: true},
	{name: "load_module", ctx: cMain, args: arg1, set: (*loader).setLoadModule, repeat: true},
	{name: "user", ctx: cMain, args: arg12, set: (*loader).setUser},
	{name: "worker_processes", ctx: cMain, args: arg1, set: (*loader).setWorkerProcesses},
	{name: "worker_rlimit_nofile", ctx: cMain, args: arg1, set: (*loader).setWorkerRlimitNofile},
	{name: "worker_shutdown_timeout", ctx: cMain, args: arg1, set: (*loader).setWorkerShutdownTimeout},
	{name: "events", ctx: cMain, args: argBlock | argNone, set: (*loader).setEvents},
	{name: "worker_connections", ctx: cEvents, args: arg1, set: (*loader).setWorkerConnections},
	{name: "http", ctx: cMain, args: argBlock | argNone, set: (*loader).setHTTP},

	// http core (ngx_http_core_module).
	{name: "server", ctx: cHTTP, args: argBlock | argNone, set: (*loader).setServer, repeat: true},
	{name: "listen", ctx: cServer, args: arg1More, set: (*loader).setListen, repeat: true},
	{name: "server_names_hash_bucket_size", ctx: cHTTP, args: arg1, set: (*loader).setNamesHashSize},
	{name: "server_names_hash_max_size", ctx: cHTTP, args: arg1, set: (*loader).setNamesHashSize},
	{name: "map_hash_bucket_size", ctx: cHTTP, args: arg1, set: (*loader).setMapHashSize},
	{name: "map_hash_max_size", ctx: cHTTP, args: arg1, set: (*loader).setMapHashSize},
	{name: "server_name", ctx: cServer, args: arg1More, set: (*loader).setServerName, repeat: true},
	{name: "location", ctx: cServer | cLocation, args: argBlock | arg12, set: (*loader).setLocation, repeat: true},
	{name: "types", ctx: cHSL, args: argBlock | argNone, set: (*loader).setTypes, repeat: true},
	{name: "default_type", ctx: cHSL, args: arg1, set: locString(func(c *LocConf) *string { return &c.DefaultType })},
	{name: "root", ctx: cHSLI, args: arg1, set: (*loader).setRoot},
	{name: "alias", ctx: cLocation, args: arg1, set: (*loader).setAlias},
	{name: "index", ctx: cHSL, args: arg1More, set: (*loader).setIndex, repeat: true},
	{name: "try_files", ctx: cServer | cLocation, args: arg2More, set: (*loader).setTryFiles},
	{name: "error_page", ctx: cHSLI, args: arg2More, set: (*loader).setErrorPage, repeat: true},
	{name: "internal", ctx: cLocation, args: argNone, set: (*loader).setInternal},
	{name: "limit_conn_zone", ctx: cHTTP, args: arg2, set: (*loader).setLimitConnZone, repeat: true},
	{name: "limit_conn", ctx: cHSL, args: arg2, set: (*loader).setLimitConn, repeat: true},
	{name: "limit_conn_log_level", ctx: cHSL, args: arg1, set: limitLogLevel(func(c *LocConf) *LogLevel { return &c.LimitConnLogLevel })},
	{name: "limit_conn_status", ctx: cHSL, args: arg1, set: numBetween(400, 599, func(c *LocConf) *int { return &c.LimitConnStatus })},
	{name: "limit_req_zone", ctx: cHTTP, args: arg3, set: (*loader).setLimitReqZone, repeat: true},
	{name: "limit_req", ctx: cHSL, args: arg123, set: (*loader).setLimitReq, repeat: true},
	{name: "limit_req_log_level", ctx: cHSL, args: arg1, set: limitLogLevel(func(c *LocConf) *LogLevel { return &c.LimitReqLogLevel })},
	{name: "limit_req_status", ctx: cHSL, args: arg1, set: numBetween(400, 599, func(c *LocConf) *int { return &c.LimitReqStatus })},
	{name: "limit_req_dry_run", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.LimitReqDryRun })},
	{name: "limit_conn_dry_run", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.LimitConnDryRun })},
	{name: "geo", ctx: cHTTP, args: argBlock | arg1 | arg2, set: (*loader).setGeo, repeat: true},
	{name: "satisfy", ctx: cHSL, args: arg1, set: (*loader).setSatisfy},
	{name: "limit_except", ctx: cLocation, args: argBlock | arg1More, set: (*loader).setLimitExcept},
	{name: "auth_basic", ctx: cHSL | cLimitExcept, args: arg1, set: (*loader).setAuthBasic},
	{name: "auth_basic_user_file", ctx: cHSL | cLimitExcept, args: arg1, set: (*loader).setAuthBasicUserFile},
	{name: "auth_request", ctx: cHSL, args: arg1, set: (*loader).setAuthRequest},
	{name: "auth_request_set", ctx: cHSL, args: arg2, set: (*loader).setAuthRequestSet, repeat: true},
	{name: "set_real_ip_from", ctx: cHSL, args: arg1, set: (*loader).setRealIPFrom, repeat: true},
	{name: "real_ip_header", ctx: cHSL, args: arg1, set: locString(func(c *LocConf) *string { return &c.RealIPHeader })},
	{name: "real_ip_recursive", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.RealIPRecursive })},
	{name: "stub_status", ctx: cServer | cLocation, args: argNone | arg1, set: (*loader).setStubStatus, repeat: true},
	{name: "send_timeout", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.SendTimeout })},
	{name: "lingering_close", ctx: cHSL, args: arg1, set: locEnum(func(c *LocConf) *string { return &c.LingeringClose }, LingeringOff, LingeringOn, LingeringAlways)},
	{name: "lingering_time", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.LingeringTime })},
	{name: "lingering_timeout", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.LingeringTimeout })},
	{name: "keepalive_timeout", ctx: cHSL, args: arg12, set: (*loader).setKeepaliveTimeout},
	{name: "keepalive_requests", ctx: cHSL, args: arg1, set: locNum(func(c *LocConf) *int { return &c.KeepaliveRequests })},
	{name: "keepalive_time", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.KeepaliveTime })},
	{name: "client_max_body_size", ctx: cHSL, args: arg1, set: (*loader).setClientMaxBodySize},
	{name: "client_body_timeout", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.ClientBodyTimeout })},
	{name: "client_body_buffer_size", ctx: cHSL, args: arg1, set: locSize(func(c *LocConf) *int64 { return &c.ClientBodyBufferSize })},
	{name: "client_body_in_file_only", ctx: cHSL, args: arg1, set: locEnum(func(c *LocConf) *string { return &c.ClientBodyInFileOnly }, "off", "on", "clean")},
	{name: "client_body_temp_path", ctx: cHSL, args: arg1 | arg2 | arg3 | arg4, set: locTempPath(func(c *LocConf) *TempPath { return &c.ClientBodyTempPath })},
	{name: "client_header_timeout", ctx: cHTTP | cServer, args: arg1, set: srvMsec(func(c *ServerConf) *time.Duration { return &c.ClientHeaderTimeout })},
	{name: "client_header_buffer_size", ctx: cHTTP | cServer, args: arg1, set: srvSize(func(c *ServerConf) *int64 { return &c.ClientHeaderBufferSize })},
	{name: "large_client_header_buffers", ctx: cHTTP | cServer, args: arg2, set: (*loader).setLargeClientHeaderBuffers},
	{name: "ignore_invalid_headers", ctx: cHTTP | cServer, args: argFlag, set: srvFlag(func(c *ServerConf) *bool { return &c.IgnoreInvalidHeaders })},
	{name: "underscores_in_headers", ctx: cHTTP | cServer, args: argFlag, set: srvFlag(func(c *ServerConf) *bool { return &c.UnderscoresInHeaders })},
	// Debian's backport to 1.22 (ngx_http_header_count_module).
	{name: "max_headers", ctx: cHTTP | cServer, args: arg1, set: srvNum(func(c *ServerConf) *int64 { return &c.MaxHeaders })},
	{name: "merge_slashes", ctx: cHTTP | cServer, args: argFlag, set: srvFlag(func(c *ServerConf) *bool { return &c.MergeSlashes })},
	{name: "server_tokens", ctx: cHSL, args: arg1, set: (*loader).setServerTokens},
	{name: "absolute_redirect", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.AbsoluteRedirect })},
	{name: "port_in_redirect", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.PortInRedirect })},
	{name: "server_name_in_redirect", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ServerNameInRedirect })},
	{name: "recursive_error_pages", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.RecursiveErrorPages })},
	{name: "log_not_found", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.LogNotFound })},
	{name: "log_subrequest", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.LogSubrequest })},
	{name: "etag", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ETag })},
	{name: "if_modified_since", ctx: cHSL, args: arg1, set: locEnum(func(c *LocConf) *string { return &c.IfModifiedSince }, IMSOff, IMSExact, IMSBefore)},
	{name: "max_ranges", ctx: cHSL, args: arg1, set: locNum(func(c *LocConf) *int { return &c.MaxRanges })},
	{name: "msie_padding", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.MsiePadding })},
	{name: "msie_refresh", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.MsieRefresh })},
	{name: "keepalive_disable", ctx: cHSL, args: arg12, set: (*loader).setKeepaliveDisable, repeat: true},
	{name: "limit_rate", ctx: cHSLI, args: arg1, set: locComplexSize(func(c *LocConf) **Complex { return &c.LimitRate })},
	{name: "limit_rate_after", ctx: cHSLI, args: arg1, set: locComplexSize(func(c *LocConf) **Complex { return &c.LimitRateAfter })},
	{name: "secure_link", ctx: cHSL, args: arg1, set: locComplex(func(c *LocConf) **Complex { return &c.secureLinkVariable })},
	{name: "secure_link_md5", ctx: cHSL, args: arg1, set: locComplex(func(c *LocConf) **Complex { return &c.secureLinkMD5 })},
	{name: "secure_link_secret", ctx: cHSL, args: arg1, set: (*loader).setSecureLinkSecret},
	{name: "auth_delay", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.AuthDelay })},
	{name: "chunked_transfer_encoding", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ChunkedTransferEncoding })},

	// ngx_http_log_module.
	{name: "log_format", ctx: cHTTP, args: arg2More, set: (*loader).setLogFormat, repeat: true},
	{name: "access_log", ctx: cHSLI | cLimitExcept, args: arg1More, set: (*loader).setAccessLog, repeat: true},

	// ngx_http_access_module.
	{name: "allow", ctx: cHSL | cLimitExcept, args: arg1, set: (*loader).setAccess, repeat: true},
	{name: "deny", ctx: cHSL | cLimitExcept, args: arg1, set: (*loader).setAccess, repeat: true},

	// ngx_http_headers_module.
	{name: "add_header", ctx: cHSLI, args: arg23, set: (*loader).setAddHeader, repeat: true},
	{name: "expires", ctx: cHSLI, args: arg12, set: (*loader).setExpires},
	{name: "add_trailer", ctx: cHSLI, args: arg23, set: (*loader).setAddTrailer, repeat: true},

	// ngx_http_empty_gif_module.
	{name: "empty_gif", ctx: cLocation, args: argNone, set: (*loader).setEmptyGIF, repeat: true},

	// ngx_http_referer_module.
	{name: "valid_referers", ctx: cServer | cLocation, args: arg1More, set: (*loader).setValidReferers, repeat: true},
	{name: "referer_hash_max_size", ctx: cServer | cLocation, args: arg1, set: locNum(func(c *LocConf) *int { return &c.RefererHashMaxSize })},
	{name: "referer_hash_bucket_size", ctx: cServer | cLocation, args: arg1, set: locNum(func(c *LocConf) *int { return &c.RefererHashBucketSize })},

	// ngx_http_gzip_filter_module and the gzip part of the core module
	// (gzip.go); gzip_window, gzip_hash, postpone_gzipping and
	// gzip_no_buffer only tune it and are in catalogue_nginx.go.
	{name: "gzip", ctx: cHSLI, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.Gzip })},
	{name: "gzip_types", ctx: cHSL, args: arg1More, set: (*loader).setGzipTypes, repeat: true},
	{name: "gzip_comp_level", ctx: cHSL, args: arg1, set: numBetween(1, 9, func(c *LocConf) *int { return &c.GzipCompLevel })},
	{name: "gzip_min_length", ctx: cHSL, args: arg1, set: locSize(func(c *LocConf) *int64 { return &c.GzipMinLength })},
	{name: "gzip_buffers", ctx: cHSL, args: arg2, set: locBufs(func(c *LocConf) *Bufs { return &c.GzipBuffers })},
	{name: "gzip_vary", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.GzipVary })},
	{name: "gzip_http_version", ctx: cHSL, args: arg1, set: (*loader).setGzipHTTPVersion},
	{name: "gzip_proxied", ctx: cHSL, args: arg1More, set: (*loader).setGzipProxied, repeat: true},
	{name: "gzip_disable", ctx: cHSL, args: arg1More, set: (*loader).setGzipDisable, repeat: true},
	// ngx_http_gzip_static_module (proxy/static.go).
	{name: "gzip_static", ctx: cHSL, args: arg1, set: locEnum(func(c *LocConf) *string { return &c.GzipStatic }, GzipStaticOff, GzipStaticOn, GzipStaticAlways)},

	// ngx_http_autoindex_module.
	{name: "autoindex", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.Autoindex })},
	{name: "autoindex_exact_size", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.AutoindexExactSize })},
	{name: "autoindex_localtime", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.AutoindexLocaltime })},
	{name: "autoindex_format", ctx: cHSL, args: arg1, set: (*loader).setAutoindexFormat},

	// ngx_http_charset_filter_module.
	{name: "charset", ctx: cHSLI, args: arg1, set: (*loader).setCharset},
	{name: "source_charset", ctx: cHSLI, args: arg1, set: (*loader).setCharset},
	{name: "override_charset", ctx: cHSLI, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.OverrideCharset })},
	{name: "charset_types", ctx: cHSL, args: arg1More, set: (*loader).setCharsetTypes, repeat: true},
	{name: "charset_map", ctx: cHTTP, args: argBlock | arg2, set: (*loader).setCharsetMap, repeat: true},

	// ngx_http_sub_filter_module (sub.go).
	{name: "sub_filter", ctx: cHSL, args: arg2, set: (*loader).setSubFilter, repeat: true},
	{name: "sub_filter_types", ctx: cHSL, args: arg1More, set: (*loader).setSubFilterTypes, repeat: true},
	{name: "sub_filter_once", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.SubFilterOnce })},
	{name: "sub_filter_last_modified", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.SubFilterLastModified })},

	// ngx_http_rewrite_module: statements run in order, kept as a script.
	{name: "return", ctx: cSLIf, args: arg12, set: (*loader).setReturn, repeat: true},
	{name: "rewrite", ctx: cSLIf, args: arg23, set: (*loader).setRewrite, repeat: true},
	{name: "break", ctx: cSLIf, args: argNone, set: (*loader).setBreak, repeat: true},
	{name: "set", ctx: cSLIf, args: arg2, set: (*loader).setSet, repeat: true},
	{name: "if", ctx: cServer | cLocation, args: argBlock | arg1More, set: (*loader).setIf, repeat: true},
	{name: "rewrite_log", ctx: cHTTP | cSLIf, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.RewriteLog })},
	{name: "uninitialized_variable_warn", ctx: cHTTP | cSLIf, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.UninitializedVariableWarn })},

	// ngx_http_map_module.
	{name: "map", ctx: cHTTP, args: argBlock | arg2, set: (*loader).setMap, repeat: true},
	{name: "split_clients", ctx: cHTTP, args: argBlock | arg2, set: (*loader).setSplitClients, repeat: true},

	// ngx_http_proxy_module.
	{name: "proxy_pass", ctx: cLocation | cLocationIf | cLimitExcept, args: arg1, set: (*loader).setProxyPass},
	{name: "proxy_set_header", ctx: cHSL, args: arg2, set: (*loader).setProxySetHeader, repeat: true},
	{name: "proxy_http_version", ctx: cHSL, args: arg1, set: (*loader).setProxyHTTPVersion},
	{name: "proxy_connect_timeout", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.ProxyConnectTimeout })},
	{name: "proxy_read_timeout", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.ProxyReadTimeout })},
	{name: "resolver", ctx: cHSL, args: arg1More, set: setResolver},
	{name: "resolver_timeout", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.ResolverTimeout })},
	{name: "proxy_send_timeout", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.ProxySendTimeout })},
	{name: "proxy_max_temp_file_size", ctx: cHSL, args: arg1, set: locKeptSize},
	{name: "proxy_temp_path", ctx: cHSL, args: arg1 | arg2 | arg3 | arg4, set: locTempPath(func(c *LocConf) *TempPath { return &c.ProxyTempPath })},
	{name: "proxy_buffering", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ProxyBuffering })},
	{name: "proxy_ignore_headers", ctx: cHSL, args: arg1More, set: (*loader).setProxyIgnoreHeaders, repeat: true},
	{name: "proxy_request_buffering", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ProxyRequestBuffering })},
	{name: "proxy_buffer_size", ctx: cHSL, args: arg1, set: locSize(func(c *LocConf) *int64 { return &c.ProxyBufferSize })},
	{name: "proxy_buffers", ctx: cHSL, args: arg2, set: locBufs(func(c *LocConf) *Bufs { return &c.ProxyBuffers })},
	{name: "proxy_busy_buffers_size", ctx: cHSL, args: arg1, set: locSize(func(c *LocConf) *int64 { return &c.ProxyBusyBuffersSize })},
	{name: "proxy_next_upstream", ctx: cHSL, args: arg1More, set: (*loader).setProxyNextUpstream, repeat: true},
	{name: "proxy_next_upstream_tries", ctx: cHSL, args: arg1, set: locNum(func(c *LocConf) *int { return &c.ProxyNextUpstreamTries })},
	{name: "proxy_next_upstream_timeout", ctx: cHSL, args: arg1, set: locMsec(func(c *LocConf) *time.Duration { return &c.ProxyNextUpstreamTimeout })},
	{name: "proxy_pass_header", ctx: cHSL, args: arg1, set: (*loader).setProxyPassHeader, repeat: true},
	{name: "proxy_hide_header", ctx: cHSL, args: arg1, set: (*loader).setProxyHideHeader, repeat: true},
	{name: "proxy_redirect", ctx: cHSL, args: arg12, set: (*loader).setProxyRedirect, repeat: true},
	{name: "proxy_cookie_domain", ctx: cHSL, args: arg12, set: (*loader).setProxyCookieDomain, repeat: true},
	{name: "proxy_cookie_path", ctx: cHSL, args: arg12, set: (*loader).setProxyCookiePath, repeat: true},
	{name: "proxy_cookie_flags", ctx: cHSL, args: arg1234, set: (*loader).setProxyCookieFlags, repeat: true},
	{name: "proxy_intercept_errors", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ProxyInterceptErrors })},
	{name: "proxy_pass_request_headers", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ProxyPassRequestHeaders })},
	{name: "proxy_pass_request_body", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ProxyPassRequestBody })},
	{name: "proxy_ignore_client_abort", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ProxyIgnoreClientAbort })},
	{name: "proxy_socket_keepalive", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.ProxySocketKeepalive })},
	{name: "proxy_ssl_protocols", ctx: cHSL, args: arg1More, set: (*loader).setProxySSLProtocols, repeat: true},
	{name: "proxy_ssl_ciphers", ctx: cHSL, args: arg1, set: locString(func(c *LocConf) *string { return &c.proxySSL.ciphers })},
	{name: "proxy_ssl_name", ctx: cHSL, args: arg1, set: (*loader).setProxySSLName},
	{name: "proxy_ssl_server_name", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.proxySSL.serverName })},
	{name: "proxy_ssl_verify", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.proxySSL.verify })},
	{name: "proxy_ssl_verify_depth", ctx: cHSL, args: arg1, set: locNum(func(c *LocConf) *int { return &c.proxySSL.verifyDepth })},
	{name: "proxy_ssl_trusted_certificate", ctx: cHSL, args: arg1, set: (*loader).setProxySSLTrusted},
	{name: "proxy_ssl_session_reuse", ctx: cHSL, args: argFlag, set: locFlag(func(c *LocConf) *bool { return &c.proxySSL.sessionReuse })},
	{name: "proxy_method", ctx: cHSL, args: arg1, set: locComplex(func(c *LocConf) **Complex { return &c.ProxyMethod })},
	{name: "proxy_set_body", ctx: cHSL, args: arg1, set: (*loader).setProxySetBody},
	{name: "proxy_bind", ctx: cHSL, args: arg12, set: (*loader).setProxyBind},

	// ngx_http_upstream_module and the balancers (a second balancing
	// method is nginx's "load balancing method redefined" [warn], not an
	// error, hence repeat).
	{name: "upstream", ctx: cHTTP, args: argBlock | arg1, set: (*loader).setUpstream, repeat: true},
	{name: "server", ctx: cUpstream, args: arg1More, set: (*loader).setUpstreamServer, repeat: true},
	{name: "hash", ctx: cUpstream, args: arg12, set: (*loader).setHash, repeat: true},
	{name: "ip_hash", ctx: cUpstream, args: argNone, set: (*loader).setIPHash, repeat: true},
	{name: "least_conn", ctx: cUpstream, args: argNone, set: (*loader).setLeastConn, repeat: true},
	{name: "random", ctx: cUpstream, args: argNone | arg12, set: (*loader).setRandom, repeat: true},
	{name: "keepalive", ctx: cUpstream, args: arg1, set: (*loader).setUpstreamKeepalive},
	{name: "keepalive_timeout", ctx: cUpstream, args: arg1, set: (*loader).setUpstreamKeepaliveTimeout},
	{name: "keepalive_requests", ctx: cUpstream, args: arg1, set: (*loader).setUpstreamKeepaliveRequests},
	{name: "keepalive_time", ctx: cUpstream, args: arg1, set: (*loader).setUpstreamKeepaliveTime},
	{name: "zone", ctx: cUpstream, args: arg12, status: ignored, check: checkZone},

	// ngx_http_ssl_module: "ssl on" would turn every listener of the server to TLS.
	{name: "ssl", ctx: cHTTP | cServer, args: argFlag, set: (*loader).setSSL},
}
