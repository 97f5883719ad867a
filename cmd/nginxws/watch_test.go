package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// testWatcher is a watcher on the configuration at main, as nginxws arms
// it at start-up, with its [alert] lines going to a file of the test.
type testWatcher struct {
	*watcher
	main string
	log  string
}

func newTestWatcher(t *testing.T, main string) *testWatcher {
	t.Helper()
	return newTestWatcherTimed(t, main, watchQuiet, watchMaxDelay)
}

// newTestWatcherTimed is newTestWatcher with other debounce times.
func newTestWatcherTimed(t *testing.T, main string, quiet, maxDelay time.Duration) *testWatcher {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "watch.log")
	set, err := errlog.Open([]errlog.Target{{Path: logPath, Level: errlog.LevelDebug}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = set.Close() })
	w, err := newWatcherTimed(errlog.New(program, os.Getpid(), os.Stderr, set), quiet, maxDelay)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	tw := &testWatcher{watcher: w, main: main, log: logPath}
	tw.reload(t)
	return tw
}

// reload loads the configuration as a reload would and settles the
// watcher with the outcome (the running configuration is the new one when
// it loaded, as after a successful reload).
func (tw *testWatcher) reload(t *testing.T) {
	t.Helper()
	pre := tw.snapshot()
	cfg, err := directives.Load(tw.main, directives.LoadOptions{Prefix: filepath.Dir(tw.main) + "/"})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	tw.settle(pre, cfg, cfg, nil)
}

// waitPoke waits for the watcher to poke the main loop.
func (tw *testWatcher) waitPoke(t *testing.T, what string) {
	t.Helper()
	select {
	case <-tw.pokes:
	case <-time.After(waitTimeout):
		t.Fatalf("%s: no poke within %v; log:\n%s", what, waitTimeout, readFile(t, tw.log))
	}
}

// symlink makes link point at target, replacing what link was.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	tmp := link + ".tmp-link"
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
}

// TestResolve: a ConfigMap file resolves through two symlinks; the
// directories holding the links and the one holding the file are watched,
// each link and the file are names that matter. A missing component stops
// the walk at the directory that would hold it.
func TestResolve(t *testing.T) {
	dir := t.TempDir()
	cm := filepath.Join(dir, "cm")
	write(t, filepath.Join(cm, "..v1", "nginx.conf"), "events {}\n")
	symlink(t, "..v1", filepath.Join(cm, "..data"))
	symlink(t, "..data/nginx.conf", filepath.Join(cm, "nginx.conf"))

	dirs, names, real := resolve(filepath.Join(cm, "nginx.conf"))
	if want := filepath.Join(cm, "..v1", "nginx.conf"); real != want {
		t.Errorf("real = %s, want %s", real, want)
	}
	if want := []string{cm, cm, filepath.Join(cm, "..v1")}; !reflect.DeepEqual(dirs, want) {
		t.Errorf("dirs = %q, want %q", dirs, want)
	}
	if want := []string{filepath.Join(cm, "nginx.conf"), filepath.Join(cm, "..data"), filepath.Join(cm, "..v1", "nginx.conf")}; !reflect.DeepEqual(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}

	// An absolute link, a ".." in a link, a link to a directory.
	write(t, filepath.Join(dir, "real", "a.conf"), "")
	if err := os.Mkdir(filepath.Join(dir, "links"), 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, filepath.Join(dir, "real"), filepath.Join(dir, "links", "abs"))
	symlink(t, "../links/abs/a.conf", filepath.Join(dir, "links", "rel.conf"))
	_, names, real = resolve(filepath.Join(dir, "links", "rel.conf"))
	if want := filepath.Join(dir, "real", "a.conf"); real != want {
		t.Errorf("real = %s, want %s", real, want)
	}
	if want := []string{filepath.Join(dir, "links", "rel.conf"), filepath.Join(dir, "links", "abs"), filepath.Join(dir, "real", "a.conf")}; !reflect.DeepEqual(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}

	dirs, names, _ = resolve(filepath.Join(dir, "missing", "sub", "x.conf"))
	if !reflect.DeepEqual(dirs, []string{dir}) || !reflect.DeepEqual(names, []string{filepath.Join(dir, "missing")}) {
		t.Errorf("missing path: dirs %q, names %q; want [%s], [%s/missing]", dirs, names, dir, dir)
	}

	// A loop ends after the kernel's number of links instead of hanging.
	symlink(t, "loop", filepath.Join(dir, "loop"))
	if _, _, real := resolve(filepath.Join(dir, "loop")); real != filepath.Join(dir, "loop") {
		t.Errorf("loop: real = %s", real)
	}
}

