package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWatcher(t *testing.T) {
	tests := []struct {
		name  string
		act   func(t *testing.T, s *Store)
		dirty bool
	}{
		{"no change", func(t *testing.T, s *Store) { get(t, s, "k") }, false},
		{"other key", func(t *testing.T, s *Store) { put(t, s, "other", "v", 0) }, false},
		{"set", func(t *testing.T, s *Store) { put(t, s, "k", "v2", 0) }, true},
		{"delete", func(t *testing.T, s *Store) {
			tx := lockKeys(s, "k")
			defer tx.Close()
			_, err := tx.Delete([]byte("k"))
			require.NoError(t, err)
		}, true},
		{"expire", func(t *testing.T, s *Store) {
			tx := lockKeys(s, "k")
			defer tx.Close()
			_, err := tx.SetExpireAt([]byte("k"), tx.NowMS()+10000)
			require.NoError(t, err)
		}, true},
		{"hset", func(t *testing.T, s *Store) { hset(t, s, "h", "f", "v") }, true},
		{"rename onto", func(t *testing.T, s *Store) {
			put(t, s, "{k}x", "v", 0)
			tx := lockKeys(s, "{k}")
			defer tx.Close()
			_, _, err := tx.Rename([]byte("{k}x"), []byte("{k}w"), false)
			require.NoError(t, err)
		}, true},
		{"flush slot", func(t *testing.T, s *Store) { s.FlushSlot(keySlot("k")) }, true},
		{"flush", func(t *testing.T, s *Store) { s.Flush() }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{})
			put(t, s, "k", "v", 0)
			hset(t, s, "h", "a", "b")
			w := s.NewWatcher()
			for _, k := range []string{"k", "h", "{k}w"} {
				s.Watch(w, []byte(k))
			}
			s.Watch(w, []byte("k")) // twice is once
			assert.False(t, w.Dirty())
			tc.act(t, s)
			assert.Equal(t, tc.dirty, w.Dirty())
			s.Unwatch(w)
			assert.False(t, w.Dirty())
			put(t, s, "k", "v3", 0)
			assert.False(t, w.Dirty(), "unwatched keys do not dirty")
			for i := range s.slots {
				assert.Nil(t, s.slots[i].watched, "slot %d still has watchers", i)
			}
		})
	}
}

func TestWatchInsideTx(t *testing.T) {
	s := New(Config{})
	w := s.NewWatcher()
	tx := lockKeys(s, "k")
	require.NoError(t, tx.Watch(w, []byte("k")))
	assert.ErrorIs(t, tx.Watch(w, []byte("zzz")), ErrSlotNotLocked)
	tx.Close()
	put(t, s, "k", "v", 0)
	assert.True(t, w.Dirty())
	s.Unwatch(w)
}
