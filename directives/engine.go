package directives

import (
	"os"
	"reflect"
	"strconv"
)

// Engine is the compiled variable table of one configuration's http
// block: every variable a value of the configuration uses has an index,
// fixed at load, and a way to compute it (nginx's cmcf->variables, built
// by ngx_http_variables_init_vars). Values (Complex) refer to variables
// by index, so evaluating a value never looks a name up. An Engine is
// immutable and shared by all requests; per-request state lives in a
// State.
type Engine struct {
	vars []varDef
	// index maps names to indexes. It is read at load, and by the slow
	// path for values built after load (State.Var, hand-made Complex).
	index map[string]int32

	hostname string // $hostname: the machine's name, lower-cased
	pid      string // $pid
	// argsVar is the index of $args, whose "set" changes the arguments.
	argsVar int32
}

// getter computes a variable for a request: the value and whether it was
// found. A value it builds goes in the State's arena.
type getter func(s *State, d *varDef) ([]byte, bool)

// varDef is one indexed variable.
type varDef struct {
	name string
	get  getter
	// arg is a prefix family's suffix ("user_agent" for $http_user_agent)
	// or a dedicated lookup's header name ("x-forwarded-for").
	arg string
	// n selects among related values sharing a getter.
	n int
	// m is the map whose variable this is; geo, the geo block.
	m     *mapEval
	geo   *Geo
	split *SplitClients
	// noCache marks nginx's non-cacheable variables
	// (NGX_HTTP_VAR_NOCACHEABLE) and volatile maps: they are computed
	// again for every value that uses them.
	noCache bool
	// logOp marks the variables the log module computes itself.
	logOp bool
	// capture marks a named capture's variable: a regex match may set it
	// at any time, so a partially evaluated log line (PlanLog) must not
	// read it out of order.
	capture bool
}

// NginxVersion is what $nginx_version reports: the nginx release whose
// behaviour nginxws reproduces. Tools and configurations key on it (for
// example to decide which directives to emit), so nginxws answers as the
// nginx it stands in for rather than with its own version.
const NginxVersion = "1.22.1"

// Engine returns the variable engine of the http block, nil for a
// configuration that failed or was not fully read.
func (h *HTTP) Engine() *Engine { return h.engine }

// configRefs are the parts of a configuration the engine binds: every
// value, every set statement, every regex.
type configRefs struct {
	complexes []*Complex
	stmts     []*Stmt
	regexps   []*Regexp
}

// newEngine builds the variable table of a loaded http block and binds
// every value of the configuration to it. declared are the variables set
// and map declare (and named captures); quiet those of them auth_request_set
// declared first.
func newEngine(h *HTTP, declared []string, quiet map[string]bool) *Engine {
	e := &Engine{index: map[string]int32{}, pid: strconv.Itoa(os.Getpid())}
	if name, err := os.Hostname(); err == nil {
		e.hostname = lowerString(name)
	}
	refs := collectRefs(h)

	maps := map[string]*Map{}
	for _, m := range h.Maps {
		// A later map of the same variable replaces the handler, and so
		// does a later geo or split_clients block.
		if h.handles(m.Var, m) {
			maps[m.Var] = m
		}
	}
	captures := map[string]bool{}
	for _, re := range refs.regexps {
		for _, n := range re.Names {
			captures[lowerString(n)] = true
		}
	}
	set := map[string]bool{}
	for _, n := range declared {
		set[n] = true
	}
	geos := map[string]*Geo{}
	for _, g := range h.Geos {
		if h.handles(g.Var, g) {
			geos[g.Var] = g
		}
	}
	splits := map[string]*SplitClients{}
	for _, sc := range h.SplitClients {
		if h.handles(sc.Var, sc) {
			splits[sc.Var] = sc
		}
	}
	b := &engineBuilder{e: e, maps: maps, geos: geos, splits: splits, captures: captures, set: set, quiet: quiet, built: map[*Map]*mapEval{}}
	e.argsVar = b.define("args")
	for _, c := range refs.complexes {
		b.bind(c)
	}
	for _, st := range refs.stmts {
		if st.Op == OpSet {
			st.target = b.define(st.Var) + 1
		}
	}
	for _, re := range refs.regexps {
		re.nameVars = re.nameVars[:0]
		for _, n := range re.Names {
			re.nameVars = append(re.nameVars, b.define(lowerString(n)))
		}
	}
	for _, m := range h.Maps {
		b.define(m.Var)
	}
	for _, g := range h.Geos {
		b.define(g.Var)
	}
	for _, sc := range h.SplitClients {
		b.define(sc.Var)
	}
	return e
}

// engineBuilder defines variables on first reference, as
// ngx_http_get_variable_index does, then gives each its handler with
// ngx_http_variables_init_vars' precedence.
type engineBuilder struct {
	e        *Engine
	maps     map[string]*Map
	geos     map[string]*Geo
	splits   map[string]*SplitClients
	captures map[string]bool
	set      map[string]bool
	quiet    map[string]bool
	built    map[*Map]*mapEval
}

// bind resolves the variables of a value.
func (b *engineBuilder) bind(c *Complex) {
	for i := range c.Segments {
		if sg := &c.Segments[i]; sg.Var != "" {
			sg.idx = b.define(sg.Var) + 1
		}
	}
}

