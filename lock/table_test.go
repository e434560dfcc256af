package lock

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is an injectable clock for Table tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestTable(floor uint64, maxMarks int) (*Table, *fakeClock) {
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	return NewTable(TableConfig{Now: clk.Now, Floor: &floor, MaxMarks: maxMarks}), clk
}

func args(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

// step is one command against a Table and its expected outcome.
type step struct {
	advance time.Duration // clock moves this much before the command
	cmd     string
	want    string // RESP of the reply, or the error text with a leading '-'
}

func runSteps(t *testing.T, tb *Table, clk *fakeClock, steps []step) {
	t.Helper()
	for i, s := range steps {
		clk.Advance(s.advance)
		r, err := tb.Do(args(s.cmd))
		var got string
		if err != nil {
			var ce *CommandError
			require.True(t, errors.As(err, &ce), "step %d: %T is not a *CommandError", i, err)
			got = "-" + err.Error()
		} else {
			got = string(r.AppendRESP(nil))
		}
		assert.Equal(t, s.want, got, "step %d: %s", i, s.cmd)
	}
}

func pair(a, b int64) string { return fmt.Sprintf("*2\r\n:%d\r\n:%d\r\n", a, b) }

func TestTableSemantics(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"acquire then taken", []step{
			{0, "LOCK.ACQUIRE l a 1000", pair(1, 0)},
			{400 * time.Millisecond, "LOCK.ACQUIRE l b 1000", pair(0, 600)},
			{0, "lock.acquire l b 1000", pair(0, 600)},
		}},
		{"expiry frees the lock", []step{
			{0, "LOCK.ACQUIRE l a 1000", pair(1, 0)},
			{999 * time.Millisecond, "LOCK.ACQUIRE l b 1000", pair(0, 1)},
			{time.Millisecond, "LOCK.ACQUIRE l b 1000", pair(1, 0)},
			{0, "LOCK.RELEASE l a", ":0\r\n"},
			{0, "LOCK.EXTEND l a 1000", ":0\r\n"},
		}},
		{"reacquire by the holder renews", []step{
			{0, "LOCK.ACQUIRE l a 1000", pair(1, 0)},
			{900 * time.Millisecond, "LOCK.ACQUIRE l a 1000", pair(1, 0)},
			{900 * time.Millisecond, "LOCK.ACQUIRE l b 1000", pair(0, 100)},
		}},
		{"release only by the holder", []step{
			{0, "LOCK.ACQUIRE l a 1000", pair(1, 0)},
			{0, "LOCK.RELEASE l b", ":0\r\n"},
			{0, "LOCK.ACQUIRE l b 1000", pair(0, 1000)},
			{0, "LOCK.RELEASE l a", ":1\r\n"},
			{0, "LOCK.RELEASE l a", ":0\r\n"},
			{0, "LOCK.ACQUIRE l b 1000", pair(1, 0)},
			{0, "LOCK.RELEASE nosuch a", ":0\r\n"},
		}},
		{"extend only by the holder, not after expiry", []step{
			{0, "LOCK.ACQUIRE l a 1000", pair(1, 0)},
			{0, "LOCK.EXTEND l b 5000", ":0\r\n"},
			{800 * time.Millisecond, "LOCK.EXTEND l a 1000", ":1\r\n"},
			{800 * time.Millisecond, "LOCK.ACQUIRE l b 1000", pair(0, 200)},
			{200 * time.Millisecond, "LOCK.EXTEND l a 1000", ":0\r\n"},
			{0, "LOCK.EXTEND nosuch a 1000", ":0\r\n"},
		}},
		{"mark grows across holders and survives release and expiry", []step{
			{0, "LOCK.ACQUIRE l a 1000", pair(1, 0)},
			{0, "LOCK.CONFIRM l a 1", "+OK\r\n"},
			{0, "LOCK.RELEASE l a", ":1\r\n"},
			{0, "LOCK.ACQUIRE l b 1000", pair(1, 1)},
			{0, "LOCK.CONFIRM l b 7", "+OK\r\n"},
			{2 * time.Second, "LOCK.ACQUIRE l c 1000", pair(1, 7)},
			{0, "LOCK.ACQUIRE other c 1000", pair(1, 0)},
		}},
		{"confirm rules", []step{
			{0, "LOCK.CONFIRM l a 5", "-NOTHELD the lock is not held by this holder"},
			{0, "LOCK.ACQUIRE l a 1000", pair(1, 0)},
			{0, "LOCK.CONFIRM l b 5", "-NOTHELD the lock is not held by this holder"},
			{0, "LOCK.CONFIRM l a 0", "-STALETOKEN fencing token 0 is not above the high-water mark 0"},
			{0, "LOCK.CONFIRM l a 5", "+OK\r\n"},
			{0, "LOCK.CONFIRM l a 5", "+OK\r\n"}, // a retry of the same confirm
			{0, "LOCK.CONFIRM l a 4", "-STALETOKEN fencing token 4 is not above the high-water mark 5"},
			{0, "LOCK.CONFIRM l a 9", "+OK\r\n"},
			{0, "LOCK.CONFIRM l a 5", "-STALETOKEN fencing token 5 is not above the high-water mark 9"},
			{time.Second, "LOCK.CONFIRM l a 10", "-NOTHELD the lock is not held by this holder"},
			{0, "LOCK.ACQUIRE l b 1000", pair(1, 9)},
			{0, "LOCK.CONFIRM l b 9", "-STALETOKEN fencing token 9 is not above the high-water mark 9"},
			{0, "LOCK.CONFIRM l b 10", "+OK\r\n"},
		}},
		{"bad arguments", []step{
			{0, "LOCK.ACQUIRE l a", "-ERR wrong number of arguments for 'lock.acquire' command"},
			{0, "LOCK.ACQUIRE l a 1 2", "-ERR wrong number of arguments for 'lock.acquire' command"},
			{0, "LOCK.CONFIRM l a", "-ERR wrong number of arguments for 'lock.confirm' command"},
			{0, "LOCK.RELEASE l", "-ERR wrong number of arguments for 'lock.release' command"},
			{0, "Lock.Extend l a", "-ERR wrong number of arguments for 'lock.extend' command"},
			{0, "LOCK.ACQUIRE l a abc", "-ERR value is not an integer or out of range"},
			{0, "LOCK.ACQUIRE l a 007", "-ERR value is not an integer or out of range"},
			{0, "LOCK.ACQUIRE l a +5", "-ERR value is not an integer or out of range"},
			{0, "LOCK.ACQUIRE l a 99999999999999999999", "-ERR value is not an integer or out of range"},
			{0, "LOCK.ACQUIRE l a 0", "-ERR invalid expire time in 'lock.acquire' command"},
			{0, "LOCK.ACQUIRE l a -5", "-ERR invalid expire time in 'lock.acquire' command"},
			{0, "LOCK.ACQUIRE l a 9223372036854775807", "-ERR invalid expire time in 'lock.acquire' command"},
			{0, "LOCK.EXTEND l a 0", "-ERR invalid expire time in 'lock.extend' command"},
			{0, "LOCK.CONFIRM l a -1", "-ERR value is not an integer or out of range"},
			{0, "LOCK.CONFIRM l a 1.5", "-ERR value is not an integer or out of range"},
			{0, "LOCK.FOO l a", "-ERR unknown command 'LOCK.FOO', with args beginning with: 'l' 'a' "},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, clk := newTestTable(0, 0)
			runSteps(t, tb, clk, tt.steps)
		})
	}
}

