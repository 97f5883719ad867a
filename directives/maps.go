package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// Map is a map block: Var takes the value of the first entry matching
// Source: exact keys, then hostnames wildcards, then regexes in order,
// then Default (mapeval.go evaluates it). This type keeps the entries as
// written, with their positions.
type Map struct {
	Source *Complex
	// Var is the defined variable, lower-cased, without "$".
	Var       string
	Hostnames bool
	Volatile  bool
	// Default is the default entry's value; nil means "".
	Default *Complex
	// Entries are the non-default entries in config order.
	Entries []*MapEntry
	Pos     parser.Pos
}

// MapEntry is one "key value;" line of a map.
type MapEntry struct {
	// Key is the key as written, without a leading "\" escape and, for
	// regexes, without "~" / "~*".
	Key string
	// Regex is set for "~" and "~*" keys.
	Regex *Regexp
	Value *Complex
	Pos   parser.Pos

	// hostKey is set for a key read after "hostnames": nginx then adds it
	// as a possible wildcard (NGX_HASH_WILDCARD_KEY).
	hostKey bool
}

// blockSourceAndVariable reads the two arguments of a block that defines
// a variable from a value (map, split_clients): the value compiled, then
// "$name" declared; it returns the name lower-cased.
func (l *loader) blockSourceAndVariable(d *parser.Directive) (*Complex, string, error) {
	src, err := l.compileComplex(d, d.Args[0].Value)
	if err != nil {
		return nil, "", err
	}
	name := d.Args[1].Value
	if !strings.HasPrefix(name, "$") {
		return nil, "", l.errf(d, `invalid variable name "%s"`, name)
	}
	if err := l.addVariable(d, name[1:]); err != nil {
		return nil, "", err
	}
	return src, lowerString(name[1:]), nil
}

// setMap reproduces ngx_http_map_block and ngx_http_map (one call per
// entry, in order).
func (l *loader) setMap(d *parser.Directive, _ *scope) error {
	src, name, err := l.blockSourceAndVariable(d)
	if err != nil {
		return err
	}
	m := &Map{Source: src, Var: name, Pos: d.Pos}
	l.http.h.Maps = append(l.http.h.Maps, m)
	l.http.h.defineHandler(m.Var, m)
	keys := newMapKeys()
	hasDefault := false
	for _, e := range d.Block {
		if e.IsBlock() {
			return l.errf(e, `unexpected "{"`)
		}
		if len(e.Args) == 0 && e.Name == "hostnames" {
			m.Hostnames = true
			continue
		}
		if len(e.Args) == 0 && e.Name == "volatile" {
			m.Volatile = true
			continue
		}
		if len(e.Args) != 1 {
			return l.errf(e, "invalid number of the map parameters")
		}
		val, err := l.compileComplex(e, e.Args[0].Value)
		if err != nil {
			return err
		}
		key := e.Name
		if key == "default" {
			if hasDefault {
				return l.errf(e, "duplicate default map parameter")
			}
			hasDefault = true
			m.Default = val
			continue
		}
		entry := &MapEntry{Key: key, Value: val, Pos: e.Pos, hostKey: m.Hostnames}
		if strings.HasPrefix(key, "~") {
			pat, caseless := key[1:], false
			if strings.HasPrefix(pat, "*") {
				pat, caseless = pat[1:], true
			}
			re, err := l.compileRegex(e, pat, caseless)
			if err != nil {
				return err
			}
			entry.Key, entry.Regex = pat, re
			m.Entries = append(m.Entries, entry)
			continue
		}
		if strings.HasPrefix(key, `\`) {
			key = key[1:]
			entry.Key = key
		}
		valid, conflict := keys.add(key, m.Hostnames)
		if !valid {
			return l.errf(e, `invalid hostname or wildcard "%s"`, key)
		}
		if conflict {
			return l.errf(e, `conflicting parameter "%s"`, lowerString(key))
		}
		m.Entries = append(m.Entries, entry)
	}
	return l.checkMapHash(m)
}

// checkMapHash runs ngx_http_map_block's hash building on the map's keys
// (hashsize.go): a key too long for map_hash_bucket_size is an [emerg],
// too many keys for map_hash_max_size a [warn]. The first map block fixes
// both settings (nginx sets their defaults there), which is why nginx
// calls a map_hash_* directive after a map a duplicate.
func (l *loader) checkMapHash(m *Map) error {
	sizes := l.http.mapHash
	if _, ok := sizes["map_hash_max_size"]; !ok {
		sizes["map_hash_max_size"] = 2048
	}
	if b, ok := sizes["map_hash_bucket_size"]; ok {
		sizes["map_hash_bucket_size"] = align(b, cacheLine)
	} else {
		sizes["map_hash_bucket_size"] = cacheLine
	}
	var exact, wild []string
	for _, e := range m.Entries {
		switch {
		case e.Regex != nil:
		case e.hostKey && isWildcardName(e.Key):
			wild = append(wild, e.Key)
		default:
			exact = append(exact, lowerString(e.Key))
		}
	}
	return l.checkHash("map_hash", sizes["map_hash_bucket_size"], sizes["map_hash_max_size"], exact, wild)
}

// mapKeys tracks the keys of a map as ngx_hash_add_key does, for nginx's
// "invalid hostname or wildcard" and "conflicting parameter" errors.
type mapKeys struct {
	exact, head, tail map[string]bool
}

func newMapKeys() *mapKeys {
	return &mapKeys{exact: map[string]bool{}, head: map[string]bool{}, tail: map[string]bool{}}
}

// add records a key; wildcard is set once "hostnames" was read (nginx's
// NGX_HASH_WILDCARD_KEY). Keys compare lower-cased. ".example.com" takes
// both "example.com" (exact) and the wildcard "example.com", so it
// conflicts with either; "*.example.com" takes the wildcard only. As in
// ngx_hash_add_key, ".example.com" claims the exact name before its
// wildcard is checked, so when only the wildcard conflicts the exact name
// stays claimed: server_name, where a conflict is a [warn] and reading
// goes on, shows it ("*.a", ".a", "a" warns for ".a" and for "a").
func (k *mapKeys) add(key string, wildcard bool) (valid, conflict bool) {
	low := lowerString(key)
	if wildcard {
		stars := strings.Count(low, "*")
		if stars > 1 || strings.Contains(low, "..") || strings.IndexByte(low, 0) >= 0 {
			return false, false
		}
		switch {
		case len(low) > 1 && low[0] == '.':
			name := low[1:]
			if k.exact[name] {
				return true, true
			}
			k.exact[name] = true
			if k.head[name] {
				return true, true
			}
			k.head[name] = true
			return true, false
		case len(low) > 2 && low[0] == '*' && low[1] == '.':
			name := low[2:]
			if k.head[name] {
				return true, true
			}
			k.head[name] = true
			return true, false
		case len(low) > 2 && strings.HasSuffix(low, ".*"):
			name := low[:len(low)-2]
			if k.tail[name] {
				return true, true
			}
			k.tail[name] = true
			return true, false
		case stars > 0:
			return false, false
		}
	}
	if k.exact[low] {
		return true, true
	}
	k.exact[low] = true
	return true, false
}