// TestWatchSeesChanges: every way a production configuration changes is
// seen — the watcher pokes, and the inputs it reports as changed are the
// ones that were. Each case starts from the same layout: the main file in a
// ConfigMap-style directory, an include of a plain file through a
// symlink, and a conf.d/*.conf glob.
func TestWatchSeesChanges(t *testing.T) {
	type layout struct{ dir, cm, confD, main, linked, real string }
	setup := func(t *testing.T) layout {
		dir := t.TempDir()
		l := layout{dir: dir, cm: filepath.Join(dir, "cm"), confD: filepath.Join(dir, "conf.d"),
			linked: filepath.Join(dir, "linked.conf"), real: filepath.Join(dir, "store", "v1.conf")}
		l.main = filepath.Join(l.cm, "nginx.conf")
		write(t, filepath.Join(l.cm, "..v1", "nginx.conf"), "events {}\ninclude "+l.linked+";\ninclude "+l.confD+"/*.conf;\n")
		symlink(t, "..v1", filepath.Join(l.cm, "..data"))
		symlink(t, "..data/nginx.conf", l.main)
		write(t, l.real, "# v1\n")
		symlink(t, l.real, l.linked)
		write(t, filepath.Join(l.confD, "a.conf"), "# a\n")
		return l
	}
	cases := []struct {
		name string
		edit func(t *testing.T, l layout)
		want func(l layout) []string
	}{
		{"in-place write of an included file", func(t *testing.T, l layout) {
			writeInPlace(t, filepath.Join(l.confD, "a.conf"), "# a, edited\n")
		}, func(l layout) []string { return []string{filepath.Join(l.confD, "a.conf")} }},
		{"rename save", func(t *testing.T, l layout) {
			renameSave(t, filepath.Join(l.confD, "a.conf"), "# a, saved\n", false)
		}, func(l layout) []string { return []string{filepath.Join(l.confD, "a.conf")} }},
		{"save through a backup (vim)", func(t *testing.T, l layout) {
			renameSave(t, filepath.Join(l.confD, "a.conf"), "# a, saved\n", true)
		}, func(l layout) []string { return []string{filepath.Join(l.confD, "a.conf")} }},
		{"new file in an include glob's directory", func(t *testing.T, l layout) {
			write(t, filepath.Join(l.confD, "b.conf"), "# b\n")
		}, func(l layout) []string { return []string{l.confD + "/"} }},
		{"file removed from an include glob's directory", func(t *testing.T, l layout) {
			if err := os.Remove(filepath.Join(l.confD, "a.conf")); err != nil {
				t.Fatal(err)
			}
		}, func(l layout) []string { return []string{filepath.Join(l.confD, "a.conf"), l.confD + "/"} }},
		{"ConfigMap swap", func(t *testing.T, l layout) {
			write(t, filepath.Join(l.cm, "..v2", "nginx.conf"), "events {}\ninclude "+l.linked+";\n")
			symlink(t, "..v2", filepath.Join(l.cm, "..data"))
			if err := os.RemoveAll(filepath.Join(l.cm, "..v1")); err != nil {
				t.Fatal(err)
			}
		}, func(l layout) []string { return []string{l.main} }},
		{"symlink pointed elsewhere", func(t *testing.T, l layout) {
			write(t, filepath.Join(l.dir, "store", "v2.conf"), "# v2\n")
			symlink(t, filepath.Join(l.dir, "store", "v2.conf"), l.linked)
		}, func(l layout) []string { return []string{l.linked} }},
		{"in-place write of a symlink's target", func(t *testing.T, l layout) {
			writeInPlace(t, l.real, "# v1, edited\n")
		}, func(l layout) []string { return []string{l.linked} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := setup(t)
			tw := newTestWatcher(t, l.main)
			if got := tw.changed(); len(got) != 0 {
				t.Fatalf("changed before any edit: %q", got)
			}
			c.edit(t, l)
			tw.waitPoke(t, c.name)
			got, want := tw.changed(), c.want(l)
			slices.Sort(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("changed: %q, want %q", got, want)
			}
		})
	}
}

