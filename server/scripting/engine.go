// Package scripting is meshcache's Lua environment, as Redis 7.2 gives it
// to EVAL scripts: a pool of Lua 5.1 states (gopher-lua), a cache of
// compiled scripts by SHA1, the `redis` table (call, pcall, error_reply,
// status_reply, sha1hex, log, setresp, set_repl ...), Redis's sandbox and
// global protection, and the conversions between RESP replies and Lua
// values both ways, RESP2 and RESP3.
//
// The package knows nothing of connections, the store or the cluster:
// redis.call reaches the node through a Caller, which runs one command
// and returns its raw reply, with every check Redis makes before a
// script's command (unknown command, noscript, arity, writes in a
// read-only script, keys of other slots) answered as an error reply.
//
// Invariants:
//   - A state runs one script at a time; several scripts run at once on
//     as many states (the pool grows with the number of concurrent runs).
//   - Nothing a script does survives into the next run on the same state:
//     globals and library tables are read-only proxies (a write is
//     "Attempt to modify a readonly table", a read of a missing global
//     "Script attempted to access nonexistent global variable"); a state
//     whose proxies or environment a script managed to change anyway is
//     dropped rather than returned to the pool.
//   - A run stops when its context ends (SCRIPT KILL, shutdown): gopher-lua
//     checks the context before every instruction, so even a loop inside
//     pcall ends.
//   - The call stack and the value stack of a state are bounded
//     (maxCallDepth, maxRegistry); a string built by string.rep is bounded
//     by maxStringLen, and a run's memory by the watchdog (memory.go).
package scripting

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/meshcache/meshcache/server/resp"
)

func init() {
	// Lua 5.0's implicit `arg` table of vararg functions (Lua 5.1's
	// LUA_COMPAT_VARARG) costs a table per run of every script, whose main
	// chunk is vararg; scripts use `...` (docs/COMPATIBILITY.md).
	lua.CompatVarArg = false
}

// Caller runs one command for a script. args[0] is the command name. The
// reply is the command's whole raw reply in RESP3 when resp3 is set, else
// RESP2; a check that refuses the command (unknown command, noscript,
// arity, write in a read-only script, keys of another slot ...) is an
// error reply with Redis's text ("-ERR Unknown Redis command called from
// script\r\n"). The reply may alias the Caller's buffer until its next call.
type Caller interface {
	Call(args [][]byte, resp3 bool) []byte
}

// Script is a compiled EVAL script. Immutable once made.
type Script struct {
	SHA   string // 40 lower-case hex digits of the body's SHA1
	Body  []byte
	Flags Flags
	proto *lua.FunctionProto
}

// Engine is one node's Lua environment: the compiled-script cache and the
// pool of states. Safe for concurrent use.
type Engine struct {
	log *slog.Logger

	mu      sync.RWMutex // guards scripts, libs and funcs
	scripts map[string]*Script
	libs    map[string]*Library  // FUNCTION libraries by name
	funcs   map[string]*Function // their functions by name
	// libVersion numbers each load of a library, so a pooled state knows
	// whether it ran the current code (functions.go).
	libVersion atomic.Uint64

	pool sync.Pool // of *state

	memLimit atomic.Int64 // heap growth a run may cause (memory.go)
	// lastForcedGC is when OverMemory last collected to judge a growth (unix ns).
	lastForcedGC atomic.Int64
}

// New returns an engine with an empty script cache; log receives
// redis.log's lines.
func New(log *slog.Logger) *Engine {
	e := &Engine{log: log, scripts: make(map[string]*Script), libs: make(map[string]*Library), funcs: make(map[string]*Function)}
	e.pool.New = func() any { return newState(e) }
	e.SetMemoryLimit(DefaultMemoryLimit)
	return e
}

// SHA1Hex returns the lower-case hex SHA1 of b (script names, redis.sha1hex).
func SHA1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// Lookup returns the cached script whose SHA1 is sha (any case), nil if none.
func (e *Engine) Lookup(sha []byte) *Script {
	if len(sha) != 40 {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if s := e.scripts[string(sha)]; s != nil { // as clients send it: no copy
		return s
	}
	return e.scripts[string(bytes.ToLower(sha))]
}

// Exists reports whether the script named sha is cached (SCRIPT EXISTS:
// the name is compared as given, as Redis does).
func (e *Engine) Exists(sha []byte) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	_, ok := e.scripts[string(sha)]
	return ok
}

