package upstream

import (
	"fmt"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// benchGroup is a group of 100 peers with mixed weights.
func benchGroup(m directives.Balancer, consistent, two bool) *Group {
	var specs []string
	for i := 0; i < 100; i++ {
		specs = append(specs, fmt.Sprintf("10.0.%d.%d:8080 weight=%d", i/250, i%250+1, i%3+1))
	}
	u := ups(m, specs...)
	u.HashConsistent = consistent
	u.RandomTwo = two
	return NewGroup(u, Options{})
}

var benchMethods = []struct {
	name       string
	m          directives.Balancer
	consistent bool
	two        bool
}{
	{"roundrobin", directives.BalanceRoundRobin, false, false},
	{"hash", directives.BalanceHash, false, false},
	{"hash_consistent", directives.BalanceHash, true, false},
	{"ip_hash", directives.BalanceIPHash, false, false},
	{"least_conn", directives.BalanceLeastConn, false, false},
	{"random", directives.BalanceRandom, false, false},
	{"random_two", directives.BalanceRandom, false, true},
}

func benchKeys() ([][]byte, []netip.Addr) {
	keys := make([][]byte, 1024)
	addrs := make([]netip.Addr, 1024)
	for i := range keys {
		keys[i] = []byte("/api/users/" + strconv.Itoa(i*7919))
		addrs[i] = netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1})
	}
	return keys, addrs
}

// BenchmarkPick is one request's peer choice on a group of 100 peers:
// Start, Pick and Release.
func BenchmarkPick(b *testing.B) {
	keys, addrs := benchKeys()
	for _, bm := range benchMethods {
		b.Run(bm.name, func(b *testing.B) {
			g := benchGroup(bm.m, bm.consistent, bm.two)
			var a Attempt
			b.ReportAllocs()
			i := 0
			stop := cpuTimer(b)
			defer stop()
			for b.Loop() {
				a.Start(g, Start{Key: keys[i&1023], Client: addrs[i&1023]})
				if _, err := a.Pick(); err != nil {
					b.Fatal(err)
				}
				a.Release(Done)
				i++
			}
		})
	}
}

// BenchmarkPickCallerClock is BenchmarkPick with the request's start
// time given by the caller, as the proxy gives it (it reads the clock for
// $upstream_response_time anyway): the cost of the choice itself.
func BenchmarkPickCallerClock(b *testing.B) {
	keys, addrs := benchKeys()
	now := time.Now()
	for _, bm := range benchMethods {
		b.Run(bm.name, func(b *testing.B) {
			g := benchGroup(bm.m, bm.consistent, bm.two)
			var a Attempt
			b.ReportAllocs()
			i := 0
			stop := cpuTimer(b)
			defer stop()
			for b.Loop() {
				a.Start(g, Start{Key: keys[i&1023], Client: addrs[i&1023], Now: now})
				if _, err := a.Pick(); err != nil {
					b.Fatal(err)
				}
				a.Release(Done)
				i++
			}
		})
	}
}

// BenchmarkPickParallel is BenchmarkPick from every core at once: the
// cost of the group's mutex under contention.
func BenchmarkPickParallel(b *testing.B) {
	keys, addrs := benchKeys()
	for _, bm := range benchMethods {
		b.Run(bm.name, func(b *testing.B) {
			g := benchGroup(bm.m, bm.consistent, bm.two)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var a Attempt
				i := 0
				for pb.Next() {
					a.Start(g, Start{Key: keys[i&1023], Client: addrs[i&1023]})
					if _, err := a.Pick(); err != nil {
						b.Fatal(err)
					}
					a.Release(Done)
					i++
				}
			})
		})
	}
}
