package main

import (
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"syscall"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// signalNumber maps -s's argument to the signal nginx sends.
func signalNumber(name string) syscall.Signal {
	switch name {
	case "stop":
		return syscall.SIGTERM
	case "quit":
		return syscall.SIGQUIT
	case "reopen":
		return syscall.SIGUSR1
	}
	return syscall.SIGHUP // reload
}

// signal is -s: read the configuration (for its pid directive; an invalid
// configuration fails as it would under -t, without the test lines), then
// send the signal to the pid in the pid file, as nginx's
// ngx_signal_process. Messages go to the start-up error log.
func (p *process) signal() int {
	startup := p.openStartupLog()
	defer startup.Close()
	cfg, err := p.loadConfig()
	if err != nil {
		return 1
	}
	p.log.Notice().Msg("signal process started")

	name := cfg.Main.Pid
	pid, ok := p.readPid(name)
	if !ok {
		return 1
	}
	sig := signalNumber(p.opts.signal)
	if err := syscall.Kill(pid, sig); err != nil {
		p.log.Alert().Msg("kill(" + strconv.Itoa(pid) + ", " + strconv.Itoa(int(sig)) + ") failed (" + errlog.Errno(err) + ")")
		return 1
	}
	return 0
}

// pidFileMax is how much of the pid file nginx reads: NGX_INT64_LEN + 2.
const pidFileMax = 22

// readPid reads the pid file as ngx_signal_process does and logs nginx's
// error when it cannot: the file cannot be opened or read, or does not
// hold a number once trailing CR and LF are dropped. nginx would also
// accept 0 and pass it to kill(), which signals the whole process group
// (the caller's shell included), and a number past 2147483647, which its
// pid_t truncates (4294967297 signals pid 1, 2147483648 a process group);
// nginxws calls those invalid numbers.
func (p *process) readPid(name string) (int, bool) {
	f, err := os.Open(name)
	if err != nil {
		p.log.Error().Msg(`open() "` + name + `" failed (` + errlog.Errno(err) + ")")
		return 0, false
	}
	buf := make([]byte, pidFileMax)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		p.log.Crit().Msg(`pread() "` + name + `" failed (` + errlog.Errno(err) + ")")
		_ = f.Close()
		return 0, false
	}
	if err := f.Close(); err != nil {
		p.log.Alert().Msg(`close() "` + name + `" failed (` + errlog.Errno(err) + ")")
	}
	for n > 0 && (buf[n-1] == '\r' || buf[n-1] == '\n') {
		n--
	}
	text := string(buf[:n])
	pid, ok := directives.Atoi(text)
	if !ok || pid == 0 || pid > math.MaxInt32 {
		p.log.Error().Msg(`invalid PID number "` + text + `" in "` + name + `"`)
		return 0, false
	}
	return int(pid), true
}
