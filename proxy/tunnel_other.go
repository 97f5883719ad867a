//go:build !linux

package proxy

import (
	"errors"
	"net"
)

// Without Linux's epoll and splice(2), tunnels run on goroutines
// (tunnel_plain.go).

// tunnelEv is a tunnel's event-loop state, which this platform lacks.
type tunnelEv struct{}

// startEv reports that the tunnel must run on goroutines.
func (t *tunnel) startEv() bool { return false }

// closeEv is never called here: no tunnel runs on a loop.
func (t *tunnel) closeEv() {}

// tunnelLoop is an event loop, which this platform lacks.
type tunnelLoop struct{}

// newTunnelLoop reports that there is no event loop.
func newTunnelLoop(*bufPool, *pipePool) (*tunnelLoop, error) { return nil, errors.ErrUnsupported }

// stats has no tunnels to count.
func (l *tunnelLoop) stats() int { return 0 }

// stop does nothing.
func (l *tunnelLoop) stop() {}

// pipePool has no pipes to lend here.
type pipePool struct{}

// drain does nothing.
func (*pipePool) drain() {}

// readinessWaiter has no way to wait without reading here: directions
// read at once.
func readinessWaiter(net.Conn) func() { return nil }
