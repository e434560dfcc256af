package scripting

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/meshcache/meshcache/server/resp"
)

// Function libraries (FUNCTION LOAD, FCALL), as Redis 7's functions.c and
// function_lua.c: a library is Lua code whose first line is
// "#!lua name=<lib>"; loading it runs the code once in an environment
// that has only redis.register_function, redis.log and the version, and
// each register_function call adds a function (name, callback, flags,
// description). The engine keeps the libraries by name and the functions
// by name (unique across libraries).
//
// The callbacks are Lua closures, which belong to one state, so each
// pooled state runs a library's code itself the first time it calls one
// of its functions (state.functions), and again after a REPLACE (each
// load of a library has a new version).

// loadTimeout bounds the run of a library's code (Redis's 500 ms).
const loadTimeout = 500 * time.Millisecond

// Library is one loaded library. Immutable once made.
type Library struct {
	Name      string
	Code      []byte
	Functions []*Function // sorted by name
	version   uint64
	proto     *lua.FunctionProto
}

// Function is one registered function.
type Function struct {
	Name        string
	Description *string // nil: none given
	Flags       Flags
	Library     *Library
}

// Library errors, in Redis's words.
const (
	errLibName      = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	errNoFunctions  = "No functions registered"
	errLibMissingMD = "Missing library metadata"
	errLibInvalidMD = "Invalid library metadata"
)

// validName: letters, digits and underscores, at least one.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')) {
			return false
		}
	}
	return true
}

// libraryMetadata is functionExtractLibMetaData: the engine and name of
// the first line; firstLine is its length (the compiler skips it).
func libraryMetadata(code []byte) (engine, name string, firstLine int, err string) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", "", 0, errLibMissingMD
	}
	end := bytes.IndexByte(code, '\n')
	if end < 0 {
		return "", "", 0, errLibInvalidMD
	}
	parts, ok := splitArgs(string(code[:end]))
	if !ok || len(parts) == 0 {
		return "", "", 0, errLibInvalidMD
	}
	engine = parts[0][2:]
	for _, p := range parts[1:] {
		v, isName := strings.CutPrefix(p, "name=")
		if !isName {
			return "", "", 0, "Invalid metadata value given: " + p
		}
		if name != "" {
			return "", "", 0, "Invalid metadata value, name argument was given multiple times"
		}
		name = v
	}
	if name == "" {
		return "", "", 0, "Library name was not given"
	}
	return engine, name, end, ""
}

// LoadLibrary is FUNCTION LOAD [REPLACE]: it compiles code, runs it to
// collect its functions and installs the library. It returns the
// library's name, or Redis's error text (without "-ERR ").
func (e *Engine) LoadLibrary(code []byte, replace bool) (string, string) {
	lib, errText := e.compileLibrary(code, replace)
	if errText != "" {
		return "", errText
	}
	return lib.Name, e.install([]*Library{lib}, replace, "Library '%s' already exists")
}

// compileLibrary checks the metadata, compiles the code and runs it once
// to collect the functions (on a pooled state).
func (e *Engine) compileLibrary(code []byte, replace bool) (*Library, string) {
	engine, name, first, errText := libraryMetadata(code)
	if errText != "" {
		return nil, errText
	}
	if !validName(name) {
		return nil, errLibName
	}
	if !strings.EqualFold(engine, "lua") {
		return nil, fmt.Sprintf("Engine '%s' not found", engine)
	}
	if !replace {
		e.mu.RLock()
		_, exists := e.libs[name]
		e.mu.RUnlock()
		if exists {
			return nil, fmt.Sprintf("Library '%s' already exists", name)
		}
	}
	src := append(bytes.Repeat([]byte(" "), first), code[first:]...) // keep line numbers
	proto, cerr := compile(src, "user_function")
	if cerr != "" {
		return nil, "Error compiling function: " + cerr
	}
	lib := &Library{Name: name, Code: bytes.Clone(code), proto: proto, version: e.libVersion.Add(1)}
	st := e.pool.Get().(*state)
	funcs, errText := st.loadLibrary(lib)
	if st.intact() {
		e.pool.Put(st)
	} else {
		st.L.Close()
	}
	if errText != "" {
		return nil, errText
	}
	if len(funcs) == 0 {
		return nil, errNoFunctions
	}
	for _, f := range funcs {
		f.cb = nil
		lib.Functions = append(lib.Functions, &Function{Name: f.name, Description: f.desc, Flags: f.flags, Library: lib})
	}
	sort.Slice(lib.Functions, func(i, j int) bool { return lib.Functions[i].Name < lib.Functions[j].Name })
	return lib, ""
}

