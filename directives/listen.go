package directives

import (
	"os"
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// Listen is one `listen` directive of a server, normalised.
type Listen struct {
	// Network is "tcp" or "unix".
	Network string
	// Addr is "ip:port" with IPv6 in brackets ("0.0.0.0:80", "[::]:8080",
	// "127.0.0.1:8080"), or the socket path for unix.
	Addr          string
	DefaultServer bool
	Backlog       int // 0: nginx's default (511)
	ReusePort     bool
	IPv6Only      bool // nginx's default is on for [::] addresses
	SSL           bool
	HTTP2         bool
	// ProxyProtocol: every connection to the address starts with a PROXY
	// protocol header (v1 or v2), read before the request or the TLS
	// handshake.
	ProxyProtocol bool
	// Opts are the options nginx sets on the socket once it is bound.
	Opts SockOpts
	Pos  parser.Pos
	// Bind is set when the listen gives socket options (nginx's
	// lsopt.set, which only one listen of an address may give): the
	// address then gets a socket of its own even beside a wildcard listen
	// of its port (nginx's lsopt.bind, which every option implies on
	// Linux), as it does with "bind".
	Bind bool
}

// SockOpts are the options of a listening socket that nginx sets once it
// is bound (ngx_configure_listening_sockets) and again at every reload;
// accepted connections inherit them from the listening socket.
type SockOpts struct {
	// RcvBuf and SndBuf are SO_RCVBUF and SO_SNDBUF (rcvbuf=, sndbuf=),
	// set when HasRcvBuf, HasSndBuf.
	RcvBuf, SndBuf       int
	HasRcvBuf, HasSndBuf bool
	// KeepAlive is so_keepalive=: 0 not given, 1 on (SO_KEEPALIVE set),
	// 2 off (cleared). KeepIdle and KeepIntvl (seconds) and KeepCnt are
	// its TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT, 0 where not given.
	KeepAlive                    int
	KeepIdle, KeepIntvl, KeepCnt int
	// Deferred is deferred: TCP_DEFER_ACCEPT.
	Deferred bool
	// FastOpen is TCP_FASTOPEN's queue (fastopen=), set when HasFastOpen.
	FastOpen    int
	HasFastOpen bool
}

// Listeners returns every distinct listening address of the configuration
// in config order (the order nginx binds them in is by port and address;
// callers needing that can sort), each with the options of the listen
// that set them (nginx allows options on one listen per address) and
// DefaultServer set when any server marked it default, SSL and
// ProxyProtocol when any listen of the address asked for them.
func (c *Config) Listeners() []Listen {
	if c.HTTP == nil {
		return nil
	}
	var out []Listen
	index := map[string]int{}
	for _, s := range c.HTTP.Servers {
		for _, ls := range s.Listens {
			i, ok := index[ls.Addr]
			if !ok {
				index[ls.Addr] = len(out)
				out = append(out, ls)
				continue
			}
			def := out[i].DefaultServer || ls.DefaultServer
			// One "ssl" makes the address TLS (ngx_http_add_addresses).
			ssl := out[i].SSL || ls.SSL
			pp := out[i].ProxyProtocol || ls.ProxyProtocol
			if ls.Bind && !out[i].Bind {
				out[i] = ls
			}
			out[i].DefaultServer, out[i].SSL, out[i].ProxyProtocol = def, ssl, pp
		}
	}
	return out
}

// parseSoKeepalive reads so_keepalive=on|off|[idle]:[intvl]:[cnt] into o
// as ngx_http_core_listen does (idle and intvl are times in seconds, cnt a
// number; at least one of them non-zero); false when it is invalid.
func parseSoKeepalive(v string, o *SockOpts) bool {
	switch v {
	case "on":
		o.KeepAlive = 1
		return true
	case "off":
		o.KeepAlive = 2
		return true
	}
	// idle:intvl:cnt, the count read up to the end, colons and all.
	parts := strings.SplitN(v, ":", 3)
	var idle, intvl, cnt int64
	var ok bool
	if parts[0] != "" {
		if idle, ok = parseTime(parts[0], true); !ok {
			return false
		}
	}
	if len(parts) > 1 && parts[1] != "" {
		if intvl, ok = parseTime(parts[1], true); !ok {
			return false
		}
	}
	if len(parts) > 2 && parts[2] != "" {
		if cnt, ok = Atoi(parts[2]); !ok {
			return false
		}
	}
	// nginx keeps them in ints.
	o.KeepIdle, o.KeepIntvl, o.KeepCnt = int(int32(idle)), int(int32(intvl)), int(int32(cnt))
	if o.KeepIdle == 0 && o.KeepIntvl == 0 && o.KeepCnt == 0 {
		return false
	}
	o.KeepAlive = 1
	return true
}

// defaultListen is the listen nginx gives a server without one
// (ngx_http_core_merge_srv_conf): *:80 for root, *:8000 otherwise.
func defaultListen(pos parser.Pos) Listen {
	port := "8000"
	if os.Getuid() == 0 {
		port = "80"
	}
	return Listen{Network: "tcp", Addr: "0.0.0.0:" + port, Pos: pos}
}

// setListen reproduces ngx_http_core_listen.
func (l *loader) setListen(d *parser.Directive, sc *scope) error {
	sc.server.hasListen = true
	v := d.Args[0].Value
	u := parseURL(v, urlOpts{listen: true, defaultPort: 80}, l.resolve)
	if u.err != "" {
		return l.errf(d, `%s in "%s" of the "listen" directive`, u.err, v)
	}
	ls := Listen{Network: "tcp", Pos: d.Pos}
	if u.unix != "" {
		ls.Network = "unix"
	}
	isV6 := strings.HasPrefix(v, "[")
	ls.IPv6Only = isV6
	for _, a := range d.Args[1:] {
		p := a.Value
		key, _, _ := strings.Cut(p, "=")
		switch {
		case p == "default_server" || p == "default":
			ls.DefaultServer = true
		case p == "bind":
			ls.Bind = true
		case p == "deferred":
			ls.Opts.Deferred = true
			ls.Bind = true
		case strings.HasPrefix(p, "backlog="):
			n, ok := Atoi(p[8:])
			if !ok || n == 0 {
				return l.errf(d, `invalid backlog "%s"`, p)
			}
			ls.Backlog = int(n)
			ls.Bind = true
		case strings.HasPrefix(p, "rcvbuf="), strings.HasPrefix(p, "sndbuf="):
			n, ok := parseSize(p[7:])
			if !ok {
				return l.errf(d, `invalid %s "%s"`, key, p)
			}
			if key == "rcvbuf" {
				ls.Opts.RcvBuf, ls.Opts.HasRcvBuf = int(int32(n)), true
			} else {
				ls.Opts.SndBuf, ls.Opts.HasSndBuf = int(int32(n)), true
			}
			ls.Bind = true
		case strings.HasPrefix(p, "fastopen="):
			n, ok := Atoi(p[9:])
			if !ok {
				return l.errf(d, `invalid fastopen "%s"`, p)
			}
			ls.Opts.FastOpen, ls.Opts.HasFastOpen = int(int32(n)), true
			ls.Bind = true
		case strings.HasPrefix(p, "ipv6only=o"):
			switch p[10:] {
			case "n":
				ls.IPv6Only = true
			case "ff":
				ls.IPv6Only = false
			default:
				return l.errf(d, `invalid ipv6only flags "%s"`, p[9:])
			}
			ls.Bind = true
		case p == "reuseport":
			ls.ReusePort = true
			ls.Bind = true
		case p == "ssl":
			ls.SSL = true
		case p == "http2":
			ls.HTTP2 = true
		case p == "proxy_protocol":
			// Not a socket option (no lsopt.set): any listen of the
			// address may say it, and one saying it gives it to all
			// the address's servers (ngx_http_add_addresses).
			ls.ProxyProtocol = true
		case strings.HasPrefix(p, "so_keepalive="):
			if !parseSoKeepalive(p[13:], &ls.Opts) {
				return l.errf(d, `invalid so_keepalive value: "%s"`, p[13:])
			}
			ls.Bind = true
		case strings.HasPrefix(p, "accept_filter="):
			// Linux has no accept filters: nginx logs this (at emerg
			// level, yet goes on) and sets no option. setfib= is not
			// compiled in at all there, so it is an invalid parameter.
			l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: `accept filters "` + p + `" are not supported on this platform, ignored`, Pos: d.Pos, Emerg: true})
		default:
			return l.errf(d, `invalid parameter "%s"`, p)
		}
	}
	if ls.HTTP2 {
		l.refuseLater(l.errf(d, `"http2" parameter of the "listen" directive is not supported`))
	}
	seen := map[string]bool{}
	for _, addr := range u.addrs {
		if seen[addr] {
			continue
		}
		seen[addr] = true
		one := ls
		one.Addr = strings.TrimPrefix(addr, "unix:")
		if err := l.addListen(d.Pos, sc.server, one); err != nil {
			return err
		}
	}
	return nil
}

