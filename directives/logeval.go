package directives

// logOps are the variables ngx_http_log_module writes with its own code
// (ngx_http_log_vars): computed when the line is written, never "-",
// never escaped.
var logOps = map[string]bool{
	"pipe": true, "time_local": true, "time_iso8601": true, "msec": true,
	"request_time": true, "status": true, "bytes_sent": true,
	"body_bytes_sent": true, "request_length": true,
}

// AppendLog appends an access log line in format f for the request to dst
// (without the newline), as ngx_http_log_handler writes it:
//
//   - the variables of logOps are computed now and written as they are;
//   - any other variable takes the value the request already has, if it
//     was computed before (nginx reads it with
//     ngx_http_get_indexed_variable, so even a non-cacheable variable
//     keeps an earlier value), else it is computed now;
//   - a variable not found is "-" with escape=default, nothing with
//     escape=json or escape=none;
//   - escape=default writes '"', '\', control bytes and bytes ≥ 0x7F as
//     "\xHH"; escape=json escapes as JSON strings do.
func (s *State) AppendLog(f *LogFormat, dst []byte) []byte {
	if f == nil || f.Value == nil {
		return dst
	}
	s.gen++
	gen := s.gen
	for i := range f.Value.Segments {
		sg := &f.Value.Segments[i]
		var v []byte
		var ok bool
		switch {
		case sg.idx > 0 && int(sg.idx) <= len(s.slots):
			v, ok = s.logVar(sg.idx-1, gen)
		case sg.Var != "":
			v, ok = s.slowVar(sg.Var, gen)
		case sg.Capture > 0:
			v, ok = s.Capture(sg.Capture), true
		default:
			dst = append(dst, sg.Literal...)
			continue
		}
		if sg.idx > 0 && int(sg.idx) <= len(s.slots) && s.e.vars[sg.idx-1].logOp {
			dst = append(dst, v...)
			continue
		}
		if !ok {
			if f.Escape == "default" || f.Escape == "" {
				dst = append(dst, '-')
			}
			continue
		}
		switch f.Escape {
		case "json":
			dst = appendJSONEscaped(dst, v)
		case "none":
			dst = append(dst, v...)
		default:
			dst = appendLogEscaped(dst, v)
		}
	}
	return dst
}

// logVar reads a variable for the log: a value computed before stays.
func (s *State) logVar(i int32, gen uint32) ([]byte, bool) {
	d := &s.e.vars[i]
	if d.logOp {
		return d.get(s, d)
	}
	if sl := &s.slots[i]; sl.st != slotEmpty {
		return sl.val, sl.st == slotFound
	}
	return s.get(i, gen)
}

// appendLogEscaped is ngx_http_log_escape.
func appendLogEscaped(dst, v []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range v {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// appendJSONEscaped is ngx_escape_json.
func appendJSONEscaped(dst, v []byte) []byte {
	for _, c := range v {
		if c > 0x1f {
			if c == '\\' || c == '"' {
				dst = append(dst, '\\')
			}
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '\\')
		switch c {
		case '\n':
			dst = append(dst, 'n')
		case '\r':
			dst = append(dst, 'r')
		case '\t':
			dst = append(dst, 't')
		case '\b':
			dst = append(dst, 'b')
		case '\f':
			dst = append(dst, 'f')
		default:
			lo := c & 0xf
			h := byte('0' + lo)
			if lo >= 10 {
				h = 'A' + lo - 10
			}
			dst = append(dst, 'u', '0', '0', '0'+c>>4, h)
		}
	}
	return dst
}
