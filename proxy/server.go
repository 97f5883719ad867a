// Package proxy is nginxws's runtime: it owns the listening sockets and the
// running configuration, accepts connections and serves them as nginx
// would — virtual server and location selection, the rewrite module's
// return/set/if/rewrite, allow/deny, static files, proxy_pass with
// nginx's upstream request and response rules, error pages and logs.
//
// The configuration in use is one compiled runtime (a *directives.Config
// with its location trees and name tables) behind an atomic.Pointer. A
// reload binds what the new configuration adds, swaps the pointer, then
// closes what it dropped; a connection takes the pointer once per request,
// so a request in flight finishes under the configuration it started
// with.
//
// The file layout follows Caddy's reverseproxy package: one concern per
// file (conn.go, server_select.go, location.go, request.go, response.go,
// errors.go, return.go, static.go, …), with a *_bench_test.go beside the
// hot paths.
package proxy

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
	"github.com/nginxws/nginxws/proxy/http1"
)

// ErrServerClosed is returned by Serve and Reload once Shutdown or Close
// has been called.
var ErrServerClosed = errors.New("proxy: server closed")

// Server accepts connections on the listen addresses of its configuration.
type Server struct {
	log *errlog.Log
	// rt is the running configuration, compiled; requests take it once
	// each.
	rt atomic.Pointer[runtime]
	// pools and bufs lend the buffers connections read and write with.
	pools http1.Pools
	bufs  bufPool
	// gzips keeps the gzip filter's compressors.
	gzips gzipPools
	// connSeq numbers connections (nginx's ngx_connection_counter).
	connSeq atomic.Uint64
	// stats are stub_status's counters (stubstatus.go).
	stats connStats
	// limits are the limit_conn zones' states (limitconn.go).
	limits limitZones
	// tempNumber numbers multipart boundaries (ngx_next_temp_number).
	tempNumber atomic.Uint64
	pid        int
	// version is what Server headers and error pages name
	// ("nginxws/0.1.0"); see SetVersion.
	version string
	logs    accessLogs
	// states pools the variable states of requests in flight.
	states sync.Pool
	reqs   sync.Pool
	date   dateCache
	// bind is how Listen and Reload open sockets: nginx's retries; tests
	// shorten the delay.
	bind binder

	// mu guards the fields below and serialises Listen, Reload, Shutdown
	// and Close.
	mu        sync.Mutex
	listeners map[listenKey]*listener
	order     []listenKey // listeners in nginx's opening order
	serving   bool
	closed    bool
	done      chan struct{} // closed when Serve must return

	accepting sync.WaitGroup // one per accept loop
	connsWG   sync.WaitGroup // one per open connection
	connsMu   sync.Mutex
	conns     map[net.Conn]struct{}
	// live holds the connections being served; a graceful shutdown
	// closes those waiting for their next request at once
	// (ngx_close_idle_connections). draining is set once it has started:
	// responses then end their connection ("Connection: close").
	live     map[*conn]struct{}
	draining atomic.Bool
	// cut is set once the requests in flight are no longer waited for
	// (cut.go): cutShutdown, then possibly cutTerminate.
	cut atomic.Uint32
	// cutCtx is cancelled with the cut: connections being made to
	// upstreams stop at once.
	cutCtx    context.Context
	cutCancel context.CancelFunc
	// slots counts the connections against worker_connections
	// (connlimit.go).
	slots connSlots
	// tunnels are the live WebSocket tunnels (tunnel_registry.go).
	tunnels tunnelSet
	// parker is the set idle keepalive connections wait in, started on
	// first use (nil before, and where there is none).
	parkerMu   sync.Mutex
	parker     *idleParker
	parkerDone bool
}

// New returns a Server for cfg, logging to log. It opens nothing: call
// Listen, then Serve.
func New(cfg *directives.Config, log *errlog.Log) *Server {
	s := &Server{
		log:       log,
		listeners: map[listenKey]*listener{},
		done:      make(chan struct{}),
		conns:     map[net.Conn]struct{}{},
		live:      map[*conn]struct{}{},
		bind:      binder{log: log, tries: bindTries, delay: bindDelay},
		pid:       pidOf(),
		version:   "nginxws",
	}
	s.cutCtx, s.cutCancel = context.WithCancel(context.Background())
	s.limits.epoch = time.Now()
	s.install(cfg)
	return s
}