// listenAddr is nginx's per-address record (ngx_http_conf_addr_t): the
// servers on it, the one with options, the default server.
type listenAddr struct {
	servers    []*Server
	optsSet    bool
	defaultSet bool
	// first is the first listen of the address (its network and text);
	// def the address's default server: the one whose listen says
	// default_server, else the first.
	first Listen
	def   *Server
}

// addrText is an address as nginx prints it in listen errors.
func addrText(ls Listen) string {
	if ls.Network == "unix" {
		return "unix:" + ls.Addr
	}
	return ls.Addr
}

// addListen reproduces ngx_http_add_listen/ngx_http_add_addresses: the
// checks nginx makes when a server joins an address.
func (l *loader) addListen(pos parser.Pos, s *Server, ls Listen) error {
	hb := l.http
	a := hb.addrs[ls.Addr]
	if a == nil {
		a = &listenAddr{first: ls, def: s}
		hb.addrs[ls.Addr] = a
		hb.addrOrder = append(hb.addrOrder, ls.Addr)
	}
	for _, other := range a.servers {
		if other == s {
			return errAt(pos, "a duplicate listen %s", addrText(ls))
		}
	}
	a.servers = append(a.servers, s)
	if ls.Bind {
		if a.optsSet {
			return errAt(pos, "duplicate listen options for %s", addrText(ls))
		}
		a.optsSet = true
	}
	if ls.DefaultServer {
		if a.defaultSet {
			return errAt(pos, "a duplicate default server for %s", addrText(ls))
		}
		a.defaultSet = true
		a.def = s
	}
	s.Listens = append(s.Listens, ls)
	return nil
}
