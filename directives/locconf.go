package directives

import (
	"strings"
	"time"

	"github.com/nginxws/nginxws/parser"
)

// LocConf is the per-level configuration nginx keeps in each http, server,
// location and "if" level (the loc_conf of the core, proxy, rewrite,
// access, log and headers modules). After Load every field holds its
// effective value: set at this level, inherited by nginx's merge rules, or
// nginx's default.
type LocConf struct {
	// Script is this level's rewrite-module statements (return, rewrite,
	// set, break, if) in order. Not inherited: each level runs its own.
	Script []*Stmt
	// Internal is set by "internal": the location serves only internal
	// redirects. Not inherited.
	Internal bool

	// Root is the document root (default "html" under the prefix); with
	// Alias set it is an alias instead. Relative roots are made absolute
	// against the prefix.
	Root        *Complex
	Alias       bool
	Index       []*Complex // default index.html
	TryFiles    []*Complex // not inherited: nil unless set at this level
	TryPos      parser.Pos
	ErrorPages  []*ErrorPage
	DefaultType string            // default text/plain
	Types       map[string]string // lower-case extension -> MIME type

	AccessRules []*AccessRule
	// AccessLogs are the access logs of this level; empty with
	// AccessLogOff when "access_log off".
	AccessLogs   []*AccessLog
	AccessLogOff bool
	ErrorLogs    []ErrorLog // empty: the main error log
	AddHeaders   []*AddHeader
	// AddTrailers are add_trailer's (nil: the parent's): sent after a
	// chunked body's last chunk, and what makes a response chunked.
	AddTrailers []*AddHeader
	// Expires is the expires directive (nil: not set here; inherited).
	Expires *Expires
	// Autoindex, AutoindexExactSize, AutoindexLocaltime and
	// AutoindexFormat are the autoindex module's settings (defaults off,
	// on, off, "html"; the format one of html, json, jsonp, xml).
	Autoindex          bool
	AutoindexExactSize bool
	AutoindexLocaltime bool
	AutoindexFormat    string
	// Charset and SourceCharset are charset and source_charset (nil:
	// off, the default); OverrideCharset is override_charset (default
	// off); CharsetTypes is charset_types (default text/html, text/xml,
	// text/plain, text/vnd.wap.wml, application/javascript,
	// application/rss+xml).
	Charset, SourceCharset *CharsetValue
	OverrideCharset        bool
	CharsetTypes           *MIMETypes
	// SubFilter is the level's sub_filter pairs (nil: none);
	// SubFilterTypes is sub_filter_types (default text/html),
	// SubFilterOnce sub_filter_once (default on), SubFilterLastModified
	// sub_filter_last_modified (default off). See sub.go.
	SubFilter             *SubFilter
	SubFilterTypes        *MIMETypes
	SubFilterOnce         bool
	SubFilterLastModified bool
	// ServerTokens is "on", "off" or "build" (default "on").
	ServerTokens string

	AbsoluteRedirect     bool // default on
	PortInRedirect       bool // default on
	ServerNameInRedirect bool // default off
	RecursiveErrorPages  bool // default off
	LogNotFound          bool // default on
	// LogSubrequest is log_subrequest: a subrequest ending at this level
	// (auth_request's) writes its own access log line (default off).
	LogSubrequest bool
	// ETag is etag: static files carry an ETag (default on).
	ETag bool
	// IfModifiedSince is if_modified_since: IMSOff, IMSExact (the
	// default) or IMSBefore.
	IfModifiedSince string
	// MaxRanges is max_ranges: the most ranges a Range request may ask
	// for (more: the whole response); 0 disables ranges (default
	// unlimited, nginx's NGX_MAX_INT32_VALUE).
	MaxRanges int
	// MsiePadding is msie_padding: error pages for MSIE and Chrome get a
	// padding comment (default on).
	MsiePadding bool
	// MsieRefresh is msie_refresh: MSIE gets a meta refresh page instead
	// of a 301 or 302 (default off).
	MsieRefresh bool
	// KeepaliveDisable is keepalive_disable: the browsers keepalive is
	// off for (KeepaliveDisableMSIE6, the default, and
	// KeepaliveDisableSafari bits).
	KeepaliveDisable uint8
	// ChunkedTransferEncoding is chunked_transfer_encoding: a response of
	// unknown length to HTTP/1.1 is chunked (default on); off, it ends
	// with the connection.
	ChunkedTransferEncoding bool
	// SecureLink is the level's secure_link settings after the merge (nil:
	// none); the fields below are what the level itself set.
	SecureLink          *SecureLink
	secureLinkVariable  *Complex
	secureLinkMD5       *Complex
	secureLinkSecret    string
	secureLinkSecretSet bool
	// LimitRate and LimitRateAfter are limit_rate and limit_rate_after:
	// the response's rate to the client, in bytes per second, after its
	// first LimitRateAfter bytes (nil: 0, no limit). Values with
	// variables are computed per request (ParseSize).
	LimitRate, LimitRateAfter *Complex
	// RewriteLog is rewrite_log: the rewrite module's regex matches and
	// rewrites are logged at [notice] (default off).
	RewriteLog bool
	// UninitializedVariableWarn is uninitialized_variable_warn: reading a
	// variable that only "set" declares, before a "set" gave it a value,
	// logs a [warn] (default on).
	UninitializedVariableWarn bool

	SendTimeout time.Duration // default 60s
	// LingeringClose is lingering_close: "on" (default: linger when the
	// client may still be sending), "always" or "off". LingeringTime and
	// LingeringTimeout are lingering_time (default 30s; nginx counts it
	// in whole seconds) and lingering_timeout (default 5s).
	LingeringClose                  string
	LingeringTime, LingeringTimeout time.Duration
	KeepaliveTimeout                time.Duration // default 75s; 0 disables keepalive
	KeepaliveHeaderTimeout          time.Duration // keepalive_timeout's 2nd argument (Keep-Alive: timeout=N); 0 when not given
	KeepaliveRequests               int           // default 1000
	KeepaliveTime                   time.Duration // default 1h
	ClientMaxBodySize               int64         // default 1m; 0 means no limit
	ClientBodyTimeout               time.Duration // default 60s
	ClientBodyBufferSize            int64         // default 8k
	// ClientBodyInFileOnly is client_body_in_file_only: "off" (default),
	// "on" (every body read goes to a file that is kept) or "clean" (the
	// file is removed when the request ends).
	ClientBodyInFileOnly string
	// ClientBodyTempPath and ProxyTempPath are client_body_temp_path and
	// proxy_temp_path: where request bodies and upstream responses are
	// buffered to files; by default Debian's compiled-in
	// /var/lib/nginx/body and /var/lib/nginx/proxy.
	ClientBodyTempPath, ProxyTempPath TempPath

	// LimitConns are the level's limit_conn directives (a level that has
	// none inherits its parent's); LimitConnLogLevel, LimitConnStatus and
	// LimitConnDryRun are limit_conn_log_level (default error),
	// limit_conn_status (503) and limit_conn_dry_run (off).
	LimitConns        []*LimitConn
	LimitConnLogLevel LogLevel
	LimitConnStatus   int
	LimitConnDryRun   bool
	// LimitReqs, LimitReqLogLevel, LimitReqStatus and LimitReqDryRun are
	// limit_req (inherited whole by a level with none),
	// limit_req_log_level (default error; a delay is logged one level
	// lower, info staying info), limit_req_status (503) and
	// limit_req_dry_run (off).
	LimitReqs        []*LimitReq
	LimitReqLogLevel LogLevel
	LimitReqStatus   int
	LimitReqDryRun   bool
	// AuthBasic and AuthBasicUserFile are auth_basic (the realm, or
	// "off") and auth_basic_user_file (the password file, absolute),
	// each inherited when the level has none; both are needed for the
	// check.
	// LimitExcept is the location's limit_except block (a level merged
	// from the location), and LimitExceptMethods the request methods it
	// applies to (nginx's clcf->limit_except mask: the bits of those not
	// named).
	LimitExcept        *LocConf
	LimitExceptMethods uint32
	// SatisfyAny is "satisfy any": one access-phase check letting the
	// request in is enough (default all).
	SatisfyAny                   bool
	AuthBasic, AuthBasicUserFile *Complex
	// AuthDelay is auth_delay: how long a 401 of the access phase waits
	// (default 0).
	AuthDelay time.Duration
	// AuthBasicConfPrefix completes a relative file name that variables
	// made (the configuration file's directory).
	AuthBasicConfPrefix string
	// AuthRequest is auth_request's URI, empty for "off" (the default);
	// inherited when the level has none.
	AuthRequest string
	// AuthRequestSets are auth_request_set's assignments, in order, run
	// in the subrequest's context once it is over; a level with none
	// inherits its parent's list whole.
	AuthRequestSets []*Stmt
	// RealIPFrom, RealIPHeader and RealIPRecursive are set_real_ip_from
	// (nil: none at this level, the parent's are used), real_ip_header
	// (default X-Real-IP) and real_ip_recursive (default off).
	RealIPFrom      []RealIPFrom
	RealIPHeader    string
	RealIPRecursive bool
	// StubStatus is set by stub_status: the level's content is the
	// basic status page (ngx_http_stub_status_module). Not inherited: it
	// is a content handler.
	StubStatus bool
	// EmptyGIF is set by empty_gif: the location's content is nginx's
	// 1x1 transparent GIF. Like proxy_pass and stub_status it sets the
	// location's handler, so the last of them written wins: proxy_pass
	// or stub_status after it clears it. Not inherited but by "if" and
	// limit_except blocks, which keep their location's handler.
	EmptyGIF bool
	// ProxyPass is the location's proxy_pass, nil when it has none. It is
	// not inherited by nested locations (as in nginx, where it sets the
	// location's handler) but is by "if" blocks inside the location.
	ProxyPass *ProxyPass
	// ProxySetHeaders is inherited as a whole only by a level that sets
	// none; nginx's defaults (Host $proxy_host, Connection close) apply
	// to names not listed and are not included here.
	ProxySetHeaders          []*Header
	ProxyHTTPVersion         string        // "1.0" (default) or "1.1"
	ProxyConnectTimeout      time.Duration // default 60s
	ProxyReadTimeout         time.Duration // default 60s
	ProxySendTimeout         time.Duration // default 60s
	ProxyBuffering           bool          // default on
	ProxyIgnoreHeaders       IgnoreHeaders // default none
	ProxyRequestBuffering    bool          // default on
	ProxyBufferSize          int64         // default 4k (the page size)
	ProxyBuffers             Bufs          // default 8 4k
	ProxyBusyBuffersSize     int64         // default 2 × max(buffer size, one buffer)
	ProxyNextUpstream        NextUpstream  // default error timeout
	ProxyNextUpstreamTries   int           // default 0: unlimited
	ProxyNextUpstreamTimeout time.Duration // default 0: unlimited
	// ProxyCacheValue is proxy_cache's value when it has variables: the
	// zone is chosen per request (nginxws caches nothing; a name no
	// proxy_cache_path declared is nginx's 500). Nil otherwise.
	ProxyCacheValue *Complex
	// Resolver is the resolver directive (ngx_http_core_resolver): the
	// name servers that resolve a host name proxy_pass takes from a
	// variable, per request; nil without one.
	Resolver         *Resolver
	ResolverTimeout  time.Duration // default 30s
	ProxyPassHeaders []string
	ProxyHideHeaders []string
	// ProxyRedirects is the effective proxy_redirect list; nil with
	// ProxyRedirectOff when "proxy_redirect off" (or false).
	ProxyRedirects          []*Redirect
	ProxyRedirectOff        bool
	ProxyInterceptErrors    bool // default off
	ProxyPassRequestHeaders bool // default on
	ProxyPassRequestBody    bool // default on
	ProxyIgnoreClientAbort  bool // default off
	ProxySocketKeepalive    bool // default off
	// ProxySSL is the TLS of a proxy_pass to https:// (proxyssl.go).
	ProxySSL *ProxySSL
	proxySSL proxySSLConf
	// ProxyMethod is proxy_method: the method sent upstream, evaluated
	// per request (nil: the client's). ProxySetBody is proxy_set_body:
	// the body sent upstream instead of the client's, evaluated once the
	// client's body was read (nil: none; an empty value is a body of
	// length 0). proxySetBodyErr is its compile error, which nginx
	// reports when it merges the level (the script is compiled there).
	ProxyMethod     *Complex
	ProxySetBody    *Complex
	proxySetBodyErr string
	// typesExplicit: the types come from a types block, here or above
	// (not nginx's defaults); typesBuilt: their hash was built by the
	// merge (checkTypesHash).
	typesExplicit, typesBuilt bool
	// proxySetBodyUses are the variables it is first to use
	// (compileAtMerge).
	proxySetBodyUses []string
	// paramErrs are the compile errors of the fastcgi_param, uwsgi_param,
	// scgi_param and grpc_set_header values of this level (or inherited
	// with them), by directive: nginxws ignores those directives, but
	// nginx compiles their values when it merges the level and fails
	// there (merge), each level with its own list replacing the inherited
	// one.
	paramErrs map[string]string
	// paramUses are the variables they are first to use (compileAtMerge).
	paramUses map[string][]string
	// ProxyBind is proxy_bind (nil: off, or not set and inherited).
	ProxyBind *ProxyBind

	// ProxyCookieDomains, ProxyCookiePaths and ProxyCookieFlags are the
	// proxy_cookie_* rules rewriting upstream Set-Cookie headers.
	ProxyCookieDomains CookieRules[CookieRewrite]
	ProxyCookiePaths   CookieRules[CookieRewrite]
	ProxyCookieFlags   CookieRules[CookieFlags]

	// Referers is the effective valid_referers ($invalid_referer), nil
	// when none applies; referers is what this level's valid_referers
	// said, merged into Referers once the server's names are known.
	// RefererHashMaxSize and RefererHashBucketSize default to 2048 and 64.
	Referers              *Referers
	referers              *refererSpec
	RefererHashMaxSize    int
	RefererHashBucketSize int

	// Gzip is gzip: responses are compressed when the client accepts it
	// (default off). GzipTypes (default text/html), GzipMinLength (20,
	// compared with a known Content-Length), GzipCompLevel (1) and
	// GzipBuffers (32 4k: nginxws sends its compressed output in pieces
	// of this size) are the filter's settings; GzipVary (off),
	// GzipHTTPVersion (1001 for 1.1, or 1000), GzipProxied (off) and
	// GzipDisable with GzipDisableMSIE6 (gzip_disable's expressions and
	// its "msie6") those of ngx_http_gzip_ok (gzip.go).
	Gzip             bool
	GzipTypes        *MIMETypes
	GzipMinLength    int64
	GzipCompLevel    int
	GzipBuffers      Bufs
	GzipVary         bool
	GzipHTTPVersion  int
	GzipProxied      GzipProxied
	GzipDisable      []*Regexp
	GzipDisableMSIE6 bool
	// GzipStatic is gzip_static: GzipStaticOff (the default), On (FILE.gz
	// served for FILE when the client accepts gzip) or Always (whatever
	// the client accepts).
	GzipStatic string

	set      map[string]bool
	pBusySet bool       // proxy_busy_buffers_size given here or inherited
	ifs      []*LocConf // if blocks of this level, merged after it
	from     string     // "http", "server", "location", "if": for merge-only checks
	// cacheZones are the zones proxy_cache, fastcgi_cache, uwsgi_cache
	// and scgi_cache name here, by directive (absent: off, a variable, or
	// not set), for nginx's merge-time check that the module's
	// *_cache_path declared it; nginxws keeps no cache.
	cacheZones map[string]*sharedZone
	// cacheOn says, by *_cache directive, that this level caches (a zone
	// or a variable, set here or inherited), and cacheKeyed that its
	// *_cache_key is set here or above: fastcgi, uwsgi and scgi have no
	// default key, and nginx warns at each merged level caching without.
	cacheOn, cacheKeyed map[string]bool
	// passive holds the sizes (and NUMBER SIZE buffers) of directives
	// nginxws ignores that nginx checks against each other when it merges
	// a level (the fastcgi, uwsgi and scgi buffers, the proxy temp file
	// sizes, connection_pool_size), set here or inherited.
	passive map[string][2]int64
	// diag collects the [warn]s of the merge, handed down from the
	// defaults the http level is merged with.
	diag *mergeDiags
}