// install compiles cfg and makes it the running configuration, with its
// access log files open.
func (s *Server) install(cfg *directives.Config) {
	files := s.logs.open(cfg, s.log)
	rt := newRuntime(cfg, &s.logs)
	rt.files = files
	rt.limitZones = s.limits.bind(cfg)
	rt.reqZones = s.limits.bindReq(cfg)
	rt.syslogs = openSyslogs(cfg)
	if prev := s.rt.Load(); prev != nil {
		// Peers that stay keep their failures and connections
		// (inherit.go).
		rt.groups.inherit(prev.groups)
	}
	rt.errLogs = openLevelLogs(cfg, s.log)
	if old := s.rt.Swap(rt); old != nil {
		// Closed once the requests and tunnels under it are over.
		old.retire()
		// The replaced configuration's idle upstream connections close
		// (nginx's old worker closes its cached ones as it exits).
		old.groups.close()
	}
}

// SetVersion sets the name and version the server announces in Server
// headers and on its error pages with server_tokens on or build (nginx
// prints "nginx/1.22.1"; nginxws prints its own, e.g. "nginxws/0.1.0").
// With server_tokens off nginx shows the bare "nginx", and so does
// nginxws: a configuration that hides the version gets the same answers
// from both. Call it before Serve.
func (s *Server) SetVersion(nameVersion string) {
	if nameVersion != "" {
		s.version = nameVersion
	}
}

// getState borrows a variable state for a request.
func (s *Server) getState() *directives.State {
	if v := s.states.Get(); v != nil {
		return v.(*directives.State)
	}
	return directives.NewState()
}

// getReq borrows the state of a request.
func (s *Server) getReq() *reqState {
	if v := s.reqs.Get(); v != nil {
		return v.(*reqState)
	}
	return &reqState{up: http1.NewReader(eofReader{}, &s.pools)}
}

// putReq gives it back once the request is done.
func (s *Server) putReq(rs *reqState) {
	rs.up.Reset(eofReader{})
	if rs.sub != nil {
		rs.sub.end()
	}
	s.reqs.Put(rs)
}

// putState gives a state back once its request is done.
func (s *Server) putState(st *directives.State) { s.states.Put(st) }

// serverToken is the Server header's value for server_tokens.
func (s *Server) serverToken(tokens string) string {
	if tokens == "off" {
		return softwareName
	}
	return s.version
}

// pageToken is the name error pages end with.
func (s *Server) pageToken(tokens string) string { return s.serverToken(tokens) }

// softwareName is what server_tokens off shows, as nginx does.
const softwareName = "nginx"

// Config returns the configuration in use.
func (s *Server) Config() *directives.Config { return s.rt.Load().cfg }

// Listen binds every listen address of the configuration, retrying an
// address in use as nginx does (five tries, 500 ms apart). Each failure is
// logged at [emerg] in nginx's words ("bind() to 127.0.0.1:80 failed (98:
// Address already in use)"); the returned error only says that there were
// some, and nothing stays bound.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrServerClosed
	}
	bound, err := s.bind.all(sockets(s.Config().Listeners()))
	if err != nil {
		return err
	}
	for _, l := range bound {
		configure(l, nil, s.log)
		s.add(l)
	}
	return nil
}

// add records a bound listener, and starts accepting on it if the server
// is already serving. s.mu is held.
func (s *Server) add(l *listener) {
	k := keyOf(l.spec)
	s.listeners[k] = l
	s.order = append(s.order, k)
	if s.serving {
		s.startAccept(l)
	}
}

// Addrs returns the addresses of the bound sockets, in the order nginx
// opens them (see sockets), as the configuration writes them
// ("127.0.0.1:8080", or a unix socket's path).
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.order))
	for i, k := range s.order {
		out[i] = k.addr
	}
	return out
}

// Serve accepts connections on every bound listener, and on those later
// reloads add, until Shutdown or Close; it then returns ErrServerClosed.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if !s.serving {
		s.serving = true
		for _, k := range s.order {
			s.startAccept(s.listeners[k])
		}
	}
	s.mu.Unlock()
	<-s.done
	return ErrServerClosed
}

