package directives

import (
	"crypto/tls"
	"net/netip"
	"time"
)

// Request is the request-facing side of the variable engine: every fact a
// variable's value is computed from, supplied by the caller (package
// proxy) so that this package knows no sockets. The engine only reads:
// byte slices it is given are never modified, and it keeps them no longer
// than the State it evaluates with (until State.Reset).
//
// The methods are cheap accessors, called lazily: only the facts a value
// needs are asked for, and a cacheable variable asks once per request.
// Most map one to one onto proxy/http1.Request without copying:
//
//	RequestLine → Line            Method     → MethodName
//	RequestURI  → URI             Protocol   → Proto
//	URI         → Path (or the rewritten URI)
//	Args        → Args (or the rewritten arguments)
//	Host        → Server          Header(RequestHeaders, i) → Headers[i]
type Request interface {
	// RequestLine is the request line without its CRLF ($request).
	RequestLine() []byte
	// Method is the method as sent ($request_method).
	Method() []byte
	// RequestURI is the URI exactly as sent, arguments included; for an
	// absolute URI, from its path on ($request_uri).
	RequestURI() []byte
	// Protocol is the protocol as sent, "HTTP/1.1"; empty for HTTP/0.9
	// ($server_protocol; nginx's $status is "009" for HTTP/0.9).
	Protocol() []byte
	// URI is the current URI: the normalised path (percent-decoded,
	// slashes merged, dot segments resolved, no arguments), or what a
	// rewrite or an internal redirect made it ($uri, $document_uri).
	URI() []byte
	// Args are the current arguments, what follows the "?" ($args,
	// $query_string, $arg_NAME). Empty arguments make $args "not found"
	// (an access log prints "-"), as in nginx, where "/x" and "/x?" both
	// leave r->args without data. A "set $args" is kept by the State, not
	// written here.
	Args() []byte
	// Host is the host the virtual server was chosen with: from an
	// absolute request URI, else the Host header; lower-cased, without
	// port and trailing dot; empty when neither was sent (nginx's
	// headers_in.server, the first choice for $host).
	Host() []byte
	// NumHeaders and Header give a header list in order, name and value as
	// received (see HeaderSet). Header is called with 0 <= i < NumHeaders.
	NumHeaders(set HeaderSet) int
	Header(set HeaderSet, i int) (name, value []byte)
	// Server is the virtual server serving the request ($server_name, and
	// $host when the request named no host). It may be nil, which makes
	// both empty.
	Server() *Server
	// Conn describes the client connection; it must stay valid and
	// unchanged for the request.
	Conn() *ConnInfo
	// Info holds the request's counters and the response's facts, updated
	// by the caller as the request progresses (log variables read them at
	// the end).
	Info() *RequestInfo
	// Upstream describes the proxying of the request, nil when the
	// request is not proxied ($proxy_host, $upstream_*).
	Upstream() *UpstreamInfo
	// Now is the current time ($msec, $time_local, $time_iso8601,
	// $request_time). nginx reads a clock it updates once per event loop
	// iteration; a caller may do the same or return time.Now().
	Now() time.Time
	// UninitializedVariable is told that the request read a variable
	// that only "set" declares before any "set" gave it a value: its value
	// is empty, and nginx logs `using uninitialized "NAME" variable` at
	// [warn] unless uninitialized_variable_warn is off where the request
	// is. The value is cached like others, so it is told once per
	// variable and request.
	UninitializedVariable(name string)
	// ConnectionCounts are the server's connection counters now
	// ($connections_active, $connections_reading, $connections_writing,
	// $connections_waiting).
	ConnectionCounts() ConnectionCounts
}

// ConnectionCounts are the connection counters of nginx's stub_status
// module: client connections open, and of those, the ones whose request
// head is being read, those whose request is being served (WebSocket
// tunnels included), and those waiting for a request.
type ConnectionCounts struct {
	Active, Reading, Writing, Waiting int64
}

// HeaderSet names one of the header lists a Request gives.
type HeaderSet uint8