// mergeDiags are the [warn]s of the merge by module, printed once every
// level is merged, in nginx's module order (mergeWarnModules).
type mergeDiags struct {
	byModule map[string][]Diag
	// usesByModule are the variables of values the merge compiles, by
	// module, in the order nginx indexes them there: after every value
	// compiled as it was read, module by module (mergeUseModules), each
	// over every level.
	usesByModule map[string][]string
}

// mergeUseModules are the modules whose merge compiles values with
// variables, in nginx's module order.
var mergeUseModules = [...]string{"proxy", "fastcgi", "uwsgi", "scgi", "grpc"}

// mergeUses records variables a module's merge compiles at this level.
func (c *LocConf) mergeUses(module string, names []string) {
	if c.diag != nil && len(names) > 0 {
		if c.diag.usesByModule == nil {
			c.diag.usesByModule = map[string][]string{}
		}
		c.diag.usesByModule[module] = append(c.diag.usesByModule[module], names...)
	}
}

// mergeWarnModules are the modules whose merge may warn, in nginx's order.
var mergeWarnModules = [...]string{"fastcgi", "uwsgi", "scgi"}

func newLocConf() *LocConf { return &LocConf{} }

// mark records that a directive was set at this level; it reports whether
// it already was (the "is duplicate" case).
func (c *LocConf) mark(name string) bool {
	if c.set == nil {
		c.set = map[string]bool{}
	}
	if c.set[name] {
		return true
	}
	c.set[name] = true
	return false
}

