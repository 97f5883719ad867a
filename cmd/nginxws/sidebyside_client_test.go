package main

// The side-by-side suite's client: it plays a case's steps on one connection to the proxy
// and writes what came back as a transcript, the text the two proxies' runs are compared
// on. Normalisation (Date, the version in Server and in error pages, a gzip body shown
// decompressed) and the case's masks are applied while writing the transcript.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// sbsReadTimeout bounds each read of a response; a proxy that hangs costs this much.
const sbsReadTimeout = 4 * time.Second

// sbsEOFTimeout bounds the wait of an eof step.
const sbsEOFTimeout = 2 * time.Second

// sbsWatch sits under the client's bufio.Reader and calls found once the raw bytes from
// the proxy contain want: how a stream step tells the backend to send its next part.
type sbsWatch struct {
	r     io.Reader
	mu    sync.Mutex
	want  string
	seen  []byte
	found func()
}

func (w *sbsWatch) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.want != "" && n > 0 {
		w.seen = append(w.seen, p[:n]...)
		if bytes.Contains(w.seen, []byte(w.want)) {
			w.want, w.seen = "", nil
			w.found()
		}
	}
	return n, err
}

// decoded looks for the text in a body the transcript decodes (Content-Encoding: gzip),
// whose bytes on the wire do not show it.
func (w *sbsWatch) decoded(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.want != "" && bytes.Contains(b, []byte(w.want)) {
		w.want, w.seen = "", nil
		w.found()
	}
}

func (w *sbsWatch) arm(want string, found func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.want, w.seen, w.found = want, nil, found
}

// sbsDial connects to the proxy at addr ("host:port" or "unix:path") from the source
// address from (TCP only; "" = the system's choice).
func sbsDial(addr, from string) (net.Conn, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		return net.DialTimeout("unix", path, 2*time.Second)
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	return d.Dial("tcp", addr)
}

// sbsPlay runs the client side of a case and returns its transcript, and the body sizes
// it normalised (error pages, gzip bodies). No wait goes past limit (zero: no limit beyond the per-read timeouts),
// which bounds what a proxy that hangs can cost. signal sends the proxy the signal a
// signal step names.
func sbsPlay(c *sbsCase, addr string, release func(), signal func(string), limit time.Time) (string, sbsSizes) {
	var out strings.Builder
	pages := sbsSizes{}
	conn, err := sbsDial(addr, c.from)
	if err != nil {
		// The address is the proxy's, which differs between nginx and nginxws only if
		// the test is broken; keep the transcript independent of it.
		fmt.Fprintf(&out, "! connect failed: %s\n", sbsErrText(err))
		return out.String(), pages
	}
	defer conn.Close()
	raw := conn
	timeout := c.timeout
	if timeout == 0 {
		timeout = sbsReadTimeout
	}
	if c.preface != nil {
		first, _, _ := bytes.Cut(c.preface, []byte("\n"))
		fmt.Fprintf(&out, "> preface %d bytes: %s\n", len(c.preface), sbsQuote(first))
		_ = conn.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := conn.Write(c.preface); err != nil {
			fmt.Fprintf(&out, "! write failed: %s\n", sbsErrText(err))
			return out.String(), pages
		}
	}
	if c.tls != nil {
		tc, ok := sbsHandshake(&out, conn, c.tls, time.Now().Add(timeout))
		if !ok {
			return out.String(), pages
		}
		defer tc.Close()
		conn = tc
	}
	// until is when a wait of d started now must end.
	until := func(d time.Duration) time.Time {
		t := time.Now().Add(d)
		if !limit.IsZero() && limit.Before(t) {
			return limit
		}
		return t
	}
	watch := &sbsWatch{r: conn}
	br := bufio.NewReader(watch)
	for _, s := range c.steps {
		switch s.kind {
		case stepSend, stepWrite:
			first, _, _ := bytes.Cut(s.data, []byte("\n"))
			fmt.Fprintf(&out, "> write %d bytes: %s\n", len(s.data), sbsQuote(first))
			_ = conn.SetWriteDeadline(until(timeout))
			if _, err := conn.Write(s.data); err != nil {
				fmt.Fprintf(&out, "! write failed: %s\n", sbsErrText(err))
				return out.String(), pages
			}
			if s.kind == stepWrite {
				continue
			}
			_ = conn.SetReadDeadline(until(timeout))
			if !sbsReadResponse(&out, br, s.arg == "nobody", c.masks, pages, watch.decoded) {
				return out.String(), pages
			}
		case stepRead, stepStream:
			if s.kind == stepStream {
				watch.arm(s.arg, release)
			}
			_ = conn.SetReadDeadline(until(timeout))
			if !sbsReadResponse(&out, br, s.arg == "nobody", c.masks, pages, watch.decoded) {
				return out.String(), pages
			}
		case stepSleep:
			d, _ := time.ParseDuration(s.arg)
			fmt.Fprintf(&out, "> sleep %s\n", s.arg)
			time.Sleep(time.Until(until(d)))
		case stepSignal:
			fmt.Fprintf(&out, "> signal %s\n", s.arg)
			signal(s.arg)
		case stepShut:
			out.WriteString("> shut down writing\n")
			if cw, ok := conn.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		case stepReset:
			out.WriteString("> reset\n")
			if tc, ok := raw.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = raw.Close()
			return out.String(), pages
		case stepEOF:
			_ = conn.SetReadDeadline(until(sbsEOFTimeout))
			rest, err := io.ReadAll(br)
			switch {
			case len(rest) > 0:
				fmt.Fprintf(&out, "< %d more bytes before the end: %s\n", len(rest), sbsQuote(rest))
			case err == nil || sbsClosed(err):
				out.WriteString("< connection closed\n")
			default:
				fmt.Fprintf(&out, "< connection still open: %s\n", sbsErrText(err))
			}
		}
	}
	return out.String(), pages
}