// The header lists.
const (
	// RequestHeaders are the request's header lines in order, minus those
	// nginx drops (ignore_invalid_headers): $http_NAME, $cookie_NAME,
	// $content_type, $proxy_add_x_forwarded_for, ….
	RequestHeaders HeaderSet = iota
	// ResponseHeaders are the response's headers as nginx keeps them in
	// headers_out ($sent_http_NAME): those passed from the upstream and
	// added by add_header, with Content-Type, Content-Length, Location
	// and Last-Modified when the response has them; not Server, Date,
	// Connection, Keep-Alive or Transfer-Encoding, which nginx's header
	// filter writes from other state ($sent_http_connection and friends
	// come from RequestInfo).
	ResponseHeaders
	// ResponseTrailers are the trailers add_trailer sent after the last
	// chunk ($sent_trailer_NAME); none before the body ended.
	ResponseTrailers
	// UpstreamHeaders are the header lines of the upstream's response, as
	// received ($upstream_http_NAME, $upstream_cookie_NAME); none before
	// the response head is read.
	UpstreamHeaders
)

// ConnInfo is what the engine needs to know about the client connection.
type ConnInfo struct {
	// Remote and Local are the peer's and the accepting socket's addresses
	// ($remote_addr, $remote_port, $binary_remote_addr, $server_addr,
	// $server_port). Local is the address the connection arrived on, also
	// for a wildcard listener (nginx asks getsockname()). An IPv4 client
	// of a dual-stack IPv6 socket is an IPv4-mapped address, printed
	// "::ffff:a.b.c.d" as nginx does.
	Remote, Local netip.AddrPort
	// UnixPath is the listening socket's path when the connection came in
	// on a unix-domain socket: $remote_addr is then "unix:", $server_addr
	// "unix:" + UnixPath, and both ports are empty.
	UnixPath string
	// Realip is set when the realip module replaced Remote for the
	// request (set_real_ip_from, real_ip_header): Remote then stands even
	// on a unix socket, and Peer is the connection's own peer
	// ($realip_remote_addr, $realip_remote_port).
	Realip bool
	Peer   netip.AddrPort
	// Number is the connection's serial number ($connection).
	Number uint64
	// Requests is the number of requests served on the connection so far,
	// this one included ($connection_requests).
	Requests int
	// Start is when the connection was accepted ($connection_time).
	Start time.Time
	// TLS is set for a TLS connection ($scheme "https", $https "on");
	// TLSState is its handshake's outcome ($ssl_protocol, $ssl_cipher,
	// …), nil on a plain connection.
	TLS      bool
	TLSState *tls.ConnectionState
	// ClientVerify is the outcome of the client certificate's
	// verification (SSL_get_verify_result): 0, or OpenSSL's X509_V_ERR
	// code of the last error met (see TLSConf.VerifyClientChain).
	ClientVerify int
	// ProxyProtocol is what the connection's PROXY protocol header said
	// (listen … proxy_protocol): nil without a header, and for one that
	// names no addresses (v1 "UNKNOWN", v2 LOCAL, another family), as
	// nginx's c->proxy_protocol.
	ProxyProtocol *ProxyHeader
}

// ProxyHeader is a PROXY protocol header's addresses: the text a v1
// header gave (nginx keeps it as sent: any hex digits, dots and colons),
// or a v2 header's binary address as ngx_sock_ntop prints it.
type ProxyHeader struct {
	SrcAddr, DstAddr string
	SrcPort, DstPort uint16
}

