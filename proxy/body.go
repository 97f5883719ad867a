package proxy

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/proxy/http1"

	"github.com/nginxws/nginxws/directives"
)

// clientBody is the state of the request body: unread, buffered (in a
// pooled buffer, spilling to a temporary file like nginx's
// client_body_temp), being streamed upstream, or consumed.
type clientBody struct {
	// length is $proxy_internal_body_length: the Content-Length sent
	// upstream, -1 for none.
	length int64
	// chunkedOut is $proxy_internal_chunked: the body goes upstream
	// chunked (proxy_request_buffering off, HTTP/1.1).
	chunkedOut bool
	started    bool // reading began (readers set up)
	consumed   bool // every byte of the body has been read
	// preread is how many body bytes came with the head (nginx's
	// preread): for $request_length, nginx counts them only once its
	// body filter accepted them all.
	preread int64
	// discarding is set when the body is discarded rather than read for
	// a handler (whose errors are reported where it reads); refused
	// when the discard found the body broken (logged then), so that
	// nothing more is read of it.
	discarding, refused bool
	// tooLarge is set when a chunk took a chunked body over
	// client_max_body_size (413): nginx's chunked filter sets
	// r->lingering_close, so the rest is read raw and dropped by the
	// lingering close, not parsed.
	tooLarge bool
	// invalid is set when the body read for a handler (bufferBody) was
	// refused as badly chunked (400); invalidPreread when the refused
	// bytes came with the head. nginx does not discard such a body
	// (r->request_body exists), and its ngx_http_finalize_connection
	// lingers only while the parser's stop leaves bytes in header_in
	// (or more are ready to read).
	invalid, invalidPreread bool
	// refusedData is the chunk data nginx's body filter took before it
	// refused a streamed body's preread as broken ($content_length).
	refusedData int64
	// abandoned is set when the upstream answered before the body it
	// was streamed to was all read (nginx's r->reading_body at the
	// request's end): the rest is not read, the connection closes.
	abandoned bool
	lr        http1.LengthReader
	cr        http1.ChunkedReader
	mem       *buf
	file      *os.File // tmp's file, nil without one
	tmp       *tempFile
	size      int64 // bytes buffered (memory and file)
}

// has reports whether the request announced a body.
func (x *exchange) hasBody() bool {
	return x.head.ContentLength > 0 || x.head.Chunked
}

// done reports whether nothing of the body is left on the connection.
func (b *clientBody) done() bool { return b.consumed }

// remaining reports whether body bytes may still be on the way.
func (b *clientBody) remaining() bool { return !b.consumed }

// release gives the body's buffers back.
func (b *clientBody) release(x *exchange) {
	if b.mem != nil {
		x.c.s.bufs.put(b.mem)
		b.mem = nil
	}
	if b.tmp != nil {
		b.tmp.close()
		b.tmp, b.file = nil, nil
	}
}

// testExpect answers "Expect: 100-continue" from an HTTP/1.1 client with
// "100 Continue" (ngx_http_test_expect), once, when nginx starts to read or
// discard the body.
func (x *exchange) testExpect() {
	if x.expectTested {
		return
	}
	x.expectTested = true
	if x.head.Version < 1001 {
		return
	}
	v, ok := x.head.Header("expect")
	if !ok || len(v) != len("100-continue") || !directives.EqualFoldASCII(v, "100-continue") {
		return
	}
	x.c.dl.setWrite(x.c.nc, x.conf.SendTimeout)
	n, _ := x.c.nc.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
	// nginx writes it with c->send, so it counts in c->sent: in
	// $bytes_sent and, as it precedes the response header, in
	// $body_bytes_sent.
	x.bytesSent += int64(n)
}

// startBody sets up the body readers over the client connection to read
// the body for a handler, within client_max_body_size.
func (x *exchange) startBody() {
	x.startBodyMax(x.conf.ClientMaxBodySize)
}

