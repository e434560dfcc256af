package scripting

import (
	"context"
	"errors"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/scripting/lualib"
)

// Bounds of one state.
const (
	// maxCallDepth bounds nested Lua calls (deep recursion ends in
	// "stack overflow"), as Lua's LUAI_MAXCALLS bounds Redis's.
	maxCallDepth = 2000
	// maxRegistry bounds a state's value stack, in values.
	maxRegistry = 1 << 20
	// maxStringLen bounds a string built by string.rep: a script cannot
	// ask for gigabytes in one call (Redis's allocator would fail it).
	maxStringLen = 512 << 20
)

// Redis's texts.
const (
	errReadonlyTable = "Attempt to modify a readonly table"
	errNoGlobal      = "Script attempted to access nonexistent global variable '%s'"
	errKilled        = "ERR Script killed by user with SCRIPT KILL..."
)

// state is one Lua VM of the pool with the run it is executing. It is
// used by one goroutine at a time (the pool hands it out).
type state struct {
	e *Engine
	L *lua.LState
	// globals is the real global table; scripts see env, a read-only
	// proxy of it. libs are the proxies of the library tables. None of
	// the proxies may ever hold a key (intact checks it).
	globals *lua.LTable
	env     *lua.LTable
	proxies []*lua.LTable
	strMT   lua.LValue // the string metatable as built
	// fenv is the environment of function libraries' code (a proxy like
	// env) whose metatable's __index is loadAPI while a library loads
	// and the globals otherwise, as Redis swaps it (function_lua.c).
	fenv, fenvMT *lua.LTable
	loadAPI      *lua.LTable
	// libs holds the callbacks of the library versions this state ran;
	// loading collects register_function calls while one runs.
	libs    map[uint64]map[string]*lua.LFunction
	loading *[]*registered

	errHandler *lua.LFunction

	// The run in progress (nil between runs) and the protocol the script
	// selected with redis.setresp (2 at the start of every run).
	run        *Run
	scriptRESP int
	rand       rand48

	// Kept from run to run (reuse.go): EVAL's KEYS and ARGV, the closure
	// of the last script run, redis.call's argument buffers.
	keys, argv runArray
	lastScript *Script
	lastFn     *lua.LFunction
	argBuf     []byte
	argEnds    []int
	argVec     [][]byte
}

func newState(e *Engine) *state {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       maxCallDepth,
		MinimizeStackMemory: true,
		RegistrySize:        1024,
		RegistryMaxSize:     maxRegistry,
	})
	st := &state{e: e, L: L, globals: L.G.Global, scriptRESP: 2, libs: make(map[uint64]map[string]*lua.LFunction)}
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{"", lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	// What Redis does not load or removes: no file or module access, no print.
	for _, name := range []string{"dofile", "loadfile", "print", "_printregs", "module", "require"} {
		st.globals.RawSetString(name, lua.LNil)
	}
	st.globals.RawSetString("pcall", L.NewFunction(st.pcall))
	st.globals.RawSetString("error", L.NewFunction(luaError))
	realRedis := st.redisTable()
	st.globals.RawSetString("redis", realRedis)
	if str, ok := st.globals.RawGetString(lua.StringLibName).(*lua.LTable); ok {
		str.RawSetString("rep", L.NewFunction(strRep))
	}
	if m, ok := st.globals.RawGetString(lua.MathLibName).(*lua.LTable); ok {
		m.RawSetString("random", L.NewFunction(st.mathRandom))
		m.RawSetString("randomseed", L.NewFunction(st.mathRandomseed))
	}
	lualib.Open(L) // cjson, cmsgpack, struct, bit
	st.errHandler = L.NewFunction(errHandler)

	// Protection: every library table behind a read-only proxy, the
	// globals behind one whose misses are errors, as Redis's readonly
	// tables and luaSetErrorMetatable.
	readonly := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(errReadonlyTable)
		return 0
	})
	var lastMT *lua.LTable
	protect := func(real *lua.LTable) *lua.LTable {
		p := L.NewTable()
		mt := L.NewTable()
		lastMT = mt
		mt.RawSetString("__index", real)
		mt.RawSetString("__newindex", readonly)
		mt.RawSetString("__metatable", lua.LFalse)
		L.SetMetatable(p, mt)
		st.proxies = append(st.proxies, p)
		return p
	}
	var libs []string
	st.globals.ForEach(func(k, v lua.LValue) {
		if _, ok := v.(*lua.LTable); ok && k != lua.LString("_G") {
			libs = append(libs, k.String())
		}
	})
	for _, name := range libs {
		real := st.globals.RawGetString(name).(*lua.LTable)
		p := protect(real)
		st.globals.RawSetString(name, p)
		if name == lua.StringLibName {
			if smt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
				smt.RawSetString("__index", p)
				smt.RawSetString("__metatable", lua.LFalse)
			}
		}
	}
	st.strMT = L.GetMetatable(lua.LString(""))
	gmt := L.NewTable()
	gmt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(errNoGlobal, L.ToString(2))
		return 0
	}))
	L.SetMetatable(st.globals, gmt)
	st.env = protect(st.globals)
	st.globals.RawSetString("_G", st.env)
	L.Env = st.env

	// The loading environment of function libraries: only redis, with
	// register_function, log and the version.
	missing := L.NewTable()
	missing.RawSetString("__index", gmt.RawGetString("__index"))
	lr := L.NewTable()
	lr.RawSetString("register_function", L.NewFunction(st.registerFunction))
	lr.RawSetString("log", L.NewFunction(st.logCommand))
	for _, k := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		lr.RawSetString(k, realRedis.RawGetString(k))
	}
	L.SetMetatable(lr, missing)
	api := L.NewTable()
	api.RawSetString("redis", protect(lr))
	L.SetMetatable(api, missing)
	st.loadAPI = api
	st.fenv = protect(st.globals)
	st.fenvMT = lastMT
	return st
}