// install adds libs at once, all or none: an existing library of the same
// name is an error unless replace (exists words it, the name for its %s),
// a function name taken by another library always is.
func (e *Engine) install(libs []*Library, replace bool, exists string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	replaced := map[string]bool{}
	for _, lib := range libs {
		if _, ok := e.libs[lib.Name]; ok {
			if !replace {
				return fmt.Sprintf(exists, lib.Name)
			}
			replaced[lib.Name] = true
		}
	}
	seen := map[string]bool{}
	for _, lib := range libs {
		for _, f := range lib.Functions {
			if old, ok := e.funcs[funcKey(f.Name)]; (ok && !replaced[old.Library.Name]) || seen[funcKey(f.Name)] {
				return fmt.Sprintf("Function %s already exists", f.Name)
			}
			seen[funcKey(f.Name)] = true
		}
	}
	for _, lib := range libs {
		if old := e.libs[lib.Name]; old != nil {
			for _, f := range old.Functions {
				delete(e.funcs, funcKey(f.Name))
			}
		}
		e.libs[lib.Name] = lib
		for _, f := range lib.Functions {
			e.funcs[funcKey(f.Name)] = f
		}
	}
	return ""
}

// DeleteLibrary is FUNCTION DELETE; false when there is no such library.
func (e *Engine) DeleteLibrary(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	lib := e.libs[name]
	if lib == nil {
		return false
	}
	for _, f := range lib.Functions {
		delete(e.funcs, funcKey(f.Name))
	}
	delete(e.libs, name)
	return true
}

// FlushLibraries is FUNCTION FLUSH.
func (e *Engine) FlushLibraries() {
	e.mu.Lock()
	e.libs = make(map[string]*Library)
	e.funcs = make(map[string]*Function)
	e.mu.Unlock()
}

// Libraries returns the libraries, by name.
func (e *Engine) Libraries() []*Library {
	e.mu.RLock()
	out := make([]*Library, 0, len(e.libs))
	for _, l := range e.libs {
		out = append(out, l)
	}
	e.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupFunction returns the function named name, in any case, nil if
// none.
func (e *Engine) LookupFunction(name []byte) *Function {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if f, ok := e.funcs[string(name)]; ok {
		return f // a name in lower case, as most are: no copy to lower it
	}
	return e.funcs[funcKey(string(name))]
}

// funcKey is a function's name as the engine's table keys it: function
// names are case-insensitive across libraries (FCALL test calls test, and
// two libraries cannot both have f and F), as Redis's functionDictType
// hashes and compares them; library names are not.
func funcKey(name string) string { return strings.ToLower(name) }

// FunctionCount counts the functions of every library.
func (e *Engine) FunctionCount() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.funcs)
}

// RestoreLibraries installs the libraries of codes (FUNCTION RESTORE):
// policy "flush" replaces every library, "append" fails on a name
// collision, "replace" replaces the colliding libraries. All or none.
func (e *Engine) RestoreLibraries(codes [][]byte, policy string) string {
	libs := make([]*Library, 0, len(codes))
	for _, code := range codes {
		lib, errText := e.compileLibrary(code, true)
		if errText != "" {
			return errText
		}
		libs = append(libs, lib)
	}
	if policy == "flush" {
		e.mu.Lock()
		old, oldFuncs := e.libs, e.funcs
		e.libs, e.funcs = make(map[string]*Library), make(map[string]*Function)
		e.mu.Unlock()
		if errText := e.install(libs, false, errRestoreExists); errText != "" {
			e.mu.Lock()
			e.libs, e.funcs = old, oldFuncs
			e.mu.Unlock()
			return errText
		}
		return ""
	}
	return e.install(libs, policy == "replace", errRestoreExists)
}

// errRestoreExists is RESTORE's word for a library that exists, unquoted
// where LOAD quotes it (Redis's libraryJoin and functionsCreateWithLibraryCtx).
const errRestoreExists = "Library %s already exists"

// FCall runs function f with run's keys and arguments (passed to the
// callback as its two tables) and writes its reply or error to out.
func (e *Engine) FCall(ctx context.Context, f *Function, run *Run, out *resp.Reply) {
	if !run.Watched {
		var end func()
		ctx, end = e.watch(ctx)
		defer end()
	}
	st := e.pool.Get().(*state)
	cb, errText := st.callback(f)
	if errText != "" {
		out.Error("ERR " + errText)
		e.pool.Put(st)
		return
	}
	st.L.Push(st.array(run.Keys))
	st.L.Push(st.array(run.Args))
	ok := st.call(ctx, cb, 2, run, out)
	if ok && st.intact() {
		e.pool.Put(st)
	} else {
		st.L.Close()
	}
}

