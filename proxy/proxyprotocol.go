package proxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// proxyProtocolTLSPeek is what nginx peeks of a TLS connection for its
// PROXY protocol header (NGX_PROXY_PROTOCOL_MAX_HEADER + 1, the buffer of
// ngx_http_ssl_handshake): a longer header — a v2 header with large
// TLVs, a long "PROXY UNKNOWN" line — is refused there.
const proxyProtocolTLSPeek = 108

// proxyV2Signature opens a v2 header.
var proxyV2Signature = [12]byte{'\r', '\n', '\r', '\n', 0, '\r', '\n', 'Q', 'U', 'I', 'T', '\n'}

// proxyHeaderResult is what parseProxyHeader made of the bytes read.
type proxyHeaderResult struct {
	// header is the addresses, nil for a header without (UNKNOWN, LOCAL,
	// an unsupported family or transport).
	header *directives.ProxyHeader
	// n is the header's length, the bytes to consume; -1 when the header
	// is refused and the connection is to be closed.
	n int
	// errMsg is the error-level line nginx logs for a refused header
	// ("" for the refusals nginx closes without a word).
	errMsg string
}

// parseProxyHeader is ngx_proxy_protocol_read on the bytes one read (or
// peek) gave: the header must be whole in them; nginx does not wait for
// more.
func parseProxyHeader(buf []byte) proxyHeaderResult {
	if len(buf) >= 16 && bytes.Equal(buf[:12], proxyV2Signature[:]) {
		return parseProxyV2(buf)
	}
	broken := proxyHeaderResult{n: -1, errMsg: `broken header: "` + string(buf) + `"`}
	if len(buf) < 8 || !bytes.HasPrefix(buf, []byte("PROXY ")) {
		return broken
	}
	p := buf[6:]
	if bytes.HasPrefix(p, []byte("UNKNOWN")) {
		// The rest of the line is not looked at.
		if i := bytes.Index(p[7:], []byte("\r\n")); i >= 0 {
			return proxyHeaderResult{n: len(buf) - len(p) + 7 + i + 2}
		}
		return broken
	}
	if len(p) < 5 || !bytes.HasPrefix(p, []byte("TCP")) || (p[3] != '4' && p[3] != '6') || p[4] != ' ' {
		return broken
	}
	p = p[5:]
	var h directives.ProxyHeader
	var ok bool
	if h.SrcAddr, p, ok = readProxyAddr(p); !ok {
		return broken
	}
	if h.DstAddr, p, ok = readProxyAddr(p); !ok {
		return broken
	}
	if h.SrcPort, p, ok = readProxyPort(p, ' '); !ok {
		return broken
	}
	if h.DstPort, p, ok = readProxyPort(p, '\r'); !ok {
		return broken
	}
	if len(p) == 0 || p[0] != '\n' {
		return broken
	}
	return proxyHeaderResult{header: &h, n: len(buf) - len(p) + 1}
}

// readProxyAddr is ngx_proxy_protocol_read_addr: the text up to a space,
// of hex digits, dots and colons only (not checked to be an address:
// nginx keeps it as sent).
func readProxyAddr(p []byte) (string, []byte, bool) {
	for i, ch := range p {
		if ch == ' ' {
			return string(p[:i]), p[i+1:], true
		}
		if ch != ':' && ch != '.' && !isHexDigit(ch) {
			return "", nil, false
		}
	}
	return "", nil, false
}

func isHexDigit(ch byte) bool {
	return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F'
}

// readProxyPort is ngx_proxy_protocol_read_port: the decimal up to sep,
// 0 to 65535 (leading zeros allowed, nothing else).
func readProxyPort(p []byte, sep byte) (uint16, []byte, bool) {
	i := bytes.IndexByte(p, sep)
	if i <= 0 || i > 5 {
		return 0, nil, false
	}
	n := 0
	for _, ch := range p[:i] {
		if ch < '0' || ch > '9' {
			return 0, nil, false
		}
		n = n*10 + int(ch-'0')
	}
	if n > 65535 {
		return 0, nil, false
	}
	return uint16(n), p[i+1:], true
}

