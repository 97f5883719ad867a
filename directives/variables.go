package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// builtinVariables are the variables nginx 1.22 (Debian's build, with the
// modules it compiles in) defines, read off the real binary: a value may
// use these, the prefixed families below, and the variables the
// configuration declares with set, map and named regex captures.
var builtinVariables = map[string]bool{
	"ancient_browser":            true,
	"args":                       true,
	"binary_remote_addr":         true,
	"body_bytes_sent":            true,
	"bytes_sent":                 true,
	"connection":                 true,
	"connection_requests":        true,
	"connection_time":            true,
	"connections_active":         true,
	"connections_reading":        true,
	"connections_waiting":        true,
	"connections_writing":        true,
	"content_length":             true,
	"content_type":               true,
	"date_gmt":                   true,
	"date_local":                 true,
	"document_root":              true,
	"document_uri":               true,
	"fastcgi_path_info":          true,
	"fastcgi_script_name":        true,
	"gzip_ratio":                 true,
	"host":                       true,
	"hostname":                   true,
	"http2":                      true,
	"https":                      true,
	"invalid_referer":            true,
	"is_args":                    true,
	"limit_conn_status":          true,
	"limit_rate":                 true,
	"limit_req_status":           true,
	"modern_browser":             true,
	"msec":                       true,
	"msie":                       true,
	"nginx_version":              true,
	"pid":                        true,
	"pipe":                       true,
	"proxy_add_x_forwarded_for":  true,
	"proxy_host":                 true,
	"proxy_internal_body_length": true,
	"proxy_internal_chunked":     true,
	"proxy_port":                 true,
	"proxy_protocol_addr":        true,
	"proxy_protocol_port":        true,
	"proxy_protocol_server_addr": true,
	"proxy_protocol_server_port": true,
	"query_string":               true,
	"realip_remote_addr":         true,
	"realip_remote_port":         true,
	"realpath_root":              true,
	"remote_addr":                true,
	"remote_port":                true,
	"remote_user":                true,
	"request":                    true,
	"request_body":               true,
	"request_body_file":          true,
	"request_completion":         true,
	"request_filename":           true,
	"request_id":                 true,
	"request_length":             true,
	"request_method":             true,
	"request_time":               true,
	"request_uri":                true,
	"scheme":                     true,
	"secure_link":                true,
	"secure_link_expires":        true,
	"server_addr":                true,
	"server_name":                true,
	"server_port":                true,
	"server_protocol":            true,
	"slice_range":                true,
	"ssl_alpn_protocol":          true,
	"ssl_cipher":                 true,
	"ssl_ciphers":                true,
	"ssl_client_cert":            true,
	"ssl_client_escaped_cert":    true,
	"ssl_client_fingerprint":     true,
	"ssl_client_i_dn":            true,
	"ssl_client_i_dn_legacy":     true,
	"ssl_client_raw_cert":        true,
	"ssl_client_s_dn":            true,
	"ssl_client_s_dn_legacy":     true,
	"ssl_client_serial":          true,
	"ssl_client_v_end":           true,
	"ssl_client_v_remain":        true,
	"ssl_client_v_start":         true,
	"ssl_client_verify":          true,
	"ssl_curve":                  true,
	"ssl_curves":                 true,
	"ssl_early_data":             true,
	"ssl_protocol":               true,
	"ssl_server_name":            true,
	"ssl_session_id":             true,
	"ssl_session_reused":         true,
	"status":                     true,
	"tcpinfo_rcv_space":          true,
	"tcpinfo_rtt":                true,
	"tcpinfo_rttvar":             true,
	"tcpinfo_snd_cwnd":           true,
	"time_iso8601":               true,
	"time_local":                 true,
	"uid_got":                    true,
	"uid_reset":                  true,
	"uid_set":                    true,
	"upstream_addr":              true,
	"upstream_bytes_received":    true,
	"upstream_bytes_sent":        true,
	"upstream_cache_status":      true,
	"upstream_connect_time":      true,
	"upstream_header_time":       true,
	"upstream_response_length":   true,
	"upstream_response_time":     true,
	"upstream_status":            true,
	"uri":                        true,

	// proxy_cache_revalidate's, never found since nginxws keeps no cache.
	"upstream_cache_etag":          true,
	"upstream_cache_last_modified": true,
}

