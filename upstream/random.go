package upstream

// peekRandom is ngx_http_upstream_peek_random_peer: a random point of the
// total weight, and the peer whose range holds it.
func (a *Attempt) peekRandom() *Peer {
	g := a.g
	set := a.set
	x := int(g.rand() % uint64(set.totalWeight))
	i, j := 0, len(g.ranges)
	for j-i > 1 {
		k := (i + j) / 2
		if x < g.ranges[k] {
			j = k
		} else {
			i = k
		}
	}
	return set.peers[i]
}

// random is ngx_http_upstream_get_random_peer: random peers by weight
// until one is neither tried, down, failed nor full; after 20 misses, or
// with a lone peer, round robin decides. The caller holds the group's
// mutex.
func (a *Attempt) random() *Peer {
	if a.hashTries > maxHashTries || a.set.single {
		return a.roundRobin()
	}
	for {
		p := a.peekRandom()
		if !a.isTried(p.index) && p.usable(a) {
			a.take(p)
			return p
		}
		a.hashTries++
		if a.hashTries > maxHashTries {
			return a.roundRobin()
		}
	}
}

// random2 is ngx_http_upstream_get_random2_peer (random two, with or
// without least_conn, which is the only comparison nginx 1.22 makes): two
// distinct usable random peers, of which the one with fewer active
// connections relative to its weight wins (the second drawn on a tie). Misses
// count as in random.
func (a *Attempt) random2() *Peer {
	if a.hashTries > maxHashTries || a.set.single {
		return a.roundRobin()
	}
	var prev *Peer
	for {
		p := a.peekRandom()
		if p != prev && !a.isTried(p.index) && p.usable(a) {
			if prev != nil {
				if p.conns*prev.Weight > prev.conns*p.Weight {
					p = prev
				}
				a.take(p)
				return p
			}
			prev = p
		}
		a.hashTries++
		if a.hashTries > maxHashTries {
			return a.roundRobin()
		}
	}
}
