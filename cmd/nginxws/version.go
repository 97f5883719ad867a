package main

import (
	"runtime"
	"strings"
)

// Version is nginxws's own version.
const Version = "0.1.0"

// nginxCompat is the nginx release whose behaviour nginxws reproduces.
const nginxCompat = "nginx/1.22.1"

// verBuild is nginx's NGINX_VER_BUILD for nginxws: the name/version that
// the start-up notice and -v print.
const verBuild = program + "/" + Version

// withoutModules are the modules nginx 1.22's configure builds by default
// (its --without-<module> options) that nginxws does not implement, in the
// order `configure --help` lists them. `-V` lists them as --without-…, so a
// tool that reads `nginx -V` to see whether, say, limit_req is available
// reads the truth. Modules nginxws implements (access, map, rewrite, proxy,
// gzip, the upstream balancers, keepalive, zone) are absent from the list, as
// they would be from a real build's.
var withoutModules = [...]string{
	"http_charset_module",
	"http_ssi_module",
	"http_userid_module",
	"http_auth_basic_module",
	"http_mirror_module",
	"http_autoindex_module",
	"http_geo_module",
	"http_split_clients_module",
	"http_referer_module",
	"http_fastcgi_module",
	"http_uwsgi_module",
	"http_scgi_module",
	"http_grpc_module",
	"http_memcached_module",
	"http_limit_conn_module",
	"http_limit_req_module",
	"http_empty_gif_module",
	"http_browser_module",
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

// configure is -V's last line: the paths the binary defaults to, as
// configure options, then a --without- option per module nginx would
// have but nginxws has not. The HTTP cache is one too.
func configure() string {
	var b strings.Builder
	b.WriteString("configure arguments:")
	b.WriteString(" --prefix=" + strings.TrimSuffix(defaultPrefix, "/"))
	b.WriteString(" --conf-path=" + defaultConfPath)
	b.WriteString(" --error-log-path=" + defaultErrorLog)
	b.WriteString(" --pid-path=" + defaultPidPath)
	for _, m := range withoutModules {
		b.WriteString(" --without-" + m)
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
		s += builtWith() + "\n" + configure()
	}
	return s
}