// isSet reports whether a directive was set at this level.
func (c *LocConf) isSet(name string) bool { return c.set[name] }

// defaultLocConf is nginx 1.22's defaults for every LocConf field: the
// parent the http level is merged with.
func defaultLocConf(l *loader) *LocConf {
	return &LocConf{
		diag:         &mergeDiags{byModule: map[string][]Diag{}},
		Root:         literal(l.fullName("html")),
		Index:        []*Complex{literal("index.html")},
		DefaultType:  "text/plain",
		Types:        map[string]string{"html": "text/html", "gif": "image/gif", "jpg": "image/jpeg"},
		AccessLogs:   []*AccessLog{{Path: literal(DefaultAccessLog), Format: combinedFormat()}},
		ServerTokens: "on",
		CharsetTypes: defaultCharsetTypes(),

		SubFilterTypes: htmlTypes,
		SubFilterOnce:  true,

		AutoindexExactSize: true,
		AutoindexFormat:    "html",

		AbsoluteRedirect:          true,
		PortInRedirect:            true,
		LogNotFound:               true,
		ETag:                      true,
		IfModifiedSince:           IMSExact,
		MaxRanges:                 1<<31 - 1,
		MsiePadding:               true,
		KeepaliveDisable:          KeepaliveDisableMSIE6,
		ChunkedTransferEncoding:   true,
		UninitializedVariableWarn: true,
		LimitConnLogLevel:         LevelError,
		LimitConnStatus:           503,
		RealIPHeader:              RealIPXRealIP,
		LimitReqLogLevel:          LevelError,
		LimitReqStatus:            503,
		RefererHashMaxSize:        2048,
		RefererHashBucketSize:     64,

		SendTimeout:          60 * time.Second,
		LingeringClose:       LingeringOn,
		LingeringTime:        30 * time.Second,
		LingeringTimeout:     5 * time.Second,
		KeepaliveTimeout:     75 * time.Second,
		KeepaliveRequests:    1000,
		KeepaliveTime:        time.Hour,
		ClientMaxBodySize:    1 << 20,
		ClientBodyTimeout:    60 * time.Second,
		ClientBodyBufferSize: 2 * pageSize,
		ClientBodyInFileOnly: "off",
		ClientBodyTempPath:   defaultClientBodyTemp(),
		ProxyTempPath:        defaultProxyTemp(),

		ProxyHTTPVersion:        "1.0",
		ProxyConnectTimeout:     60 * time.Second,
		ResolverTimeout:         30 * time.Second,
		ProxyReadTimeout:        60 * time.Second,
		ProxySendTimeout:        60 * time.Second,
		ProxyBuffering:          true,
		ProxyRequestBuffering:   true,
		ProxyBufferSize:         pageSize,
		ProxyBuffers:            Bufs{Num: 8, Size: pageSize},
		ProxyNextUpstream:       NextError | NextTimeout,
		ProxyPassRequestHeaders: true,
		ProxyPassRequestBody:    true,

		GzipTypes:       htmlTypes,
		GzipMinLength:   20,
		GzipCompLevel:   1,
		GzipBuffers:     Bufs{Num: 128 * 1024 / pageSize, Size: pageSize},
		GzipHTTPVersion: 1001,
		GzipProxied:     GzipProxiedOff,
		proxySSL:        proxySSLConf{protocols: 1<<2 | 1<<3 | 1<<4, ciphers: "DEFAULT", verifyDepth: 1, sessionReuse: true},
		GzipStatic:      GzipStaticOff,
	}
}

