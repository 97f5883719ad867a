package directives

import "bytes"

// getMsie is $msie (ngx_http_browser_module): "1" when the first
// User-Agent names MSIE (ngx_http_process_user_agent's headers_in.msie:
// "MSIE " followed by at least three characters, and not Opera), else
// empty.
func getMsie(s *State, _ *varDef) ([]byte, bool) {
	ua, ok := s.firstHeader(RequestHeaders, "user-agent")
	if !ok || !isMSIE(ua) {
		return []byte{}, true
	}
	return s.str("1")
}

// isMSIE reproduces headers_in.msie. nginx searches the value as a C
// string, so a NUL byte ends it.
func isMSIE(ua []byte) bool {
	if i := bytes.IndexByte(ua, 0); i >= 0 {
		ua = ua[:i]
	}
	i := bytes.Index(ua, []byte("MSIE "))
	if i < 0 || i+7 >= len(ua) {
		return false
	}
	return !bytes.Contains(ua, []byte("Opera"))
}
