package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// Reloading on file change (-w on, the default).
//
// nginxws watches DIRECTORIES, never the files themselves: an editor that
// saves by writing a new file and renaming it over the old one, and a
// Kubernetes ConfigMap volume, whose files are symlinks through a "..data"
// symlink that the kubelet swaps atomically, both leave a watch on the old
// file's inode blind. A watch on the directory sees every name that
// appears, changes or goes. Symlinks are resolved step by step: the
// directory holding each link is watched (the swap of "..data" happens
// there) and so is the directory the chain ends in (an in-place write to
// the real file happens there); the set is recomputed after every reload
// attempt, so a swapped link re-arms the watches on its new target.
//
// Events only say that something may have changed. What decides is the
// content: the bytes of every file the configuration read and the names in
// every include-glob directory that the glob can match, compared with what
// the last reload attempt saw. So a write to an access log that lives
// beside nginx.conf, or an editor's swap file, reloads nothing, and a
// broken configuration is reported once per edit, not once per event. In
// an include-glob directory, events on names the glob cannot match are
// not even looked at: a log written and rotated beside conf.d/*.conf
// costs no check.

const (
	// watchQuiet is how long the events must pause before the files are
	// read: an editor's save, a ConfigMap swap or a `cp -r` is a burst of
	// events, and reading in the middle of one could see half a file.
	watchQuiet = 100 * time.Millisecond
	// watchMaxDelay bounds the wait from the first event of a burst, so
	// that a directory written to without pause (a log beside an include
	// glob's files) cannot hold a reload back forever.
	watchMaxDelay = 500 * time.Millisecond
	// emptyGrace is how long a file that had content and is found empty
	// is given to get its bytes. fsnotify reports writes, not a writer's
	// close (inotify's IN_CLOSE_WRITE is not exported), so a save in
	// place — truncate, then write — is two writes, and a writer held up
	// between them for longer than watchQuiet (a loaded machine), or
	// whose truncation lands between a burst's end and the read, would
	// have its file read empty. Of a file's half-written states the empty
	// one is the one that still parses (an empty include is valid), and
	// it would run until the next good edit; any other cut is almost
	// always a syntax error, rejected, and followed by the write that
	// completes the file. A file emptied on purpose is read after the
	// grace.
	emptyGrace = 2 * time.Second
	// maxSymlinks is the kernel's limit on links followed in one path
	// (MAXSYMLINKS); past it the chain is treated as a plain file.
	maxSymlinks = 40
)

// interest is what the event goroutine looks for: exact names (files read,
// each symlink on their way, missing components that would bring them
// back) and include-glob directories, in which the names an include's
// last component matches count (globMatch). It is immutable; the
// reloading goroutine replaces it whole.
type interest struct {
	names map[string]bool
	dirs  map[string][]string
}

// matches reports whether an event on name may change the configuration.
func (in *interest) matches(name string) bool {
	if in.names[name] {
		return true
	}
	pats, ok := in.dirs[filepath.Dir(name)]
	return ok && globMatch(pats, filepath.Base(name))
}

// anyName in a directory's patterns stands for an include whose
// directory part has wildcards too: any name there may matter.
const anyName = ""

// globPatterns maps each include-glob directory (globDir) to what names
// in it an include can read: the last component of each glob whose
// wildcards are all in it, or anyName. A log file written beside the
// included files (conf.d/*.conf, conf.d/access.log) then wakes nothing.
func globPatterns(globs []string) map[string][]string {
	out := map[string][]string{}
	for _, g := range globs {
		dir := filepath.Dir(g)
		pat := filepath.Base(g)
		for strings.ContainsAny(dir, "*?[") {
			dir, pat = filepath.Dir(dir), anyName
		}
		if !slices.Contains(out[dir], pat) {
			out[dir] = append(out[dir], pat)
		}
	}
	return out
}

// globMatch reports whether name, in an include-glob directory with the
// patterns pats, can be read by an include: it matches one of them
// (anyName: any), and a hidden name only a pattern that starts with a
// "." too, as the parser's glob reads them.
func globMatch(pats []string, name string) bool {
	if len(pats) == 0 {
		// No pattern known: any visible name.
		return !strings.HasPrefix(name, ".")
	}
	for _, p := range pats {
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(p, ".") {
			continue
		}
		if p == anyName {
			return true
		}
		if ok, err := filepath.Match(p, name); ok || err != nil {
			return true
		}
	}
	return false
}

