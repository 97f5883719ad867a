package proxy

import (
	"bytes"
	"compress/gzip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nginxws/nginxws/proxy/errlog"
)

// logFile is one open access log file and its writer.
//
// Requests never write to the disk themselves: a line is appended to
// memory under the file's own mutex (no lock shared between files, none
// held across a write(2)), and the file's writer goroutine writes what has
// collected. Two stages, as nginx's buffer= and its write(2):
//
//   - buf is nginx's buffer (access_log … buffer=size): lines collect there
//     until the next one does not fit, flush= passes, the logs are reopened
//     or reloaded, or the server stops. Without buffer= every line is
//     handed to the writer at once, as nginx writes each line with its own
//     write(2).
//   - pending is what has been handed to the writer and is not written
//     yet. It is bounded (maxPending): when the disk is slower than the
//     requests, a request that cannot add its line waits for the writer to
//     make room. nginx blocks its whole worker in write(2) there; nginxws
//     blocks only the requests logging to that file, and drops nothing.
//
// The bytes reaching the file are exactly nginx's; only the grouping into
// write(2) calls differs (the writer writes everything pending at once).
type logFile struct {
	path string
	log  *errlog.Log
	// configs counts the configurations (runtimes) naming the file that
	// are in use; guarded by accessLogs.mu.
	configs int

	mu sync.Mutex
	// room is signalled when the writer has taken pending.
	room *sync.Cond
	// size, flush and level are buffer=, flush= and gzip=: 0 when absent.
	size   int
	flush  time.Duration
	level  int
	hasBuf atomic.Bool // size > 0
	buf    []byte
	timer  *time.Timer
	// pending holds the chunks handed to the writer, in order; pendingLen
	// counts their bytes.
	pending    []logChunk
	pendingLen int
	spare      [][]byte
	closed     bool
	// wake tells the writer that pending is not empty (capacity 1).
	wake chan struct{}
	done chan struct{}

	// Owned by the writer goroutine.
	fd        *os.File
	gz        *gzip.Writer
	gzLevel   int
	gzBuf     bytes.Buffer
	alertTime time.Time
}

// logChunk is one unit of work for the writer: bytes to write (as one
// gzip member when level > 0), or a reopen of the file.
type logChunk struct {
	data   []byte
	level  int
	reopen bool
}

// maxPending bounds the bytes waiting for the writer beyond nginx's
// buffer; see logFile.
const maxPending = 256 << 10

// stderrAccessLog is the access_log name that means the standard error:
// ngx_conf_open_file gives an empty name the stderr descriptor (which
// nginx, as nginxws, points at the error log once it runs).
const stderrAccessLog = ""

// openLogFile opens path for appending (mode 0644, created if missing, as
// ngx_open_file with NGX_FILE_APPEND) and starts its writer.
func openLogFile(path string, log *errlog.Log) (*logFile, error) {
	fd := os.Stderr
	if path != stderrAccessLog {
		var err error
		fd, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
	}
	f := &logFile{path: path, log: log, fd: fd, wake: make(chan struct{}, 1), done: make(chan struct{})}
	f.room = sync.NewCond(&f.mu)
	go f.writer()
	return f, nil
}

// configure sets nginx's buffer parameters for the file (a reload may
// change them): what the old buffer holds is handed to the writer first.
func (f *logFile) configure(size int, flush time.Duration, level int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.size == size && f.flush == flush && f.level == level {
		return
	}
	f.handOffLocked()
	f.size, f.flush, f.level = size, flush, level
	f.hasBuf.Store(size > 0)
	f.buf = nil
}

// write logs one line (with its newline) as ngx_http_log_handler: into
// the buffer when there is one and the line fits, the buffer first handed
// to the writer when the line does not fit in what is left; a line longer
// than the whole buffer goes to the writer on its own. Whether it fits is
// decided with reserve, the room nginx reserves for the line
// (directives.State.LogLineLen), which can exceed its length.
func (f *logFile) write(line []byte, reserve int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	if f.size == 0 {
		f.appendLocked(line)
		return
	}
	if reserve > f.size-len(f.buf) {
		f.handOffLocked()
	}
	if reserve > f.size {
		f.queueLocked(logChunk{data: f.copyLocked(line), level: f.level})
		return
	}
	if f.buf == nil {
		f.buf = f.newBufLocked(f.size)
	}
	if len(f.buf) == 0 && f.flush > 0 {
		// nginx arms its flush timer when a line enters an empty buffer.
		if f.timer == nil {
			f.timer = time.AfterFunc(f.flush, f.flushTimer)
		} else {
			f.timer.Reset(f.flush)
		}
	}
	f.buf = append(f.buf, line...)
}

// buffered reports whether the file has nginx's buffer (buffer=),
// without taking the lock: only a reload changes it.
func (f *logFile) buffered() bool { return f.hasBuf.Load() }

// flushTimer is flush=: the buffer goes to the writer.
func (f *logFile) flushTimer() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handOffLocked()
}

// flushBuffer hands the buffer to the writer (ngx_http_log_flush), for a
// reload, a reopen or the end.
func (f *logFile) flushBuffer() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handOffLocked()
}

// reopen flushes the buffer, then has the writer reopen the file once
// everything before it is written (SIGUSR1, ngx_reopen_files).
func (f *logFile) reopen() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.handOffLocked()
	f.queueLocked(logChunk{reopen: true})
}

// close flushes the buffer, waits until the writer has written everything
// and closes the file.
func (f *logFile) close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		<-f.done
		return
	}
	f.handOffLocked()
	f.closed = true
	if f.timer != nil {
		f.timer.Stop()
	}
	f.signalLocked()
	f.mu.Unlock()
	<-f.done
}

