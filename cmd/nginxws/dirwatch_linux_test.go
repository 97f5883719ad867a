package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// nextEvent returns the next name dw reports.
func nextEvent(t *testing.T, dw *dirWatch) string {
	t.Helper()
	select {
	case name := <-dw.Events:
		return name
	case err := <-dw.Errors:
		t.Fatalf("watch error: %v", err)
	case <-time.After(waitTimeout):
		t.Fatal("no event")
	}
	return ""
}

// TestDirWatchEvents: a file written in place is reported once its writer
// closes it, not at its truncation or its writes (a reload would read it
// half written), so a log file kept open beside the configuration is never
// reported; a chmod is not either. Names created, renamed and deleted
// are; a directory deleted leaves the watch list. Each check ends with a
// marker file created after the actions: events come in order, so what
// came before the marker is all the actions gave.
func TestDirWatchEvents(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.conf")
	write(t, conf, "old\n")
	dw, err := newDirWatch()
	if err != nil {
		t.Fatal(err)
	}
	defer dw.Close()
	if err := dw.Add(dir); err != nil {
		t.Fatal(err)
	}
	n := 0
	upTo := func(what string) []string {
		t.Helper()
		n++
		marker := filepath.Join(dir, "marker"+string(rune('a'+n)))
		write(t, marker, "")
		var got []string
		for {
			name := nextEvent(t, dw)
			if name == marker {
				// Its own close comes next.
				if next := nextEvent(t, dw); next != marker {
					t.Fatalf("%s: after the marker's creation %s, want its close", what, next)
				}
				return got
			}
			got = append(got, name)
		}
	}

	f, err := os.OpenFile(conf, os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("new\n"); err != nil {
		t.Fatal(err)
	}
	log, err := os.OpenFile(filepath.Join(dir, "access.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	if err := os.Chmod(conf, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := upTo("truncation, write, chmod, a log opened"); len(got) != 1 || got[0] != filepath.Join(dir, "access.log") {
		t.Errorf("events %q, want only the log's creation", got)
	}
	for i := 0; i < 3; i++ {
		if _, err := log.WriteString("a line\n"); err != nil {
			t.Fatal(err)
		}
	}
	if got := upTo("log writes"); len(got) != 0 {
		t.Errorf("log writes gave events %q", got)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := upTo("the writer's close"); len(got) != 1 || got[0] != conf {
		t.Errorf("events %q, want %s once", got, conf)
	}
	if err := os.Rename(conf, conf+".bak"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(conf + ".bak"); err != nil {
		t.Fatal(err)
	}
	if got := upTo("rename and delete"); len(got) != 3 || got[0] != conf || got[1] != conf+".bak" || got[2] != conf+".bak" {
		t.Errorf("events %q, want %s (moved from), .bak (moved to), .bak (deleted)", got, conf)
	}

	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := dw.Add(sub); err != nil {
		t.Fatal(err)
	}
	if got := upTo("mkdir"); len(got) != 1 || got[0] != sub {
		t.Errorf("events %q, want %s", got, sub)
	}
	if err := os.Remove(sub); err != nil {
		t.Fatal(err)
	}
	upTo("rmdir")
	waitFor(t, "the deleted directory to leave the watch list", func() bool {
		for _, d := range dw.WatchList() {
			if d == sub {
				return false
			}
		}
		return true
	})
}
