package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// LogFormat is a log_format (or nginx's predefined "combined").
type LogFormat struct {
	Name string
	// Escape is "default", "json" or "none".
	Escape string
	Value  *Complex
	Pos    parser.Pos
}

// AccessLog is one access_log target.
type AccessLog struct {
	// Path is the file (absolute, or with variables), or "syslog:…"
	// (then Syslog is set).
	Path   *Complex
	Syslog *Syslog
	Format *LogFormat
	// Buffer and Flush are the buffer= and flush= options (0 when absent).
	Buffer int64
	Flush  int64 // milliseconds
	Gzip   int   // compression level, 0 when not gzip
	// If is the if= condition: the line is written unless it evaluates
	// to "" or "0".
	If  *Complex
	Pos parser.Pos
}

// combinedText is nginx's predefined combined format.
const combinedText = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// combinedFormat builds the predefined "combined" format.
func combinedFormat() *LogFormat {
	f := &LogFormat{Name: "combined", Escape: "default", Value: &Complex{Raw: combinedText}}
	for s := combinedText; s != ""; {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			f.Value.Segments = append(f.Value.Segments, Segment{Literal: s})
			break
		}
		if i > 0 {
			f.Value.Segments = append(f.Value.Segments, Segment{Literal: s[:i]})
		}
		j := i + 1
		for j < len(s) && isVarChar(s[j]) {
			j++
		}
		f.Value.Segments = append(f.Value.Segments, Segment{Var: s[i+1 : j]})
		s = s[j:]
	}
	return f
}

// setLogFormat reproduces ngx_http_log_set_format.
func (l *loader) setLogFormat(d *parser.Directive, _ *scope) error {
	name := d.Args[0].Value
	h := l.http.h
	if name == "combined" || h.LogFormat(name) != nil {
		return l.errf(d, `duplicate "log_format" name "%s"`, name)
	}
	f := &LogFormat{Name: name, Escape: "default", Pos: d.Pos}
	rest := d.ArgValues()[1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "escape=") {
		switch e := rest[0][7:]; e {
		case "default", "json", "none":
			f.Escape = e
		default:
			return l.errf(d, `unknown log format escaping "%s"`, e)
		}
		rest = rest[1:]
	}
	// nginx compiles each argument on its own, then uses them joined.
	var segs []Segment
	for _, a := range rest {
		c, err := l.compileLogArg(d, a)
		if err != nil {
			return err
		}
		for _, sg := range c.Segments {
			if n := len(segs); n > 0 && sg.Var == "" && sg.Capture == 0 && segs[n-1].Var == "" && segs[n-1].Capture == 0 {
				segs[n-1].Literal += sg.Literal
				continue
			}
			segs = append(segs, sg)
		}
	}
	f.Value = &Complex{Raw: strings.Join(rest, ""), Segments: segs}
	h.LogFormats = append(h.LogFormats, f)
	return nil
}

// compileLogArg compiles a log_format argument with
// ngx_http_log_compile_format's messages.
func (l *loader) compileLogArg(d *parser.Directive, a string) (*Complex, error) {
	c, err := l.compileValue(d, a, false)
	if err != nil {
		if pe, ok := err.(*parser.Error); ok && pe.Msg == "invalid variable name" {
			// nginx prints the argument from the "$" it could not read.
			return nil, l.errf(d, `invalid parameter "%s"`, a[badDollar(a):])
		}
		return nil, err
	}
	return c, nil
}

// setAccessLog reproduces ngx_http_log_set_log.
func (l *loader) setAccessLog(d *parser.Directive, sc *scope) error {
	c := sc.loc
	v := d.Args[0].Value
	if v == "off" {
		if len(d.Args) == 1 {
			c.AccessLogOff = true
			return nil
		}
		return l.errf(d, `invalid parameter "%s"`, d.Args[1].Value)
	}
	al := &AccessLog{Pos: d.Pos}
	switch {
	case strings.HasPrefix(v, "syslog:"):
		sl, err := l.parseSyslog(d, v)
		if err != nil {
			return err
		}
		al.Syslog = sl
		al.Path = literal(v)
	case strings.IndexByte(v, '$') < 0:
		al.Path = literal(l.fullName(v))
	default:
		p, err := l.compileComplex(d, l.fullName(v))
		if err != nil {
			return err
		}
		al.Path = p
	}
	name := "combined"
	if len(d.Args) >= 2 {
		name = d.Args[1].Value
	}
	for _, f := range l.http.h.LogFormats {
		if strings.EqualFold(f.Name, name) {
			al.Format = f
			break
		}
	}
	if al.Format == nil {
		return l.errf(d, `unknown log format "%s"`, name)
	}
	for _, a := range d.ArgValues()[min(2, len(d.Args)):] {
		switch {
		case strings.HasPrefix(a, "buffer="):
			n, ok := parseSize(a[7:])
			if !ok || n == 0 {
				return l.errf(d, `invalid buffer size "%s"`, a[7:])
			}
			al.Buffer = n
		case strings.HasPrefix(a, "flush="):
			n, ok := parseTime(a[6:], false)
			if !ok || n == 0 {
				return l.errf(d, `invalid flush time "%s"`, a[6:])
			}
			al.Flush = n
		case a == "gzip" || strings.HasPrefix(a, "gzip="):
			// gzip without buffer= so far buffers 64k.
			if al.Buffer == 0 {
				al.Buffer = 64 << 10
			}
			al.Gzip = 1
			if len(a) > 4 {
				n, ok := Atoi(a[5:])
				if !ok || n < 1 || n > 9 {
					return l.errf(d, `invalid compression level "%s"`, a[5:])
				}
				al.Gzip = int(n)
			}
		case strings.HasPrefix(a, "if="):
			cond, err := l.compileComplex(d, a[3:])
			if err != nil {
				return err
			}
			al.If = cond
		default:
			return l.errf(d, `invalid parameter "%s"`, a)
		}
	}
	if al.Flush != 0 && al.Buffer == 0 {
		return l.errf(d, `no buffer is defined for access_log "%s"`, v)
	}
	if al.Syslog == nil && al.Path.IsLiteral() {
		l.addLogFile(al.Path.Raw)
	}
	c.AccessLogs = append(c.AccessLogs, al)
	if al.Buffer == 0 {
		return nil
	}
	switch {
	case strings.HasPrefix(v, "syslog:"):
		return l.errf(d, "logs to syslog cannot be buffered")
	case !al.Path.IsLiteral():
		return l.errf(d, "buffered logs cannot have variables in name")
	}
	hb := l.http
	if prev := hb.logBuffers[al.Path.Raw]; prev != nil {
		if prev.Buffer != al.Buffer || prev.Flush != al.Flush || prev.Gzip != al.Gzip {
			return l.errf(d, `access_log "%s" already defined with conflicting parameters`, v)
		}
		return nil
	}
	if hb.logBuffers == nil {
		hb.logBuffers = map[string]*AccessLog{}
	}
	hb.logBuffers[al.Path.Raw] = al
	return nil
}

// badDollar returns the offset of the first "$" that starts no variable
// name (the one ngx_http_log_compile_format stops at).
func badDollar(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		j := i + 1
		if j < len(s) && s[j] == '{' {
			j++
		}
		if j >= len(s) || !isVarChar(s[j]) {
			return i
		}
	}
	return 0
}
