package directives

import "bytes"

// A request that outlives its response head (a WebSocket tunnel, which
// can stay open for hours) is logged when it ends, but by then most of
// what its access log lines say has long been fixed: the request line,
// the headers, the addresses, the status. PlanLog renders those parts of
// the lines at once, from the request's State, and keeps only a compact
// list of the pieces that still change (the clock, the bytes sent, the
// last upstream try's time and byte count, and whatever maps compute from
// them), so that the request itself, its headers and its State can be
// given back long before the lines are written. LogPlan.Run completes the
// lines at the end; they are the lines AppendLog would have written then.

// endVars are the builtin variables whose value still changes once the
// response head went out: the clock, the bytes sent to the client, and
// the last upstream try's response time and bytes received, and the bytes
// a tunnel sent to its upstream (counted as it ends). Every other
// builtin reads facts the caller has settled by the time it plans
// (PlanLog's contract).
var endVars = map[string]bool{
	"msec": true, "time_local": true, "time_iso8601": true, "request_time": true,
	"connection_time": true, "bytes_sent": true, "body_bytes_sent": true,
	"upstream_response_time": true, "upstream_bytes_received": true,
	"upstream_bytes_sent": true, "request_completion": true,
}

// LogTarget is one access log line to plan, with the evaluations the
// access log makes for it, in the order it makes them.
type LogTarget struct {
	// If is the if= condition (nil: none): the line is written unless
	// it evaluates to "" or "0".
	If *Complex
	// Format is the line's format.
	Format *LogFormat
	// Reserve asks for the line's LogLineLen (a buffered file's).
	Reserve bool
	// After are values the caller evaluates once the line is written
	// (an access_log path with variables and the root it checks first),
	// in that order; nil entries evaluate to nothing.
	After []*Complex
}

// LogPlan is a set of access log lines partially evaluated by PlanLog. It
// references the configuration (formats, conditions) and copies of the
// values it needs, never the request or its State.
type LogPlan struct {
	lines []planLine
	holes []planHole
	after []planValue
	pre   []planPreset
	// caps and capSubj are the request's captures, kept when a piece
	// evaluated at the end may read them; ncap is the State's ncap.
	caps    []int32
	capSubj span
	ncap    int32
	// arena holds every byte the plan keeps: the lines' fixed text, the
	// fixed values and the presets.
	arena []byte
	// deferred tells whether Run evaluates anything (needs a State).
	deferred bool
}

// span is a part of a plan's arena.
type span struct{ start, end uint32 }

// planLine is one line the plan writes.
type planLine struct {
	// target is the line's index among PlanLog's targets.
	target int32
	// reserve is LogLineLen's share of the fixed pieces, newline
	// included; -1 when not asked for.
	reserve int32
	// text is the fixed text, with the holes' values left out.
	text span
	// holeEnd and afterEnd end the line's holes and after values in the
	// plan's lists (each line's start where the previous one's ended).
	holeEnd, afterEnd uint32
	f                 *LogFormat
	// cond is the if= condition when it must be evaluated at the end;
	// nil when there is none or it held at planning.
	cond *Complex
}

// planHole is a segment of a line's format evaluated at the end, to be
// written at offset at of the line's fixed text.
type planHole struct{ at, seg uint32 }

// planValue is an after value: c evaluated at the end, or the fixed v.
type planValue struct {
	c *Complex
	v span
}

// planPreset is a variable's value as the request had it, set in the end's
// State before anything is evaluated there.
type planPreset struct {
	idx int32
	st  uint8
	v   span
}

// Dependency bits of a value (planner.deps).
const (
	// depEnd: the value may change before the end (reads an endVar).
	depEnd uint8 = 1 << iota
	// depCap: evaluating the value reads or sets the regex captures
	// (a $N, a named capture's variable, a regex map).
	depCap
	// depBusy marks a variable being examined (a map that uses itself).
	depBusy
)

// planner is the state of one PlanLog.
type planner struct {
	s *State
	// memo holds what a variable's computation depends on.
	memo map[int32]uint8
	// capMode is set when the captures must be read in nginx's order at
	// the end: then every piece touching them is left to the end, with
	// the captures the request had.
	capMode bool
	done    map[int32]bool
	p       *LogPlan
	needCap bool
}