func (s *Server) startAccept(l *listener) {
	s.accepting.Add(1)
	// The network is read here, under s.mu: Reload rewrites l.spec.
	go s.acceptLoop(l, l.spec.Network)
}

// acceptLoop accepts on one listener until it is closed. Like nginx, it
// logs a failed accept and carries on; when the process is out of
// descriptors it pauses accepting for half a second (nginx's
// accept_mutex_delay) instead of spinning.
func (s *Server) acceptLoop(l *listener, network string) {
	defer s.accepting.Done()
	for {
		c, err := l.ln.Accept()
		if err == nil {
			s.stats.accepted.Add(1)
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			lvl := errlog.LevelAlert
			pause := false
			switch {
			case errors.Is(err, syscall.ECONNABORTED):
				lvl = errlog.LevelError
			case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
				lvl, pause = errlog.LevelCrit, true
			}
			s.log.WithLevel(lvl).Msg("accept4() failed (" + errlog.Errno(err) + ")")
			if pause {
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		if !s.takeSlot() {
			_ = c.Close()
			continue
		}
		if !s.track(c) {
			s.giveSlots(1)
			_ = c.Close()
			continue
		}
		// The connection is live, and reusable (it waits for its
		// first request), from its accept on, as in nginx: a flood of
		// connections finds the earlier ones to reuse.
		s.stats.handled.Add(1)
		s.stats.active.Add(1)
		cc := newConn(s, c, network)
		cc.waiting.Store(time.Now().UnixNano())
		s.stats.waiting.Add(1)
		s.setLive(cc, true)
		go cc.serve()
	}
}

// track registers an accepted connection so that Shutdown can wait for it
// and Close can close it. It reports false once the server is closing.
func (s *Server) track(c net.Conn) bool {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[c] = struct{}{}
	s.connsWG.Add(1)
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.connsMu.Lock()
	if s.conns != nil {
		delete(s.conns, c)
	}
	s.connsMu.Unlock()
	s.connsWG.Done()
}

// forget stops tracking a connection that became a WebSocket tunnel: the
// tunnel owns its socket now, and closes it itself (tunnelSet.closeAll).
// The server still waits for it, until tunnelDone.
func (s *Server) forget(c net.Conn) {
	s.connsMu.Lock()
	if s.conns != nil {
		delete(s.conns, c)
	}
	s.connsMu.Unlock()
}

// tunnelDone records the end of a connection that became a tunnel.
func (s *Server) tunnelDone() { s.connsWG.Done() }

// Reload switches to cfg. Listen addresses that stay keep their sockets
// (a changed backlog is applied to them); new ones are bound, with nginx's
// retries; dropped ones are closed once cfg is in use. If a new address
// cannot be bound, the reload is abandoned: what it bound is closed, the
// old configuration stays in use, and the failures have been logged at
// [emerg], as nginx keeps its old cycle.
func (s *Server) Reload(cfg *directives.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrServerClosed
	}
	if err := s.limits.check(cfg); err != nil {
		// Logged here, as the listeners' bind() failures are: the
		// caller keeps the running configuration.
		s.log.Emerg().Msg(err.Error())
		return err
	}
	want := sockets(cfg.Listeners())
	var fresh []directives.Listen
	for _, spec := range want {
		if _, ok := s.listeners[keyOf(spec)]; !ok {
			fresh = append(fresh, spec)
		}
	}
	bound, err := s.bind.all(fresh)
	if err != nil {
		return err
	}

	s.install(cfg)

	old, oldOrder := s.listeners, s.order
	s.listeners = make(map[listenKey]*listener, len(want))
	s.order = make([]listenKey, 0, len(want))
	boundBy := make(map[listenKey]*listener, len(bound))
	for _, l := range bound {
		boundBy[keyOf(l.spec)] = l
	}
	for _, spec := range want {
		k := keyOf(spec)
		l, kept := old[k]
		if !kept {
			configure(boundBy[k], nil, s.log)
			s.add(boundBy[k])
			continue
		}
		delete(old, k)
		prev := l.spec
		l.spec = spec
		configure(l, &prev, s.log)
		s.listeners[k] = l
		s.order = append(s.order, k)
	}
	for _, k := range oldOrder {
		l, dropped := old[k]
		if !dropped {
			continue
		}
		if l.spec.Network == "unix" {
			// nginx's words when a reload drops a unix socket; Go's
			// listener removes the file as it closes.
			s.log.Warn().Msg("deleting socket " + l.spec.Addr)
		}
		_ = l.ln.Close()
	}
	return nil
}

// stopAccepting closes every listener and waits for the accept loops to
// end, so that no connection is accepted after it returns. s.mu is held.
func (s *Server) stopAccepting() {
	for _, k := range s.order {
		_ = s.listeners[k].ln.Close()
	}
	s.listeners = map[listenKey]*listener{}
	s.order = nil
	s.accepting.Wait()
}

// Shutdown stops accepting, then waits for open connections to finish
// until ctx ends (the caller sets worker_shutdown_timeout as its
// deadline), then closes those still open. Serve returns when Shutdown
// starts.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.closed = true
	close(s.done)
	s.stopAccepting()
	s.mu.Unlock()
	s.draining.Store(true)
	s.closeIdle()
	// Idle upstream keepalive connections close too, and none is kept
	// from now on (nginx's exiting worker caches none).
	s.rt.Load().groups.close()

	idle := make(chan struct{})
	go func() {
		s.connsWG.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		s.stopParker()
		s.tunnels.stop()
		// The buffered access log lines are written, as nginx's
		// exiting worker flushes its buffers.
		s.logs.closeAll()
		return nil
	case <-ctx.Done():
		// Tunnels first: their sockets are no longer tracked
		// connections (the tunnel owns them), so closing those would
		// not end them.
		s.tunnels.closeAll()
		s.cutRequests(cutShutdown)
		s.closeConns()
		<-idle
		s.tunnels.stop()
		s.logs.closeAll()
		return ctx.Err()
	}
}