// fingerprint maps each input of the configuration to a digest of what it
// held: "f"+path for a file read (its bytes), "d"+dir for an include-glob
// directory (the names its globs can match).
type fingerprint map[string]string

// watcher turns file system events into pokes of the main loop.
//
// Two goroutines share it. Its own (run) reads events, filters them with
// the current interest and debounces them; it touches nothing else. The
// main loop (process.loop) owns every other field: it asks changed()
// whether the inputs really differ, reloads, and calls settle() with the
// outcome, which re-arms the watches.
type watcher struct {
	log      *errlog.Log
	fsw      *fsnotify.Watcher
	quiet    time.Duration // fixed before run starts
	maxDelay time.Duration
	// pokes carries "the inputs may have changed" to the main loop; one
	// pending poke is enough, so it has room for one and senders never
	// block.
	pokes    chan struct{}
	stop     chan struct{}
	done     chan struct{}
	interest atomic.Pointer[interest]

	// Owned by the main loop.
	failed   map[string]bool      // directories whose watch failed (logged once)
	files    []string             // files read, as the configuration names them
	globs    []string             // include-glob directories, as named
	globPats map[string][]string  // their patterns (globPatterns)
	base     fingerprint          // what the last attempt saw
	emptied  map[string]time.Time // files found emptied, since when (holdEmptied)
}

// newWatcher starts a watcher with no watches yet; settle arms them.
func newWatcher(log *errlog.Log) (*watcher, error) {
	return newWatcherTimed(log, watchQuiet, watchMaxDelay)
}

// newWatcherTimed is newWatcher with other debounce times (tests).
func newWatcherTimed(log *errlog.Log, quiet, maxDelay time.Duration) (*watcher, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{
		log:      log,
		fsw:      fsw,
		quiet:    quiet,
		maxDelay: maxDelay,
		pokes:    make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		failed:   map[string]bool{},
		base:     fingerprint{},
		emptied:  map[string]time.Time{},
	}
	w.interest.Store(&interest{})
	go w.run()
	return w, nil
}

// close stops the event goroutine and releases the inotify instance.
func (w *watcher) close() {
	close(w.stop)
	<-w.done
	_ = w.fsw.Close()
}