// startBodyMax sets up the body readers; max limits a chunked body (0: no
// limit, as when nginx discards one: ngx_http_discard_request_body_filter
// does not check client_max_body_size).
func (x *exchange) startBodyMax(max int64) {
	b := &x.body
	if b.started {
		return
	}
	b.started = true
	b.preread = int64(len(x.c.rd.Buffered()))
	switch {
	case x.head.Chunked:
		b.cr.Reset(x.c.rd, max, false)
	case x.head.ContentLength > 0:
		b.lr.Reset(x.c.rd, x.head.ContentLength, false)
	default:
		b.consumed = true
	}
}

// readSome reads body bytes into p, within client_body_timeout; io.EOF at
// the end of the body.
func (x *exchange) readSome(p []byte) (int, error) {
	b := &x.body
	if b.consumed {
		return 0, io.EOF
	}
	if len(x.c.rd.Buffered()) == 0 {
		// nginx arms client_body_timeout once a read would block; a
		// timeout of 0 then fires at the event loop's next turn
		// (writeTimer's zeroTimerTurn): 408 unless the bytes are there.
		x.c.dl.setRead(x.c.nc, time.Now(), writeTimer(x.conf.ClientBodyTimeout))
		if x.bodyStopped() {
			return 0, errBodyStopped
		}
	}
	var n int
	var err error
	if x.head.Chunked {
		n, err = b.cr.Read(p)
		x.countChunked(err)
	} else {
		n, err = b.lr.Read(p)
		if err == nil && b.lr.Remaining() == 0 {
			err = io.EOF
		}
		x.requestLength += int64(n)
	}
	if err == io.EOF {
		b.consumed = true
	}
	return n, err
}

// countChunked brings $request_length up to date after a read of a
// chunked body. nginx counts the bytes a body takes on the wire, chunk
// framing included (ngx_http_do_read_client_request_body adds each recv),
// but the bytes that came with the head only once its filter accepted
// them all: a body refused within them (bad framing, too large) leaves
// $request_length at the head's length.
func (x *exchange) countChunked(err error) {
	b := &x.body
	raw := b.cr.RawSize()
	var he *http1.Error
	if errors.As(err, &he) && he.Err == nil && raw <= b.preread {
		raw = 0
	}
	x.requestLength = headLength(x.head) + raw
}

// discardBody discards the body for a response that goes on whatever
// the discard finds, as nginx's error pages do
// (ngx_http_special_response_handler, ngx_http_send_error_page): a body
// refused only ends keepalive.
func (x *exchange) discardBody() {
	if x.discardRequestBody() != 0 {
		x.keepalive = false
	}
}

// discardRequestBody mirrors ngx_http_discard_request_body, for a response
// that does not need the body: it answers Expect, then passes the bytes of
// the body that came with the head through nginx's discard filter. A
// chunked body broken there is refused: logged as nginx logs it, and 400
// returned, which nginx's content handlers (ngx_http_send_response for
// return, the static and stub_status modules) answer instead of their
// response. Otherwise it returns 0 and the body is read and dropped once
// the response is out (discardRest), so that the connection can serve
// the next request. nginx also parses what the socket holds at that
// moment; here only what was read with the head is. Once a body is being
// discarded, later calls return 0, as nginx's do.
func (x *exchange) discardRequestBody() int {
	b := &x.body
	if b.started || b.refused {
		// Read for a handler already, discarded, or refused (and
		// logged) before the upstream was contacted: nginx's
		// r->request_body is set and its discard returns at once.
		return 0
	}
	x.testExpect()
	x.startBodyMax(0)
	b.discarding = true
	if b.consumed {
		return 0
	}
	if !x.head.Chunked {
		return 0
	}
	if _, ok := http1.ScanChunked(x.c.rd.Buffered()); ok {
		return 0
	}
	b.refused = true
	// Not read again after the 400 (the discard filter set
	// r->request_body); the parser stopped inside header_in, so the
	// connection closes lingering (see clientBody.invalid).
	b.invalid, b.invalidPreread = true, true
	x.logEvent(levelError, "client sent invalid chunked body", "", "")
	return 400
}

