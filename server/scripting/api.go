package scripting

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The version scripts see in redis.REDIS_VERSION(_NUM): the Redis whose
// behaviour meshcache follows.
const (
	redisVersion    = "7.2.4"
	redisVersionNum = 0x070204
)

// Replication flags of redis.set_repl (accepted: a script's writes always
// replicate as their effects).
const (
	replNone = 0
	replAOF  = 1
	replRepl = 2
	replAll  = replAOF | replRepl
)

// redisTable builds the `redis` table of script_lua.c luaRegisterRedisAPI
// and eval.c scriptingInit.
func (st *state) redisTable() *lua.LTable {
	L := st.L
	t := L.NewTable()
	set := func(name string, fn lua.LGFunction) { t.RawSetString(name, L.NewFunction(fn)) }
	set("call", func(L *lua.LState) int { return st.command(L, true) })
	set("pcall", func(L *lua.LState) int { return st.command(L, false) })
	set("log", st.logCommand)
	t.RawSetString("LOG_DEBUG", lua.LNumber(0))
	t.RawSetString("LOG_VERBOSE", lua.LNumber(1))
	t.RawSetString("LOG_NOTICE", lua.LNumber(2))
	t.RawSetString("LOG_WARNING", lua.LNumber(3))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(redisVersionNum))
	t.RawSetString("REDIS_VERSION", lua.LString(redisVersion))
	set("setresp", st.setResp)
	set("sha1hex", sha1hexCommand)
	set("error_reply", errorReply)
	set("status_reply", statusReply)
	set("set_repl", setRepl)
	t.RawSetString("REPL_NONE", lua.LNumber(replNone))
	t.RawSetString("REPL_AOF", lua.LNumber(replAOF))
	t.RawSetString("REPL_SLAVE", lua.LNumber(replRepl))
	t.RawSetString("REPL_REPLICA", lua.LNumber(replRepl))
	t.RawSetString("REPL_ALL", lua.LNumber(replAll))
	set("acl_check_cmd", st.aclCheckCmd)
	// Outside a debugger, as Redis answers them.
	set("breakpoint", func(L *lua.LState) int { L.Push(lua.LFalse); return 1 })
	set("debug", func(*lua.LState) int { return 0 })
	set("replicate_commands", func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
	return t
}

// raise raises the error table of text (luaPushError + luaError).
func raise(L *lua.LState, text string) {
	L.Error(errorTable(L, text), 0)
}

// command is redis.call (raise) and redis.pcall: run the command through
// the Caller and convert its reply; an error reply is raised by call and
// returned as an error table by pcall.
func (st *state) command(L *lua.LState, raiseErr bool) int {
	argv, errText := st.args(L)
	L.SetTop(0)
	if errText != "" {
		t := errorTable(L, errText)
		if raiseErr {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	if st.run == nil || st.run.Caller == nil {
		raise(L, "redis.call is only available while a script runs")
	}
	reply := st.run.Caller.Call(argv, st.scriptRESP == 3)
	v, err := toLua(L, reply)
	if err != nil {
		st.e.log.Error("script command reply unreadable", "cmd", string(argv[0]), "err", err)
		v = errorTable(L, "ERR internal error converting the reply of '"+string(argv[0])+"'")
	}
	if raiseErr && len(reply) > 0 && reply[0] == '-' {
		L.Error(v, 0)
	}
	L.Push(v)
	return 1
}

func (st *state) logCommand(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		raise(L, "redis.log() requires two arguments or more.")
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		if s, isStr := L.Get(1).(lua.LString); !isStr || !isNumeric(string(s)) {
			raise(L, "First argument must be a number (log level).")
		}
		lv = L.ToNumber(1)
	}
	level := int(lv)
	if level < 0 || level > 3 {
		raise(L, "Invalid debug level.")
	}
	var msg []byte
	for i := 2; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString, lua.LNumber:
			if i != 2 {
				msg = append(msg, ' ')
			}
			msg = append(msg, lua.LVAsString(v)...)
		}
	}
	levels := []slog.Level{slog.LevelDebug, slog.LevelDebug + 2, slog.LevelInfo, slog.LevelWarn}
	st.e.log.Log(context.Background(), levels[level], string(msg), "source", "script")
	return 0
}

// isNumeric is lua_isnumber of a string: it reads as a number.
func isNumeric(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}

func (st *state) setResp(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.setresp() requires one argument.")
	}
	v := int(lua.LVAsNumber(L.Get(1)))
	if v != 2 && v != 3 {
		raise(L, "RESP version must be 2 or 3.")
	}
	st.scriptRESP = v
	return 0
}

func sha1hexCommand(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "wrong number of arguments")
	}
	s := ""
	switch v := L.Get(1).(type) {
	case lua.LString, lua.LNumber:
		s = lua.LVAsString(v)
	}
	L.Push(lua.LString(SHA1Hex([]byte(s))))
	return 1
}

func errorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	text := string(s)
	if len(text) == 0 || text[0] != '-' {
		text = "-" + text
	}
	L.Push(errorTable(L, text))
	return 1
}

func statusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	t := L.NewTable()
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

func setRepl(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, "redis.set_repl() requires one argument.")
	}
	flags := int(lua.LVAsNumber(L.Get(1)))
	if flags&^replAll != 0 {
		raise(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
	}
	return 0
}

// aclCheckCmd is redis.acl_check_cmd: meshcache has one user with every
// permission, so a known command is allowed.
func (st *state) aclCheckCmd(L *lua.LState) int {
	argv, errText := st.args(L)
	if errText != "" {
		raise(L, errText)
	}
	k, ok := st.run.Caller.(interface{ Known(args [][]byte) bool })
	if !ok || !k.Known(argv) {
		raise(L, "Invalid command passed to redis.acl_check_cmd()")
	}
	L.Push(lua.LTrue)
	return 1
}

// rand48 is Redis's redisLrand48 (rand.c): math.random gives the same
// sequence for the same seed on every platform.
type rand48 struct{ x uint64 }

const rand48Max = math.MaxInt32

func (r *rand48) seed(s int32) { r.x = uint64(uint32(s))<<16 | 0x330e }

func (r *rand48) next() int32 {
	r.x = (0x5DEECE66D*r.x + 0xB) & (1<<48 - 1)
	return int32(r.x >> 17)
}

func (st *state) mathRandom(L *lua.LState) int {
	r := float64(st.rand.next()%rand48Max) / float64(rand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := L.CheckInt(1)
		if u < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l, u := L.CheckInt(1), L.CheckInt(2)
		if l > u {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (st *state) mathRandomseed(L *lua.LState) int {
	st.rand.seed(int32(L.CheckInt(1)))
	return 0
}
