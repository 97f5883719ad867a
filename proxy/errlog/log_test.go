package errlog

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stamp matches the time nginx puts at the start of each line.
var stamp = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)

// lines reads path and returns its lines with the timestamp checked and
// removed, so that tests compare the rest exactly.
func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if b[len(b)-1] != '\n' {
		t.Fatalf("%s does not end with a newline: %q", path, b)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if !stamp.MatchString(l) {
			t.Fatalf("line without nginx's timestamp: %q", l)
		}
		out = append(out, stamp.ReplaceAllString(l, ""))
	}
	return out
}

func equal(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func openSet(t *testing.T, targets ...Target) *Set {
	t.Helper()
	s, err := Open(targets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestLineFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	l := New("nginxws", 4242, tempFile(t), openSet(t, Target{Path: path, Level: LevelDebug}))

	l.Notice().Msg("signal process started")
	l.Error().Uint64(FieldConn, 7).
		Str(FieldErrno, Errno(syscall.ETIMEDOUT)).
		Str(FieldAction, "reading response header from upstream").
		Str("client", "127.0.0.1").
		Str("server", "localhost").
		Str("request", "GET / HTTP/1.1").
		Str("upstream", "http://127.0.0.1:8081/").
		Str("host", "localhost:8080").
		Msg("upstream timed out")
	l.Emerg().Msg(`unknown directive "foo" in /etc/nginx/nginx.conf:3`)

	equal(t, lines(t, path),
		"[notice] 4242#4242: signal process started",
		// nginx 1.22's line for the same event, field for field.
		`[error] 4242#4242: *7 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: localhost, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8081/", host: "localhost:8080"`,
		`[emerg] 4242#4242: unknown directive "foo" in /etc/nginx/nginx.conf:3`,
	)
}

func TestTimestampIsLocalTimeNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	l := New("nginxws", 1, tempFile(t), openSet(t, Target{Path: path, Level: LevelNotice}))
	before := time.Now().Truncate(time.Second)
	l.Notice().Msg("x")
	after := time.Now()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := time.ParseInLocation("2006/01/02 15:04:05", string(b[:19]), time.Local)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Before(before) || ts.After(after) {
		t.Errorf("timestamp %v not between %v and %v", ts, before, after)
	}
}

func TestEscapesAndValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	l := New("nginxws", 1, tempFile(t), openSet(t, Target{Path: path, Level: LevelInfo}))
	l.Info().Int("n", -3).Bool("b", true).Float64("f", 1.5).
		Msg("quote \" backslash \\ tab \t ctl \x01 é 😀 bad \xff")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := stamp.ReplaceAllString(string(b), "")
	// zerolog replaces invalid UTF-8 with U+FFFD; everything else comes
	// back byte for byte.
	want := "[info] 1#1: quote \" backslash \\ tab \t ctl \x01 é 😀 bad \ufffd, n: -3, b: true, f: 1.5\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestLevelsPerTarget(t *testing.T) {
	dir := t.TempDir()
	errPath := filepath.Join(dir, "error.log")
	dbgPath := filepath.Join(dir, "debug.log")
	l := New("nginxws", 9, tempFile(t), openSet(t,
		Target{Path: errPath, Level: LevelError},
		Target{Path: dbgPath, Level: LevelDebug},
	))

	for _, lvl := range []Level{LevelDebug, LevelInfo, LevelNotice, LevelWarn, LevelError, LevelCrit, LevelAlert, LevelEmerg} {
		l.WithLevel(lvl).Msg("at " + lvl.String())
	}
	equal(t, lines(t, errPath),
		"[error] 9#9: at error", "[crit] 9#9: at crit", "[alert] 9#9: at alert", "[emerg] 9#9: at emerg")
	equal(t, lines(t, dbgPath),
		"[debug] 9#9: at debug", "[info] 9#9: at info", "[notice] 9#9: at notice", "[warn] 9#9: at warn",
		"[error] 9#9: at error", "[crit] 9#9: at crit", "[alert] 9#9: at alert", "[emerg] 9#9: at emerg")

	if l.Debug() == nil || !l.Enabled(LevelDebug) {
		t.Error("debug disabled although a target takes it")
	}
	l.Use(openSet(t, Target{Path: errPath, Level: LevelWarn}))
	if l.Notice() != nil || l.Enabled(LevelNotice) {
		t.Error("notice enabled with only a warn target")
	}
}

func TestStderrTargetAndMirror(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	stderr := tempFile(t)
	l := New("nginxws", 5, stderr, openSet(t, Target{Path: path, Level: LevelNotice}))

	// Without the mirror, nothing reaches stderr.
	l.Emerg().Msg("one")
	// With it, warn and more severe are repeated as "nginxws: [level] …",
	// without time, pid or connection; notice is not.
	l.SetMirror(true)
	l.Notice().Msg("two")
	l.Warn().Uint64(FieldConn, 3).Str("client", "::1").Msg("three")
	l.Emerg().Msg("four")

	equal(t, lines(t, path),
		"[emerg] 5#5: one", "[notice] 5#5: two", "[warn] 5#5: *3 three, client: ::1", "[emerg] 5#5: four")
	b, err := os.ReadFile(stderr.Name())
	if err != nil {
		t.Fatal(err)
	}
	if want := "nginxws: [warn] three, client: ::1\nnginxws: [emerg] four\n"; string(b) != want {
		t.Errorf("stderr got %q, want %q", b, want)
	}

	// A stderr target gets the full line, and then there is no mirror copy.
	stderr2 := tempFile(t)
	l2 := New("nginxws", 6, stderr2, openSet(t, Target{Path: StderrPath, Level: LevelNotice}))
	l2.SetMirror(true)
	l2.Emerg().Msg("five")
	equal(t, lines(t, stderr2.Name()), "[emerg] 6#6: five")
}

