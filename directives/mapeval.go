package directives

// mapEval is a map block compiled for lookups, as ngx_http_map_block
// builds it: a hash of exact keys, the "hostnames" wildcards, the regexes
// in config order, and the default.
type mapEval struct {
	m *Map
	// hosts holds the keys that are not regexes, lower-cased (nginx
	// compares the source value lower-cased), wildcards for a hostnames
	// map.
	hosts hostTable[*Complex]
	regex []*MapEntry
}

// compileMap builds the lookup structure of a map.
func compileMap(m *Map) *mapEval {
	me := &mapEval{m: m}
	for _, e := range m.Entries {
		if e.Regex != nil {
			me.regex = append(me.regex, e)
			continue
		}
		me.hosts.add(lowerString(e.Key), e.Value, e.hostKey)
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
	if c, ok := me.hosts.find(low); ok {
		return c
	}
	if len(low) == 0 {
		return nil
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
