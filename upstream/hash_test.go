package upstream

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// ringConfig is the known configuration the ring tests pin: an address
// with a port, a weight, a name with two addresses (whose points it
// adds twice, which nginx then drops as duplicates), and a unix socket.
func ringConfig() *directives.Upstream {
	u := ups(directives.BalanceHash,
		"10.0.0.1:80",
		"10.0.0.2:8080 weight=2",
		"backend.local=10.0.0.3:80,10.0.0.4:80",
		"unix:/tmp/a.sock",
	)
	u.HashConsistent = true
	u.HashKey = &directives.Complex{Raw: "$arg_k"}
	return u
}

// TestRingPinned pins points of the known configuration, computed apart
// (Python's zlib.crc32 over host ‖ 0 ‖ port ‖ little-endian prev).
func TestRingPinned(t *testing.T) {
	pts := NewGroup(ringConfig(), Options{}).RingPoints()
	if len(pts) != 800 {
		t.Fatalf("%d points, want 800 (160 per weight, duplicates dropped)", len(pts))
	}
	want := map[int]Point{
		0:   {3751338, "10.0.0.1:80"},
		1:   {9636920, "unix:/tmp/a.sock"},
		2:   {10773370, "10.0.0.2:8080"},
		3:   {14235531, "unix:/tmp/a.sock"},
		798: {4294447434, "10.0.0.1:80"},
		799: {4294894214, "unix:/tmp/a.sock"},
	}
	for i, w := range want {
		if pts[i] != w {
			t.Errorf("point %d: %+v, want %+v", i, pts[i], w)
		}
	}
}

// refRing computes a ring from the algorithm's description with the
// bitwise CRC: it is what the package's ring must equal point for point.
func refRing(servers []struct {
	name   string
	weight int
}) []Point {
	var pts []Point
	for _, s := range servers {
		host, port := s.name, ""
		if strings.HasPrefix(strings.ToLower(s.name), "unix:") {
			host = s.name[5:]
		} else if i := strings.LastIndexByte(s.name, ':'); i >= 0 {
			if _, err := strconv.Atoi(s.name[i+1:]); err == nil || i == len(s.name)-1 {
				host, port = s.name[:i], s.name[i+1:]
			}
		}
		var prev uint32
		for j := 0; j < 160*s.weight; j++ {
			var le [4]byte
			binary.LittleEndian.PutUint32(le[:], prev)
			h := refCRC32([]byte(host), []byte{0}, []byte(port), le[:])
			pts = append(pts, Point{h, s.name})
			prev = h
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].Hash < pts[j].Hash })
	out := pts[:0]
	for i, p := range pts {
		if i == 0 || p.Hash != pts[i-1].Hash {
			out = append(out, p)
		}
	}
	return out
}

func TestRingMatchesModel(t *testing.T) {
	servers := []struct {
		name   string
		weight int
	}{{"10.0.0.1:80", 1}, {"10.0.0.2:8080", 2}, {"backend.local", 1}, {"unix:/tmp/a.sock", 1}}
	want := refRing(servers)
	got := NewGroup(ringConfig(), Options{}).RingPoints()
	if len(got) != len(want) {
		t.Fatalf("%d points, model %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("point %d: %+v, model %+v", i, got[i], want[i])
		}
	}
}

func TestRingBaseSplit(t *testing.T) {
	for _, c := range []struct{ server, host, port string }{
		{"10.0.0.1:80", "10.0.0.1", "80"},
		{"example.com", "example.com", ""},
		{"UNIX:/run/x.sock", "/run/x.sock", ""},
		{"[::1]:8080", "[::1]", "8080"},
		{"host:", "host", ""},
		{"a:b", "a:b", ""},
	} {
		want := refCRC32([]byte(c.host), []byte{0}, []byte(c.port))
		if got := ringBase(c.server); got != want {
			t.Errorf("%s: base %08x, want crc(%q‖0‖%q) = %08x", c.server, got, c.host, c.port, want)
		}
	}
}

// refChash is the model of a consistent-hash pick for a key, servers
// being eligible or not as a whole.
func refChash(pts []Point, key string, eligible func(string) bool) string {
	k := refCRC32([]byte(key))
	i := len(pts)
	for j, p := range pts {
		if p.Hash >= k {
			i = j
			break
		}
	}
	for n := 0; n <= 20; n++ {
		if s := pts[(i+n)%len(pts)].Server; eligible(s) {
			return s
		}
	}
	return ""
}

func TestConsistentHashPick(t *testing.T) {
	u := ups(directives.BalanceHash, "a.local:80", "b.local:80 weight=2", "c.local:80", "d.local:80 down")
	u.HashConsistent = true
	g := NewGroup(u, Options{})
	pts := g.RingPoints()
	counts := map[string]int{}
	for i := 0; i < 3000; i++ {
		key := "user-" + strconv.Itoa(i)
		want := refChash(pts, key, func(s string) bool { return s != "d.local:80" })
		got := pickOne(t, g, Start{Key: []byte(key)}, Done)
		if got != want {
			t.Fatalf("key %q: %s, model %s", key, got, want)
		}
		counts[got]++
	}
	if counts["b.local:80"] < counts["a.local:80"] || counts["d.local:80"] != 0 {
		t.Fatalf("distribution %v", counts)
	}
}

