package directives

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// The builtin variables, each with nginx 1.22's semantics (the ngx_http_*
// handlers of ngx_http_variables.c, ngx_http_proxy_module.c and
// ngx_http_upstream.c): what is found and what is not, joins, cases and
// formats. Builtins nginxws has nothing to compute from (TLS details,
// stub_status counters, tcpinfo, SSI dates, request body files, …) are
// accepted by the configuration check and evaluate as not found.

// builtin describes a builtin variable's handler.
type builtin struct {
	get     getter
	arg     string
	n       int
	noCache bool
}

// builtins are the indexed builtin variables by name. The table is fixed;
// nothing modifies it.
var builtins = map[string]builtin{
	// The request line.
	"request":         {get: getRequestLine},
	"request_method":  {get: getMethod, noCache: true},
	"request_uri":     {get: getRequestURI},
	"server_protocol": {get: getProtocol},
	"uri":             {get: getURI, noCache: true},
	"document_uri":    {get: getURI, noCache: true},
	"args":            {get: getArgs, noCache: true},
	"query_string":    {get: getArgs, noCache: true},
	"is_args":         {get: getIsArgs, noCache: true},

	// The browser module (vars_browser.go).
	"msie": {get: getMsie},

	// The referer module (referer.go).
	"invalid_referer": {get: getInvalidReferer},

	// The file the URI maps to (vars_files.go).
	"document_root":    {get: getDocumentRoot, noCache: true},
	"realpath_root":    {get: getRealpathRoot, noCache: true},
	"request_filename": {get: getRequestFilename, noCache: true},

	// Request headers. nginx keeps the first Host, User-Agent, Referer,
	// Via and Content-Type; X-Forwarded-For and Cookie lines are all kept
	// and joined.
	"host":                 {get: getHost},
	"http_host":            {get: getFirstHeader, arg: "host"},
	"http_user_agent":      {get: getFirstHeader, arg: "user-agent"},
	"http_referer":         {get: getFirstHeader, arg: "referer"},
	"http_via":             {get: getFirstHeader, arg: "via"},
	"http_x_forwarded_for": {get: getJoinedHeader, arg: "x-forwarded-for", n: ','},
	"http_cookie":          {get: getJoinedHeader, arg: "cookie", n: ';'},
	"content_type":         {get: getFirstHeader, arg: "content-type"},
	"content_length":       {get: getContentLength},
	"remote_user":          {get: getRemoteUser},

	// The connection and the server.
	"remote_addr":        {get: getRemoteAddr},
	"realip_remote_addr": {get: getRealipRemoteAddr},
	"remote_port":        {get: getRemotePort},
	"realip_remote_port": {get: getRealipRemotePort},
	"binary_remote_addr": {get: getBinaryRemoteAddr},
	// The PROXY protocol header's (1.22 has no $proxy_protocol_tlv_*).
	"proxy_protocol_addr":        {get: getProxyProtocolAddr},
	"proxy_protocol_port":        {get: getProxyProtocolPort},
	"proxy_protocol_server_addr": {get: getProxyProtocolAddr, n: 1},
	"proxy_protocol_server_port": {get: getProxyProtocolPort, n: 1},
	"server_addr":                {get: getServerAddr},
	"server_port":                {get: getServerPort},
	"server_name":                {get: getServerName},
	"scheme":                     {get: getScheme},
	"https":                      {get: getHTTPS},
	// ngx_http_ssl_module's: not found on a plain connection (tls_vars.go).
	"ssl_protocol":            {get: getSSLProtocol},
	"ssl_cipher":              {get: getSSLCipher},
	"ssl_curve":               {get: getSSLCurve},
	"ssl_server_name":         {get: getSSLServerName},
	"ssl_session_reused":      {get: getSSLSessionReused},
	"ssl_session_id":          {get: getSSLEmpty},
	"ssl_early_data":          {get: getSSLEmpty},
	"ssl_alpn_protocol":       {get: getSSLALPN},
	"ssl_client_verify":       {get: getSSLClientVerify},
	"ssl_client_cert":         {get: getSSLClientCert},
	"ssl_client_raw_cert":     {get: getSSLClientRawCert},
	"ssl_client_escaped_cert": {get: getSSLClientEscapedCert},
	"ssl_client_s_dn":         {get: getSSLClientSubjectDN},
	"ssl_client_i_dn":         {get: getSSLClientIssuerDN},
	"ssl_client_s_dn_legacy":  {get: getSSLClientSubjectDNLegacy},
	"ssl_client_i_dn_legacy":  {get: getSSLClientIssuerDNLegacy},
	"ssl_client_serial":       {get: getSSLClientSerial},
	"ssl_client_fingerprint":  {get: getSSLClientFingerprint},
	"ssl_client_v_start":      {get: getSSLClientVStart},
	"ssl_client_v_end":        {get: getSSLClientVEnd},
	"ssl_client_v_remain":     {get: getSSLClientVRemain},
	"http2":                   {get: getEmpty},
	"connection":              {get: getConnection},
	"connection_requests":     {get: getConnectionRequests},
	"connection_time":         {get: getConnectionTime, noCache: true},
	"pipe":                    {get: getPipe},
	"hostname":                {get: getHostname},
	"pid":                     {get: getPid},

	// stub_status's counters.
	"connections_active":  {get: getConnections, n: 0},
	"connections_reading": {get: getConnections, n: 1},
	"connections_writing": {get: getConnections, n: 2},
	"connections_waiting": {get: getConnections, n: 3},
	"nginx_version":       {get: getNginxVersion},

	// Time, counters and the response.
	"msec":               {get: getMsec, noCache: true},
	"time_local":         {get: getTimeLocal, noCache: true},
	"time_iso8601":       {get: getTimeISO8601, noCache: true},
	"request_time":       {get: getRequestTime, noCache: true},
	"request_length":     {get: getRequestLength, noCache: true},
	"request_body":       {get: getRequestBody},
	"request_body_file":  {get: getRequestBodyFile},
	"request_id":         {get: getRequestID},
	"request_completion": {get: getRequestCompletion},
	"status":             {get: getStatus, noCache: true},
	"bytes_sent":         {get: getBytesSent},
	"body_bytes_sent":    {get: getBodyBytesSent},
	"limit_rate":         {get: getLimitRate, noCache: true},
	"gzip_ratio":         {get: getGzipRatio},
	"limit_conn_status":  {get: getLimitConnStatus},
	"limit_req_status":   {get: getLimitReqStatus},

	"sent_http_content_type":      {get: getSentHeader, arg: "content-type"},
	"sent_http_content_length":    {get: getSentHeader, arg: "content-length"},
	"sent_http_location":          {get: getSentLocation},
	"sent_http_last_modified":     {get: getSentLastModified},
	"sent_http_connection":        {get: getSentConnection},
	"sent_http_keep_alive":        {get: getSentKeepAlive},
	"sent_http_transfer_encoding": {get: getSentTransferEncoding},
	"sent_http_cache_control":     {get: getSentJoined, arg: "cache-control"},
	"sent_http_link":              {get: getSentJoined, arg: "link"},

	// Proxying.
	"proxy_host":                {get: getProxyHost},
	"proxy_port":                {get: getProxyPort},
	"proxy_add_x_forwarded_for": {get: getProxyAddXFF},
	"upstream_addr":             {get: getUpstreamList, n: upAddr, noCache: true},
	"upstream_status":           {get: getUpstreamList, n: upStatus, noCache: true},
	"upstream_connect_time":     {get: getUpstreamList, n: upConnectTime, noCache: true},
	"upstream_header_time":      {get: getUpstreamList, n: upHeaderTime, noCache: true},
	"upstream_response_time":    {get: getUpstreamList, n: upResponseTime, noCache: true},
	"upstream_response_length":  {get: getUpstreamList, n: upResponseLength, noCache: true},
	"upstream_bytes_received":   {get: getUpstreamList, n: upBytesReceived, noCache: true},
	"upstream_bytes_sent":       {get: getUpstreamList, n: upBytesSent, noCache: true},
}

