package proxy

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// upgrade switches to a tunnel after the upstream answered 101 to a
// client that asked to upgrade (ngx_http_upstream_upgrade): the 101 head
// goes to the client with "Connection: upgrade", then bytes are relayed
// both ways until either side closes, or until neither has sent anything
// for proxy_read_timeout (nginx re-arms that timer on traffic in either
// direction). Issue 5 replaces this plain copy with the tunnel that holds
// no buffer while idle.
func (x *exchange) upgrade(uc net.Conn, p *proxyPlan) {
	buffering := false
	x.copyResponseHead(p, &buffering)
	x.keepalive = false
	x.out.contentLength = -1
	x.headerOnly = true
	if err := x.sendHead(nil); err != nil {
		return
	}
	x.broken = true // the connection ends with the tunnel
	x.noLinger = true
	cc := x.c.nc
	timeout := x.conf.ProxyReadTimeout
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	done := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			close(done)
			_ = cc.Close()
			_ = uc.Close()
		})
	}
	// Bytes that arrived with the heads go first.
	if b := x.c.rd.Buffered(); len(b) > 0 {
		setWriteDeadline(uc, x.conf.ProxySendTimeout)
		if _, err := uc.Write(b); err != nil {
			stop()
			return
		}
		x.c.rd.Discard(len(b))
	}
	var toClient int64
	if b := x.ur.Buffered(); len(b) > 0 {
		setWriteDeadline(cc, x.conf.SendTimeout)
		n, err := cc.Write(b)
		toClient += int64(n)
		if err != nil {
			stop()
			return
		}
		x.ur.Discard(len(b))
	}
	var wg sync.WaitGroup
	var timedOut atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		n := x.pipe(uc, cc, x.conf.SendTimeout, timeout, &last, done, &timedOut)
		atomic.AddInt64(&toClient, n)
		stop()
	}()
	x.pipe(cc, uc, x.conf.ProxySendTimeout, timeout, &last, done, &timedOut)
	stop()
	wg.Wait()
	if timedOut.Load() {
		x.logEvent(levelError, "upstream timed out", "110: Connection timed out", "proxying upgraded connection")
	}
	x.bytesSent += atomic.LoadInt64(&toClient)
}

// pipe copies from src to dst until either fails or the tunnel has been
// idle in both directions for idle; it returns the bytes copied.
func (x *exchange) pipe(src, dst net.Conn, sendTimeout, idle time.Duration, last *atomic.Int64, done chan struct{}, timedOut *atomic.Bool) int64 {
	b := x.c.s.bufs.get(16384)
	defer x.c.s.bufs.put(b)
	buf := b.b[:cap(b.b)]
	var total int64
	for {
		if idle > 0 {
			_ = src.SetReadDeadline(time.Unix(0, last.Load()).Add(idle))
		}
		n, err := src.Read(buf)
		if n > 0 {
			last.Store(time.Now().UnixNano())
			setWriteDeadline(dst, sendTimeout)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return total
			}
			total += int64(n)
		}
		if err != nil {
			if isTimeout(err) && idle > 0 && time.Since(time.Unix(0, last.Load())) < idle {
				select {
				case <-done:
					return total
				default:
					continue
				}
			}
			if isTimeout(err) {
				select {
				case <-done:
				default:
					timedOut.Store(true)
				}
			}
			return total
		}
	}
}
