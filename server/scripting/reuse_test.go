package scripting

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"

	"github.com/meshcache/meshcache/server/resp"
)

func bytesList(items ...string) [][]byte {
	out := make([][]byte, len(items))
	for i, s := range items {
		out[i] = []byte(s)
	}
	return out
}

// evalRun runs body with the given KEYS and ARGV.
func evalRun(t *testing.T, e *Engine, body string, keys, args [][]byte) string {
	t.Helper()
	s, errText := e.Load([]byte(body))
	require.NotNil(t, s, errText)
	var out resp.Reply
	e.Eval(context.Background(), s, &Run{Keys: keys, Args: args, Name: s.SHA}, &out)
	return string(out.Bytes())
}

// TestKeysArgvAcrossRuns: whatever a script does to its KEYS and ARGV
// (another key, a metatable, a longer array), the next run sees exactly
// its own, fewer or more than the last.
func TestKeysArgvAcrossRuns(t *testing.T) {
	e := New(slog.New(slog.DiscardHandler))
	show := "return {#KEYS, #ARGV, KEYS[1] or 'nil', ARGV[1] or 'nil', tostring(ARGV[2]), tostring(ARGV[3]), tostring(ARGV[10]), tostring(KEYS.extra), tostring(getmetatable(ARGV))}"
	for i := 0; i < 3; i++ {
		assert.Equal(t, ":1\r\n", evalRun(t, e, "ARGV[10] = 'z' KEYS.extra = 1 return 1", bytesList("k1", "k2"), bytesList("a", "b", "c")))
		assert.Equal(t, "*9\r\n:1\r\n:1\r\n$2\r\nk9\r\n$1\r\nx\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n",
			evalRun(t, e, show, bytesList("k9"), bytesList("x")))
		assert.Equal(t, ":1\r\n", evalRun(t, e, "setmetatable(ARGV, {__index = function() return 'm' end}) return 1", nil, bytesList("a", "b")))
		assert.Equal(t, "*9\r\n:0\r\n:3\r\n$3\r\nnil\r\n$1\r\np\r\n$1\r\nq\r\n$1\r\nr\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n",
			evalRun(t, e, show, nil, bytesList("p", "q", "r")))
		assert.Equal(t, ":1\r\n", evalRun(t, e, "table.remove(ARGV, 1) return #ARGV", nil, bytesList("a", "b")))
		assert.Equal(t, "*9\r\n:1\r\n:2\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\nb\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n",
			evalRun(t, e, show, bytesList("k"), bytesList("a", "b")))
	}
	// setfenv on the script's own function: the next run of the same
	// script has its environment again.
	for i := 0; i < 3; i++ {
		assert.Equal(t, ":1\r\n", evalRun(t, e, "local ret = redis.sha1hex and 1 or 0 setfenv(1, {}) return ret", nil, nil))
	}
}

// TestRunArrayFill: a refill reuses the table while it is clean and makes
// a new one once the script changed it beyond its values.
func TestRunArrayFill(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	var a runArray
	t1 := a.fill(L, bytesList("a", "b", "c"))
	t1.RawSetInt(2, lua.LString("changed"))
	t2 := a.fill(L, bytesList("x", "y"))
	assert.Same(t, t1, t2)
	assert.Equal(t, 2, t2.Len())
	assert.Equal(t, lua.LString("y"), t2.RawGetInt(2))
	assert.Equal(t, lua.LNil, t2.RawGetInt(3))
	t2.RawSetString("extra", lua.LTrue)
	t3 := a.fill(L, bytesList("x"))
	assert.NotSame(t, t2, t3)
	t3.RawSetInt(5, lua.LTrue)
	t4 := a.fill(L, bytesList("x"))
	assert.NotSame(t, t3, t4)
	L.SetMetatable(t4, L.NewTable())
	t5 := a.fill(L, nil)
	assert.NotSame(t, t4, t5)
	assert.Equal(t, 0, t5.Len())
	assert.Same(t, t5, a.fill(L, bytesList("1")))
}

// TestRunContext: cancellation with a cause reaches Done, Err, Cause and
// the contexts derived from it; Reset makes it a fresh context.
func TestRunContext(t *testing.T) {
	rc := NewRunContext()
	var ctx context.Context = rc
	child, stopChild := context.WithCancel(ctx)
	defer stopChild()
	assert.NoError(t, ctx.Err())
	assert.NoError(t, rc.Cause())
	select {
	case <-ctx.Done():
		t.Fatal("done before Cancel")
	default:
	}
	rc.Cancel(ErrMemory)
	rc.Cancel(nil) // the first cause stays
	<-ctx.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	assert.ErrorIs(t, cause(ctx), ErrMemory)
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a derived context was not cancelled")
	}

	rc.Reset()
	assert.NoError(t, ctx.Err())
	assert.NoError(t, rc.Cause())
	select {
	case <-ctx.Done():
		t.Fatal("done after Reset")
	default:
	}
	// A derived context stopped before the cancellation is not cancelled by it.
	kept, stopKept := context.WithCancel(ctx)
	stopKept()
	assert.ErrorIs(t, kept.Err(), context.Canceled)
	other, stopOther := context.WithCancel(ctx)
	defer stopOther()
	rc.Cancel(nil)
	assert.ErrorIs(t, cause(ctx), context.Canceled)
	select {
	case <-other.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("a derived context was not cancelled")
	}
	assert.False(t, errors.Is(cause(ctx), ErrMemory))
}

// TestKilledRunContext: a script run under a RunContext stops when it is
// cancelled, even inside a coroutine, and reports the cause.
func TestKilledRunContext(t *testing.T) {
	e := New(slog.New(slog.DiscardHandler))
	s, errText := e.Load([]byte("local co = coroutine.create(function() while true do end end) coroutine.resume(co) return 1"))
	require.NotNil(t, s, errText)
	rc := NewRunContext()
	done := make(chan string)
	go func() {
		var out resp.Reply
		e.Eval(rc, s, &Run{Name: s.SHA, Watched: true}, &out)
		done <- string(out.Bytes())
	}()
	go func() { time.Sleep(50 * time.Millisecond); rc.Cancel(ErrMemory) }()
	select {
	case got := <-done:
		assert.Contains(t, got, errMemoryText)
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not stop")
	}
}
