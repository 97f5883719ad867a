package proxy

import (
	"strconv"

	"github.com/nginxws/nginxws/directives"
)

// inherit hands the state of prev's peer groups (the configuration being
// replaced) to gs, group by group: an upstream block by its name, an
// implicit group by its host and port. Each group keeps only what stayed
// the same — upstream.Group.Inherit matches peers by address and
// parameters — so failures, weights and the connections of requests and
// tunnels still running on the old configuration count in the new one.
func (gs upstreamGroups) inherit(prev upstreamGroups) {
	if len(gs) == 0 || len(prev) == 0 {
		return
	}
	byKey := make(map[string]*directives.Upstream, len(prev))
	for u := range prev {
		byKey[groupKey(u)] = u
	}
	for u, g := range gs {
		if ou, ok := byKey[groupKey(u)]; ok {
			g.Inherit(prev[ou])
		}
	}
}

// groupKey names a group across configurations.
func groupKey(u *directives.Upstream) string {
	if u.Implicit {
		return "implicit " + u.Name + ":" + strconv.Itoa(u.Port)
	}
	return "upstream " + u.Name
}
