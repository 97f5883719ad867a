package directives

import (
	"os"
	"strconv"
)

// State is one request's variable state: the cache of variables already
// computed, the captures of the last regex match, and the arena the
// computed values live in. The caller owns it: Reset it for each request
// (a State can be pooled, and a reused State evaluates without
// allocating), and use it from one goroutine at a time.
//
// Values the State returns are valid until the next Reset and must not be
// modified. A State holds small inline buffers (so that a fresh State
// costs one allocation for a typical request): it must not be copied once
// used; use it by pointer.
type State struct {
	e *Engine
	r Request

	slots []slot
	// buf is the arena computed values are appended to. Values are slices
	// of it; when it grows, old values keep the old array, so they stay
	// valid until Reset.
	buf []byte
	// parts is a stack of value pieces being assembled (see value).
	parts []part
	// gen numbers the evaluations of values: a non-cacheable variable is
	// computed once per evaluation (nginx flushes them per complex value).
	gen uint32
	// depth bounds nested evaluation (maps of maps), as nginx's
	// ngx_http_variable_depth.
	depth int

	// The captures of the last successful match: pairs of offsets into
	// capSubj; ncap is twice pcre2_match's count (nginx's r->ncaptures):
	// $n exists when 2n < ncap.
	caps    []int
	spare   []int
	ncap    int
	capSubj []byte
	runes   []rune // reusable buffer for the PCRE engine
	lower   []byte // reusable buffer for map key lookups

	// args is the arguments a "set $args" gave (argsSet).
	args    []byte
	argsSet bool
	// secureLinkExpires is the expiry time $secure_link read
	// (nginx's module context), for $secure_link_expires.
	secureLinkExpires    []byte
	secureLinkExpiresSet bool

	// Inline storage for the first Reset of a State, enough for most
	// configurations and requests.
	inlineSlots [16]slot
	inlineBuf   [192]byte
	inlineParts [6]part
}

// slot is the cached value of one variable.
type slot struct {
	val []byte
	gen uint32
	st  uint8 // slotEmpty, slotFound, slotNotFound
	// pinned marks a value "set" or a regex gave: it stays, even for a
	// variable nginx would compute again.
	pinned bool
}

const (
	slotEmpty uint8 = iota
	slotFound
	slotNotFound
)

// part is a piece of a value being assembled.
type part struct {
	b []byte
	s string
}

// maxDepth is nginx's ngx_http_variable_depth: deeper nesting (a map
// using itself) evaluates as not found.
const maxDepth = 100

// NewState returns an empty State; Reset prepares it for a request.
func NewState() *State { return &State{} }

// Reset prepares s for a request of e's configuration, keeping its
// buffers. Reset(nil, nil) drops every reference to the previous request
// (for a State going back to a pool).
func (s *State) Reset(e *Engine, r Request) {
	s.e, s.r = e, r
	n := 0
	if e != nil {
		n = len(e.vars)
	}
	switch {
	case cap(s.slots) >= n:
		s.slots = s.slots[:n]
		clear(s.slots)
	case n <= len(s.inlineSlots):
		s.slots = s.inlineSlots[:n]
		clear(s.slots)
	default:
		s.slots = make([]slot, n)
	}
	if s.buf == nil {
		s.buf = s.inlineBuf[:0]
	}
	if s.parts == nil {
		s.parts = s.inlineParts[:0]
	}
	s.buf = s.buf[:0]
	clear(s.parts[:cap(s.parts)])
	s.parts = s.parts[:0]
	s.gen, s.depth = 0, 0
	s.ncap, s.capSubj = 0, nil
	s.args, s.argsSet = nil, false
	s.secureLinkExpires, s.secureLinkExpiresSet = nil, false
}

// Request returns the request being served.
func (s *State) Request() Request { return s.r }

// Eval appends the value of c for the request to dst and returns the
// extended slice. dst must not hold a value this State returned. c must
// belong to the configuration whose Engine the State was Reset with
// (values built by hand are evaluated by variable name).
func (s *State) Eval(c *Complex, dst []byte) []byte {
	if c == nil {
		return dst
	}
	s.gen++
	gen := s.gen
	for i := range c.Segments {
		sg := &c.Segments[i]
		switch {
		case sg.idx > 0 && int(sg.idx) <= len(s.slots):
			if v, ok := s.get(sg.idx-1, gen); ok {
				dst = append(dst, v...)
			}
		case sg.Capture > 0:
			dst = append(dst, s.Capture(sg.Capture)...)
		case sg.Var != "":
			if v, ok := s.slowVar(sg.Var, gen); ok {
				dst = append(dst, v...)
			}
		default:
			dst = append(dst, sg.Literal...)
		}
	}
	return dst
}

