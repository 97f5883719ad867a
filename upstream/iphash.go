package upstream

// ipHash is ngx_http_upstream_get_ip_hash_peer: starting from 89 (or
// where the request's previous try stopped), each round folds the
// client's address bytes into h = (h×113 + b) mod 6271, and h modulo the
// total weight lands on a peer by weight; a peer tried, down, failed or
// full costs a round. After 20 wasted rounds, or with a lone peer, round
// robin decides. The caller holds the group's mutex.
func (a *Attempt) ipHash() *Peer {
	set := a.set
	if a.hashTries > maxHashTries || set.single {
		return a.roundRobin()
	}
	h := a.iphash
	for {
		for _, b := range a.ip[:a.ipLen] {
			h = (h*113 + uint32(b)) % 6271
		}
		p := set.byWeight(int(h % uint32(set.totalWeight)))
		if !a.isTried(p.index) && p.usable(a) {
			a.take(p)
			a.iphash = h
			return p
		}
		a.hashTries++
		if a.hashTries > maxHashTries {
			return a.roundRobin()
		}
	}
}
