package directives

import (
	"sort"
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// Location is one location block.
type Location struct {
	// Modifier is "" (prefix), "=", "^~", "~", "~*", or "@" for a named
	// location.
	Modifier string
	// Match is the URI prefix or exact URI, the regex source, or the name
	// of a named location (without "@").
	Match string
	// Regex is the compiled pattern of "~" and "~*" locations.
	Regex *Regexp
	// Conf is the location's settings, merged from its parent.
	Conf *LocConf
	// Locations are the nested locations in config order.
	Locations []*Location
	Pos       parser.Pos
}

// Exact reports whether the location is "= uri".
func (loc *Location) Exact() bool { return loc.Modifier == "=" }

// Named reports whether the location is "@name".
func (loc *Location) Named() bool { return loc.Modifier == "@" }

// IsRegex reports whether the location is "~" or "~*".
func (loc *Location) IsRegex() bool { return loc.Regex != nil }

// name is the location's name as nginx prints it in messages: the regex
// source, "@name", or the URI.
func (loc *Location) name() string {
	if loc.Named() {
		return "@" + loc.Match
	}
	return loc.Match
}

// setLocation reproduces ngx_http_core_location.
func (l *loader) setLocation(d *parser.Directive, sc *scope) error {
	loc := &Location{Pos: d.Pos, Conf: newLocConf()}
	loc.Conf.from = "location"
	var pattern string
	caseless, isRegex := false, false
	if len(d.Args) == 2 {
		mod, name := d.Args[0].Value, d.Args[1].Value
		switch mod {
		case "=", "^~":
			loc.Modifier, loc.Match = mod, name
		case "~", "~*":
			loc.Modifier, pattern, isRegex, caseless = mod, name, true, mod == "~*"
		default:
			return l.errf(d, `invalid location modifier "%s"`, mod)
		}
	} else {
		name := d.Args[0].Value
		switch {
		case strings.HasPrefix(name, "="):
			loc.Modifier, loc.Match = "=", name[1:]
		case strings.HasPrefix(name, "^~"):
			loc.Modifier, loc.Match = "^~", name[2:]
		case strings.HasPrefix(name, "~*"):
			loc.Modifier, pattern, isRegex, caseless = "~*", name[2:], true, true
		case strings.HasPrefix(name, "~"):
			loc.Modifier, pattern, isRegex = "~", name[1:], true
		case strings.HasPrefix(name, "@"):
			loc.Modifier, loc.Match = "@", name[1:]
		default:
			loc.Match = name
		}
	}
	if isRegex {
		loc.Match = pattern
		re, err := l.compileRegex(d, pattern, caseless)
		if err != nil {
			return err
		}
		loc.Regex = re
	}

	if parent := sc.location; parent != nil {
		switch {
		case parent.Exact():
			return l.errf(d, `location "%s" cannot be inside the exact location "%s"`, loc.name(), parent.name())
		case parent.Named():
			return l.errf(d, `location "%s" cannot be inside the named location "%s"`, loc.name(), parent.name())
		case loc.Named():
			return l.errf(d, `named location "%s" can be on the server level only`, loc.name())
		case !loc.IsRegex() && !strings.HasPrefix(loc.Match, parent.Match):
			return l.errf(d, `location "%s" is outside location "%s"`, loc.name(), parent.name())
		}
		parent.Locations = append(parent.Locations, loc)
	} else {
		sc.server.Locations = append(sc.server.Locations, loc)
	}

	ls := &scope{ctx: cLocation, open: sc.open, srvConf: sc.srvConf, server: sc.server, loc: loc.Conf, location: loc}
	ls.script = &loc.Conf.Script
	return l.block(d.Block, ls)
}

// mergeLocations merges each location (and its nested ones) from its
// parent level, depth first, as ngx_http_merge_locations.
func mergeLocations(locs []*Location, parent *LocConf, end parser.Pos) error {
	for _, loc := range locs {
		if err := loc.Conf.merge(parent, end); err != nil {
			return err
		}
		if err := mergeLocations(loc.Locations, loc.Conf, end); err != nil {
			return err
		}
	}
	return nil
}

// checkDuplicateLocations reproduces the duplicate check nginx makes when
// it builds a server's static location tree
// (ngx_http_init_static_location_trees, ngx_http_join_exact_locations):
// nested levels first, then this level's prefix and exact locations sorted
// by name (an exact one before a prefix one of the same name); two exact
// or two prefix ("^~" counts as prefix) locations of one name are
// "duplicate location", reported at the later one. Regex and named
// locations are never duplicates.
func checkDuplicateLocations(locs []*Location) error {
	type entry struct {
		name             string
		exact, inclusive bool
		loc              *Location
	}
	var static []entry
	for _, loc := range locs {
		if loc.IsRegex() || loc.Named() {
			continue
		}
		static = append(static, entry{name: loc.Match, exact: loc.Exact(), inclusive: !loc.Exact(), loc: loc})
	}
	sort.SliceStable(static, func(i, j int) bool {
		if static[i].name != static[j].name {
			return static[i].name < static[j].name
		}
		return static[i].exact && !static[j].exact
	})
	for _, e := range static {
		if err := checkDuplicateLocations(e.loc.Locations); err != nil {
			return err
		}
	}
	for i := 0; i+1 < len(static); {
		q, x := &static[i], static[i+1]
		if q.name != x.name {
			i++
			continue
		}
		if (q.exact && x.exact) || (q.inclusive && x.inclusive) {
			return errAt(x.loc.Pos, `duplicate location "%s"`, x.name)
		}
		q.exact = q.exact || x.exact
		q.inclusive = q.inclusive || x.inclusive
		static = append(static[:i+1], static[i+2:]...)
	}
	return nil
}