// variablePrefixes are nginx's prefixed variable families ($http_NAME, …).
var variablePrefixes = []string{"http_", "sent_http_", "sent_trailer_", "cookie_", "arg_", "upstream_http_", "upstream_trailer_", "upstream_cookie_"}

// IsBuiltinVariable reports whether nginx defines the variable name
// (lower case, without "$") itself, directly or by prefix.
func IsBuiltinVariable(name string) bool {
	if builtinVariables[name] {
		return true
	}
	for _, p := range variablePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// varTable tracks the variables declared by the configuration and those
// its values use, for nginx's "unknown variable" check, which runs once
// the http block is read (ngx_http_variables_init_vars): a variable may
// be used before the set or map that declares it.
type varTable struct {
	declared map[string]bool
	order    []string
	// quiet are the variables auth_request_set declared before any set
	// did: until assigned they are not found
	// (ngx_http_auth_request_variable), where a variable of set reads as
	// empty with a warning.
	quiet map[string]bool
	used  map[string]bool
	uses  []string // in order of first use, as nginx's variables array
}

func newVarTable() *varTable {
	return &varTable{declared: map[string]bool{}, used: map[string]bool{}, quiet: map[string]bool{}}
}

// declare adds a variable defined by the configuration.
func (t *varTable) declare(name string) {
	name = lowerString(name)
	if !t.declared[name] {
		t.declared[name] = true
		t.order = append(t.order, name)
	}
}

// use records a variable a value refers to.
func (t *varTable) use(name string) {
	name = lowerString(name)
	if !t.used[name] {
		t.used[name] = true
		t.uses = append(t.uses, name)
	}
}

// check returns nginx's error for the first used variable nobody defines.
// nginx logs it without a file and line.
func (t *varTable) check() error {
	for _, n := range t.uses {
		if !t.declared[n] && !IsBuiltinVariable(n) {
			return errAt(parser.Pos{}, `unknown "%s" variable`, n)
		}
	}
	return nil
}

// checkHash makes the checks of ngx_hash_init that can fail when nginx
// builds its variables hash after that check (ngx_http_variables_init_vars),
// with variables_hash_max_size and variables_hash_bucket_size (nginxws
// ignores both otherwise): a zero max size, a bucket size (aligned to the
// cache line) too large, or too small for a variable's name. The hash
// holds nginx's own variables and the declared ones. Whether nginx finds
// the optimal size, and so warns, depends on every variable of its build,
// which nginxws does not model.
func (t *varTable) checkHash(maxSize, bucketSize int64) error {
	if maxSize == 0 {
		return errAt(parser.Pos{}, "could not build variables_hash, you should increase variables_hash_max_size: 0")
	}
	bucket := align(bucketSize, cacheLine)
	if uint64(bucket) > 65536-cacheLine {
		return errAt(parser.Pos{}, "could not build variables_hash, too large variables_hash_bucket_size: %d", bucket)
	}
	fits := func(name string) bool { return hashEltSize(int64(len(name)))+8 <= bucket }
	for n := range builtinVariables {
		if !fits(n) {
			return errAt(parser.Pos{}, "could not build variables_hash, you should increase variables_hash_bucket_size: %d", bucket)
		}
	}
	for _, n := range t.order {
		if !fits(n) {
			return errAt(parser.Pos{}, "could not build variables_hash, you should increase variables_hash_bucket_size: %d", bucket)
		}
	}
	return nil
}

// declaredNames returns the declared variables in declaration order.
func (t *varTable) declaredNames() []string {
	return append([]string(nil), t.order...)
}
