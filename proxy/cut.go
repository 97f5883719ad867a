package proxy

import (
	"net"
	"slices"
)

// Why a server stopped waiting for the requests in flight (Server.cut).
const (
	cutNone uint32 = iota
	// cutShutdown: a graceful shutdown's worker_shutdown_timeout expired.
	// nginx then closes every connection of the worker, upstream ones
	// included (ngx_shutdown_timer_handler), and each request ends
	// through ngx_http_terminate_request: logged, with status 0 ("000")
	// when no response head went out, and no error line above [debug].
	cutShutdown
	// cutTerminate: a fast shutdown (SIGTERM, SIGINT). nginx's worker
	// exits at once: the requests in flight are not even logged.
	cutTerminate
)

// cutRequests stops waiting for the requests in flight: each one's
// upstream connection is closed, so that a request waiting for its
// upstream (up to proxy_read_timeout, or for ever behind an upstream that
// trickles) ends now. The caller closes the client connections.
func (s *Server) cutRequests(kind uint32) {
	for {
		old := s.cut.Load()
		if old >= kind || s.cut.CompareAndSwap(old, kind) {
			break
		}
	}
	s.cutCancel()
	s.connsMu.Lock()
	live := make([]*conn, 0, len(s.live))
	for c := range s.live {
		live = append(live, c)
	}
	s.connsMu.Unlock()
	for _, c := range live {
		c.upMu.Lock()
		for _, uc := range c.up {
			_ = uc.Close()
		}
		c.up = nil
		c.upMu.Unlock()
	}
}

// cutting reports whether the server has stopped waiting for requests.
func (s *Server) cutting() bool { return s.cut.Load() != cutNone }

// holdUpstream records uc as an upstream connection the request waits
// on (a subrequest's may come while its main request's is held), for
// cutRequests. It reports false, holding nothing, once the server has
// stopped waiting for requests.
func (c *conn) holdUpstream(uc net.Conn) bool {
	c.upMu.Lock()
	defer c.upMu.Unlock()
	if c.s.cutting() {
		return false
	}
	c.up = append(c.up, uc)
	return true
}

// dropUpstream forgets uc once the request no longer waits on it.
func (c *conn) dropUpstream(uc net.Conn) {
	c.upMu.Lock()
	if i := slices.Index(c.up, uc); i >= 0 {
		// slices.Delete clears the freed slot: an idle connection keeps
		// no upstream connection alive.
		c.up = slices.Delete(c.up, i, i+1)
	}
	c.upMu.Unlock()
}

// cutShort ends a request the server stopped waiting for: nothing more
// is sent, and the access log shows status 0 unless a response head went
// out (ngx_http_terminate_request with 0 keeps the status set).
func (x *exchange) cutShort() {
	if !x.headerSent {
		x.status = 0
	}
	x.broken, x.noLinger = true, true
}
