package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// Referers is a level's valid_referers once merged
// (ngx_http_referer_conf_t): what makes $invalid_referer empty.
type Referers struct {
	// None accepts a request without Referer; Blocked one whose Referer
	// does not start with "http://" or "https://" (or is shorter than
	// "http://i.ru").
	None, Blocked bool
	// hosts maps the names (valid_referers' own and, with server_names,
	// the server's) to the URI prefix the rest of the Referer must start
	// with, "" for any.
	hosts hostTable[string]
	// regexes are matched against the Referer after its scheme;
	// serverNameRegexes (the server's "~" names) against the host part
	// lower-cased. Neither sets captures (ngx_regex_exec_array).
	regexes, serverNameRegexes []*Regexp
}

// refererSpec is what one level's valid_referers lines said, kept for the
// merge (ngx_http_referer_merge_conf), which adds the server's names.
type refererSpec struct {
	none, blocked, serverNames bool
	// keys tracks the names for nginx's conflict check; hosts and uris
	// are the names and their URI parts in order.
	keys    *mapKeys
	hosts   []string
	uris    []string
	regexes []*Regexp
	server  *Server
}

// setValidReferers reproduces ngx_http_valid_referers: each argument is
// "none", "blocked", "server_names", "~regex" (caseless) or a name
// (exact or wildcard) with an optional URI part from its first "/".
func (l *loader) setValidReferers(d *parser.Directive, sc *scope) error {
	spec := sc.loc.referers
	if spec == nil {
		spec = &refererSpec{keys: newMapKeys(), server: sc.server}
		sc.loc.referers = spec
	}
	for _, a := range d.Args {
		v := a.Value
		switch {
		case v == "":
			return l.errf(d, `invalid referer "%s"`, v)
		case v == "none":
			spec.none = true
		case v == "blocked":
			spec.blocked = true
		case v == "server_names":
			spec.serverNames = true
		case v[0] == '~':
			if len(v) == 1 {
				return l.errf(d, `empty regex in "%s"`, v)
			}
			// ngx_regex_compile, not ngx_http_regex_compile: named
			// captures declare no variables.
			re, err := compileRegexp(v[1:], true)
			if err != nil {
				return errAt(d.Pos, "%s", err.Error())
			}
			spec.regexes = append(spec.regexes, re)
		default:
			host, uri := v, ""
			if i := strings.IndexByte(v, '/'); i >= 0 {
				host, uri = v[:i], v[i:]
			}
			if err := spec.add(host, uri); err != "" {
				return l.errf(d, "%s", err)
			}
		}
	}
	return nil
}

// add is ngx_http_add_referer: a name and its URI part ("" for none),
// or nginx's message when the name is not one.
func (spec *refererSpec) add(host, uri string) string {
	valid, conflict := spec.keys.add(host, true)
	switch {
	case !valid:
		return `invalid hostname or wildcard "` + host + `"`
	case conflict:
		return `conflicting parameter "` + lowerString(host) + `"`
	}
	spec.hosts = append(spec.hosts, lowerString(host))
	spec.uris = append(spec.uris, uri)
	return ""
}

