// Command nginxws is an nginx-compatible reverse proxy. It takes nginx's
// command line (-c -p -e -g -t -T -q -s -v -V -h), reads nginx.conf with
// nginx's rules, prints nginx's messages with its own name, and runs in the
// foreground as one process: it binds the configuration's listen
// addresses, writes the pid file, and answers nginx's signals (TERM and INT
// stop at once, QUIT stops gracefully, HUP reloads the configuration, USR1
// reopens the log files). It also reloads by itself when a file of the
// configuration changes, unless run with -w off (watch.go). There is no
// daemon mode.
//
// The start-up sequence follows nginx's main() and ngx_init_cycle() step by
// step, because which messages appear, where and in what order depends on
// it: the built-in error log (-e) first, then the configuration, the
// error_log files it names, the listening sockets, the pid file, and only
// then the switch of stderr to the error log.
package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"
)

// program is the name nginxws prints where nginx prints "nginx".
const program = "nginxws"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is nginxws given its arguments (without the program name) and its
// standard output and error; it returns the exit status.
func run(args []string, stdout, stderr *os.File) int {
	o, err := parseOptions(args)
	if err != nil {
		console(stderr, err.Error())
		return 1
	}
	if o.showVersion {
		_, _ = io.WriteString(stderr, versionInfo(o))
		if !o.test {
			return 0
		}
	}
	p := &process{
		opts:   o,
		paths:  resolvePaths(o),
		stdout: stdout,
		stderr: stderr,
		pid:    os.Getpid(),
	}
	if o.test || o.signal != "" {
		// A short-lived run: signals keep their default effect, except
		// that Go's SIGQUIT would dump every goroutine's stack.
		quit := make(chan os.Signal, 1)
		signal.Notify(quit, syscall.SIGQUIT)
		go func() {
			<-quit
			os.Exit(1)
		}()
		if o.test {
			return p.test()
		}
		return p.signal()
	}
	return p.run()
}

// console writes one of nginx's console lines (ngx_log_stderr):
// "nginxws: " and the message.
func console(w io.Writer, msg string) {
	_, _ = io.WriteString(w, program+": "+msg+"\n")
}
