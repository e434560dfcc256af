package scripting

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/meshcache/meshcache/server/resp"
)

// eval runs body (no redis.call: these tests cover the Lua side alone;
// the commands are tested through the server, server/diff_scripting_test.go).
func eval(t *testing.T, e *Engine, ctx context.Context, body string, resp3 bool) string {
	t.Helper()
	s, errText := e.Load([]byte(body))
	if s == nil {
		return "-" + errText + "\r\n"
	}
	var out resp.Reply
	out.SetRESP3(resp3)
	e.Eval(ctx, s, &Run{Keys: [][]byte{[]byte("k")}, Args: [][]byte{[]byte("a")}, Name: s.SHA}, &out)
	return string(out.Bytes())
}

func TestFormatNumber(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0", 1: "1", -1: "-1", 1.5: "1.5", 0.1: "0.1", 1e20: "1e+20", 1e15: "1e+15", 1234567e6: "1234567000000", 1e21: "1e+21",
		123456789012: "123456789012", 1e-7: "1e-7", 0.000001: "0.000001", 1.5e-10: "1.5e-10",
		3.0000000000000004: "3.0000000000000004", 1e300: "1e+300", -0.5: "-0.5", 12345.678: "12345.678",
	} {
		assert.Equal(t, want, string(formatNumber(nil, f)), "%v", f)
	}
	assert.Equal(t, "inf", string(formatNumber(nil, posInf)))
	assert.Equal(t, "-inf", string(formatNumber(nil, -posInf)))
}

func TestShebang(t *testing.T) {
	for body, want := range map[string]string{
		"return 1":                                "",
		"#!lua\nreturn 1":                         "",
		"#!lua flags=no-writes,allow-oom\nx":      "",
		"#!lua flags=\"no-writes\"\nx":            "",
		"#!lua":                                   "Invalid script shebang",
		"#!lua flags=nope\nx":                     "Unexpected flag in script shebang: nope",
		"#!lua other=1\nx":                        "Unknown lua shebang option: other=1",
		"#!luajit\nx":                             "Unexpected engine in script shebang: #!luajit",
		"#!lua \"unterminated\nx":                 "Invalid engine in script shebang",
		"#!lua flags=allow-cross-slot-keys\nx":    "",
		"#!lua flags=no-cluster,allow-stale\nx":   "",
		"#!lua flags=no-writes flags=allow-oom\n": "",
	} {
		_, _, err := ParseShebang([]byte(body))
		assert.Equal(t, want, err, "%q", body)
	}
	f, n, _ := ParseShebang([]byte("#!lua flags=no-writes,allow-oom\nreturn 1"))
	assert.Equal(t, NoWrites|AllowOOM, f)
	assert.Equal(t, len("#!lua flags=no-writes,allow-oom"), n)
	f, _, _ = ParseShebang([]byte("return 1"))
	assert.Equal(t, EvalCompat, f)
}

