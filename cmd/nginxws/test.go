package main

import (
	"bufio"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy"
)

// test is -t and -T: read and check the configuration as nginx does, which
// goes beyond the syntax: the pid file must be creatable, the error logs
// openable and the listen addresses bindable (an address in use is fine —
// the running server holds it). It prints nginx's lines on stderr and, for
// -T, every file read on stdout.
func (p *process) test() int {
	startup := p.openStartupLog()
	defer startup.Close()
	cfg, ok := p.testCycle()
	if !ok {
		console(p.stderr, "configuration file "+p.paths.conf+" test failed")
		return 1
	}
	if !p.opts.quiet {
		console(p.stderr, "configuration file "+p.paths.conf+" test is successful")
	}
	if p.opts.dump {
		p.dump(cfg)
	}
	return 0
}

// testCycle runs the checks of -t; failures are logged as they happen.
func (p *process) testCycle() (*directives.Config, bool) {
	cfg, err := p.loadConfig()
	if err != nil {
		return nil, false
	}
	if p.opts.signal != "" {
		// nginx's signaller stops reading the cycle here, so -t -s checks
		// the configuration only.
		return cfg, true
	}
	c, err := p.openCycle(cfg)
	if err != nil {
		return nil, false
	}
	// From here on nginx logs through the configuration's error logs.
	startup := p.log.Use(c.logs)
	defer func() {
		p.log.Use(startup)
		_ = c.logs.Close()
	}()
	if proxy.CheckListen(cfg, p.log) != nil {
		return nil, false
	}
	return cfg, true
}

// dump is -T's output on stdout: each file read, once, under nginx's
// "# configuration file PATH:" header, its content, and a newline.
func (p *process) dump(cfg *directives.Config) {
	w := bufio.NewWriter(p.stdout)
	seen := map[string]bool{}
	for _, f := range cfg.Files {
		if seen[f.Path] {
			continue
		}
		seen[f.Path] = true
		_, _ = w.WriteString("# configuration file " + f.Path + ":\n")
		_, _ = w.Write(f.Content)
		_, _ = w.WriteString("\n")
	}
	_ = w.Flush()
}
