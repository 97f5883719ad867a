package directives

// hostTable is the lookup side of nginx's ngx_hash_combined_t for keys
// added with NGX_HASH_WILDCARD_KEY (map's "hostnames" keys,
// valid_referers' names): exact names, then leading wildcards (the
// longest suffix wins), then trailing wildcards (the longest prefix
// wins). Keys are lower-cased; duplicates were refused when read
// (mapKeys), so each lands once.
type hostTable[V any] struct {
	exact map[string]V
	// headSelf holds ".example.com" keyed "example.com": the name itself.
	// headSub holds "*.example.com" and ".example.com" keyed
	// "example.com": names under it.
	headSelf, headSub map[string]V
	// tail holds "www.example.*" keyed "www.example".
	tail map[string]V
}

// add records a lower-cased key; wildcard tells a key that may be one
// of the wildcard forms from one that is exact whatever it holds.
func (t *hostTable[V]) add(k string, v V, wildcard bool) {
	if t.exact == nil {
		t.exact = map[string]V{}
	}
	if !wildcard {
		t.exact[k] = v
		return
	}
	switch {
	case len(k) > 1 && k[0] == '.':
		t.heads()
		t.headSelf[k[1:]] = v
		t.headSub[k[1:]] = v
	case len(k) > 2 && k[0] == '*' && k[1] == '.':
		t.heads()
		t.headSub[k[2:]] = v
	case len(k) > 2 && k[len(k)-2] == '.' && k[len(k)-1] == '*':
		if t.tail == nil {
			t.tail = map[string]V{}
		}
		t.tail[k[:len(k)-2]] = v
	default:
		t.exact[k] = v
	}
}

func (t *hostTable[V]) heads() {
	if t.headSelf == nil {
		t.headSelf, t.headSub = map[string]V{}, map[string]V{}
	}
}

// empty reports whether no key was added.
func (t *hostTable[V]) empty() bool {
	return len(t.exact) == 0 && t.headSub == nil && t.tail == nil
}

// find is ngx_hash_find_combined on a lower-cased name.
func (t *hostTable[V]) find(low []byte) (V, bool) {
	if v, ok := t.exact[string(low)]; ok {
		return v, true
	}
	var none V
	if len(low) == 0 {
		return none, false
	}
	if t.headSub != nil {
		if v, ok := t.headSelf[string(low)]; ok {
			return v, true
		}
		for i, ch := range low {
			if ch == '.' {
				if v, ok := t.headSub[string(low[i+1:])]; ok {
					return v, true
				}
			}
		}
	}
	if t.tail != nil {
		for i := len(low) - 1; i > 0; i-- {
			if low[i] == '.' {
				if v, ok := t.tail[string(low[:i])]; ok {
					return v, true
				}
			}
		}
	}
	return none, false
}