// run is the event goroutine: it pokes the main loop once the relevant
// events of a burst have paused for quiet, or maxDelay after the burst's
// first one.
func (w *watcher) run() {
	defer close(w.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var first time.Time // first event of the pending burst; zero if none
	arm := func() {
		now := time.Now()
		if first.IsZero() {
			first = now
		}
		d := w.quiet
		if rest := w.maxDelay - now.Sub(first); rest < d {
			d = max(rest, 0)
		}
		// Since Go 1.23 Reset discards a value not yet received.
		timer.Reset(d)
	}
	for {
		select {
		case <-w.stop:
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			// A chmod alone changes no content (Linux also reports
			// one when a link count drops, with a Remove of its own
			// when it matters).
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if w.interest.Load().matches(filepath.Clean(ev.Name)) {
				arm()
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost: assume the worst and look.
				arm()
				continue
			}
			w.log.Alert().Msg("watching the configuration failed (" + err.Error() + ")")
		case <-timer.C:
			first = time.Time{}
			w.poke()
		}
	}
}

// holdEmptied returns how long to wait before the changed inputs are read:
// a file that had content at the last attempt and is empty now is being
// saved in place, most likely, and gets emptyGrace from when it was first
// found so (emptyGrace). 0: read now. The content decides, not the
// events: the truncation's may not even have reached the watcher when
// the burst's timer fires.
func (w *watcher) holdEmptied(changed []string, now time.Time) time.Duration {
	var wait time.Duration
	for _, name := range changed {
		if strings.HasSuffix(name, "/") || w.base["f"+name] == emptyDigest {
			continue
		}
		if fi, err := os.Stat(name); err != nil || fi.Size() != 0 {
			delete(w.emptied, name)
			continue
		}
		since, ok := w.emptied[name]
		if !ok {
			since = now
			w.emptied[name] = now
		}
		if rest := emptyGrace - now.Sub(since); rest > 0 {
			wait = max(wait, min(rest, w.quiet))
		}
	}
	return wait
}

// poke tells the main loop to look, unless a poke is already pending.
func (w *watcher) poke() {
	select {
	case w.pokes <- struct{}{}:
	default:
	}
}

// snapshot reads every tracked input from disk.
func (w *watcher) snapshot() fingerprint {
	fp := make(fingerprint, len(w.files)+len(w.globs))
	for _, f := range w.files {
		fp["f"+f] = fileDigest(f)
	}
	for _, d := range w.globs {
		fp["d"+d] = dirDigest(d, w.globPats[d])
	}
	return fp
}

// check is what the main loop does when poked: re-arm the watches (a
// directory deleted and created again has lost its watch; one that did not
// exist may now), then report what changed — nothing yet while a file is
// held as emptied (holdEmptied), for which it pokes again later.
func (w *watcher) check() []string {
	w.rearm()
	changed := w.changed()
	if wait := w.holdEmptied(changed, time.Now()); wait > 0 {
		time.AfterFunc(wait, w.poke)
		return nil
	}
	return changed
}

// changed returns the inputs whose content differs from what the last
// reload attempt saw, as paths (a directory with a trailing "/"), sorted.
func (w *watcher) changed() []string {
	var out []string
	for k, v := range w.snapshot() {
		if w.base[k] != v {
			out = append(out, inputName(k))
		}
	}
	sort.Strings(out)
	return out
}

// inputName turns a fingerprint key into the path it stands for.
func inputName(key string) string {
	if key[0] == 'd' {
		return strings.TrimSuffix(key[1:], "/") + "/"
	}
	return key[1:]
}

// settle records the outcome of a reload attempt (or of the start): the
// inputs become those of the running configuration plus those the attempt
// read, so that fixing a file that broke the attempt is seen, plus unread,
// files the attempt failed to open (an include of a file not there yet);
// their baseline is what the attempt read, or, for what it did not read,
// pre (the disk before the attempt) or the disk now. Then the watches are re-armed,
// and if the disk already differs from the baseline — a change that landed
// while no watch covered it — the main loop is poked.
func (w *watcher) settle(pre fingerprint, running, attempt *directives.Config, unread []string) {
	read := map[string]string{}
	var files, globs, patterns []string
	seenFile, seenGlob := map[string]bool{}, map[string]bool{}
	for _, cfg := range []*directives.Config{attempt, running} {
		if cfg == nil {
			continue
		}
		for _, f := range cfg.Files {
			if cfg == attempt {
				if _, ok := read[f.Path]; !ok {
					read[f.Path] = contentDigest(f.Content)
				}
			}
			if !seenFile[f.Path] {
				seenFile[f.Path] = true
				files = append(files, f.Path)
			}
		}
		for _, d := range cfg.WatchDirs {
			if !seenGlob[d] {
				seenGlob[d] = true
				globs = append(globs, d)
			}
		}
		patterns = append(patterns, cfg.WatchGlobs...)
	}
	for _, f := range unread {
		if !seenFile[f] {
			seenFile[f] = true
			files = append(files, f)
		}
	}
	w.files, w.globs, w.globPats = files, globs, globPatterns(patterns)

	base := make(fingerprint, len(files)+len(globs))
	for _, f := range files {
		k := "f" + f
		switch v, ok := read[f]; {
		case ok:
			base[k] = v
		case pre[k] != "":
			base[k] = pre[k]
		default:
			base[k] = fileDigest(f)
		}
	}
	for _, d := range globs {
		k := "d" + d
		if v := pre[k]; v != "" {
			base[k] = v
		} else {
			base[k] = dirDigest(d, w.globPats[d])
		}
	}
	w.base = base
	clear(w.emptied)
	w.rearm()
	if len(w.changed()) > 0 {
		w.poke()
	}
}

// rearm computes the directories and names to watch for the current inputs
// and adds and removes watches to match. What is watched is asked of
// fsnotify, which forgets a directory once it is deleted or moved.
func (w *watcher) rearm() {
	in := &interest{names: map[string]bool{}, dirs: map[string][]string{}}
	want := map[string]bool{}
	for _, f := range w.files {
		dirs, names, _ := resolve(absPath(f))
		for _, d := range dirs {
			want[d] = true
		}
		for _, n := range names {
			in.names[n] = true
		}
	}
	for _, g := range w.globs {
		dirs, names, real := resolve(absPath(g))
		for _, d := range dirs {
			want[d] = true
		}
		for _, n := range names {
			in.names[n] = true
		}
		if fi, err := os.Stat(real); err == nil && fi.IsDir() {
			want[real] = true
			in.dirs[real] = append(in.dirs[real], w.globPats[g]...)
		}
	}
	// The interest first: an event from a new watch must find it.
	w.interest.Store(in)
	watched := map[string]bool{}
	for _, d := range w.fsw.WatchList() {
		watched[d] = true
		if !want[d] {
			// A directory that is gone has lost its watch already;
			// the error says only that.
			_ = w.fsw.Remove(d)
		}
	}
	dirs := make([]string, 0, len(want))
	for d := range want {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		if watched[d] {
			continue
		}
		if err := w.fsw.Add(d); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				// Gone since it was resolved: a ConfigMap swap removed it
				// and changed the link beside it, in a directory already
				// watched, whose event re-arms from the new chain.
				continue
			}
			if !w.failed[d] {
				w.failed[d] = true
				w.log.Alert().Msg(`inotify_add_watch("` + d + `") failed (` + errlog.Errno(err) + "), a change there needs a reload signal")
			}
			continue
		}
		delete(w.failed, d)
	}
}

