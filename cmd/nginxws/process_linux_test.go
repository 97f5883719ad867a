//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
)

// TestWorkerRlimitNofile: worker_rlimit_nofile sets the process's limit on
// open files, soft and hard, as nginx's workers set theirs.
func TestWorkerRlimitNofile(t *testing.T) {
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &cur); err != nil {
		t.Fatal(err)
	}
	// A limit under the hard one, which an unprivileged process may set,
	// and unlike the current soft one.
	want := uint64(1000)
	if cur.Cur == want || cur.Max < want {
		t.Fatalf("limits %d/%d leave no room for the test", cur.Cur, cur.Max)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "nginx.conf"), "worker_rlimit_nofile 1000;\n"+runConf(dir, freePort(t)))
	s := start(t, dir, filepath.Join(dir, "nginx.pid"), args(dir)...)
	// The limit is set once the listening sockets are open (as nginx's
	// workers set theirs after the master opened them), so a process
	// that already accepts connections may not have set it yet.
	waitFor(t, "Max open files 1000 (soft and hard) in /proc/PID/limits", func() bool {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", s.pid()))
		if err != nil {
			t.Fatal(err)
		}
		line := regexp.MustCompile(`(?m)^Max open files +(\d+) +(\d+) +files`).FindStringSubmatch(string(b))
		return line != nil && line[1] == "1000" && line[2] == "1000"
	})
}
