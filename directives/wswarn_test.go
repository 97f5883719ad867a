package directives

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWebSocketWarnings: the two WebSocket settings that surprise are
// reported once each at their proxy_set_header line, and the idioms are not.
func TestWebSocketWarnings(t *testing.T) {
	const idiom = "map $http_upgrade $connection_upgrade { default upgrade; '' ''; }\n"
	tests := []struct {
		name, http string
		want       []string // "line: message prefix"
	}{
		{
			name: "upgrade without 1.1, inherited by two locations",
			http: "server { listen 127.0.0.1:8080;\n" +
				"proxy_set_header Upgrade $http_upgrade;\n" +
				"location /a { proxy_pass http://127.0.0.1:9000; }\n" +
				"location /b { proxy_pass http://127.0.0.1:9000; }\n}\n",
			want: []string{`4: "proxy_set_header Upgrade" without "proxy_http_version 1.1": upgrade requests go up as HTTP/1.0, which WebSocket servers that require HTTP/1.1 refuse`},
		},
		{
			name: "the documented idiom",
			http: idiom + "upstream app { server 127.0.0.1:9000; keepalive 8; }\n" +
				"server { listen 127.0.0.1:8080; location / { proxy_pass http://app; proxy_http_version 1.1;\n" +
				"proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; } }\n",
		},
		{
			name: "hard-coded upgrade with keepalive",
			http: "upstream app { server 127.0.0.1:9000; keepalive 8; }\n" +
				"server { listen 127.0.0.1:8080; location / { proxy_pass http://app; proxy_http_version 1.1;\n" +
				"proxy_set_header Upgrade $http_upgrade;\n" +
				"proxy_set_header Connection \"Upgrade\"; } }\n",
			want: []string{`6: "proxy_set_header Connection upgrade" sends "Connection: upgrade" with plain requests to keepalive upstream "app" too; use a map`},
		},
		{
			name: "hard-coded upgrade without keepalive is harmless",
			http: "server { listen 127.0.0.1:8080; location / { proxy_pass http://127.0.0.1:9000; proxy_http_version 1.1;\n" +
				"proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection upgrade; } }\n",
		},
		{
			name: "a level without proxy_pass is not checked",
			http: "server { listen 127.0.0.1:8080; proxy_set_header Upgrade $http_upgrade; location / { return 204; } }\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "nginx.conf")
			cfg, err := LoadString(path, "events {}\nhttp {\n"+tc.http+"}\n", LoadOptions{Prefix: dir + "/"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range cfg.Warnings {
				if strings.Contains(w.Msg, "proxy_set_header") {
					got = append(got, w.Msg)
					if w.Pos.File != path {
						t.Errorf("warning in %q", w.Pos.File)
					}
					got[len(got)-1] = strconv.Itoa(w.Pos.Line) + ": " + w.Msg
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("warning %q, want %q…", got[i], tc.want[i])
				}
			}
		})
	}
}
