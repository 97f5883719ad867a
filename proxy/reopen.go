package proxy

import (
	"os"
	"slices"

	"github.com/nginxws/nginxws/proxy/errlog"
)

// ReopenLogs reopens the log files (SIGUSR1) as ngx_reopen_files: every
// file once, in the order the configuration names them
// (directives.Main.LogFiles; then main's other files, the -e default, and
// the access logs of replaced configurations still in use), main's error
// log files, the levels' error logs and the access logs alike, an access
// log once its buffered lines are written. A file that cannot be opened
// is reported once, on main, as nginx's `open() "…" failed` at [emerg],
// and keeps its old descriptor wherever it is held.
func (s *Server) ReopenLogs(main *errlog.Log) {
	cfg := s.Config()
	order := slices.Clone(cfg.Main.LogFiles)
	for _, p := range append(main.Paths(), s.logs.paths()...) {
		if p != stderrAccessLog && !slices.Contains(order, p) {
			order = append(order, p)
		}
	}
	failed := map[string]bool{}
	for _, p := range order {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			main.Emerg().Str(errlog.FieldErrno, errlog.Errno(err)).Msg(`open() "` + p + `" failed`)
			failed[p] = true
			continue
		}
		_ = f.Close()
	}
	main.ReopenExcept(failed)
	s.logs.reopen(failed)
	s.rt.Load().errLogs.reopen(failed)
}
