package proxy

import (
	"time"

	"github.com/nginxws/nginxws/proxy/errlog"
	"github.com/nginxws/nginxws/proxy/http1"
)

// tunnelRecord is what a WebSocket tunnel keeps of the request that
// opened it: enough to write its error-log lines (with the request's
// context) while it lives and its access-log lines when it ends.
//
// This version keeps the whole request (its exchange and connection
// state) until the tunnel ends.
type tunnelRecord struct {
	x *exchange
	c *conn
	// early counts the upstream's bytes that came with its 101 head, for
	// $upstream_bytes_received.
	early int64
}

// recordTunnel is called on the request's goroutine once the 101 (and the
// bytes that came with either head) went through and the tunnel is about
// to start. From then on the tunnel uses only the record.
func (c *conn) recordTunnel(x *exchange, early int64) *tunnelRecord {
	return &tunnelRecord{x: x, c: c, early: early}
}

// logEvent writes an error-log line in the tunnel request's context, as
// exchange.logEvent does.
func (r *tunnelRecord) logEvent(lvl errlog.Level, msg, errno, action string) {
	r.x.logEvent(lvl, msg, errno, action)
}

// finish completes the request once the tunnel is over: down bytes went
// to the client through the tunnel. Its counters and timings are
// completed, its access-log lines written and what it held given back.
func (r *tunnelRecord) finish(down int64) {
	x, c := r.x, r.c
	x.bytesSent += down
	if n := len(x.upInfo.States); n > 0 {
		st := &x.upInfo.States[n-1]
		st.ResponseTime = time.Since(x.upStart)
		st.BytesReceived = responseHeadSize(x.resp) + r.early + down
	}
	x.finish()
	// What conn.serve does when its connection ends.
	c.rd.Reset(eofReader{})
	if c.rs != nil {
		if c.rs.up == nil {
			c.rs.up = http1.NewReader(eofReader{}, &c.s.pools)
		}
		c.s.putReq(c.rs)
		c.rs = nil
	}
}