// PlanLog evaluates now what the lines of targets would say if written at
// any later time, and returns the plan of the rest; nil when no line will
// be written (every condition is false). Lines whose condition is already
// false are dropped.
//
// The caller must have brought the Request's facts to their final state
// (status, keepalive, completion, request length) except the clock, the
// bytes sent and the last upstream try's response time and bytes
// received, which Run's Request supplies. The lines Run writes are those
// the same evaluations (condition, LogLineLen when asked, AppendLog, then
// the after values) would have written at Run's time, in target order.
func (s *State) PlanLog(targets []LogTarget) *LogPlan {
	if s.e == nil {
		return nil
	}
	pl := &planner{s: s, p: &LogPlan{}}
	pl.setMode(targets)
	p := pl.p
	var hole []bool
	for k := range targets {
		t := &targets[k]
		var cond *Complex
		if t.If != nil {
			if pl.deferred(pl.complexDeps(t.If)) {
				cond = t.If
			} else if v := s.Value(t.If); len(v) == 0 || (len(v) == 1 && v[0] == '0') {
				continue
			}
		}
		ln := planLine{target: int32(k), reserve: -1, f: t.Format, cond: cond}
		var segs []Segment
		if t.Format != nil && t.Format.Value != nil {
			segs = t.Format.Value.Segments
		}
		hole = hole[:0]
		for i := range segs {
			hole = append(hole, pl.deferred(pl.segDeps(&segs[i], true)))
		}
		if t.Reserve {
			// LogLineLen's pass comes first, as in the access log: it
			// computes (and caches) the values AppendLog then reads.
			s.gen++
			gen := s.gen
			n := 1
			for i := range segs {
				if !hole[i] {
					n += s.logSegLen(t.Format, &segs[i], gen)
				}
			}
			ln.reserve = int32(n)
		}
		s.gen++
		gen := s.gen
		start := len(p.arena)
		for i := range segs {
			if hole[i] {
				p.holes = append(p.holes, planHole{at: uint32(len(p.arena) - start), seg: uint32(i)})
				continue
			}
			p.arena = s.appendLogSeg(t.Format, &segs[i], gen, p.arena)
		}
		ln.text = span{uint32(start), uint32(len(p.arena))}
		for _, c := range t.After {
			if c != nil && pl.deferred(pl.complexDeps(c)) {
				p.after = append(p.after, planValue{c: c})
				continue
			}
			p.after = append(p.after, planValue{v: p.keep(s.Value(c))})
		}
		ln.holeEnd, ln.afterEnd = uint32(len(p.holes)), uint32(len(p.after))
		p.lines = append(p.lines, ln)
	}
	if len(p.lines) == 0 {
		return nil
	}
	pl.collectAll()
	return p.compact()
}

// setMode decides capMode before anything is evaluated: the captures are
// read at the end, in order, when a piece left to the end touches them,
// or when a condition left to the end comes before a piece touching them
// (evaluated now, that piece might run a regex nginx would not run).
func (pl *planner) setMode(targets []LogTarget) {
	condSeen := false
	for k := range targets {
		t := &targets[k]
		deps := []uint8{pl.complexDeps(t.If)}
		if condSeen && deps[0]&depCap != 0 {
			pl.capMode = true
			return
		}
		if t.If != nil && deps[0]&depEnd != 0 {
			condSeen = true
		}
		if t.Format != nil && t.Format.Value != nil {
			for i := range t.Format.Value.Segments {
				deps = append(deps, pl.segDeps(&t.Format.Value.Segments[i], true))
			}
		}
		for _, c := range t.After {
			deps = append(deps, pl.complexDeps(c))
		}
		for _, d := range deps {
			if d&(depEnd|depCap) == depEnd|depCap || (condSeen && d&depCap != 0) {
				pl.capMode = true
				return
			}
		}
	}
}

// deferred reports whether a piece with dependencies d is left to the end.
func (pl *planner) deferred(d uint8) bool {
	return d&depEnd != 0 || (pl.capMode && d&depCap != 0)
}

// segDeps are the dependencies of a segment, read as a log line reads it
// (top) or as a value does.
func (pl *planner) segDeps(sg *Segment, top bool) uint8 {
	s := pl.s
	switch {
	case sg.idx > 0 && int(sg.idx) <= len(s.slots):
		return pl.varDeps(sg.idx-1, top)
	case sg.Var != "":
		// slowVar: an indexed name is read as a value reads it.
		if i, ok := s.e.index[sg.Var]; ok {
			return pl.varDeps(i, false)
		}
		if endVars[sg.Var] {
			return depEnd
		}
		return 0
	case sg.Capture > 0:
		return depCap
	}
	return 0
}

// complexDeps are the dependencies of a value.
func (pl *planner) complexDeps(c *Complex) uint8 {
	if c == nil {
		return 0
	}
	var d uint8
	for i := range c.Segments {
		d |= pl.segDeps(&c.Segments[i], false)
	}
	return d
}

