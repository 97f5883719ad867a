package main

// The side-by-side suite's test backends: raw TCP (and unix-socket) servers that record the
// exact bytes each proxy sent them and answer with the canned reply of the running case.
// They serve nginx and then nginxws, so both proxies' upstream requests are recorded by
// the same code and compared.

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// Timeouts of the backends. They bound what a misbehaving proxy can cost, they are not
// waits the cases depend on (except sbsPauseTimeout, which is recorded when it fires).
const (
	sbsBackendReadTimeout = 3 * time.Second // reading one upstream request
	sbsPauseTimeout       = 1500 * time.Millisecond
	sbsDrainTimeout       = 5 * time.Second // waiting for the proxy to close after the reply
)

// sbsRecord is one upstream connection as a backend saw it.
type sbsRecord struct {
	backend string
	request []byte // the request head and the body its framing announced
	note    string // what went wrong while reading, or how a pause ended
	tls     string // on a BACKEND_TLS address: the handshake's version, SNI, resumption
	// done is closed when the record is final; nil when it is final at once. A
	// head-only reply records what the proxy sends after the head until it closes.
	done chan struct{}
}

// sbsBackends are the backends of one case directory and the state of the case running.
type sbsBackends struct {
	listeners []net.Listener
	wg        sync.WaitGroup

	mu      sync.Mutex
	replies map[string][]sbsReply // the running case's answers
	used    map[string]int        // connections each backend got in this case
	records []*sbsRecord
	resume  chan struct{} // closed by the client when a stream step saw its text
	conns   map[net.Conn]struct{}
}

// sbsStartBackends listens for n backends: backend i (named "b<i>") on a TCP port of
// 127.0.0.1, on the unix socket dir/b<i>.sock and, with TLS, on another TCP port. It
// returns the template variables BACKEND<i>, BACKEND_SOCK<i>, BACKEND_TLS<i>, and
// BACKEND_CA, a file holding the TLS backends' (self-signed) certificate.
func sbsStartBackends(n int, sockDir string) (*sbsBackends, map[string]string, error) {
	b := &sbsBackends{conns: map[net.Conn]struct{}{}}
	vars := map[string]string{}
	tlsConf, err := sbsBackendTLS(filepath.Join(sockDir, "backend-ca.pem"))
	if err != nil {
		return nil, nil, err
	}
	vars["BACKEND_CA"] = filepath.Join(sockDir, "backend-ca.pem")
	for i := 1; i <= n; i++ {
		name := "b" + strconv.Itoa(i)
		tcp, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			b.close()
			return nil, nil, err
		}
		b.listeners = append(b.listeners, tcp)
		path := filepath.Join(sockDir, name+".sock")
		unix, err := net.Listen("unix", path)
		if err != nil {
			b.close()
			return nil, nil, err
		}
		b.listeners = append(b.listeners, unix)
		secure, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			b.close()
			return nil, nil, err
		}
		b.listeners = append(b.listeners, secure)
		vars["BACKEND"+strconv.Itoa(i)] = tcp.Addr().String()
		vars["BACKEND_SOCK"+strconv.Itoa(i)] = "unix:" + path
		vars["BACKEND_TLS"+strconv.Itoa(i)] = secure.Addr().String()
		for _, ln := range []net.Listener{tcp, unix, tls.NewListener(secure, tlsConf)} {
			b.wg.Add(1)
			go b.accept(ln, name)
		}
	}
	return b, vars, nil
}

// begin prepares the backends for a case: its replies, fresh records, a fresh pause.
func (b *sbsBackends) begin(replies map[string][]sbsReply) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.replies = replies
	b.used = map[string]int{}
	b.records = nil
	b.resume = make(chan struct{})
}

// release ends the pause of the running case (a stream step saw its text).
func (b *sbsBackends) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.resume:
	default:
		close(b.resume)
	}
}