// handOffLocked moves the buffer's lines to the writer.
func (f *logFile) handOffLocked() {
	if f.timer != nil {
		f.timer.Stop()
	}
	if len(f.buf) == 0 {
		return
	}
	b := f.buf
	f.buf = f.newBufLocked(f.size)
	f.queueLocked(logChunk{data: b, level: f.level})
}

// queueLocked adds a chunk for the writer, waiting while the writer is
// more than maxPending behind (a slow disk). A reopen never waits.
func (f *logFile) queueLocked(c logChunk) {
	for !c.reopen && f.pendingLen > 0 && f.pendingLen+len(c.data) > maxPending && !f.closed {
		f.room.Wait()
	}
	f.pending = append(f.pending, c)
	f.pendingLen += len(c.data)
	f.signalLocked()
}

func (f *logFile) signalLocked() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// copyLocked copies a line the caller will reuse, into a recycled slice
// when one is big enough.
func (f *logFile) copyLocked(line []byte) []byte {
	b := f.newBufLocked(len(line))
	return append(b, line...)
}

// appendLocked hands an unbuffered line to the writer: appended to the
// last plain chunk waiting when it has room, so that lines logged while
// the writer is busy go out in one write(2).
func (f *logFile) appendLocked(line []byte) {
	for f.pendingLen > 0 && f.pendingLen+len(line) > maxPending && !f.closed {
		f.room.Wait()
	}
	if n := len(f.pending); n > 0 {
		last := &f.pending[n-1]
		if !last.reopen && last.level == 0 && cap(last.data)-len(last.data) >= len(line) {
			last.data = append(last.data, line...)
			f.pendingLen += len(line)
			return
		}
	}
	b := f.newBufLocked(max(len(line), 4096))
	f.queueLocked(logChunk{data: append(b, line...)})
}

// newBufLocked returns an empty slice with room for n bytes, recycled
// from chunks already written when possible.
func (f *logFile) newBufLocked(n int) []byte {
	for i := len(f.spare) - 1; i >= 0; i-- {
		if b := f.spare[i]; cap(b) >= n {
			f.spare[i] = f.spare[len(f.spare)-1]
			f.spare = f.spare[:len(f.spare)-1]
			return b[:0]
		}
	}
	if n < 512 {
		n = 512
	}
	return make([]byte, 0, n)
}

// writer writes what is handed to it, in order, until the file is closed
// and nothing is pending.
func (f *logFile) writer() {
	defer close(f.done)
	var work []logChunk
	for {
		f.mu.Lock()
		for len(f.pending) == 0 && !f.closed {
			f.mu.Unlock()
			<-f.wake
			f.mu.Lock()
		}
		if len(f.pending) == 0 && f.closed {
			f.mu.Unlock()
			if f.path != stderrAccessLog {
				_ = f.fd.Close()
			}
			return
		}
		work, f.pending = f.pending, work[:0]
		f.mu.Unlock()

		f.writeChunks(work)

		f.mu.Lock()
		for i := range work {
			f.pendingLen -= len(work[i].data)
			if cap(work[i].data) <= 64<<10 && len(f.spare) < 8 {
				f.spare = append(f.spare, work[i].data[:0])
			}
			work[i] = logChunk{}
		}
		f.room.Broadcast()
		f.mu.Unlock()
	}
}

// writeChunks writes chunks in order, a gzip chunk as one gzip member
// (ngx_http_log_gzip).
func (f *logFile) writeChunks(work []logChunk) {
	for _, c := range work {
		switch {
		case c.reopen:
			f.reopenFd()
		case c.level > 0:
			f.writeFd(f.compress(c.data, c.level))
		default:
			f.writeFd(c.data)
		}
	}
}

// writeFd writes b, reporting failures as nginx does (ngx_http_log_write):
// at [alert], at most once a minute per file.
func (f *logFile) writeFd(b []byte) {
	n, err := f.fd.Write(b)
	if err == nil && n == len(b) {
		return
	}
	now := time.Now()
	if now.Sub(f.alertTime) < time.Minute {
		return
	}
	f.alertTime = now
	if err != nil && n == 0 {
		f.log.Alert().Str(errlog.FieldErrno, errlog.Errno(err)).Msg(`write() to "` + f.path + `" failed`)
		return
	}
	f.log.Alert().Msg(`write() to "` + f.path + `" was incomplete: ` + strconv.Itoa(n) + " of " + strconv.Itoa(len(b)))
}

// compress returns b as one gzip member, with nginx's header (no name,
// no time, OS Unix).
func (f *logFile) compress(b []byte, level int) []byte {
	f.gzBuf.Reset()
	if f.gz == nil || f.gzLevel != level {
		f.gz, _ = gzip.NewWriterLevel(&f.gzBuf, level)
		f.gzLevel = level
	} else {
		f.gz.Reset(&f.gzBuf)
	}
	f.gz.Header.OS = 3
	_, _ = f.gz.Write(b)
	_ = f.gz.Close()
	return f.gzBuf.Bytes()
}

// reopenFd reopens the file by its path; on failure the old descriptor
// stays and the failure is logged as ngx_reopen_files logs it.
func (f *logFile) reopenFd() {
	if f.path == stderrAccessLog {
		// The standard error is not reopened (nginx skips files
		// without a name).
		return
	}
	fd, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		f.log.Emerg().Str(errlog.FieldErrno, errlog.Errno(err)).Msg(`open() "` + f.path + `" failed`)
		return
	}
	_ = f.fd.Close()
	f.fd = fd
}
