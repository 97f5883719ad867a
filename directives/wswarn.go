package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// Two WebSocket proxy settings that often surprise, reported as [warn]
// lines by -t and at start (nginx itself says nothing; both proxies then
// behave alike):
//
//   - proxy_set_header Upgrade at a level that keeps proxy_http_version at
//     its default of 1.0: the upgrade request goes up as HTTP/1.0. Servers
//     that accept it (Node's ws behind code-server, Odoo's, Gitea's, whose
//     documented configurations are written so) upgrade; those that
//     require HTTP/1.1 answer it as a plain request.
//   - proxy_set_header Connection "upgrade" written as a constant, for an
//     upstream group with keepalive: plain requests go up with
//     "Connection: upgrade" too (Mattermost's location), where the map
//     idiom sends no Connection header to keep the connection.
//
// Each is reported once, at the proxy_set_header line, however many
// levels inherit it.

// wsWarnKind tells the two warnings apart for deduplication.
type wsWarnKind int

const (
	wsWarnVersion wsWarnKind = iota
	wsWarnConnection
)

// wsWarnKey identifies a warning already given.
type wsWarnKey struct {
	kind wsWarnKind
	pos  parser.Pos
}

// warnWebSocketIdioms appends the warnings for the http block's levels
// that proxy; it runs once the levels are merged (finishHTTP).
func (l *loader) warnWebSocketIdioms() {
	h := l.http.h
	seen := map[wsWarnKey]bool{}
	warn := func(k wsWarnKind, pos parser.Pos, msg string) {
		key := wsWarnKey{k, pos}
		if seen[key] {
			return
		}
		seen[key] = true
		l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: msg, Pos: pos})
	}
	check := func(c *LocConf) {
		if c == nil || c.ProxyPass == nil {
			return
		}
		for _, hd := range c.ProxySetHeaders {
			if hd.Value == nil || hd.Value.Raw == "" {
				continue
			}
			switch {
			case strings.EqualFold(hd.Name, "Upgrade") && c.ProxyHTTPVersion != "1.1":
				warn(wsWarnVersion, hd.Pos, `"proxy_set_header Upgrade" without "proxy_http_version 1.1": upgrade requests go up as HTTP/`+
					c.ProxyHTTPVersion+`, which WebSocket servers that require HTTP/1.1 refuse`)
			case strings.EqualFold(hd.Name, "Connection") && hd.Value.IsLiteral() &&
				strings.EqualFold(strings.TrimSpace(hd.Value.Raw), "upgrade") && keepsAlive(c.ProxyPass):
				warn(wsWarnConnection, hd.Pos, `"proxy_set_header Connection upgrade" sends "Connection: upgrade" with plain requests `+
					`to keepalive upstream "`+c.ProxyPass.Upstream.Name+`" too; `+
					`use a map: map $http_upgrade $connection_upgrade { default upgrade; '' ''; }`)
			}
		}
	}
	walkLevels(h, check)
}

// keepsAlive reports whether proxy_pass goes to a group with keepalive.
func keepsAlive(p *ProxyPass) bool {
	return p.Upstream != nil && p.Upstream.Keepalive > 0
}

// walkLevels calls fn for every level of an http block: http, servers,
// locations (nested), and "if" blocks.
func walkLevels(h *HTTP, fn func(*LocConf)) {
	var level func(c *LocConf)
	level = func(c *LocConf) {
		if c == nil {
			return
		}
		fn(c)
		for _, st := range c.Script {
			if st.Op == OpIf {
				level(st.Conf)
			}
		}
	}
	var locs func([]*Location)
	locs = func(ls []*Location) {
		for _, loc := range ls {
			level(loc.Conf)
			locs(loc.Locations)
		}
	}
	level(h.Conf)
	for _, s := range h.Servers {
		level(s.Conf)
		locs(s.Locations)
	}
}