// mergeReferers gives every level of every server its Referers, parents
// first, as ngx_http_referer_merge_conf; errors are nginx's, at the http
// block's end (end) or without a position.
func (l *loader) mergeReferers(h *HTTP, end parser.Pos) error {
	for _, s := range h.Servers {
		if err := l.mergeRefererLevel(s.Conf, h.Conf, end); err != nil {
			return err
		}
		if err := l.mergeRefererLocations(s.Locations, s.Conf, end); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) mergeRefererLocations(locs []*Location, parent *LocConf, end parser.Pos) error {
	for _, loc := range locs {
		if err := l.mergeRefererLevel(loc.Conf, parent, end); err != nil {
			return err
		}
		if err := l.mergeRefererLocations(loc.Locations, loc.Conf, end); err != nil {
			return err
		}
	}
	return nil
}

// mergeRefererLevel merges one level and passes the result to its "if"
// and limit_except blocks, where valid_referers cannot appear. A level
// without valid_referers takes its parent's whole; one with them takes
// its own names, none and blocked, and its parent's regexes (of either
// kind) when it has none of its own: nginx merges those two lists on
// their own.
func (l *loader) mergeRefererLevel(c, p *LocConf, end parser.Pos) error {
	spec := c.referers
	if spec == nil {
		c.Referers = p.Referers
	} else {
		rf, err := l.buildReferers(spec, p.Referers, int64(c.RefererHashMaxSize), int64(c.RefererHashBucketSize), end)
		if err != nil {
			return err
		}
		c.Referers = rf
	}
	for _, ic := range c.ifs {
		if err := l.mergeRefererLevel(ic, c, end); err != nil {
			return err
		}
	}
	if c.LimitExcept != nil {
		return l.mergeRefererLevel(c.LimitExcept, c, end)
	}
	return nil
}

// buildReferers is the part of ngx_http_referer_merge_conf for a level
// with valid_referers.
func (l *loader) buildReferers(spec *refererSpec, parent *Referers, maxSize, bucket int64, end parser.Pos) (*Referers, error) {
	rf := &Referers{None: spec.none, Blocked: spec.blocked, regexes: spec.regexes}
	if spec.serverNames {
		names := spec.server.Names
		if len(names) == 0 {
			// ngx_http_core_merge_srv_conf has given the server the
			// name "" by then.
			names = []ServerName{{}}
		}
		for _, n := range names {
			if n.Regex != nil {
				rf.serverNameRegexes = append(rf.serverNameRegexes, n.Regex)
				continue
			}
			if msg := spec.add(n.Name, ""); msg != "" {
				return nil, errAt(end, "%s", msg)
			}
		}
	}
	if (spec.none || spec.blocked) && len(spec.hosts) == 0 {
		return nil, errAt(parser.Pos{}, `the "none" or "blocked" referers are specified in the "valid_referers" directive without any valid referer`)
	}
	var exact, wild []string
	for i, h := range spec.hosts {
		rf.hosts.add(h, spec.uris[i], true)
		if isWildcardName(h) {
			wild = append(wild, h)
		} else {
			exact = append(exact, h)
		}
	}
	if err := l.checkHash("referer_hash", align(bucket, cacheLine), maxSize, exact, wild); err != nil {
		return nil, err
	}
	if parent != nil {
		if rf.regexes == nil {
			rf.regexes = parent.regexes
		}
		if rf.serverNameRegexes == nil {
			rf.serverNameRegexes = parent.serverNameRegexes
		}
	}
	return rf, nil
}

// Valid is ngx_http_referer_variable's answer for a request whose first
// Referer header is referer (present false: none): whether
// $invalid_referer is empty. A nil Referers, or one with neither names nor
// regexes, accepts everything.
func (rf *Referers) Valid(referer []byte, present bool) bool {
	if rf == nil || rf.hosts.empty() && rf.regexes == nil && rf.serverNameRegexes == nil {
		return true
	}
	if !present {
		return rf.None
	}
	ref := referer
	switch {
	case len(ref) < len("http://i.ru"):
		return rf.Blocked
	case hasFoldPrefix(ref, "http://"):
		ref = ref[len("http://"):]
	case hasFoldPrefix(ref, "https://"):
		ref = ref[len("https://"):]
	default:
		return rf.Blocked
	}
	// The host: up to a "/" or ":", lower-cased, 256 bytes at most.
	var buf [256]byte
	n := 0
	for n < len(ref) && ref[n] != '/' && ref[n] != ':' {
		if n == len(buf) {
			return false
		}
		c := ref[n]
		if c >= 'A' && c <= 'Z' {
			c |= 0x20
		}
		buf[n] = c
		n++
	}
	host := buf[:n]
	if uri, ok := rf.hosts.find(host); ok {
		if uri == "" {
			return true
		}
		// The URI part is compared from the first "/" after the host
		// (past a port), exactly.
		rest := ref[n:]
		for len(rest) > 0 && rest[0] != '/' {
			rest = rest[1:]
		}
		return len(rest) >= len(uri) && string(rest[:len(uri)]) == uri
	}
	for _, re := range rf.serverNameRegexes {
		if re.Match(host) {
			return true
		}
	}
	for _, re := range rf.regexes {
		if re.Match(ref) {
			return true
		}
	}
	return false
}

// RefererRequest is implemented by a Request that knows the level it is
// at: $invalid_referer reads that level's valid_referers. A Request
// without it has every Referer valid.
type RefererRequest interface {
	Referers() *Referers
}

// getInvalidReferer is $invalid_referer: "" when the Referer is valid
// where the request is, "1" when it is not.
func getInvalidReferer(s *State, _ *varDef) ([]byte, bool) {
	var rf *Referers
	if rr, ok := s.r.(RefererRequest); ok {
		rf = rr.Referers()
	}
	ref, present := s.firstHeader(RequestHeaders, "referer")
	if rf.Valid(ref, present) {
		return []byte{}, true
	}
	return s.str("1")
}
