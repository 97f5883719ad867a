package proxy

import (
	"bytes"
	"sort"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/http1"
)

// location is a location block compiled for matching, or a server's top
// level (loc nil), whose settings apply when no location matches. Each
// level carries nginx's static location tree and its regex locations in
// config order (ngx_http_core_loc_conf_t's static_locations and
// regex_locations), built once per configuration: matching a URI walks
// them without allocating.
type location struct {
	loc  *directives.Location
	conf *directives.LocConf
	// name is the location's URI, regex source or @name.
	name    string
	noregex bool // "^~"
	// autoRedirect is nginx's clcf->auto_redirect: a name ending in "/"
	// with proxy_pass; a request for the name without its slash gets a 301.
	autoRedirect bool
	// escapedName is the name with NGX_ESCAPE_URI applied, the target of
	// that 301.
	escapedName string
	static      *locNode
	regex       []*location
}

// locNode is a node of nginx's static location tree
// (ngx_http_location_tree_node_t): a binary search tree by name, where tree
// holds the names that extend this one, relative to it.
type locNode struct {
	left, right, tree *locNode
	exact, inclusive  *location
	autoRedirect      bool
	name              []byte // relative to the parent's name
}

// The results of a location search, as nginx's return codes.
const (
	locDeclined = iota // nothing matched at this level
	locOK              // an exact or regex location matched
	locAgain           // a prefix location matched (nginx's NGX_AGAIN)
	locDone            // auto redirect: the URI is a location's name minus "/"
)

// locError is a regex match that failed (nginx answers 500).
const locError = -1

// match is the outcome of a location search.
type match struct {
	loc *location
}

// matcher runs a regex for a request, recording its captures;
// *directives.State is one.
type matcher interface {
	Match(re *directives.Regexp, subject []byte) (bool, error)
}

// compileLocations builds the matching structures of one level from its
// locations in config order, and records the named ones.
func compileLocations(level *location, locs []*directives.Location, named map[string]*location) {
	type entry struct {
		name             string
		exact, inclusive *location
		list             []*entry
	}
	var static []*entry
	for _, dl := range locs {
		l := &location{loc: dl, conf: dl.Conf, name: dl.Match, noregex: dl.Modifier == "^~"}
		if dl.Named() {
			l.name = "@" + dl.Match
			if named != nil {
				named[dl.Match] = l
			}
			compileLocations(l, dl.Locations, nil)
			continue
		}
		compileLocations(l, dl.Locations, nil)
		if dl.IsRegex() {
			level.regex = append(level.regex, l)
			continue
		}
		if pp := dl.Conf.ProxyPass; pp != nil && len(l.name) > 0 && l.name[len(l.name)-1] == '/' {
			l.autoRedirect = true
		}
		l.escapedName = string(http1.AppendEscapedURI(nil, []byte(l.name)))
		e := &entry{name: l.name}
		if dl.Exact() {
			e.exact = l
		} else {
			e.inclusive = l
		}
		static = append(static, e)
	}
	// ngx_http_cmp_locations: by name, an exact location before the
	// inclusive one of the same name; then ngx_http_join_exact_locations.
	sort.SliceStable(static, func(i, j int) bool {
		if static[i].name != static[j].name {
			return static[i].name < static[j].name
		}
		return static[i].exact != nil && static[j].exact == nil
	})
	joined := static[:0]
	for _, e := range static {
		if n := len(joined); n > 0 && joined[n-1].name == e.name {
			p := joined[n-1]
			if p.exact == nil {
				p.exact = e.exact
			}
			if p.inclusive == nil {
				p.inclusive = e.inclusive
			}
			continue
		}
		joined = append(joined, e)
	}
	// ngx_http_create_locations_list: each inclusive entry takes the
	// entries right after it that start with its name.
	var list func(items []*entry) []*entry
	list = func(items []*entry) []*entry {
		var out []*entry
		for i := 0; i < len(items); {
			q := items[i]
			i++
			if q.inclusive == nil {
				out = append(out, q)
				continue
			}
			j := i
			for j < len(items) && len(items[j].name) >= len(q.name) && items[j].name[:len(q.name)] == q.name {
				j++
			}
			q.list = list(items[i:j])
			out = append(out, q)
			i = j
		}
		return out
	}
	// ngx_http_create_locations_tree: the middle entry (nginx's
	// ngx_queue_middle, index n/2) is the node.
	var tree func(items []*entry, prefix int) *locNode
	tree = func(items []*entry, prefix int) *locNode {
		if len(items) == 0 {
			return nil
		}
		m := len(items) / 2
		q := items[m]
		n := &locNode{exact: q.exact, inclusive: q.inclusive, name: []byte(q.name[prefix:])}
		n.autoRedirect = (q.exact != nil && q.exact.autoRedirect) || (q.inclusive != nil && q.inclusive.autoRedirect)
		n.left = tree(items[:m], prefix)
		n.right = tree(items[m+1:], prefix)
		n.tree = tree(q.list, len(q.name))
		return n
	}
	level.static = tree(list(joined), 0)
}

// findStatic mirrors ngx_http_core_find_static_location.
func findStatic(node *locNode, uri []byte, m *match) int {
	rv := locDeclined
	for node != nil {
		n := min(len(uri), len(node.name))
		if rc := bytes.Compare(uri[:n], node.name[:n]); rc != 0 {
			if rc < 0 {
				node = node.left
			} else {
				node = node.right
			}
			continue
		}
		switch {
		case len(uri) > len(node.name):
			if node.inclusive != nil {
				m.loc = node.inclusive
				rv = locAgain
				uri = uri[n:]
				node = node.tree
				continue
			}
			node = node.right
			continue
		case len(uri) == len(node.name):
			if node.exact != nil {
				m.loc = node.exact
				return locOK
			}
			m.loc = node.inclusive
			return locAgain
		}
		if len(uri)+1 == len(node.name) && node.autoRedirect {
			if node.exact != nil {
				m.loc = node.exact
			} else {
				m.loc = node.inclusive
			}
			rv = locDone
		}
		node = node.left
	}
	return rv
}

// findLocation mirrors ngx_http_core_find_location from level: the static
// tree, the nested locations of the prefix found, then (unless that prefix
// is "^~") this level's regexes in config order. m.loc holds the location
// nginx's r->loc_conf would end on (level itself when nothing matched).
func findLocation(level *location, uri []byte, m *match, mt matcher) int {
	noregex := false
	rc := findStatic(level.static, uri, m)
	if rc == locAgain {
		noregex = m.loc.noregex
		rc = findLocation(m.loc, uri, m, mt)
	}
	if rc == locOK || rc == locDone {
		return rc
	}
	if noregex {
		return rc
	}
	for _, l := range level.regex {
		ok, err := mt.Match(l.loc.Regex, uri)
		if err != nil {
			return locError
		}
		if !ok {
			continue
		}
		m.loc = l
		if findLocation(l, uri, m, mt) == locError {
			return locError
		}
		return locOK
	}
	return rc
}

// find selects the location for uri in server v: the location nginx's
// find-config phase ends on, and locDone when the URI asks for the
// auto-redirect 301 (locError when a regex match failed). Regexes run
// through mt, which records their captures.
func (v *vserver) find(uri []byte, mt matcher) (match, int) {
	m := match{loc: v.top}
	rc := findLocation(v.top, uri, &m, mt)
	return m, rc
}
