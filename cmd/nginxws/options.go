package main

import (
	"strings"

	"github.com/nginxws/nginxws/directives"
)

// Build-time defaults, as `nginx -V` prints them for nginx.org's and
// Debian's classic builds: the prefix that relative paths resolve against,
// the configuration file, the pid file, and the error log used before the
// configuration is read (and after, when it names none).
//
// Debian 12's current nginx 1.22 package is built with
// --error-log-path=stderr, which makes it print its start-up messages in
// the log-file form ("2026/11/25 22:15:55 [emerg] 12#12: …") on stderr.
// nginxws keeps the classic /var/log/nginx/error.log, so that, like nginx
// from nginx.org, it prints "nginxws: [emerg] …" on the terminal; `-e
// stderr` gives the other form.
const (
	defaultPrefix   = directives.DefaultPrefix   // /usr/share/nginx/
	defaultConfPath = directives.DefaultConfPath // /etc/nginx/nginx.conf
	defaultPidPath  = directives.DefaultPidPath  // /run/nginx.pid
	defaultErrorLog = directives.DefaultErrorLog // /var/log/nginx/error.log
)

// options is the parsed command line (nginx's ngx_get_options).
type options struct {
	showVersion   bool // -v, -V, -h
	showHelp      bool // -h, -?
	showConfigure bool // -V
	test          bool // -t, -T
	dump          bool // -T
	quiet         bool // -q

	prefix    string // -p, as given
	prefixSet bool
	errorLog  string // -e, "" meaning stderr
	errorSet  bool
	confFile  string // -c, as given
	confSet   bool
	globals   string // -g
	signal    string // -s: stop, quit, reopen or reload
	// noWatch is -w off: reload only on SIGHUP (or -s reload), never on
	// a change of the files read. nginx has no such option; nginxws
	// watches by default (watch.go).
	noWatch bool
	// json is -j: error log lines are zerolog JSON objects instead of
	// nginx's text (errlog.Log.SetJSON). nginx has no such option.
	json bool
}

// errOption carries nginx's message for a bad command line, printed as
// "nginxws: <message>".
type errOption struct{ msg string }

func (e *errOption) Error() string { return e.msg }

// parseOptions reads argv (without the program name) exactly as nginx's
// ngx_get_options: options may be bundled ("-tq"), an option's value may
// be attached ("-cfile") or be the next argument (even an empty one),
// anything not starting with "-" is invalid, and a lone "-" is accepted
// and ignored.
func parseOptions(args []string) (*options, error) {
	o := &options{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") {
			return nil, &errOption{`invalid option: "` + arg + `"`}
		}
		p := arg[1:]
	flags:
		for len(p) > 0 {
			c := p[0]
			p = p[1:]
			// value returns the option's argument: the rest of this word,
			// or the next word.
			value := func() (string, bool) {
				if p != "" {
					return p, true
				}
				if i+1 < len(args) {
					i++
					return args[i], true
				}
				return "", false
			}
			switch c {
			case '?', 'h':
				o.showVersion, o.showHelp = true, true
			case 'v':
				o.showVersion = true
			case 'V':
				o.showVersion, o.showConfigure = true, true
			case 't':
				o.test = true
			case 'T':
				o.test, o.dump = true, true
			case 'q':
				o.quiet = true
			case 'j':
				o.json = true
			case 'p':
				v, ok := value()
				if !ok {
					return nil, &errOption{`option "-p" requires directory name`}
				}
				o.prefix, o.prefixSet = v, true
				break flags
			case 'e':
				v, ok := value()
				if !ok {
					return nil, &errOption{`option "-e" requires file name`}
				}
				if v == "stderr" {
					v = ""
				}
				o.errorLog, o.errorSet = v, true
				break flags
			case 'c':
				v, ok := value()
				if !ok {
					return nil, &errOption{`option "-c" requires file name`}
				}
				o.confFile, o.confSet = v, true
				break flags
			case 'g':
				v, ok := value()
				if !ok {
					return nil, &errOption{`option "-g" requires parameter`}
				}
				o.globals = v
				break flags
			case 's':
				v, ok := value()
				if !ok {
					return nil, &errOption{`option "-s" requires parameter`}
				}
				switch v {
				case "stop", "quit", "reopen", "reload":
					o.signal = v
				default:
					return nil, &errOption{`invalid option: "-s ` + v + `"`}
				}
				break flags
			case 'w':
				v, ok := value()
				if !ok {
					return nil, &errOption{`option "-w" requires parameter`}
				}
				switch v {
				case "on", "off":
					o.noWatch = v == "off"
				default:
					return nil, &errOption{`invalid option: "-w ` + v + `"`}
				}
				break flags
			default:
				return nil, &errOption{`invalid option: "` + string(c) + `"`}
			}
		}
	}
	return o, nil
}

// paths are the locations nginx derives from the options
// (ngx_process_options).
type paths struct {
	// prefix ends with "/" unless given empty; relative paths in the
	// configuration, -c and -e resolve against it.
	prefix string
	// conf is the configuration file: -c (or the default) made full
	// against the prefix. It is printed as built, so a relative -p gives
	// a relative path, as in nginx.
	conf string
	// errorLog is the start-up error log (-e or the default) made full
	// against the prefix; "" is stderr.
	errorLog string
}

func resolvePaths(o *options) paths {
	var p paths
	if o.prefixSet {
		p.prefix = o.prefix
		if p.prefix != "" && !strings.HasSuffix(p.prefix, "/") {
			p.prefix += "/"
		}
	} else {
		p.prefix = defaultPrefix
	}
	conf := defaultConfPath
	if o.confSet {
		conf = o.confFile
	}
	p.conf = fullName(p.prefix, conf)
	el := defaultErrorLog
	if o.errorSet {
		el = o.errorLog
	}
	if el != "" {
		el = fullName(p.prefix, el)
	}
	p.errorLog = el
	return p
}

// fullName is ngx_conf_full_name against the prefix: an absolute path is
// kept, a relative one is appended to the prefix.
func fullName(prefix, name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	return prefix + name
}