// discardRest reads and drops what is left of the body, each read within
// lingering_timeout and the whole within lingering_time, as nginx's
// discarded-body handler; false when the body could not be read to its end.
func (x *exchange) discardRest() bool {
	x.startBodyMax(0)
	if x.body.consumed {
		return true
	}
	if x.body.refused {
		return false
	}
	b := x.c.s.bufs.get(4096)
	defer x.c.s.bufs.put(b)
	// ngx_http_discarded_request_body_handler: lingering_timeout for
	// each wait, lingering_time in all.
	err := lingerConfOf(x.levelConf()).drain(func(t time.Time) error { x.c.dl.setReadAt(x.c.nc, t); return nil }, func() error {
		var err error
		if x.head.Chunked {
			_, err = x.body.cr.Read(b.b)
		} else {
			_, err = x.body.lr.Read(b.b)
			if err == nil && x.body.lr.Remaining() == 0 {
				err = io.EOF
			}
		}
		return err
	})
	if err == io.EOF {
		x.body.consumed = true
		if x.head.Chunked && x.body.cr.RawSize() > x.body.preread {
			// ngx_http_read_discarded_request_body hands what its last
			// recv (of at most NGX_HTTP_DISCARD_BUFFER_SIZE) held past
			// the body to ngx_http_copy_pipelined_header, which takes
			// it off r->request_length, though the discard never added
			// the bytes it read: $request_length comes out short.
			x.requestLength -= min(x.body.cr.Overread(), 4096)
		}
		return true
	}
	var he *http1.Error
	if errors.As(err, &he) && he.Err == nil && x.body.discarding {
		// Bad framing (ngx_http_discard_request_body_filter); a
		// client that leaves or stalls is not logged.
		x.logEvent(levelError, he.Msg, "", "")
	}
	if errors.Is(err, syscall.ECONNRESET) {
		// ngx_http_read_discarded_request_body's recv:
		// ngx_connection_error at info.
		x.logEvent(levelInfo, "recv() failed", sysErrnoText(err), "")
	}
	return false
}

// bufferBody reads the whole body before the upstream is contacted, as
// nginx does with proxy_request_buffering on: into memory up to
// client_body_buffer_size, then into an unlinked temporary file. It
// returns 0, or the status to answer with (400, 408, 413) after logging
// nginx's message.
func (x *exchange) bufferBody() int {
	x.startBody()
	b := &x.body
	memSize := int(max(x.conf.ClientBodyBufferSize, 1024))
	// ngx_http_read_client_request_body keeps a body of known length in
	// memory, in one buffer of its size, when what is left after the
	// bytes read with the head is under a quarter more than
	// client_body_buffer_size.
	if !x.head.Chunked && x.head.ContentLength-x.nginxPreread() < int64(memSize+memSize>>2) {
		memSize = int(x.head.ContentLength)
	}
	b.mem = x.c.s.bufs.get(memSize)
	mem := b.mem.b[:memSize]
	n := 0
	for !b.consumed {
		if n == len(mem) {
			if err := x.spill(mem[:n]); err != nil {
				return 500
			}
			n = 0
		}
		k, err := x.readSome(mem[n:])
		n += k
		if err == io.EOF {
			break
		}
		if err != nil {
			var he *http1.Error
			if errors.As(err, &he) && he.Err == nil && he.Status == 400 {
				b.invalid = true
				b.invalidPreread = b.cr.RawSize() <= b.preread
			}
			if errors.As(err, &he) && (he.Err != nil || he.Status == 408) && b.file == nil && n > 0 {
				// A client that stalls or leaves mid-body: what nginx's
				// filters accepted is in rb->bufs, and $request_body
				// holds it.
				x.info.RequestBody = mem[:n]
			}
			return x.bodyError(err)
		}
	}
	// ngx_http_request_body_save_filter: the last part goes to the file
	// when there is one, or with client_body_in_file_only, which also
	// makes an empty file for an empty body.
	if b.file != nil || x.conf.ClientBodyInFileOnly != "off" {
		if err := x.spill(mem[:n]); err != nil {
			return 500
		}
		n = 0
	}
	b.mem.b = mem[:n]
	b.size += int64(n)
	if b.file == nil {
		x.info.RequestBody = b.mem.b
	}
	return 0
}