func TestTableEmptyHolderRefused(t *testing.T) {
	tb, _ := newTestTable(0, 0)
	_, err := tb.Do([][]byte{[]byte("LOCK.ACQUIRE"), []byte("l"), {}, []byte("100")})
	require.EqualError(t, err, "ERR invalid holder in 'lock.acquire' command")
	_, err = tb.Do(nil)
	require.Error(t, err)
}

func TestTableDefaultFloorIsCreationTime(t *testing.T) {
	clk := &fakeClock{now: time.UnixMicro(1_700_000_000_123_456)}
	tb := NewTable(TableConfig{Now: clk.Now})
	granted, mark, _ := tb.Acquire("l", "a", time.Second)
	require.True(t, granted)
	assert.Equal(t, uint64(1_700_000_000_123_456), mark)
}

// TestTableEvictionKeepsMarksMonotonic fills a small table past its bound
// and checks that no name's effective mark ever goes down, that held names
// keep their entries, and that the table stays within its bound.
func TestTableEvictionKeepsMarksMonotonic(t *testing.T) {
	const maxMarks = 8
	tb, clk := newTestTable(0, maxMarks)
	seen := map[string]uint64{}
	check := func() {
		for name, m := range seen {
			got := tb.Mark(name)
			require.GreaterOrEqual(t, got, m, "mark of %s went down", name)
			seen[name] = got
		}
	}
	// One long-held lock that must survive every eviction.
	ok, _, _ := tb.Acquire("held", "h", time.Hour)
	require.True(t, ok)
	for i := range 200 {
		name := fmt.Sprintf("n%d", i%40)
		holder := fmt.Sprintf("h%d", i)
		ok, mark, _ := tb.Acquire(name, holder, time.Second)
		require.True(t, ok, "acquire %s", name)
		require.GreaterOrEqual(t, mark, seen[name])
		require.NoError(t, tb.Confirm(name, holder, mark+uint64(i%5)+1))
		seen[name] = mark + uint64(i%5) + 1
		require.True(t, tb.Release(name, holder))
		clk.Advance(time.Millisecond)
		check()
		require.LessOrEqual(t, tb.Len(), maxMarks+1) // +1: the entry just made
	}
	require.True(t, tb.Extend("held", "h", time.Hour), "a held lock was evicted")
}