// sbsHandshake makes the case's connection TLS (no certificate check: the
// test certificates are self-signed) and writes what both proxies must
// agree on: the version, the cipher suite by OpenSSL's name, the subject
// of the certificate (which server SNI chose).
func sbsHandshake(out *strings.Builder, conn net.Conn, t *sbsTLS, deadline time.Time) (*tls.Conn, bool) {
	cfg := &tls.Config{InsecureSkipVerify: true, ServerName: t.serverName, MinVersion: tls.VersionTLS12}
	if t.version != 0 {
		cfg.MinVersion, cfg.MaxVersion = t.version, t.version
	}
	// A CertificateRequest is shown with the CA names it lists.
	var request string
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		names := make([]string, 0, len(cri.AcceptableCAs))
		for _, der := range cri.AcceptableCAs {
			var rdns pkix.RDNSequence
			if _, err := asn1.Unmarshal(der, &rdns); err != nil {
				names = append(names, "?")
				continue
			}
			names = append(names, fmt.Sprintf("%q", rdns.String()))
		}
		request = "> client certificate requested, CAs: [" + strings.Join(names, " ") + "]"
		if t.clientCert == nil {
			return &tls.Certificate{}, nil
		}
		request += ", sent " + t.clientCert.Leaf.Subject.CommonName
		return t.clientCert, nil
	}
	tc := tls.Client(conn, cfg)
	_ = tc.SetDeadline(deadline)
	err := tc.Handshake()
	if request != "" {
		out.WriteString(request + "\n")
	}
	if err != nil {
		fmt.Fprintf(out, "! tls handshake failed: %s\n", sbsErrText(err))
		return nil, false
	}
	_ = tc.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	fmt.Fprintf(out, "> tls %s %s, certificate %s (%s)\n", directives.OpenSSLProtocolName(st.Version),
		directives.OpenSSLCipherName(st.CipherSuite), st.PeerCertificates[0].Subject.CommonName, st.PeerCertificates[0].PublicKeyAlgorithm)
	return tc, true
}

// sbsClosed reports whether err means the peer closed the connection (an orderly close or
// a reset: which one nginx produces depends on timing, so both read the same).
func sbsClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF)
}

