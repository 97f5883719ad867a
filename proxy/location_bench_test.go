package proxy

import (
	"testing"

	"github.com/nginxws/nginxws/directives"
)

// benchServer compiles a configuration with a realistic mix of locations
// and returns its server and a variable state for regex matches.
func benchServer(b *testing.B, conf string) (*vserver, *directives.State) {
	b.Helper()
	cfg, err := directives.LoadString("/tmp/bench.conf", "events {}\nhttp { access_log off;\n"+conf+"}\n", directives.LoadOptions{Prefix: "/tmp/"})
	if err != nil {
		b.Fatal(err)
	}
	rt := newRuntime(cfg, nil)
	var v *vserver
	for _, ac := range rt.addrs {
		v = ac.def
	}
	st := directives.NewState()
	st.Reset(cfg.HTTP.Engine(), nil)
	return v, st
}

const benchLocations = `server { listen 127.0.0.1:18081;
    location = / { return 200; }
    location / { return 200; }
    location /api/ { proxy_pass http://127.0.0.1:9; }
    location /api/v1/ { proxy_pass http://127.0.0.1:9; }
    location /api/v2/ { proxy_pass http://127.0.0.1:9; }
    location /static/ { return 200; }
    location ^~ /assets/ { return 200; }
    location = /health { return 200; }
    location /ws { proxy_pass http://127.0.0.1:9; }
    location /admin/ { location /admin/users/ { return 200; } return 200; }
    location ~ \.php$ { return 200; }
    location ~* \.(png|jpg|gif)$ { return 200; }
    location ~ ^/user/(?<id>\d+)$ { return 200; }
}
`

// BenchmarkLocationMatch measures finding the location of typical URIs:
// the static tree walk, and the regexes when the URI reaches them.
func BenchmarkLocationMatch(b *testing.B) {
	v, st := benchServer(b, benchLocations)
	for _, uri := range []string{"/", "/api/v1/users/42", "/assets/app.js", "/health", "/img/logo.png", "/user/12345", "/nothing/here"} {
		u := []byte(uri)
		b.Run(uri, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if m, _ := v.find(u, st); m.loc == nil {
					b.Fatal("no location")
				}
			}
		})
	}
}