// TestWatchRearms: after a ConfigMap swap and a reload, the watches follow
// the new ..data target (an in-place write there is seen), and a glob
// directory created after the start is seen once it appears.
func TestWatchRearms(t *testing.T) {
	dir := t.TempDir()
	cm := filepath.Join(dir, "cm")
	later := filepath.Join(dir, "later")
	main := filepath.Join(cm, "nginx.conf")
	write(t, filepath.Join(cm, "..v1", "nginx.conf"), "events {}\ninclude "+later+"/*.conf;\n")
	symlink(t, "..v1", filepath.Join(cm, "..data"))
	symlink(t, "..data/nginx.conf", main)
	tw := newTestWatcher(t, main)

	write(t, filepath.Join(cm, "..v2", "nginx.conf"), "events {}\ninclude "+later+"/*.conf;\n# v2\n")
	symlink(t, "..v2", filepath.Join(cm, "..data"))
	if err := os.RemoveAll(filepath.Join(cm, "..v1")); err != nil {
		t.Fatal(err)
	}
	tw.waitPoke(t, "the swap")
	tw.reload(t)
	writeInPlace(t, filepath.Join(cm, "..v2", "nginx.conf"), "events {}\ninclude "+later+"/*.conf;\n# v2, edited in place\n")
	tw.waitPoke(t, "a write in the new ..data target")
	if got := tw.changed(); !reflect.DeepEqual(got, []string{main}) {
		t.Errorf("changed: %q, want [%s]", got, main)
	}
	tw.reload(t)

	write(t, filepath.Join(later, "x.conf"), "# x\n")
	tw.waitPoke(t, "a glob directory created after the start")
	if got := tw.changed(); !reflect.DeepEqual(got, []string{later + "/"}) {
		t.Errorf("changed: %q, want [%s/]", got, later)
	}
	tw.reload(t)
	writeInPlace(t, filepath.Join(later, "x.conf"), "# x, edited\n")
	tw.waitPoke(t, "a write in the new glob directory")
	if got := tw.check(); !reflect.DeepEqual(got, []string{filepath.Join(later, "x.conf")}) {
		t.Errorf("changed: %q", got)
	}
	tw.reload(t)

	// The glob directory deleted and made again (a deployment's rm -rf
	// and copy): what lands in the new directory is seen.
	if err := os.RemoveAll(later); err != nil {
		t.Fatal(err)
	}
	tw.waitPoke(t, "the glob directory deleted")
	if got := tw.check(); !reflect.DeepEqual(got, []string{later + "/", filepath.Join(later, "x.conf")}) {
		t.Errorf("changed: %q", got)
	}
	if err := os.Mkdir(later, 0o755); err != nil {
		t.Fatal(err)
	}
	tw.waitPoke(t, "the glob directory made again")
	tw.check()
	write(t, filepath.Join(later, "y.conf"), "# y\n")
	tw.waitPoke(t, "a file in the glob directory made again")
	if got := tw.check(); !slices.Contains(got, later+"/") {
		t.Errorf("changed: %q, want %s/ among them", got, later)
	}
}

