package upstream

// roundRobin is ngx_http_upstream_get_round_robin_peer: the lone peer of
// a single set, or smooth weighted round robin over the peers neither
// tried, down, failed nor full; when none is left, the backup set (with
// the tried bits cleared) if there is one. The caller holds the group's
// mutex.
func (a *Attempt) roundRobin() *Peer {
	set := a.set
	var p *Peer
	if set.single {
		p = set.peers[0]
		if p.Down || p.full() {
			p = nil
		}
	} else {
		p = a.smoothWeighted()
	}
	if p == nil {
		if set.backup == nil {
			return nil
		}
		a.set = set.backup
		clear(a.tried)
		return a.roundRobin()
	}
	a.current = p
	p.conns++
	return p
}

// smoothWeighted is ngx_http_upstream_get_peer: every eligible peer's
// current weight grows by its effective weight (which recovers by one
// toward the configured weight after a failure lowered it), the largest
// wins and pays the total back.
func (a *Attempt) smoothWeighted() *Peer {
	var best *Peer
	total := 0
	arr := a.set.arr
	for i := range arr {
		p := &arr[i]
		if a.isTried(i) || !p.usable(a) {
			continue
		}
		p.currentWeight += p.effectiveWeight
		total += p.effectiveWeight
		if p.effectiveWeight < p.Weight {
			p.effectiveWeight++
		}
		if best == nil || p.currentWeight > best.currentWeight {
			best = p
		}
	}
	if best == nil {
		return nil
	}
	a.setTried(best.index)
	best.currentWeight -= total
	best.touch(a)
	return best
}