// pageSize is ngx_pagesize on the platforms nginxws runs on; several of
// nginx's buffer defaults are multiples of it.
const pageSize = 4096

// DefaultAccessLog is Debian's --http-log-path: the access log of a
// configuration that names none.
const DefaultAccessLog = "/var/log/nginx/access.log"

// merge fills what this level did not set from its parent, following each
// module's merge_loc_conf, then makes the checks those functions make. An
// error is reported at end, the "}" of the http block, where nginx is when
// it merges.
func (c *LocConf) merge(p *LocConf, end parser.Pos) error {
	s := c.set
	c.diag = p.diag
	// ngx_http_core_module.
	if !s["root"] && !s["alias"] {
		c.Root, c.Alias = p.Root, p.Alias
	}
	if c.Index == nil {
		c.Index = p.Index
	}
	if c.ErrorPages == nil {
		c.ErrorPages = p.ErrorPages
	}
	inherit(s, "default_type", &c.DefaultType, p.DefaultType)
	ownTypes := c.Types != nil
	if c.Types == nil {
		c.Types = p.Types
	}
	if c.ErrorLogs == nil {
		c.ErrorLogs = p.ErrorLogs
	}
	inherit(s, "server_tokens", &c.ServerTokens, p.ServerTokens)
	inherit(s, "absolute_redirect", &c.AbsoluteRedirect, p.AbsoluteRedirect)
	inherit(s, "port_in_redirect", &c.PortInRedirect, p.PortInRedirect)
	inherit(s, "server_name_in_redirect", &c.ServerNameInRedirect, p.ServerNameInRedirect)
	inherit(s, "recursive_error_pages", &c.RecursiveErrorPages, p.RecursiveErrorPages)
	inherit(s, "log_not_found", &c.LogNotFound, p.LogNotFound)
	inherit(s, "log_subrequest", &c.LogSubrequest, p.LogSubrequest)
	inherit(s, "etag", &c.ETag, p.ETag)
	inherit(s, "if_modified_since", &c.IfModifiedSince, p.IfModifiedSince)
	inherit(s, "max_ranges", &c.MaxRanges, p.MaxRanges)
	inherit(s, "msie_padding", &c.MsiePadding, p.MsiePadding)
	inherit(s, "msie_refresh", &c.MsieRefresh, p.MsieRefresh)
	inherit(s, "keepalive_disable", &c.KeepaliveDisable, p.KeepaliveDisable)
	inherit(s, "chunked_transfer_encoding", &c.ChunkedTransferEncoding, p.ChunkedTransferEncoding)
	inherit(s, "limit_rate", &c.LimitRate, p.LimitRate)
	inherit(s, "limit_rate_after", &c.LimitRateAfter, p.LimitRateAfter)
	inherit(s, "rewrite_log", &c.RewriteLog, p.RewriteLog)
	inherit(s, "uninitialized_variable_warn", &c.UninitializedVariableWarn, p.UninitializedVariableWarn)
	if c.LimitConns == nil {
		c.LimitConns = p.LimitConns
	}
	inherit(s, "limit_conn_log_level", &c.LimitConnLogLevel, p.LimitConnLogLevel)
	inherit(s, "limit_conn_status", &c.LimitConnStatus, p.LimitConnStatus)
	inherit(s, "limit_conn_dry_run", &c.LimitConnDryRun, p.LimitConnDryRun)
	inherit(s, "satisfy", &c.SatisfyAny, p.SatisfyAny)
	if c.AuthBasic == nil {
		c.AuthBasic = p.AuthBasic
	}
	inherit(s, "auth_delay", &c.AuthDelay, p.AuthDelay)
	if c.AuthBasicUserFile == nil {
		c.AuthBasicUserFile, c.AuthBasicConfPrefix = p.AuthBasicUserFile, p.AuthBasicConfPrefix
	}
	inherit(s, "auth_request", &c.AuthRequest, p.AuthRequest)
	if c.AuthRequestSets == nil {
		c.AuthRequestSets = p.AuthRequestSets
	}
	if c.LimitReqs == nil {
		c.LimitReqs = p.LimitReqs
	}
	inherit(s, "limit_req_log_level", &c.LimitReqLogLevel, p.LimitReqLogLevel)
	inherit(s, "limit_req_status", &c.LimitReqStatus, p.LimitReqStatus)
	inherit(s, "limit_req_dry_run", &c.LimitReqDryRun, p.LimitReqDryRun)
	if c.RealIPFrom == nil {
		c.RealIPFrom = p.RealIPFrom
	}
	inherit(s, "real_ip_header", &c.RealIPHeader, p.RealIPHeader)
	inherit(s, "real_ip_recursive", &c.RealIPRecursive, p.RealIPRecursive)
	inherit(s, "send_timeout", &c.SendTimeout, p.SendTimeout)
	inherit(s, "lingering_close", &c.LingeringClose, p.LingeringClose)
	inherit(s, "lingering_time", &c.LingeringTime, p.LingeringTime)
	inherit(s, "lingering_timeout", &c.LingeringTimeout, p.LingeringTimeout)
	if !s["keepalive_timeout"] {
		c.KeepaliveTimeout, c.KeepaliveHeaderTimeout = p.KeepaliveTimeout, p.KeepaliveHeaderTimeout
	}
	inherit(s, "keepalive_requests", &c.KeepaliveRequests, p.KeepaliveRequests)
	inherit(s, "keepalive_time", &c.KeepaliveTime, p.KeepaliveTime)
	inherit(s, "client_max_body_size", &c.ClientMaxBodySize, p.ClientMaxBodySize)
	inherit(s, "client_body_timeout", &c.ClientBodyTimeout, p.ClientBodyTimeout)
	inherit(s, "client_body_buffer_size", &c.ClientBodyBufferSize, p.ClientBodyBufferSize)
	inherit(s, "client_body_in_file_only", &c.ClientBodyInFileOnly, p.ClientBodyInFileOnly)
	inherit(s, "client_body_temp_path", &c.ClientBodyTempPath, p.ClientBodyTempPath)

	// ngx_http_access_module, ngx_http_log_module, ngx_http_headers_module:
	// lists inherited only by a level that has none.
	if c.AccessRules == nil {
		c.AccessRules = p.AccessRules
	}
	if c.AccessLogs == nil && !c.AccessLogOff {
		c.AccessLogs, c.AccessLogOff = p.AccessLogs, p.AccessLogOff
	}
	if c.AddHeaders == nil {
		c.AddHeaders = p.AddHeaders
	}
	if c.AddTrailers == nil {
		c.AddTrailers = p.AddTrailers
	}
	if c.Expires == nil {
		c.Expires = p.Expires
	}

	// ngx_http_autoindex_module.
	inherit(s, "autoindex", &c.Autoindex, p.Autoindex)
	inherit(s, "autoindex_exact_size", &c.AutoindexExactSize, p.AutoindexExactSize)
	inherit(s, "autoindex_localtime", &c.AutoindexLocaltime, p.AutoindexLocaltime)
	inherit(s, "autoindex_format", &c.AutoindexFormat, p.AutoindexFormat)

	// ngx_http_charset_filter_module.
	inherit(s, "charset", &c.Charset, p.Charset)
	inherit(s, "source_charset", &c.SourceCharset, p.SourceCharset)
	inherit(s, "override_charset", &c.OverrideCharset, p.OverrideCharset)
	if c.CharsetTypes == nil {
		c.CharsetTypes = p.CharsetTypes
	}

	// ngx_http_sub_filter_module.
	c.mergeSub(p)

	// ngx_http_proxy_module.
	if (c.from == "if" || c.from == "limit_except") && c.ProxyPass == nil {
		c.ProxyPass = p.ProxyPass
		c.EmptyGIF = p.EmptyGIF
	}
	ownHeaders := c.ProxySetHeaders != nil
	if c.ProxySetHeaders == nil {
		c.ProxySetHeaders = p.ProxySetHeaders
	}
	inherit(s, "proxy_http_version", &c.ProxyHTTPVersion, p.ProxyHTTPVersion)
	inherit(s, "proxy_connect_timeout", &c.ProxyConnectTimeout, p.ProxyConnectTimeout)
	inherit(s, "proxy_read_timeout", &c.ProxyReadTimeout, p.ProxyReadTimeout)
	inherit(s, "proxy_send_timeout", &c.ProxySendTimeout, p.ProxySendTimeout)
	inherit(s, "proxy_buffering", &c.ProxyBuffering, p.ProxyBuffering)
	inherit(s, "proxy_temp_path", &c.ProxyTempPath, p.ProxyTempPath)
	inherit(s, "proxy_ignore_headers", &c.ProxyIgnoreHeaders, p.ProxyIgnoreHeaders)
	inherit(s, "proxy_request_buffering", &c.ProxyRequestBuffering, p.ProxyRequestBuffering)
	inherit(s, "proxy_buffer_size", &c.ProxyBufferSize, p.ProxyBufferSize)
	inherit(s, "proxy_buffers", &c.ProxyBuffers, p.ProxyBuffers)
	inherit(s, "proxy_next_upstream", &c.ProxyNextUpstream, p.ProxyNextUpstream)
	if c.ProxyNextUpstream&NextOff != 0 {
		c.ProxyNextUpstream = NextOff
	}
	inherit(s, "proxy_next_upstream_tries", &c.ProxyNextUpstreamTries, p.ProxyNextUpstreamTries)
	inherit(s, "proxy_next_upstream_timeout", &c.ProxyNextUpstreamTimeout, p.ProxyNextUpstreamTimeout)
	inherit(s, "proxy_cache", &c.ProxyCacheValue, p.ProxyCacheValue)
	inherit(s, "resolver", &c.Resolver, p.Resolver)
	inherit(s, "resolver_timeout", &c.ResolverTimeout, p.ResolverTimeout)
	if c.ProxyPassHeaders == nil {
		c.ProxyPassHeaders = p.ProxyPassHeaders
	}
	if c.ProxyHideHeaders == nil {
		c.ProxyHideHeaders = p.ProxyHideHeaders
	}
	if c.ProxyRedirects == nil && !c.ProxyRedirectOff {
		c.ProxyRedirects, c.ProxyRedirectOff = p.ProxyRedirects, p.ProxyRedirectOff
	}
	c.ProxyCookieDomains.inherit(p.ProxyCookieDomains)
	c.ProxyCookiePaths.inherit(p.ProxyCookiePaths)
	c.ProxyCookieFlags.inherit(p.ProxyCookieFlags)
	inherit(s, "referer_hash_max_size", &c.RefererHashMaxSize, p.RefererHashMaxSize)
	inherit(s, "referer_hash_bucket_size", &c.RefererHashBucketSize, p.RefererHashBucketSize)
	inherit(s, "proxy_intercept_errors", &c.ProxyInterceptErrors, p.ProxyInterceptErrors)
	inherit(s, "proxy_pass_request_headers", &c.ProxyPassRequestHeaders, p.ProxyPassRequestHeaders)
	inherit(s, "proxy_pass_request_body", &c.ProxyPassRequestBody, p.ProxyPassRequestBody)
	inherit(s, "proxy_ignore_client_abort", &c.ProxyIgnoreClientAbort, p.ProxyIgnoreClientAbort)
	inherit(s, "proxy_socket_keepalive", &c.ProxySocketKeepalive, p.ProxySocketKeepalive)
	inherit(s, "proxy_method", &c.ProxyMethod, p.ProxyMethod)
	inherit(s, "proxy_bind", &c.ProxyBind, p.ProxyBind)
	if !s["proxy_set_body"] {
		c.ProxySetBody, c.proxySetBodyErr, c.proxySetBodyUses = p.ProxySetBody, p.proxySetBodyErr, p.proxySetBodyUses
	}
	c.mergeGzip(p)

	// The busy-buffers size nginx derives, and the checks it makes on it
	// (ngx_http_proxy_merge_loc_conf), with the effective values.
	if s["proxy_busy_buffers_size"] {
		c.pBusySet = true
	} else if p.pBusySet {
		c.ProxyBusyBuffersSize, c.pBusySet = p.ProxyBusyBuffersSize, true
	}
	for k, v := range p.passive {
		if _, own := c.passive[k]; !own {
			c.keepPassive(k, v[0], v[1])
		}
	}
	// nginx merges the http level into each server, never by itself: its
	// values are checked there, as each server inherits them (with no
	// server, not at all).
	checked := c.from != "http"
	if err := c.checkTypesHash(p, ownTypes, checked); err != nil {
		return err
	}
	if c.ProxyBuffers.Num < 2 && checked {
		return errAt(end, `there must be at least 2 "proxy_buffers"`)
	}
	size := c.ProxyBufferSize
	if size < c.ProxyBuffers.Size {
		size = c.ProxyBuffers.Size
	}
	if !c.pBusySet {
		c.ProxyBusyBuffersSize = 2 * size
	}
	// nginx compares these size_t values unsigned: near 2^63, twice the
	// buffer size wraps and the checks fail as nginx's do.
	if uint64(c.ProxyBusyBuffersSize) < uint64(size) && checked {
		return errAt(end, `"proxy_busy_buffers_size" must be equal to or greater than the maximum of the value of "proxy_buffer_size" and one of the "proxy_buffers"`)
	}
	if uint64(c.ProxyBusyBuffersSize) > uint64(c.ProxyBuffers.Num-1)*uint64(c.ProxyBuffers.Size) && checked {
		return errAt(end, `"proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer`)
	}
	if checked {
		if err := c.checkTempFileSizes("proxy", size, end); err != nil {
			return err
		}
	}
	if err := c.mergeCacheZone(p, "proxy_cache", end); err != nil {
		return err
	}
	if err := c.mergeProxySSL(p); err != nil {
		return err
	}
	if err := c.mergeSecureLink(p, end); err != nil {
		return err
	}
	if c.from != "http" {
		// ngx_http_proxy_merge_loc_conf compiles the body, then the
		// headers: their variables are indexed here.
		c.mergeUses("proxy", c.proxySetBodyUses)
	}
	if c.proxySetBodyErr != "" && c.from != "http" {
		return errAt(end, "%s", c.proxySetBodyErr)
	}
	if c.from != "http" {
		for _, h := range c.ProxySetHeaders {
			c.mergeUses("proxy", h.uses)
			if h.compileErr != "" {
				return errAt(end, "%s", h.compileErr)
			}
		}
		// ngx_http_proxy_init_headers then hashes the header names, in
		// each level with headers of its own and in each server (which
		// copies the http level's unbuilt hash); other levels copy a
		// built one.
		if ownHeaders || p.from == "http" {
			if err := c.checkProxyHeadersHash(); err != nil {
				return err
			}
		}
	}
	// The modules nginxws does not implement, in nginx's module order:
	// each checks its cache zone, then compiles its parameters.
	for _, m := range [...]string{"fastcgi", "uwsgi", "scgi", "grpc"} {
		if m != "grpc" && c.from != "http" {
			if err := c.checkUpstreamBuffers(m, end); err != nil {
				return err
			}
		}
		if m != "grpc" {
			if err := c.mergeCacheZone(p, m+"_cache", end); err != nil {
				return err
			}
		}
		name := m + "_param"
		if m == "grpc" {
			name = "grpc_set_header"
		}
		if !s[name] {
			if e := p.paramErrs[name]; e != "" {
				if c.paramErrs == nil {
					c.paramErrs = map[string]string{}
				}
				c.paramErrs[name] = e
			}
			if u := p.paramUses[name]; len(u) > 0 {
				if c.paramUses == nil {
					c.paramUses = map[string][]string{}
				}
				c.paramUses[name] = u
			}
		}
		if c.from != "http" {
			c.mergeUses(m, c.paramUses[name])
		}
		if e := c.paramErrs[name]; e != "" && c.from != "http" {
			return errAt(end, "%s", e)
		}
	}
	return c.mergeIfs(end)
}