// end returns what the backends recorded during the case, once every record is final.
func (b *sbsBackends) end() []*sbsRecord {
	b.mu.Lock()
	recs := append([]*sbsRecord(nil), b.records...)
	b.mu.Unlock()
	for _, r := range recs {
		if r.done != nil {
			<-r.done // bounded by sbsDrainTimeout
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*sbsRecord, len(b.records))
	for i, r := range b.records {
		c := *r
		out[i] = &c
	}
	return out
}

// close stops the backends and every connection they hold.
func (b *sbsBackends) close() {
	for _, ln := range b.listeners {
		ln.Close()
	}
	b.mu.Lock()
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *sbsBackends) accept(ln net.Listener, name string) {
	defer b.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns[c] = struct{}{}
		b.mu.Unlock()
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.serve(c, name)
			b.mu.Lock()
			delete(b.conns, c)
			b.mu.Unlock()
			c.Close()
		}()
	}
}

// sbsDefaultReply is what a backend answers when the case gives it no reply.
func sbsDefaultReply(name string) sbsReply {
	body := name + "\n"
	return sbsReply{parts: [][]byte{[]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\nX-Backend: " + name + "\r\n\r\n" + body)}}
}

// sbsBackendTLS is the TLS backends' configuration: a certificate for
// "backend.test" made for the run (written to caPath, for proxy_ssl_trusted_certificate),
// the versions and session tickets of Go's server.
func sbsBackendTLS(caPath string) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "backend.test"},
		DNSNames: []string{"backend.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(caPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, nil
}

// serve reads one request, records it, and answers as the running case says.
func (b *sbsBackends) serve(c net.Conn, name string) {
	rec := &sbsRecord{backend: name}
	_ = c.SetReadDeadline(time.Now().Add(sbsBackendReadTimeout))
	br := bufio.NewReader(c)
	// The reply is chosen when the connection arrives: connections of one case are
	// numbered in accept order.
	b.mu.Lock()
	i := b.used[name]
	b.used[name]++
	reply := sbsDefaultReply(name)
	if rs := b.replies[name]; len(rs) > 0 {
		reply = rs[min(i, len(rs)-1)]
	}
	resume := b.resume
	// A TLS connection is recorded from its accept, final once its request is read:
	// a proxy that closes right after the handshake (a certificate it rejects) would
	// otherwise race the end of the case.
	var recorded chan struct{}
	tc, secure := c.(*tls.Conn)
	if secure {
		recorded = make(chan struct{})
		rec.done = recorded
		b.records = append(b.records, rec)
	}
	b.mu.Unlock()
	if secure {
		_ = tc.SetWriteDeadline(time.Now().Add(sbsBackendReadTimeout))
		err := tc.Handshake()
		_ = tc.SetWriteDeadline(time.Time{})
		b.mu.Lock()
		if err != nil {
			rec.note = "tls handshake failed"
		} else {
			st := tc.ConnectionState()
			rec.tls = fmt.Sprintf("tls %s, sni %q", directives.OpenSSLProtocolName(st.Version), st.ServerName)
			if st.DidResume {
				rec.tls += ", resumed"
			}
		}
		b.mu.Unlock()
		if err != nil {
			close(recorded)
			return
		}
	}

	req, err := sbsReadRequest(br, reply.headOnly)
	b.mu.Lock()
	rec.request = req
	if err != nil {
		rec.note = err.Error()
	}
	switch {
	case secure && reply.headOnly:
		defer close(recorded)
	case secure:
		close(recorded)
	case reply.headOnly:
		rec.done = make(chan struct{})
		defer close(rec.done)
	}
	if !secure {
		b.records = append(b.records, rec)
	}
	b.mu.Unlock()

	if reply.silent {
		// Hold the connection until the proxy gives up on it.
		_ = c.SetReadDeadline(time.Now().Add(sbsDrainTimeout))
		_, _ = io.Copy(io.Discard, br)
		return
	}
	for i, part := range reply.parts {
		// {{RESET}} (a placeholder the renderer leaves as written) ends the
		// reply with a reset: what precedes it is written, then the connection is
		// aborted (SO_LINGER 0), so that the proxy reads ECONNRESET.
		part, reset := bytes.CutSuffix(bytes.TrimSuffix(part, []byte("\r\n")), []byte(sbsResetMark))
		if !reset {
			part = reply.parts[i]
		}
		if i > 0 {
			select {
			case <-resume:
			case <-time.After(sbsPauseTimeout):
				b.mu.Lock()
				rec.note = strings.TrimSpace(rec.note + " (the client had not received the part before the pause when it timed out)")
				b.mu.Unlock()
			}
		}
		if err := sbsWriteSleeping(c, part); err != nil {
			return
		}
		if reset {
			sbsReset(c)
			return
		}
	}
	if reply.hold {
		// The response goes on, as far as the proxy knows, until it gives up.
		_ = c.SetReadDeadline(time.Now().Add(sbsDrainTimeout))
		if _, err := io.Copy(io.Discard, br); errors.Is(err, os.ErrDeadlineExceeded) {
			b.mu.Lock()
			rec.note = strings.TrimSpace(rec.note + " (the proxy kept the connection open)")
			b.mu.Unlock()
		}
		return
	}
	// Half-close and wait for the proxy to close: closing with unread input would send
	// a reset, which can reach the proxy before it reads the reply.
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(sbsDrainTimeout))
	n, err := io.Copy(io.Discard, br)
	if reply.headOnly {
		b.mu.Lock()
		if n > 0 {
			rec.note = strings.TrimSpace(fmt.Sprintf("%s (%d more bytes after the head)", rec.note, n))
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			rec.note = strings.TrimSpace(rec.note + " (the proxy kept the connection open)")
		}
		b.mu.Unlock()
	}
}

