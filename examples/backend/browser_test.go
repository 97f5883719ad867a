package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// TestBrowserDemo is the demo of `make run` in a real browser: the demo
// configuration (examples/nginx.conf, its ports replaced by free ones)
// served by nginxws in process in front of two demo backends, and headless
// Chromium loading the page, whose script opens a WebSocket through
// nginxws, receives the backend's greeting and the echo of its first
// message. The page marks its progress in the DOM (body[data-state],
// data-echoes), read over the DevTools protocol on a pipe.
func TestBrowserDemo(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (apt-get install -y chromium; .ci/run installs it)")
	}
	b1 := newTestServer(t, "backend-1")
	b2 := newTestServer(t, "backend-2")
	addr := startDemoProxy(t, b1.Listener.Addr().String(), b2.Listener.Addr().String())

	cdp := startChromium(t, browser)
	var created struct {
		TargetID string `json:"targetId"`
	}
	cdp.call(t, "", "Target.createTarget", map[string]any{"url": "http://" + addr + "/"}, &created)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	cdp.call(t, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached)

	const probe = `document.body ? (document.body.dataset.state || "") + "|" + (document.body.dataset.echoes || "") + "|" + (document.body.dataset.backend || "") : ""`
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		var res struct {
			Result struct {
				Value string `json:"value"`
			} `json:"result"`
		}
		cdp.call(t, attached.SessionID, "Runtime.evaluate", map[string]any{"expression": probe, "returnByValue": true}, &res)
		last = res.Result.Value
		parts := strings.Split(last, "|")
		if len(parts) == 3 && parts[0] == "open" && parts[1] != "" && parts[1] != "0" {
			if parts[2] != "backend-1" && parts[2] != "backend-2" {
				t.Errorf("greeted by %q", parts[2])
			}
			return
		}
		if len(parts) > 0 && (parts[0] == "closed" || parts[0] == "error") {
			t.Fatalf("the page's WebSocket failed: %q", last)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no echo in the page after 30 s: state|echoes|backend = %q", last)
}

// startDemoProxy runs nginxws in process on examples/nginx.conf with its
// two backends and its listen address replaced; it returns the address.
func startDemoProxy(t *testing.T, b1, b2 string) string {
	t.Helper()
	text, err := os.ReadFile("../nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := strings.NewReplacer("127.0.0.1:9001", b1, "127.0.0.1:9002", b2, "127.0.0.1:8080", addr).Replace(string(text))
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := directives.LoadString(filepath.Join(dir, "nginx.conf"), conf, directives.LoadOptions{Prefix: dir + "/"})
	if err != nil {
		t.Fatal(err)
	}
	set, err := errlog.Open([]errlog.Target{{Path: filepath.Join(dir, "logs/error.log"), Level: errlog.LevelInfo}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	s := proxy.New(cfg, errlog.New("nginxws", os.Getpid(), os.Stderr, set))
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	return addr
}

// devtools speaks the DevTools protocol over --remote-debugging-pipe:
// JSON messages, each ended by a NUL byte, written to the browser's fd 3
// and read from its fd 4.
type devtools struct {
	w    io.Writer
	r    *bufio.Reader
	next int
}

// startChromium starts headless Chromium with the pipe, in a profile of
// its own; the browser and its helpers are killed when the test ends.
func startChromium(t *testing.T, browser string) *devtools {
	t.Helper()
	toBrowser, ourWrite, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ourRead, fromBrowser, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // fds 3 and 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toBrowser.Close()
	fromBrowser.Close()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		ourWrite.Close()
		ourRead.Close()
		if t.Failed() {
			t.Logf("chromium's stderr:\n%s", stderr.String())
		}
	})
	return &devtools{w: ourWrite, r: bufio.NewReader(ourRead)}
}

// call sends a command (to the browser, or to a page's session) and
// decodes its result into out, skipping the events that come between.
func (d *devtools) call(t *testing.T, session, method string, params map[string]any, out any) {
	t.Helper()
	d.next++
	msg := map[string]any{"id": d.next, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.w.Write(append(b, 0)); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	for {
		raw, err := d.r.ReadBytes(0)
		if err != nil {
			t.Fatalf("%s: reading the browser's answer: %v", method, err)
		}
		var resp struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw[:len(raw)-1], &resp); err != nil {
			t.Fatalf("%s: %v in %q", method, err, raw)
		}
		if resp.ID != d.next {
			continue // an event, or the answer to an earlier call
		}
		if resp.Error != nil {
			t.Fatalf("%s: %s", method, resp.Error.Message)
		}
		if err := json.Unmarshal(resp.Result, out); err != nil {
			t.Fatal(fmt.Errorf("%s: %w", method, err))
		}
		return
	}
}