// sbsErrText words a client-side error without addresses or ports.
func sbsErrText(err error) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out"
	case sbsClosed(err):
		return "closed by the proxy"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	}
	return err.Error()
}

// The name and version nginx puts in Server and at the end of its error pages
// ("nginx/1.22.1") and those nginxws puts there ("nginxws/0.1.0") are both compared as
// "nginx/VERSION" (docs/differences.md). The bare "nginx" of server_tokens off is compared
// as is.
var (
	sbsServerName = regexp.MustCompile(`^((?i:server):\s*)nginx(?:ws)?/\S+$`)
	sbsPageName   = regexp.MustCompile(`<center>nginx(?:ws)?/[^<]*</center>`)
)

// sbsNormaliseName rewrites what sbsServerName or sbsPageName matches in s.
func sbsNormaliseName(re *regexp.Regexp, s string) string {
	if re == sbsPageName {
		return re.ReplaceAllString(s, "<center>nginx/VERSION</center>")
	}
	return re.ReplaceAllString(s, "${1}nginx/VERSION")
}

// sbsSizes maps the length of a body as sent to what the access log's $body_bytes_sent
// shows instead: an error page's length once normalised, or sbsGzipSize for a body the
// proxy compressed.
type sbsSizes map[int]string

// sbsGzipSize stands for $body_bytes_sent of a gzip body sent without Content-Length: the
// compressed size (and the chunks around it) differs between zlib and nginxws's
// compress/flate, where the decompressed body is compared.
const sbsGzipSize = "<gzip body>"

