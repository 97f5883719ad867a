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
//     ngx_http_get_indexed_variable), else it is computed now; a
//     non-cacheable one is computed again, but in the built-in
//     "combined" format (ngx_http_script_flush_no_cacheable_variables
//     over the format's variables, which "combined" does not list);
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
		dst = s.appendLogSeg(f, &f.Value.Segments[i], gen, dst)
	}
	return dst
}

// appendLogSeg appends one segment of a log line (see AppendLog); gen is
// the line's evaluation number. PlanLog renders a line piecewise with it,
// so that a line written in parts is the line AppendLog writes.
func (s *State) appendLogSeg(f *LogFormat, sg *Segment, gen uint32, dst []byte) []byte {
	var v []byte
	var ok bool
	switch {
	case sg.idx > 0 && int(sg.idx) <= len(s.slots):
		v, ok = s.logVar(f, sg.idx-1, gen)
	case sg.Var != "":
		v, ok = s.slowVar(sg.Var, gen)
	case sg.Capture > 0:
		v, ok = s.Capture(sg.Capture), true
	default:
		return append(dst, sg.Literal...)
	}
	if sg.idx > 0 && int(sg.idx) <= len(s.slots) && s.e.vars[sg.idx-1].logOp {
		return append(dst, v...)
	}
	if !ok {
		if f.Escape == "default" || f.Escape == "" {
			dst = append(dst, '-')
		}
		return dst
	}
	switch f.Escape {
	case "json":
		return appendJSONEscaped(dst, v)
	case "none":
		return append(dst, v...)
	}
	return appendLogEscaped(dst, v)
}

// logVar reads a variable for a line of format f. The log module flushes
// the non-cacheable variables of a log_format before each line
// (ngx_http_script_flush_no_cacheable_variables on the format's flushes):
// those are computed afresh, once per line; the others, and every
// variable of the built-in "combined" format (which has no flushes), read
// as the request left them.
func (s *State) logVar(f *LogFormat, i int32, gen uint32) ([]byte, bool) {
	d := &s.e.vars[i]
	if d.logOp {
		return d.get(s, d)
	}
	flushed := d.noCache && f.Name != "combined"
	if sl := &s.slots[i]; sl.st != slotEmpty && (!flushed || sl.pinned || sl.gen == gen) {
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

// logOpLen is what ngx_http_log_vars reserves for the variables the log
// module writes itself, on a 64-bit build (NGX_INT_T_LEN, NGX_OFF_T_LEN,
// NGX_SIZE_T_LEN and NGX_TIME_T_LEN are all 20).
var logOpLen = map[string]int{
	"pipe": 1, "time_local": len("28/Sep/1970:12:00:00 +0600"), "time_iso8601": len("1970-09-28T12:00:00+06:00"),
	"msec": 20 + 4, "request_time": 20 + 4, "status": 20, "bytes_sent": 20,
	"body_bytes_sent": 20, "request_length": 20,
}

// LogLineLen is the room ngx_http_log_handler reserves for a line of f
// before writing it, newline included: literal text, the maxima of
// logOpLen, and the other variables' values with their escapes ("-" for
// one not found with escape=default). A buffered access log decides with
// this number, not the line's length, whether the line still fits in its
// buffer, so the lines nginx writes together are known only from it. Call
// it before AppendLog for the same line: both read the same values.
func (s *State) LogLineLen(f *LogFormat) int {
	if f == nil || f.Value == nil {
		return 1
	}
	s.gen++
	gen := s.gen
	n := 1
	for i := range f.Value.Segments {
		n += s.logSegLen(f, &f.Value.Segments[i], gen)
	}
	return n
}

// logSegLen is one segment's share of LogLineLen; gen is the pass's
// evaluation number.
func (s *State) logSegLen(f *LogFormat, sg *Segment, gen uint32) int {
	var v []byte
	var ok bool
	switch {
	case sg.idx > 0 && int(sg.idx) <= len(s.slots):
		if d := &s.e.vars[sg.idx-1]; d.logOp {
			return logOpLen[d.name]
		}
		v, ok = s.logVar(f, sg.idx-1, gen)
	case sg.Var != "":
		if l, op := logOpLen[sg.Var]; op {
			return l
		}
		v, ok = s.slowVar(sg.Var, gen)
	case sg.Capture > 0:
		v, ok = s.Capture(sg.Capture), true
	default:
		return len(sg.Literal)
	}
	switch {
	case !ok:
		if f.Escape == "default" || f.Escape == "" {
			return 1
		}
		return 0
	case f.Escape == "json":
		return jsonEscapedLen(v)
	case f.Escape == "none":
		return len(v)
	}
	n := len(v)
	for _, c := range v {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			n += 3
		}
	}
	return n
}

// jsonEscapedLen is the length appendJSONEscaped gives v.
func jsonEscapedLen(v []byte) int {
	n := len(v)
	for _, c := range v {
		switch {
		case c == '\\' || c == '"':
			n++
		case c > 0x1f:
		case c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			n++
		default:
			n += 5
		}
	}
	return n
}