// fixed reports whether reading variable i returns what its slot holds:
// a log line reads any value computed before (logVar), a value reads a
// cacheable or pinned one (get).
func (pl *planner) fixed(i int32, top bool) bool {
	sl := &pl.s.slots[i]
	return sl.st != slotEmpty && (top || !pl.s.e.vars[i].noCache || sl.pinned)
}

// varDeps are the dependencies of reading variable i.
func (pl *planner) varDeps(i int32, top bool) uint8 {
	d := &pl.s.e.vars[i]
	var r uint8
	if d.capture {
		r = depCap
	}
	if top && d.logOp {
		// Computed by the log module whatever was cached.
		if endVars[d.name] {
			r |= depEnd
		}
		return r
	}
	if pl.fixed(i, top) {
		return r
	}
	return r | pl.compute(i)
}

// compute returns the dependencies of computing variable i.
func (pl *planner) compute(i int32) uint8 {
	if v, ok := pl.memo[i]; ok {
		if v&depBusy != 0 {
			return 0
		}
		return v
	}
	if pl.memo == nil {
		pl.memo = map[int32]uint8{}
	}
	pl.memo[i] = depBusy
	d := &pl.s.e.vars[i]
	var r uint8
	switch {
	case d.m != nil:
		m := d.m.m
		r = pl.complexDeps(m.Source) | pl.complexDeps(m.Default)
		for _, en := range m.Entries {
			r |= pl.complexDeps(en.Value)
		}
		if len(d.m.regex) > 0 {
			r |= depCap
		}
	case !d.capture && endVars[d.name]:
		r = depEnd
	}
	pl.memo[i] = r
	return r
}

// collectAll finds, for every piece left to the end, the variables it may
// read that the end must not compute (the request is gone by then), and
// keeps their values as presets; and the captures when a piece reads them.
func (pl *planner) collectAll() {
	p := pl.p
	for k, ln := range p.lines {
		holes := p.holes[:ln.holeEnd]
		after := p.after[:ln.afterEnd]
		if k > 0 {
			holes = holes[p.lines[k-1].holeEnd:]
			after = after[p.lines[k-1].afterEnd:]
		}
		if ln.cond != nil {
			p.deferred = true
			pl.collectComplex(ln.cond)
		}
		for _, h := range holes {
			p.deferred = true
			pl.collectSeg(&ln.f.Value.Segments[h.seg], true)
		}
		for _, a := range after {
			if a.c != nil {
				p.deferred = true
				pl.collectComplex(a.c)
			}
		}
	}
	if pl.needCap {
		s := pl.s
		for _, c := range s.caps[:min(s.ncap, len(s.caps))] {
			p.caps = append(p.caps, int32(c))
		}
		p.ncap = int32(s.ncap)
		p.capSubj = p.keep(s.capSubj)
	}
}

func (pl *planner) collectComplex(c *Complex) {
	if c == nil {
		return
	}
	for i := range c.Segments {
		pl.collectSeg(&c.Segments[i], false)
	}
}

func (pl *planner) collectSeg(sg *Segment, top bool) {
	s := pl.s
	switch {
	case sg.idx > 0 && int(sg.idx) <= len(s.slots):
		pl.collectVar(sg.idx-1, top)
	case sg.Var != "":
		if i, ok := s.e.index[sg.Var]; ok {
			pl.collectVar(i, false)
		}
	case sg.Capture > 0:
		pl.needCap = true
	}
}

// collectVar keeps what reading variable i at the end needs: its value
// when it is fixed or cannot change, else (a map left to the end) what
// its computation reads. The end's builtins compute themselves.
func (pl *planner) collectVar(i int32, top bool) {
	s := pl.s
	d := &s.e.vars[i]
	if top && d.logOp {
		return
	}
	if pl.done[i] {
		return
	}
	if pl.done == nil {
		pl.done = map[int32]bool{}
	}
	pl.done[i] = true
	sl := &s.slots[i]
	switch {
	case d.capture:
		// As the request left it: a regex evaluated at the end may set it
		// again, in order.
		pl.needCap = true
		if sl.st != slotEmpty {
			pl.preset(i, sl.val, sl.st)
		}
		return
	case pl.fixed(i, top):
		pl.preset(i, sl.val, sl.st)
		return
	}
	c := pl.compute(i)
	switch {
	case d.m != nil && pl.deferred(c):
		m := d.m.m
		pl.collectComplex(m.Source)
		pl.collectComplex(m.Default)
		for _, en := range m.Entries {
			pl.collectComplex(en.Value)
		}
		if len(d.m.regex) > 0 {
			pl.needCap = true
		}
	case c&depEnd != 0:
		// An end builtin.
	default:
		s.gen++
		v, ok := s.get(i, s.gen)
		st := slotNotFound
		if ok {
			st = slotFound
		}
		pl.preset(i, v, st)
	}
}