// checkTypesHash makes ngx_hash_init's checks on the types hash as
// ngx_http_core_merge_loc_conf builds it, with this level's
// types_hash_max_size and types_hash_bucket_size (ignored by nginxws
// otherwise): first the hash of the level the types come from, if it was
// set there and not built yet, then this level's own if it has not one
// built (the default types are built afresh in each level). The [warn]
// when no size is optimal is not reproduced.
func (c *LocConf) checkTypesHash(p *LocConf, own, checked bool) error {
	c.typesExplicit = own || p.typesExplicit
	if !own {
		c.typesBuilt = p.typesBuilt
	}
	if !checked {
		return nil
	}
	max := c.passiveSize("types_hash_max_size", 1024)
	bucket := align(c.passiveSize("types_hash_bucket_size", 64), cacheLine)
	build := func(types map[string]string) error {
		keys := make([]string, 0, len(types))
		for ext := range types {
			keys = append(keys, ext)
		}
		return hashInitCheck("types_hash", bucket, max, keys)
	}
	if p.typesExplicit && !p.typesBuilt {
		if err := build(p.Types); err != nil {
			return err
		}
		p.typesBuilt = true
		if !own {
			c.typesBuilt = true
		}
	}
	if !c.typesBuilt || !c.typesExplicit {
		if err := build(c.Types); err != nil {
			return err
		}
		c.typesBuilt = c.typesExplicit
	}
	return nil
}

