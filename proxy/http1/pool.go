package http1

import (
	"math/bits"
	"sync"
)

// Buffer size classes: powers of two from 512 bytes to 1 MiB. A request for
// n bytes is served from the smallest class that holds n; larger requests
// are allocated and dropped after use.
const (
	minClassShift = 9
	maxClassShift = 20
	numClasses    = maxClassShift - minClassShift + 1
)

// buffer is one pooled byte slice. It travels through sync.Pool as a
// pointer so that putting it back does not allocate.
type buffer struct {
	b     []byte
	class int // index into Pools.classes, or -1 when not pooled
}

// Pools lends the header buffers a [Reader] reads into. The zero value is
// ready to use; one Pools is meant to be shared by every connection of a
// process (it is safe for concurrent use). Buffers come back through
// [Reader.Release], so an idle connection holds none.
type Pools struct {
	classes [numClasses]sync.Pool
}

// classOf returns the pool class serving n bytes, or -1 when n is larger
// than the largest class.
func classOf(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	shift := bits.Len(uint(n - 1))
	if shift > maxClassShift {
		return -1
	}
	return shift - minClassShift
}

// get returns a buffer of at least n bytes.
func (p *Pools) get(n int) *buffer {
	c := classOf(n)
	if c < 0 {
		return &buffer{b: make([]byte, n), class: -1}
	}
	if v := p.classes[c].Get(); v != nil {
		return v.(*buffer)
	}
	return &buffer{b: make([]byte, 1<<(c+minClassShift)), class: c}
}

// put returns b to its class; b must not be used afterwards.
func (p *Pools) put(b *buffer) {
	if b == nil || b.class < 0 {
		return
	}
	p.classes[b.class].Put(b)
}
