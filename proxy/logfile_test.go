package proxy

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nginxws/nginxws/proxy/errlog"
)

// logFileErrLog returns an error log writing to a file of dir, and that file.
func logFileErrLog(t *testing.T, dir string) (*errlog.Log, string) {
	t.Helper()
	path := filepath.Join(dir, "error.log")
	set, err := errlog.Open([]errlog.Target{{Path: path, Level: errlog.LevelInfo}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return errlog.New("nginxws", 1, os.Stderr, set), path
}

// waitFile waits until path holds want, failing after a while.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	var b []byte
	eventually(t, 5*time.Second, func() bool {
		b, _ = os.ReadFile(path)
		return string(b) == want
	}, func() string { return fmt.Sprintf("%s holds %q, want %q", path, b, want) })
}

// stays checks that path still holds want after d: nothing more was
// written.
func stays(t *testing.T, path, want string, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	if b, _ := os.ReadFile(path); string(b) != want {
		t.Fatalf("%s holds %q, want still %q", path, b, want)
	}
}

func TestLogFileUnbuffered(t *testing.T) {
	dir := t.TempDir()
	log, _ := logFileErrLog(t, dir)
	path := filepath.Join(dir, "access.log")
	f, err := openLogFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	f.write([]byte("one\n"), 0)
	waitFile(t, path, "one\n")
	f.write([]byte("two\n"), 0)
	waitFile(t, path, "one\ntwo\n")
}

// TestLogFileBuffer follows nginx's buffer: lines stay in memory until the
// next one's reserved room does not fit, and a line longer than the buffer
// is written on its own after what the buffer held.
func TestLogFileBuffer(t *testing.T) {
	dir := t.TempDir()
	log, _ := logFileErrLog(t, dir)
	path := filepath.Join(dir, "access.log")
	f, err := openLogFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	f.configure(20, 0, 0)
	f.write([]byte("aaaa\n"), 5)
	f.write([]byte("bbbb\n"), 5)
	stays(t, path, "", 20*time.Millisecond)
	// 10 bytes are used: a line reserving 11 does not fit.
	f.write([]byte("cc\n"), 11)
	waitFile(t, path, "aaaa\nbbbb\n")
	f.write([]byte(strings.Repeat("L", 29)+"\n"), 30)
	waitFile(t, path, "aaaa\nbbbb\ncc\n"+strings.Repeat("L", 29)+"\n")
	f.write([]byte("end\n"), 4)
	f.close()
	waitFile(t, path, "aaaa\nbbbb\ncc\n"+strings.Repeat("L", 29)+"\nend\n")
	// After close, lines are dropped, not written to a closed file.
	f.write([]byte("late\n"), 5)
	stays(t, path, "aaaa\nbbbb\ncc\n"+strings.Repeat("L", 29)+"\nend\n", 10*time.Millisecond)
}

func TestLogFileFlushTimer(t *testing.T) {
	dir := t.TempDir()
	log, _ := logFileErrLog(t, dir)
	path := filepath.Join(dir, "access.log")
	f, err := openLogFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	f.configure(1<<10, 100*time.Millisecond, 0)
	start := time.Now()
	f.write([]byte("x\n"), 2)
	waitFile(t, path, "x\n")
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Errorf("written after %v, before flush=100ms", d)
	}
}

// TestLogFileReopen: a reopen writes the buffer to the old file, then the
// lines go to a new file by the same name (logrotate's rename, then
// SIGUSR1).
func TestLogFileReopen(t *testing.T) {
	dir := t.TempDir()
	log, _ := logFileErrLog(t, dir)
	path := filepath.Join(dir, "access.log")
	f, err := openLogFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	f.configure(1<<10, 0, 0)
	f.write([]byte("before\n"), 7)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	f.reopen()
	f.write([]byte("after\n"), 6)
	waitFile(t, path+".1", "before\n")
	f.flushBuffer()
	waitFile(t, path, "after\n")
}

// TestLogFileReopenFails: a file that cannot be reopened keeps its old
// descriptor, and nginx's [emerg] is logged.
func TestLogFileReopenFails(t *testing.T) {
	dir := t.TempDir()
	log, errPath := logFileErrLog(t, dir)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sub, "access.log")
	f, err := openLogFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(sub, moved); err != nil {
		t.Fatal(err)
	}
	f.reopen()
	f.write([]byte("kept\n"), 0)
	waitFile(t, filepath.Join(moved, "access.log"), "kept\n")
	b, _ := os.ReadFile(errPath)
	if !strings.Contains(string(b), `[emerg] 1#1: open() "`+path+`" failed (2: No such file or directory)`) {
		t.Errorf("error log: %q", b)
	}
}

// TestLogFileGzip: each buffer goes out as one gzip member, which
// together decompress to the lines (as nginx's gzip=).
func TestLogFileGzip(t *testing.T) {
	dir := t.TempDir()
	log, _ := logFileErrLog(t, dir)
	path := filepath.Join(dir, "access.log.gz")
	f, err := openLogFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	f.configure(16, 0, 1)
	for _, l := range []string{"line one\n", "line two\n", "line three\n"} {
		f.write([]byte(l), len(l))
	}
	f.close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte{0x1f, 0x8b, 8}); n != 3 {
		t.Errorf("%d gzip members, want 3", n)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "line one\nline two\nline three\n" {
		t.Errorf("decompressed %q", out)
	}
}

// TestLogFileSlowDisk: with a writer that cannot write (a FIFO nobody
// reads stands for a disk that hangs), requests go on logging without
// waiting until maxPending bytes are pending; only then do they wait, and
// they resume once the disk moves. Nothing is lost.
func TestLogFileSlowDisk(t *testing.T) {
	dir := t.TempDir()
	log, _ := logFileErrLog(t, dir)
	path := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Opening a FIFO for writing waits for a reader: open one first,
	// read nothing yet.
	opened := make(chan *os.File, 1)
	go func() {
		r, err := os.Open(path)
		if err != nil {
			t.Error(err)
		}
		opened <- r
	}()
	f, err := openLogFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	r := <-opened
	defer r.Close()
	line := []byte(strings.Repeat("x", 1023) + "\n")
	// The writer blocks once the pipe is full; the lines pending (those
	// in its hands included) fill up to maxPending without any caller
	// waiting.
	total := 0
	start := time.Now()
	for total+len(line) <= maxPending {
		f.write(line, 0)
		total += len(line)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("logging %d bytes to a blocked file took %v", total, d)
	}
	// The next line must wait for the disk.
	done := make(chan struct{})
	go func() {
		for i := 0; i < 64; i++ {
			f.write(line, 0)
		}
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("logging went on past maxPending while the file was blocked")
	case <-time.After(50 * time.Millisecond):
	}
	// The disk moves: everything arrives.
	got := make(chan int64, 1)
	go func() {
		n, _ := io.Copy(io.Discard, r)
		got <- n
	}()
	<-done
	f.close()
	if n := <-got; n != int64(total+64*len(line)) {
		t.Errorf("read %d bytes, want %d", n, total+64*len(line))
	}
}
