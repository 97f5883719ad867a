package main

import (
	"runtime"
	"strconv"
	"syscall"
)

// osStatus logs nginx's start-up notices (ngx_os_status): the program and
// version, what it was built with, the kernel, and the descriptor limit.
func (p *process) osStatus() {
	p.log.Notice().Msg(verBuild)
	p.log.Notice().Msg("built with " + runtime.Version())
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		p.log.Notice().Msg("OS: " + utsString(u.Sysname[:]) + " " + utsString(u.Release[:]))
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		p.log.Notice().Msg("getrlimit(RLIMIT_NOFILE): " + rlim(lim.Cur) + ":" + rlim(lim.Max))
	}
}

// rlim formats a limit as nginx's %r: RLIM_INFINITY prints as -1.
func rlim(v uint64) string {
	if v == ^uint64(0) {
		return "-1"
	}
	return strconv.FormatUint(v, 10)
}

// utsString converts a NUL-terminated utsname field (int8 or uint8
// depending on the architecture).
func utsString[T int8 | uint8](f []T) string {
	b := make([]byte, 0, len(f))
	for _, c := range f {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}
