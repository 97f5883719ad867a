package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// ExpiresMode is how the expires directive computes a response's Expires
// and Cache-Control headers (nginx's ngx_http_expires_t).
type ExpiresMode uint8

// The modes of expires, as ngx_http_headers_filter_module names them.
const (
	// ExpiresOff adds nothing (expires off, the default).
	ExpiresOff ExpiresMode = iota
	// ExpiresEpoch is "epoch": Expires in 1970, Cache-Control: no-cache.
	ExpiresEpoch
	// ExpiresMax is "max": Expires in 2037, Cache-Control: max-age of ten
	// years.
	ExpiresMax
	// ExpiresAccess counts the time from the response.
	ExpiresAccess
	// ExpiresModified counts the time from the response's Last-Modified
	// (from the response, when it has none).
	ExpiresModified
	// ExpiresDaily is "@time": the next such time of day.
	ExpiresDaily
)

// Expires is one level's expires directive.
type Expires struct {
	Mode ExpiresMode
	// Seconds is the time the directive gives: negative for "-t" (then
	// Cache-Control says no-cache); for ExpiresDaily, the time of day.
	Seconds int64
	// Value is set when the time has variables: it is evaluated and
	// parsed per response (ngx_http_set_expires), Mode being
	// ExpiresAccess or ExpiresModified until then.
	Value *Complex
}

// ParseExpires is ngx_http_parse_expires: it reads v under mode (the
// directive's: ExpiresAccess, or ExpiresModified after "modified") and
// returns the mode and time it asks for, or nginx's reason it cannot.
func ParseExpires(v string, mode ExpiresMode) (ExpiresMode, int64, string) {
	if mode != ExpiresModified {
		switch v {
		case "epoch":
			return ExpiresEpoch, 0, ""
		case "max":
			return ExpiresMax, 0, ""
		case "off":
			return ExpiresOff, 0, ""
		}
	}
	minus := false
	switch {
	case strings.HasPrefix(v, "@"):
		if mode == ExpiresModified {
			return mode, 0, `daily time cannot be used with "modified" parameter`
		}
		v, mode = v[1:], ExpiresDaily
	case strings.HasPrefix(v, "+"):
		v = v[1:]
	case strings.HasPrefix(v, "-"):
		v, minus = v[1:], true
	}
	t, ok := parseTime(v, true)
	if !ok {
		return mode, 0, "invalid value"
	}
	if mode == ExpiresDaily && t > 24*60*60 {
		return mode, 0, "daily time value must be less than 24 hours"
	}
	if minus {
		t = -t
	}
	return mode, t, ""
}

// setExpires reproduces ngx_http_headers_expires.
func (l *loader) setExpires(d *parser.Directive, sc *scope) error {
	if sc.loc.Expires != nil {
		return l.dup(d)
	}
	e := &Expires{Mode: ExpiresAccess}
	v := d.Args[0].Value
	if len(d.Args) == 2 {
		if v != "modified" {
			return l.invalid(d)
		}
		e.Mode, v = ExpiresModified, d.Args[1].Value
	}
	c, err := l.compileComplex(d, v)
	if err != nil {
		return err
	}
	if !c.IsLiteral() {
		e.Value = c
		sc.loc.Expires = e
		return nil
	}
	mode, t, reason := ParseExpires(v, e.Mode)
	if reason != "" {
		return l.errf(d, `"%s" directive %s`, d.Name, reason)
	}
	e.Mode, e.Seconds = mode, t
	sc.loc.Expires = e
	return nil
}