// proxyDefaultHeaders are the names of ngx_http_proxy_headers, which
// ngx_http_proxy_init_headers hashes with the configured ones.
var proxyDefaultHeaders = []string{"host", "connection", "content-length", "transfer-encoding", "te", "keep-alive", "expect", "upgrade"}

// checkProxyHeadersHash makes ngx_hash_init's checks on the proxy headers
// hash, with proxy_headers_hash_max_size (512) and
// proxy_headers_hash_bucket_size (64, aligned), which nginxws ignores
// otherwise.
func (c *LocConf) checkProxyHeadersHash() error {
	keys := append([]string(nil), proxyDefaultHeaders...)
	for _, h := range c.ProxySetHeaders {
		keys = append(keys, lowerString(h.Name))
	}
	max := c.passiveSize("proxy_headers_hash_max_size", 512)
	bucket := align(c.passiveSize("proxy_headers_hash_bucket_size", 64), cacheLine)
	return hashInitCheck("proxy_headers_hash", bucket, max, keys)
}

// keepPassive records an ignored directive's value at this level.
func (c *LocConf) keepPassive(name string, a, b int64) {
	if c.passive == nil {
		c.passive = map[string][2]int64{}
	}
	c.passive[name] = [2]int64{a, b}
}

// ProxyMaxTempFileSize is proxy_max_temp_file_size: how much of a
// buffered response may go to a temporary file (default 1024m; 0: none).
func (c *LocConf) ProxyMaxTempFileSize() int64 {
	return c.passiveSize("proxy_max_temp_file_size", 1024<<20)
}