// sbsReadResponse reads one response and writes it to out. It reports false when the
// connection cannot be read any further. A gzip body is written decompressed; seen is
// given what it decompresses to as it arrives (for a stream step).
func sbsReadResponse(out *strings.Builder, br *bufio.Reader, noBody bool, masks []sbsMask, pages sbsSizes, seen func([]byte)) bool {
	var head []string
	got := 0
	for {
		line, err := br.ReadString('\n')
		got += len(line)
		if err != nil {
			switch {
			case got == 0 && len(head) == 0:
				fmt.Fprintf(out, "< no response: %s\n", sbsErrText(err))
			default:
				fmt.Fprintf(out, "< head cut after %d bytes (%s): %s\n", got, sbsErrText(err), sbsQuote([]byte(strings.Join(head, "\n")+line)))
			}
			return false
		}
		if !strings.HasSuffix(line, "\r\n") {
			fmt.Fprintf(out, "< line without CR: %s\n", sbsQuote([]byte(line)))
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		head = append(head, line)
		if got > 1<<20 {
			out.WriteString("< head over 1 MiB\n")
			return false
		}
	}
	if len(head) == 0 {
		// An answer passed on as the upstream sent it (HTTP/0.9) may
		// start with an empty line: there is no head to read.
		out.WriteString("< empty line where the status line belongs\n")
		return false
	}
	status := head[0]
	code := 0
	if f := strings.Fields(status); len(f) >= 2 {
		code, _ = strconv.Atoi(f[1])
	}
	length, chunked, gzipped := int64(-1), false, false
	headers := make([]string, 0, len(head)-1)
	for _, h := range head[1:] {
		name, value, _ := strings.Cut(h, ":")
		switch strings.ToLower(name) {
		case "content-length":
			if n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); err == nil {
				length = n
			}
		case "transfer-encoding":
			chunked = strings.EqualFold(strings.TrimSpace(value), "chunked")
		case "content-encoding":
			gzipped = gzipped || strings.EqualFold(strings.TrimSpace(value), "gzip")
		case "date":
			h = name + ": <date>"
		}
		h = sbsNormaliseName(sbsServerName, h)
		for _, m := range masks {
			if m.side == "client" && strings.EqualFold(m.name, name) {
				h = name + ": <masked>"
			}
		}
		headers = append(headers, h)
	}

	// The body, by the framing rules of RFC 9112 section 6.3. wire counts its bytes as
	// sent (chunk framing included).
	var body []byte
	var note string
	wire := 0
	onData := func([]byte) {}
	if gzipped && seen != nil {
		onData = func(b []byte) {
			d, _ := sbsGunzip(b)
			seen(d)
		}
	}
	hasBody := false
	switch {
	case code == 101:
		// A tunnel: whatever follows until the proxy closes.
		b, err := io.ReadAll(br)
		body = b
		if err != nil && !sbsClosed(err) {
			note = "tunnel ended: " + sbsErrText(err)
		}
	case noBody || code/100 == 1 || code == 204 || code == 304:
	case chunked:
		hasBody = true
		b, trailers, n, err := sbsReadChunked(br, onData)
		body, wire = b, n
		for _, t := range trailers {
			headers = append(headers, "(trailer) "+t)
		}
		if err != nil {
			note = "chunked body cut: " + sbsErrText(err)
		}
	case length >= 0:
		hasBody = true
		body = make([]byte, length)
		n, err := io.ReadFull(br, body)
		body = body[:n]
		if err != nil {
			note = fmt.Sprintf("body cut after %d of %d bytes: %s", n, length, sbsErrText(err))
		}
	default:
		hasBody = true
		var err error
		for err == nil {
			var n int
			buf := make([]byte, 4096)
			n, err = br.Read(buf)
			body = append(body, buf[:n]...)
			if n > 0 {
				onData(body)
			}
		}
		wire = len(body)
		if err != nil && !sbsClosed(err) {
			note = "body until close: " + sbsErrText(err)
		}
	}
	// A gzip body is shown decompressed (the compressed bytes are zlib's in nginx, Go's
	// compress/flate in nginxws); one that does not decompress to its end says why.
	var gzipNote string
	if gzipped && hasBody {
		d, err := sbsGunzip(body)
		if err != nil {
			gzipNote = "gzip body: " + err.Error()
		}
		// An error page compressed carries the version too.
		d = []byte(sbsNormaliseName(sbsPageName, string(d)))
		if length < 0 {
			pages[wire] = sbsGzipSize
		}
		fmt.Fprintf(out, "< %s\n", status)
		for _, h := range headers {
			fmt.Fprintf(out, "< %s\n", h)
		}
		fmt.Fprintf(out, "< body gzip→%s\n", sbsQuote(d))
		if gzipNote != "" {
			fmt.Fprintf(out, "< ! %s\n", gzipNote)
		}
		if note != "" {
			fmt.Fprintf(out, "< ! %s\n", note)
			return false
		}
		return true
	}
	// nginx's error pages carry its version, which changes their length.
	if v := []byte(sbsNormaliseName(sbsPageName, string(body))); !bytes.Equal(v, body) {
		pages[len(body)] = strconv.Itoa(len(v))
		// A correct Content-Length is rewritten to the normalised page's length, so that
		// it is still compared; a wrong one is kept as sent.
		for i, h := range headers {
			if strings.EqualFold(h, "content-length: "+strconv.Itoa(len(body))) {
				headers[i] = h[:len("content-length: ")] + strconv.Itoa(len(v))
			}
		}
		body = v
	}

	fmt.Fprintf(out, "< %s\n", status)
	for _, h := range headers {
		fmt.Fprintf(out, "< %s\n", h)
	}
	fmt.Fprintf(out, "< body %s\n", sbsQuote(body))
	if note != "" {
		fmt.Fprintf(out, "< ! %s\n", note)
		return false
	}
	return true
}

