// Command reload measures how long nginxws takes to serve an edited
// configuration (issue 7): from the moment a file is written to the moment
// a request sees the new configuration, p50 and p99 over -n reloads, for
// each way a reload starts:
//
//   - watch: the file is rewritten and nginxws notices by itself (fsnotify,
//     then 100 ms without further events before it reads the files);
//   - sighup: the file is rewritten, then SIGHUP (nginxws run with -w off).
//
// Each reload changes what GET /gen answers ("gen N"); a client polls it
// every millisecond on a keepalive connection, so the figure includes
// reading, validating and compiling the configuration, swapping it, and the
// next request. Usage (make bench runs it after make build):
//
//	go run ./examples/bench/reload -nginxws bin/nginxws [-n 50]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("nginxws", "bin/nginxws", "the nginxws `binary` to measure")
	n := flag.Int("n", 50, "reloads per mode")
	flag.Parse()
	if err := run(*bin, *n); err != nil {
		fmt.Fprintln(os.Stderr, "reload bench:", err)
		os.Exit(1)
	}
}

func run(bin string, n int) error {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	fmt.Printf("reload latency, file written -> new configuration served (%d reloads each)\n", n)
	for _, mode := range []string{"watch", "sighup"} {
		ds, err := measure(abs, mode, n)
		if err != nil {
			return fmt.Errorf("%s: %w", mode, err)
		}
		slices.Sort(ds)
		fmt.Printf("  %-6s  p50 %8s  p99 %8s  max %8s\n", mode, round(pct(ds, 50)), round(pct(ds, 99)), round(ds[len(ds)-1]))
	}
	return nil
}

// measure starts nginxws on a fresh configuration and reloads it n times.
func measure(bin, mode string, n int) ([]time.Duration, error) {
	dir, err := os.MkdirTemp("", "nginxws-reload-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	gen := filepath.Join(dir, "conf.d", "gen.conf")
	if err := os.MkdirAll(filepath.Dir(gen), 0o755); err != nil {
		return nil, err
	}
	main := filepath.Join(dir, "nginx.conf")
	conf := "pid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log notice;\nevents {}\n" +
		"http {\n    access_log off;\n    server {\n        listen 127.0.0.1:" + strconv.Itoa(port) + ";\n" +
		"        include " + dir + "/conf.d/*.conf;\n    }\n}\n"
	if err := os.WriteFile(main, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	if err := writeGen(gen, 0); err != nil {
		return nil, err
	}

	args := []string{"-p", dir + "/", "-c", main, "-e", filepath.Join(dir, "startup.log")}
	if mode == "sighup" {
		args = append(args, "-w", "off")
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 5 * time.Second}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/gen"
	if _, err := waitServed(client, url, "gen 0", time.Now(), 10*time.Second); err != nil {
		return nil, fmt.Errorf("nginxws did not start: %w (see %s)", err, filepath.Join(dir, "error.log"))
	}
	ds := make([]time.Duration, 0, n)
	for i := 1; i <= n; i++ {
		if err := writeGen(gen, i); err != nil {
			return nil, err
		}
		written := time.Now()
		if mode == "sighup" {
			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				return nil, err
			}
		}
		d, err := waitServed(client, url, "gen "+strconv.Itoa(i), written, 5*time.Second)
		if err != nil {
			return nil, fmt.Errorf("reload %d: %w", i, err)
		}
		ds = append(ds, d)
	}
	return ds, nil
}

// writeGen rewrites the include file in place with generation i.
func writeGen(path string, i int) error {
	return os.WriteFile(path, []byte(`location = /gen { return 200 "gen `+strconv.Itoa(i)+`"; }`+"\n"), 0o644)
}

// waitServed polls url until it answers want and returns the time since
// since.
func waitServed(client *http.Client, url, want string, since time.Time, limit time.Duration) (time.Duration, error) {
	last := ""
	for {
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == want {
				return time.Since(since), nil
			}
			last = resp.Status + " " + string(b)
		} else {
			last = err.Error()
		}
		if time.Since(since) > limit {
			return 0, errors.New("still " + strconv.Quote(last) + " after " + limit.String() + ", want " + strconv.Quote(want))
		}
		time.Sleep(time.Millisecond)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// pct is the p-th percentile of sorted ds, nearest rank.
func pct(ds []time.Duration, p int) time.Duration {
	i := (len(ds)*p + 99) / 100
	return ds[min(max(i-1, 0), len(ds)-1)]
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
