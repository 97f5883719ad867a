package http1

// validateHost mirrors ngx_http_validate_host: it checks a Host header value
// or the host of an absolute request URI and returns the length of the name
// nginx uses for $host and virtual server selection — the port removed
// (after the first ':' or after an "[IPv6]" literal) and one trailing '.'
// removed — and whether it has upper-case letters (nginx then lower-cases
// it). ok is false, where nginx answers 400, when the name is empty or has
// "..", a '/', a control byte, space or DEL.
func validateHost(h []byte) (n int, upper, ok bool) {
	dotPos, hostLen := len(h), len(h)
	inLiteral, inRest, upper := false, false, false
	for i, ch := range h {
		switch ch {
		case '.':
			if dotPos == i-1 {
				return 0, false, false
			}
			dotPos = i
		case ':':
			if !inLiteral && !inRest {
				hostLen = i
				inRest = true
			}
		case '[':
			if i == 0 {
				inLiteral = true
			}
		case ']':
			if inLiteral {
				hostLen = i + 1
				inLiteral, inRest = false, true
			}
		default:
			if ch == '/' || ch <= 0x20 || ch == 0x7f {
				return 0, false, false
			}
			if ch >= 'A' && ch <= 'Z' {
				upper = true
			}
		}
	}
	if dotPos == hostLen-1 {
		hostLen--
	}
	if hostLen <= 0 {
		return 0, false, false
	}
	return hostLen, upper, true
}