// family is a prefixed variable family ($http_NAME, …).
type family struct {
	prefix  string
	get     getter
	noCache bool
}

// families are nginx's prefix variables; the longest matching prefix
// wins.
var families = []family{
	{prefix: "http_", get: getHeaderVar},
	{prefix: "sent_http_", get: getSentHeaderVar},
	{prefix: "sent_trailer_", get: getSentTrailerVar},
	{prefix: "cookie_", get: getCookie},
	{prefix: "arg_", get: getArg, noCache: true},
	{prefix: "upstream_http_", get: getUpstreamHeaderVar, noCache: true},
	{prefix: "upstream_trailer_", get: getNotFound, noCache: true},
	{prefix: "upstream_cookie_", get: getUpstreamCookie, noCache: true},
}

// prefixFamily returns the family of a variable name.
func prefixFamily(name string) (family, bool) {
	best, found := family{}, false
	for _, f := range families {
		if len(name) >= len(f.prefix) && name[:len(f.prefix)] == f.prefix && len(f.prefix) > len(best.prefix) {
			best, found = f, true
		}
	}
	return best, found
}

func getNotFound(*State, *varDef) ([]byte, bool) { return nil, false }

func getEmpty(*State, *varDef) ([]byte, bool) { return []byte{}, true }

// getLimitConnStatus is $limit_conn_status.
func getLimitConnStatus(s *State, _ *varDef) ([]byte, bool) {
	v := s.r.Info().LimitConnStatus
	if v == "" {
		return nil, false
	}
	return s.str(v)
}

