package main

// The side-by-side suite's case files: reading testdata/sidebyside/NNN-name/cases and
// rendering the nginx.conf template. testdata/sidebyside/README.md describes the format for
// people writing cases; this file is its implementation.

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// sbsCase is one named exchange of a case directory: a connection to the proxy, what is
// written on it and read back, what the backends answer meanwhile, and what to compare.
type sbsCase struct {
	name     string
	line     int                   // line of "case NAME" in the cases file
	from     string                // client source address (TCP only); "" = 127.0.0.1
	to       string                // address to connect to, rendered; "" = 127.0.0.1:{{PORT1}}
	masks    []sbsMask             // values that are inherently variable
	logLines int                   // access-log lines this case writes, compared when logGiven
	logGiven bool                  // "log N" was given (N = 0: the lines present at the end)
	logFile  string                // the access log "log" reads, relative to the prefix
	errLines int                   // error-log lines this case writes, compared when > 0
	errFile  string                // the error log "errlog" reads, relative to the prefix
	replies  map[string][]sbsReply // backend name → answers for its 1st, 2nd, … connection
	steps    []sbsStep
	requires string        // "ipv6": skipped where ::1 cannot be bound
	timeout  time.Duration // per read; 0 = sbsReadTimeout
	tls      *sbsTLS       // "tls NAME [VERSION]": the connection is TLS
	// preface is what "preface" writes on the raw connection before
	// anything else, before a TLS handshake too (a PROXY protocol header).
	preface []byte
}

// sbsTLS is a case's TLS client: the SNI name ("" for none), and the one
// protocol version it offers (0: Go's default range).
type sbsTLS struct {
	serverName string
	version    uint16
	// clientCert is sent when the server asks for one, whatever CAs it
	// names.
	clientCert *tls.Certificate
}

// sbsMask hides the value of one header ("client" = the response the client got,
// "upstream" = the request a backend got) or, for "log", a regular expression in the
// access-log lines, and for "text", anywhere in the case's transcript.
type sbsMask struct {
	side string
	name string
}

// sbsReply is a backend's canned answer: parts written in order, the backend waiting
// between two parts until the client has seen the text the case's stream step names (or
// sbsPauseTimeout passes). silent: answer nothing and hold the connection open.
// headOnly ("reply b1 head"): answer once the head is read, whatever body it announces.
// hold ("reply b1 hold"): send the parts, then hold the connection open without ending
// the response, until the proxy closes it.
type sbsReply struct {
	parts    [][]byte
	silent   bool
	headOnly bool // answer after the request head, without reading a body
	hold     bool
}

// sbsStepKind is what one step of a case does on the client connection.
type sbsStepKind int

const (
	stepSend   sbsStepKind = iota // write data, then read one response
	stepWrite                     // write data only
	stepRead                      // read one response ("nobody": a response to HEAD)
	stepStream                    // read one response, releasing the backends' pause when arg is seen
	stepEOF                       // expect the proxy to close the connection
	stepShut                      // close the client's write side
	stepReset                     // close the connection with a reset (SO_LINGER 0); the case's last step
	stepSleep                     // wait arg (a duration), e.g. for an access log's flush=
	stepSignal                    // send the proxy the signal arg names ("reopen": SIGUSR1)
)

// sbsStep is one step of a case.
type sbsStep struct {
	kind sbsStepKind
	data []byte // send, write
	arg  string // read: "nobody"; stream: the text to wait for
}

// sbsPlaceholder matches {{NAME}} and {{NAME ARG}} in templates and blocks.
var sbsPlaceholder = regexp.MustCompile(`\{\{([A-Z_]+)([0-9]*)(?: ([^}]*))?\}\}`)