// define returns the index of a variable, creating it on first use. The
// handler is chosen as nginx ends up choosing it: a map's, a named
// capture's, a builtin's, set's, then a prefix family's ($http_…).
func (b *engineBuilder) define(name string) int32 {
	name = lowerString(name)
	if i, ok := b.e.index[name]; ok {
		return i
	}
	i := int32(len(b.e.vars))
	b.e.index[name] = i
	b.e.vars = append(b.e.vars, varDef{name: name, get: getNotFound})
	d := varDef{name: name, get: getNotFound}
	switch {
	case b.maps[name] != nil:
		m := b.maps[name]
		me := b.built[m]
		if me == nil {
			me = compileMap(m)
			b.built[m] = me
		}
		d.get, d.m, d.noCache = getMap, me, m.Volatile
		b.bindMap(m)
	case b.geos[name] != nil:
		g := b.geos[name]
		d.get, d.geo = getGeo, g
		if g.Source != nil {
			b.bind(g.Source)
		}
	case b.splits[name] != nil:
		sc := b.splits[name]
		d.get, d.split = getSplit, sc
		b.bind(sc.Source)
	case b.captures[name]:
		// Not found until a regex with this named capture matches.
	case builtins[name].get != nil:
		bi := builtins[name]
		d.get, d.arg, d.n, d.noCache = bi.get, bi.arg, bi.n, bi.noCache
		d.logOp = logOps[name]
	case b.quiet[name]:
		// auth_request_set's own: not found until assigned.
	case b.set[name]:
		// A variable only "set" declares is empty until set, and the
		// request is told (nginx's ngx_http_rewrite_var warns).
		d.get = getUninitialized
	default:
		if f, ok := prefixFamily(name); ok {
			d.get, d.arg, d.noCache = f.get, name[len(f.prefix):], f.noCache
		}
	}
	d.capture = b.captures[name]
	b.e.vars[i] = d
	return i
}

// bindMap binds the values a map uses (they may refer to other maps).
func (b *engineBuilder) bindMap(m *Map) {
	b.bind(m.Source)
	if m.Default != nil {
		b.bind(m.Default)
	}
	for _, en := range m.Entries {
		b.bind(en.Value)
	}
}

// Index returns the index of a variable the configuration uses, for
// State.Get; ok is false for a name no value of the configuration uses.
func (e *Engine) Index(name string) (int, bool) {
	i, ok := e.index[lowerString(name)]
	return int(i), ok
}

// NumVars returns the number of indexed variables.
func (e *Engine) NumVars() int { return len(e.vars) }

// collectRefs walks the exported fields of the http block and gathers
// every value, set statement and regex it holds. Walking by
// reflection means a field added to the typed configuration later is
// bound without anyone remembering to list it here.
func collectRefs(h *HTTP) *configRefs {
	refs := &configRefs{}
	w := refWalker{refs: refs, seen: map[visitKey]bool{}, fields: map[reflect.Type][]int{}, pkg: reflect.TypeOf(HTTP{}).PkgPath()}
	w.walk(reflect.ValueOf(h))
	return refs
}

type visitKey struct {
	t reflect.Type
	p uintptr
}

type refWalker struct {
	refs *configRefs
	seen map[visitKey]bool
	// fields caches, per struct type, the exported fields that can lead
	// to a value (most fields are numbers, strings and flags).
	fields map[reflect.Type][]int
	pkg    string
}

var (
	complexType = reflect.TypeOf(Complex{})
	regexpType  = reflect.TypeOf(Regexp{})
	stmtType    = reflect.TypeOf(Stmt{})
)

func (w *refWalker) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		k := visitKey{v.Type(), v.Pointer()}
		if w.seen[k] {
			return
		}
		w.seen[k] = true
		switch v.Type().Elem() {
		case complexType:
			w.refs.complexes = append(w.refs.complexes, v.Interface().(*Complex))
			return
		case regexpType:
			w.refs.regexps = append(w.refs.regexps, v.Interface().(*Regexp))
			return
		case stmtType:
			w.refs.stmts = append(w.refs.stmts, v.Interface().(*Stmt))
		}
		w.walk(v.Elem())
	case reflect.Struct:
		t := v.Type()
		if t.PkgPath() != w.pkg {
			return
		}
		fields, ok := w.fields[t]
		if !ok {
			for i := 0; i < t.NumField(); i++ {
				if f := t.Field(i); f.IsExported() && holdsRefs(f.Type, w.pkg) {
					fields = append(fields, i)
				}
			}
			w.fields[t] = fields
		}
		for _, i := range fields {
			w.walk(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return
		}
		if !holdsRefs(v.Type().Elem(), w.pkg) {
			return
		}
		for i := 0; i < v.Len(); i++ {
			w.walk(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() || !holdsRefs(v.Type().Elem(), w.pkg) {
			return
		}
		k := visitKey{v.Type(), v.Pointer()}
		if w.seen[k] {
			return
		}
		w.seen[k] = true
		it := v.MapRange()
		for it.Next() {
			w.walk(it.Value())
		}
	case reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem())
		}
	}
}

// holdsRefs reports whether values of type t can lead to this package's
// structs (a []string or map[string]string cannot).
func holdsRefs(t reflect.Type, pkg string) bool {
	for {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			t = t.Elem()
		case reflect.Struct:
			return t.PkgPath() == pkg
		case reflect.Interface:
			return true
		default:
			return false
		}
	}
}
