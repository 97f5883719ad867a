package upstream

import (
	"crypto/tls"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// Peer is one address of a server line: nginx's
// ngx_http_upstream_rr_peer_t. A server name that resolves to several
// addresses gives several peers sharing Server.
//
// The exported fields are the configuration and never change; the
// run-time state (weights, connections, failures) belongs to the group
// and is read with Group.State.
type Peer struct {
	// Run-time state, guarded by the group's mutex; first, with the
	// parameters the balancers read, so that a scan over the peers
	// touches one cache line each.
	currentWeight   int
	effectiveWeight int
	conns           int
	fails           int
	checked         int64 // unix seconds of the last check
	accessed        int64 // unix seconds of the last failure
	// next is this peer in the group that replaced its group on a
	// reload (Group.Inherit), nextGroup that group: connections counted
	// here and released later, and picks by requests still running on
	// the old group, count there.
	next      *Peer
	nextGroup *Group

	// Weight, MaxFails, MaxConns and Down are the server's parameters;
	// FailTimeout is fail_timeout in whole seconds, as nginx keeps it.
	Weight      int
	MaxFails    int
	FailTimeout int64
	MaxConns    int
	Down        bool
	// Backup is set for the peers of a backup server.
	Backup bool
	index  int // position in its set, for the tried bits

	// Name is the address nginx names the peer by ("127.0.0.1:8080",
	// "[::1]:80", "unix:/run/app.sock"), as $upstream_addr shows it.
	Name string
	// Server is the server line's address as written: consistent
	// hashing places the server on its ring by this name.
	Server string

	network, address string
	// session is the TLS session of the last handshake with the peer,
	// which the next one resumes (nginx's saved session per peer,
	// proxy_ssl_session_reuse).
	session atomic.Pointer[tls.ClientSessionState]
}

// SessionCache is the peer's one-session cache for crypto/tls: whatever
// name a handshake sends, it offers the peer's last session, as nginx
// does.
func (p *Peer) SessionCache() tls.ClientSessionCache { return peerSessions{p} }

// peerSessions adapts a peer's session slot to tls.ClientSessionCache.
type peerSessions struct{ p *Peer }

func (s peerSessions) Get(string) (*tls.ClientSessionState, bool) {
	cs := s.p.session.Load()
	return cs, cs != nil
}

func (s peerSessions) Put(_ string, cs *tls.ClientSessionState) { s.p.session.Store(cs) }

// ForgetSession drops the peer's saved session. nginx (OpenSSL) offers
// none after a TLS 1.2 handshake that resumed one: the next handshake
// is a full one, which saves a fresh session.
func (p *Peer) ForgetSession() { p.session.Store(nil) }

// PeerState is a snapshot of a peer's run-time state.
type PeerState struct {
	// CurrentWeight and EffectiveWeight are the smooth weighted round
	// robin's counters.
	CurrentWeight, EffectiveWeight int
	// Conns counts the peer's active connections: requests in flight and
	// WebSocket tunnels (what least_conn balances).
	Conns int
	// Fails counts failures since the peer last succeeded; Accessed and
	// Checked are nginx's timestamps in unix seconds.
	Fails             int
	Accessed, Checked int64
}

// failed reports whether the peer is out of rotation: max_fails failures
// within fail_timeout of the last check. The clock is read only for a
// peer with failures.
func (p *Peer) failed(a *Attempt) bool {
	return p.MaxFails != 0 && p.fails >= p.MaxFails && a.clock()-p.checked <= p.FailTimeout
}

// full reports whether the peer has max_conns active connections.
func (p *Peer) full() bool {
	return p.MaxConns != 0 && p.conns >= p.MaxConns
}

// usable reports whether the peer may be chosen, apart from the
// request's own tried set.
func (p *Peer) usable(a *Attempt) bool {
	return !p.Down && !p.failed(a) && !p.full()
}

// touch starts a new fail_timeout window when the last one is over, as
// every balancer does for the peer it chooses. For a peer without
// failures the window is never looked at (a failure sets it anew), so it
// is left alone and the clock unread.
func (p *Peer) touch(a *Attempt) {
	if p.fails == 0 {
		return
	}
	if now := a.clock(); now-p.checked > p.FailTimeout {
		p.checked = now
	}
}

// peerSet is the primary or the backup peers of a group
// (ngx_http_upstream_rr_peers_t).
type peerSet struct {
	// peers point into arr, where the set's peers lie in order.
	peers []*Peer
	arr   []Peer
	// totalWeight sums the weights of every peer, down ones included.
	totalWeight int
	// tries counts the peers that are not down.
	tries int
	// single is set for a lone primary peer without backups: it is
	// chosen without failure accounting and never retried.
	single bool
	// backup is the backup set of a primary set, or nil.
	backup *peerSet
}

// initPeer sets up p as the peer of one address of a server line.
func initPeer(p *Peer, s *directives.UpstreamServer, addr string, backup bool) {
	*p = Peer{
		Name:        addr,
		Server:      s.Name,
		Weight:      max(s.Weight, 1),
		MaxFails:    s.MaxFails,
		FailTimeout: int64(s.FailTimeout / time.Second),
		MaxConns:    s.MaxConns,
		Down:        s.Down,
		Backup:      backup,
	}
	p.effectiveWeight = p.Weight
	p.network, p.address = splitAddr(addr)
}

// splitAddr turns a peer name into what net.Dial takes.
func splitAddr(addr string) (network, address string) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		return "unix", path
	}
	return "tcp", addr
}

// buildSet collects the peers of the backup or the non-backup servers
// (ngx_http_upstream_init_round_robin); nil when there are none.
func buildSet(servers []*directives.UpstreamServer, backup bool) *peerSet {
	n := 0
	for _, srv := range servers {
		if srv.Backup == backup {
			n += len(srv.Addrs)
		}
	}
	// One array for the set's peers, scanned in order by the balancers.
	arr := make([]Peer, n)
	s := &peerSet{peers: make([]*Peer, 0, n), arr: arr}
	for _, srv := range servers {
		if srv.Backup != backup {
			continue
		}
		for _, a := range srv.Addrs {
			p := &arr[len(s.peers)]
			initPeer(p, srv, a, backup)
			p.index = len(s.peers)
			s.peers = append(s.peers, p)
			s.totalWeight += p.Weight
			if !p.Down {
				s.tries++
			}
		}
	}
	if len(s.peers) == 0 {
		return nil
	}
	s.single = len(s.peers) == 1 && !backup
	return s
}
