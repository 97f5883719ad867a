package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// The temporary directories Debian's nginx-light is built with
// (--http-client-body-temp-path, --http-proxy-temp-path, and the
// fastcgi, uwsgi and scgi ones nginx creates at start as well): used,
// without levels, where no *_temp_path directive applies.
const (
	DefaultClientBodyTempPath = "/var/lib/nginx/body"
	DefaultProxyTempPath      = "/var/lib/nginx/proxy"
	defaultFastcgiTempPath    = "/var/lib/nginx/fastcgi"
	defaultUwsgiTempPath      = "/var/lib/nginx/uwsgi"
	defaultScgiTempPath       = "/var/lib/nginx/scgi"
)

// MaxPathLevel is NGX_MAX_PATH_LEVEL: at most three levels of
// subdirectories under a temporary path.
const MaxPathLevel = 3

// TempPath is nginx's ngx_path_t for a temporary directory: its full name
// (no trailing "/") and the lengths of its levels of hashed
// subdirectories (0 ends the list).
type TempPath struct {
	Name  string
	Level [MaxPathLevel]int
}

// Len is ngx_path_t's len: what the levels add to a file's name (each
// level and its "/").
func (p TempPath) Len() int {
	n := 0
	for _, l := range p.Level {
		if l > 0 {
			n += l + 1
		}
	}
	return n
}

// locTempPath is ngx_conf_set_path_slot: the directory, resolved against
// the prefix and without a trailing "/", then up to three levels, each a
// positive number, 10 digits in all.
func locTempPath(field func(*LocConf) *TempPath) setter {
	return func(l *loader, d *parser.Directive, sc *scope) error {
		if sc.loc.mark(d.Name) {
			return l.dup(d)
		}
		p, err := l.tempPath(d)
		if err != nil {
			return err
		}
		*field(sc.loc) = p
		return nil
	}
}

// tempPath parses a *_temp_path directive and records its directory
// among those created at start (ngx_add_path).
func (l *loader) tempPath(d *parser.Directive) (TempPath, error) {
	var p TempPath
	name := d.Args[0].Value
	if len(name) > 1 {
		name = strings.TrimSuffix(name, "/")
	}
	p.Name = l.fullName(name)
	sum := 0
	for i, a := range d.Args[1:] {
		level, ok := Atoi(a.Value)
		if !ok || level == 0 {
			return p, l.invalid(d)
		}
		p.Level[i] = int(level)
		sum += int(level)
		if sum > 10 {
			return p, l.invalid(d)
		}
	}
	return p, l.addPath(d, d.Args[0].Value, p.Level, false)
}

// addDefaultPaths adds the compiled-in temporary directories the http
// block's merge gives a server that sets none (ngx_conf_merge_path_value
// adds the default when neither the server nor the http level set the
// directive), module by module in nginx's order: core, proxy, fastcgi,
// uwsgi, scgi.
func (l *loader) addDefaultPaths(h *HTTP, end parser.Pos) error {
	l.httpEnd = end
	for _, dp := range []struct {
		directive string
		path      TempPath
	}{
		{"client_body_temp_path", defaultClientBodyTemp()},
		{"proxy_temp_path", defaultProxyTemp()},
		{"fastcgi_temp_path", TempPath{Name: defaultFastcgiTempPath, Level: [MaxPathLevel]int{1, 2}}},
		{"uwsgi_temp_path", TempPath{Name: defaultUwsgiTempPath, Level: [MaxPathLevel]int{1, 2}}},
		{"scgi_temp_path", TempPath{Name: defaultScgiTempPath, Level: [MaxPathLevel]int{1, 2}}},
	} {
		if h.Conf.isSet(dp.directive) {
			continue
		}
		for _, s := range h.Servers {
			if !s.Conf.isSet(dp.directive) {
				if err := l.addPath(nil, dp.path.Name, dp.path.Level, false); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// The compiled-in paths' levels: none for request bodies
// (ngx_http_client_temp_path), 1 2 for the upstream modules'
// (ngx_http_proxy_temp_path and the others).
func defaultClientBodyTemp() TempPath { return TempPath{Name: DefaultClientBodyTempPath} }

func defaultProxyTemp() TempPath {
	return TempPath{Name: DefaultProxyTempPath, Level: [MaxPathLevel]int{1, 2}}
}
