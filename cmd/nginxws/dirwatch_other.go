//go:build !linux

package main

import (
	"errors"

	"github.com/fsnotify/fsnotify"
)

// dirWatch watches directories with fsnotify where there is no inotify
// (dirwatch_linux.go says what is reported): every event but a chmod
// alone.
type dirWatch struct {
	Events chan string
	Errors chan error

	fsw  *fsnotify.Watcher
	stop chan struct{}
	done chan struct{}
}

func newDirWatch() (*dirWatch, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &dirWatch{Events: make(chan string, 64), Errors: make(chan error, 1), fsw: fsw, stop: make(chan struct{}), done: make(chan struct{})}
	go w.relay()
	return w, nil
}

func (w *dirWatch) relay() {
	defer close(w.done)
	defer close(w.Events)
	defer close(w.Errors)
	for {
		select {
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			select {
			case w.Events <- ev.Name:
			case <-w.stop:
				return
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				err = errEventOverflow
			}
			select {
			case w.Errors <- err:
			case <-w.stop:
				return
			}
		case <-w.stop:
			return
		}
	}
}

func (w *dirWatch) Add(dir string) error    { return w.fsw.Add(dir) }
func (w *dirWatch) Remove(dir string) error { return w.fsw.Remove(dir) }
func (w *dirWatch) WatchList() []string     { return w.fsw.WatchList() }

func (w *dirWatch) Close() error {
	close(w.stop)
	<-w.done
	return w.fsw.Close()
}