// TestWatchDirectoryRecreated: the directory of an included file deleted
// and made again (no reload in between: the file is missing while it is
// gone, so nothing changes for the watcher but the watches); the file
// written into the new directory is seen.
func TestWatchDirectoryRecreated(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	sites := filepath.Join(dir, "sites")
	app := filepath.Join(sites, "app.conf")
	write(t, main, "events {}\ninclude "+app+";\n")
	write(t, app, "# app\n")
	tw := newTestWatcher(t, main)

	if err := os.RemoveAll(sites); err != nil {
		t.Fatal(err)
	}
	tw.waitPoke(t, "the directory deleted")
	if got := tw.check(); !reflect.DeepEqual(got, []string{app}) {
		t.Errorf("changed: %q, want [%s]", got, app)
	}
	// As after the failed reload: the missing file is the baseline.
	tw.settle(tw.snapshot(), nil, nil, []string{main, app})
	if err := os.Mkdir(sites, 0o755); err != nil {
		t.Fatal(err)
	}
	tw.waitPoke(t, "the directory made again")
	if got := tw.check(); len(got) != 0 {
		t.Errorf("changed: %q, want nothing yet", got)
	}
	write(t, app, "# app, back\n")
	tw.waitPoke(t, "the file in the new directory")
	if got := tw.check(); !reflect.DeepEqual(got, []string{app}) {
		t.Errorf("changed: %q, want [%s]", got, app)
	}
}

// TestWatchMissingInclude: an include of a file that is not there fails
// the reload; creating the file is then seen.
func TestWatchMissingInclude(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	app := filepath.Join(dir, "sites", "app.conf")
	write(t, main, "events {}\n")
	tw := newTestWatcher(t, main)

	writeInPlace(t, main, "events {}\ninclude "+app+";\n")
	tw.waitPoke(t, "the include line")
	pre := tw.snapshot()
	cfg, err := directives.Load(main, directives.LoadOptions{Prefix: dir + "/"})
	if err == nil || !strings.HasPrefix(err.Error(), `open() "`+app+`" failed (2: No such file or directory)`) {
		t.Fatalf("load: %v", err)
	}
	tw.settle(pre, nil, cfg, unopened(&reportedError{err}))
	if got := tw.changed(); len(got) != 0 {
		t.Fatalf("changed after the failed attempt: %q", got)
	}
	write(t, app, "# app\n")
	tw.waitPoke(t, "the missing file created")
	if got := tw.changed(); !reflect.DeepEqual(got, []string{app}) {
		t.Errorf("changed: %q, want [%s]", got, app)
	}
}