// Found returns the value of c, a value that is one variable (as
// "charset $name" is), and whether the variable was found, as
// ngx_http_get_indexed_variable tells a module that reads it. For any
// other value it is Value and true.
func (s *State) Found(c *Complex) ([]byte, bool) {
	if c == nil || len(c.Segments) != 1 || c.Segments[0].Var == "" {
		return s.Value(c), true
	}
	sg := &c.Segments[0]
	s.gen++
	if sg.idx > 0 && int(sg.idx) <= len(s.slots) {
		return s.get(sg.idx-1, s.gen)
	}
	return s.slowVar(sg.Var, s.gen)
}

// Value returns the value of c for the request, in the State's arena (or,
// when c is one variable, that variable's value as is).
func (s *State) Value(c *Complex) []byte {
	if c == nil {
		return nil
	}
	s.gen++
	return s.value(c, s.gen)
}

// value evaluates c in two steps, as ngx_http_complex_value does: first
// every piece (which may append other values to the arena), then the
// pieces appended together.
func (s *State) value(c *Complex, gen uint32) []byte {
	base := len(s.parts)
	for i := range c.Segments {
		sg := &c.Segments[i]
		switch {
		case sg.idx > 0 && int(sg.idx) <= len(s.slots):
			if v, ok := s.get(sg.idx-1, gen); ok {
				s.parts = append(s.parts, part{b: v})
			}
		case sg.Capture > 0:
			s.parts = append(s.parts, part{b: s.Capture(sg.Capture)})
		case sg.Var != "":
			if v, ok := s.slowVar(sg.Var, gen); ok {
				s.parts = append(s.parts, part{b: v})
			}
		default:
			s.parts = append(s.parts, part{s: sg.Literal})
		}
	}
	ps := s.parts[base:]
	var out []byte
	if len(ps) == 1 && ps[0].s == "" {
		out = ps[0].b
	} else {
		start := len(s.buf)
		for _, p := range ps {
			s.buf = append(s.buf, p.b...)
			s.buf = append(s.buf, p.s...)
		}
		out = s.buf[start:len(s.buf):len(s.buf)]
	}
	clear(ps)
	s.parts = s.parts[:base]
	return out
}

// Get returns variable i (see Engine.Index) for the request, and whether
// it was found. A non-cacheable variable is computed again at each call.
func (s *State) Get(i int) ([]byte, bool) {
	if s.e == nil || i < 0 || i >= len(s.e.vars) {
		return nil, false
	}
	s.gen++
	return s.get(int32(i), s.gen)
}

// Var returns a variable by name, and whether it was found: the slow path
// for tools and tests (a name the configuration does not use is looked up
// among nginx's builtin variables, uncached).
func (s *State) Var(name string) ([]byte, bool) {
	s.gen++
	return s.slowVar(name, s.gen)
}

// slowVar finds a variable by name, for values built after load.
func (s *State) slowVar(name string, gen uint32) ([]byte, bool) {
	if s.e == nil || s.r == nil {
		return nil, false
	}
	if i, ok := s.e.index[name]; ok {
		return s.get(i, gen)
	}
	d := varDef{name: name, get: getNotFound}
	if bi := builtins[name]; bi.get != nil {
		d.get, d.arg, d.n = bi.get, bi.arg, bi.n
	} else if f, ok := prefixFamily(name); ok {
		d.get, d.arg = f.get, name[len(f.prefix):]
	}
	return d.get(s, &d)
}

// get returns variable i, computing it unless a valid value is cached, as
// ngx_http_get_indexed_variable and ngx_http_get_flushed_variable do.
func (s *State) get(i int32, gen uint32) ([]byte, bool) {
	sl := &s.slots[i]
	d := &s.e.vars[i]
	if sl.st != slotEmpty && (!d.noCache || sl.pinned || sl.gen == gen) {
		return sl.val, sl.st == slotFound
	}
	if s.r == nil {
		return nil, false
	}
	if s.depth >= maxDepth {
		// nginx logs "cycle while evaluating variable" and fails the
		// value; here the variable is not found.
		return nil, false
	}
	s.depth++
	v, ok := d.get(s, d)
	s.depth--
	sl = &s.slots[i]
	sl.val, sl.gen, sl.pinned = v, gen, false
	if ok {
		sl.st = slotFound
	} else {
		sl.st, sl.val = slotNotFound, nil
	}
	return v, ok
}