// passiveSize is an ignored size directive's effective value, or def.
func (c *LocConf) passiveSize(name string, def int64) int64 {
	if v, ok := c.passive[name]; ok {
		return v[0]
	}
	return def
}

// checkUpstreamBuffers makes the checks ngx_http_proxy_merge_loc_conf
// makes on proxy buffers for fastcgi, uwsgi or scgi (module m), whose
// directives nginxws ignores: defaults 8 buffers of a page, a buffer
// size of a page.
func (c *LocConf) checkUpstreamBuffers(m string, end parser.Pos) error {
	num, bsize := int64(8), int64(pageSize)
	if v, ok := c.passive[m+"_buffers"]; ok {
		num, bsize = v[0], v[1]
	}
	if num < 2 {
		return errAt(end, `there must be at least 2 "%s_buffers"`, m)
	}
	size := max(c.passiveSize(m+"_buffer_size", pageSize), bsize)
	busy := c.passiveSize(m+"_busy_buffers_size", 2*size)
	if uint64(busy) < uint64(size) {
		return errAt(end, `"%s_busy_buffers_size" must be equal to or greater than the maximum of the value of "%s_buffer_size" and one of the "%s_buffers"`, m, m, m)
	}
	if uint64(busy) > uint64(num-1)*uint64(bsize) {
		return errAt(end, `"%s_busy_buffers_size" must be less than the size of all "%s_buffers" minus one buffer`, m, m)
	}
	return c.checkTempFileSizes(m, size, end)
}

