package upstream

// leastConn is ngx_http_upstream_get_least_conn_peer: the eligible peer
// with the fewest active connections relative to its weight (requests in
// flight and tunnels alike); among several with the same ratio, smooth
// weighted round robin from the first of them on. With none left, the
// backup set (tried bits cleared). A lone peer goes through round robin.
// The caller holds the group's mutex.
func (a *Attempt) leastConn() *Peer {
	set := a.set
	if set.single {
		return a.roundRobin()
	}
	var best *Peer
	many := false
	arr := set.arr
	for i := range arr {
		p := &arr[i]
		if a.isTried(i) || !p.usable(a) {
			continue
		}
		switch {
		case best == nil || p.conns*best.Weight < best.conns*p.Weight:
			best, many = p, false
		case p.conns*best.Weight == best.conns*p.Weight:
			many = true
		}
	}
	if best == nil {
		if set.backup == nil {
			return nil
		}
		a.set = set.backup
		clear(a.tried)
		return a.leastConn()
	}
	total := 0
	if many {
		first := best
		for i := first.index; i < len(arr); i++ {
			p := &arr[i]
			if a.isTried(i) || p.Down || p.conns*first.Weight != first.conns*p.Weight ||
				p.failed(a) || p.full() {
				continue
			}
			p.currentWeight += p.effectiveWeight
			total += p.effectiveWeight
			if p.effectiveWeight < p.Weight {
				p.effectiveWeight++
			}
			if p.currentWeight > best.currentWeight {
				best = p
			}
		}
	}
	best.currentWeight -= total
	best.touch(a)
	best.conns++
	a.current = best
	a.setTried(best.index)
	return best
}