// sbsParseCases reads a cases file. vars renders the placeholders of the directory
// ({{PORT1}}, {{BACKEND1}}, …) inside blocks and arguments.
func sbsParseCases(path string, vars map[string]string) ([]*sbsCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var (
		cases []*sbsCase
		cur   *sbsCase
		n     int
		seen  = map[string]bool{}
	)
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", path, n, fmt.Sprintf(format, a...))
	}
	// block reads the lines up to a line holding only ".".
	block := func() ([]string, error) {
		start := n
		var lines []string
		for sc.Scan() {
			n++
			if sc.Text() == "." {
				return lines, nil
			}
			lines = append(lines, sc.Text())
		}
		return nil, fmt.Errorf("%s:%d: block not closed by a line holding only \".\"", path, start)
	}
	// blockParts reads a block and splits it at its {{PAUSE}} marks.
	blockParts := func() ([][]byte, error) {
		lines, err := block()
		if err != nil {
			return nil, err
		}
		parts, err := sbsBlockParts(lines, vars)
		if err != nil {
			return nil, fail("%v", err)
		}
		return parts, nil
	}
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		if word == "case" {
			if rest == "" || strings.ContainsAny(rest, " /") {
				return nil, fail("case needs one name without spaces or slashes")
			}
			if seen[rest] {
				return nil, fail("case %q defined twice", rest)
			}
			seen[rest] = true
			cur = &sbsCase{name: rest, line: n, replies: map[string][]sbsReply{}}
			cases = append(cases, cur)
			continue
		}
		if cur == nil {
			return nil, fail("%q before the first case", word)
		}
		switch word {
		case "from":
			cur.from = rest
		case "to":
			cur.to = sbsRender(rest, vars)
		case "mask":
			side, name, ok := strings.Cut(rest, " ")
			if !ok || (side != "client" && side != "upstream" && side != "log" && side != "text") {
				return nil, fail("mask client|upstream HEADER, or mask log|text REGEXP")
			}
			if side == "log" || side == "text" {
				if _, err := regexp.Compile(name); err != nil {
					return nil, fail("mask log: %v", err)
				}
			}
			cur.masks = append(cur.masks, sbsMask{side: side, name: name})
		case "log", "errlog":
			count, file, _ := strings.Cut(rest, " ")
			v, err := strconv.Atoi(count)
			if err != nil || v < 0 || (v == 0 && word == "errlog") || strings.ContainsAny(file, " /") {
				return nil, fail("%s needs a count of lines, then optionally a file name in the prefix", word)
			}
			if word == "log" {
				cur.logLines, cur.logFile, cur.logGiven = v, file, true
			} else {
				cur.errLines, cur.errFile = v, file
			}
		case "requires":
			if rest != "ipv6" {
				return nil, fail("unknown requirement %q", rest)
			}
			cur.requires = rest
		case "tls":
			const usage = "tls NAME|- [TLSv1|TLSv1.1|TLSv1.2|TLSv1.3|-] [CERTFILE KEYFILE]"
			fields := strings.Fields(rest)
			if len(fields) == 0 || len(fields) == 3 || len(fields) > 4 {
				return nil, fail(usage)
			}
			name, version := fields[0], ""
			if len(fields) > 1 && fields[1] != "-" {
				version = fields[1]
			}
			t := &sbsTLS{serverName: name}
			if name == "-" {
				t.serverName = ""
			}
			switch version {
			case "":
			case "TLSv1":
				t.version = tls.VersionTLS10
			case "TLSv1.1":
				t.version = tls.VersionTLS11
			case "TLSv1.2":
				t.version = tls.VersionTLS12
			case "TLSv1.3":
				t.version = tls.VersionTLS13
			default:
				return nil, fail(usage)
			}
			if len(fields) == 4 {
				dir := filepath.Dir(path)
				cert, err := tls.LoadX509KeyPair(filepath.Join(dir, fields[2]), filepath.Join(dir, fields[3]))
				if err != nil {
					return nil, fail("tls client certificate: %v", err)
				}
				t.clientCert = &cert
			}
			cur.tls = t
		case "timeout":
			d, err := time.ParseDuration(rest)
			if err != nil {
				return nil, fail("timeout: %v", err)
			}
			cur.timeout = d
		case "reply":
			name, mode, _ := strings.Cut(rest, " ")
			if !strings.HasPrefix(name, "b") {
				return nil, fail("reply needs a backend name (b1, b2, …)")
			}
			if mode == "silent" {
				cur.replies[name] = append(cur.replies[name], sbsReply{silent: true})
				continue
			}
			if mode != "" && mode != "head" && mode != "hold" {
				return nil, fail("unknown reply mode %q", mode)
			}
			parts, err := blockParts()
			if err != nil {
				return nil, err
			}
			cur.replies[name] = append(cur.replies[name], sbsReply{parts: parts, headOnly: mode == "head", hold: mode == "hold"})
		case "preface":
			parts, err := blockParts()
			if err != nil {
				return nil, err
			}
			if len(parts) != 1 || cur.preface != nil || len(cur.steps) > 0 {
				return nil, fail("one preface, before the steps, without {{PAUSE}}")
			}
			cur.preface = parts[0]
		case "send", "write":
			parts, err := blockParts()
			if err != nil {
				return nil, err
			}
			if len(parts) != 1 {
				return nil, fail("{{PAUSE}} is for replies only")
			}
			kind := stepSend
			if word == "write" {
				kind = stepWrite
			}
			arg := ""
			if kind == stepSend && strings.HasPrefix(string(parts[0]), "HEAD ") {
				arg = "nobody"
			}
			cur.steps = append(cur.steps, sbsStep{kind: kind, data: parts[0], arg: arg})
		case "read":
			if rest != "" && rest != "nobody" {
				return nil, fail("read takes nothing or \"nobody\"")
			}
			cur.steps = append(cur.steps, sbsStep{kind: stepRead, arg: rest})
		case "stream":
			if rest == "" {
				return nil, fail("stream needs the text that releases the backend's pause")
			}
			cur.steps = append(cur.steps, sbsStep{kind: stepStream, arg: rest})
		case "eof":
			cur.steps = append(cur.steps, sbsStep{kind: stepEOF})
		case "shut":
			cur.steps = append(cur.steps, sbsStep{kind: stepShut})
		case "reset":
			cur.steps = append(cur.steps, sbsStep{kind: stepReset})
		case "sleep":
			if _, err := time.ParseDuration(rest); err != nil {
				return nil, fail("sleep: %v", err)
			}
			cur.steps = append(cur.steps, sbsStep{kind: stepSleep, arg: rest})
		case "signal":
			if rest != "reopen" {
				return nil, fail("signal takes \"reopen\"")
			}
			cur.steps = append(cur.steps, sbsStep{kind: stepSignal, arg: rest})
		default:
			return nil, fail("unknown line %q", word)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, c := range cases {
		if len(c.steps) == 0 {
			return nil, fmt.Errorf("%s:%d: case %s has no steps", path, c.line, c.name)
		}
	}
	return cases, nil
}