// checkTempFileSizes is the end of those checks, on the temporary file
// sizes:
// *_temp_file_write_size (default twice size) and *_max_temp_file_size
// (default 1024m, 0 for none) at least size, the larger of the buffer
// size and one buffer.
func (c *LocConf) checkTempFileSizes(m string, size int64, end parser.Pos) error {
	if uint64(c.passiveSize(m+"_temp_file_write_size", 2*size)) < uint64(size) {
		return errAt(end, `"%s_temp_file_write_size" must be equal to or greater than the maximum of the value of "%s_buffer_size" and one of the "%s_buffers"`, m, m, m)
	}
	if mt := c.passiveSize(m+"_max_temp_file_size", 1024<<20); mt != 0 && uint64(mt) < uint64(size) {
		return errAt(end, `"%s_max_temp_file_size" must be equal to zero to disable temporary files usage or must be equal to or greater than the maximum of the value of "%s_buffer_size" and one of the "%s_buffers"`, m, m, m)
	}
	return nil
}

// mergeCacheZone inherits the zone a *_cache directive (name) names, and
// makes nginx's check that its module's *_cache_path declared it. nginx
// merges the http level into the servers, never by itself: with no
// server, a zone nobody declared is "zero size" after the parse instead.
func (c *LocConf) mergeCacheZone(p *LocConf, name string, end parser.Pos) error {
	if !c.set[name] {
		if z := p.cacheZones[name]; z != nil {
			if c.cacheZones == nil {
				c.cacheZones = map[string]*sharedZone{}
			}
			c.cacheZones[name] = z
		}
	}
	if z := c.cacheZones[name]; z != nil && !z.cachePath && c.from != "http" {
		return errAt(end, `"%s" zone "%s" is unknown`, name, z.name)
	}
	if name == "proxy_cache" {
		return nil // its key has a default
	}
	if c.cacheOn == nil {
		c.cacheOn, c.cacheKeyed = map[string]bool{}, map[string]bool{}
	}
	if !c.set[name] {
		c.cacheOn[name] = p.cacheOn[name]
	}
	c.cacheKeyed[name] = c.set[name+"_key"] || p.cacheKeyed[name]
	if c.cacheOn[name] && !c.cacheKeyed[name] && c.from != "http" && c.diag != nil {
		m := strings.TrimSuffix(name, "_cache")
		c.diag.byModule[m] = append(c.diag.byModule[m], Diag{Msg: `no "` + name + `_key" for "` + name + `"`, Pos: end})
	}
	return nil
}

// mergeIfs merges this level's if blocks, and its limit_except block,
// from it.
func (c *LocConf) mergeIfs(end parser.Pos) error {
	for _, ic := range c.ifs {
		if err := ic.merge(c, end); err != nil {
			return err
		}
	}
	if c.LimitExcept != nil {
		return c.LimitExcept.merge(c, end)
	}
	return nil
}

// The values of if_modified_since: how If-Modified-Since is compared with
// a response's Last-Modified.
const (
	IMSOff    = "off"    // never a 304 for If-Modified-Since
	IMSExact  = "exact"  // 304 when the times are equal
	IMSBefore = "before" // 304 when the response is not newer
)

// The bits of keepalive_disable (LocConf.KeepaliveDisable); "none" sets
// neither.
const (
	KeepaliveDisableMSIE6 uint8 = 1 << iota
	KeepaliveDisableSafari
)

// The values of lingering_close (ngx_http_core_lingering_close).
const (
	LingeringOff    = "off"
	LingeringOn     = "on"
	LingeringAlways = "always"
)
