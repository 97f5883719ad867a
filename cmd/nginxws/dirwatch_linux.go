//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"unsafe"
)

// dirWatchMask is what a watched directory reports: a name created,
// deleted or moved in or out, a file closed after being written, and the
// directory itself deleted or moved. Not each write (IN_MODIFY): an
// in-place save is seen once, when its writer closes the file, never
// between the truncation and the bytes (a reload could read it empty),
// and a log file kept open beside the configuration, written line by
// line, raises no event at all. Not IN_ATTRIB either: a chmod changes no
// content.
const dirWatchMask = syscall.IN_CREATE | syscall.IN_CLOSE_WRITE | syscall.IN_DELETE |
	syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO | syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF |
	syscall.IN_ONLYDIR

// dirWatch watches directories with inotify. Events carries the path of
// each name an event is about (the directory itself for its own deletion
// or move); Errors carries errEventOverflow when events were lost, and
// read failures. Add, Remove and WatchList may be called from any
// goroutine.
type dirWatch struct {
	Events chan string
	Errors chan error

	file *os.File
	fd   int
	stop chan struct{} // closed by Close: no event is waited for
	done chan struct{}

	mu     sync.Mutex
	byWD   map[int32]string
	byPath map[string]int32
}

func newDirWatch() (*dirWatch, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	w := &dirWatch{
		Events: make(chan string, 64),
		Errors: make(chan error, 1),
		// A non-blocking descriptor: its reads wait in Go's poller, and
		// Close ends a read in progress.
		file:   os.NewFile(uintptr(fd), "inotify"),
		fd:     fd,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		byWD:   map[int32]string{},
		byPath: map[string]int32{},
	}
	go w.read()
	return w, nil
}

// Add watches dir (again: a directory watched already is kept).
func (w *dirWatch) Add(dir string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	wd, err := syscall.InotifyAddWatch(w.fd, dir, dirWatchMask)
	if err != nil {
		return &os.PathError{Op: "inotify_add_watch", Path: dir, Err: err}
	}
	if old, ok := w.byWD[int32(wd)]; ok && old != dir {
		// The same directory under another name (a symlink on the way):
		// one watch, known by the last name.
		delete(w.byPath, old)
	}
	w.byWD[int32(wd)] = dir
	w.byPath[dir] = int32(wd)
	return nil
}

// Remove stops watching dir.
func (w *dirWatch) Remove(dir string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	wd, ok := w.byPath[dir]
	if !ok {
		return nil
	}
	delete(w.byPath, dir)
	delete(w.byWD, wd)
	if _, err := syscall.InotifyRmWatch(w.fd, uint32(wd)); err != nil {
		return &os.PathError{Op: "inotify_rm_watch", Path: dir, Err: err}
	}
	return nil
}

// WatchList returns the directories watched; one deleted or moved away
// is not among them any more.
func (w *dirWatch) WatchList() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.byPath))
	for d := range w.byPath {
		out = append(out, d)
	}
	return out
}

// Close ends the watching and the event goroutine.
func (w *dirWatch) Close() error {
	close(w.stop)
	err := w.file.Close()
	<-w.done
	return err
}

// read is the event goroutine.
func (w *dirWatch) read() {
	defer close(w.done)
	defer close(w.Events)
	defer close(w.Errors)
	buf := make([]byte, 16*(syscall.SizeofInotifyEvent+syscall.NAME_MAX+1))
	for {
		n, err := w.file.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				select {
				case w.Errors <- err:
				case <-w.stop:
				}
			}
			return
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameAt := off + syscall.SizeofInotifyEvent
			off = nameAt + int(ev.Len)
			if off > n {
				break
			}
			name := string(bytes.TrimRight(buf[nameAt:off], "\x00"))
			w.event(ev.Wd, ev.Mask, name)
		}
	}
}

// event handles one event.
func (w *dirWatch) event(wd int32, mask uint32, name string) {
	if mask&syscall.IN_Q_OVERFLOW != 0 {
		select {
		case w.Errors <- errEventOverflow:
		default:
		}
		return
	}
	w.mu.Lock()
	dir, ok := w.byWD[wd]
	if ok && mask&(syscall.IN_IGNORED|syscall.IN_MOVE_SELF) != 0 {
		// The watch is gone (the directory deleted, or Remove), or the
		// directory moved away: its name no longer leads to it, so it is
		// no longer watched as that name (rearm adds what is there now).
		delete(w.byWD, wd)
		if w.byPath[dir] == wd {
			delete(w.byPath, dir)
		}
		if mask&syscall.IN_MOVE_SELF != 0 {
			_, _ = syscall.InotifyRmWatch(w.fd, uint32(wd))
		}
	}
	w.mu.Unlock()
	if !ok || mask&syscall.IN_IGNORED != 0 {
		return
	}
	path := dir
	if name != "" {
		path = filepath.Join(dir, name)
	}
	select {
	case w.Events <- path:
	case <-w.stop:
	}
}
