package proxy

import (
	"fmt"
	"strings"
	"testing"
)

// TestParseCookie pins ngx_http_proxy_parse_cookie's split on the inputs
// the side-by-side suite cannot send (an empty value) and the edges that
// decide the rebuilt text: a trailing ";", an empty part, "=" without a
// name, a part without "=".
func TestParseCookie(t *testing.T) {
	show := func(attrs []cookieAttr) string {
		var parts []string
		for _, a := range attrs {
			if a.hasValue {
				parts = append(parts, fmt.Sprintf("%q=%q", a.key, a.value))
			} else {
				parts = append(parts, fmt.Sprintf("%q", a.key))
			}
		}
		return strings.Join(parts, " ")
	}
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{";", `"" ""`},
		{"a=b;", `"a"="b" ""`},
		{" a = b ;; c", `"a"="b" "" "c"`},
		{"=x; =", `""="x" ""=""`},
		{"a=b=c; Path = /x y ", `"a"="b=c" "Path"="/x y"`},
	} {
		if got := show(parseCookie([]byte(tc.in), nil)); got != tc.want {
			t.Errorf("parseCookie(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
