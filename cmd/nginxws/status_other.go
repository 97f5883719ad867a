//go:build !linux

package main

import "runtime"

// osStatus logs nginx's start-up notices: the program and version and what
// it was built with.
func (p *process) osStatus() {
	p.log.Notice().Msg(verBuild)
	p.log.Notice().Msg("built with " + runtime.Version())
}
