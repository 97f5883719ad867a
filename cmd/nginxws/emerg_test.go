package main

// The -t corpus: every directory under testdata/emerg/ is a broken configuration and every
// directory under testdata/valid/ a valid one, each holding nginx.conf (plus the files it
// includes) and `expected`, which is exactly what nginx 1.22 prints on stderr for
// `nginx -t -p $DIR/ -c $DIR/nginx.conf`, normalised (program name nginxws, case directory
// $DIR). testdata/emerg/README.md says how the answers were made and what each case covers.
//
// TestEmergCorpus and TestValidCorpus hold nginxws to those answers byte for byte;
// TestEmergCorpusMatchesNginx re-asks nginx itself when it is installed, so the stored
// answers cannot drift from the oracle.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// corpusCase is one case directory of the corpus.
type corpusCase struct {
	name     string // directory name, e.g. "001-unknown-directive-main"
	dir      string // path of the committed case directory
	expected string // the stored answer, still with the literal $DIR
	exitCode int    // 1 under emerg/, 0 under valid/
}

// corpusRunTimeout bounds one run of nginxws or nginx on one case: a hang is a failure,
// never a stuck test binary.
const corpusRunTimeout = 30 * time.Second

// corpusMinimum guards against a corpus that silently shrinks (a bad glob, a lost
// directory) and would make the tests pass vacuously.
func corpusMinimum(kind string) int {
	if kind == "valid" {
		return 10
	}
	return 40
}

// loadCorpus reads every case of testdata/<kind>/ in name order.
func loadCorpus(t *testing.T, kind string) []corpusCase {
	t.Helper()
	exitCode := 1
	if kind == "valid" {
		exitCode = 0
	}
	entries, err := os.ReadDir(filepath.Join("testdata", kind))
	if err != nil {
		t.Fatalf("reading the %s corpus: %v", kind, err)
	}
	var cases []corpusCase
	for _, e := range entries {
		if !e.IsDir() {
			continue // README.md, regen.sh
		}
		dir := filepath.Join("testdata", kind, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "nginx.conf")); err != nil {
			t.Fatalf("case %s/%s has no nginx.conf: %v", kind, e.Name(), err)
		}
		expected, err := os.ReadFile(filepath.Join(dir, "expected"))
		if err != nil {
			t.Fatalf("case %s/%s has no expected answer (run testdata/emerg/regen.sh): %v", kind, e.Name(), err)
		}
		cases = append(cases, corpusCase{name: e.Name(), dir: dir, expected: string(expected), exitCode: exitCode})
	}
	if len(cases) < corpusMinimum(kind) {
		t.Fatalf("the %s corpus has %d cases, want at least %d", kind, len(cases), corpusMinimum(kind))
	}
	return cases
}

// copyCase copies a case into a fresh temporary directory and returns its path. Both
// programs run on copies: nginx -t creates the pid file and the temp paths' directories,
// and nginxws may do the same, so the committed tree is never written.
func copyCase(t *testing.T, c corpusCase) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(c.dir)); err != nil {
		t.Fatalf("copying %s: %v", c.dir, err)
	}
	if err := os.Remove(filepath.Join(dir, "expected")); err != nil {
		t.Fatalf("removing the copied answer: %v", err)
	}
	return dir
}

// runTest runs `prog [extra...] -t -p dir/ -c dir/nginx.conf` in dir and returns its
// stdout, stderr and exit code.
func runTest(t *testing.T, prog string, dir string, extra ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), corpusRunTimeout)
	defer cancel()
	args := append(append([]string(nil), extra...), "-t", "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"))
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s did not finish within %v", prog, strings.Join(args, " "), corpusRunTimeout)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		exitCode = exitErr.ExitCode()
	default:
		t.Fatalf("running %s: %v", prog, err)
	}
	return out.String(), errOut.String(), exitCode
}

// buildNginxws builds this package into a temporary directory and returns the binary's path.
// It is built once per test function (not per case); the compile step is cached by the go
// command, so the second test function only relinks.
func buildNginxws(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build nginxws: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "nginxws")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/nginxws failed: %v\n%s", err, out)
	}
	return bin
}