// TestWatchIgnoresNoise: what changes no input pokes nothing or is found
// unchanged — logs written beside nginx.conf, an editor's swap file in a
// glob directory, chmod, a rewrite with the same bytes.
func TestWatchIgnoresNoise(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	confD := filepath.Join(dir, "conf.d")
	write(t, main, "events {}\ninclude "+confD+"/*.conf;\n")
	write(t, filepath.Join(confD, "a.conf"), "# a\n")
	tw := newTestWatcher(t, main)

	in := tw.interest.Load()
	for _, name := range []string{filepath.Join(dir, "error.log"), filepath.Join(dir, "nginx.conf.swp"), filepath.Join(dir, ".nginx.conf.swp")} {
		if in.matches(name) {
			t.Errorf("an event on %s would wake the watcher", name)
		}
	}
	for _, name := range []string{main, filepath.Join(confD, "new.conf")} {
		if !in.matches(name) {
			t.Errorf("an event on %s would not wake the watcher", name)
		}
	}

	write(t, filepath.Join(dir, "error.log"), "a line\n")
	write(t, filepath.Join(confD, ".a.conf.swp"), "swap")
	if err := os.Chmod(filepath.Join(confD, "a.conf"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeInPlace(t, main, "events {}\ninclude "+confD+"/*.conf;\n")
	tw.waitPoke(t, "the rewrite with the same bytes")
	if got := tw.changed(); len(got) != 0 {
		t.Errorf("changed: %q, want nothing", got)
	}
}

// TestWatchIgnoresLogsBesideGlob: in an include glob's directory, only the
// names the glob can match count. A log file written, rotated and created
// again beside conf.d/*.conf wakes nothing and changes nothing (it would
// reload on every rotation, and check twice a second while written); a
// new .conf file does. A glob with wildcards in its directory part keeps
// every name of the directory it watches.
func TestWatchIgnoresLogsBesideGlob(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	confD := filepath.Join(dir, "conf.d")
	sites := filepath.Join(dir, "sites")
	write(t, main, "events {}\ninclude "+confD+"/*.conf;\ninclude "+sites+"/*/site.conf;\n")
	write(t, filepath.Join(confD, "a.conf"), "# a\n")
	write(t, filepath.Join(sites, "one", "site.conf"), "# one\n")
	tw := newTestWatcher(t, main)

	in := tw.interest.Load()
	for _, name := range []string{filepath.Join(confD, "access.log"), filepath.Join(confD, "access.log.1"), filepath.Join(confD, ".b.conf")} {
		if in.matches(name) {
			t.Errorf("an event on %s would wake the watcher", name)
		}
	}
	for _, name := range []string{filepath.Join(confD, "b.conf"), filepath.Join(sites, "two"), filepath.Join(sites, "notes.txt")} {
		if !in.matches(name) {
			t.Errorf("an event on %s would not wake the watcher", name)
		}
	}

	// logrotate's dance beside the included files.
	log := filepath.Join(confD, "access.log")
	write(t, log, "a line\n")
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	write(t, log, "")
	writeInPlace(t, main, "events {}\ninclude "+confD+"/*.conf;\ninclude "+sites+"/*/site.conf;\n")
	tw.waitPoke(t, "the rewrite with the same bytes")
	if got := tw.changed(); len(got) != 0 {
		t.Errorf("changed: %q, want nothing", got)
	}
	write(t, filepath.Join(confD, "b.conf"), "# b\n")
	tw.waitPoke(t, "a new included file")
	if got := tw.changed(); strings.Join(got, " ") != confD+"/" {
		t.Errorf("changed: %q, want %s/", got, confD)
	}
}

// TestWatchDebounce: a burst of writes gives one poke, not before the
// writes have paused for the quiet time; writes without a pause still
// give one by the maximum delay.
func TestWatchDebounce(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	write(t, main, "events {}\n")
	tw := newTestWatcherTimed(t, main, 200*time.Millisecond, 10*time.Second)

	start := time.Now()
	var last time.Time
	for i := range 10 {
		if i > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		writeInPlace(t, main, "events {}\n"+strings.Repeat("#\n", i+1))
		last = time.Now()
	}
	tw.waitPoke(t, "the burst")
	if d := time.Since(last); d < tw.quiet-10*time.Millisecond {
		t.Errorf("poked %v after the last write of the burst (%v after the first), want at least the quiet %v", d, time.Since(start), tw.quiet)
	}
	select {
	case <-tw.pokes:
		t.Error("a second poke for one burst")
	default:
	}

	// Writes every 50 ms never leave 200 ms of quiet: the maximum delay
	// (300 ms) must end the wait.
	tw = newTestWatcherTimed(t, main, 200*time.Millisecond, 300*time.Millisecond)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				_ = os.WriteFile(main, []byte("events {}\n# "+strings.Repeat("x", i)+"\n"), 0o644)
			}
		}
	}()
	start = time.Now()
	tw.waitPoke(t, "writes without a pause")
	took := time.Since(start)
	close(stop)
	<-done
	if took < tw.maxDelay {
		t.Errorf("poked %v after the writes began, before the maximum delay %v", took, tw.maxDelay)
	}
}