// sbsSleepMark, anywhere in a reply ({{SLEEP 100ms}}, alone on its line or
// before a trailing backslash), makes the backend wait that long there: an
// upstream that trickles its answer, which no client step releases.
var sbsSleepMark = regexp.MustCompile(`\{\{SLEEP ([0-9.]+m?s)\}\}(\r\n)?`)

// sbsWriteSleeping writes part, waiting where it holds a sleep mark.
func sbsWriteSleeping(c net.Conn, part []byte) error {
	for {
		loc := sbsSleepMark.FindSubmatchIndex(part)
		if loc == nil {
			_, err := c.Write(part)
			return err
		}
		if loc[0] > 0 {
			if _, err := c.Write(part[:loc[0]]); err != nil {
				return err
			}
		}
		d, err := time.ParseDuration(string(part[loc[2]:loc[3]]))
		if err != nil {
			return err
		}
		time.Sleep(d)
		part = part[loc[1]:]
	}
}

// sbsResetMark, at the end of a reply part (alone on its line or after a
// trailing backslash), makes the backend reset the connection there.
const sbsResetMark = "{{RESET}}"

// sbsReset aborts c with a reset instead of an orderly close. A reset drops
// what the kernel has not sent yet; on loopback a small write has been
// delivered by the time Write returns.
func sbsReset(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// sbsReadRequest reads one HTTP request as a server would: the head, then the body its
// Content-Length or chunked Transfer-Encoding announces. It returns the bytes read, with
// an error saying why reading stopped early. headOnly stops after the head.
func sbsReadRequest(br *bufio.Reader, headOnly bool) ([]byte, error) {
	var buf bytes.Buffer
	// The head.
	var lines []string
	for {
		line, err := br.ReadString('\n')
		buf.WriteString(line)
		if err != nil {
			return buf.Bytes(), sbsReadErr("request head", err, buf.Len())
		}
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed == "" {
			if len(lines) == 0 {
				continue // nginx never sends leading blank lines; tolerate them
			}
			break
		}
		lines = append(lines, trimmed)
		if buf.Len() > 1<<20 {
			return buf.Bytes(), errors.New("request head over 1 MiB")
		}
	}
	if headOnly {
		return buf.Bytes(), nil
	}
	length, chunked := int64(-1), false
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ":")
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "content-length":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				return buf.Bytes(), fmt.Errorf("bad Content-Length %q", value)
			}
			length = n
		case "transfer-encoding":
			chunked = strings.EqualFold(value, "chunked")
		}
	}
	switch {
	case chunked:
		for {
			line, err := br.ReadString('\n')
			buf.WriteString(line)
			if err != nil {
				return buf.Bytes(), sbsReadErr("chunked body", err, buf.Len())
			}
			sizeText, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
			size, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 64)
			if err != nil || size < 0 {
				return buf.Bytes(), fmt.Errorf("bad chunk size line %q", line)
			}
			if size == 0 {
				for { // trailers up to the empty line
					line, err := br.ReadString('\n')
					buf.WriteString(line)
					if err != nil {
						return buf.Bytes(), sbsReadErr("chunked trailer", err, buf.Len())
					}
					if strings.TrimRight(line, "\r\n") == "" {
						return buf.Bytes(), nil
					}
				}
			}
			if _, err := io.CopyN(&buf, br, size+2); err != nil {
				return buf.Bytes(), sbsReadErr("chunk", err, buf.Len())
			}
		}
	case length > 0:
		if _, err := io.CopyN(&buf, br, length); err != nil {
			return buf.Bytes(), sbsReadErr("body", err, buf.Len())
		}
	}
	return buf.Bytes(), nil
}