// getLimitReqStatus is $limit_req_status.
func getLimitReqStatus(s *State, _ *varDef) ([]byte, bool) {
	v := s.r.Info().LimitReqStatus
	if v == "" {
		return nil, false
	}
	return s.str(v)
}

// getConnections is one of the server's connection counters.
func getConnections(s *State, d *varDef) ([]byte, bool) {
	c := s.r.ConnectionCounts()
	v := [...]int64{c.Active, c.Reading, c.Writing, c.Waiting}[d.n]
	start := len(s.buf)
	s.buf = strconv.AppendInt(s.buf, v, 10)
	return s.since(start), true
}

// getUninitialized is a variable of "set" read before a "set" ran.
func getUninitialized(s *State, d *varDef) ([]byte, bool) {
	s.r.UninitializedVariable(d.name)
	return []byte{}, true
}

// str puts a constant in the arena as a found value.
func (s *State) str(v string) ([]byte, bool) {
	start := len(s.buf)
	s.buf = append(s.buf, v...)
	return s.since(start), true
}

func nonNil(b []byte, ok bool) ([]byte, bool) {
	if b == nil {
		return nil, false
	}
	return b, ok
}

func getRequestLine(s *State, _ *varDef) ([]byte, bool) { return nonNil(s.r.RequestLine(), true) }
func getMethod(s *State, _ *varDef) ([]byte, bool)      { return nonNil(s.r.Method(), true) }
func getRequestURI(s *State, _ *varDef) ([]byte, bool)  { return nonNil(s.r.RequestURI(), true) }
func getURI(s *State, _ *varDef) ([]byte, bool)         { return nonNil(s.r.URI(), true) }

func getProtocol(s *State, _ *varDef) ([]byte, bool) {
	// Found when the request line got as far as its protocol, even if
	// empty there (nginx's http_protocol.data set at the "H"); not found
	// for HTTP/0.9.
	p := s.r.Protocol()
	return p, p != nil
}

func getArgs(s *State, _ *varDef) ([]byte, bool) {
	a, ok := s.Args()
	if ok && a == nil {
		a = []byte{}
	}
	return a, ok
}

func getIsArgs(s *State, _ *varDef) ([]byte, bool) {
	if a, _ := s.Args(); len(a) > 0 {
		return s.str("?")
	}
	return []byte{}, true
}

// getArg is ngx_http_arg: the first "name=" (name matched without regard
// to case) at the start of the arguments or after a "&"; the value runs
// to the next "&".
func getArg(s *State, d *varDef) ([]byte, bool) {
	name := d.arg
	args, _ := s.Args()
	if len(name) == 0 || len(args) == 0 {
		return nil, false
	}
	for p := 0; p+len(name) < len(args); p++ {
		if !hasFoldPrefix(args[p:], name) {
			continue
		}
		if (p == 0 || args[p-1] == '&') && args[p+len(name)] == '=' {
			v := args[p+len(name)+1:]
			for i, c := range v {
				if c == '&' {
					v = v[:i]
					break
				}
			}
			return v[:len(v):len(v)], true
		}
	}
	return nil, false
}

// getHost is $host: the request's host, else the server's name.
func getHost(s *State, d *varDef) ([]byte, bool) {
	if h := s.r.Host(); len(h) > 0 {
		return h, true
	}
	return getServerName(s, d)
}

// getServerName is the server's first name as nginx keeps it
// (cscf->server_name): a leading "." dropped, "~" kept for a regex.
func getServerName(s *State, _ *varDef) ([]byte, bool) {
	srv := s.r.Server()
	if srv == nil || len(srv.Names) == 0 {
		return []byte{}, true
	}
	n := srv.Names[0]
	start := s.mark()
	if n.Regex != nil {
		s.buf = append(s.buf, '~')
		s.buf = append(s.buf, n.Name...)
		return s.since(start), true
	}
	name := n.Name
	if len(name) > 0 && name[0] == '.' {
		name = name[1:]
	}
	s.buf = append(s.buf, name...)
	return s.since(start), true
}

// eachHeader calls f for the headers of set named lowerName (ignoring
// case) until f returns false.
func (s *State) eachHeader(set HeaderSet, lowerName string, f func(v []byte) bool) {
	r := s.r
	for i, n := 0, r.NumHeaders(set); i < n; i++ {
		name, value := r.Header(set, i)
		if len(name) == len(lowerName) && hasFoldPrefix(name, lowerName) {
			if !f(value) {
				return
			}
		}
	}
}

// firstHeader returns the first header of set named lowerName.
func (s *State) firstHeader(set HeaderSet, lowerName string) ([]byte, bool) {
	r := s.r
	for i, n := 0, r.NumHeaders(set); i < n; i++ {
		name, value := r.Header(set, i)
		if len(name) == len(lowerName) && hasFoldPrefix(name, lowerName) {
			return value, true
		}
	}
	return nil, false
}

func getFirstHeader(s *State, d *varDef) ([]byte, bool) {
	return s.firstHeader(RequestHeaders, d.arg)
}

