package server

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
)

// TestTryExecute: a forwarded command runs without waiting only when it
// cannot wait (fast, read-only, not blocking) and its slot is free at once;
// any other is declined having run nothing, counted nowhere.
func TestTryExecute(t *testing.T) {
	cfg := config.Default()
	st := store.New(cfg.StoreConfig())
	s := New(cfg, st, slog.New(slog.DiscardHandler))
	args := func(a ...string) [][]byte {
		out := make([][]byte, len(a))
		for i, x := range a {
			out[i] = []byte(x)
		}
		return out
	}
	require.Equal(t, "+OK\r\n", string(s.Execute(false, args("SET", "k", "v"), nil)))
	processed := s.stats.commandsProcessed.Load()
	for _, c := range []struct {
		args  []string
		reply string // "" declined
	}{
		{[]string{"GET", "k"}, "$1\r\nv\r\n"},
		{[]string{"get", "k"}, "$1\r\nv\r\n"},
		{[]string{"HGET", "k", "f"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{[]string{"NOSUCH", "k"}, "-ERR unknown command 'NOSUCH', with args beginning with: 'k' \r\n"},
		{[]string{"GET"}, "-ERR wrong number of arguments for 'get' command\r\n"},
		{[]string{"SET", "k", "w"}, ""},                             // a write, with no caller to answer later
		{[]string{"BLPOP", "l", "0"}, ""},                           // blocks
		{[]string{"KEYS", "*"}, ""},                                 // not fast
		{[]string{"PING"}, ""},                                      // not a keyspace read
		{[]string{"MGET", "k", "{x}k"}, "*2\r\n$1\r\nv\r\n$-1\r\n"}, // two slots, both free
		{[]string{"SMEMBERS", "s"}, ""},                             // not fast
		{[]string{"EVAL", "return 1", "0"}, ""},                     // a script
	} {
		before := s.stats.commandsProcessed.Load()
		out, ran, _ := s.TryExecute(false, args(c.args...), nil, cluster.Answer{})
		if c.reply == "" {
			assert.False(t, ran, "%q ran", c.args)
			assert.Equal(t, before, s.stats.commandsProcessed.Load(), "%q declined but counted", c.args)
			continue
		}
		assert.True(t, ran, "%q declined", c.args)
		assert.Equal(t, c.reply, string(out), "%q", c.args)
	}
	assert.Equal(t, "$1\r\nv\r\n", string(s.Execute(false, args("GET", "k"), nil)), "the declined SET ran")
	assert.Equal(t, processed+7, s.stats.commandsProcessed.Load(), "the six that ran and the GET above")

	tx := st.Lock(ring.KeySlot([]byte("k")))
	_, ran, _ := s.TryExecute(false, args("GET", "k"), nil, cluster.Answer{})
	assert.False(t, ran, "its slot is held")
	tx.Close()
	out, ran, _ := s.TryExecute(false, args("GET", "k"), nil, cluster.Answer{})
	assert.True(t, ran)
	assert.Equal(t, "$1\r\nv\r\n", string(out))
}
