package proxy

import (
	"strconv"
	"sync/atomic"

	"github.com/nginxws/nginxws/directives"
)

// connStats are the counters nginx's stub_status module reads
// (ngx_stat_accepted, _handled, _active, _requests, _reading, _writing and
// _waiting), kept at the same moments:
//
//   - accepted: every connection accept returned; handled: those served
//     (not refused for want of worker_connections); active: those open now,
//     WebSocket tunnels' client sides included;
//   - requests: every request, from its first bytes; reading: requests whose
//     head is being read; writing: requests being served, tunnels included,
//     until their end;
//   - waiting: connections marked reusable — waiting for a request (new or
//     keepalive) or closing lingeringly.
type connStats struct {
	accepted, handled, active atomic.Int64
	requests, reading         atomic.Int64
	writing, waiting          atomic.Int64
}

// ConnectionCounts is $connections_active, _reading, _writing and
// _waiting.
func (x *exchange) ConnectionCounts() directives.ConnectionCounts {
	st := &x.c.s.stats
	return directives.ConnectionCounts{
		Active:  st.active.Load(),
		Reading: st.reading.Load(),
		Writing: st.writing.Load(),
		Waiting: st.waiting.Load(),
	}
}

// statHeadRead moves the request from reading to writing: its head was
// read whole (ngx_http_process_request). conn.loop counted it, as reading,
// from its first bytes.
func (x *exchange) statHeadRead() {
	st := &x.c.s.stats
	st.reading.Add(-1)
	st.writing.Add(1)
	x.statReading, x.statWriting = false, true
}

// statEnd uncounts the request (ngx_http_free_request); a tunnel's end
// does it for the request that became the tunnel (statWritingEnd).
func (x *exchange) statEnd() {
	st := &x.c.s.stats
	if x.statReading {
		st.reading.Add(-1)
	}
	if x.statWriting {
		st.writing.Add(-1)
	}
	x.statReading, x.statWriting = false, false
}

// stubStatus is the stub_status page (ngx_http_stub_status_handler): GET
// and HEAD only, the request body discarded, the counters in nginx's
// layout as text/plain.
func (x *exchange) stubStatus() {
	if x.methodCode != methodGET && x.methodCode != methodHEAD {
		x.finalize(405)
		return
	}
	// A content handler answers the discard's refusal instead
	// (ngx_http_discard_request_body's status, returned as nginx's
	// handlers return it).
	if st := x.discardRequestBody(); st != 0 {
		x.finalize(st)
		return
	}
	st := &x.c.s.stats
	b := make([]byte, 0, 128)
	b = append(b, "Active connections: "...)
	b = strconv.AppendInt(b, st.active.Load(), 10)
	b = append(b, " \nserver accepts handled requests\n "...)
	b = strconv.AppendInt(b, st.accepted.Load(), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, st.handled.Load(), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, st.requests.Load(), 10)
	b = append(b, " \nReading: "...)
	b = strconv.AppendInt(b, st.reading.Load(), 10)
	b = append(b, " Writing: "...)
	b = strconv.AppendInt(b, st.writing.Load(), 10)
	b = append(b, " Waiting: "...)
	b = strconv.AppendInt(b, st.waiting.Load(), 10)
	b = append(b, " \n"...)
	x.status = 200
	x.out.setContentType([]byte("text/plain"))
	x.out.contentLength = int64(len(b))
	x.sendWhole(b)
}