// Close stops accepting and closes every open connection at once, as
// nginx's fast shutdown (SIGTERM) does.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
		s.stopAccepting()
	}
	s.mu.Unlock()
	// The cut first: a tunnel closed below must find it set (its
	// request goes unlogged).
	s.cutRequests(cutTerminate)
	s.tunnels.closeAll()
	s.closeConns()
	s.connsWG.Wait()
	s.tunnels.stop()
	s.logs.closeAll()
	s.rt.Load().errLogs.close()
	s.rt.Load().groups.close()
	return nil
}

// setLive records a connection being served, or done.
func (s *Server) setLive(c *conn, live bool) {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	if live {
		s.live[c] = struct{}{}
	} else {
		delete(s.live, c)
	}
}

// parkIdle moves c, idle past idleHandoff, into the parking set until its
// next bytes or its keepalive_timeout; false when it must wait on a
// goroutine instead.
func (s *Server) parkIdle(c *conn) bool {
	s.parkerMu.Lock()
	if s.parker == nil && !s.parkerDone {
		p, err := newIdleParker()
		if err != nil {
			// Goroutines it is, for good.
			s.parkerDone = true
		}
		s.parker = p
	}
	p := s.parker
	s.parkerMu.Unlock()
	return p != nil && p.park(c, c.idleSince.Add(c.keepaliveTimeout))
}

// wakeParked gives c its goroutine back if it is parked: after its socket
// was closed by someone else, it must come back to end.
func (s *Server) wakeParked(c *conn) {
	s.parkerMu.Lock()
	p := s.parker
	s.parkerMu.Unlock()
	if p != nil {
		p.wakeConn(c)
	}
}

// stopParker ends the parking set (waking any connection still in it);
// no connection is parked from then on.
func (s *Server) stopParker() {
	s.parkerMu.Lock()
	p := s.parker
	s.parker, s.parkerDone = nil, true
	s.parkerMu.Unlock()
	if p != nil {
		p.stop()
	}
}

// closeIdle closes the connections waiting for a request. A connection
// that goes idle after this sees draining and ends by itself (both flags
// are atomics, so one of the two sides notices).
func (s *Server) closeIdle() {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	for c := range s.live {
		if c.idle.Load() {
			_ = c.nc.Close()
			s.wakeParked(c)
		}
	}
}

// closeConns closes every tracked connection and refuses new ones.
func (s *Server) closeConns() {
	s.connsMu.Lock()
	conns := s.conns
	s.conns = nil
	s.connsMu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
	// Parked connections come back to end; none parks from now on.
	s.stopParker()
}