// TestConsistentHashRetry: a retry starts from the same point with the
// tried peer excluded, so a name's other address comes first, then the
// next point's server.
func TestConsistentHashRetry(t *testing.T) {
	u := ups(directives.BalanceHash, "multi.local=10.0.0.1:80,10.0.0.2:80", "single.local:80")
	u.HashConsistent = true
	g := NewGroup(u, Options{})
	pts := g.RingPoints()
	// A key landing on multi.local.
	var key string
	for i := 0; ; i++ {
		key = "k" + strconv.Itoa(i)
		if refChash(pts, key, func(string) bool { return true }) == "multi.local" {
			break
		}
	}
	var a Attempt
	a.Start(g, Start{Key: []byte(key), Next: directives.NextError})
	if a.TriesLeft() != 3 {
		t.Fatalf("tries %d, want 3", a.TriesLeft())
	}
	var got []string
	for {
		p, err := a.Pick()
		if err != nil {
			got = append(got, "none")
			break
		}
		got = append(got, p.Name)
		if retry, _, _ := a.Fail(FailError); !retry {
			break
		}
	}
	// The two addresses share the server's points: smooth weighted round
	// robin between them picks the first, then the second; single.local
	// comes last.
	if s := strings.Join(got, " "); s != "10.0.0.1:80 10.0.0.2:80 single.local:80" {
		t.Fatalf("tries: %s", s)
	}
}

// refHash is the model of hash KEY (not consistent) without failures:
// the first round's sum modulo the total weight, walked by weight.
func refHash(weights []int, key string) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	h := (refCRC32([]byte(key)) >> 16) & 0x7fff
	w := int(h) % total
	for i, x := range weights {
		if w < x {
			return i
		}
		w -= x
	}
	return -1
}

func TestHashPick(t *testing.T) {
	weights := []int{1, 3, 2, 1}
	var specs []string
	for i, w := range weights {
		specs = append(specs, fmt.Sprintf("10.0.0.%d:80 weight=%d", i+1, w))
	}
	g := NewGroup(ups(directives.BalanceHash, specs...), Options{})
	peers := g.Peers()
	for i := 0; i < 2000; i++ {
		key := "/path/" + strconv.Itoa(i)
		want := peers[refHash(weights, key)].Name
		if got := pickOne(t, g, Start{Key: []byte(key)}, Done); got != want {
			t.Fatalf("key %q: %s, model %s", key, got, want)
		}
	}
}

// TestHashRehash: a down peer sends its keys on through the rehash rounds
// ("1KEY", "2KEY", …) with the sum carried over.
func TestHashRehash(t *testing.T) {
	g := NewGroup(ups(directives.BalanceHash, "10.0.0.1:80", "10.0.0.2:80 down", "10.0.0.3:80"), Options{})
	for i := 0; i < 500; i++ {
		key := "k" + strconv.Itoa(i)
		sum := uint32(0)
		want := ""
		for r := 0; r <= 20 && want == ""; r++ {
			prefix := ""
			if r > 0 {
				prefix = strconv.Itoa(r)
			}
			sum += (refCRC32([]byte(prefix+key)) >> 16) & 0x7fff
			if w := sum % 3; w != 1 {
				want = fmt.Sprintf("10.0.0.%d:80", w+1)
			}
		}
		if got := pickOne(t, g, Start{Key: []byte(key)}, Done); got != want {
			t.Fatalf("key %q: %s, model %s", key, got, want)
		}
	}
}

// TestHashEmptyKey: an empty key is balanced by round robin.
func TestHashEmptyKey(t *testing.T) {
	for _, consistent := range []bool{false, true} {
		u := ups(directives.BalanceHash, "a:1", "b:1")
		u.HashConsistent = consistent
		g := NewGroup(u, Options{})
		got := pickOne(t, g, Start{}, Done) + " " + pickOne(t, g, Start{}, Done) + " " + pickOne(t, g, Start{}, Done)
		if got != "a:1 b:1 a:1" {
			t.Errorf("consistent=%v, empty key: %s, want round robin", consistent, got)
		}
	}
}

// TestHashAllFailedFallsBack: after 20 wasted rounds round robin picks,
// and with nothing usable there, no live upstreams.
func TestHashAllFailedFallsBack(t *testing.T) {
	for _, consistent := range []bool{false, true} {
		u := ups(directives.BalanceHash, "a:1 down", "b:1 down")
		u.HashConsistent = consistent
		g := NewGroup(u, Options{})
		var a Attempt
		a.Start(g, Start{Key: []byte("x")})
		if _, err := a.Pick(); err != ErrNoLive {
			t.Errorf("consistent=%v: %v, want ErrNoLive", consistent, err)
		}
		if a.hashTries != 21 {
			t.Errorf("consistent=%v: %d rounds, want 21", consistent, a.hashTries)
		}
	}
}

// TestRingFind compares the bucketed search with a plain scan.
func TestRingFind(t *testing.T) {
	g := NewGroup(ringConfig(), Options{})
	r := &g.ring
	scan := func(h uint32) uint32 {
		for i, x := range r.hashes {
			if x >= h {
				return uint32(i)
			}
		}
		return uint32(len(r.hashes))
	}
	probe := []uint32{0, 1, r.hashes[0], r.hashes[0] + 1, r.hashes[len(r.hashes)-1], r.hashes[len(r.hashes)-1] + 1, ^uint32(0), 1 << 20, 1<<20 - 1}
	for i := uint32(0); i < 200000; i++ {
		probe = append(probe, i*21467+i*i*7919)
	}
	for _, h := range probe {
		if got, want := r.find(h), scan(h); got != want {
			t.Fatalf("find(%d) = %d, scan %d", h, got, want)
		}
	}
}
