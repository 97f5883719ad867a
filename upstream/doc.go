// Package upstream holds nginxws's peer groups: the servers of an
// upstream block (or the single address of a bare proxy_pass host:port),
// the balancing methods that choose among them exactly as nginx 1.22
// chooses, the per-peer failure accounting that takes a peer out of
// rotation (max_fails, fail_timeout), the retry policy of
// proxy_next_upstream, and the keepalive pools of idle upstream
// connections.
//
// A Group is built once per configuration from a compiled
// directives.Upstream and shared by every request served with that
// configuration; its peers' run-time state (current weights, active
// connections, failures) lives behind one mutex per group, as it lives in
// one nginx worker. A request drives an Attempt: Start it on the group,
// Pick a peer, Connect to it, and Release it when the response (or the
// tunnel) is over, or report a failure with Fail, which says whether
// nginx would try another peer and with which status it would give up.
//
// The package knows nothing of HTTP requests: the caller evaluates the
// hash key, tells whether the method is idempotent, whether the request
// was sent, and whether a response may leave its connection to the pool.
package upstream
