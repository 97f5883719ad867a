package proxy

// parseHTTPTime is nginx's ngx_parse_http_time: the seconds since the
// epoch of an HTTP date in any of its three forms (RFC 822 "Tue, 10 Nov
// 2002 23:50:13", RFC 850 "Tuesday, 10-Dec-02 23:50:13", asctime "Tue Dec
// 10 23:50:13 2002"), or false. It is as lenient as nginx's and as strict:
// the weekday is not checked, the zone not read, a day of 0 accepted; what
// nginx refuses (a 30 February, a 60th second) is refused. Conditional
// requests compare these numbers, so a date Go's parser reads differently
// (or not at all) must not turn a 304 or 412 into something else.
func parseHTTPTime(v []byte) (int64, bool) {
	const (
		rfc822 = iota + 1
		rfc850
		isoc
	)
	// at reads like the C code, which may look a few bytes past the value
	// (into the CR LF after it): a byte past the end is 0, never a digit.
	at := func(i int) byte {
		if i < len(v) {
			return v[i]
		}
		return 0
	}
	digit := func(i int) (int, bool) {
		c := at(i)
		return int(c - '0'), c >= '0' && c <= '9'
	}
	two := func(i int) (int, bool) {
		a, ok1 := digit(i)
		b, ok2 := digit(i + 1)
		return a*10 + b, ok1 && ok2
	}
	four := func(i int) (int, bool) {
		a, ok1 := two(i)
		b, ok2 := two(i + 2)
		return a*100 + b, ok1 && ok2
	}
	fmt := 0
	p := 0
	for ; p < len(v); p++ {
		if v[p] == ',' {
			break
		}
		if v[p] == ' ' {
			fmt = isoc
			break
		}
	}
	for p++; p < len(v); p++ {
		if v[p] != ' ' {
			break
		}
	}
	if len(v)-p < 18 {
		return 0, false
	}
	var day, year int
	var ok bool
	if fmt != isoc {
		if day, ok = two(p); !ok {
			return 0, false
		}
		p += 2
		switch at(p) {
		case ' ':
			if len(v)-p < 18 {
				return 0, false
			}
			fmt = rfc822
		case '-':
			fmt = rfc850
		default:
			return 0, false
		}
		p++
	}
	var month int
	switch at(p) {
	case 'J':
		switch {
		case at(p+1) == 'a':
			month = 0
		case at(p+2) == 'n':
			month = 5
		default:
			month = 6
		}
	case 'F':
		month = 1
	case 'M':
		if at(p+2) == 'r' {
			month = 2
		} else {
			month = 4
		}
	case 'A':
		if at(p+1) == 'p' {
			month = 3
		} else {
			month = 7
		}
	case 'S':
		month = 8
	case 'O':
		month = 9
	case 'N':
		month = 10
	case 'D':
		month = 11
	default:
		return 0, false
	}
	p += 3
	if (fmt == rfc822 && at(p) != ' ') || (fmt == rfc850 && at(p) != '-') {
		return 0, false
	}
	p++
	switch fmt {
	case rfc822:
		if year, ok = four(p); !ok {
			return 0, false
		}
		p += 4
	case rfc850:
		if year, ok = two(p); !ok {
			return 0, false
		}
		if year < 70 {
			year += 2000
		} else {
			year += 1900
		}
		p += 2
	case isoc:
		if at(p) == ' ' {
			p++
		}
		d, ok := digit(p)
		if !ok {
			return 0, false
		}
		day = d
		p++
		if at(p) != ' ' {
			d, ok := digit(p)
			if !ok {
				return 0, false
			}
			day = day*10 + d
			p++
		}
		if len(v)-p < 14 {
			return 0, false
		}
	}
	if at(p) != ' ' {
		return 0, false
	}
	p++
	hour, ok := two(p)
	if !ok || at(p+2) != ':' {
		return 0, false
	}
	p += 3
	minute, ok := two(p)
	if !ok || at(p+2) != ':' {
		return 0, false
	}
	p += 3
	sec, ok := two(p)
	if !ok {
		return 0, false
	}
	if fmt == isoc {
		p += 2
		if at(p) != ' ' {
			return 0, false
		}
		if year, ok = four(p + 1); !ok {
			return 0, false
		}
	}
	if hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	mday := [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if day == 29 && month == 1 {
		if year&3 != 0 || (year%100 == 0 && year%400 != 0) {
			return 0, false
		}
	} else if day > mday[month] {
		return 0, false
	}
	// Gauss' formula, as nginx: the year starts on March 1, months from 1.
	month--
	if month <= 0 {
		month += 12
		year--
	}
	days := 365*year + year/4 - year/100 + year/400 + 367*month/12 - 30 + day - 1 - 719527 + 31 + 28
	return int64(days)*86400 + int64(hour)*3600 + int64(minute)*60 + int64(sec), true
}
