package upstream

import (
	"hash/crc32"
	"slices"
	"strconv"

	"github.com/nginxws/nginxws/directives"
)

// maxHashTries is how many times the hashing methods look for a usable
// peer before falling back to round robin (nginx's "tries > 20").
const maxHashTries = 20

// crc32IEEE is nginx's ngx_crc32_long.
func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// hashPick is ngx_http_upstream_get_hash_peer (hash KEY): each round adds
// ((crc32([round] KEY) >> 16) & 0x7fff) to a running sum, which modulo
// the total weight lands on a peer by weight; a peer tried, down, failed
// or full costs a round. The sum and the round carry over to the
// request's next try. After 20 wasted rounds, a lone peer, or an empty
// key, round robin decides. The caller holds the group's mutex.
func (a *Attempt) hashPick() *Peer {
	set := a.set
	if a.hashTries > maxHashTries || set.single || len(a.key) == 0 {
		return a.roundRobin()
	}
	for {
		var c uint32
		if a.rehash > 0 {
			c = crc32.Update(crc32IEEE(strconv.AppendUint(a.digits[:0], uint64(a.rehash), 10)), crc32.IEEETable, a.key)
		} else {
			c = crc32IEEE(a.key)
		}
		a.hash += (c >> 16) & 0x7fff
		a.rehash++
		p := set.byWeight(int(a.hash % uint32(set.totalWeight)))
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

// byWeight walks the peers in order, subtracting weights until w falls
// within one.
func (s *peerSet) byWeight(w int) *Peer {
	for _, p := range s.peers {
		if w < p.Weight {
			return p
		}
		w -= p.Weight
	}
	return s.peers[len(s.peers)-1] // unreachable: w < totalWeight
}

// take makes p the request's current peer (the hashing and random
// methods' common ending).
func (a *Attempt) take(p *Peer) {
	a.current = p
	p.conns++
	p.touch(a)
	a.setTried(p.index)
}

// ring is the continuum of hash … consistent: nginx's
// ngx_http_upstream_chash_points_t, kept as two parallel slices for a
// cache-friendly search.
type ring struct {
	hashes []uint32
	// server is each point's server, an index into servers.
	server []int32
	// servers are the distinct server names' peers, in configuration
	// order.
	servers []ringServer
	// lut[b] is the index of the first point whose hash's top ringBits
	// bits are at least b: a search starts within one bucket.
	lut []uint32
}

// ringBits is the size of the ring's lookup table: 2^12 buckets.
const ringBits = 12

// ringServer is one server name on the ring and the peers it resolved
// to (or the peers of several server lines with the same name).
type ringServer struct {
	name  string
	peers []*Peer
}

// Point is one point of a consistent-hash ring.
type Point struct {
	Hash   uint32
	Server string
}

// RingPoints returns the ring of a consistent-hash group in order (nil for
// the other methods), for tests and diagnostics.
func (g *Group) RingPoints() []Point {
	r := &g.ring
	out := make([]Point, len(r.hashes))
	for i, h := range r.hashes {
		out[i] = Point{Hash: h, Server: r.servers[r.server[i]].name}
	}
	return out
}

// ringBase splits a server name as ngx_http_upstream_init_chash does and
// returns crc32(host ‖ 0 ‖ port) unfinished: "unix:PATH" is host PATH
// with no port; otherwise trailing digits after the last ':' are the port;
// anything else is all host.
func ringBase(server string) uint32 {
	host, port := server, ""
	if len(server) >= 5 && directives.EqualFoldASCII(server[:5], "unix:") {
		host = server[5:]
	} else {
		for j := len(server) - 1; j >= 0; j-- {
			c := server[j]
			if c == ':' {
				host, port = server[:j], server[j+1:]
				break
			}
			if c < '0' || c > '9' {
				break
			}
		}
	}
	h := crc32.Update(0, crc32.IEEETable, []byte(host))
	h = crc32.Update(h, crc32.IEEETable, []byte{0})
	return crc32.Update(h, crc32.IEEETable, []byte(port))
}

// buildRing is ngx_http_upstream_init_chash: every peer adds weight×160
// points for its server name, point j being crc32(host ‖ 0 ‖ port ‖
// prev) with prev the previous point's hash as four little-endian bytes
// (0 at first); the points are sorted (stably, as glibc's merge-sort
// qsort does) and, of equal hashes, the first is kept.
func buildRing(peers []*Peer) ring {
	type point struct {
		hash   uint32
		server int32
	}
	var r ring
	index := map[string]int32{}
	var pts []point
	for _, p := range peers {
		si, ok := index[p.Server]
		if !ok {
			si = int32(len(r.servers))
			index[p.Server] = si
			r.servers = append(r.servers, ringServer{name: p.Server})
		}
		r.servers[si].peers = append(r.servers[si].peers, p)
		base := ringBase(p.Server)
		var prev [4]byte
		for j := 0; j < p.Weight*160; j++ {
			h := crc32.Update(base, crc32.IEEETable, prev[:])
			pts = append(pts, point{h, si})
			prev = [4]byte{byte(h), byte(h >> 8), byte(h >> 16), byte(h >> 24)}
		}
	}
	slices.SortStableFunc(pts, func(x, y point) int {
		switch {
		case x.hash < y.hash:
			return -1
		case x.hash > y.hash:
			return 1
		}
		return 0
	})
	for i, pt := range pts {
		if i > 0 && pt.hash == pts[i-1].hash {
			continue
		}
		r.hashes = append(r.hashes, pt.hash)
		r.server = append(r.server, pt.server)
	}
	r.lut = make([]uint32, 1<<ringBits+1)
	i := 0
	for b := range r.lut {
		for i < len(r.hashes) && uint64(r.hashes[i]) < uint64(b)<<(32-ringBits) {
			i++
		}
		r.lut[b] = uint32(i)
	}
	return r
}

// find is ngx_http_upstream_find_chash_point: the index of the first
// point whose hash is at least h (len when none is).
func (r *ring) find(h uint32) uint32 {
	if len(r.hashes) == 0 {
		return 0
	}
	b := h >> (32 - ringBits)
	i, j := int(r.lut[b]), int(r.lut[b+1])
	for i < j {
		k := int(uint(i+j) >> 1)
		if r.hashes[k] < h {
			i = k + 1
		} else {
			j = k
		}
	}
	return uint32(i)
}

// chash is ngx_http_upstream_get_chash_peer: from the request's ring
// position, the server of each point in turn offers its peers not tried,
// down, failed or full, among which smooth weighted round robin chooses;
// a server with none moves the position on by one. The position carries
// over to the request's next try. After 20 moves, a lone peer or an empty
// key, round robin decides. The caller holds the group's mutex.
func (a *Attempt) chash() *Peer {
	set := a.set
	r := &a.g.ring
	if a.hashTries > maxHashTries || set.single || len(a.key) == 0 || len(r.hashes) == 0 {
		return a.roundRobin()
	}
	for {
		srv := &r.servers[r.server[a.hash%uint32(len(r.hashes))]]
		var best *Peer
		total := 0
		for _, p := range srv.peers {
			if a.isTried(p.index) || !p.usable(a) {
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
		if best != nil {
			best.currentWeight -= total
			a.take(best)
			return best
		}
		a.hash++
		a.hashTries++
		if a.hashTries > maxHashTries {
			return a.roundRobin()
		}
	}
}