func (pl *planner) preset(i int32, v []byte, st uint8) {
	pl.p.pre = append(pl.p.pre, planPreset{idx: i, st: st, v: pl.p.keep(v)})
}

// keep copies b into the plan's arena.
func (p *LogPlan) keep(b []byte) span {
	start := len(p.arena)
	p.arena = append(p.arena, b...)
	return span{uint32(start), uint32(len(p.arena))}
}

// bytes returns a part of the arena.
func (p *LogPlan) bytes(sp span) []byte { return p.arena[sp.start:sp.end:sp.end] }

// compact returns the plan with its lists and arena cut to their lengths:
// a plan may be kept for hours.
func (p *LogPlan) compact() *LogPlan {
	return &LogPlan{
		lines:    clip(p.lines),
		holes:    clip(p.holes),
		after:    clip(p.after),
		pre:      clip(p.pre),
		caps:     clip(p.caps),
		capSubj:  p.capSubj,
		ncap:     p.ncap,
		arena:    bytes.Clone(p.arena),
		deferred: p.deferred,
	}
}

// clip copies s into a slice of its exact length (nil when empty).
func clip[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// Deferred reports whether Run evaluates anything, and so needs a State.
func (p *LogPlan) Deferred() bool { return p.deferred }

// LogLine is a line Run completed.
type LogLine struct {
	// Target is the line's index among PlanLog's targets.
	Target int
	// Text is the line, without its newline; Reserve its LogLineLen (-1
	// when not asked for).
	Text    []byte
	Reserve int
	// After are the target's after values.
	After [][]byte
}

// Run completes the plan's lines and calls emit with each one whose
// condition holds, in order. When the plan is Deferred, s must be a State
// Reset for the Engine the plan was made with and a Request giving the
// end's facts (Now, Info with the final counters, Upstream with the final
// tries, Conn's Start); else s may be nil. buf is scratch space for the
// lines, returned grown. The line and values emit gets are valid only
// during the call.
func (p *LogPlan) Run(s *State, buf []byte, emit func(*LogLine)) []byte {
	if p.deferred {
		for _, pr := range p.pre {
			if int(pr.idx) < len(s.slots) {
				s.slots[pr.idx] = slot{val: p.bytes(pr.v), st: pr.st, pinned: true}
			}
		}
		if p.caps != nil {
			if cap(s.caps) < len(p.caps) {
				s.caps = make([]int, len(p.caps))
			}
			s.caps = s.caps[:len(p.caps)]
			for i, c := range p.caps {
				s.caps[i] = int(c)
			}
			s.ncap, s.capSubj = int(p.ncap), p.bytes(p.capSubj)
		}
	}
	var hs, as uint32
	var afterBuf [4][]byte
	for k := range p.lines {
		ln := &p.lines[k]
		holes, after := p.holes[hs:ln.holeEnd], p.after[as:ln.afterEnd]
		hs, as = ln.holeEnd, ln.afterEnd
		if ln.cond != nil {
			if v := s.Value(ln.cond); len(v) == 0 || (len(v) == 1 && v[0] == '0') {
				continue
			}
		}
		text := p.bytes(ln.text)
		out := LogLine{Target: int(ln.target), Reserve: int(ln.reserve)}
		buf = buf[:0]
		if len(holes) == 0 {
			buf = append(buf, text...)
		} else {
			segs := ln.f.Value.Segments
			if out.Reserve >= 0 {
				s.gen++
				gen := s.gen
				for _, h := range holes {
					out.Reserve += s.logSegLen(ln.f, &segs[h.seg], gen)
				}
			}
			s.gen++
			gen := s.gen
			pos := uint32(0)
			for _, h := range holes {
				buf = append(buf, text[pos:h.at]...)
				buf = s.appendLogSeg(ln.f, &segs[h.seg], gen, buf)
				pos = h.at
			}
			buf = append(buf, text[pos:]...)
		}
		out.Text = buf
		out.After = afterBuf[:0]
		for _, a := range after {
			if a.c != nil {
				out.After = append(out.After, s.Value(a.c))
			} else {
				out.After = append(out.After, p.bytes(a.v))
			}
		}
		emit(&out)
	}
	return buf
}
