// Package http1 reads and writes HTTP/1.x on the wire the way nginx 1.22 does.
//
// It exists because nginxws must forward requests and responses exactly as
// nginx would: header names keep their original case and order, the raw
// request URI is kept byte for byte, and malformed or oversized input gets
// nginx's status (400, 414, 494, 501, 505) rather than net/http's. The
// parsers are ports of nginx's state machines in src/http/ngx_http_parse.c and
// the request-level checks of src/http/ngx_http_request.c; each function's
// doc comment names the nginx function it mirrors.
//
// Memory follows nginx's buffer model: a request head is read into one
// client_header_buffer_size buffer and, when that fills, into at most N
// large_client_header_buffers, all borrowed from a caller-owned [Pools] and
// returned by [Reader.Release]. A connection waiting for its next request
// holds no buffer. Bytes read past a head (a body, a pipelined request,
// tunnel data) stay in the [Reader] and are handed out by [Reader.Read].
//
// Parsed heads ([Request], [Response]) hold slices into those buffers: they
// are valid until the Reader's next ReadRequest, ReadResponse or Release.
package http1
