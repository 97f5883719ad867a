//go:build !linux

package proxy

// eofBehindBytes tells whether sockState sees a peer's end of file even
// when bytes are queued before it: not here.
const eofBehindBytes = false

// sockState is peekFD: an end of file behind queued bytes is not seen.
func sockState(fd uintptr) peekResult { return peekFD(fd) }

// sockTakesWrite cannot look here: a write is taken to be accepted.
func sockTakesWrite(uintptr) bool { return true }