// sbsBlockParts turns the lines of a block into bytes: each line gets CRLF unless it ends
// with a backslash (which is dropped); \r \n \t \\ \xHH are escapes; a line holding only
// {{PAUSE}} splits the block into parts.
func sbsBlockParts(lines []string, vars map[string]string) ([][]byte, error) {
	var parts [][]byte
	var cur []byte
	for _, l := range lines {
		if strings.TrimSpace(l) == "{{PAUSE}}" {
			parts = append(parts, cur)
			cur = nil
			continue
		}
		crlf := true
		if strings.HasSuffix(l, `\`) && !strings.HasSuffix(l, `\\`) {
			crlf = false
			l = l[:len(l)-1]
		}
		b, err := sbsUnescape(sbsRender(l, vars))
		if err != nil {
			return nil, err
		}
		cur = append(cur, b...)
		if crlf {
			cur = append(cur, '\r', '\n')
		}
	}
	return append(parts, cur), nil
}

// sbsUnescape interprets the block escapes.
func sbsUnescape(s string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("lone backslash in %q", s)
		}
		i++
		switch s[i] {
		case 'r':
			out = append(out, '\r')
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case '\\':
			out = append(out, '\\')
		case 'x':
			if i+2 >= len(s) {
				return nil, fmt.Errorf("short \\x escape in %q", s)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("bad \\x escape in %q", s)
			}
			out = append(out, byte(v))
			i += 2
		default:
			return nil, fmt.Errorf("unknown escape \\%c in %q", s[i], s)
		}
	}
	return out, nil
}

// sbsBytes is the deterministic filler {{BYTES n}} stands for.
func sbsBytes(n int) string {
	const pattern = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(pattern[:min(len(pattern), n-b.Len())])
	}
	return b.String()
}

// sbsRender substitutes the placeholders of s. Unknown names are left as written, so a
// typo shows up in the config nginx refuses or in the compared output.
func sbsRender(s string, vars map[string]string) string {
	return sbsPlaceholder.ReplaceAllStringFunc(s, func(m string) string {
		sub := sbsPlaceholder.FindStringSubmatch(m)
		if sub[1] == "BYTES" {
			n, err := strconv.Atoi(strings.TrimSpace(sub[3]))
			if err != nil {
				return m
			}
			return sbsBytes(n)
		}
		if v, ok := vars[sub[1]+sub[2]]; ok {
			return v
		}
		return m
	})
}

// sbsNeeds lists the numbered placeholders ({{PORT2}}, {{BACKEND1}}, …) a text uses, by
// kind: the ports, backends and dead addresses a directory must provide.
func sbsNeeds(texts ...string) map[string]int {
	need := map[string]int{}
	for _, t := range texts {
		for _, m := range sbsPlaceholder.FindAllStringSubmatch(t, -1) {
			n, err := strconv.Atoi(m[2])
			if err != nil {
				continue
			}
			kind := m[1]
			if kind == "BACKEND_SOCK" || kind == "BACKEND_TLS" {
				kind = "BACKEND"
			}
			need[kind] = max(need[kind], n)
		}
	}
	return need
}
