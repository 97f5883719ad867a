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
package directives