// TestLimits: a script cannot take the node down: an endless loop (even
// inside pcall) ends with its context, deep recursion and huge strings
// are errors, and the engine keeps serving afterwards.
func TestLimits(t *testing.T) {
	e := New(slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	got := eval(t, e, ctx, "while true do end", false)
	assert.True(t, strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL... script: "), got)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	got = eval(t, e, ctx2, "while true do pcall(function() while true do end end) end", false)
	assert.True(t, strings.HasPrefix(got, "-ERR Script killed"), got)

	ctx3, cancel3 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel3()
	got = eval(t, e, ctx3, "local co = coroutine.create(function() while true do end end) local ok = coroutine.resume(co) return 1", false)
	assert.True(t, strings.HasPrefix(got, "-ERR Script killed"), got)

	got = eval(t, e, context.Background(), "local function f(n) return f(n+1)+1 end return f(1)", false)
	assert.True(t, strings.HasPrefix(got, "-ERR "), got)
	assert.Contains(t, got, "stack overflow")
	got = eval(t, e, context.Background(), "return string.rep('x', 1e12)", false)
	assert.True(t, strings.HasPrefix(got, "-ERR user_script:1: not enough memory"), got)
	// A table that keeps growing is stopped by the memory watchdog.
	e.SetMemoryLimit(64 << 20)
	got = eval(t, e, context.Background(), "local t = {} local i = 0 while true do i = i + 1 t[i] = 'value number ' .. i end", false)
	assert.True(t, strings.HasPrefix(got, "-"+errMemoryText+" script: "), got)
	e.SetMemoryLimit(0)
	got = eval(t, e, context.Background(), "local t = {} t[1] = t return t", false)
	assert.Contains(t, got, "-ERR reached lua stack limit")
	assert.Equal(t, ":3\r\n", eval(t, e, context.Background(), "return 1 + 2", false))
}

// TestSandbox: globals and libraries are read-only, missing globals are
// errors, host access is absent, and nothing leaks into the next run on
// a pooled state.
func TestSandbox(t *testing.T) {
	e := New(slog.New(slog.DiscardHandler))
	bg := context.Background()
	for _, body := range []string{"x = 1", "string.rep = nil", "redis.call = nil", "_G.y = 2", "math.huge = 1", "table.x = 1"} {
		assert.Contains(t, eval(t, e, bg, body, false), "Attempt to modify a readonly table", body)
	}
	for _, name := range []string{"os", "io", "loadfile", "dofile", "print", "require", "module", "debug", "package"} {
		assert.Contains(t, eval(t, e, bg, "return "+name, false), "Script attempted to access nonexistent global variable '"+name+"'")
	}
	assert.Equal(t, "$1\r\nk\r\n", eval(t, e, bg, "return KEYS[1]", false))
	assert.Equal(t, ":0\r\n", eval(t, e, bg, "return getmetatable('') == nil and 1 or 0", false))
	// A script that gets around the protection (rawset on the proxy)
	// costs only its state: the next run does not see the value.
	for i := 0; i < 4; i++ {
		assert.Equal(t, ":1\r\n", eval(t, e, bg, "rawset(_G, 'leak', 1) return 1", false))
		assert.Contains(t, eval(t, e, bg, "return leak", false), "nonexistent global variable 'leak'")
		assert.Equal(t, ":1\r\n", eval(t, e, bg, "setfenv(0, {}) return 1", false))
		assert.Equal(t, "$1\r\na\r\n", eval(t, e, bg, "return ARGV[1]", false))
	}
}

func TestErrors(t *testing.T) {
	e := New(slog.New(slog.DiscardHandler))
	bg := context.Background()
	got := eval(t, e, bg, "return (", false)
	assert.True(t, strings.HasPrefix(got, "-ERR Error compiling script (new function): user_script:1: "), got)
	got = eval(t, e, bg, "\n\nerror('boom')", false)
	s, _ := e.Load([]byte("\n\nerror('boom')"))
	assert.Equal(t, "-ERR user_script:3: boom script: "+s.SHA+", on @user_script:3.\r\n", got)
	got = eval(t, e, bg, "#!lua\nerror('boom')", false)
	assert.Contains(t, got, "user_script:2: boom")
	assert.Equal(t, "-ERR redis.call is only available while a script runs\r\n"[:5], eval(t, e, bg, "return redis.call('get','x')", false)[:5])
}

// TestConversionRoundTrip: replies that Lua represents exactly come back
// byte for byte, RESP2 and RESP3.
func TestConversionRoundTrip(t *testing.T) {
	for _, c := range []struct {
		in    string
		resp3 bool
	}{
		{":1\r\n", false}, {":-9223372036854775808\r\n", false}, {"$3\r\nabc\r\n", false}, {"$0\r\n\r\n", false},
		{"+OK\r\n", false}, {"-ERR bad thing\r\n", false}, {"-WRONGTYPE x y\r\n", false},
		{"*3\r\n:1\r\n$1\r\na\r\n*1\r\n+QUEUED\r\n", false}, {"*0\r\n", false},
		{"%1\r\n$1\r\na\r\n:1\r\n", true}, {"~1\r\n$1\r\na\r\n", true}, {",1.5\r\n", true}, {"#t\r\n", true},
		{"(123456789012345678901234567890\r\n", true}, {"=7\r\ntxt:abc\r\n", true}, {"_\r\n", true},
	} {
		L := lua.NewState(lua.Options{SkipOpenLibs: true})
		v, err := toLua(L, []byte(c.in))
		require.NoError(t, err, "%q", c.in)
		var out resp.Reply
		out.SetRESP3(c.resp3)
		scriptRESP := 2
		if c.resp3 {
			scriptRESP = 3
		}
		writeReply(&out, v, scriptRESP, 0)
		assert.Equal(t, c.in, string(out.Bytes()))
		L.Close()
	}
}

// FuzzRESPToLua: any bytes are either refused or converted, never a panic
// or a hang; a converted reply converts back to a reply that converts to
// the same bytes again (the conversion is stable after one round).
func FuzzRESPToLua(f *testing.F) {
	for _, seed := range []string{
		":1\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n", "+OK\r\n", "-ERR x\r\n", "*2\r\n:1\r\n*1\r\n$0\r\n\r\n",
		"%1\r\n+a\r\n:2\r\n", "~2\r\n:1\r\n:2\r\n", ",3.25\r\n", ",inf\r\n", "#f\r\n", "_\r\n", "(1\r\n", "=7\r\ntxt:abc\r\n",
		"|1\r\n+k\r\n+v\r\n:5\r\n", ">2\r\n$1\r\na\r\n:1\r\n", "*1000000000\r\n", "$100\r\nab\r\n", "-\r\n", "-NOSPACE\r\n",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, resp3 bool) {
		L := lua.NewState(lua.Options{SkipOpenLibs: true})
		defer L.Close()
		v, err := toLua(L, in)
		if err != nil {
			return
		}
		scriptRESP := 2
		if resp3 {
			scriptRESP = 3
		}
		var once, twice resp.Reply
		once.SetRESP3(resp3)
		twice.SetRESP3(resp3)
		writeReply(&once, v, scriptRESP, 0)
		v2, err := toLua(L, once.Bytes())
		if err != nil {
			t.Fatalf("%q converted to %q, which does not convert back: %v", in, once.Bytes(), err)
		}
		writeReply(&twice, v2, scriptRESP, 0)
		if len(in) < 64 && !mapOrSet(once.Bytes()) && string(once.Bytes()) != string(twice.Bytes()) {
			t.Fatalf("%q: %q then %q", in, once.Bytes(), twice.Bytes())
		}
	})
}

// mapOrSet: a reply holding a map or set (or a RESP2 reply of one),
// whose order Lua's table iteration decides.
func mapOrSet(b []byte) bool {
	return strings.ContainsAny(string(b), "%~") || len(b) > 0 && b[0] == '*'
}