// resolve follows path the way the kernel would, one component at a time,
// and returns the directories to watch (each one holding a symlink on the
// way, and the one holding the end of the chain), the names in them whose
// events matter (each symlink, the end), and the real path of the end. A
// component that does not exist ends the walk: its directory is watched
// and its name matters, so that its creation is seen. path is absolute.
func resolve(path string) (dirs, names []string, real string) {
	rest := splitPath(path)
	cur := "/"
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(next)
		if err != nil {
			dirs = append(dirs, cur)
			names = append(names, next)
			return dirs, names, filepath.Join(append([]string{next}, rest...)...)
		}
		if fi.Mode()&os.ModeSymlink != 0 && links < maxSymlinks {
			target, err := os.Readlink(next)
			if err == nil {
				links++
				dirs = append(dirs, cur)
				names = append(names, next)
				if filepath.IsAbs(target) {
					cur = "/"
				}
				rest = append(splitPath(target), rest...)
				continue
			}
		}
		cur = next
	}
	return append(dirs, filepath.Dir(cur)), append(names, cur), cur
}

// splitPath splits a path into its components.
func splitPath(p string) []string {
	return strings.Split(filepath.ToSlash(p), "/")
}

// absPath makes a configuration path absolute: with a relative -p the
// files read are relative to the working directory, which nginxws never
// changes.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// fileDigest digests a file's bytes, or the reason it cannot be read.
func fileDigest(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "!" + errlog.Errno(err)
	}
	return contentDigest(b)
}

// emptyDigest is contentDigest of an empty file (SHA-256's first half).
const emptyDigest = "e3b0c44298fc1c149afbf4c8996fb924"

// contentDigest digests bytes; a content never digests to "" or to a
// "!" reason.
func contentDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// dirDigest digests the names of an include-glob directory that its
// includes can read (globMatch): an include glob's wildcard never matches
// a leading ".", so hidden names (editors' swap files, a ConfigMap's
// "..data") cannot change what it includes, and names its patterns do
// not match (a log file rotated beside conf.d/*.conf) cannot either.
func dirDigest(dir string, pats []string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "!" + errlog.Errno(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if !globMatch(pats, e.Name()) {
			continue
		}
		b.WriteString(strconv.Quote(e.Name()))
	}
	return contentDigest([]byte(b.String()))
}

// changedText is the start of the notice a file change logs:
// `"/etc/nginx/conf.d/app.conf" changed`, with at most three names.
func changedText(paths []string) string {
	const shown = 3
	var b strings.Builder
	for i, p := range paths {
		if i == shown {
			b.WriteString(" and " + strconv.Itoa(len(paths)-shown) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + p + `"`)
	}
	return b.String() + " changed"
}
