package scripting

import (
	lua "github.com/yuin/gopher-lua"
)

// What a pooled state keeps from run to run so that a short script (one
// redis.call) allocates little: its KEYS and ARGV tables, the closure of
// the last script it ran and the buffers of redis.call's arguments. Each
// is reused only when the script cannot have changed it in a way the next
// run could see; otherwise it is made anew, as before.

// maxArgBuf bounds the argument buffer a state keeps between calls: one
// huge argument does not stay allocated with the state.
const maxArgBuf = 64 << 10

// maxArrayShrink bounds how many trailing entries a refill clears; an
// array shorter than the last by more is a new table.
const maxArrayShrink = 16

// runArray is KEYS or ARGV of an EVAL run: a Lua array of strings the
// state refills for the next run. The table is the script's to change
// (Redis gives a plain table); the next run reuses it only if it is as
// the last fill left it but for the values of 1..n, which the fill
// overwrites: no metatable, no other key. FCALL's key and argument tables
// are not reused: a library's function can keep them in an upvalue.
type runArray struct {
	t *lua.LTable
	n int // entries the last fill set (1..n)
}

// fill returns the array of items, the last run's table when it is reusable.
func (a *runArray) fill(L *lua.LState, items [][]byte) *lua.LTable {
	if !a.reusable(len(items)) {
		a.t, a.n = L.CreateTable(len(items), 0), 0
	}
	t := a.t
	for i, b := range items {
		// An equal string is kept: no copy (lock tokens, fixed arguments).
		if old, ok := t.RawGetInt(i + 1).(lua.LString); !ok || string(old) != string(b) {
			t.RawSetInt(i+1, lua.LString(b))
		}
	}
	for i := len(items) + 1; i <= a.n; i++ {
		t.RawSetInt(i, lua.LNil)
	}
	a.n = len(items)
	return t
}

// reusable reports whether the table holds no key beyond 1..a.n and has
// no metatable, and a refill to n entries clears few.
func (a *runArray) reusable(n int) bool {
	if a.t == nil || a.n-n > maxArrayShrink || a.t.Metatable != lua.LNil {
		return false
	}
	after := lua.LValue(lua.LNil) // Next from nil: the first key of all
	if a.n > 0 {
		after = lua.LNumber(a.n) // Next from n: past 1..n, array then hash
	}
	k, _ := a.t.Next(after)
	return k == lua.LNil
}

// setGlobal sets the global name to t unless it holds t already (a
// lookup costs less than gopher-lua's set).
func (st *state) setGlobal(name string, t *lua.LTable) {
	if st.globals.RawGetString(name) != lua.LValue(t) {
		st.globals.RawSetString(name, t)
	}
}

// mainFunction returns the closure of s's main chunk in the scripts'
// environment: the last run's when it ran s and kept its environment
// (setfenv can change it), else a new one.
func (st *state) mainFunction(s *Script) *lua.LFunction {
	if st.lastScript == s && st.lastFn.Env == st.env {
		return st.lastFn
	}
	fn := st.L.NewFunctionFromProto(s.proto)
	fn.Env = st.env
	st.lastScript, st.lastFn = s, fn
	return fn
}

// args converts the arguments of a redis lib call (luaArgsToRedisArgv):
// strings as they are, numbers as fpconv formats them; anything else is
// an error text. The result lives in the state's buffers and is valid
// until the next call of args (commands copy what they keep: their
// arguments otherwise alias the connection's read buffer).
func (st *state) args(L *lua.LState) ([][]byte, string) {
	n := L.GetTop()
	if n == 0 {
		return nil, "Please specify at least one argument for this redis lib call"
	}
	buf, ends := st.argBuf[:0], st.argEnds[:0]
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			buf = append(buf, v...)
		case lua.LNumber:
			buf = formatNumber(buf, float64(v))
		default:
			return nil, "Lua redis lib command arguments must be strings or integers"
		}
		ends = append(ends, len(buf))
	}
	out := st.argVec[:0]
	start := 0
	for _, end := range ends {
		out = append(out, buf[start:end:end]) // capped: an append cannot reach the next argument
		start = end
	}
	if cap(buf) <= maxArgBuf {
		st.argBuf = buf
	} else {
		st.argBuf = nil
	}
	st.argEnds, st.argVec = ends, out
	return out, ""
}
