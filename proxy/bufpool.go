package proxy

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Buffer classes for bodies, response heads and copies: powers of two from
// 1 KiB to 64 KiB. A connection borrows one for the duration of a write or a
// copy and gives it back, so that an idle keepalive connection or a parked
// tunnel holds none (DESIGN.md).
const (
	minBufShift = 10
	maxBufShift = 16
	numBufClass = maxBufShift - minBufShift + 1
)

// buf is one pooled byte slice, passed as a pointer so that putting it back
// does not allocate.
type buf struct {
	b     []byte
	class int8 // index into bufPool.classes, -1 when not pooled
	// lent is the capacity it had when lent (bufPool.lent).
	lent int
}

// bufPool lends buffers. It is shared by every connection of a Server; the
// zero value is ready to use.
type bufPool struct {
	classes [numBufClass]sync.Pool
	// lent counts the bytes of the buffers lent and not yet given back:
	// what idle connections and tunnels must not hold (tests check it).
	lent atomic.Int64
}

// get returns a buffer whose b has length n (capacity may be larger). Sizes
// above the largest class are allocated and dropped after use.
func (p *bufPool) get(n int) *buf {
	b := p.take(n)
	b.lent = cap(b.b)
	p.lent.Add(int64(b.lent))
	return b
}

// take is get without the count.
func (p *bufPool) take(n int) *buf {
	c := bufClass(n)
	if c < 0 {
		return &buf{b: make([]byte, n), class: -1}
	}
	if v := p.classes[c].Get(); v != nil {
		b := v.(*buf)
		b.b = b.b[:n]
		return b
	}
	b := make([]byte, 1<<(c+minBufShift))
	return &buf{b: b[:n], class: int8(c)}
}

// put gives b back; it must not be used afterwards. A buffer that grew by
// append past its class goes back to the class its capacity fits.
func (p *bufPool) put(b *buf) {
	if b == nil {
		return
	}
	p.lent.Add(-int64(b.lent))
	b.lent = 0
	if b.class < 0 {
		return
	}
	if c := bufClass(cap(b.b)); c >= 0 && 1<<(c+minBufShift) == cap(b.b) {
		b.class = int8(c)
	} else if cap(b.b) < 1<<(int(b.class)+minBufShift) {
		return
	}
	b.b = b.b[:0]
	p.classes[b.class].Put(b)
}

// bufClass returns the class serving n bytes, or -1 when n is larger than
// the largest class.
func bufClass(n int) int {
	if n <= 1<<minBufShift {
		return 0
	}
	shift := bits.Len(uint(n - 1))
	if shift > maxBufShift {
		return -1
	}
	return shift - minBufShift
}