// parseProxyV2 is ngx_proxy_protocol_v2_read. TLVs are skipped: nginx
// 1.22 has no $proxy_protocol_tlv_* (1.23.2 added them).
func parseProxyV2(buf []byte) proxyHeaderResult {
	if version := buf[12] >> 4; version != 2 {
		return proxyHeaderResult{n: -1, errMsg: "unknown PROXY protocol version: " + strconv.Itoa(int(version))}
	}
	body := buf[16:]
	size := int(binary.BigEndian.Uint16(buf[14:16]))
	if len(body) < size {
		return proxyHeaderResult{n: -1, errMsg: "header is too large"}
	}
	end := 16 + size
	body = body[:size]
	command, transport, family := buf[12]&0x0f, buf[13]&0x0f, buf[13]>>4
	// Only PROXY over STREAM names addresses; LOCAL and the rest are
	// skipped whole.
	if command != 1 || transport != 1 {
		return proxyHeaderResult{n: end}
	}
	var src, dst netip.Addr
	var ports []byte
	switch family {
	case 1:
		if len(body) < 12 {
			return proxyHeaderResult{n: -1}
		}
		src, dst = netip.AddrFrom4([4]byte(body[0:4])), netip.AddrFrom4([4]byte(body[4:8]))
		ports = body[8:12]
	case 2:
		if len(body) < 36 {
			return proxyHeaderResult{n: -1}
		}
		src, dst = netip.AddrFrom16([16]byte(body[0:16])), netip.AddrFrom16([16]byte(body[16:32]))
		ports = body[32:36]
	default:
		return proxyHeaderResult{n: end}
	}
	return proxyHeaderResult{n: end, header: &directives.ProxyHeader{
		SrcAddr: directives.AddrText(src),
		DstAddr: directives.AddrText(dst),
		SrcPort: binary.BigEndian.Uint16(ports[0:2]),
		DstPort: binary.BigEndian.Uint16(ports[2:4]),
	}}
}

// readProxyProtocol reads the PROXY protocol header that starts every
// connection of a "listen … proxy_protocol" address, as
// ngx_http_wait_request_handler (plain) and ngx_http_ssl_handshake (TLS)
// do: whatever the first read brings (up to size bytes: the default
// server's client_header_buffer_size, or proxyProtocolTLSPeek before a
// handshake) must hold the whole header. It looks without reading, then
// consumes the header alone, so that what follows — the request, the
// ClientHello — is read as if the header had never been there. It
// reports false when the connection is to be closed (its line logged);
// nginx sends nothing on a refused header.
func (c *conn) readProxyProtocol(ac *addrConf, size int, tlsNext bool) bool {
	buf := make([]byte, size)
	n, err := peekInto(c.sock, buf)
	if err != nil {
		c.proxyProtocolEnd(ac, err)
		return false
	}
	res := parseProxyHeader(buf[:n])
	if res.n < 0 {
		if res.errMsg != "" {
			c.proxyProtocolRefused(ac, res.errMsg)
		}
		if !tlsNext {
			// nginx's recv took these bytes: its close is orderly
			// unless more came after them.
			_, _ = io.ReadFull(c.sock, buf[:n])
		}
		return false
	}
	if _, err := io.ReadFull(c.sock, buf[:res.n]); err != nil {
		return false
	}
	c.info.ProxyProtocol = res.header
	return true
}

// proxyProtocolRefused logs a refused header at error level, in the
// error log of the address's default server.
func (c *conn) proxyProtocolRefused(ac *addrConf, msg string) {
	rt := c.s.rt.Load()
	rt.acquire()
	defer rt.release()
	log := rt.errLogs.forConf(ac.def.srv.Conf, c.s.log)
	if log.Enabled(levelError) {
		// A broken header's bytes go in as they came, binary or not.
		errlog.Msg(log.Error().Uint64("conn", c.number).Str("action", "reading PROXY protocol").Str("client", c.remoteAddr).Str("server", ac.text), msg)
	}
}

// proxyProtocolEnd logs, at info level, a connection that timed out or
// ended before its header came.
func (c *conn) proxyProtocolEnd(ac *addrConf, err error) {
	if c.wasReused() {
		return
	}
	rt := c.s.rt.Load()
	rt.acquire()
	defer rt.release()
	log := rt.errLogs.forConf(ac.def.srv.Conf, c.s.log)
	if !log.Enabled(levelInfo) {
		return
	}
	var ne net.Error
	e := log.Info().Uint64("conn", c.number)
	msg := ""
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		msg = "client timed out"
		e = e.Str("errno", "110: Connection timed out")
	case err == io.EOF:
		msg = "client closed connection"
	case errors.Is(err, syscall.ECONNRESET):
		msg = "recv() failed"
		e = e.Str("errno", "104: Connection reset by peer")
	default:
		return
	}
	e.Str("action", "reading PROXY protocol").Str("client", c.remoteAddr).Str("server", ac.text).Msg(msg)
}

// peekInto waits, reading nothing, for the connection's first bytes and
// copies what is there, up to len(buf).
func peekInto(nc net.Conn, buf []byte) (int, error) {
	rc, ok := rawConn(nc)
	if !ok {
		return 0, errNoDescriptor
	}
	var n int
	var rerr error
	err := rc.Read(func(fd uintptr) bool {
		for {
			n, _, rerr = syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if rerr != syscall.EINTR {
				return rerr != syscall.EAGAIN
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, os.NewSyscallError("recv", rerr)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
