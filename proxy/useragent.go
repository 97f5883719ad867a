package proxy

import "bytes"

// userAgent is what nginx's ngx_http_process_user_agent notes about a
// client from its first User-Agent header: the few browsers some of its
// behaviour depends on (msie_padding, msie_refresh, keepalive_disable).
type userAgent uint8

const (
	uaMSIE  userAgent = 1 << iota // "MSIE " with at least 3 bytes after it
	uaMSIE6                       // MSIE 4.x, 5.x, or 6.x without "SV1"
	uaOpera
	uaGecko
	uaChrome
	uaSafari // "Safari/" and "Mac OS X"
	uaKonqueror
)

// parseUserAgent is ngx_http_process_user_agent, test for test: Opera
// unsets MSIE; the others are looked for only when neither matched, the
// first found wins.
func parseUserAgent(ua []byte) userAgent {
	var f userAgent
	if i := bytes.Index(ua, []byte("MSIE ")); i >= 0 && i+7 < len(ua) {
		f |= uaMSIE
		if ua[i+6] == '.' {
			switch ua[i+5] {
			case '4', '5':
				f |= uaMSIE6
			case '6':
				if !bytes.Contains(ua[i+8:], []byte("SV1")) {
					f |= uaMSIE6
				}
			}
		}
	}
	if bytes.Contains(ua, []byte("Opera")) {
		f |= uaOpera
		f &^= uaMSIE | uaMSIE6
	}
	if f&(uaMSIE|uaOpera) == 0 {
		switch {
		case bytes.Contains(ua, []byte("Gecko/")):
			f |= uaGecko
		case bytes.Contains(ua, []byte("Chrome/")):
			f |= uaChrome
		case bytes.Contains(ua, []byte("Safari/")) && bytes.Contains(ua, []byte("Mac OS X")):
			f |= uaSafari
		case bytes.Contains(ua, []byte("Konqueror")):
			f |= uaKonqueror
		}
	}
	return f
}

// userAgent parses the request's first User-Agent (none: no flags).
func (x *exchange) userAgent() userAgent {
	ua, ok := x.head.Header("user-agent")
	if !ok {
		return 0
	}
	return parseUserAgent(ua)
}