// sbsReadErr words a read error of the backend for the transcript.
func sbsReadErr(what string, err error, got int) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("timed out reading the %s (%d bytes so far)", what, got)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("connection closed in the %s (%d bytes so far)", what, got)
	}
	return fmt.Errorf("reading the %s: %v", what, err)
}

// sbsBlackhole is an address where connecting times out instead of being refused: a
// socket of 127.0.0.1 listening with a backlog of 0 whose accept queue is filled by
// connections of its own and never accepted, so that the kernel drops further SYNs
// (proxy_connect_timeout, "upstream timed out (110: Connection timed out) while
// connecting to upstream") without a packet leaving the loopback interface.
type sbsBlackhole struct {
	fd    int
	addr  string
	conns []net.Conn
}

// sbsDeadAddr returns a 127.0.0.1 address where connections are refused
// ({{DEAD1}}, …) and a function that frees it. The port is held by a
// socket bound to it that never listens: a port merely found free could be
// taken by anything else on the machine (another test's backend) before
// the case connects to it, and the "refused" peer would answer.
func sbsDeadAddr() (string, func(), error) {
	fd, addr, err := sbsBoundSocket()
	if err != nil {
		return "", nil, err
	}
	return addr, func() { _ = syscall.Close(fd) }, nil
}

// sbsBoundSocket returns a TCP socket bound to 127.0.0.1 on a port the
// kernel chose, not listening, and its address.
func sbsBoundSocket() (int, string, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, "", err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		_ = syscall.Close(fd)
		return -1, "", err
	}
	name, err := syscall.Getsockname(fd)
	if err != nil {
		_ = syscall.Close(fd)
		return -1, "", err
	}
	return fd, "127.0.0.1:" + strconv.Itoa(name.(*syscall.SockaddrInet4).Port), nil
}

func sbsStartBlackhole() (*sbsBlackhole, error) {
	fd, addr, err := sbsBoundSocket()
	if err != nil {
		return nil, err
	}
	h := &sbsBlackhole{fd: fd, addr: addr}
	if err := syscall.Listen(fd, 0); err != nil {
		h.close()
		return nil, err
	}
	// Connect until a connection does not complete: the queue is full then.
	for len(h.conns) < 16 {
		c, err := net.DialTimeout("tcp4", h.addr, 200*time.Millisecond)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return h, nil
			}
			h.close()
			return nil, err
		}
		h.conns = append(h.conns, c)
	}
	h.close()
	return nil, fmt.Errorf("blackhole %s: the accept queue does not fill", h.addr)
}

func (h *sbsBlackhole) close() {
	for _, c := range h.conns {
		c.Close()
	}
	syscall.Close(h.fd)
}