// intact reports whether the state is as newState left it: no proxy holds
// a key and the environment is the protected one, so the next run starts
// clean. A script that got around the protection costs only its state.
func (st *state) intact() bool {
	for _, p := range st.proxies {
		if k, _ := p.Next(lua.LNil); k != lua.LNil {
			return false
		}
	}
	return st.L.Env == st.env && st.L.G.Global == st.globals && st.fenvMT.RawGetString("__index") == st.globals &&
		st.L.GetMetatable(lua.LString("")) == st.strMT && st.L.GetTop() == 0
}

// array makes a Lua array of strings (KEYS, ARGV).
func (st *state) array(items [][]byte) *lua.LTable {
	t := st.L.CreateTable(len(items), 0)
	for i, b := range items {
		t.RawSetInt(i+1, lua.LString(b))
	}
	return t
}

// call runs fn with nargs arguments already pushed, under ctx, and writes
// its one result or its error to out as luaCallFunction does. It reports
// whether the state may be reused.
func (st *state) call(ctx context.Context, fn *lua.LFunction, nargs int, run *Run, out *resp.Reply) bool {
	L := st.L
	st.run, st.scriptRESP = run, 2
	defer func() { st.run = nil }()
	L.SetContext(ctx)
	defer L.RemoveContext()
	L.Insert(fn, L.GetTop()-nargs+1)
	err := L.PCall(nargs, 1, st.errHandler)
	if err == nil {
		writeReply(out, L.Get(-1), st.scriptRESP, 0)
		L.Pop(1)
		return true
	}
	var obj lua.LValue = lua.LNil
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		obj = apiErr.Object
	}
	L.SetTop(0)
	t, ok := obj.(*lua.LTable)
	if !ok {
		msg := "execution failure"
		if s, isStr := obj.(lua.LString); isStr {
			msg = string(s)
		}
		if len(msg) > 100 {
			msg = msg[:100]
		}
		out.Error(sanitizeLine(fmt.Sprintf("ERR Error running script %s, %s", run.Name, msg)))
		return ctx.Err() == nil
	}
	msg := ""
	if s, isStr := t.RawGetString("err").(lua.LString); isStr {
		msg = string(s)
	}
	if ctx.Err() != nil {
		msg = errKilled
		if errors.Is(cause(ctx), ErrMemory) {
			msg = errMemoryText
		}
	}
	src, line := t.RawGetString("source"), t.RawGetString("line")
	if isStringish(src) && isStringish(line) {
		msg += fmt.Sprintf(" script: %s, on %s:%s.", run.Name, lua.LVAsString(src), lua.LVAsString(line))
	}
	out.Error(sanitizeLine(msg))
	return ctx.Err() == nil
}

func isStringish(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

// sanitizeLine makes text one RESP error line (CR and LF become spaces).
func sanitizeLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	return s
}

// errHandler is Redis's __redis__err__handler: it makes the error an
// {err=...} table (a string error gets the ERR code) and records where it
// happened: the function that raised it, or its caller when that is a
// built-in (redis.call, error ...).
func errHandler(L *lua.LState) int {
	errv := L.Get(1)
	t, ok := errv.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+lua.LVAsString(L.ToStringMeta(errv))))
	}
	for level := 1; level <= 2; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			break
		}
		if dbg.What == "G" {
			continue
		}
		t.RawSetString("source", lua.LString("@"+dbg.Source))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// pcall is Redis's replacement of pcall: an error table raised by
// redis.call is handed to the handler's caller as its err string.
func (st *state) pcall(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(1, "value expected")
	}
	err := L.PCall(n-1, lua.MultRet, nil)
	if err == nil {
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}
	var obj lua.LValue = lua.LString(err.Error())
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		obj = apiErr.Object
	}
	if t, ok := obj.(*lua.LTable); ok {
		if s, isStr := t.RawGetString("err").(lua.LString); isStr {
			obj = s
		}
	}
	L.Push(lua.LFalse)
	L.Push(obj)
	return 2
}

// strRep is string.rep with a bound on the result's size.
func strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || len(s) == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	if int64(len(s))*int64(n) > maxStringLen {
		L.RaiseError("not enough memory")
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// luaError is Lua 5.1's error: a string message gets the position of the
// function at level (1: the caller of error) when that function is Lua
// code; gopher-lua's would skip built-in frames and name the script
// where Lua names nothing (pcall(error, 'x') gives "x").
func luaError(L *lua.LState) int {
	obj := L.CheckAny(1)
	level := L.OptInt(2, 1)
	if s, ok := obj.(lua.LString); ok && level > 0 {
		if dbg, ok := L.GetStack(level); ok {
			if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
				obj = lua.LString(fmt.Sprintf("%s:%d: %s", dbg.Source, dbg.CurrentLine, s))
			}
		}
	}
	L.Error(obj, 0)
	return 0
}
