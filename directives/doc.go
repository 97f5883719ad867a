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
// (Complex). Evaluating those per request is the variable engine's job.
//
// Where nginxws refuses what nginx accepts, on purpose: directives whose
// absence would weaken access control or change what is served (see the
// refused rows), "listen … ssl", "listen … http2", "listen …
// proxy_protocol" and "proxy_pass https://" until TLS exists, and regular
// expressions Go's RE2 cannot run as PCRE would (look-around,
// back-references, possessive quantifiers, …). One known difference is
// not caught: PCRE's "$" also matches before a final newline, RE2's only
// at the very end.
package directives