// checkNginxws runs nginxws -t on a copy of every case and compares with nginx's answer.
func checkNginxws(t *testing.T, kind string) {
	cases := loadCorpus(t, kind)
	bin := buildNginxws(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := copyCase(t, c)
			stdout, stderr, code := runTest(t, bin, dir)
			want := strings.ReplaceAll(c.expected, "$DIR", dir)
			if stderr != want {
				t.Errorf("stderr differs from nginx 1.22's (%s)\n--- nginx:\n%s--- nginxws:\n%s", c.dir, want, stderr)
			}
			if code != c.exitCode {
				t.Errorf("exit code %d, nginx exits %d", code, c.exitCode)
			}
			if stdout != "" {
				t.Errorf("nginx -t prints nothing on stdout; nginxws printed:\n%s", stdout)
			}
		})
	}
}

// TestEmergCorpus: on every broken configuration nginxws -t prints nginx's [emerg] (and any
// preceding [warn]) lines and "test failed", with the same file:line, and exits 1.
func TestEmergCorpus(t *testing.T) {
	checkNginxws(t, "emerg")
}

// TestValidCorpus: on configurations nginx accepts (several of which a naive parser gets
// wrong) nginxws -t prints nginx's lines, including its [warn]s, and exits 0.
func TestValidCorpus(t *testing.T) {
	checkNginxws(t, "valid")
}

// nginxTimestamp matches the prefix nginx puts on log lines when its startup error log is
// stderr (Debian's build): "2025/01/02 03:04:05 [emerg] 123#123: ".
var nginxTimestamp = regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[([a-z]+)\] \d+#\d+: `)

// nginxConsole matches the program name nginx puts on console lines.
var nginxConsole = regexp.MustCompile(`(?m)^nginx: `)

// normaliseNginx turns nginx's stderr into the stored form, as regen.sh does.
func normaliseNginx(out, dir string) string {
	out = strings.ReplaceAll(out, dir, "$DIR")
	out = nginxTimestamp.ReplaceAllString(out, "nginx: [$1] ")
	return nginxConsole.ReplaceAllString(out, "nginxws: ")
}

// environmentTrouble recognises answers of a valid case that depend on the machine rather
// than on the configuration: nginx -t of a valid file binds the listeners and creates the
// compiled-in temp directories (/var/lib/nginx/...), which the corpus cannot move without
// directives nginxws warns about.
var environmentTrouble = regexp.MustCompile(`bind\(\) to \S+ failed|"/var/lib/nginx/|"/var/log/nginx/`)

// TestEmergCorpusMatchesNginx re-runs the real nginx on every case and checks that the
// stored answers are still what it prints, so the corpus cannot drift from the oracle.
func TestEmergCorpusMatchesNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx" // Debian installs it outside an unprivileged PATH
		if _, statErr := os.Stat(nginx); statErr != nil {
			t.Skip("nginx is not installed, so the corpus cannot be checked against it: apt-get install -y nginx-light")
		}
	}
	version := nginxVersion(t, nginx)
	if !strings.Contains(version, "nginx/1.22.") {
		t.Skipf("the corpus records nginx 1.22's answers; this nginx is %q (apt-get install -y nginx-light on Debian 12)", strings.TrimSpace(version))
	}
	for _, kind := range []string{"emerg", "valid"} {
		for _, c := range loadCorpus(t, kind) {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				dir := copyCase(t, c)
				// -e /dev/null: see regen.sh — it gives the console form on every build.
				_, stderr, code := runTest(t, nginx, dir, "-e", "/dev/null")
				got := normaliseNginx(stderr, dir)
				if c.exitCode == 0 && code != 0 && environmentTrouble.MatchString(got) {
					t.Skipf("nginx cannot test a valid case on this machine (port in use or no /var/lib/nginx):\n%s", got)
				}
				if got != c.expected {
					t.Errorf("nginx's answer changed; run testdata/emerg/regen.sh and review the diff (%s)\n--- stored:\n%s--- nginx now:\n%s", c.dir, c.expected, got)
				}
				if code != c.exitCode {
					t.Errorf("nginx exits %d, the corpus says %d", code, c.exitCode)
				}
			})
		}
	}
}

// nginxVersion returns what `nginx -v` prints (on stderr, like every nginx message).
func nginxVersion(t *testing.T, nginx string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), corpusRunTimeout)
	defer cancel()
	var errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, nginx, "-v")
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s -v: %v", nginx, err)
	}
	return errOut.String()
}
