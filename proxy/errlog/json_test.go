package errlog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJSON checks SetJSON's lines: valid JSON, the same fields as the text
// line, typed, in nginx's order; the stderr mirror stays text.
func TestJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	set := openSet(t, Target{Path: path, Level: LevelInfo})
	stderr := tempFile(t)
	l := New("nginxws", 42, stderr, set)
	l.SetJSON(true)
	l.SetMirror(true)
	l.Error().Uint64(FieldConn, 7).Str(FieldErrno, "111: Connection refused").
		Str(FieldAction, "connecting to upstream").Str("client", "127.0.0.1").Str("server", "").
		Bytes("request", []byte(`GET /"q" HTTP/1.1`)).Str("upstream", "http://127.0.0.1:1/").
		Str("host", "x").Msg("connect() failed")
	l.Emerg().Str(FieldErrno, "no number").Msg("plain")

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ls := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(ls) != 2 {
		t.Fatalf("want 2 lines, got %q", b)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(ls[0]), &ev); err != nil {
		t.Fatalf("not JSON: %v: %s", err, ls[0])
	}
	if _, err := time.Parse(time.RFC3339, ev["time"].(string)); err != nil {
		t.Errorf("time: %v", err)
	}
	want := map[string]any{
		"level": "error", "pid": 42.0, "conn": 7.0, "message": "connect() failed",
		"errno": 111.0, "error": "Connection refused", "action": "connecting to upstream",
		"client": "127.0.0.1", "server": "", "request": `GET /"q" HTTP/1.1`,
		"upstream": "http://127.0.0.1:1/", "host": "x",
	}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %#v, want %#v", k, ev[k], v)
		}
	}
	if len(ev) != len(want)+1 {
		t.Errorf("fields %v, want those of %v and time", ev, want)
	}
	order := []string{`"time"`, `"level"`, `"pid"`, `"conn"`, `"message"`, `"errno"`, `"error"`, `"action"`, `"client"`, `"server"`, `"request"`, `"upstream"`, `"host"`}
	last := -1
	for _, k := range order {
		i := strings.Index(ls[0], k+":")
		if i <= last {
			t.Errorf("%s out of order in %s", k, ls[0])
		}
		last = i
	}
	if !strings.Contains(ls[1], `"level":"emerg"`) || !strings.Contains(ls[1], `"error":"no number"`) {
		t.Errorf("second line: %s", ls[1])
	}
	mirror, err := os.ReadFile(stderr.Name())
	if err != nil {
		t.Fatal(err)
	}
	wantMirror := `nginxws: [error] connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /"q" HTTP/1.1", upstream: "http://127.0.0.1:1/", host: "x"` + "\n" +
		"nginxws: [emerg] plain (no number)\n"
	if string(mirror) != wantMirror {
		t.Errorf("stderr mirror: %q", mirror)
	}
}

// TestRawBytes checks that Bytes and Msg keep bytes that are not UTF-8 in
// the text line, as nginx writes a request's bytes, and that JSON lines
// replace them with U+FFFD.
func TestRawBytes(t *testing.T) {
	dir := t.TempDir()
	text, js := filepath.Join(dir, "text.log"), filepath.Join(dir, "json.log")
	lt := New("nginxws", 1, tempFile(t), openSet(t, Target{Path: text, Level: LevelInfo}))
	lj := New("nginxws", 1, tempFile(t), openSet(t, Target{Path: js, Level: LevelInfo}))
	lj.SetJSON(true)
	for _, l := range []*Log{lt, lj} {
		e := Bytes(l.Error(), "request", []byte("GET /\xff\"\x01 HTTP/1.1"))
		e = Bytes(e, "host", []byte("plain"))
		Msg(e, "open() \"/x/\xc3\xa9\xff\" failed")
	}
	equal(t, lines(t, text), `[error] 1#1: open() "/x/`+"\xc3\xa9\xff"+`" failed, request: "GET /`+"\xff\"\x01"+` HTTP/1.1", host: "plain"`)
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("not JSON: %v: %q", err, b)
	}
	if ev["request"] != "GET /\ufffd\"\x01 HTTP/1.1" || ev["message"] != "open() \"/x/é\ufffd\" failed" || ev["host"] != "plain" {
		t.Errorf("JSON line: %q", b)
	}
}