// joinHeaders is ngx_http_variable_headers_internal: the values of every
// header of set named lowerName joined with sep and a space; a single
// header is returned as is.
func (s *State) joinHeaders(set HeaderSet, lowerName string, sep byte) ([]byte, bool) {
	var first []byte
	count := 0
	start := s.mark()
	s.eachHeader(set, lowerName, func(v []byte) bool {
		count++
		switch count {
		case 1:
			first = v
			return true
		case 2:
			s.buf = append(s.buf, first...)
		}
		s.buf = append(s.buf, sep, ' ')
		s.buf = append(s.buf, v...)
		return true
	})
	switch count {
	case 0:
		return nil, false
	case 1:
		return first, true
	}
	return s.since(start), true
}

func getJoinedHeader(s *State, d *varDef) ([]byte, bool) {
	return s.joinHeaders(RequestHeaders, d.arg, byte(d.n))
}

// varFormMatch is ngx_http_variable_unknown_header's comparison: the
// header name lower-cased with "-" read as "_" equals the suffix.
func varFormMatch(name []byte, suffix string) bool {
	if len(name) != len(suffix) {
		return false
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		} else if c == '-' {
			c = '_'
		}
		if c != suffix[i] {
			return false
		}
	}
	return true
}

// headerVar returns the first header of set whose name, in variable form,
// is suffix.
func (s *State) headerVar(set HeaderSet, suffix string) ([]byte, bool) {
	r := s.r
	for i, n := 0, r.NumHeaders(set); i < n; i++ {
		name, value := r.Header(set, i)
		if varFormMatch(name, suffix) {
			return value, true
		}
	}
	return nil, false
}

func getHeaderVar(s *State, d *varDef) ([]byte, bool) { return s.headerVar(RequestHeaders, d.arg) }

func getSentHeaderVar(s *State, d *varDef) ([]byte, bool) {
	return s.headerVar(ResponseHeaders, d.arg)
}

// getSentTrailerVar is ngx_http_variable_unknown_trailer_out.
func getSentTrailerVar(s *State, d *varDef) ([]byte, bool) {
	return s.headerVar(ResponseTrailers, d.arg)
}

func getSentHeader(s *State, d *varDef) ([]byte, bool) {
	return s.firstHeader(ResponseHeaders, d.arg)
}

// getSentLastModified is ngx_http_variable_sent_last_modified: the
// Last-Modified line headers_out.last_modified points at (the last one
// put in the response: the upstream's copy handler and add_header each
// point it at theirs), else a static file's time; nothing once the header
// filter dropped it.
func getSentLastModified(s *State, _ *varDef) ([]byte, bool) {
	if info := s.r.Info(); info != nil && info.LastModifiedDropped {
		return nil, false
	}
	var last []byte
	found := false
	s.eachHeader(ResponseHeaders, "last-modified", func(v []byte) bool {
		last, found = v, true
		return true
	})
	return last, found
}

// getSentLocation is ngx_http_variable_sent_location: the response's
// headers_out.location, which each Location header taken from the
// upstream replaces, so the last one.
func getSentLocation(s *State, _ *varDef) ([]byte, bool) {
	var last []byte
	found := false
	s.eachHeader(ResponseHeaders, "location", func(v []byte) bool {
		last, found = v, true
		return true
	})
	return last, found
}

func getSentJoined(s *State, d *varDef) ([]byte, bool) {
	return s.joinHeaders(ResponseHeaders, d.arg, ',')
}

func getUpstreamHeaderVar(s *State, d *varDef) ([]byte, bool) {
	if s.r.Upstream() == nil {
		return nil, false
	}
	return s.headerVar(UpstreamHeaders, d.arg)
}

// getCookie is ngx_http_parse_multi_header_lines over the Cookie lines:
// the first "name=" (without regard to case, spaces allowed around "=")
// at the start of a cookie; the value runs to the next ";".
func getCookie(s *State, d *varDef) ([]byte, bool) {
	name := d.arg
	var out []byte
	found := false
	s.eachHeader(RequestHeaders, "cookie", func(h []byte) bool {
		if len(name) > len(h) {
			return true
		}
		for start := 0; start < len(h); {
			if hasFoldPrefix(h[start:], name) {
				p := start + len(name)
				for p < len(h) && h[p] == ' ' {
					p++
				}
				if p < len(h) && h[p] == '=' {
					p++
					for p < len(h) && h[p] == ' ' {
						p++
					}
					end := p
					for end < len(h) && h[end] != ';' {
						end++
					}
					out, found = h[p:end:end], true
					return false
				}
			}
			// Skip to the next cookie: past a ";" or ",", then spaces.
			for start < len(h) {
				c := h[start]
				start++
				if c == ';' || c == ',' {
					break
				}
			}
			for start < len(h) && h[start] == ' ' {
				start++
			}
		}
		return true
	})
	return out, found
}