// registered is one register_function call while a library loads.
type registered struct {
	name  string
	desc  *string
	flags Flags
	cb    *lua.LFunction
}

// loadLibrary runs lib's code in this state, in the loading environment,
// and returns the functions it registered (callbacks of this state).
func (st *state) loadLibrary(lib *Library) ([]*registered, string) {
	L := st.L
	fn := L.NewFunctionFromProto(lib.proto)
	fn.Env = st.fenv
	st.fenvMT.RawSetString("__index", st.loadAPI)
	st.loading = &[]*registered{}
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	L.SetContext(ctx)
	L.Push(fn)
	err := L.PCall(0, 0, nil)
	L.RemoveContext()
	timedOut := ctx.Err() != nil
	cancel()
	funcs := *st.loading
	st.loading = nil
	st.fenvMT.RawSetString("__index", st.globals)
	L.SetTop(0)
	if err != nil {
		var msg string
		var apiErr *lua.ApiError
		switch {
		case timedOut:
			msg = "ERR FUNCTION LOAD timeout"
		case errors.As(err, &apiErr):
			if t, ok := apiErr.Object.(*lua.LTable); ok {
				msg = lua.LVAsString(t.RawGetString("err"))
			} else {
				msg = "ERR " + lua.LVAsString(apiErr.Object)
			}
		default:
			msg = "ERR " + err.Error()
		}
		return nil, "Error registering functions: " + msg
	}
	return funcs, ""
}

// callback returns f's callback in this state, running its library's
// code here first if this state has not run this version of it.
func (st *state) callback(f *Function) (*lua.LFunction, string) {
	lib := f.Library
	cbs, ok := st.libs[lib.version]
	if !ok {
		if len(st.libs) > 64 {
			clear(st.libs) // versions replaced or deleted since: run again on demand
		}
		funcs, errText := st.loadLibrary(lib)
		if errText != "" {
			return nil, errText
		}
		cbs = make(map[string]*lua.LFunction, len(funcs))
		for _, r := range funcs {
			cbs[r.name] = r.cb
		}
		st.libs[lib.version] = cbs
	}
	cb := cbs[f.Name]
	if cb == nil {
		return nil, "Function not found"
	}
	return cb, ""
}

// registerFunction is redis.register_function, in its two forms:
// (name, callback) and ({function_name=, callback=, flags=, description=}).
func (st *state) registerFunction(L *lua.LState) int {
	if st.loading == nil {
		raise(L, "redis.register_function can only be called on FUNCTION LOAD command")
	}
	var r registered
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			raise(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var errText string
		t.ForEach(func(k, v lua.LValue) {
			if errText != "" {
				return
			}
			key, ok := k.(lua.LString)
			if !ok {
				errText = "named argument key given to redis.register_function is not a string"
				return
			}
			switch string(key) {
			case "function_name":
				if !isStringish(v) {
					errText = "function_name argument given to redis.register_function must be a string"
				}
				r.name = lua.LVAsString(v)
			case "description":
				if !isStringish(v) {
					errText = "description argument given to redis.register_function must be a string"
				}
				d := lua.LVAsString(v)
				r.desc = &d
			case "callback":
				f, ok := v.(*lua.LFunction)
				if !ok {
					errText = "callback argument given to redis.register_function must be a function"
				}
				r.cb = f
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					errText = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				for i := 1; ; i++ {
					fv := ft.RawGetInt(i)
					if fv == lua.LNil {
						break
					}
					s, isStr := fv.(lua.LString)
					f, known := FlagByName(string(s))
					if !isStr || !known {
						errText = "unknown flag given"
						return
					}
					r.flags |= f
				}
			default:
				errText = "unknown argument given to redis.register_function"
			}
		})
		if errText != "" {
			raise(L, errText)
		}
		if r.name == "" {
			raise(L, "redis.register_function must get a function name argument")
		}
		if r.cb == nil {
			raise(L, "redis.register_function must get a callback argument")
		}
	case 2:
		if !isStringish(L.Get(1)) {
			raise(L, "first argument to redis.register_function must be a string")
		}
		f, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			raise(L, "second argument to redis.register_function must be a function")
		}
		r.name, r.cb = lua.LVAsString(L.Get(1)), f
	default:
		raise(L, "wrong number of arguments to redis.register_function")
	}
	if !validName(r.name) {
		raise(L, errLibName)
	}
	for _, old := range *st.loading {
		if old.name == r.name {
			raise(L, "Function already exists in the library")
		}
	}
	*st.loading = append(*st.loading, &r)
	return 0
}
