package proxy

import (
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// tunnelRecord is what a WebSocket tunnel keeps of the request that
// opened it: enough to write its error-log lines (with the request's
// context) while it lives and its access-log lines when it ends.
//
// A tunnel can stay open for hours, and thousands can be idle at once, so
// the record keeps no part of the request: not its exchange, State,
// headers or buffers, nor the connection. The error-log context is packed
// into one byte slice; the access-log lines are rendered when the tunnel
// starts, except for the pieces that still change (directives.PlanLog),
// which are completed from a few counters when it ends. Configuration
// objects (formats, locations, logs) are shared and may be referenced.
type tunnelRecord struct {
	// log is the error log of the request's level. rt is the
	// configuration the tunnel began under: its logs (log, and the access
	// log files) stay open until the tunnel ends, whatever reloads come.
	log *errlog.Log
	rt  *runtime
	// conn, client and server are the event context's (eventContext).
	conn           uint64
	client, server string
	// ctx holds the context's request line, upstream, host and referrer,
	// one after the other; ends[i] is where the i-th ends.
	ctx                             []byte
	ends                            [4]uint32
	hasServer, hasHost, hasReferrer bool
	// access is what the access log still has to write; nil when it
	// writes nothing for the request.
	access *tunnelAccess
}

// tunnelAccess is the tunnel request's access log, planned at the 101.
type tunnelAccess struct {
	s    *Server
	conf *directives.LocConf
	plan *directives.LogPlan
	// targets maps the plan's targets to conf.AccessLogs; nil when they
	// are the same (no access_log was left out when planning).
	targets []uint16
	// end holds the counters the plan's remaining pieces read; nil when
	// it has none.
	end *tunnelEnd
}

// tunnelEnd is what the pieces of the access log lines left to the end
// read (directives.PlanLog's end facts), as the request had them at the
// 101: its counters, the times the clock is read against, and its
// upstream tries.
type tunnelEnd struct {
	eng       *directives.Engine
	info      directives.RequestInfo
	connStart time.Time
	proxied   bool
	states    []directives.UpstreamState
	// upStart is when the last upstream try began; upHead the bytes
	// received from it before the tunnel (response head and the bytes
	// that came with it).
	upStart time.Time
	upHead  int64
}

// recordTunnel is called on the request's goroutine once the 101 (and the
// bytes that came with either head) went through and the tunnel is about
// to start; early counts the upstream's bytes that came after its 101
// head. The request is settled as its end will find it, its context and
// access log lines are recorded, and everything it borrowed (variable
// state, request state, the connection's read buffer) is given back: from
// then on the tunnel uses only the record.
func (c *conn) recordTunnel(x *exchange, early int64) *tunnelRecord {
	x.settle()
	// The request stays counted as writing until the tunnel's end
	// (tunnel.finalize).
	x.statWriting = false
	r := &tunnelRecord{log: x.rt.errLogs.forConf(x.conf, c.s.log), rt: x.rt}
	r.rt.acquire()
	ec := x.eventContext()
	r.pack(&ec)
	r.access = x.planAccess(early)
	x.release()
	// What conn.serve does when its connection ends: the read buffer and
	// the request state (with the upstream reader, whose buffer held the
	// 101 head, now recorded) go back to their pools.
	c.rd.Reset(eofReader{})
	if rs := c.rs; rs != nil {
		c.s.putReq(rs)
		c.rs = nil
	}
	return r
}

// pack keeps an event context in r.
func (r *tunnelRecord) pack(ec *eventContext) {
	r.conn, r.client = ec.conn, ec.client
	r.server, r.hasServer = ec.server, ec.hasServer
	r.hasHost, r.hasReferrer = ec.hasHost, ec.hasReferrer
	vals := [4][]byte{ec.request, ec.upstream, ec.host, ec.referrer}
	n := 0
	for _, v := range vals {
		n += len(v)
	}
	r.ctx = make([]byte, 0, n)
	for i, v := range vals {
		r.ctx = append(r.ctx, v...)
		r.ends[i] = uint32(len(r.ctx))
	}
}

// eventContext unpacks the context kept by pack.
func (r *tunnelRecord) eventContext() eventContext {
	part := func(i int) []byte {
		start := uint32(0)
		if i > 0 {
			start = r.ends[i-1]
		}
		return r.ctx[start:r.ends[i]:r.ends[i]]
	}
	return eventContext{
		conn: r.conn, client: r.client, server: r.server,
		request: part(0), upstream: part(1), host: part(2), referrer: part(3),
		hasServer: r.hasServer, hasHost: r.hasHost, hasReferrer: r.hasReferrer,
	}
}

// logEvent writes an error-log line in the tunnel request's context, as
// exchange.logEvent does. The record does not change once made, so any
// goroutine may call it.
func (r *tunnelRecord) logEvent(lvl errlog.Level, msg, errno, action string) {
	if !r.log.Enabled(lvl) {
		return
	}
	ec := r.eventContext()
	ec.write(r.log, lvl, msg, errno, action)
}

// planAccess plans the request's access log lines (see logAccess) for a
// tunnel; nil when none will be written.
func (x *exchange) planAccess(early int64) *tunnelAccess {
	conf := x.levelConf()
	if conf.AccessLogOff || len(conf.AccessLogs) == 0 {
		return nil
	}
	files := x.rt.files
	targets := make([]directives.LogTarget, 0, len(conf.AccessLogs))
	idx := make([]uint16, 0, len(conf.AccessLogs))
	for i, l := range conf.AccessLogs {
		// The access_logs logAccess would skip without evaluating
		// anything are left out.
		if l.Path == nil {
			continue
		}
		t := directives.LogTarget{If: l.If, Format: l.Format}
		switch {
		case l.Syslog != nil:
		case l.Path.IsLiteral():
			f := files[l.Path.Raw]
			if f == nil {
				continue
			}
			t.Reserve = f.buffered()
		default:
			if x.conf == nil {
				continue
			}
			// scriptLogWrite's values: the root it checks, then the
			// file name.
			t.After = []*directives.Complex{x.conf.Root, l.Path}
		}
		targets = append(targets, t)
		idx = append(idx, uint16(i))
	}
	// The lines are made now, as the log phase will be at the end.
	x.logging = true
	plan := x.vs.PlanLog(targets)
	x.logging = false
	if plan == nil {
		return nil
	}
	a := &tunnelAccess{s: x.c.s, conf: conf, plan: plan}
	if len(idx) != len(conf.AccessLogs) {
		a.targets = append([]uint16(nil), idx...)
	}
	if plan.Deferred() {
		e := &tunnelEnd{
			info:      *x.Info(),
			connStart: x.c.info.Start,
			proxied:   x.proxied,
			upStart:   x.upStart,
			upHead:    responseHeadSize(x.resp) + early,
		}
		if x.rt.cfg.HTTP != nil {
			e.eng = x.rt.cfg.HTTP.Engine()
		}
		if x.proxied && len(x.upInfo.States) > 0 {
			e.states = append([]directives.UpstreamState(nil), x.upInfo.States...)
		}
		a.end = e
	}
	return a
}

// finish completes the request once the tunnel is over: down bytes went
// to the client through the tunnel, up bytes to the upstream; complete is
// false when the tunnel ended the way nginx terminates a request (a
// client timeout, a shutdown closing it), which leaves $request_completion
// empty. Its counters and timings are completed and its access-log lines
// written, as exchange.finish writes them. It touches nothing of the
// connection, which the record no longer knows.
func (r *tunnelRecord) finish(down, up int64, complete bool) {
	defer r.rt.release()
	a := r.access
	r.access = nil
	if a == nil || a.s.cut.Load() == cutTerminate {
		// A fast shutdown: nginx's worker exits with its requests,
		// tunnels included, unlogged.
		return
	}
	var st *directives.State
	if e := a.end; e != nil {
		e.info.BytesSent += down
		e.info.Completed = e.info.Completed && complete
		if n := len(e.states); n > 0 {
			last := &e.states[n-1]
			last.ResponseTime = time.Since(e.upStart)
			last.BytesReceived = e.upHead + down
			// nginx takes $upstream_bytes_sent from the upstream
			// connection's count when the request is finalized, so
			// the tunnel's bytes are in it.
			last.BytesSent += up
		}
		st = a.s.getState()
		st.Reset(e.eng, &tunnelEndRequest{
			e:    e,
			conn: directives.ConnInfo{Start: e.connStart},
			up:   directives.UpstreamInfo{States: e.states},
			now:  time.Now(),
		})
	}
	files := r.rt.files
	b := a.s.bufs.get(0)
	b.b = a.plan.Run(st, b.b[:0], func(ln *directives.LogLine) {
		i := ln.Target
		if a.targets != nil {
			i = int(a.targets[i])
		}
		l := a.conf.AccessLogs[i]
		if l.Syslog != nil {
			r.rt.sendSyslog(l, ln.Text, a.s)
			return
		}
		line := append(ln.Text, '\n')
		if !l.Path.IsLiteral() {
			writeScriptLog(ln.After[0], func() []byte { return ln.After[1] }, line, r.logEvent)
			return
		}
		f := files[l.Path.Raw]
		if f == nil {
			return
		}
		reserve := 0
		if f.buffered() {
			// A file that got a buffer since the 101 (a reload) has no
			// planned reservation: the line's own length stands in.
			reserve = ln.Reserve
			if reserve < 0 {
				reserve = len(line)
			}
		}
		f.write(line, reserve)
	})
	a.s.bufs.put(b)
	if st != nil {
		st.Reset(nil, nil)
		a.s.putState(st)
	}
}

// tunnelEndRequest is the Request a tunnel's access log lines are
// completed with: only the end facts (see directives.PlanLog); the rest
// of the request is gone and was rendered before.
type tunnelEndRequest struct {
	e    *tunnelEnd
	conn directives.ConnInfo
	up   directives.UpstreamInfo
	// now is the time the lines are written at: one instant for all of
	// them, as nginx's cached time is for one pass of its event loop
	// ($msec, $request_time and a map of them agree).
	now time.Time
}

func (q *tunnelEndRequest) RequestLine() []byte { return nil }
func (q *tunnelEndRequest) Method() []byte      { return nil }
func (q *tunnelEndRequest) RequestURI() []byte  { return nil }
func (q *tunnelEndRequest) Protocol() []byte    { return nil }
func (q *tunnelEndRequest) URI() []byte         { return nil }
func (q *tunnelEndRequest) Args() []byte        { return nil }
func (q *tunnelEndRequest) Host() []byte        { return nil }

func (q *tunnelEndRequest) NumHeaders(directives.HeaderSet) int { return 0 }

func (q *tunnelEndRequest) Header(directives.HeaderSet, int) (name, value []byte) { return nil, nil }

func (q *tunnelEndRequest) Server() *directives.Server    { return nil }
func (q *tunnelEndRequest) Conn() *directives.ConnInfo    { return &q.conn }
func (q *tunnelEndRequest) Info() *directives.RequestInfo { return &q.e.info }
func (q *tunnelEndRequest) Now() time.Time                { return q.now }

// ConnectionCounts is never called: the end computes only the end facts.
func (q *tunnelEndRequest) ConnectionCounts() directives.ConnectionCounts {
	return directives.ConnectionCounts{}
}

// UninitializedVariable is never called: the end computes only the end
// facts (directives.PlanLog), none of them a variable of "set".
func (q *tunnelEndRequest) UninitializedVariable(string) {}

// Upstream gives the tries as the end left them; nil for a request that
// was not proxied.
func (q *tunnelEndRequest) Upstream() *directives.UpstreamInfo {
	if !q.e.proxied {
		return nil
	}
	return &q.up
}