// getUpstreamCookie is ngx_http_parse_set_cookie_lines over the
// upstream's Set-Cookie lines: a line starting with "name=".
func getUpstreamCookie(s *State, d *varDef) ([]byte, bool) {
	if s.r.Upstream() == nil {
		return nil, false
	}
	name := d.arg
	var out []byte
	found := false
	s.eachHeader(UpstreamHeaders, "set-cookie", func(h []byte) bool {
		if len(name) >= len(h) || !hasFoldPrefix(h, name) {
			return true
		}
		p := len(name)
		for p < len(h) && h[p] == ' ' {
			p++
		}
		if p == len(h) || h[p] != '=' {
			return true
		}
		p++
		for p < len(h) && h[p] == ' ' {
			p++
		}
		end := p
		for end < len(h) && h[end] != ';' {
			end++
		}
		out, found = h[p:end:end], true
		return false
	})
	return out, found
}

// getContentLength is the Content-Length header, else the body length
// once a chunked body is read.
func getContentLength(s *State, _ *varDef) ([]byte, bool) {
	if v, ok := s.firstHeader(RequestHeaders, "content-length"); ok {
		return v, true
	}
	if info := s.r.Info(); info != nil && info.BodyLength >= 0 {
		return s.appendInt(info.BodyLength), true
	}
	return nil, false
}

// getRemoteUser is ngx_http_auth_basic_user: the user of an
// "Authorization: Basic" header.
func getRemoteUser(s *State, _ *varDef) ([]byte, bool) {
	h, ok := s.firstHeader(RequestHeaders, "authorization")
	if !ok {
		return nil, false
	}
	start := s.mark()
	buf, n, ok := AppendBasicAuth(s.buf, h)
	if !ok {
		return nil, false
	}
	s.buf = buf
	auth := s.since(start)
	return auth[:n:n], true
}

