package directives

import (
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// errorCase is a configuration and the first message nginx 1.22 prints
// for it, "[level] text" with "CONF" standing for the directory of the
// files. When same is set the message is nginx's own (TestErrorsMatchNginx
// checks it against the real binary when installed); otherwise it is
// nginxws's on purpose (something nginx accepts that nginxws refuses).
type errorCase struct {
	name  string
	conf  string            // nginx.conf
	files map[string]string // other files, relative to CONF
	want  string
	same  bool
}

// certFiles are a certificate and a key file that hold no PEM: nginx's
// cannot-load error for the certificate, from both.
var certFiles = map[string]string{"c.pem": "certificate\n", "c.key": "key\n"}

// H wraps a body in the events and http blocks most cases need; the body
// starts on line 3.
func H(body string) string { return "events{}\nhttp{\n" + body + "\n}\n" }

var errorCases = []errorCase{
	// Values of directives nginxws ignores with a [warn] are still checked
	// as nginx's setters check them (enum, bitmask, bounds, event type).
	{name: "use kqueue", conf: "events { use kqueue; }\n", want: `[emerg] invalid event type "kqueue" in CONF/nginx.conf:1`, same: true},
	{name: "use duplicate", conf: "events { use epoll; use epoll; }\n", want: `[emerg] "use" directive is duplicate in CONF/nginx.conf:1`, same: true},
	{name: "worker_priority signed", conf: "worker_priority -30;\nworker_priority +5;\nevents { foo; }\n", want: `[emerg] "worker_priority" directive is duplicate in CONF/nginx.conf:2`, same: true},
	{name: "worker_priority zero then another", conf: "worker_priority 0;\nworker_priority +5;\nevents { foo; }\n", want: `[emerg] unknown directive "foo" in CONF/nginx.conf:3`, same: true},
	{name: "worker_priority sign alone", conf: "worker_priority -;\nevents {}\n", want: `[emerg] "worker_priority" directive invalid number in CONF/nginx.conf:1`, same: true},
	{name: "gzip_comp_level bounds", conf: H("gzip_comp_level 10;"), want: `[emerg] value must be between 1 and 9 in CONF/nginx.conf:3`, same: true},
	{name: "gzip_http_version", conf: H("gzip_http_version 2.0;"), want: `[emerg] invalid value "2.0" in CONF/nginx.conf:3`, same: true},
	{name: "gzip_proxied", conf: H("gzip_proxied expired no-cache bogus;"), want: `[emerg] invalid value "bogus" in CONF/nginx.conf:3`, same: true},
	{name: "lingering_close", conf: H("lingering_close sometimes;"), want: `[emerg] invalid value "sometimes" in CONF/nginx.conf:3`, same: true},
	{name: "proxy_cache_use_stale", conf: H("proxy_cache_use_stale error timeout http_501;"), want: `[emerg] invalid value "http_501" in CONF/nginx.conf:3`, same: true},
	{name: "proxy_cache_methods", conf: H("proxy_cache_methods GET PUT;"), want: `[emerg] invalid value "PUT" in CONF/nginx.conf:3`, same: true},
	{name: "ssl_protocols", conf: H("ssl_protocols TLSv1.2 TLSv1.4;"), want: `[emerg] invalid value "TLSv1.4" in CONF/nginx.conf:3`, same: true},
	{name: "proxy_ssl_protocols", conf: H("proxy_ssl_protocols SSLv4;"), want: `[emerg] invalid value "SSLv4" in CONF/nginx.conf:3`, same: true},
	{name: "proxy_ignore_headers", conf: H("proxy_ignore_headers X-Accel-Redirect Server;"), want: `[emerg] invalid value "Server" in CONF/nginx.conf:3`, same: true},
	{name: "fastcgi_next_upstream has no http_502", conf: H("fastcgi_next_upstream error http_502;"), want: `[emerg] invalid value "http_502" in CONF/nginx.conf:3`, same: true},
	{name: "grpc_next_upstream has no updating", conf: H("grpc_next_upstream error updating;"), want: `[emerg] invalid value "updating" in CONF/nginx.conf:3`, same: true},
	{name: "memcached_next_upstream", conf: H("memcached_next_upstream not_found http_404;"), want: `[emerg] invalid value "http_404" in CONF/nginx.conf:3`, same: true},
	{name: "gzip_buffers", conf: H("gzip_buffers 16 0;"), want: `[emerg] "gzip_buffers" directive invalid value in CONF/nginx.conf:3`, same: true},
	{name: "gzip_buffers duplicate", conf: H("gzip_buffers 32 4k;\ngzip_buffers 16 8k;"), want: `[emerg] "gzip_buffers" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "proxy_temp_path levels", conf: H("proxy_temp_path /tmp/nginxws-temp 5 6;"), want: `[emerg] "proxy_temp_path" directive invalid value in CONF/nginx.conf:3`, same: true},
	{name: "client_body_in_file_only", conf: H("client_body_in_file_only yes;"), want: `[emerg] invalid value "yes" in CONF/nginx.conf:3`, same: true},
	{name: "keepalive_disable", conf: H("keepalive_disable msie6 chrome;"), want: `[emerg] invalid value "chrome" in CONF/nginx.conf:3`, same: true},
	// ngx_http_autoindex_module and ngx_http_charset_filter_module.
	{name: "autoindex_format", conf: H("autoindex_format yaml;"), want: `[emerg] invalid value "yaml" in CONF/nginx.conf:3`, same: true},
	{name: "autoindex flag", conf: H("autoindex yes;"), want: `[emerg] invalid value "yes" in "autoindex" directive, it must be "on" or "off" in CONF/nginx.conf:3`, same: true},
	{name: "autoindex_localtime duplicate", conf: H("autoindex_localtime on;\nautoindex_localtime off;"), want: `[emerg] "autoindex_localtime" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "charset_map in server", conf: H("server { charset_map a b { } }"), want: `[emerg] "charset_map" directive is not allowed here in CONF/nginx.conf:3`, same: true},
	{name: "charset_map utf-8 odd digits", conf: H("charset_map koi8-r utf-8 {\nC1 D0B;\n}"), want: `[emerg] invalid value "D0B" in CONF/nginx.conf:4`, same: true},
	{name: "charset_map code not hex", conf: H("charset_map koi8-r windows-1251 {\nZ1 C1;\n}"), want: `[emerg] invalid value "Z1" in CONF/nginx.conf:4`, same: true},
	{name: "charset_types in if", conf: H("server { location / { if ($a) { charset_types text/css; } } }"), want: `[emerg] "charset_types" directive is not allowed here in CONF/nginx.conf:3`, same: true},
	{name: "source_charset duplicate", conf: H("source_charset a;\nsource_charset b;"), want: `[emerg] "source_charset" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "debug_points", conf: "debug_points crash;\nevents {}\n", want: `[emerg] invalid value "crash" in CONF/nginx.conf:1`, same: true},
	{name: "open_file_cache without max", conf: H("open_file_cache inactive=20s;"), want: `[emerg] "open_file_cache" must have the "max" parameter in CONF/nginx.conf:3`, same: true},
	{name: "open_file_cache max=0", conf: H("open_file_cache max=0;"), want: `[emerg] invalid "open_file_cache" parameter "max=0" in CONF/nginx.conf:3`, same: true},
	{name: "open_log_file_cache max=0", conf: H("open_log_file_cache max=0;"), want: `[emerg] "open_log_file_cache" must have "max" parameter in CONF/nginx.conf:3`, same: true},
	{name: "open_log_file_cache parameter", conf: H("open_log_file_cache max=10 bogus;"), want: `[emerg] invalid "open_log_file_cache" parameter "bogus" in CONF/nginx.conf:3`, same: true},
	{name: "proxy_cache_valid time", conf: H("proxy_cache_valid 200 1x;"), want: `[emerg] invalid time value "1x" in CONF/nginx.conf:3`, same: true},
	{name: "proxy_cache_valid status", conf: H("proxy_cache_valid 200 99 1m;"), want: `[emerg] invalid status "99" in CONF/nginx.conf:3`, same: true},
	{name: "ssl_session_cache", conf: H("ssl_session_cache builtin shared:SSL;"), want: `[emerg] invalid session cache "shared:SSL" in CONF/nginx.conf:3`, same: true},
	{name: "ssl_session_cache too small", conf: H("ssl_session_cache shared:SSL:1k;"), want: `[emerg] session cache "shared:SSL:1k" is too small in CONF/nginx.conf:3`, same: true},
	{name: "ssl_session_cache two sizes", conf: H("ssl_session_cache shared:SSL:10m;\nserver { listen 8080; ssl_session_cache shared:SSL:20m; }"), want: `[emerg] the size 20971520 of shared memory zone "SSL" conflicts with already declared size 10485760 in CONF/nginx.conf:4`, same: true},
	{name: "listen setfib on Linux", conf: H("server { listen 127.0.0.1:8080 setfib=1; }"), want: `[emerg] invalid parameter "setfib=1" in CONF/nginx.conf:3`, same: true},
	{name: "regex group name starts with a digit", conf: H("server { listen 8080; location ~ ^/a(?<1x>b) { } }"), want: `[emerg] pcre2_compile() failed: subpattern name must start with a non-digit in "^/a(?<1x>b)" at "1x>b)" in CONF/nginx.conf:3`, same: true},
	{name: "regex group name too long", conf: H("server { listen 8080; location ~ ^(?<abcdefghijabcdefghijabcdefghijabc>c) { } }"), want: `[emerg] pcre2_compile() failed: subpattern name is too long (maximum 32 code units) in "^(?<abcdefghijabcdefghijabcdefghijabc>c)" at ">c)" in CONF/nginx.conf:3`, same: true},
	{name: "regex group name empty", conf: H("server { listen 8080; location ~ ^(?<>b) { } }"), want: `[emerg] pcre2_compile() failed: subpattern name expected in "^(?<>b)" at ">b)" in CONF/nginx.conf:3`, same: true},
	{name: "regex group name terminator", conf: H("server { listen 8080; location ~ ^(?P<a-b>c) { } }"), want: `[emerg] pcre2_compile() failed: syntax error in subpattern name (missing terminator?) in "^(?P<a-b>c)" at "-b>c)" in CONF/nginx.conf:3`, same: true},
	{name: "load_module of a missing file", conf: "load_module modules/ngx_stream_module.so;\nevents {}\n", want: `[emerg] dlopen() "CONF/modules/ngx_stream_module.so" failed (CONF/modules/ngx_stream_module.so: cannot open shared object file: No such file or directory) in CONF/nginx.conf:1`, same: true},
	{name: "load_module of a directory", conf: "load_module modules;\nevents {}\n", files: map[string]string{"modules/x": ""}, want: `[emerg] dlopen() "CONF/modules" failed (CONF/modules: cannot read file data: Is a directory) in CONF/nginx.conf:1`, same: true},
	{name: "load_module of a short file", conf: "load_module x.so;\nevents {}\n", files: map[string]string{"x.so": "not a module\n"}, want: `[emerg] dlopen() "CONF/x.so" failed (CONF/x.so: file too short) in CONF/nginx.conf:1`, same: true},
	{name: "load_module of a text file", conf: "load_module x.so;\nevents {}\n", files: map[string]string{"x.so": strings.Repeat("not a module\n", 10)}, want: `[emerg] dlopen() "CONF/x.so" failed (CONF/x.so: invalid ELF header) in CONF/nginx.conf:1`, same: true},
	{name: "worker_connections below the sockets", conf: "events { worker_connections 2; }\nhttp { server { listen 19402; listen 127.0.0.1:19402 backlog=10; } }\n", want: `[emerg] 2 worker_connections are not enough for 2 listening sockets`, same: true},
	{name: "worker_connections without http", conf: "events { worker_connections 0; }\n", want: `[emerg] 0 worker_connections are not enough for 0 listening sockets`, same: true},
	{name: "resolver host", conf: H("resolver 127.0.0.11 nosuchhost.invalid;"), want: `[emerg] host not found in resolver "nosuchhost.invalid" in CONF/nginx.conf:3`, same: true},
	{name: "resolver valid", conf: H("resolver 127.0.0.11 valid=1x;"), want: `[emerg] invalid parameter: valid=1x in CONF/nginx.conf:3`, same: true},
	{name: "resolver ipv4= is 1.23's", conf: H("resolver 127.0.0.11 ipv4=off;"), want: `[emerg] host not found in resolver "ipv4=off" in CONF/nginx.conf:3`, same: true},
	{name: "resolver without servers", conf: H("resolver valid=30s ipv6=off;"), want: `[emerg] no name servers defined in CONF/nginx.conf:3`, same: true},
	{name: "proxy_cache zone unknown", conf: H("proxy_cache_path /tmp/nginxws-cache keys_zone=a:10m;\nserver { listen 8080;\nlocation / { proxy_cache b; }\n}"), want: `[emerg] "proxy_cache" zone "b" is unknown in CONF/nginx.conf:7`, same: true},
	{name: "proxy_cache zone without servers", conf: H("proxy_cache b;"), want: `[emerg] zero size shared memory zone "b"`, same: true},
	{name: "proxy_cache of a fastcgi zone", conf: H("fastcgi_cache_path /tmp/nginxws-cache keys_zone=f:10m;\nserver { listen 8080; proxy_cache f; }"), want: `[emerg] the shared memory zone "f" is already declared for a different use in CONF/nginx.conf:4`, same: true},
	{name: "proxy_cache_path keys zone twice", conf: H("proxy_cache_path /tmp/nginxws-cache keys_zone=a:10m;\nproxy_cache_path /tmp/nginxws-cache2 keys_zone=a:10m;"), want: `[emerg] duplicate zone "a" in CONF/nginx.conf:4`, same: true},
	{name: "proxy_cache_path levels", conf: H("proxy_cache_path /tmp/nginxws-cache levels=1:2:3 keys_zone=a:10m;"), want: `[emerg] invalid "levels" "levels=1:2:3" in CONF/nginx.conf:3`, same: true},
	{name: "proxy_cache_path without keys_zone", conf: H("proxy_cache_path /tmp/nginxws-cache levels=1:2;"), want: `[emerg] "proxy_cache_path" must have "keys_zone" parameter in CONF/nginx.conf:3`, same: true},
	{name: "aio on", conf: H("aio on;"), want: `[emerg] "aio on" is unsupported on this platform in CONF/nginx.conf:3`, same: true},
	{name: "aio value", conf: H("aio yes;"), want: `[emerg] "aio" directive invalid value in CONF/nginx.conf:3`, same: true},
	{name: "thread_pool without threads", conf: "thread_pool a max_queue=5;\nevents {}\n", want: `[emerg] "thread_pool" must have "threads" parameter in CONF/nginx.conf:1`, same: true},
	{name: "thread_pool twice", conf: "thread_pool a threads=4;\nthread_pool a threads=5;\nevents {}\n", want: `[emerg] duplicate thread pool "a" in CONF/nginx.conf:2`, same: true},
	{name: "worker_cpu_affinity mask", conf: "worker_cpu_affinity 0101 012;\nevents {}\n", want: `[emerg] invalid character "2" in "worker_cpu_affinity" in CONF/nginx.conf:1`, same: true},
	{name: "worker_cpu_affinity auto and masks", conf: "worker_cpu_affinity auto 01 10;\nevents {}\n", want: `[emerg] invalid number of arguments in "worker_cpu_affinity" directive in CONF/nginx.conf:1`, same: true},
	{name: "aio threads of an unknown pool", conf: H("server { listen 8080;\nlocation / { aio threads=x; }\nlocation /b { aio threads=y; } }"), want: `[emerg] unknown thread pool "x" in CONF/nginx.conf:4`, same: true},
	{name: "listen ssl without certificate", conf: H("server {\nlisten 8080 ssl;\n}"), want: `[emerg] no "ssl_certificate" is defined for the "listen ... ssl" directive in CONF/nginx.conf:3`, same: true},
	{name: "duplicate location before listen ssl check", conf: H("server { listen 8080 ssl;\nlocation /a {}\nlocation /a {} }"), want: `[emerg] duplicate location "/a" in CONF/nginx.conf:5`, same: true},
	{name: "ssl_certificate without key", conf: H("ssl_certificate /x.pem;\nserver { listen 8080; }"), want: `[emerg] no "ssl_certificate_key" is defined for certificate "/x.pem"`, same: true},
	{name: "ssl_certificate file missing", conf: H("ssl_certificate x.pem; ssl_certificate_key x.key;\nserver { listen 8080; }"), want: `[emerg] cannot load certificate "CONF/x.pem": BIO_new_file() failed (SSL: error:80000002:system library::No such file or directory:calling fopen(CONF/x.pem, r) error:10000080:BIO routines::no such file)`, same: true},
	{name: "error_log mask after a level", conf: H("error_log /tmp/nginxws-e.log info debug_http;"), want: `[emerg] invalid log level "debug_http" in CONF/nginx.conf:3`, same: true},
	{name: "error_log level after a mask", conf: H("error_log /tmp/nginxws-e.log debug_http info;"), want: `[emerg] duplicate log level "info" in CONF/nginx.conf:3`, same: true},
	{name: "ssl on without certificate", conf: H("ssl on;\nserver {\nlisten 8080; }"), want: `[emerg] no "ssl_certificate" is defined for the "ssl" directive in CONF/nginx.conf:3`, same: true},
	{name: "ssl on without key", conf: H("server { listen 8080; ssl on; ssl_certificate /x.pem; }"), want: `[emerg] no "ssl_certificate_key" is defined for the "ssl" directive in CONF/nginx.conf:3`, same: true},
	{name: "upstream zone too small", conf: H("upstream u { server 127.0.0.1:1; zone u 32767; }"), want: `[emerg] zone "u" is too small in CONF/nginx.conf:3`, same: true},
	{name: "upstream zone size", conf: H("upstream u { server 127.0.0.1:1; zone u 10x; }"), want: `[emerg] invalid zone size "10x" in CONF/nginx.conf:3`, same: true},
	{name: "upstream zone never sized", conf: H("upstream u { server 127.0.0.1:1; zone u; }"), want: `[emerg] zero size shared memory zone "u"`, same: true},
	{name: "upstream zone two sizes", conf: H("upstream u { server 127.0.0.1:1; zone u 64k; }\nupstream v { server 127.0.0.1:2; zone u 128k; }"), want: `[emerg] the size 131072 of shared memory zone "u" conflicts with already declared size 65536 in CONF/nginx.conf:4`, same: true},
	{name: "upstream zone named by limit_req", conf: H("limit_req_zone $binary_remote_addr zone=one:10m rate=1r/s;\nupstream u { server 127.0.0.1:1; zone one 64k; }"), want: `[emerg] the shared memory zone "one" is already declared for a different use in CONF/nginx.conf:4`, same: true},

	// ngx_conf_handler's own checks.
	{name: "unknown directive", conf: H("foo;"), want: `[emerg] unknown directive "foo" in CONF/nginx.conf:3`, same: true},
	{name: "unknown directive of a dynamic module", conf: H("server { listen 8080; location / { echo hi; } }"), want: `[emerg] unknown directive "echo" in CONF/nginx.conf:3`, same: true},
	{name: "not allowed here", conf: H("server{listen 8080;\nevents {}\n}"), want: `[emerg] "events" directive is not allowed here in CONF/nginx.conf:4`, same: true},
	{name: "not allowed in if", conf: H("server { listen 8080; location / { if ($uri) { proxy_set_header A b; } } }"), want: `[emerg] "proxy_set_header" directive is not allowed here in CONF/nginx.conf:3`, same: true},
	{name: "not allowed in events", conf: "events { listen 80; }\n", want: `[emerg] "listen" directive is not allowed here in CONF/nginx.conf:1`, same: true},
	{name: "invalid number of arguments", conf: H("server{listen 8080;\nlocation / { proxy_pass; }\n}"), want: `[emerg] invalid number of arguments in "proxy_pass" directive in CONF/nginx.conf:4`, same: true},
	{name: "too many arguments", conf: H("server { listen 8080; location / { return 200 a b; } }"), want: `[emerg] invalid number of arguments in "return" directive in CONF/nginx.conf:3`, same: true},
	{name: "flag arity", conf: H("sendfile on off;"), want: `[emerg] invalid number of arguments in "sendfile" directive in CONF/nginx.conf:3`, same: true},
	{name: "no opening brace", conf: H("server;"), want: `[emerg] directive "server" has no opening "{" in CONF/nginx.conf:3`, same: true},
	{name: "not terminated", conf: H("server{listen 8080 {}\n}"), want: `[emerg] directive "listen" is not terminated by ";" in CONF/nginx.conf:3`, same: true},
	{name: "flag value", conf: H("server{listen 8080;\nlocation / { proxy_buffering maybe; }\n}"), want: `[emerg] invalid value "maybe" in "proxy_buffering" directive, it must be "on" or "off" in CONF/nginx.conf:4`, same: true},
	{name: "flag value of an ignored directive", conf: H("sendfile yes;"), want: `[emerg] invalid value "yes" in "sendfile" directive, it must be "on" or "off" in CONF/nginx.conf:3`, same: true},

	// Slot setters.
	{name: "duplicate", conf: H("server{listen 8080;\nlocation / { proxy_read_timeout 5s; proxy_read_timeout 6s; }\n}"), want: `[emerg] "proxy_read_timeout" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "duplicate main", conf: "pid a;\npid b;\nevents{}\n", want: `[emerg] "pid" directive is duplicate in CONF/nginx.conf:2`, same: true},
	{name: "duplicate events", conf: "events{}\nevents{}\n", want: `[emerg] "events" directive is duplicate in CONF/nginx.conf:2`, same: true},
	{name: "duplicate root alias", conf: H("server{listen 8080;\nlocation / { root /a; alias /b; }\n}"), want: `[emerg] "alias" directive is duplicate, "root" directive was specified earlier in CONF/nginx.conf:4`, same: true},
	{name: "invalid time", conf: H("server{listen 8080;\nlocation / { proxy_read_timeout 5x; }\n}"), want: `[emerg] "proxy_read_timeout" directive invalid value in CONF/nginx.conf:4`, same: true},
	{name: "invalid time order", conf: H(`server { listen 8080; location / { proxy_send_timeout "30m 1h"; } }`), want: `[emerg] "proxy_send_timeout" directive invalid value in CONF/nginx.conf:3`, same: true},
	{name: "invalid offset", conf: H("server{listen 8080;\nlocation / { client_max_body_size 5x; }\n}"), want: `[emerg] "client_max_body_size" directive invalid value in CONF/nginx.conf:4`, same: true},
	{name: "invalid size", conf: H("server { listen 8080; location / { proxy_buffer_size 1g; } }"), want: `[emerg] "proxy_buffer_size" directive invalid value in CONF/nginx.conf:3`, same: true},
	{name: "invalid bufs", conf: H("server{listen 8080;\nlocation / { proxy_buffers 0 4k; }\n}"), want: `[emerg] "proxy_buffers" directive invalid value in CONF/nginx.conf:4`, same: true},
	{name: "invalid number", conf: H("server{listen 8080;\nlocation / { keepalive_requests x; }\n}"), want: `[emerg] "keepalive_requests" directive invalid number in CONF/nginx.conf:4`, same: true},
	{name: "invalid enum", conf: H("server{listen 8080;\nlocation / { proxy_http_version 2.0; }\n}"), want: `[emerg] invalid value "2.0" in CONF/nginx.conf:4`, same: true},
	{name: "invalid bitmask", conf: H("server{listen 8080;\nlocation / { proxy_next_upstream error foo; }\n}"), want: `[emerg] invalid value "foo" in CONF/nginx.conf:4`, same: true},
	{name: "worker_connections", conf: "events { worker_connections x; }\n", want: `[emerg] invalid number "x" in CONF/nginx.conf:1`, same: true},
	{name: "user unknown", conf: "user nosuchuser;\nevents{}\n", want: `[emerg] getpwnam("nosuchuser") failed in CONF/nginx.conf:1`, same: true},
	{name: "user group defaults to the name", conf: "user nobody;\nevents{}\n", want: `[emerg] getgrnam("nobody") failed in CONF/nginx.conf:1`, same: true},
	{name: "error_log level", conf: "error_log x.log foo;\nevents{}\n", want: `[emerg] invalid log level "foo" in CONF/nginx.conf:1`, same: true},

	// Directives nginxws ignores are still checked as nginx checks them.
	{name: "ignored directive value", conf: H("types_hash_max_size =404;"), want: `[emerg] "types_hash_max_size" directive invalid number in CONF/nginx.conf:3`, same: true},
	{name: "ignored directive duplicate", conf: H("gzip_no_buffer on;\ngzip_no_buffer off;"), want: `[emerg] "gzip_no_buffer" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "ignored ssl directive value", conf: H("ssl_session_timeout 5x;"), want: `[emerg] "ssl_session_timeout" directive invalid value in CONF/nginx.conf:3`, same: true},
	{name: "ignored events directive duplicate", conf: "events { multi_accept on; multi_accept on; }\n", want: `[emerg] "multi_accept" directive is duplicate in CONF/nginx.conf:1`, same: true},
	// Password files are read where the directive stands (ngx_ssl_read_password_file).
	{name: "ssl_password_file a directory", conf: H("ssl_password_file keys;"), files: map[string]string{"keys/a": "x\n"}, want: `[emerg] read() "CONF/keys" failed (21: Is a directory) in CONF/nginx.conf:3`, same: true},
	{name: "ssl_password_file too long line", conf: H("ssl_password_file pw;"), files: map[string]string{"pw": "short\n" + strings.Repeat("x", 4096) + "\n"}, want: `[emerg] too long line in "CONF/pw" in CONF/nginx.conf:3`, same: true},
	{name: "ssl_password_file longest line then duplicate", conf: H("ssl_password_file pw;\nssl_password_file pw;"), files: map[string]string{"pw": strings.Repeat("x", 4094) + "\r\n" + strings.Repeat("y", 4095)}, want: `[emerg] "ssl_password_file" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "grpc_ssl_password_file missing", conf: H("server { listen 8080; grpc_ssl_password_file nosuch.pass; }"), want: `[emerg] open() "CONF/nosuch.pass" failed (2: No such file or directory) in CONF/nginx.conf:3`, same: true},
	{name: "uwsgi_ssl_password_file duplicate", conf: H("uwsgi_ssl_password_file pw;\nuwsgi_ssl_password_file pw;"), files: map[string]string{"pw": "a"}, want: `[emerg] "uwsgi_ssl_password_file" directive is duplicate in CONF/nginx.conf:4`, same: true},

	// fastcgi_cache and its siblings name a zone of their module's *_cache_path.
	{name: "fastcgi_cache zone unknown", conf: H("server { listen 8080;\nlocation / { fastcgi_cache php; }\n}"), want: `[emerg] "fastcgi_cache" zone "php" is unknown in CONF/nginx.conf:6`, same: true},
	{name: "uwsgi_cache of a proxy zone", conf: H("proxy_cache_path /tmp/nginxws-cache keys_zone=p:10m;\nserver { listen 8080; uwsgi_cache p; }"), want: `[emerg] the shared memory zone "p" is already declared for a different use in CONF/nginx.conf:4`, same: true},
	{name: "scgi_cache zone without servers", conf: H("scgi_cache s;"), want: `[emerg] zero size shared memory zone "s"`, same: true},

	// nginx checks proxy buffers where it merges a server (or below), never
	// the http level by itself.
	{name: "proxy_buffers at the http level, replaced in every server", conf: H("proxy_buffers 1 4k;\nserver { listen 8080; proxy_buffers 8 4k; }") + "bogus;\n", want: `[emerg] unknown directive "bogus" in CONF/nginx.conf:6`, same: true},
	{name: "proxy_buffer_size too large with no server", conf: H("proxy_buffer_size 1m;") + "bogus;\n", want: `[emerg] unknown directive "bogus" in CONF/nginx.conf:5`, same: true},
	{name: "proxy_buffer_size too large inherited by a server", conf: H("proxy_buffer_size 1m;\nserver { listen 8080; }"), want: `[emerg] "proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer in CONF/nginx.conf:5`, same: true},

	// The checks nginx makes on their sizes when it merges a level.
	{name: "fastcgi_buffers one buffer", conf: H("server { listen 8080;\nlocation / { fastcgi_buffers 1 4k; }\n}"), want: `[emerg] there must be at least 2 "fastcgi_buffers" in CONF/nginx.conf:6`, same: true},
	{name: "uwsgi_busy_buffers_size too large", conf: H("uwsgi_busy_buffers_size 64k;\nserver { listen 8080; }"), want: `[emerg] "uwsgi_busy_buffers_size" must be less than the size of all "uwsgi_buffers" minus one buffer in CONF/nginx.conf:5`, same: true},
	{name: "scgi_busy_buffers_size too small", conf: H("server { listen 8080; scgi_buffer_size 16k; scgi_busy_buffers_size 8k; }"), want: `[emerg] "scgi_busy_buffers_size" must be equal to or greater than the maximum of the value of "scgi_buffer_size" and one of the "scgi_buffers" in CONF/nginx.conf:4`, same: true},
	{name: "proxy_temp_file_write_size too small", conf: H("server { listen 8080; location / { proxy_temp_file_write_size 1k; } }"), want: `[emerg] "proxy_temp_file_write_size" must be equal to or greater than the maximum of the value of "proxy_buffer_size" and one of the "proxy_buffers" in CONF/nginx.conf:4`, same: true},
	{name: "fastcgi_max_temp_file_size too small", conf: H("fastcgi_buffers 4 16k;\nserver { listen 8080; fastcgi_max_temp_file_size 8k; }"), want: `[emerg] "fastcgi_max_temp_file_size" must be equal to zero to disable temporary files usage or must be equal to or greater than the maximum of the value of "fastcgi_buffer_size" and one of the "fastcgi_buffers" in CONF/nginx.conf:5`, same: true},
	{name: "temp file sizes that pass", conf: H("proxy_max_temp_file_size 0;\nfastcgi_buffers 3 4k;\nserver { listen 8080; location / { fastcgi_buffer_size 4k; uwsgi_max_temp_file_size 0; } }") + "bogus;\n", want: `[emerg] unknown directive "bogus" in CONF/nginx.conf:7`, same: true},
	{name: "connection_pool_size above the header buffers", conf: H("connection_pool_size 16k;\nserver { listen 8080; }"), want: `[emerg] the "large_client_header_buffers" size must be equal to or greater than "connection_pool_size" in CONF/nginx.conf:5`, same: true},
	{name: "large_client_header_buffers below the pool size", conf: H("server { listen 8080; large_client_header_buffers 4 256; }"), want: `[emerg] the "large_client_header_buffers" size must be equal to or greater than "connection_pool_size" in CONF/nginx.conf:4`, same: true},

	// max_headers, Debian's backport (ngx_conf_set_num_slot).
	{name: "max_headers not a number", conf: H("max_headers 1k;"), want: `[emerg] "max_headers" directive invalid number in CONF/nginx.conf:3`, same: true},
	{name: "max_headers duplicate", conf: H("server { listen 8080; max_headers 10;\nmax_headers 20; }"), want: `[emerg] "max_headers" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "max_headers in a location", conf: H("server { listen 8080; location / { max_headers 10; } }"), want: `[emerg] "max_headers" directive is not allowed here in CONF/nginx.conf:3`, same: true},

	// The variables hash nginx builds once the http block is read.
	{name: "variables_hash_max_size zero", conf: H("variables_hash_max_size 0;"), want: `[emerg] could not build variables_hash, you should increase variables_hash_max_size: 0`, same: true},
	{name: "variables_hash_bucket_size zero", conf: H("variables_hash_bucket_size 0;"), want: `[emerg] could not build variables_hash, you should increase variables_hash_bucket_size: 0`, same: true},
	{name: "variables_hash_bucket_size too large", conf: H("variables_hash_bucket_size 70000;"), want: `[emerg] could not build variables_hash, too large variables_hash_bucket_size: 70016`, same: true},
	{name: "variable name too long for the default bucket", conf: H("map $uri $" + strings.Repeat("v", 47) + " { default 1; }"), want: `[emerg] could not build variables_hash, you should increase variables_hash_bucket_size: 64`, same: true},
	{name: "variable name that fits a larger bucket", conf: H("variables_hash_bucket_size 65;\nmap $uri $" + strings.Repeat("v", 47) + " { default 1; }\nbogus;"), want: `[emerg] unknown directive "bogus" in CONF/nginx.conf:5`, same: true},
	{name: "unknown variable before the variables hash", conf: H("variables_hash_max_size 0;\nlog_format x $nosuch;"), want: `[emerg] unknown "nosuch" variable`, same: true},

	// The post handlers of their slots.
	{name: "connection_pool_size too small", conf: H("connection_pool_size 64;"), want: `[emerg] the pool size must be no less than 112 in CONF/nginx.conf:3`, same: true},
	{name: "request_pool_size not aligned", conf: H("request_pool_size 120;"), want: `[emerg] the pool size must be a multiple of 16 in CONF/nginx.conf:3`, same: true},
	{name: "http2_pool_size too small", conf: H("server { listen 8080; http2_pool_size 1k; http2_pool_size 100; }"), want: `[emerg] "http2_pool_size" directive is duplicate in CONF/nginx.conf:3`, same: true},
	{name: "http2_chunk_size zero", conf: H("http2_chunk_size 0;"), want: `[emerg] the http2 chunk size cannot be zero in CONF/nginx.conf:3`, same: true},
	{name: "http2_recv_buffer_size too small", conf: H("http2_recv_buffer_size 32;"), want: `[emerg] "http2_recv_buffer_size" directive value is too small in CONF/nginx.conf:3`, same: true},
	{name: "http2_body_preread_size too large", conf: H("http2_body_preread_size 2048m;"), want: `[emerg] the maximum body preread buffer size is 2147483647 in CONF/nginx.conf:3`, same: true},
	{name: "http2_streams_index_size power of two", conf: H("http2_streams_index_size 48;"), want: `[emerg] "http2_streams_index_size" directive must be a power of two in CONF/nginx.conf:3`, same: true},
	{name: "pool sizes that pass", conf: H("connection_pool_size 112;\nrequest_pool_size 4k;\nhttp2_pool_size 64k;\nhttp2_chunk_size 99m;\nhttp2_recv_buffer_size 33;\nhttp2_streams_index_size 64;\nfoo;"), want: `[emerg] unknown directive "foo" in CONF/nginx.conf:9`, same: true},

	// Their variables are compiled as nginx compiles them: the WebSocket
	// idiom "proxy_cache_bypass $http_upgrade;" with a typo fails.
	{name: "proxy_cache_bypass unknown variable", conf: H("server { listen 8080;\nlocation / { proxy_cache_bypass $http_upgrade $cookie_nocache $nocache_flag; }\n}"), want: `[emerg] unknown "nocache_flag" variable`, same: true},
	{name: "proxy_no_cache bracket", conf: H("proxy_no_cache $arg_a ${arg_b;"), want: `[emerg] the closing bracket in "arg_b" variable is missing in CONF/nginx.conf:3`, same: true},
	{name: "fastcgi_cache_key invalid variable name", conf: H("fastcgi_cache_key \"a$\";"), want: `[emerg] invalid variable name in CONF/nginx.conf:3`, same: true},
	{name: "uwsgi_ssl_name unknown variable", conf: H("server { listen 8080; uwsgi_ssl_name $nosuch; }"), want: `[emerg] unknown "nosuch" variable`, same: true},
	{name: "scgi_store with variables", conf: H("server { listen 8080; scgi_store /data${uri; }"), want: `[emerg] the closing bracket in "uri" variable is missing in CONF/nginx.conf:3`, same: true},
	{name: "scgi_store on", conf: H("server { listen 8080; scgi_store on; scgi_store_access user:rw all:x; }"), want: `[emerg] invalid value "all:x" in CONF/nginx.conf:3`, same: true},
	{name: "fastcgi_store_access duplicate", conf: H("fastcgi_store_access user:rw;\nfastcgi_store_access group:r;"), want: `[emerg] "fastcgi_store_access" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "fastcgi_param third argument", conf: H("fastcgi_param HTTPS $https if_empty;"), want: `[emerg] invalid parameter "if_empty" in CONF/nginx.conf:3`, same: true},
	{name: "fastcgi_param unknown variable", conf: H("server { listen 8080;\nlocation / { fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script; }\n}"), want: `[emerg] unknown "fastcgi_script" variable`, same: true},
	{name: "uwsgi_param bracket at the merge", conf: H("server { listen 8080;\nlocation / { uwsgi_param A ${uri; }\n}"), want: `[emerg] the closing bracket in "uri" variable is missing in CONF/nginx.conf:6`, same: true},
	{name: "grpc_set_header inherited bracket at the merge", conf: H("grpc_set_header A ${uri;\nserver { listen 8080; }"), want: `[emerg] the closing bracket in "uri" variable is missing in CONF/nginx.conf:5`, same: true},
	{name: "http2_push off then a URI", conf: H("http2_push off;\nhttp2_push /style.css;"), want: `[emerg] "http2_push" directive URI cannot be used with "off" parameter in CONF/nginx.conf:4`, same: true},
	{name: "http2_push a URI then off", conf: H("http2_push /a;\nhttp2_push /b;\nhttp2_push off;"), want: `[emerg] "http2_push" directive "off" parameter cannot be used with URI in CONF/nginx.conf:5`, same: true},
	{name: "http2_push off twice", conf: H("http2_push off;\nhttp2_push off;"), want: `[emerg] "http2_push" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "fastcgi_split_path_info one capture", conf: H(`fastcgi_split_path_info ^(.+\.php)/;`), want: `[emerg] pattern "^(.+\.php)/" must have 2 captures in CONF/nginx.conf:3`, same: true},
	{name: "fastcgi_split_path_info bad pattern", conf: H(`fastcgi_split_path_info ^(.+\.php(/.+)$;`), want: `[emerg] pcre2_compile() failed: missing closing parenthesis in "^(.+\.php(/.+)$" in CONF/nginx.conf:3`, same: true},
	{name: "fastcgi_bind invalid address", conf: H("fastcgi_bind localhost;"), want: `[emerg] invalid address "localhost" in CONF/nginx.conf:3`, same: true},
	{name: "memcached_bind invalid parameter", conf: H("memcached_bind 127.0.0.1 Transparent;"), want: `[emerg] invalid parameter "Transparent" in CONF/nginx.conf:3`, same: true},
	{name: "grpc_bind duplicate", conf: H("grpc_bind off;\ngrpc_bind 127.0.0.1;"), want: `[emerg] "grpc_bind" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "debug_connection host not found", conf: "events { debug_connection nosuchhost.invalid; }\n", want: `[emerg] host not found in debug_connection "nosuchhost.invalid" in CONF/nginx.conf:1`, same: true},
	{name: "debug_connection network then error", conf: "events { debug_connection 10.0.0.1/8; debug_connection unix:; debug_connection ::1; foo; }\n", want: `[emerg] unknown directive "foo" in CONF/nginx.conf:1`, same: true},

	// Blocks and their end checks.
	{name: "missing events", conf: "http{\nserver{listen 8080;\n}\n}\n", want: `[emerg] no "events" section in configuration`, same: true},
	{name: "duplicate upstream", conf: H("upstream u { server 127.0.0.1:80; }\nupstream u { server 127.0.0.1:80; }"), want: `[emerg] duplicate upstream "u" in CONF/nginx.conf:4`, same: true},
	{name: "no servers in upstream", conf: H("upstream a {\n}\n"), want: `[emerg] no servers are inside upstream in CONF/nginx.conf:4`, same: true},
	{name: "only backup servers", conf: H("upstream u {\n server 127.0.0.1 backup;\n least_conn;\n}"), want: `[emerg] no servers in upstream "u" in CONF/nginx.conf:3`, same: true},
	{name: "duplicate location", conf: H("server{listen 8080;\nlocation / {}\nlocation / {}\n}"), want: `[emerg] duplicate location "/" in CONF/nginx.conf:5`, same: true},
	{name: "duplicate location sorted", conf: H("server{listen 8080;\nlocation /b {}\nlocation /a {}\nlocation /b {}\nlocation /a {}\n}"), want: `[emerg] duplicate location "/a" in CONF/nginx.conf:7`, same: true},
	{name: "duplicate location exact joined", conf: H("server{listen 8080;\nlocation = /a {}\nlocation /a {}\nlocation =/a {}\n}"), want: `[emerg] duplicate location "/a" in CONF/nginx.conf:6`, same: true},
	{name: "duplicate location ^~", conf: H("server{listen 8080;\nlocation ^~ /a {}\nlocation /a {}\n}"), want: `[emerg] duplicate location "/a" in CONF/nginx.conf:5`, same: true},
	{name: "location outside", conf: H("server{listen 8080;\nlocation /a { location /b {} }\n}"), want: `[emerg] location "/b" is outside location "/a" in CONF/nginx.conf:4`, same: true},
	{name: "location in exact", conf: H("server{listen 8080;\nlocation = /a { location /a {} }\n}"), want: `[emerg] location "/a" cannot be inside the exact location "/a" in CONF/nginx.conf:4`, same: true},
	{name: "nested named location", conf: H("server{listen 8080;\nlocation /a { location @x {} }\n}"), want: `[emerg] named location "@x" can be on the server level only in CONF/nginx.conf:4`, same: true},
	{name: "location modifier", conf: H("server{listen 8080;\nlocation x /a {}\n}"), want: `[emerg] invalid location modifier "x" in CONF/nginx.conf:4`, same: true},
	{name: "merge check at http end", conf: H("server{listen 8080;\nlocation / { proxy_buffer_size 64k;\n proxy_pass http://127.0.0.1:1; }\n}\n"), want: `[emerg] "proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer in CONF/nginx.conf:8`, same: true},
	{name: "merge check busy too small", conf: H("server { listen 8080; location / { proxy_busy_buffers_size 1k; } }"), want: `[emerg] "proxy_busy_buffers_size" must be equal to or greater than the maximum of the value of "proxy_buffer_size" and one of the "proxy_buffers" in CONF/nginx.conf:4`, same: true},
	{name: "merge check buffers count", conf: H("server { listen 8080; location / { proxy_buffers 1 4k; } }"), want: `[emerg] there must be at least 2 "proxy_buffers" in CONF/nginx.conf:4`, same: true},
	{name: "merge check in include", conf: "events{}\nhttp {\n include conf.d/*.conf;\n}\n", files: map[string]string{"conf.d/a.conf": "server { listen 8080; location / { proxy_buffer_size 64k; } }\n"}, want: `[emerg] "proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one buffer in CONF/nginx.conf:4`, same: true},
	{name: "upstream end in include", conf: "events{}\nhttp {\n include conf.d/*.conf;\n}\n", files: map[string]string{"conf.d/a.conf": "upstream x {\n}\n"}, want: `[emerg] no servers are inside upstream in CONF/conf.d/a.conf:2`, same: true},
	{name: "error in include", conf: "events{}\nhttp {\n include conf.d/*.conf;\n}\n", files: map[string]string{"conf.d/a.conf": "\nserver {\n listen 8080;\n location / {\n  bogus;\n }\n}\n"}, want: `[emerg] unknown directive "bogus" in CONF/conf.d/a.conf:5`, same: true},

	// Listen.
	{name: "duplicate default server", conf: H("server{listen 8080 default_server;\n}\nserver{listen 8080 default_server;\n}"), want: `[emerg] a duplicate default server for 0.0.0.0:8080 in CONF/nginx.conf:5`, same: true},
	{name: "duplicate default server wildcard forms", conf: H("server { listen *:8080; }\nserver { listen 0.0.0.0:8080 default; }\nserver { listen 8080 default_server; }"), want: `[emerg] a duplicate default server for 0.0.0.0:8080 in CONF/nginx.conf:5`, same: true},
	{name: "duplicate default server resolved", conf: H("server { listen 127.0.0.1:8080 default_server; }\nserver { listen localhost:8080 default_server; }"), want: `[emerg] a duplicate default server for 127.0.0.1:8080 in CONF/nginx.conf:4`, same: true},
	{name: "duplicate listen", conf: H("server{listen 8080;\nlisten 8080;\n}"), want: `[emerg] a duplicate listen 0.0.0.0:8080 in CONF/nginx.conf:4`, same: true},
	{name: "duplicate listen options", conf: H("server{listen 8080 backlog=10;\n}\nserver{listen 8080 backlog=20;}"), want: `[emerg] duplicate listen options for 0.0.0.0:8080 in CONF/nginx.conf:5`, same: true},
	{name: "invalid port", conf: H("server{listen 80800;\n}"), want: `[emerg] invalid port in "80800" of the "listen" directive in CONF/nginx.conf:3`, same: true},
	{name: "invalid port zero", conf: H("server{listen 127.0.0.1:0;\n}"), want: `[emerg] invalid port in "127.0.0.1:0" of the "listen" directive in CONF/nginx.conf:3`, same: true},
	{name: "listen host not found", conf: H("server{listen nosuchhost.invalid:80;\n}"), want: `[emerg] host not found in "nosuchhost.invalid:80" of the "listen" directive in CONF/nginx.conf:3`, same: true},
	{name: "listen parameter", conf: H("server{listen 8080 foo;\n}"), want: `[emerg] invalid parameter "foo" in CONF/nginx.conf:3`, same: true},
	{name: "listen backlog", conf: H("server{listen 8080 backlog=x;\n}"), want: `[emerg] invalid backlog "backlog=x" in CONF/nginx.conf:3`, same: true},
	{name: "listen ipv6only", conf: H("server { listen [::]:8080 ipv6only=maybe; }"), want: `[emerg] invalid parameter "ipv6only=maybe" in CONF/nginx.conf:3`, same: true},
	{name: "listen ipv6 address", conf: H("server { listen [zz]:80; }"), want: `[emerg] invalid IPv6 address in "[zz]:80" of the "listen" directive in CONF/nginx.conf:3`, same: true},
	{name: "listen so_keepalive", conf: H("server { listen 8080 so_keepalive=::; }"), want: `[emerg] invalid so_keepalive value: "::" in CONF/nginx.conf:3`, same: true},
	{name: "listen options on bind", conf: H("server { listen 8080 bind; }\nserver { listen 8080 reuseport; }"), want: `[emerg] duplicate listen options for 0.0.0.0:8080 in CONF/nginx.conf:4`, same: true},
	{name: "listen ssl, certificate not PEM", conf: H("server { listen 8080 ssl; ssl_certificate c.pem; ssl_certificate_key c.key; }"), files: certFiles, want: `[emerg] cannot load certificate "CONF/c.pem": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)`, same: true},
	{name: "listen http2 refused", conf: H("server { listen 8080 http2; }"), want: `[emerg] "http2" parameter of the "listen" directive is not supported in CONF/nginx.conf:3`},
	{name: "listen proxy_protocol with options twice", conf: H("server { listen 8080 proxy_protocol backlog=5; }\nserver { listen 8080 reuseport; }"), want: `[emerg] duplicate listen options for 0.0.0.0:8080 in CONF/nginx.conf:4`, same: true},
	{name: "ssl on, certificate not PEM", conf: H("server { listen 8080; ssl on; ssl_certificate c.pem; ssl_certificate_key c.key; }"), files: certFiles, want: `[emerg] cannot load certificate "CONF/c.pem": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)`},
	{name: "a certificate error before the http2 refusal", conf: H("server { listen 8080 http2;\nlisten 8081 ssl; ssl_certificate c.pem; ssl_certificate_key c.key; }"), files: certFiles, want: `[emerg] cannot load certificate "CONF/c.pem": PEM_read_bio_X509_AUX() failed (SSL: error:0480006C:PEM routines::no start line:Expecting: TRUSTED CERTIFICATE)`, same: true},
	// nginx accepts "listen … ssl" where it is read; its own errors after
	// it come first (nginx's words), the refusal once nginx has no more.
	{name: "listen ssl then nginx's error", conf: H("server { listen 8080 ssl; ssl_certificate /x.pem; ssl_certificate_key /x.key;\nlocation / { proxy_passs x; } }"), want: `[emerg] unknown directive "proxy_passs" in CONF/nginx.conf:4`, same: true},

	// Upstreams and proxy_pass.
	{name: "host not found in upstream", conf: H("upstream u { server nosuchhost.invalid:80; }"), want: `[emerg] host not found in upstream "nosuchhost.invalid:80" in CONF/nginx.conf:3`, same: true},
	{name: "host not found in proxy_pass", conf: H("server{listen 8080;\nlocation / { proxy_pass http://nosuchhost.invalid:8080/x; }\n}"), want: `[emerg] host not found in upstream "nosuchhost.invalid" in CONF/nginx.conf:4`, same: true},
	{name: "upstream invalid port", conf: H("upstream u { server 127.0.0.1:0; }"), want: `[emerg] invalid port in upstream "127.0.0.1:0" in CONF/nginx.conf:3`, same: true},
	{name: "upstream invalid host", conf: H("upstream u { server 127.0.0.1/x; }"), want: `[emerg] invalid host in upstream "127.0.0.1/x" in CONF/nginx.conf:3`, same: true},
	{name: "upstream parameter", conf: H("upstream u { server 127.0.0.1 weight=0; }"), want: `[emerg] invalid parameter "weight=0" in CONF/nginx.conf:3`, same: true},
	{name: "upstream fail_timeout in seconds", conf: H("upstream u { server 127.0.0.1 fail_timeout=500ms; }"), want: `[emerg] invalid parameter "fail_timeout=500ms" in CONF/nginx.conf:3`, same: true},
	{name: "backup with hash", conf: H("upstream u { hash $uri;\nserver 127.0.0.1 backup; }"), want: `[emerg] balancing method does not support parameter "backup" in CONF/nginx.conf:4`, same: true},
	{name: "backup with ip_hash", conf: H("upstream u { ip_hash; server 127.0.0.1 backup; }"), want: `[emerg] balancing method does not support parameter "backup" in CONF/nginx.conf:3`, same: true},
	{name: "backup with random", conf: H("upstream u { random; server 127.0.0.1 backup; }"), want: `[emerg] balancing method does not support parameter "backup" in CONF/nginx.conf:3`, same: true},
	{name: "backup before hash", conf: H("upstream u { server 127.0.0.1 backup; hash $uri; }"), want: `[emerg] no servers in upstream "u" in CONF/nginx.conf:3`, same: true},
	{name: "hash parameter", conf: H("upstream u { hash $uri x; server 127.0.0.1; }"), want: `[emerg] invalid parameter "x" in CONF/nginx.conf:3`, same: true},
	{name: "random parameter", conf: H("upstream u { random two foo; server 127.0.0.1; }"), want: `[emerg] invalid parameter "foo" in CONF/nginx.conf:3`, same: true},
	{name: "keepalive value", conf: H("upstream u { server 127.0.0.1; keepalive 0; }"), want: `[emerg] invalid value "0" in "keepalive" directive in CONF/nginx.conf:3`, same: true},
	{name: "keepalive duplicate", conf: H("upstream u { server 127.0.0.1; keepalive 2; keepalive 3; }"), want: `[emerg] "keepalive" directive is duplicate in CONF/nginx.conf:3`, same: true},
	{name: "upstream may not have port", conf: H("upstream b { server 127.0.0.1; }\nserver{listen 8080;\nlocation / { proxy_pass http://b:8080; }\n}"), want: `[emerg] upstream "b" may not have port 8080 in CONF/nginx.conf:5`, same: true},
	{name: "upstream may not have port, block after", conf: H("server{listen 8080;\nlocation / { proxy_pass http://b:8080; }\n}\nupstream b { server 127.0.0.1; }"), want: `[emerg] upstream "b" may not have port 8080 in CONF/nginx.conf:4`, same: true},
	{name: "proxy_pass prefix", conf: H("server{listen 8080;\nlocation / { proxy_pass ftp://b; }\n}"), want: `[emerg] invalid URL prefix in CONF/nginx.conf:4`, same: true},
	{name: "proxy_pass no host", conf: H("server{listen 8080;\nlocation / { proxy_pass http://; }\n}"), want: `[emerg] no host in upstream "" in CONF/nginx.conf:4`, same: true},
	{name: "proxy_pass invalid port", conf: H("server{listen 8080;\nlocation / { proxy_pass http://a:99999; }\n}"), want: `[emerg] invalid port in upstream "a:99999" in CONF/nginx.conf:4`, same: true},
	{name: "proxy_pass duplicate", conf: H("server{listen 8080;\nlocation / { proxy_pass http://localhost; proxy_pass http://localhost; }\n}"), want: `[emerg] "proxy_pass" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "proxy_pass uri in regex location", conf: H("server{listen 8080;\nlocation ~ ^/a { proxy_pass http://127.0.0.1:80/x; }\n}"), want: `[emerg] "proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block in CONF/nginx.conf:4`, same: true},
	{name: "proxy_pass uri in named location", conf: H("server{listen 8080;\nlocation @n { proxy_pass http://localhost/; }\n}"), want: `[emerg] "proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block in CONF/nginx.conf:4`, same: true},
	{name: "proxy_pass uri in if", conf: H("server{listen 8080;\nlocation / { if ($uri) { proxy_pass http://localhost/x; } }\n}"), want: `[emerg] "proxy_pass" cannot have URI part in location given by regular expression, or inside named location, or inside "if" statement, or inside "limit_except" block in CONF/nginx.conf:4`, same: true},
	{name: "proxy_ssl_verify without a trusted certificate", conf: H("server { listen 8080; location / { proxy_pass https://127.0.0.1; proxy_ssl_verify on; } }"), want: `[emerg] no proxy_ssl_trusted_certificate for proxy_ssl_verify`, same: true},
	{name: "proxy_ssl_trusted_certificate missing", conf: H("proxy_ssl_verify on; proxy_ssl_trusted_certificate ca.pem;\nserver { listen 8080; location / { proxy_pass https://127.0.0.1; } }"), want: `[emerg] SSL_CTX_load_verify_locations("CONF/ca.pem") failed (SSL: error:80000002:system library::No such file or directory:calling fopen(CONF/ca.pem, r) error:10000080:BIO routines::no such file error:05880002:x509 certificate routines::system lib)`, same: true},
	{name: "proxy_ssl_ciphers no match", conf: H("server { listen 8080; location / { proxy_pass https://127.0.0.1; proxy_ssl_ciphers NOPE; } }"), want: `[emerg] SSL_CTX_set_cipher_list("NOPE") failed (SSL: error:0A0000B9:SSL routines::no cipher match)`, same: true},
	{name: "proxy_ssl_ciphers unchecked without https", conf: H("proxy_ssl_ciphers NOPE;\nserver { listen 8080; location / { proxy_pass http://127.0.0.1; } }\nserver { listen 8081; location / { proxy_pass https://127.0.0.1; proxy_ssl_ciphers HIGH; } }\nserver { listen 8082; location / { proxy_pass http://127.0.0.1$uri; } }"), want: `[emerg] SSL_CTX_set_cipher_list("NOPE") failed (SSL: error:0A0000B9:SSL routines::no cipher match)`, same: true},
	{name: "proxy_ssl_name duplicate", conf: H("server { listen 8080; location / { proxy_ssl_name a; proxy_ssl_name b; } }"), want: `[emerg] "proxy_ssl_name" directive is duplicate in CONF/nginx.conf:3`, same: true},
	{name: "ssl_password_file missing", conf: H("ssl_password_file pw.txt;"), want: `[emerg] open() "CONF/pw.txt" failed (2: No such file or directory) in CONF/nginx.conf:3`, same: true},
	{name: "proxy_ssl_verify_depth number", conf: H("proxy_ssl_verify_depth x;"), want: `[emerg] "proxy_ssl_verify_depth" directive invalid number in CONF/nginx.conf:3`, same: true},
	{name: "proxy_pass https read as nginx reads it", conf: H("server { listen 8080; location / { proxy_pass https://127.0.0.1:99999; } }"), want: `[emerg] invalid port in upstream "127.0.0.1:99999" in CONF/nginx.conf:3`, same: true},
	{name: "proxy_pass https to a block, port 443", conf: H("upstream b { server 127.0.0.1:1; }\nserver { listen 8080; location / { proxy_pass https://b; }\nlocation /x { proxy_pass http://b:443; } }"), want: `[emerg] upstream "b" may not have port 443 in CONF/nginx.conf:5`, same: true},
	{name: "proxy_redirect default before proxy_pass", conf: H("server{listen 8080;\nlocation / { proxy_redirect default; }\n}"), want: `[emerg] "proxy_redirect default" should be placed after the "proxy_pass" directive in CONF/nginx.conf:4`, same: true},
	{name: "proxy_redirect after off", conf: H("server{listen 8080;\nlocation / { proxy_pass http://localhost; proxy_redirect off; proxy_redirect x; }\n}"), want: `[emerg] "proxy_redirect" directive is duplicate in CONF/nginx.conf:4`, same: true},

	// Variables.
	{name: "unknown variable", conf: H("server{listen 8080;\nlocation / { return 200 $foo;\n }\n}"), want: `[emerg] unknown "foo" variable`, same: true},
	{name: "unknown variable lower-cased", conf: H("server{listen 8080;\nlocation / { return 200 $FOO; }\n}"), want: `[emerg] unknown "foo" variable`, same: true},
	{name: "unknown variable in if", conf: H("server{listen 8080;\nlocation / { if ($foo) { return 200; } }\n}"), want: `[emerg] unknown "foo" variable`, same: true},
	{name: "unknown map source", conf: H("map $a $b { default 1; }"), want: `[emerg] unknown "a" variable`, same: true},
	{name: "unknown variable in log_format", conf: H("log_format x $foo;"), want: `[emerg] unknown "foo" variable`, same: true},
	{name: "variable bracket", conf: H(`server { listen 8080; return 200 "${uri"; }`), want: `[emerg] the closing bracket in "uri" variable is missing in CONF/nginx.conf:3`, same: true},
	{name: "variable name", conf: H(`server { listen 8080; return 200 "a$"; }`), want: `[emerg] invalid variable name in CONF/nginx.conf:3`, same: true},
	{name: "set name", conf: H("server{listen 8080;\nlocation / { set foo bar; }\n}"), want: `[emerg] invalid variable name "foo" in CONF/nginx.conf:4`, same: true},
	{name: "set builtin", conf: H("server{listen 8080;\nlocation / { set $uri bar; }\n}"), want: `[emerg] the duplicate "uri" variable in CONF/nginx.conf:4`, same: true},
	{name: "map builtin", conf: H("map $uri $host { default 1; }"), want: `[emerg] the duplicate "host" variable in CONF/nginx.conf:3`, same: true},

	// Regular expressions.
	{name: "regex missing paren", conf: H("server{listen 8080;\nlocation ~ (abc {}\n}"), want: `[emerg] pcre2_compile() failed: missing closing parenthesis in "(abc" in CONF/nginx.conf:4`, same: true},
	{name: "regex class", conf: H("server{listen 8080;\nlocation ~ \"a[b\" {}\n}"), want: `[emerg] pcre2_compile() failed: missing terminating ] for character class in "a[b" in CONF/nginx.conf:4`, same: true},
	{name: "regex unmatched paren", conf: H(`server { listen 8080; location ~ "a)b" { } }`), want: `[emerg] pcre2_compile() failed: unmatched closing parenthesis in "a)b" at ")b" in CONF/nginx.conf:3`, same: true},
	{name: "regex quantifier", conf: H(`server { listen 8080; location ~ "*a" { } }`), want: `[emerg] pcre2_compile() failed: quantifier does not follow a repeatable item in "*a" at "*a" in CONF/nginx.conf:3`, same: true},
	{name: "regex range", conf: H(`server { listen 8080; location ~ "[z-a]" { } }`), want: `[emerg] pcre2_compile() failed: range out of order in character class in "[z-a]" at "a]" in CONF/nginx.conf:3`, same: true},
	{name: "regex repeat order", conf: H(`server { listen 8080; location ~ "x{2,1}" { } }`), want: `[emerg] pcre2_compile() failed: numbers out of order in {} quantifier in "x{2,1}" at "}" in CONF/nginx.conf:3`, same: true},
	{name: "regex duplicate names", conf: H(`server { listen 8080; location ~ "(?<n>a)(?<n>b)" { } }`), want: `[emerg] pcre2_compile() failed: two named subpatterns have the same name (PCRE2_DUPNAMES not set) in "(?<n>a)(?<n>b)" at "b)" in CONF/nginx.conf:3`, same: true},
	{name: "regex in rewrite", conf: H("server{listen 8080;\nlocation / { rewrite (a /b; }\n}"), want: `[emerg] pcre2_compile() failed: missing closing parenthesis in "(a" in CONF/nginx.conf:4`, same: true},
	{name: "regex in map", conf: H("map $uri $b { ~(a 1; }"), want: `[emerg] pcre2_compile() failed: missing closing parenthesis in "(a" in CONF/nginx.conf:3`, same: true},
	{name: "regex in server_name", conf: H("server{listen 8080;\nserver_name ~(a;\n}"), want: `[emerg] pcre2_compile() failed: missing closing parenthesis in "(a" in CONF/nginx.conf:4`, same: true},
	{name: "map exact then dot wildcard", conf: H("map $uri $x { hostnames; example.com 1; .example.com 2; }"), want: `[emerg] conflicting parameter ".example.com" in CONF/nginx.conf:3`, same: true},
	{name: "map dot wildcard then exact", conf: H("map $uri $x { hostnames; .example.com 1; example.com 2; }"), want: `[emerg] conflicting parameter "example.com" in CONF/nginx.conf:3`, same: true},
	{name: "map dot then star wildcard", conf: H("map $uri $x { hostnames; .Example.com 1; *.example.COM 2; }"), want: `[emerg] conflicting parameter "*.example.com" in CONF/nginx.conf:3`, same: true},
	{name: "map tail wildcards", conf: H("map $uri $x { hostnames; www.Ex.* 1; www.ex.* 2; }"), want: `[emerg] conflicting parameter "www.ex.*" in CONF/nginx.conf:3`, same: true},
	{name: "map exact before hostnames", conf: H("map $uri $x { x.example.com 1; hostnames; .x.example.com 2; }"), want: `[emerg] conflicting parameter ".x.example.com" in CONF/nginx.conf:3`, same: true},
	{name: "map double dot", conf: H("map $uri $x { hostnames; a..com 1; }"), want: `[emerg] invalid hostname or wildcard "a..com" in CONF/nginx.conf:3`, same: true},
	{name: "look-behind not fixed", conf: H("server { listen 8080;\nlocation ~ x(?<=a+)b { } }"), want: `[emerg] pcre2_compile() failed: lookbehind assertion is not fixed length in "x(?<=a+)b" at "(?<=a+)b" in CONF/nginx.conf:4`, same: true},
	{name: "look-behind alternatives not fixed", conf: H("map $uri $x {\n ~(?<=ab|c+)d 1;\n}"), want: `[emerg] pcre2_compile() failed: lookbehind assertion is not fixed length in "(?<=ab|c+)d" at "(?<=ab|c+)d" in CONF/nginx.conf:4`, same: true},
	{name: "recursion refused", conf: H("server { listen 8080; location ~ \"a(?R)?b\" { } }"), want: `[emerg] regular expression "a(?R)?b" uses a subroutine call or recursion at "(?R)?b", which nginxws does not support in CONF/nginx.conf:3`},
	{name: "match start reset refused", conf: H("server { listen 8080; location ~ a\\Kb { } }"), want: `[emerg] regular expression "a\Kb" uses the match start reset "\K" at "\Kb", which nginxws does not support in CONF/nginx.conf:3`},
	{name: "possessive refused", conf: H(`server { listen 8080; location ~ "a++" { } }`), want: `[emerg] regular expression "a++" uses a possessive quantifier at "++", which nginxws does not support in CONF/nginx.conf:3`},

	// The rewrite module.
	{name: "return code", conf: H("server{listen 8080;\nlocation / { return abc; }\n}"), want: `[emerg] invalid return code "abc" in CONF/nginx.conf:4`, same: true},
	{name: "return url with text", conf: H("server { listen 8080; return http://x y; }"), want: `[emerg] invalid return code "http://x" in CONF/nginx.conf:3`, same: true},
	{name: "rewrite flag", conf: H("server { listen 8080; rewrite ^ /x foo; }"), want: `[emerg] invalid parameter "foo" in CONF/nginx.conf:3`, same: true},
	{name: "rewrite empty", conf: H(`server { listen 8080; rewrite ^ ""; }`), want: `[emerg] empty replacement in CONF/nginx.conf:3`, same: true},
	{name: "if condition", conf: H("server{listen 8080;\nlocation / { if ($uri = a b) { return 200; } }\n}"), want: `[emerg] invalid condition "$uri" in CONF/nginx.conf:4`, same: true},
	{name: "if condition operator", conf: H("server { listen 8080; if ($uri x y) {} }"), want: `[emerg] unexpected "x" in condition in CONF/nginx.conf:3`, same: true},
	{name: "if file operator", conf: H("server { listen 8080; if (-q /a) {} }"), want: `[emerg] invalid condition "-q" in CONF/nginx.conf:3`, same: true},
	{name: "if variable is the whole token", conf: H("server { listen 8080; if ($uri=x) {} }"), want: `[emerg] unknown "uri=x" variable`, same: true},
	{name: "if empty", conf: H("server { listen 8080; if () {} }"), want: `[emerg] invalid condition ")" in CONF/nginx.conf:3`, same: true},

	// Other modules.
	{name: "error_page value", conf: H("server{listen 8080;\nlocation / { error_page 404 =x /a; }\n}"), want: `[emerg] invalid value "=x" in CONF/nginx.conf:4`, same: true},
	{name: "error_page range", conf: H("server{listen 8080;\nlocation / { error_page 200 /a; }\n}"), want: `[emerg] value "200" must be between 300 and 599 in CONF/nginx.conf:4`, same: true},
	{name: "try_files code", conf: H("server { listen 8080; try_files a =x; }"), want: `[emerg] invalid code "=x" in CONF/nginx.conf:3`, same: true},
	{name: "alias in named location", conf: H("server { listen 8080; location @a { alias /x; } }"), want: `[emerg] the "alias" directive cannot be used inside the named location in CONF/nginx.conf:3`, same: true},
	{name: "server name", conf: H("server { listen 8080; server_name *a; }"), want: `[emerg] server name "*a" is invalid in CONF/nginx.conf:3`, same: true},
	{name: "map default", conf: H("map $uri $b {\n default 1;\n default 2; }"), want: `[emerg] duplicate default map parameter in CONF/nginx.conf:5`, same: true},
	{name: "map conflict", conf: H("map $uri $b { a 1;\n A 2; }"), want: `[emerg] conflicting parameter "a" in CONF/nginx.conf:4`, same: true},
	{name: "map arity", conf: H("map $uri $b { a 1 2; }"), want: `[emerg] invalid number of the map parameters in CONF/nginx.conf:3`, same: true},
	{name: "log_format duplicate", conf: H("log_format combined x;"), want: `[emerg] duplicate "log_format" name "combined" in CONF/nginx.conf:3`, same: true},
	{name: "log_format parameter", conf: H("log_format main 'a$';"), want: `[emerg] invalid parameter "$" in CONF/nginx.conf:3`, same: true},
	{name: "unknown log format", conf: H("server{listen 8080;\naccess_log /tmp/a.log nosuch;\n}"), want: `[emerg] unknown log format "nosuch" in CONF/nginx.conf:4`, same: true},
	{name: "access_log off parameter", conf: H("server { listen 8080; access_log off x; }"), want: `[emerg] invalid parameter "x" in CONF/nginx.conf:3`, same: true},
	{name: "access rule", conf: H("server{listen 8080;\nlocation / {allow 1.2.3.4/33;}\n}"), want: `[emerg] invalid parameter "1.2.3.4/33" in CONF/nginx.conf:4`, same: true},
	{name: "server_tokens", conf: H("server { listen 8080; server_tokens x; }"), want: `[emerg] invalid value "x" in CONF/nginx.conf:3`, same: true},

	// Refused directives.
	{name: "geo ranges refused", conf: H("geo $g {\nranges;\n1.1.1.1-1.1.1.2 a;\n}"), want: `[emerg] "ranges" in "geo" is not supported in CONF/nginx.conf:4`},
	{name: "auth_request duplicate", conf: H("server { listen 8080; location / { auth_request off;\nauth_request /a; } }"), want: `[emerg] "auth_request" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "auth_request in if", conf: H("server { listen 8080; location / { if ($arg_a) { auth_request /a; } } }"), want: `[emerg] "auth_request" directive is not allowed here in CONF/nginx.conf:3`, same: true},
	{name: "refused directive then nginx's error", conf: H("server { listen 8080; location / { expires 30d;\nproxy_passs x; } }"), want: `[emerg] unknown directive "proxy_passs" in CONF/nginx.conf:4`, same: true},
	{name: "auth_request_set builtin variable", conf: H("server { listen 8080; location / { auth_request_set $uri x; } }"), want: `[emerg] the duplicate "uri" variable in CONF/nginx.conf:3`, same: true},
	{name: "auth_request_set empty name", conf: H("server { listen 8080; location / { auth_request_set $ x; } }"), want: `[emerg] invalid variable name "$" in CONF/nginx.conf:3`, same: true},
	{name: "auth_request_set value", conf: H("server { listen 8080; location / { auth_request_set $v \"${x\"; } }"), want: `[emerg] the closing bracket in "x" variable is missing in CONF/nginx.conf:3`, same: true},
	{name: "proxy_set_body variable error at the merge", conf: H("server { listen 8080;\nlocation / {\nproxy_set_body \"a${b\";\nproxy_pass http://127.0.0.1:1;\n}\n}\n"), want: `[emerg] the closing bracket in "b" variable is missing in CONF/nginx.conf:10`, same: true},
	{name: "proxy_set_body invalid variable name", conf: H("proxy_set_body \"a$\";\nserver { listen 8080; }"), want: `[emerg] invalid variable name in CONF/nginx.conf:5`, same: true},
	{name: "proxy_set_body duplicate", conf: H("server { listen 8080; proxy_set_body a;\nproxy_set_body b; }"), want: `[emerg] "proxy_set_body" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "proxy_method variable error where written", conf: H("server { listen 8080; location / {\nproxy_method \"${m\";\n} }"), want: `[emerg] the closing bracket in "m" variable is missing in CONF/nginx.conf:4`, same: true},
	{name: "proxy_method duplicate", conf: H("proxy_method GET;\nproxy_method POST;"), want: `[emerg] "proxy_method" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "proxy_bind transparent refused after nginx's checks", conf: H("server { listen 8080; location / { proxy_bind $remote_addr transparent;\nproxy_pass http://127.0.0.1:1; } }"), want: `[emerg] "transparent" in "proxy_bind" is not supported in CONF/nginx.conf:3`},
	{name: "proxy_bind transparent, then nginx's error", conf: H("server { listen 8080; location / { proxy_bind 127.0.0.2 transparent;\nproxy_bind off; } }"), want: `[emerg] "proxy_bind" directive is duplicate in CONF/nginx.conf:4`, same: true},
	{name: "proxy_bind port out of range", conf: H("proxy_bind 127.0.0.2:65536;"), want: `[emerg] invalid address "127.0.0.2:65536" in CONF/nginx.conf:3`, same: true},
	{name: "proxy_bind off with transparent", conf: H("proxy_bind off transparent;"), want: `[emerg] invalid address "off" in CONF/nginx.conf:3`, same: true},
	{name: "split_clients zero percent", conf: H("split_clients $remote_addr $v {\n0% a;\n}"), want: `[emerg] invalid percent value "0%" in CONF/nginx.conf:4`, same: true},
	{name: "split_clients three decimals", conf: H("split_clients $remote_addr $v {\n50.125% a;\n}"), want: `[emerg] invalid percent value "50.125%" in CONF/nginx.conf:4`, same: true},
	{name: "split_clients total at the closing brace", conf: H("split_clients $remote_addr $v {\n50% a;\n50.01% b;\n\n}"), want: `[emerg] percent total is greater than 100% in CONF/nginx.conf:7`, same: true},
	{name: "split_clients share after star", conf: H("split_clients $remote_addr $v {\n* a;\n1% b;\n}"), want: `[emerg] percent total is greater than 100% in CONF/nginx.conf:6`, same: true},
	{name: "split_clients nested block", conf: H("split_clients $remote_addr $v {\n50% a { }\n}"), want: `[emerg] unexpected "{" in CONF/nginx.conf:4`, same: true},
	{name: "split_clients variable name", conf: H("split_clients $remote_addr v {\n50% a;\n}"), want: `[emerg] invalid variable name "v" in CONF/nginx.conf:3`, same: true},
	{name: "split_clients builtin variable", conf: H("split_clients $remote_addr $host {\n50% a;\n}"), want: `[emerg] the duplicate "host" variable in CONF/nginx.conf:3`, same: true},
	{name: "split_clients unknown source variable", conf: H("split_clients $nosuch $v {\n50% a;\n}\nserver { listen 8080; return 200 $v; }"), want: `[emerg] unknown "nosuch" variable`, same: true},
	{name: "auth_request_set variable name", conf: H("server { listen 8080; location / { auth_request_set user x; } }"), want: `[emerg] invalid variable name "user" in CONF/nginx.conf:3`, same: true},
	{name: "limit_req zone never declared", conf: H("server { listen 8080; location / { limit_req zone=x; } }"), want: `[emerg] zero size shared memory zone "x"`, same: true},
	{name: "ssl_ocsp refused", conf: H("server { listen 8080; ssl_ocsp on; }"), want: `[emerg] "ssl_ocsp" directive is not supported in CONF/nginx.conf:3`},
	{name: "satisfy value", conf: H("server { listen 8080; location / { satisfy some; } }"), want: `[emerg] invalid value "some" in CONF/nginx.conf:3`, same: true},

	// Order: the first error in reading order wins; a syntax error comes
	// after the directive errors read before it.
	{name: "directive error before syntax error", conf: "events{}\nhttp {\n  server { listen 8080; foo_bar; }\n  server { listen 8081; location / { return 200 \"x\" }\n}\n", want: `[emerg] unknown directive "foo_bar" in CONF/nginx.conf:3`, same: true},
	{name: "syntax error", conf: "events{}\nhttp {\n  server { listen 8080; }\n  server { listen 8081; location / { return 200 \"x\" }\n}\n", want: `[emerg] unexpected "}" in CONF/nginx.conf:4`, same: true},
	{name: "block end check before syntax error", conf: "events{}\nhttp {\n  server { listen 8080; return 200 $nope; }\n}\n}\n", want: `[emerg] unknown "nope" variable`, same: true},
	{name: "open upstream at syntax error", conf: "events{}\nhttp {\n  upstream u {}\n  server { listen 8081; location / { return 200 \"x\" }\n}\n", want: `[emerg] no servers are inside upstream in CONF/nginx.conf:3`, same: true},
	{name: "merge before variables", conf: "events{}\nhttp {\n  proxy_buffers 1 4k;\n  server { listen 8080; return 200 $nope; }\n}\n", want: `[emerg] there must be at least 2 "proxy_buffers" in CONF/nginx.conf:5`, same: true},
	{name: "duplicate location before variables", conf: H("server { listen 8080; return 200 $nope;\nlocation / {}\nlocation / {}\n}"), want: `[emerg] duplicate location "/" in CONF/nginx.conf:5`, same: true},
}

// testResolver resolves only localhost, so tests never depend on DNS.
func testResolver(host string) ([]netip.Addr, error) {
	if strings.EqualFold(host, "localhost") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, errors.New("host not found")
}

// writeCase writes a case's files into a new directory and returns it.
func writeCase(t testing.TB, c errorCase) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range c.files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(c.conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// firstProblem returns our first [warn]-or-[emerg] line that matters for
// the case: the error when there is one.
func loadCase(t testing.TB, dir string) (*Config, error) {
	t.Helper()
	return Load(filepath.Join(dir, "nginx.conf"), LoadOptions{Prefix: dir + "/", Resolve: testResolver})
}

func TestErrors(t *testing.T) {
	for _, c := range errorCases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeCase(t, c)
			cfg, err := loadCase(t, dir)
			if cfg == nil {
				t.Fatal("Load returned a nil Config")
			}
			if err == nil {
				t.Fatalf("no error; want %s", c.want)
			}
			got := "[emerg] " + strings.ReplaceAll(err.Error(), dir, "CONF")
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// nginxFirstLine runs the real nginx -t on a case and returns its first
// [emerg] line with the directory replaced by CONF.
func nginxFirstLine(t *testing.T, nginx, dir string) string {
	t.Helper()
	out, _ := exec.Command(nginx, "-t", "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"), "-e", "stderr").CombinedOutput()
	stamp := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: `)
	for _, line := range strings.Split(string(out), "\n") {
		if m := stamp.FindStringSubmatch(line); m != nil && m[1] == "emerg" {
			return "[emerg] " + strings.ReplaceAll(line[len(m[0]):], dir, "CONF")
		}
	}
	return "(no emerg) " + string(out)
}

// TestErrorsMatchNginx checks the expectations marked as nginx's own
// against the real nginx 1.22, so the table cannot drift from it.
func TestErrorsMatchNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx is not installed (apt-get install nginx-light) — skipping the comparison with the real binary")
	}
	if v, _ := exec.Command(nginx, "-v").CombinedOutput(); !strings.Contains(string(v), "nginx/1.22") {
		t.Skipf("the expectations are nginx 1.22's; found %s", strings.TrimSpace(string(v)))
	}
	for _, c := range errorCases {
		if !c.same {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			dir := writeCase(t, c)
			if got := nginxFirstLine(t, nginx, dir); got != c.want {
				t.Errorf("nginx says %s\nthe table says %s", got, c.want)
			}
		})
	}
}