// TestTableHeldEntriesNeverEvicted fills a table with held locks only: it
// must grow past its bound rather than forget a holder.
func TestTableHeldEntriesNeverEvicted(t *testing.T) {
	tb, _ := newTestTable(0, 4)
	for i := range 10 {
		ok, _, _ := tb.Acquire(fmt.Sprintf("n%d", i), "h", time.Hour)
		require.True(t, ok)
	}
	assert.Equal(t, 10, tb.Len())
	for i := range 10 {
		ok, _, _ := tb.Acquire(fmt.Sprintf("n%d", i), "other", time.Hour)
		assert.False(t, ok)
	}
}

// TestTableFloorRiseDoesNotStaleHolder: while a name is held, other names'
// eviction raising the floor must not make the holder's confirm fail.
func TestTableFloorRiseDoesNotStaleHolder(t *testing.T) {
	tb, _ := newTestTable(0, 2)
	ok, mark, _ := tb.Acquire("a", "h", time.Hour)
	require.True(t, ok)
	require.Equal(t, uint64(0), mark)
	// Fill and evict names with big marks, raising the floor.
	for i := range 5 {
		name := fmt.Sprintf("x%d", i)
		ok, m, _ := tb.Acquire(name, "y", time.Hour)
		require.True(t, ok)
		require.NoError(t, tb.Confirm(name, "y", m+1000))
		require.True(t, tb.Release(name, "y"))
	}
	require.Greater(t, tb.Mark("never-seen"), uint64(1000))
	require.NoError(t, tb.Confirm("a", "h", 1))
	// After release, the name's effective mark is the floor, not 1.
	require.True(t, tb.Release("a", "h"))
	require.Greater(t, tb.Mark("a"), uint64(1000))
}

func TestTableConcurrentUse(t *testing.T) {
	tb := NewTable(TableConfig{MaxMarks: 16})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				name := fmt.Sprintf("n%d", i%32)
				holder := fmt.Sprintf("g%d", g)
				if ok, m, _ := tb.Acquire(name, holder, time.Minute); ok {
					assert.NoError(t, tb.Confirm(name, holder, m+1))
					assert.True(t, tb.Release(name, holder))
				}
			}
		})
	}
	wg.Wait()
}

func FuzzTableDo(f *testing.F) {
	f.Add("LOCK.ACQUIRE", "n", "h", "100")
	f.Add("LOCK.CONFIRM", "n", "h", "5")
	f.Add("LOCK.EXTEND", "n", "", "-1")
	f.Fuzz(func(t *testing.T, cmd, a, b, c string) {
		tb, _ := newTestTable(0, 4)
		for _, argv := range [][][]byte{
			{[]byte(cmd), []byte(a), []byte(b), []byte(c)},
			{[]byte(cmd), []byte(a), []byte(b)},
		} {
			r, err := tb.Do(argv)
			if err != nil {
				var ce *CommandError
				require.True(t, errors.As(err, &ce))
				require.NotContains(t, err.Error(), "\r", "an error reply must be one line")
				require.NotContains(t, err.Error(), "\n", "an error reply must be one line")
				continue
			}
			require.NotEmpty(t, r.AppendRESP(nil))
		}
	})
}

// TestUnknownCommandMatchesRedis compares with the reply redis-server 7.0
// gives to the same arguments (a newline inside, a 200-byte argument).
func TestUnknownCommandMatchesRedis(t *testing.T) {
	tb, _ := newTestTable(0, 0)
	_, err := tb.Do([][]byte{[]byte("foo"), []byte("a\nb"), []byte(strings.Repeat("x", 200))})
	want := "ERR unknown command 'foo', with args beginning with: 'a b' '" + strings.Repeat("x", 122) + "' "
	require.EqualError(t, err, want)
}
