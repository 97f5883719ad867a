package proxy

import (
	"bytes"
	"strconv"

	"github.com/nginxws/nginxws/directives"
)

// Client certificates (ssl_verify_client): the handshake asks for one and
// records the verification's outcome (tls.go); a request then meets
// nginx 1.22's checks of ngx_http_set_virtual_server (421) and
// ngx_http_process_request (495, 496).

// misdirected is the 421 of ngx_http_set_virtual_server: on a connection
// whose handshake named a server, a request whose host (Host, the
// request line's, or the empty name without either) finds another one
// (or none: the default) that verifies client certificates is
// refused, since its verification was not the one the handshake made.
// It is answered by the handshake's server.
func (x *exchange) misdirected() bool {
	c := x.c
	host := x.head.Server
	// A request without a host is looked up by the empty name.
	if c.info.TLSState == nil || c.sni == nil || x.ac.names == nil {
		return false
	}
	if x.ac.names.find(*c.sni, nil) == nil || bytes.Equal(*c.sni, host) {
		return false
	}
	if x.ac.selectServer(host, nil).srv.VerifyClient == directives.VerifyOff {
		return false
	}
	x.logEvent(levelInfo, "client attempted to request the server name different from the one that was negotiated", "", "reading client request headers")
	x.finalize(421)
	return true
}

// clientCertRefused is ngx_http_process_request's check of the client
// certificate against the request's server's ssl_verify_client: a failed
// verification is answered 495 (but for the unknown-issuer errors
// optional_no_ca accepts), a missing certificate 496 when it is "on".
func (x *exchange) clientCertRefused() bool {
	st := x.c.info.TLSState
	mode := x.srv.srv.VerifyClient
	if st == nil || mode == directives.VerifyOff {
		return false
	}
	if code := x.c.info.ClientVerify; code != 0 && len(st.PeerCertificates) > 0 &&
		(mode != directives.VerifyOptionalNoCA || !directives.VerifyErrorOptional(code)) {
		x.logEvent(levelInfo, "client SSL certificate verify error: ("+strconv.Itoa(code)+":"+directives.VerifyErrorText(code)+")", "", "reading client request headers")
		x.finalize(495)
		return true
	}
	if mode == directives.VerifyOn && len(st.PeerCertificates) == 0 {
		x.logEvent(levelInfo, "client sent no required SSL certificate", "", "reading client request headers")
		x.finalize(496)
		return true
	}
	return false
}
