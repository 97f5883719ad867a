package proxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nginxws/nginxws/proxy/errlog"
)

// The portable tunnel engine: each direction is a goroutine reading its
// source into a pooled buffer and writing it on, under the tunnel's
// timers. It serves platforms without the event loop (tunnel_linux.go),
// connections without a descriptor (TLS), and Linux when the loop cannot
// be had. A waiting direction holds its goroutine, and its buffer only
// when its source is a TLS connection.

// plainTunnel is the goroutine engine's state of a tunnel.
type plainTunnel struct {
	client, up net.Conn
	// pending counts the directions not yet done; the last one to end
	// ends the tunnel.
	pending atomic.Int32
	// moved counts the bytes each direction wrote.
	moved [2]atomic.Int64
	// last is when bytes last moved (nanoseconds since start, on the
	// monotonic clock, so that a step of the wall clock changes no
	// timeout); blocked counts writes waiting for their peer, during
	// which the write's own timeout governs; timer is the idle timer,
	// re-armed lazily.
	start   time.Time
	last    atomic.Int64
	blocked atomic.Int32
	timer   *time.Timer

	// mu orders the first failure (its log line) before the end of the
	// tunnel; closing is set from then on.
	mu      sync.Mutex
	closing bool
	// terminated is set when the tunnel ends the way nginx terminates a
	// request (a client timeout, a shutdown): not $request_completion.
	// lingering is set when the client's socket is closed lingering
	// (tunnel.linger), by the client's direction once it stops.
	terminated bool
	lingering  bool
}

// startPlain runs the tunnel on two goroutines.
func (t *tunnel) startPlain() {
	p := &plainTunnel{client: t.client, up: t.up, start: time.Now()}
	t.client, t.up = nil, nil
	p.pending.Store(2)
	// The idle timer runs from when nginx would have armed it (upgrade).
	p.last.Store(-int64(t.armedAgo(p.start)))
	t.plain = p
	if t.idle > 0 {
		p.timer = time.AfterFunc(t.idle+time.Duration(p.last.Load()), t.idleCheck)
	}
	go t.runPlain(toUpstream, p.client, p.up)
	go t.runPlain(toClient, p.up, p.client)
	t.engine.Store(enginePlain)
}

// closePlain ends a tunnel run by goroutines, without a log line (a
// shutdown: nginx terminates the request, no lingering close).
func (t *tunnel) closePlain() {
	p := t.plain
	p.mu.Lock()
	if !p.closing {
		p.terminated = true
	}
	p.mu.Unlock()
	t.failPlain(levelInfo, "", "")
}

// idleCheck runs when the idle timer fires: a tunnel that has seen
// traffic since is given the rest of its time, one without is closed with
// nginx's line. While a write is blocked, that write's timeout governs.
func (t *tunnel) idleCheck() {
	p := t.plain
	left := t.idle - (time.Since(p.start) - time.Duration(p.last.Load()))
	if p.blocked.Load() > 0 && left <= 0 {
		left = t.idle
	}
	if left > 0 {
		p.mu.Lock()
		if !p.closing {
			p.timer.Reset(left)
		}
		p.mu.Unlock()
		return
	}
	t.failPlain(levelInfo, "upstream timed out", "110: Connection timed out")
}

// failPlain ends the tunnel for a reason logged in nginx's words (none
// when msg is empty): the first failure is logged, the sockets are
// closed (the client's lingering when its bytes wait, see shut), and the
// directions end as they notice.
func (t *tunnel) failPlain(lvl errlog.Level, msg, errno string) {
	p := t.plain
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return
	}
	p.closing = true
	if msg != "" {
		t.rec.logEvent(lvl, msg, errno, tunnelAction)
		// proxy_read_timeout: nginx finalizes the request, lingering
		// if the client's bytes wait.
		p.lingering = t.lingerSettings.wanted(func() bool { return readable(p.client) })
	}
	linger := p.lingering
	p.mu.Unlock()
	p.shut(linger, t.lingerSettings.timeout)
}

