package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// Syslog is a "syslog:" log target (ngx_syslog_peer_t): the server's
// resolved address (UDP, port 514 by default), the facility and, for
// access_log, the severity (an error_log line takes its own level's), the
// tag, and whether the header names the host.
type Syslog struct {
	Server     string // "ip:port"
	Facility   int
	Severity   int
	Tag        string
	NoHostname bool
}

// syslogFacilities and syslogSeverities are nginx's names, in number order.
var (
	syslogFacilities = []string{"kern", "user", "mail", "daemon", "auth", "intern", "lpr", "news", "uucp",
		"clock", "authpriv", "ftp", "ntp", "audit", "alert", "cron", "local0",
		"local1", "local2", "local3", "local4", "local5", "local6", "local7"}
	syslogSeverities = []string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}
)

// parseSyslog reproduces ngx_syslog_process_conf on "syslog:…".
func (l *loader) parseSyslog(d *parser.Directive, v string) (*Syslog, error) {
	s := &Syslog{Facility: -1, Severity: -1}
	tagSet := false
	for _, p := range strings.Split(v[len("syslog:"):], ",") {
		switch {
		case strings.HasPrefix(p, "server="):
			if s.Server != "" {
				return nil, l.errf(d, `duplicate syslog "server"`)
			}
			u := parseURL(p[7:], urlOpts{defaultPort: 514}, l.resolve)
			if u.err != "" {
				return nil, l.errf(d, `%s in syslog server "%s"`, u.err, p[7:])
			}
			if len(u.addrs) == 0 {
				return nil, l.errf(d, `host not found in syslog server "%s"`, p[7:])
			}
			s.Server = u.addrs[0]
		case strings.HasPrefix(p, "facility="):
			if s.Facility >= 0 {
				return nil, l.errf(d, `duplicate syslog "facility"`)
			}
			if s.Facility = indexOf(syslogFacilities, p[9:]); s.Facility < 0 {
				return nil, l.errf(d, `unknown syslog facility "%s"`, p[9:])
			}
		case strings.HasPrefix(p, "severity="):
			if s.Severity >= 0 {
				return nil, l.errf(d, `duplicate syslog "severity"`)
			}
			if s.Severity = indexOf(syslogSeverities, p[9:]); s.Severity < 0 {
				return nil, l.errf(d, `unknown syslog severity "%s"`, p[9:])
			}
		case strings.HasPrefix(p, "tag="):
			if tagSet {
				return nil, l.errf(d, `duplicate syslog "tag"`)
			}
			tag := p[4:]
			if len(tag) > 32 {
				return nil, l.errf(d, "syslog tag length exceeds 32")
			}
			for i := 0; i < len(tag); i++ {
				c := tag[i]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				if c < '0' || (c > '9' && c < 'a' && c != '_') || c > 'z' {
					return nil, l.errf(d, `syslog "tag" only allows alphanumeric characters and underscore`)
				}
			}
			s.Tag, tagSet = tag, true
		case p == "nohostname":
			s.NoHostname = true
		default:
			return nil, l.errf(d, `unknown syslog parameter "%s"`, p)
		}
	}
	if s.Server == "" {
		return nil, l.errf(d, "no syslog server specified")
	}
	if s.Facility < 0 {
		s.Facility = 23 // local7
	}
	if s.Severity < 0 {
		s.Severity = 6 // info
	}
	if !tagSet {
		s.Tag = "nginx"
	}
	return s, nil
}

func indexOf(list []string, v string) int {
	for i, s := range list {
		if s == v {
			return i
		}
	}
	return -1
}
