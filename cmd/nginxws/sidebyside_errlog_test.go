package main

// The side-by-side suite's error-log comparison ("errlog N" in a cases file) and the
// signals a case can send the proxy ("signal reopen").

import (
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// sbsErrLogHead matches what varies at the start of an error-log line: the time, the
// process and thread ids, and the connection number, which nginx also spends on upstream
// connections and readiness checks.
var sbsErrLogHead = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[[a-z]+\]) \d+#\d+: (\*\d+ )?`)

// sbsErrorLogText writes error-log lines with their time, pid and connection number
// normalised, and the case's log masks applied.
func sbsErrorLogText(out *strings.Builder, lines []string, masks []sbsMask) {
	for _, l := range lines {
		l = sbsErrLogHead.ReplaceAllStringFunc(l, func(m string) string {
			sub := sbsErrLogHead.FindStringSubmatch(m)
			if sub[2] != "" {
				return "TIME " + sub[1] + " PID: *N "
			}
			return "TIME " + sub[1] + " PID: "
		})
		for _, m := range masks {
			if m.side == "log" {
				l = regexp.MustCompile(m.name).ReplaceAllString(l, "<masked>")
			}
		}
		fmt.Fprintf(out, "errlog: %s\n", l)
	}
}

// signal sends the proxy the signal a case's "signal" step names. For nginx it goes to
// the master, which passes it on to the worker, as `nginx -s reopen` does.
func (p *sbsProc) signal(name string) {
	if name == "reopen" {
		_ = p.cmd.Process.Signal(syscall.SIGUSR1)
	}
}

// sbsSettleQuiet is how long the logs must stay the same size before a case that
// compares log lines starts; sbsSettleMax bounds the wait.
const (
	sbsSettleQuiet = 60 * time.Millisecond
	sbsSettleMax   = time.Second
)

// sbsSettle waits until the files stop growing. A proxy writes a request's log lines
// after the response has gone out, so the lines of the previous case (which did not wait
// for them) can land after the next case counted the lines already there.
func sbsSettle(paths ...string) {
	size := func() (n int64) {
		for _, p := range paths {
			n += sbsFileSize(p)
		}
		return n
	}
	deadline := time.Now().Add(sbsSettleMax)
	last, since := size(), time.Now()
	for time.Now().Before(deadline) && time.Since(since) < sbsSettleQuiet {
		time.Sleep(5 * time.Millisecond)
		if n := size(); n != last {
			last, since = n, time.Now()
		}
	}
}