// shut closes both sockets, which ends the directions (their reads and
// writes fail). With linger, the client's socket is only shut down for
// writing, and its reads are given timeout (lingering_timeout): its
// direction then closes it lingering (runPlain).
func (p *plainTunnel) shut(linger bool, timeout time.Duration) {
	_ = p.up.Close()
	if !linger {
		_ = p.client.Close()
		return
	}
	if cw, ok := p.client.(closeWriter); ok {
		_ = cw.CloseWrite()
	}
	_ = p.client.SetReadDeadline(time.Now().Add(timeout))
}

// idleReadSize is the buffer a TLS direction waits with between bursts.
const idleReadSize = 1 << 10

// runPlain moves bytes of direction dir from src to dst until src ends or
// the tunnel fails.
func (t *tunnel) runPlain(dir int, src, dst net.Conn) {
	p := t.plain
	// A plain socket is waited on before a buffer is borrowed, so that a
	// direction idle for hours holds none. A TLS connection may hold
	// decrypted bytes its socket no longer shows, so it is read at once,
	// with a buffer held while it waits: a small one, unless the last
	// read filled one (a burst goes on with copySize until a read comes
	// back short).
	waitReadable := readinessWaiter(src)
	size := copySize
	if waitReadable == nil {
		size = idleReadSize
	}
	var lastErr error
	for {
		if waitReadable != nil {
			waitReadable()
		}
		b := t.s.bufs.get(size)
		buf := b.b[:cap(b.b)]
		n, err := src.Read(buf)
		lastErr = err
		if waitReadable == nil {
			if n == len(buf) {
				size = copySize
			} else {
				size = idleReadSize
			}
		}
		if n > 0 {
			// The idle timer is re-armed as nginx's is (rearm).
			if now := int64(time.Since(p.start)); now-p.last.Load() >= int64(timerLazyDelay) {
				p.last.Store(now)
			}
			_ = dst.SetWriteDeadline(time.Now().Add(writeTimer(t.sendTimeout[dir])))
			p.blocked.Add(1)
			w, werr := dst.Write(buf[:n])
			p.blocked.Add(-1)
			p.moved[dir].Add(int64(w))
			if werr != nil {
				t.s.bufs.put(b)
				t.plainFailed(dir, werr, false)
				break
			}
		}
		t.s.bufs.put(b)
		if err == io.EOF {
			if cw, ok := dst.(closeWriter); ok {
				_ = cw.CloseWrite()
			}
			break
		}
		if err != nil {
			t.plainFailed(dir, err, true)
			break
		}
	}
	if dir == toUpstream {
		p.mu.Lock()
		linger := p.lingering
		p.mu.Unlock()
		switch {
		case linger && !isTimeout(lastErr):
			t.linger(src)
		case linger:
			// lingering_timeout passed without a byte.
			_ = src.Close()
		}
	}
	if p.pending.Add(-1) == 0 {
		t.endPlain()
	}
}

// plainFailed ends the tunnel after a read (reading) or write error of
// direction dir. An error caused by the tunnel closing its own sockets is
// not logged.
func (t *tunnel) plainFailed(dir int, err error, reading bool) {
	p := t.plain
	p.mu.Lock()
	if p.closing || errors.Is(err, net.ErrClosed) {
		p.closing = true
		linger := p.lingering
		p.mu.Unlock()
		p.shut(linger, t.lingerSettings.timeout)
		return
	}
	p.closing = true
	// A client timeout terminates the request (408); a failure of the
	// upstream's side finalizes it, lingering if the client's bytes wait.
	p.terminated = isTimeout(err) && dir == toClient && !reading
	p.lingering = (dir == toUpstream) != reading && t.lingerSettings.wanted(func() bool { return readable(p.client) })
	logMoveError(t.rec, err, dir == toUpstream, reading)
	linger := p.lingering
	p.mu.Unlock()
	p.shut(linger, t.lingerSettings.timeout)
}

// endPlain ends the tunnel once both directions are done.
func (t *tunnel) endPlain() {
	p := t.plain
	p.mu.Lock()
	p.closing = true
	if p.timer != nil {
		p.timer.Stop()
	}
	complete := !p.terminated
	p.mu.Unlock()
	p.shut(false, 0)
	t.finalize(p.moved[toClient].Load(), p.moved[toUpstream].Load(), complete)
}
