package errlog

import (
	"strconv"
	"time"
)

// SetJSON makes the Log write each event as one zerolog JSON object per
// line instead of nginx's text line (nginxws -j), for log shippers that
// parse JSON. The fields are the same, typed:
//
//	{"time":"2026-11-25T22:15:55+00:00","level":"error","pid":1234,"conn":5,
//	 "message":"connect() failed","errno":111,"error":"Connection refused",
//	 "action":"connecting to upstream","client":"127.0.0.1","server":"",
//	 "request":"GET / HTTP/1.1","upstream":"http://127.0.0.1:8080/","host":"x"}
//
// level is nginx's level name; conn, pid and errno are numbers; errno
// ("111: Connection refused" in the text line) is split into its number
// and "error", its text; the request's context fields keep their names and
// order. The stderr mirror of start-up messages stays text, for people.
func (l *Log) SetJSON(on bool) { l.json.Store(on) }

// JSON reports whether the Log writes JSON lines (SetJSON).
func (l *Log) JSON() bool { return l.json.Load() }

// formatJSON appends the JSON line for the event p to buf.
func (l *Log) formatJSON(buf []byte, lvl Level, p []byte, now time.Time) []byte {
	buf = append(buf, `{"time":"`...)
	buf = now.AppendFormat(buf, "2006-01-02T15:04:05-07:00")
	buf = append(buf, `","level":"`...)
	buf = append(buf, lvl.String()...)
	buf = append(buf, `","pid":`...)
	buf = append(buf, l.pid...)

	var fs [maxFields]field
	n := parseFields(p, fs[:])
	fields := fs[:n]
	// nginx's order: the connection, the message with its system error
	// and action, then the context.
	if f := find(fields, FieldConn); f != nil {
		buf = appendJSONField(buf, f)
		f.used = true
	}
	if f := find(fields, "message"); f != nil {
		buf = appendJSONField(buf, f)
		f.used = true
	}
	if f := find(fields, FieldErrno); f != nil {
		buf = appendErrno(buf, f)
		f.used = true
	}
	for i := range fields {
		f := &fields[i]
		if f.used || string(f.key) == "level" {
			continue
		}
		buf = appendJSONField(buf, f)
	}
	return append(buf, '}', '\n')
}

// appendJSONField appends `,"key":value` with the value as zerolog wrote
// it (strings keep their escapes).
func appendJSONField(buf []byte, f *field) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, f.key...)
	buf = append(buf, '"', ':')
	if f.str {
		buf = append(buf, '"')
		buf = appendValidUTF8(buf, f.val)
		return append(buf, '"')
	}
	return append(buf, f.val...)
}

// appendErrno appends an errno field ("111: Connection refused") as
// "errno":111,"error":"Connection refused"; a value of another form stays
// a string under "error".
func appendErrno(buf []byte, f *field) []byte {
	v := f.val
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if !f.str || i == 0 || i+2 > len(v) || v[i] != ':' || v[i+1] != ' ' {
		return appendJSONField(buf, &field{key: []byte("error"), val: f.val, str: f.str})
	}
	buf = append(buf, `,"errno":`...)
	buf = append(buf, v[:i]...)
	buf = append(buf, `,"error":"`...)
	buf = appendValidUTF8(buf, v[i+2:])
	return append(buf, '"')
}

// pidText is the pid as the JSON number it is printed as.
func pidText(pid int) []byte { return []byte(strconv.Itoa(pid)) }
