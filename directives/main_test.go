package directives

import (
	"path/filepath"
	"testing"
)

// nginxws has no daemon mode: an explicit "daemon on" must say so, and
// "daemon off" (what a foreground nginx is run with) must stay silent.
func TestDaemonOnWarns(t *testing.T) {
	cfg := load(t, "daemon on;\nevents {}\n")
	if len(cfg.Warnings) != 1 || cfg.Warnings[0].Msg != `"daemon" directive is ignored, nginxws always runs in the foreground` || cfg.Warnings[0].Pos.Line != 1 {
		t.Errorf("warnings %+v", cfg.Warnings)
	}
	if cfg := load(t, "daemon off;\nevents {}\n"); len(cfg.Warnings) != 0 {
		t.Errorf("daemon off: warnings %+v", cfg.Warnings)
	}
}

// nginx 1.22 has no "pid off": the word is a file name under the prefix.
func TestPidOffIsAPath(t *testing.T) {
	cfg := load(t, "pid off;\nevents {}\n")
	if filepath.Base(cfg.Main.Pid) != "off" || !filepath.IsAbs(cfg.Main.Pid) {
		t.Errorf("pid = %q, want <prefix>/off", cfg.Main.Pid)
	}
}

// An empty error_log file name is the standard error, as nginx's
// ngx_conf_open_file takes it (not the prefix directory, which -t could
// not open).
func TestErrorLogEmptyNameIsStderr(t *testing.T) {
	cfg := load(t, "error_log '' info;\nevents {}\n")
	if len(cfg.Main.ErrorLogs) != 1 || cfg.Main.ErrorLogs[0].Path != "stderr" || cfg.Main.ErrorLogs[0].Level != LevelInfo {
		t.Errorf("error_log '' info: %+v, want stderr at info", cfg.Main.ErrorLogs)
	}
}

// Where gonginx reads a statement differently than nginx, the compiled
// configuration carries the parser's info-level note for the error log.
func TestParserNotesReachTheConfig(t *testing.T) {
	cfg := load(t, "events {}\nerror_log a\\;b;\n")
	if len(cfg.Notes) != 1 || cfg.Notes[0].Pos.Line != 2 || cfg.Notes[0].Msg != "gonginx reads this statement differently; nginx's reading is used" {
		t.Errorf("notes %+v", cfg.Notes)
	}
	if cfg := load(t, "events {}\n"); len(cfg.Notes) != 0 {
		t.Errorf("notes %+v", cfg.Notes)
	}
}