func TestMirrorWithoutTargets(t *testing.T) {
	stderr := tempFile(t)
	l := New("nginxws", 5, stderr, nil)
	if l.Enabled(LevelWarn) {
		t.Fatal("enabled with no target and no mirror")
	}
	l.SetMirror(true)
	l.Notice().Msg("dropped")
	l.Error().Msg("kept")
	b, _ := os.ReadFile(stderr.Name())
	if string(b) != "nginxws: [error] kept\n" {
		t.Errorf("got %q", b)
	}
}

func TestSamePathTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	s := openSet(t, Target{Path: path, Level: LevelError}, Target{Path: path, Level: LevelInfo})
	if len(s.files) != 1 {
		t.Fatalf("%d descriptors for one path, want 1", len(s.files))
	}
	l := New("nginxws", 1, tempFile(t), s)
	l.Info().Msg("info")
	l.Error().Msg("error")
	// Like nginx, each target writes: a message both admit appears twice.
	equal(t, lines(t, path), "[info] 1#1: info", "[error] 1#1: error", "[error] 1#1: error")
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "error.log")
	l := New("nginxws", 2, tempFile(t), openSet(t, Target{Path: path, Level: LevelNotice}))
	l.Notice().Msg("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Notice().Msg("after rename")
	l.Reopen()
	l.Notice().Msg("after reopen")
	equal(t, lines(t, path+".1"), "[notice] 2#2: before", "[notice] 2#2: after rename")
	equal(t, lines(t, path), "[notice] 2#2: after reopen")
}

func TestReopenFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "logs")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sub, "error.log")
	l := New("nginxws", 2, tempFile(t), openSet(t, Target{Path: path, Level: LevelNotice}))
	if err := os.Rename(sub, sub+".old"); err != nil {
		t.Fatal(err)
	}
	l.Reopen()
	l.Notice().Msg("still here")
	equal(t, lines(t, filepath.Join(sub+".old", "error.log")),
		`[emerg] 2#2: open() "`+path+`" failed (2: No such file or directory)`,
		"[notice] 2#2: still here")
}

func TestOpenError(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.log")
	bad := filepath.Join(dir, "missing", "error.log")
	_, err := Open([]Target{{Path: good, Level: LevelError}, {Path: bad, Level: LevelError}})
	want := `open() "` + bad + `" failed (2: No such file or directory)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	if !errors.Is(err, syscall.ENOENT) {
		t.Error("error does not unwrap to ENOENT")
	}
}

func TestErrno(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{syscall.EADDRINUSE, "98: Address already in use"},
		{os.NewSyscallError("bind", syscall.EACCES), "13: Permission denied"},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.EISDIR}, "21: Is a directory"},
		{syscall.Errno(4000), "4000: Unknown error 4000"},
		{errors.New("plain"), "plain"},
		{nil, ""},
	} {
		if got := Errno(c.err); got != c.want {
			t.Errorf("Errno(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestLongLineIsCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	l := New("nginxws", 1, tempFile(t), openSet(t, Target{Path: path, Level: LevelNotice}))
	l.Notice().Msg(strings.Repeat("a", 5000))
	b, _ := os.ReadFile(path)
	if len(b) != maxLine || b[len(b)-1] != '\n' {
		t.Errorf("line of %d bytes, want %d ending in a newline", len(b), maxLine)
	}
}

func TestZerologLevelsMap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	l := New("nginxws", 1, tempFile(t), openSet(t, Target{Path: path, Level: LevelDebug}))
	zl := l.Logger()
	zl.Info().Msg("i")
	zl.Warn().Msg("w")
	zl.Error().Msg("e")
	zl.Log().Msg("n")
	equal(t, lines(t, path), "[info] 1#1: i", "[warn] 1#1: w", "[error] 1#1: e", "[notice] 1#1: n")
}

func TestNoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	path := filepath.Join(t.TempDir(), "error.log")
	l := New("nginxws", 1, tempFile(t), openSet(t, Target{Path: path, Level: LevelInfo}))
	n := testing.AllocsPerRun(200, func() {
		l.Error().Uint64(FieldConn, 12).Str("client", "127.0.0.1").Msg("client closed connection")
		l.Debug().Msg("disabled level")
	})
	if n != 0 {
		t.Errorf("%v allocations per logged line, want 0", n)
	}
}

func BenchmarkLine(b *testing.B) {
	path := filepath.Join(b.TempDir(), "error.log")
	s, err := Open([]Target{{Path: path, Level: LevelNotice}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	l := New("nginxws", 1, os.Stderr, s)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Error().Uint64(FieldConn, uint64(i)).Str("client", "127.0.0.1").
			Str("request", "GET /"+strconv.Itoa(i&7)+" HTTP/1.1").Msg("upstream prematurely closed connection")
	}
}

func BenchmarkDisabled(b *testing.B) {
	l := New("nginxws", 1, os.Stderr, nil)
	b.ReportAllocs()
	for b.Loop() {
		l.Info().Str("client", "127.0.0.1").Msg("x")
	}
}
