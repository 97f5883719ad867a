//go:build !linux

package proxy

import (
	"errors"
	"time"
)

// Without epoll, idle keepalive connections wait on goroutines
// (idlepark_linux.go).

type idleParker struct{}

type parkRef struct{}

func newIdleParker() (*idleParker, error) { return nil, errors.ErrUnsupported }

func (*idleParker) park(*conn, time.Time) bool { return false }
func (*idleParker) wakeConn(*conn)             {}
func (*idleParker) parked() int                { return 0 }
func (*idleParker) stop()                      {}

// idleStackBound is the most stack an idle keepalive connection may cost
// (TestIdleConnectionCost): its goroutine's.
const idleStackBound = 2600
