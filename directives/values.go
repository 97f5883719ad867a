package directives

import (
	"math"
	"time"
)

// This file holds nginx's value syntaxes (src/core/ngx_parse.c and the
// ngx_conf_set_*_slot setters), reproduced rule for rule: they decide which
// spellings a config may use, so any leniency here would accept files that
// nginx rejects.

// Atoi parses an unsigned decimal number as ngx_atoi does: digits only, no
// sign, no spaces, at least one digit, and no overflow. It reports ok=false
// where ngx_atoi returns NGX_ERROR. (The command line reads the pid file
// with it too, as nginx's ngx_signal_process does.)
func Atoi(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseSize parses a size as ngx_parse_size: a number with an optional k/K
// (KiB) or m/M (MiB) suffix. "8k" is 8192; "1g", "1kb", "-1" and "" are
// invalid (sizes have no g suffix; offsets do, see parseOffset).
func parseSize(s string) (int64, bool) {
	return parseScaled(s, false)
}

// parseOffset parses an offset as ngx_parse_offset: like parseSize, plus a
// g/G (GiB) suffix. client_max_body_size is an offset.
func parseOffset(s string) (int64, bool) {
	return parseScaled(s, true)
}

func parseScaled(s string, allowG bool) (int64, bool) {
	if s == "" {
		return 0, false
	}
	scale := int64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		scale = 1 << 10
	case 'm', 'M':
		scale = 1 << 20
	case 'g', 'G':
		if allowG {
			scale = 1 << 30
		}
	}
	if scale != 1 {
		s = s[:len(s)-1]
	}
	n, ok := Atoi(s)
	if !ok || n > math.MaxInt64/scale {
		return 0, false
	}
	return n * scale, true
}

// Time units in ngx_parse_time order; a value must use them in decreasing
// order, each at most once ("1h 30m" is valid, "30m 1h" is not).
const (
	stStart = iota
	stYear
	stMonth
	stWeek
	stDay
	stHour
	stMin
	stSec
	stMsec
	stLast
)

// parseTime parses a time as nginx 1.22's ngx_parse_time. With sec set
// the result is in seconds and "ms" is invalid; otherwise it is in
// milliseconds and the year unit is invalid (the value starts at the
// month step). A bare number is seconds. Units: y M w d h m s ms, with or
// without spaces between them ("1h30m", "1h 30m"); a space after a bare
// number ends it ("1 2" is three seconds). The only bound is the 64-bit
// range, as in nginx 1.22 (later versions bound values to 32 bits).
func parseTime(s string, sec bool) (int64, bool) {
	const maxInt = math.MaxInt64
	var value, total int64
	valid := false
	step := stStart
	if !sec {
		step = stMonth
	}
	for p := 0; p < len(s); {
		c := s[p]
		if c >= '0' && c <= '9' {
			d := int64(c - '0')
			if value >= maxInt/10 && (value > maxInt/10 || d > maxInt%10) {
				return 0, false
			}
			value = value*10 + d
			valid = true
			p++
			continue
		}
		p++
		var max, scale int64
		switch c {
		case 'y':
			if step > stStart {
				return 0, false
			}
			step, max, scale = stYear, maxInt/(60*60*24*365), 60*60*24*365
		case 'M':
			if step >= stMonth {
				return 0, false
			}
			step, max, scale = stMonth, maxInt/(60*60*24*30), 60*60*24*30
		case 'w':
			if step >= stWeek {
				return 0, false
			}
			step, max, scale = stWeek, maxInt/(60*60*24*7), 60*60*24*7
		case 'd':
			if step >= stDay {
				return 0, false
			}
			step, max, scale = stDay, maxInt/(60*60*24), 60*60*24
		case 'h':
			if step >= stHour {
				return 0, false
			}
			step, max, scale = stHour, maxInt/(60*60), 60*60
		case 'm':
			if p < len(s) && s[p] == 's' {
				if sec || step >= stMsec {
					return 0, false
				}
				p++
				step, max, scale = stMsec, maxInt, 1
				break
			}
			if step >= stMin {
				return 0, false
			}
			step, max, scale = stMin, maxInt/60, 60
		case 's':
			if step >= stSec {
				return 0, false
			}
			step, max, scale = stSec, maxInt, 1
		case ' ':
			if step >= stSec {
				return 0, false
			}
			step, max, scale = stLast, maxInt, 1
		default:
			return 0, false
		}
		if step != stMsec && !sec {
			scale *= 1000
			max /= 1000
		}
		if value > max {
			return 0, false
		}
		value *= scale
		if total > maxInt-value {
			return 0, false
		}
		total += value
		value = 0
		for p < len(s) && s[p] == ' ' {
			p++
		}
	}
	if !valid {
		return 0, false
	}
	if !sec {
		if value > maxInt/1000 {
			return 0, false
		}
		value *= 1000
	}
	if total > maxInt-value {
		return 0, false
	}
	return total + value, true
}

// parseMsec parses a time value into a duration (ngx_conf_set_msec_slot).
func parseMsec(s string) (time.Duration, bool) {
	ms, ok := parseTime(s, false)
	if !ok {
		return 0, false
	}
	return clampDuration(ms, time.Millisecond), true
}

// parseSec parses a time value in seconds into a duration
// (ngx_conf_set_sec_slot).
func parseSec(s string) (time.Duration, bool) {
	n, ok := parseTime(s, true)
	if !ok {
		return 0, false
	}
	return clampDuration(n, time.Second), true
}

// clampDuration converts n units to a Duration, saturating at the largest
// Duration (about 292 years) where nginx's 64-bit milliseconds go further.
func clampDuration(n int64, unit time.Duration) time.Duration {
	if n > math.MaxInt64/int64(unit) {
		return math.MaxInt64
	}
	return time.Duration(n) * unit
}
