// Package examples holds the demo's configuration and backend. This test
// keeps examples/nginx.conf valid for both nginx 1.22 and nginxws, with the
// same answer from each.
package examples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testConfig runs `BIN -t -p PREFIX/ -c ABS/nginx.conf` with a fresh prefix
// holding logs/ (the config's pid and logs are relative to the prefix) and
// returns its output (stdout and stderr) and exit error.
func testConfig(t *testing.T, bin string) (string, error) {
	t.Helper()
	conf, err := filepath.Abs("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	prefix := t.TempDir()
	if err := os.Mkdir(filepath.Join(prefix, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-t", "-p", prefix+"/", "-c", conf)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	return out.String(), err
}

func TestSeedConfigPassesNginxAndNginxws(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx not installed (.ci/run installs nginx-light): ", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go not in PATH: ", err)
	}
	nginxws := filepath.Join(t.TempDir(), "nginxws")
	build := exec.Command(goBin, "build", "-o", nginxws, "../cmd/nginxws")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ../cmd/nginxws: %v\n%s", err, out)
	}

	nout, nerr := testConfig(t, nginx)
	if nerr != nil {
		t.Fatalf("nginx -t on examples/nginx.conf: %v\n%s", nerr, nout)
	}
	// nginx's test output is the two lines nginxws must print, with its own
	// name; anything else (a [warn], an [emerg]) would be in both outputs.
	want := strings.ReplaceAll(nout, "nginx: ", "nginxws: ")
	wout, werr := testConfig(t, nginxws)
	if werr != nil || wout != want {
		t.Fatalf("nginxws -t on examples/nginx.conf: exit %v, output\n%s\nwant exit 0 and nginx's output with its own name:\n%s", werr, wout, want)
	}
}