// Set runs a "set $var value;" statement: the value is computed and
// stored, as ngx_http_script_set_var_code does ($args instead changes the
// request's arguments, as its set handler does).
func (s *State) Set(st *Stmt) {
	if st == nil || st.target <= 0 || s.e == nil {
		return
	}
	v := s.Value(st.Value)
	s.SetVar(int(st.target-1), v)
}

// SetVar stores a value for variable i (see Engine.Index), as "set" does.
func (s *State) SetVar(i int, v []byte) {
	if s.e == nil || i < 0 || i >= len(s.slots) {
		return
	}
	if int32(i) == s.e.argsVar {
		s.SetArgs(v)
		return
	}
	s.slots[i] = slot{val: v, st: slotFound, pinned: true}
}

// SetArgs replaces the request's arguments ($args, $arg_NAME, $is_args),
// as "set $args" or a rewrite with new arguments does. The caller keeps
// v unchanged for the request.
func (s *State) SetArgs(v []byte) {
	s.args, s.argsSet = v, true
}

// RedirectArgs forgets what "set $args" or a rewrite gave: an internal
// redirect gives the request its own arguments again (Request.Args), not
// found when there are none, as nginx's r->args after
// ngx_http_internal_redirect.
func (s *State) RedirectArgs() {
	s.args, s.argsSet = nil, false
}

// Args returns the request's current arguments and whether nginx has
// them (non-empty, or set by "set $args"): the arguments the upstream
// request carries.
func (s *State) Args() ([]byte, bool) {
	if s.argsSet {
		return s.args, true
	}
	if s.r == nil {
		return nil, false
	}
	a := s.r.Args()
	if len(a) == 0 {
		if f, ok := s.r.(emptyArgsFinder); ok && f.EmptyArgsFound() {
			return a, true
		}
	}
	return a, len(a) > 0
}

// emptyArgsFinder is a Request whose empty arguments may be found all the
// same: nginx's r->args with data and no length, which
// ngx_http_parse_complex_uri leaves for "/x?#" ($args "" rather than "-").
type emptyArgsFinder interface {
	EmptyArgsFound() bool
}

// Match matches subject against re, as ngx_http_regex_exec: on a match
// the captures ($1…$9) become the match's and the named captures are set;
// without one, the previous captures stay. subject must stay unchanged
// for the request. The error is a match the PCRE engine abandoned (nginx
// answers 500 for a location, uses the default for a map).
func (s *State) Match(re *Regexp, subject []byte) (bool, error) {
	if len(re.groups) == 0 {
		rc, err := re.exec(subject, nil, &s.runes)
		if rc > 0 {
			s.ncap, s.capSubj = 2, subject
		}
		return rc > 0, err
	}
	n := 2 * (len(re.groups) + 1)
	if cap(s.spare) < n {
		s.spare = make([]int, n)
	}
	caps := s.spare[:n]
	rc, err := re.exec(subject, caps, &s.runes)
	if rc == 0 {
		return false, err
	}
	s.spare, s.caps = s.caps, caps
	s.ncap, s.capSubj = 2*rc, subject
	for k, g := range re.nameGroup {
		if k >= len(re.nameVars) || s.e == nil {
			break
		}
		a, b := caps[2*g], caps[2*g+1]
		v := subject[:0]
		if a >= 0 {
			v = subject[a:b:b]
		}
		if i := re.nameVars[k]; int(i) < len(s.slots) {
			s.slots[i] = slot{val: v, st: slotFound, pinned: true}
		}
	}
	return true, nil
}

// MatchScript is Match as the rewrite module's regexes (if and rewrite)
// match, in ngx_http_script_regex_start_code: a subject that does not
// match clears the captures ($1 is then empty), where a location, map or
// server_name regex keeps them.
func (s *State) MatchScript(re *Regexp, subject []byte) (bool, error) {
	ok, err := s.Match(re, subject)
	if !ok && err == nil {
		s.ncap = 0
	}
	return ok, err
}

// Capture returns $n of the last successful match, empty when the match
// had no such group or there was none.
func (s *State) Capture(n int) []byte {
	i := 2 * n
	if i+1 >= s.ncap || i+1 >= len(s.caps) || s.caps[i] < 0 {
		return nil
	}
	return s.capSubj[s.caps[i]:s.caps[i+1]:s.caps[i+1]]
}

