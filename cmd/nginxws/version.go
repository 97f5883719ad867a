package main

import (
	"runtime"
	"strings"

	"github.com/nginxws/nginxws/directives"
)

// Version is nginxws's own version.
const Version = "0.1.0"

// nginxCompat is the nginx release whose behaviour nginxws reproduces.
const nginxCompat = "nginx/1.22.1"

// verBuild is nginx's NGINX_VER_BUILD for nginxws: the name/version that
// the start-up notice and -v print.
const verBuild = program + "/" + Version

// A module and the directive that tells whether nginxws implements it.
type moduleDirective struct{ module, directive string }

// defaultModules are the modules nginx 1.22's configure builds by default
// and lets one leave out (its --without-<module> options), in the order
// `configure --help` lists them, each with its main directive. `-V` names
// those whose directive nginxws does not implement as --without-…, so that
// a tool reading `nginx -V` to see whether, say, limit_req is available
// reads the truth. (Modules nginx cannot leave out, and those nginxws
// implements — access, map, rewrite, proxy, gzip, the balancers — are
// absent, as from a real build's line. So is upstream_zone: its zone
// directive has nothing to do in one process, whose upstream state is
// always shared.)
var defaultModules = [...]moduleDirective{
	{"http_charset_module", "charset"},
	{"http_gzip_module", "gzip"},
	{"http_ssi_module", "ssi"},
	{"http_userid_module", "userid"},
	{"http_access_module", "allow"},
	{"http_auth_basic_module", "auth_basic"},
	{"http_mirror_module", "mirror"},
	{"http_autoindex_module", "autoindex"},
	{"http_geo_module", "geo"},
	{"http_map_module", "map"},
	{"http_split_clients_module", "split_clients"},
	{"http_referer_module", "valid_referers"},
	{"http_rewrite_module", "rewrite"},
	{"http_proxy_module", "proxy_pass"},
	{"http_fastcgi_module", "fastcgi_pass"},
	{"http_uwsgi_module", "uwsgi_pass"},
	{"http_scgi_module", "scgi_pass"},
	{"http_grpc_module", "grpc_pass"},
	{"http_memcached_module", "memcached_pass"},
	{"http_limit_conn_module", "limit_conn"},
	{"http_limit_req_module", "limit_req"},
	{"http_empty_gif_module", "empty_gif"},
	{"http_browser_module", "modern_browser"},
	{"http_upstream_hash_module", "hash"},
	{"http_upstream_ip_hash_module", "ip_hash"},
	{"http_upstream_least_conn_module", "least_conn"},
	{"http_upstream_random_module", "random"},
	{"http_upstream_keepalive_module", "keepalive"},
}

// optionalModules are modules nginx builds only when asked
// (--with-<module>), each with its main directive: `-V` names those
// nginxws implements as --with-…, as Debian's build names them.
var optionalModules = [...]moduleDirective{
	{"http_ssl_module", "ssl_certificate"},
	{"http_realip_module", "set_real_ip_from"},
	{"http_sub_module", "sub_filter"},
	{"http_gzip_static_module", "gzip_static"},
	{"http_auth_request_module", "auth_request"},
	{"http_secure_link_module", "secure_link"},
	{"http_stub_status_module", "stub_status"},
}

// versionLine is what -v prints. nginx prints "nginx version: nginx/1.22.1";
// nginxws names itself and the release it follows, so that nothing mistakes
// it for nginx while a reader still sees which nginx it matches.
func versionLine() string {
	return program + " version: " + verBuild + " (compatible with " + nginxCompat + ")\n"
}

// usage is nginx's -h text with nginxws's name and defaults; the second
// line stays aligned under the first's options. -w and -j are nginxws's
// own: they come last so that every line nginx prints is still there, in
// order.
func usage() string {
	pad := strings.Repeat(" ", len("Usage: "+program+" "))
	return "Usage: " + program + " [-?hvVtTq] [-s signal] [-p prefix]\n" +
		pad + "[-e filename] [-c filename] [-g directives] [-w on|off] [-j]\n\n" +
		"Options:\n" +
		"  -?,-h         : this help\n" +
		"  -v            : show version and exit\n" +
		"  -V            : show version and configure options then exit\n" +
		"  -t            : test configuration and exit\n" +
		"  -T            : test configuration, dump it and exit\n" +
		"  -q            : suppress non-error messages during configuration testing\n" +
		"  -s signal     : send signal to a master process: stop, quit, reopen, reload\n" +
		"  -p prefix     : set prefix path (default: " + defaultPrefix + ")\n" +
		"  -e filename   : set error log file (default: " + defaultErrorLog + ")\n" +
		"  -c filename   : set configuration file (default: " + defaultConfPath + ")\n" +
		"  -g directives : set global directives out of configuration file\n" +
		"  -w on|off     : reload when a configuration file changes (default: on)\n" +
		"  -j            : write error log lines as JSON objects (zerolog) instead of nginx's text\n\n"
}

// builtWith names the Go release the binary was built with, where nginx
// names its compiler and OpenSSL.
func builtWith() string {
	return "built with " + runtime.Version()
}

// tlsLine is the line nginx's -V prints after the library it was built
// with when it has TLS: "TLS SNI support enabled" (nginx.c,
// ngx_show_version_info). nginxws's crypto/tls server picks certificates
// by SNI, so it says the same whenever it has TLS at all (as
// --with-http_ssl_module); tools that vet an nginx for TLS (certbot's
// nginx plugin) look for this line.
func tlsLine() string {
	if !directives.Implemented("ssl_certificate") {
		return ""
	}
	return "TLS SNI support enabled\n"
}

// configure is -V's last line: the paths the binary defaults to, as
// configure options, a --with- option per optional module nginxws has,
// then a --without- option per default module it has not. The HTTP cache
// is one too.
func configure() string {
	var b strings.Builder
	b.WriteString("configure arguments:")
	b.WriteString(" --prefix=" + strings.TrimSuffix(defaultPrefix, "/"))
	b.WriteString(" --conf-path=" + defaultConfPath)
	b.WriteString(" --error-log-path=" + defaultErrorLog)
	b.WriteString(" --pid-path=" + defaultPidPath)
	// Debian's compiled-in temporary directories, which nginxws uses too.
	b.WriteString(" --http-client-body-temp-path=" + directives.DefaultClientBodyTempPath)
	b.WriteString(" --http-proxy-temp-path=" + directives.DefaultProxyTempPath)
	for _, m := range optionalModules {
		if directives.Implemented(m.directive) {
			b.WriteString(" --with-" + m.module)
		}
	}
	for _, m := range defaultModules {
		if !directives.Implemented(m.directive) {
			b.WriteString(" --without-" + m.module)
		}
	}
	b.WriteString(" --without-http-cache")
	b.WriteString("\n")
	return b.String()
}

// versionInfo is what -v, -V and -h print, on stderr as nginx does.
func versionInfo(o *options) string {
	s := versionLine()
	if o.showHelp {
		s += usage()
	}
	if o.showConfigure {
		s += builtWith() + "\n" + tlsLine() + configure()
	}
	return s
}
