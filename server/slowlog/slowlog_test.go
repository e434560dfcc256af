package slowlog

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func args(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestAddGetNewestFirst(t *testing.T) {
	var l Log
	at := time.Unix(1700000000, 0)
	l.Add(args("get", "a"), at, 1500*time.Microsecond, "10.0.0.1:5000", "web", 10)
	l.Add(args("set", "b", "1"), at.Add(time.Second), 2*time.Millisecond, "10.0.0.2:5000", "", 10)
	require.Equal(t, 2, l.Len())
	got := l.Get(-1)
	assert.Equal(t, []Entry{
		{ID: 1, At: 1700000001, Duration: 2000, Args: []string{"set", "b", "1"}, Addr: "10.0.0.2:5000"},
		{ID: 0, At: 1700000000, Duration: 1500, Args: []string{"get", "a"}, Addr: "10.0.0.1:5000", Name: "web"},
	}, got)
	assert.Equal(t, got[:1], l.Get(1))
	assert.Len(t, l.Get(5), 2, "more than held: all")
	assert.Empty(t, l.Get(0))
}

func TestAddCutsArguments(t *testing.T) {
	var l Log
	long := strings.Repeat("x", MaxArgLen+7)
	many := make([]string, MaxArgc+5)
	for i := range many {
		many[i] = "a"
	}
	l.Add(args("set", "k", long), time.Unix(0, 0), 0, "", "", 10)
	l.Add(args(many...), time.Unix(0, 0), 0, "", "", 10)
	e := l.Get(-1)
	require.Len(t, e, 2)
	assert.Len(t, e[0].Args, MaxArgc)
	assert.Equal(t, "... (6 more arguments)", e[0].Args[MaxArgc-1])
	assert.Equal(t, "a", e[0].Args[MaxArgc-2])
	assert.Equal(t, strings.Repeat("x", MaxArgLen)+"... (7 more bytes)", e[1].Args[2])

	exact := make([]string, MaxArgc) // exactly MaxArgc arguments: nothing cut
	for i := range exact {
		exact[i] = "b"
	}
	l.Add(args(exact...), time.Unix(0, 0), 0, "", "", 10)
	assert.Equal(t, exact, l.Get(1)[0].Args)
}

func TestMaxLenTrimReset(t *testing.T) {
	var l Log
	a := args("ping")
	l.Add(a, time.Unix(0, 0), 0, "", "", 0)
	assert.Zero(t, l.Len(), "maxLen 0 logs nothing")
	for i := 0; i < 5; i++ {
		l.Add(a, time.Unix(0, 0), 0, "", "", 3)
	}
	assert.Equal(t, 3, l.Len(), "kept to maxLen")
	assert.Equal(t, int64(4), l.Get(1)[0].ID, "maxLen 0 took no ID")
	l.Trim(5)
	assert.Equal(t, 3, l.Len(), "a larger limit drops nothing")
	l.Trim(1)
	assert.Equal(t, 1, l.Len())
	assert.Equal(t, int64(4), l.Get(-1)[0].ID, "the newest is kept")
	l.Reset()
	assert.Zero(t, l.Len())
	l.Add(a, time.Unix(0, 0), 0, "", "", 3)
	assert.Equal(t, int64(5), l.Get(1)[0].ID, "IDs go on after RESET")
}

func TestConcurrentUse(t *testing.T) {
	var l Log
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 100; i++ {
				l.Add(args("get", "k"), time.Unix(0, 0), 0, "", "", 50)
				_ = l.Get(10)
				_ = l.Len()
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	assert.Equal(t, 50, l.Len())
	ids := map[int64]bool{}
	for _, e := range l.Get(-1) {
		assert.False(t, ids[e.ID], "IDs are unique")
		ids[e.ID] = true
	}
	assert.Equal(t, int64(399), l.Get(1)[0].ID)
}
