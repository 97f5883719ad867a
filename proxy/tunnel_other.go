//go:build !linux

package proxy

import "errors"

// Without Linux's splice(2) and epoll, each tunnel direction is a
// goroutine copying through a pooled buffer (see runPlain).

// dirOS is what a direction keeps on this platform: nothing.
type dirOS struct{}

// start begins moving a direction on its own goroutine.
func (d *direction) start() { go d.runPlain() }

// finish ends a direction run by a goroutine.
func (d *direction) finish() {
	d.state.Store(dirDone)
	d.t.dirDone()
}

// release has nothing to give back here.
func (d *direction) release() {}

// tunnelPoller is the readiness loop, which this platform lacks.
type tunnelPoller struct{}

// newTunnelPoller reports that there is no readiness loop.
func newTunnelPoller() (*tunnelPoller, error) { return nil, errors.ErrUnsupported }

// stop does nothing.
func (p *tunnelPoller) stop() {}

// pipePool has no pipes to lend here.
type pipePool struct{}

// drain does nothing.
func (pipePool) drain() {}