// AppendBasicAuth is ngx_http_auth_basic_user on an Authorization header
// value: "Basic " (any case), spaces, then base64 of "user:password" with
// a user. It appends the decoded "user:password" to dst and returns it
// with the user's length; ok is false, and dst is to be kept, for
// anything else. ngx_decode_base64 takes the text up to the first "=",
// which must be base64 characters and not one more than a multiple of
// four of them.
func AppendBasicAuth(dst, h []byte) (out []byte, userLen int, ok bool) {
	if len(h) < 6 || !hasFoldPrefix(h, "basic ") {
		return dst, 0, false
	}
	enc := h[6:]
	for len(enc) > 0 && enc[0] == ' ' {
		enc = enc[1:]
	}
	n := 0
	for n < len(enc) && enc[n] != '=' {
		if !isBase64(enc[n]) {
			return dst, 0, false
		}
		n++
	}
	if n == 0 || n%4 == 1 {
		return dst, 0, false
	}
	start := len(dst)
	size := base64.RawStdEncoding.DecodedLen(n)
	out = slices.Grow(dst, size)[:start+size]
	// Go's decoder, like ngx_decode_base64, ignores the unused bits of
	// the last character.
	m, err := base64.RawStdEncoding.Decode(out[start:], enc[:n])
	if err != nil {
		return dst, 0, false
	}
	out = out[:start+m]
	for i, c := range out[start:] {
		if c == ':' {
			if i == 0 {
				return dst, 0, false
			}
			return out, i, true
		}
	}
	return dst, 0, false
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// AddrText is an address as nginx's ngx_sock_ntop prints it.
func AddrText(a netip.Addr) string { return string(appendAddr(nil, a)) }

// appendAddr writes an address as nginx's ngx_sock_ntop does (IPv6
// without brackets, by ngx_inet6_ntop).
func appendAddr(b []byte, a netip.Addr) []byte {
	if a.Is4() {
		return a.AppendTo(b)
	}
	return appendInet6(b, a.As16())
}

// appendInet6 is ngx_inet6_ntop: the longest run of two or more zero
// groups (the first of equals) becomes "::"; "::ffff:a.b.c.d" and
// "::a.b.c.d" end in dotted quad form.
func appendInet6(b []byte, p [16]byte) []byte {
	zero, last := -1, -1
	maxRun, n := 1, 0
	for i := 0; i < 16; i += 2 {
		if p[i] != 0 || p[i+1] != 0 {
			if maxRun < n {
				zero, maxRun = last, n
			}
			n = 0
			continue
		}
		if n == 0 {
			last = i
		}
		n++
	}
	if maxRun < n {
		zero, maxRun = last, n
	}
	end := 16
	if zero == 0 {
		if (maxRun == 5 && p[10] == 0xff && p[11] == 0xff) || maxRun == 6 || (maxRun == 7 && p[14] != 0 && p[15] != 1) {
			end = 12
		}
		b = append(b, ':')
	}
	for i := 0; i < end; i += 2 {
		if i == zero {
			b = append(b, ':')
			i += (maxRun - 1) * 2
			continue
		}
		b = strconv.AppendUint(b, uint64(p[i])<<8|uint64(p[i+1]), 16)
		if i < 14 {
			b = append(b, ':')
		}
	}
	if end == 12 {
		for k := 12; k < 16; k++ {
			if k > 12 {
				b = append(b, '.')
			}
			b = strconv.AppendUint(b, uint64(p[k]), 10)
		}
	}
	return b
}

func getRemoteAddr(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	return s.addrValue(c.UnixPath != "" && !c.Realip, c.Remote)
}

func getRemotePort(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	return s.portValue(c.UnixPath != "" && !c.Realip, c.Remote.Port())
}

// getRealipRemoteAddr and getRealipRemotePort are the connection's own
// peer, whatever the realip module made $remote_addr.
func getRealipRemoteAddr(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	if c.Realip {
		return s.addrValue(c.UnixPath != "", c.Peer)
	}
	return s.addrValue(c.UnixPath != "", c.Remote)
}

func getRealipRemotePort(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	if c.Realip {
		return s.portValue(c.UnixPath != "", c.Peer.Port())
	}
	return s.portValue(c.UnixPath != "", c.Remote.Port())
}

// addrValue is a peer's address as nginx prints it: "unix:" on a unix
// socket.
func (s *State) addrValue(unix bool, a netip.AddrPort) ([]byte, bool) {
	start := s.mark()
	if unix {
		s.buf = append(s.buf, "unix:"...)
		return s.since(start), true
	}
	s.buf = appendAddr(s.buf, a.Addr())
	return s.since(start), true
}

// portValue is a connection's port as nginx prints $remote_port and
// $server_port: empty (but found) on a unix socket or when unknown.
func (s *State) portValue(unix bool, port uint16) ([]byte, bool) {
	if unix || port == 0 {
		return []byte{}, true
	}
	return s.appendInt(int64(port)), true
}

func getBinaryRemoteAddr(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	start := s.mark()
	switch a := c.Remote.Addr(); {
	case c.UnixPath != "" && !c.Realip:
		s.buf = append(s.buf, "unix:"...)
	case a.Is4():
		v := a.As4()
		s.buf = append(s.buf, v[:]...)
	default:
		v := a.As16()
		s.buf = append(s.buf, v[:]...)
	}
	return s.since(start), true
}

func getServerAddr(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	start := s.mark()
	if c.UnixPath != "" {
		s.buf = append(s.buf, "unix:"...)
		s.buf = append(s.buf, c.UnixPath...)
		return s.since(start), true
	}
	s.buf = appendAddr(s.buf, c.Local.Addr())
	return s.since(start), true
}

func getServerPort(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	return s.portValue(c.UnixPath != "", c.Local.Port())
}

func getScheme(s *State, _ *varDef) ([]byte, bool) {
	if c := s.r.Conn(); c != nil && c.TLS {
		return s.str("https")
	}
	return s.str("http")
}

func getHTTPS(s *State, _ *varDef) ([]byte, bool) {
	if c := s.r.Conn(); c != nil && c.TLS {
		return s.str("on")
	}
	return []byte{}, true
}

// getProxyProtocolAddr and getProxyProtocolPort are
// ngx_http_variable_proxy_protocol_addr/port: not found without a header
// that named addresses; a port of 0 is found and empty. n = 1: the
// destination's ($proxy_protocol_server_*).
func getProxyProtocolAddr(s *State, d *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil || c.ProxyProtocol == nil {
		return nil, false
	}
	start := s.mark()
	if d.n == 1 {
		s.buf = append(s.buf, c.ProxyProtocol.DstAddr...)
	} else {
		s.buf = append(s.buf, c.ProxyProtocol.SrcAddr...)
	}
	return s.since(start), true
}

func getProxyProtocolPort(s *State, d *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil || c.ProxyProtocol == nil {
		return nil, false
	}
	if d.n == 1 {
		return s.portValue(false, c.ProxyProtocol.DstPort)
	}
	return s.portValue(false, c.ProxyProtocol.SrcPort)
}

func getConnection(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	start := s.mark()
	s.buf = strconv.AppendUint(s.buf, c.Number, 10)
	return s.since(start), true
}

func getConnectionRequests(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	return s.appendInt(int64(c.Requests)), true
}

// appendMsec writes milliseconds as nginx's "%T.%03M".
func appendMsec(b []byte, ms int64) []byte {
	if ms < 0 {
		ms = 0
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	f := ms % 1000
	return append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
}

func getConnectionTime(s *State, _ *varDef) ([]byte, bool) {
	c := s.r.Conn()
	if c == nil {
		return nil, false
	}
	start := s.mark()
	s.buf = appendMsec(s.buf, s.r.Now().UnixMilli()-c.Start.UnixMilli())
	return s.since(start), true
}

func getPipe(s *State, _ *varDef) ([]byte, bool) {
	if info := s.r.Info(); info != nil && info.Pipelined {
		return s.str("p")
	}
	return s.str(".")
}

func getHostname(s *State, _ *varDef) ([]byte, bool)     { return s.str(s.e.hostname) }
func getPid(s *State, _ *varDef) ([]byte, bool)          { return s.str(s.e.pid) }
func getNginxVersion(s *State, _ *varDef) ([]byte, bool) { return s.str(NginxVersion) }

func getMsec(s *State, _ *varDef) ([]byte, bool) {
	start := s.mark()
	s.buf = appendMsec(s.buf, s.r.Now().UnixMilli())
	return s.since(start), true
}

func getTimeLocal(s *State, _ *varDef) ([]byte, bool) {
	start := s.mark()
	s.buf = s.r.Now().Local().AppendFormat(s.buf, "02/Jan/2006:15:04:05 -0700")
	return s.since(start), true
}

func getTimeISO8601(s *State, _ *varDef) ([]byte, bool) {
	start := s.mark()
	s.buf = s.r.Now().Local().AppendFormat(s.buf, "2006-01-02T15:04:05-07:00")
	return s.since(start), true
}

// getRequestTime is the time since the request's first byte, in
// milliseconds, from the clock's whole milliseconds as nginx counts.
func getRequestTime(s *State, _ *varDef) ([]byte, bool) {
	info := s.r.Info()
	if info == nil {
		return nil, false
	}
	start := s.mark()
	s.buf = appendMsec(s.buf, s.r.Now().UnixMilli()-info.Start.UnixMilli())
	return s.since(start), true
}

func getRequestLength(s *State, _ *varDef) ([]byte, bool) {
	info := s.r.Info()
	if info == nil {
		return nil, false
	}
	return s.appendInt(info.Length), true
}

// getRequestBody is ngx_http_variable_request_body: the body read into
// memory, empty for an empty body that was read (nginx's filters keep its
// last_buf in rb->bufs), not found otherwise.
func getRequestBody(s *State, _ *varDef) ([]byte, bool) {
	info := s.r.Info()
	if info == nil || info.RequestBody == nil {
		return nil, false
	}
	return info.RequestBody, true
}

// getRequestBodyFile is ngx_http_variable_request_body_file: the name of
// the body's temporary file, not found without one.
func getRequestBodyFile(s *State, _ *varDef) ([]byte, bool) {
	info := s.r.Info()
	if info == nil || info.RequestBodyFile == "" {
		return nil, false
	}
	return []byte(info.RequestBodyFile), true
}

// getRequestID is 16 random bytes in hex, as nginx with OpenSSL.
func getRequestID(s *State, _ *varDef) ([]byte, bool) {
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read does not fail (Go 1.24+)
	start := s.mark()
	s.buf = hex.AppendEncode(s.buf, raw[:])
	return s.since(start), true
}

func getRequestCompletion(s *State, _ *varDef) ([]byte, bool) {
	if info := s.r.Info(); info != nil && info.Completed {
		return s.str("OK")
	}
	return []byte{}, true
}

// getStatus is "%03ui" of the status; 9 for an HTTP/0.9 request without
// one.
func getStatus(s *State, _ *varDef) ([]byte, bool) {
	st := 0
	if info := s.r.Info(); info != nil {
		st = info.Status
	}
	if st == 0 && len(s.r.Protocol()) == 0 && len(s.r.RequestLine()) > 0 {
		st = 9
	}
	start := s.mark()
	if st < 100 {
		s.buf = append(s.buf, '0')
		if st < 10 {
			s.buf = append(s.buf, '0')
		}
	}
	s.buf = strconv.AppendInt(s.buf, int64(st), 10)
	return s.since(start), true
}

func getBytesSent(s *State, _ *varDef) ([]byte, bool) {
	var n int64
	if info := s.r.Info(); info != nil {
		n = info.BytesSent
	}
	return s.appendInt(n), true
}

func getBodyBytesSent(s *State, _ *varDef) ([]byte, bool) {
	var n int64
	if info := s.r.Info(); info != nil {
		n = max(info.BytesSent-info.HeaderBytes, 0)
	}
	return s.appendInt(n), true
}

func getLimitRate(s *State, _ *varDef) ([]byte, bool) {
	info := s.r.Info()
	if info == nil {
		return s.str("0")
	}
	return s.str(strconv.FormatInt(info.LimitRate, 10))
}

// getGzipRatio is $gzip_ratio (ngx_http_gzip_ratio_variable): the body's
// size over its compressed size, with two decimals rounded half up; not
// found unless the gzip filter compressed the whole body. The figures are
// nginxws's own compression, not zlib's.
func getGzipRatio(s *State, _ *varDef) ([]byte, bool) {
	info := s.r.Info()
	if info == nil || info.GzipOut == 0 {
		return nil, false
	}
	zin, zout := uint64(info.GzipIn), uint64(info.GzipOut)
	whole, frac := zin/zout, zin*100/zout%100
	if zin*1000/zout%10 > 4 {
		frac++
		if frac > 99 {
			whole++
			frac = 0
		}
	}
	start := s.mark()
	s.buf = strconv.AppendUint(s.buf, whole, 10)
	s.buf = append(s.buf, '.')
	if frac < 10 {
		s.buf = append(s.buf, '0')
	}
	s.buf = strconv.AppendUint(s.buf, frac, 10)
	return s.since(start), true
}

func getSentConnection(s *State, _ *varDef) ([]byte, bool) {
	info := s.r.Info()
	switch {
	case info != nil && info.Status == 101:
		return s.str("upgrade")
	case info != nil && info.KeepAlive:
		return s.str("keep-alive")
	}
	return s.str("close")
}

func getSentKeepAlive(s *State, _ *varDef) ([]byte, bool) {
	info := s.r.Info()
	if info == nil || !info.KeepAlive || info.KeepAliveTimeout <= 0 {
		return nil, false
	}
	start := s.mark()
	s.buf = append(s.buf, "timeout="...)
	s.buf = strconv.AppendInt(s.buf, int64(info.KeepAliveTimeout), 10)
	return s.since(start), true
}

func getSentTransferEncoding(s *State, _ *varDef) ([]byte, bool) {
	if info := s.r.Info(); info != nil && info.Chunked {
		return s.str("chunked")
	}
	return nil, false
}

func getProxyHost(s *State, _ *varDef) ([]byte, bool) {
	u := s.r.Upstream()
	if u == nil {
		return nil, false
	}
	return s.str(u.ProxyHost)
}

func getProxyPort(s *State, _ *varDef) ([]byte, bool) {
	u := s.r.Upstream()
	if u == nil {
		return nil, false
	}
	return s.str(u.ProxyPort)
}

// getProxyAddXFF is the X-Forwarded-For lines joined with ", ", then
// ", " and $remote_addr; only $remote_addr without such lines.
func getProxyAddXFF(s *State, d *varDef) ([]byte, bool) {
	start := s.mark()
	any := false
	s.eachHeader(RequestHeaders, "x-forwarded-for", func(v []byte) bool {
		any = true
		s.buf = append(s.buf, v...)
		s.buf = append(s.buf, ',', ' ')
		return true
	})
	if !any {
		return getRemoteAddr(s, d)
	}
	if c := s.r.Conn(); c != nil {
		if c.UnixPath != "" {
			s.buf = append(s.buf, "unix:"...)
		} else {
			s.buf = appendAddr(s.buf, c.Remote.Addr())
		}
	}
	return s.since(start), true
}

// The fields of an upstream state list.
const (
	upAddr = iota
	upStatus
	upConnectTime
	upHeaderTime
	upResponseTime
	upResponseLength
	upBytesReceived
	upBytesSent
)

// getUpstreamList lists a field of every try as nginx's
// ngx_http_upstream_*_variable: ", " between tries, " : " where a
// separator marks the next upstream group.
func getUpstreamList(s *State, d *varDef) ([]byte, bool) {
	u := s.r.Upstream()
	if u == nil || len(u.States) == 0 {
		return nil, false
	}
	st := u.States
	start := s.mark()
	for i := 0; ; {
		s.appendState(&st[i], d.n)
		i++
		if i == len(st) {
			break
		}
		if st[i].Peer != "" {
			s.buf = append(s.buf, ',', ' ')
			continue
		}
		s.buf = append(s.buf, ' ', ':', ' ')
		i++
		if i == len(st) {
			break
		}
	}
	return s.since(start), true
}

func (s *State) appendState(st *UpstreamState, field int) {
	appendTime := func(t time.Duration) {
		if t < 0 {
			s.buf = append(s.buf, '-')
			return
		}
		s.buf = appendMsec(s.buf, t.Milliseconds())
	}
	switch field {
	case upAddr:
		s.buf = append(s.buf, st.Peer...)
	case upStatus:
		if st.Status == 0 {
			s.buf = append(s.buf, '-')
		} else {
			s.buf = strconv.AppendInt(s.buf, int64(st.Status), 10)
		}
	case upConnectTime:
		appendTime(st.ConnectTime)
	case upHeaderTime:
		appendTime(st.HeaderTime)
	case upResponseTime:
		appendTime(st.ResponseTime)
	case upResponseLength:
		s.buf = strconv.AppendInt(s.buf, st.ResponseLength, 10)
	case upBytesReceived:
		s.buf = strconv.AppendInt(s.buf, st.BytesReceived, 10)
	case upBytesSent:
		s.buf = strconv.AppendInt(s.buf, st.BytesSent, 10)
	}
}

// hasFoldPrefix reports whether b starts with lower (which is lower-case
// ASCII), ignoring the case of b.
func hasFoldPrefix(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