// nginxPreread is how many body bytes nginx would have read with the
// head: those that fit in its header buffer (client_header_buffer_size, or
// a large_client_header_buffers buffer for a longer head) after the head;
// nginxws's reader may have read more. A head longer than
// client_header_buffer_size ends in a large buffer that starts with the
// line that overflowed the one before (ngx_http_alloc_large_header_buffer
// copies it there), as the reader's last buffer does: what that buffer
// holds after the head is nginx's preread.
func (x *exchange) nginxPreread() int64 {
	head := headLength(x.head)
	if head > int64(x.ac.limits.HeaderBufferSize) {
		return max(0, min(x.body.preread, x.head.ContentLength))
	}
	return max(0, min(x.body.preread, int64(x.ac.limits.HeaderBufferSize)-head, x.head.ContentLength))
}

// spill moves buffered body bytes to the temporary file, which the first
// call creates in client_body_temp_path (ngx_http_write_request_body). With
// client_body_in_file_only the file is persistent (kept, or removed when
// the request ends for "clean") and its creation logged at [notice]
// instead of [warn]; an empty body (its last buffer, empty) makes an empty
// file, logged too. Failures are logged as nginx logs them.
func (x *exchange) spill(p []byte) error {
	b := &x.body
	if b.file == nil {
		inFile := x.conf.ClientBodyInFileOnly
		t, err := x.createTempFile(x.conf.ClientBodyTempPath, inFile != "off", inFile == "clean", "")
		if err != nil {
			return err
		}
		b.tmp, b.file = t, t.f
		x.info.RequestBodyFile = t.name
		// ngx_write_chain_to_temp_file's tf->warn, once per body:
		// r->request_body_file_log_level.
		lvl := levelWarn
		if inFile != "off" {
			lvl = levelNotice
		}
		x.logEvent(lvl, "a client request body is buffered to a temporary file "+t.name, "", "")
	}
	if len(p) == 0 {
		return nil
	}
	_, err := b.file.Write(p)
	if err != nil {
		// ngx_write_chain_to_file, one buffer: pwrite().
		x.logEvent(levelCrit, `pwrite() "`+b.tmp.name+`" failed`, errnoText(err), "")
		return err
	}
	b.size += int64(len(p))
	return nil
}

// bodyError logs a failure to read the body and returns nginx's status
// for it.
func (x *exchange) bodyError(err error) int {
	if x.c.s.cutting() {
		// A shutdown closed the client connection (cut.go).
		x.cutShort()
		x.lingering = false
		return -1
	}
	var he *http1.Error
	if !errors.As(err, &he) {
		return 400
	}
	// nginx has no action for a body read before the upstream is
	// contacted (the find-config phase cleared it); one streamed to the
	// upstream is read "while sending request to upstream", as the
	// upstream's connection shares the client's log. It logs nothing
	// for a client_body_timeout (ngx_http_read_client_request_body_handler
	// finalizes with 408).
	action := ""
	if x.up.addr != "" {
		action = "sending request to upstream"
	}
	switch {
	case he.Status == 408:
	case he.Err != nil:
		x.logEvent(levelInfo, he.Msg, errnoText(he.Err), action)
	default: // 400 for bad framing, 413: ngx_http_request_body_chunked_filter
		x.logEvent(levelError, he.Msg, "", action)
		x.body.tooLarge = he.Status == 413 && x.head.Chunked
	}
	if he.Err != nil {
		x.lingering = false
		x.noLinger = true
		if he.Status == 400 {
			// The client is gone: nothing to answer (nginx's 499 path
			// closes; it logs 400).
			x.status = 400
			x.broken = true
			return -1
		}
	}
	if he.Status != 408 {
		// A 408 terminates the request (the connection closes anyway)
		// and nginx's access log still sees r->keepalive.
		x.keepalive = false
	}
	return he.Status
}

// bufferedBody returns a reader over the buffered body: the file part,
// then the memory part.
func (x *exchange) bufferedBody() io.Reader {
	b := &x.body
	var mem []byte
	if b.mem != nil {
		mem = b.mem.b
	}
	if b.file == nil {
		return &bytesReader{b: mem}
	}
	_, _ = b.file.Seek(0, io.SeekStart)
	return io.MultiReader(b.file, &bytesReader{b: mem})
}

// bytesReader reads a byte slice (bytes.Reader without its allocation
// per request being visible here).
type bytesReader struct{ b []byte }

func (r *bytesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
