//go:build !unix

package upstream

import "net"

// probe cannot look at an idle socket here: a closed one is found by the
// request that uses it, and retried on a fresh one.
type probe struct{}

func (p *probe) init(net.Conn)       {}
func (p *probe) ensure(net.Conn)     {}
func (p *probe) peekInto([]byte) int { return 0 }
func (p *probe) stillOpen() bool     { return true }