// sbsReadChunked decodes a chunked body, returning its data, trailer lines and size on the
// wire. onData is given the data so far after each chunk.
func sbsReadChunked(br *bufio.Reader, onData func([]byte)) (body []byte, trailers []string, wire int, err error) {
	for {
		line, err := br.ReadString('\n')
		wire += len(line)
		if err != nil {
			return body, trailers, wire, err
		}
		sizeText, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		size, perr := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
		if perr != nil || size < 0 {
			return body, trailers, wire, fmt.Errorf("bad chunk size line %q", line)
		}
		if size == 0 {
			for {
				line, err := br.ReadString('\n')
				wire += len(line)
				if err != nil {
					return body, trailers, wire, err
				}
				line = strings.TrimRight(line, "\r\n")
				if line == "" {
					return body, trailers, wire, nil
				}
				trailers = append(trailers, line)
			}
		}
		chunk := make([]byte, size+2)
		n, err := io.ReadFull(br, chunk)
		wire += n
		if n > int(size) {
			n = int(size)
		}
		body = append(body, chunk[:n]...)
		onData(body)
		if err != nil {
			return body, trailers, wire, err
		}
		if string(chunk[size:]) != "\r\n" {
			return body, trailers, wire, fmt.Errorf("chunk not followed by CRLF")
		}
	}
}

// sbsGunzip decompresses a gzip body: what it holds up to its end, or up to where it is
// cut or broken, with the reason.
func sbsGunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// sbsQuote shows bytes in a transcript: quoted, and summarised when long.
func sbsQuote(b []byte) string {
	if len(b) <= 2048 {
		return fmt.Sprintf("(%d) %q", len(b), b)
	}
	var sum uint32 = 2166136261 // FNV-1a: enough to tell two long bodies apart
	for _, c := range b {
		sum = (sum ^ uint32(c)) * 16777619
	}
	return fmt.Sprintf("(%d, fnv %08x) %q…%q", len(b), sum, b[:64], b[len(b)-64:])
}

// sbsUpstreamText writes what the backends recorded, masks applied.
func sbsUpstreamText(out *strings.Builder, recs []*sbsRecord, masks []sbsMask) {
	if len(recs) == 0 {
		out.WriteString("upstream: nothing\n")
		return
	}
	for _, r := range recs {
		head, body, _ := bytes.Cut(r.request, []byte("\r\n\r\n"))
		fmt.Fprintf(out, "upstream %s:\n", r.backend)
		if r.tls != "" {
			fmt.Fprintf(out, "  %s\n", r.tls)
		}
		if len(r.request) == 0 {
			out.WriteString("  (no bytes)\n")
		}
		for _, l := range strings.Split(string(head), "\r\n") {
			if len(r.request) == 0 {
				break
			}
			name, _, ok := strings.Cut(l, ":")
			for _, m := range masks {
				if ok && m.side == "upstream" && strings.EqualFold(m.name, name) {
					l = name + ": <masked>"
				}
			}
			fmt.Fprintf(out, "  %q\n", l)
		}
		if len(body) > 0 {
			fmt.Fprintf(out, "  body %s\n", sbsQuote(body))
		}
		if r.note != "" {
			fmt.Fprintf(out, "  ! %s\n", r.note)
		}
	}
}

// sbsLogTime is the time of an access-log line.
var sbsLogTime = regexp.MustCompile(`\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]`)

// sbsLogStatusBytes finds "$status $body_bytes_sent" after the request in a line of the
// combined format (quotes inside the request are escaped as \x22).
var sbsLogStatusBytes = regexp.MustCompile(`" (\d{3}) (\d+) "`)

// sbsLogText writes access-log lines, times and masks normalised, and the size of an
// error page the client got normalised as the page was, or of a gzip body replaced
// (sbsSizes).
func sbsLogText(out *strings.Builder, lines []string, masks []sbsMask, pages sbsSizes) {
	for _, l := range lines {
		l = sbsLogTime.ReplaceAllString(l, "[TIME]")
		l = sbsLogStatusBytes.ReplaceAllStringFunc(l, func(m string) string {
			sub := sbsLogStatusBytes.FindStringSubmatch(m)
			n, _ := strconv.Atoi(sub[2])
			if norm, ok := pages[n]; ok {
				return `" ` + sub[1] + " " + norm + ` "`
			}
			return m
		})
		for _, m := range masks {
			if m.side == "log" {
				l = regexp.MustCompile(m.name).ReplaceAllString(l, "<masked>")
			}
		}
		fmt.Fprintf(out, "log: %s\n", l)
	}
}