// NumCaptures returns the number of $n the last match defines (nginx's
// r->ncaptures / 2 - 1, 0 before any match).
func (s *State) NumCaptures() int {
	if s.ncap == 0 {
		return 0
	}
	return s.ncap/2 - 1
}

// Cond evaluates an if condition as ngx_http_rewrite_if's codes do: a
// variable is true unless empty or "0"; "=" compares exactly; "~" matches
// as MatchScript (captures set, or cleared without a match); -f, -d, -e,
// -x test the file system. The error is a regex match the PCRE engine
// abandoned (nginx answers 500).
func (s *State) Cond(c *Condition) (bool, error) {
	var res bool
	switch c.Kind {
	case CondVar:
		v := s.Value(c.Var)
		res = len(v) > 0 && !(len(v) == 1 && v[0] == '0')
	case CondEqual:
		v := s.Value(c.Var)
		w := s.Value(c.Value)
		res = string(v) == string(w)
	case CondMatch:
		v := s.Value(c.Var)
		ok, err := s.MatchScript(c.Regex, v)
		if err != nil {
			return false, err
		}
		res = ok
	case CondFile:
		path := string(s.Value(c.Value))
		fi, err := os.Stat(path)
		switch c.FileOp {
		case 'f':
			res = err == nil && fi.Mode().IsRegular()
		case 'd':
			res = err == nil && fi.IsDir()
		case 'e':
			res = err == nil
		case 'x':
			res = err == nil && fi.Mode()&0o100 != 0
		}
	}
	return res != c.Negate, nil
}

// arena helpers for getters.

// appendInt puts a decimal number in the arena.
func (s *State) appendInt(n int64) []byte {
	start := len(s.buf)
	s.buf = strconv.AppendInt(s.buf, n, 10)
	return s.buf[start:len(s.buf):len(s.buf)]
}

// mark and since bracket a value a getter appends to the arena piece by
// piece.
func (s *State) mark() int { return len(s.buf) }

func (s *State) since(start int) []byte { return s.buf[start:len(s.buf):len(s.buf)] }

// Subrequest is what a State keeps of a request while one of its
// subrequests uses it (EnterSubrequest).
type Subrequest struct {
	r           Request
	caps, spare []int
	ncap        int
	capSubj     []byte
	args        []byte
	argsSet     bool
}

// EnterSubrequest lets the subrequest r use the State, as nginx's
// subrequests share their parent's variables (sr->variables =
// r->variables): values cached or set by either are the other's too, but
// the variables computed from now on read r, whose captures start empty
// and whose arguments are its own. LeaveSubrequest gives the State back.
func (s *State) EnterSubrequest(r Request) Subrequest {
	saved := Subrequest{r: s.r, caps: s.caps, spare: s.spare, ncap: s.ncap, capSubj: s.capSubj, args: s.args, argsSet: s.argsSet}
	s.r = r
	// The parent's captures stay as they are: the subrequest's matches
	// get buffers of their own.
	s.caps, s.spare, s.ncap, s.capSubj = nil, nil, 0, nil
	s.args, s.argsSet = nil, false
	return saved
}

// LeaveSubrequest ends what EnterSubrequest began: the parent's request,
// captures and arguments are back.
func (s *State) LeaveSubrequest(saved Subrequest) {
	s.r = saved.r
	s.caps, s.spare, s.ncap, s.capSubj = saved.caps, saved.spare, saved.ncap, saved.capSubj
	s.args, s.argsSet = saved.args, saved.argsSet
}

// AssignedValue evaluates the value of an assignment as Set would, copied
// into the State's arena: auth_request_set evaluates in a subrequest whose
// buffers (its upstream's headers) do not outlive it, and Assign stores
// the value for the parent once the subrequest has left.
func (s *State) AssignedValue(st *Stmt) []byte {
	if st == nil || s.e == nil {
		return nil
	}
	v := s.Value(st.Value)
	start := len(s.buf)
	s.buf = append(s.buf, v...)
	return s.buf[start:len(s.buf):len(s.buf)]
}

// Assign stores v for st's variable, as Set does once the value is
// known; v must stay valid for the request.
func (s *State) Assign(st *Stmt, v []byte) {
	if st == nil || st.target <= 0 {
		return
	}
	s.SetVar(int(st.target-1), v)
}