// Flush empties the script cache (SCRIPT FLUSH).
func (e *Engine) Flush() {
	e.mu.Lock()
	e.scripts = make(map[string]*Script)
	e.mu.Unlock()
}

// Len returns the number of cached scripts.
func (e *Engine) Len() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.scripts)
}

// Load compiles body and caches it (EVAL, SCRIPT LOAD); a script already
// cached is returned as it is. errText is Redis's error, without the
// leading '-' ("ERR Error compiling script (new function): ...").
func (e *Engine) Load(body []byte) (s *Script, errText string) {
	sha := SHA1Hex(body)
	e.mu.RLock()
	s = e.scripts[sha]
	e.mu.RUnlock()
	if s != nil {
		return s, ""
	}
	flags, shebang, serr := ParseShebang(body)
	if serr != "" {
		return nil, "ERR " + serr
	}
	// The shebang line is skipped but its newline kept, so line numbers hold.
	proto, err := compile(body[shebang:], "user_script")
	if err != "" {
		return nil, "ERR Error compiling script (new function): " + err
	}
	s = &Script{SHA: sha, Body: bytes.Clone(body), Flags: flags, proto: proto}
	e.mu.Lock()
	if old := e.scripts[sha]; old != nil {
		s = old
	} else {
		e.scripts[sha] = s
	}
	e.mu.Unlock()
	return s, ""
}

// gopher-lua's parse errors say "name line:N(column:C) near 'x': msg";
// Lua's say "name:N: msg near 'x'". The line is what matters to a user.
var parseErrRE = regexp.MustCompile(`^(\S+) line:(\d+)\(column:\d+\) (?:near '(.*)':\s+)?(.*)$`)

var parseEOFRE = regexp.MustCompile(`^(\S+) at EOF:\s+(.*)$`)

// compile parses and compiles src as the chunk name; err is the
// compiler's message.
func compile(src []byte, name string) (*lua.FunctionProto, string) {
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err != nil {
		msg := bytes.TrimSpace([]byte(err.Error()))
		if m := parseErrRE.FindSubmatch(msg); m != nil {
			out := fmt.Sprintf("%s:%s: %s", m[1], m[2], bytes.TrimSpace(m[4]))
			if len(m[3]) > 0 {
				out += fmt.Sprintf(" near '%s'", m[3])
			}
			return nil, out
		}
		if m := parseEOFRE.FindSubmatch(msg); m != nil {
			return nil, fmt.Sprintf("%s:%d: %s near <eof>", m[1], bytes.Count(src, []byte("\n"))+1, bytes.TrimSpace(m[2]))
		}
		return nil, string(msg)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, err.Error()
	}
	return proto, ""
}

// Run is one execution of a script.
type Run struct {
	Keys, Args [][]byte // KEYS and ARGV
	Caller     Caller
	// Name is the script's name in error texts: its SHA1 for EVAL.
	Name string
	// Watched: the caller runs the run's memory watch (HeapMark,
	// OverMemory every WatchEvery from WatchDelay on) and cancels ctx
	// with ErrMemory; unset, the engine watches itself.
	Watched bool
}

// Eval runs script s with run's keys and arguments and writes its reply
// (or its error) to out, in out's protocol. It returns when the script
// ends or ctx ends (then the reply is the kill error, errKilledFormat).
func (e *Engine) Eval(ctx context.Context, s *Script, run *Run, out *resp.Reply) {
	if !run.Watched {
		var end func()
		ctx, end = e.watch(ctx)
		defer end()
	}
	st := e.pool.Get().(*state)
	fn := st.mainFunction(s)
	st.setGlobal("KEYS", st.keys.fill(st.L, run.Keys))
	st.setGlobal("ARGV", st.argv.fill(st.L, run.Args))
	ok := st.call(ctx, fn, 0, run, out)
	// KEYS and ARGV stay until the next run replaces them, as in Redis.
	if ok && st.intact() {
		e.pool.Put(st)
	} else {
		st.L.Close()
	}
}
