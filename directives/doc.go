// Package directives turns a parsed nginx configuration into a validated,
// typed, immutable Config, the way nginx 1.22 reads its configuration for
// `nginx -t`.
//
// It holds the directive catalogue (catalogue.go, catalogue_nginx.go),
// modelled on nginx's module command tables: for every directive nginx
// 1.22 knows, the contexts it may appear in, its argument count, and
// whether nginxws implements it, ignores it with a [warn] (harmless
// tuning), or refuses it ("directive is not supported": access control,
// rate limits, content rewriting). Directives are checked as they are
// read, in file order, with nginx's exact messages and file:line, so the
// first error reported is the one nginx reports. The checks nginx makes
// when a block ends (an empty upstream, the merge of the http block,
// duplicate locations, unknown variables) run at the same points.
//
// The typed Config follows nginx's levels: http → servers → locations
// (and "if" blocks), each level's settings in a LocConf merged with
// nginx's inheritance rules and defaults once at load; upstream groups;
// maps; and values that may hold variables compiled into segments
// (Complex).
//
// The variable engine evaluates those values per request. When the http
// block ends, every variable a value uses gets an index in the block's
// Engine (HTTP.Engine) and every value is bound to those indexes, so a
// request never looks a variable up by name. The caller (package proxy)
// supplies the request through the Request interface (request.go) and
// keeps one State per request (state.go): variables are computed lazily,
// cached for the request unless nginx marks them non-cacheable ($uri,
// $args, $request_time, $upstream_*, volatile maps, …), and the captures
// of the last regex match ($1…$9, named captures) live there too. Builtin
// variables follow nginx 1.22's handlers exactly (vars_builtin.go), maps
// nginx's lookup order (mapeval.go), access log lines nginx's escaping
// (logeval.go); each is checked side by side against nginx
// (nginx_side_test.go).
//
// Regular expressions run on Go's RE2 where it answers as PCRE does, and
// on a PCRE-style backtracking engine for look-around, back-references and
// the other constructs RE2 lacks, and for subjects RE2 would read
// differently (pcre.go has the details and the remaining differences).
//
// Where nginxws refuses what nginx accepts, on purpose: directives whose
// absence would weaken access control or change what is served (see the
// refused rows), "listen … http2", the TLS
// settings crypto/tls cannot honour (tlsconf.go: encrypted keys,
// variables other than $ssl_server_name in ssl_certificate; client
// certificates toward upstreams), and the few
// regex constructs neither engine runs (recursion, subroutine calls,
// "\K", possessive quantifiers, branch reset, conditionals, verbs). Those
// refusals (but the regex ones) are reported only once every check nginx
// makes has passed (refuseLater): a configuration nginx rejects gets
// nginx's own message first. A refused directive written with nginx's
// default value ("etag on", "ssl_ocsp off") asks for
// nothing and is accepted silently. Directives ignored with a [warn] still get
// nginx's value checks (catalogue.go's checks, passive.go, hashsize.go).
package directives
