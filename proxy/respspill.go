package proxy

import (
	"io"
	"net"
	"time"
)

// respSpill is the temporary file of a buffered response
// (ngx_event_pipe's temp_file): what the upstream sent while the client
// took nothing and every proxy buffer was full, written to a file of
// proxy_temp_path and sent from there, before what is in memory, once the
// client takes it again.
type respSpill struct {
	t *tempFile
	// written is the file's size (p->temp_file->offset, which
	// proxy_max_temp_file_size bounds), sent what of it went out.
	written, sent int64
}

// pending reports whether file data waits to be sent.
func (s *respSpill) pending() bool { return s != nil && s.sent < s.written }

// close closes (and so frees) the file.
func (s *respSpill) close() {
	if s != nil && s.t != nil {
		s.t.close()
	}
}

// clientReady is nginx's p->downstream->write->ready &&
// !p->downstream->write->delayed: the client's socket would take a write
// and limit_rate does not hold the next one back.
func (x *exchange) clientReady() bool {
	if time.Now().Before(x.limit.delayedUntil) {
		return false
	}
	return clientWritable(x.c.sock)
}

// clientWritable reports whether the client's socket (under TLS too) would take a write
// at once; a connection without a descriptor is taken to.
func clientWritable(nc net.Conn) bool {
	w := true
	onSock(nc, func(fd uintptr) { w = sockTakesWrite(fd) })
	return w
}

// spillResponse writes p, filtered response data the client cannot take
// now, to the response's temporary file, which the first call creates in
// proxy_temp_path with nginx's [warn] (ngx_write_chain_to_temp_file).
// False when the file cannot be made or written (logged at [crit]): the
// pipe aborts (NGX_ABORT) and nginx finalizes the request with NGX_ERROR,
// the response cut short.
func (x *exchange) spillResponse(s **respSpill, p []byte) bool {
	if *s == nil {
		*s = &respSpill{}
	}
	sp := *s
	if sp.t == nil {
		t, err := x.createTempFile(x.conf.ProxyTempPath, false, false, "reading upstream")
		if err != nil {
			x.broken = true
			return false
		}
		sp.t = t
		x.logEvent(levelWarn, "an upstream response is buffered to a temporary file "+t.name, "", "reading upstream")
	}
	if _, err := sp.t.f.WriteAt(p, sp.written); err != nil {
		x.logEvent(levelCrit, `pwrite() "`+sp.t.name+`" failed`, errnoText(err), "reading upstream")
		x.broken = true
		return false
	}
	sp.written += int64(len(p))
	return true
}

// sendSpilled sends the file's data not sent yet, in pieces of buf's
// size. With stop, it returns (true) as soon as the client would not take
// the next piece at once.
func (x *exchange) sendSpilled(s *respSpill, buf []byte, stop func() bool) bool {
	for s.pending() {
		if stop != nil && stop() {
			return true
		}
		k, err := s.t.f.ReadAt(buf[:min(int64(len(buf)), s.written-s.sent)], s.sent)
		if k == 0 && err != nil && err != io.EOF {
			x.logEvent(levelCrit, `pread() "`+s.t.name+`" failed`, errnoText(err), "sending to client")
			x.broken = true
			return false
		}
		s.sent += int64(k)
		if x.writeBody(buf[:k]) != nil {
			return false
		}
	}
	return true
}
