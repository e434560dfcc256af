package server

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
)

// TestImmediate: only fast read-only commands that do not block, without
// subcommands, with a key whose slot is free at the moment, answer at once
// (the node runs those forwarded to it in the cluster connection's reader).
func TestImmediate(t *testing.T) {
	cfg := config.Default()
	st := store.New(cfg.StoreConfig())
	s := New(cfg, st, slog.New(slog.DiscardHandler))
	key := []byte("k")
	for _, c := range []struct {
		name string
		key  []byte
		want bool
	}{
		{"GET", key, true},
		{"get", key, true},
		{"HGET", key, true},
		{"GET", nil, false},      // no key
		{"SET", key, false},      // a write waits for its replica
		{"BLPOP", key, false},    // blocks
		{"OBJECT", key, false},   // subcommands
		{"KEYS", key, false},     // not fast
		{"NOSUCH", key, false},   // unknown
		{"PING", nil, false},     // no keyspace
		{"SMEMBERS", key, false}, // not fast
	} {
		assert.Equal(t, c.want, s.Immediate([]byte(c.name), c.key), "%s %q", c.name, c.key)
	}
	tx := st.Lock(ring.KeySlot(key))
	assert.False(t, s.Immediate([]byte("GET"), key), "its slot is held")
	tx.Close()
	assert.True(t, s.Immediate([]byte("GET"), key))
}
