package directives

import "strings"

// mapEval is a map block compiled for lookups, as ngx_http_map_block
// builds it: a hash of exact keys, the "hostnames" wildcards, the regexes
// in config order, and the default.
type mapEval struct {
	m *Map
	// exact holds the exact keys, lower-cased (nginx compares the source
	// value lower-cased).
	exact map[string]*Complex
	// headSelf holds ".example.com" keyed "example.com": the name itself.
	// headSub holds "*.example.com" and ".example.com" keyed
	// "example.com": names under it.
	headSelf, headSub map[string]*Complex
	// tail holds "www.example.*" keyed "www.example".
	tail  map[string]*Complex
	regex []*MapEntry
}

// compileMap builds the lookup structure of a map. Duplicates were
// refused when the map was read, so every key lands once.
func compileMap(m *Map) *mapEval {
	me := &mapEval{m: m, exact: map[string]*Complex{}}
	for _, e := range m.Entries {
		if e.Regex != nil {
			me.regex = append(me.regex, e)
			continue
		}
		k := strings.ToLower(e.Key)
		if !e.hostKey {
			me.exact[k] = e.Value
			continue
		}
		switch {
		case len(k) > 1 && k[0] == '.':
			if me.headSelf == nil {
				me.headSelf, me.headSub = map[string]*Complex{}, map[string]*Complex{}
			}
			me.headSelf[k[1:]] = e.Value
			me.headSub[k[1:]] = e.Value
		case len(k) > 2 && k[0] == '*' && k[1] == '.':
			if me.headSelf == nil {
				me.headSelf, me.headSub = map[string]*Complex{}, map[string]*Complex{}
			}
			me.headSub[k[2:]] = e.Value
		case len(k) > 2 && k[len(k)-2] == '.' && k[len(k)-1] == '*':
			if me.tail == nil {
				me.tail = map[string]*Complex{}
			}
			me.tail[k[:len(k)-2]] = e.Value
		default:
			me.exact[k] = e.Value
		}
	}
	return me
}

// getMap is ngx_http_map_variable: the source value (without a final "."
// for a hostnames map) picks an entry, whose value (which may hold
// variables and captures) is the variable's; the default otherwise.
func getMap(s *State, d *varDef) ([]byte, bool) {
	me := d.m
	src := s.Value(me.m.Source)
	if me.m.Hostnames && len(src) > 0 && src[len(src)-1] == '.' {
		src = src[:len(src)-1]
	}
	c := me.find(s, src)
	if c == nil {
		c = me.m.Default
	}
	if c == nil {
		return []byte{}, true
	}
	v := s.Value(c)
	if v == nil {
		v = []byte{}
	}
	return v, true
}

// find is ngx_http_map_find: exact keys (compared lower-cased), then
// leading wildcards (the longest suffix wins), trailing wildcards (the
// longest prefix wins), then the regexes in order on the value as is (not
// for an empty value). A regex that matches sets the captures.
func (me *mapEval) find(s *State, src []byte) *Complex {
	// Short values (host names, header values) are lower-cased on the
	// stack; long ones in the State's buffer.
	var small [64]byte
	var low []byte
	if len(src) <= len(small) {
		low = appendLower(small[:0], src)
	} else {
		s.lower = appendLower(s.lower[:0], src)
		low = s.lower
	}
	if c, ok := me.exact[string(low)]; ok {
		return c
	}
	if len(low) == 0 {
		return nil
	}
	if me.headSub != nil {
		if c, ok := me.headSelf[string(low)]; ok {
			return c
		}
		for i, ch := range low {
			if ch == '.' {
				if c, ok := me.headSub[string(low[i+1:])]; ok {
					return c
				}
			}
		}
	}
	if me.tail != nil {
		for i := len(low) - 1; i > 0; i-- {
			if low[i] == '.' {
				if c, ok := me.tail[string(low[:i])]; ok {
					return c
				}
			}
		}
	}
	for _, e := range me.regex {
		ok, err := s.Match(e.Regex, src)
		if err != nil {
			// ngx_http_map_find gives up: the default applies.
			return nil
		}
		if ok {
			return e.Value
		}
	}
	return nil
}

// appendLower appends src lower-cased (ASCII) to dst.
func appendLower(dst, src []byte) []byte {
	for _, c := range src {
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		dst = append(dst, c)
	}
	return dst
}