// RequestInfo holds a request's counters and response facts, which change
// as the request is served.
type RequestInfo struct {
	// Start is when the request's first byte was read ($request_time).
	Start time.Time
	// Length is the number of bytes of the request read so far: request
	// line and headers, and the body read as the request's body (nginx
	// does not count a body it discards, e.g. before a "return")
	// ($request_length).
	Length int64
	// BodyLength is the request body's length once known for a chunked
	// request (nginx sets it when the whole body is read); -1 otherwise.
	// $content_length is the Content-Length header, else this number.
	BodyLength int64
	// RequestBody is the request body when it was read whole into
	// memory (not into a temporary file, not streamed, not discarded),
	// empty but not nil for an empty body that was read (Content-Length:
	// 0, a chunked body of its last chunk only) ($request_body); nil
	// otherwise, which makes the variable "not found", as nginx's
	// request_body bufs.
	RequestBody []byte
	// RequestBodyFile is the name of the temporary file the request body
	// was written to ($request_body_file); "" (not found) without one.
	RequestBodyFile string
	// Pipelined is set when the request was read after another one
	// without waiting ($pipe "p").
	Pipelined bool
	// LastModifiedDropped is set once nginx's header filter forgot the
	// response's Last-Modified for a status other than 200, 206 and 304
	// (headers_out.last_modified cleared when its time was known): the
	// line is still sent, but $sent_http_last_modified finds nothing.
	LastModifiedDropped bool
	// LimitConnStatus is $limit_conn_status: PASSED, REJECTED or
	// REJECTED_DRY_RUN once a limit_conn counted the request; empty
	// (not found) before.
	LimitConnStatus string
	// LimitReqStatus is $limit_req_status: PASSED, DELAYED, REJECTED,
	// DELAYED_DRY_RUN or REJECTED_DRY_RUN once a limit_req looked at the
	// request; empty (not found) before.
	LimitReqStatus string
	// LimitRate is the request's rate limit in bytes per second, as
	// limit_rate, "set $limit_rate" or X-Accel-Limit-Rate made it; 0 for
	// none ($limit_rate).
	LimitRate int64
	// Status is the response status, 0 until one is chosen ($status).
	Status int
	// BytesSent counts the bytes sent to the client for this request,
	// response head included ($bytes_sent); HeaderBytes is the size of the
	// response head ($body_bytes_sent is the difference).
	BytesSent, HeaderBytes int64
	// KeepAlive tells whether the response keeps the connection open
	// ($sent_http_connection "keep-alive" or "close"); KeepAliveTimeout is
	// keepalive_timeout's header value in seconds, 0 for none
	// ($sent_http_keep_alive "timeout=N").
	KeepAlive        bool
	KeepAliveTimeout int
	// Chunked is set when the response is sent chunked
	// ($sent_http_transfer_encoding).
	Chunked bool
	// Completed is set when the response was sent in full
	// ($request_completion "OK").
	Completed bool
	// GzipIn and GzipOut are the body's sizes before and after the gzip
	// filter, the gzip header and trailer included, once it compressed
	// the whole body ($gzip_ratio); 0 otherwise.
	GzipIn, GzipOut int64
}

// UpstreamInfo describes the proxying of a request.
type UpstreamInfo struct {
	// ProxyHost and ProxyPort are the proxy_pass target's host (with the
	// port when one was written, "localhost" for a unix socket) and port
	// ($proxy_host, $proxy_port).
	ProxyHost, ProxyPort string
	// States are the tries, in order: one per peer tried, with a separator
	// (Peer "") between the tries of two upstream groups after an internal
	// redirect. nginx lists them as "a, b" within a group and " : "
	// between groups ($upstream_addr, $upstream_status, …).
	States []UpstreamState
}

// UpstreamState is one try of an upstream peer, as nginx's
// ngx_http_upstream_state_t.
type UpstreamState struct {
	// Peer is the peer's address as nginx names it ("127.0.0.1:8080",
	// "unix:/path", or the upstream's name when no peer was live); "" marks
	// a separator between upstream groups.
	Peer string
	// Status is the peer's response status, 0 for none ("-").
	Status int
	// ConnectTime, HeaderTime and ResponseTime are the times to connect,
	// to receive the response head and the whole response; -1 when that
	// point was not reached ("-").
	ConnectTime, HeaderTime, ResponseTime time.Duration
	// ResponseLength is the body length received; BytesReceived and
	// BytesSent count the bytes read from and written to the peer.
	ResponseLength, BytesReceived, BytesSent int64
}
