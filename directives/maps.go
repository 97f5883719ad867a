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

// setMap reproduces ngx_http_map_block and ngx_http_map (one call per
// entry, in order).
func (l *loader) setMap(d *parser.Directive, _ *scope) error {
	src, err := l.compileComplex(d, d.Args[0].Value)
	if err != nil {
		return err
	}
	name := d.Args[1].Value
	if !strings.HasPrefix(name, "$") {
		return l.errf(d, `invalid variable name "%s"`, name)
	}
	if err := l.addVariable(d, name[1:]); err != nil {
		return err
	}
	m := &Map{Source: src, Var: strings.ToLower(name[1:]), Pos: d.Pos}
	l.http.h.Maps = append(l.http.h.Maps, m)
	keys := map[string]bool{}
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
		k, ok := mapKey(key, m.Hostnames)
		if !ok {
			return l.errf(e, `invalid hostname or wildcard "%s"`, key)
		}
		if keys[k] {
			return l.errf(e, `conflicting parameter "%s"`, strings.ToLower(key))
		}
		keys[k] = true
		m.Entries = append(m.Entries, entry)
	}
	return nil
}

// mapKey is the key ngx_hash_add_key stores for a map entry (lower-cased;
// for hostnames, ".example.com" also covers "*.example.com"), used to find
// nginx's "conflicting parameter" duplicates.
func mapKey(key string, hostnames bool) (string, bool) {
	k := strings.ToLower(key)
	if !hostnames {
		return k, true
	}
	switch {
	case strings.HasPrefix(k, "*."):
		if len(k) == 2 || strings.ContainsAny(k[2:], "*") {
			return "", false
		}
		return "." + k[2:], true
	case strings.HasSuffix(k, ".*"):
		if len(k) == 2 || strings.ContainsAny(k[:len(k)-2], "*") {
			return "", false
		}
		return k, true
	case strings.Contains(k, "*"):
		return "", false
	}
	return k, true
}