// TestWatchWaitsForEmptiedFile: a save in place whose file is found
// between its truncation and its bytes is not read (the empty file would
// parse, and run until the next good edit): check reports nothing and
// pokes again, whether the writer is held up past the quiet time and the
// maximum delay, or the truncation comes after the burst's poke (its
// events not yet seen); a file left empty is read after emptyGrace.
func TestWatchWaitsForEmptiedFile(t *testing.T) {
	if contentDigest(nil) != emptyDigest {
		t.Fatalf("emptyDigest is %s, the empty file digests to %s", emptyDigest, contentDigest(nil))
	}
	dir := t.TempDir()
	main := filepath.Join(dir, "nginx.conf")
	inc := filepath.Join(dir, "inc.conf")
	write(t, main, "events {}\ninclude "+inc+";\n")
	write(t, inc, "# v1\n")
	tw := newTestWatcherTimed(t, main, 50*time.Millisecond, 200*time.Millisecond)

	// The writer stalls after the truncation for longer than both the
	// quiet time and the maximum delay: every poke meanwhile finds
	// nothing to read.
	f, err := os.OpenFile(inc, os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for stalled := time.Now(); time.Since(stalled) < 4*tw.maxDelay; {
		tw.waitPoke(t, "the truncation")
		if got := tw.check(); got != nil {
			t.Fatalf("check found %q while the file was empty, between its truncation and its bytes", got)
		}
	}
	if _, err := f.WriteString("# v2\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	tw.waitChange(t, "the completed write", inc)
	tw.reload(t)

	// A truncation after the poke (the main loop reads at once): the
	// check itself finds the file emptied.
	write(t, inc, "# v3\n")
	tw.waitPoke(t, "the write of v3")
	if err := os.Truncate(inc, 0); err != nil {
		t.Fatal(err)
	}
	if got := tw.check(); got != nil {
		t.Fatalf("check found %q in a file emptied after the poke", got)
	}
	write(t, inc, "# v4\n")
	tw.waitChange(t, "the write of v4", inc)
	tw.reload(t)

	// Emptied on purpose: read once the grace has passed.
	start := time.Now()
	writeInPlace(t, inc, "")
	tw.waitChange(t, "the emptied file", inc)
	if took := time.Since(start); took < emptyGrace {
		t.Errorf("an emptied file was read after %v, before the grace of %v", took, emptyGrace)
	}
}

// waitChange answers pokes as the main loop does until check reports
// changed, which must be want alone.
func (tw *testWatcher) waitChange(t *testing.T, what, want string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		tw.waitPoke(t, what)
		got := tw.check()
		if got == nil {
			if time.Now().After(deadline) {
				t.Fatalf("%s: check found nothing for %v", what, waitTimeout)
			}
			continue
		}
		if !slices.Equal(got, []string{want}) {
			t.Fatalf("%s: check found %q, want %q", what, got, want)
		}
		return
	}
}

// TestWatchOption: -w on|off, and nginx's wording for a bad value.
func TestWatchOption(t *testing.T) {
	for _, c := range []struct {
		args    []string
		noWatch bool
		err     string
	}{
		{nil, false, ""},
		{[]string{"-w", "on"}, false, ""},
		{[]string{"-w", "off"}, true, ""},
		{[]string{"-woff", "-t"}, true, ""},
		{[]string{"-w"}, false, `option "-w" requires parameter`},
		{[]string{"-w", "no"}, false, `invalid option: "-w no"`},
	} {
		o, err := parseOptions(c.args)
		switch {
		case c.err != "":
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.args, err, c.err)
			}
		case err != nil:
			t.Errorf("%q: %v", c.args, err)
		case o.noWatch != c.noWatch:
			t.Errorf("%q: noWatch %t, want %t", c.args, o.noWatch, c.noWatch)
		}
	}
}

// TestChangedText: the notice names at most three inputs.
func TestChangedText(t *testing.T) {
	for _, c := range []struct {
		paths []string
		want  string
	}{
		{[]string{"/a"}, `"/a" changed`},
		{[]string{"/a", "/b/"}, `"/a", "/b/" changed`},
		{[]string{"/a", "/b", "/c", "/d", "/e"}, `"/a", "/b", "/c" and 2 more changed`},
	} {
		if got := changedText(c.paths); got != c.want {
			t.Errorf("changedText(%q) = %q, want %q", c.paths, got, c.want)
		}
	}
}
