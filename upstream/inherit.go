package upstream

// peerKey is what makes two peers the same across a reload: the address
// and every parameter of its server line.
type peerKey struct {
	name, server     string
	weight, maxFails int
	failTimeout      int64
	maxConns         int
	down, backup     bool
}

func keyOf(p *Peer) peerKey {
	return peerKey{p.Name, p.Server, p.Weight, p.MaxFails, p.FailTimeout, p.MaxConns, p.Down, p.Backup}
}

// Inherit carries the run-time state of old's peers over to the same
// peers of g — same address, same parameters — when g replaces old on a
// reload: failures and their timestamps, the smooth round robin's
// weights, and the active connections (requests in flight, WebSocket
// tunnels). From then on old's peers forward to g's: a connection old
// counted ends on g's count, and its failure counts there, so that
// least_conn and max_conns see every connection whichever configuration
// it started under. A peer that is new or changed starts afresh.
//
// Call it once, before g is used and only for the g that is put in
// service. Peers listed twice are matched in order.
func (g *Group) Inherit(old *Group) {
	if old == nil || old == g {
		return
	}
	// Lock order: older group first, as Pick and Release forward.
	old.mu.Lock()
	defer old.mu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	byKey := map[peerKey][]*Peer{}
	for _, p := range old.Peers() {
		if p.next == nil {
			byKey[keyOf(p)] = append(byKey[keyOf(p)], p)
		}
	}
	for _, p := range g.Peers() {
		k := keyOf(p)
		olds := byKey[k]
		if len(olds) == 0 {
			continue
		}
		op := olds[0]
		byKey[k] = olds[1:]
		p.currentWeight, p.effectiveWeight = op.currentWeight, op.effectiveWeight
		p.conns, p.fails = op.conns, op.fails
		p.checked, p.accessed = op.checked, op.accessed
		op.next, op.nextGroup = p, g
	}
}

// newest follows p's successors to its newest incarnation. It is called
// with g.mu held (g is p's group) and returns with the newest group's
// mutex held and the others released, taking each next lock before
// dropping the previous one so that a concurrent Inherit cannot slip in
// between.
func (g *Group) newest(p *Peer) (*Group, *Peer) {
	for p.next != nil {
		ng, np := p.nextGroup, p.next
		ng.mu.Lock()
		g.mu.Unlock()
		g, p = ng, np
	}
	return g, p
}
