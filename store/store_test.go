package store

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store/evict"
)

// fakeClock is an injectable store clock.
type fakeClock struct{ ms atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ms.Store(1_700_000_000_000)
	return c
}

func (c *fakeClock) Now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func (c *fakeClock) MS() int64               { return c.ms.Load() }

// newTestStore returns a store on a fake clock.
func newTestStore(t testing.TB, cfg Config) (*Store, *fakeClock) {
	t.Helper()
	c := newFakeClock()
	cfg.Now = c.Now
	return New(cfg), c
}

// lockKeys returns a Tx holding the slots of keys.
func lockKeys(s *Store, keys ...string) *Tx {
	slots := make([]uint16, len(keys))
	for i, k := range keys {
		slots[i] = ring.KeySlotString(k)
	}
	return s.LockSlots(slots)
}

// put stores a string under its own Tx.
func put(t testing.TB, s *Store, key, val string, exp int64) {
	t.Helper()
	tx := lockKeys(s, key)
	defer tx.Close()
	require.NoError(t, tx.Put([]byte(key), []byte(val), exp))
}

// get reads a string under its own Tx.
func get(t testing.TB, s *Store, key string) (string, bool) {
	t.Helper()
	tx := lockKeys(s, key)
	defer tx.Close()
	v, ok, err := tx.Get([]byte(key))
	require.NoError(t, err)
	return string(v), ok
}

func hset(t testing.TB, s *Store, key, f, v string) bool {
	t.Helper()
	tx := lockKeys(s, key)
	defer tx.Close()
	isNew, err := tx.HSet([]byte(key), []byte(f), []byte(v))
	require.NoError(t, err)
	return isNew
}

func TestTypeString(t *testing.T) {
	assert.Equal(t, "none", TypeNone.String())
	assert.Equal(t, "string", TypeString.String())
	assert.Equal(t, "hash", TypeHash.String())
}

func TestStringOps(t *testing.T) {
	s, clk := newTestStore(t, Config{})
	now := clk.MS()
	tests := []struct {
		name string
		run  func(t *testing.T, tx *Tx)
	}{
		{"get missing", func(t *testing.T, tx *Tx) {
			v, ok, err := tx.Get([]byte("k"))
			require.NoError(t, err)
			assert.False(t, ok)
			assert.Nil(t, v)
		}},
		{"put then get", func(t *testing.T, tx *Tx) {
			require.NoError(t, tx.Put([]byte("k"), []byte("v1"), 0))
			v, ok, err := tx.Get([]byte("k"))
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "v1", string(v))
		}},
		{"overwrite shorter longer and empty", func(t *testing.T, tx *Tx) {
			for _, v := range []string{"abcdef", "ab", "abcdefghijklmnop", "", "xyz"} {
				require.NoError(t, tx.Put([]byte("k"), []byte(v), 0))
				got, ok, err := tx.Get([]byte("k"))
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, v, string(got))
			}
		}},
		{"get slice survives overwrite in same tx", func(t *testing.T, tx *Tx) {
			require.NoError(t, tx.Put([]byte("k"), []byte("old"), 0))
			old, _, err := tx.Get([]byte("k"))
			require.NoError(t, err)
			require.NoError(t, tx.Put([]byte("k"), []byte("new"), 0))
			assert.Equal(t, "old", string(old))
		}},
		{"type exists delete", func(t *testing.T, tx *Tx) {
			require.NoError(t, tx.Put([]byte("k"), []byte("v"), 0))
			typ, err := tx.Type([]byte("k"))
			require.NoError(t, err)
			assert.Equal(t, TypeString, typ)
			ok, err := tx.Exists([]byte("k"))
			require.NoError(t, err)
			assert.True(t, ok)
			ok, err = tx.Delete([]byte("k"))
			require.NoError(t, err)
			assert.True(t, ok)
			ok, err = tx.Delete([]byte("k"))
			require.NoError(t, err)
			assert.False(t, ok)
			typ, err = tx.Type([]byte("k"))
			require.NoError(t, err)
			assert.Equal(t, TypeNone, typ)
		}},
		{"put over hash", func(t *testing.T, tx *Tx) {
			_, err := tx.HSet([]byte("k"), []byte("f"), []byte("v"))
			require.NoError(t, err)
			_, _, err = tx.Get([]byte("k"))
			assert.ErrorIs(t, err, ErrWrongType)
			require.NoError(t, tx.Put([]byte("k"), []byte("s"), 0))
			v, ok, err := tx.Get([]byte("k"))
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, "s", string(v))
		}},
		{"expire at and persist", func(t *testing.T, tx *Tx) {
			require.NoError(t, tx.Put([]byte("k"), []byte("v"), now+5000))
			at, ok, err := tx.ExpireAt([]byte("k"))
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, now+5000, at)
			ok, err = tx.SetExpireAt([]byte("k"), 0)
			require.NoError(t, err)
			assert.True(t, ok)
			at, _, _ = tx.ExpireAt([]byte("k"))
			assert.Zero(t, at)
			ok, err = tx.SetExpireAt([]byte("missing"), now+1)
			require.NoError(t, err)
			assert.False(t, ok)
		}},
		{"put without ttl clears ttl", func(t *testing.T, tx *Tx) {
			require.NoError(t, tx.Put([]byte("k"), []byte("v"), now+5000))
			require.NoError(t, tx.Put([]byte("k"), []byte("w"), 0))
			at, ok, _ := tx.ExpireAt([]byte("k"))
			assert.True(t, ok)
			assert.Zero(t, at)
		}},
		{"past expiry deletes", func(t *testing.T, tx *Tx) {
			require.NoError(t, tx.Put([]byte("k"), []byte("v"), 0))
			ok, err := tx.SetExpireAt([]byte("k"), now-1)
			require.NoError(t, err)
			assert.True(t, ok)
			ok, _ = tx.Exists([]byte("k"))
			assert.False(t, ok)
			require.NoError(t, tx.Put([]byte("k"), []byte("v"), now))
			ok, _ = tx.Exists([]byte("k"))
			assert.False(t, ok)
		}},
		{"touch", func(t *testing.T, tx *Tx) {
			ok, err := tx.Touch([]byte("k"))
			require.NoError(t, err)
			assert.False(t, ok)
			require.NoError(t, tx.Put([]byte("k"), []byte("v"), 0))
			ok, err = tx.Touch([]byte("k"))
			require.NoError(t, err)
			assert.True(t, ok)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Flush()
			tx := lockKeys(s, "k", "missing")
			defer tx.Close()
			tc.run(t, tx)
		})
	}
}

func TestSlotNotLocked(t *testing.T) {
	s := New(Config{})
	tx := s.Lock(ring.KeySlotString("a"))
	defer tx.Close()
	other := []byte("b")
	require.NotEqual(t, ring.KeySlotString("a"), ring.KeySlot(other))
	_, _, err := tx.Get(other)
	assert.ErrorIs(t, err, ErrSlotNotLocked)
	assert.ErrorIs(t, tx.Put(other, []byte("v"), 0), ErrSlotNotLocked)
	_, err = tx.HSet(other, []byte("f"), []byte("v"))
	assert.ErrorIs(t, err, ErrSlotNotLocked)
	_, _, err = tx.Rename([]byte("a"), other, false)
	assert.ErrorIs(t, err, ErrSlotNotLocked)
	_, err = tx.Copy([]byte("a"), other, false)
	assert.ErrorIs(t, err, ErrSlotNotLocked)
}

func TestLockSlotsDedupSorted(t *testing.T) {
	s := New(Config{})
	tx := s.LockSlots([]uint16{9, 3, 9, 1, 3})
	assert.Equal(t, []uint16{1, 3, 9}, tx.Slots())
	tx.Close()
	// The locks were released: locking again does not block.
	done := make(chan struct{})
	go func() {
		s.LockSlots([]uint16{3, 1, 9}).Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("slots still locked after Close")
	}
}

// TestObjectRawAfterInPlaceChange: a string changed in place (SETRANGE,
// APPEND, SETBIT) is "raw" whatever it holds, as Redis's sds edited in place,
// both when it fits its room and when it moves; a whole-value write, even of
// the same bytes in the same room, makes it "int" again.
func TestObjectRawAfterInPlaceChange(t *testing.T) {
	s, _ := newTestStore(t, Config{})
	enc := func() string {
		tx := lockKeys(s, "k")
		defer tx.Close()
		info, ok, err := tx.Object([]byte("k"))
		require.NoError(t, err)
		require.True(t, ok)
		return info.Encoding
	}
	modify := func(offset int, b string) {
		tx := lockKeys(s, "k")
		defer tx.Close()
		_, err := tx.ModifyRange([]byte("k"), offset, len(b), func(v []byte) { copy(v[offset:], b) })
		require.NoError(t, err)
	}
	put(t, s, "k", "1234", 0)
	require.Equal(t, "int", enc())
	modify(0, "2") // in its room
	require.Equal(t, "raw", enc())
	put(t, s, "k", "2234", 0) // the same length: overwritten in place
	require.Equal(t, "int", enc())
	modify(4, "5678") // grows: a new entry
	require.Equal(t, "raw", enc())
	put(t, s, "k", "1", 0)
	require.Equal(t, "int", enc())
}

func TestObject(t *testing.T) {
	s, clk := newTestStore(t, Config{})
	tests := []struct {
		val, enc string
		ref      int
	}{
		{"123", "int", 2147483647},
		{"-5", "int", 1},
		{"12345", "int", 1},
		{"9223372036854775807", "int", 1},
		{"9223372036854775808", "embstr", 1},
		{"0123", "embstr", 1},
		{"+1", "embstr", 1},
		{"-0", "embstr", 1},
		{"hello", "embstr", 1},
		{string(make([]byte, 44)), "embstr", 1},
		{string(make([]byte, 45)), "raw", 1},
	}
	for _, tc := range tests {
		put(t, s, "k", tc.val, 0)
		tx := lockKeys(s, "k")
		info, ok, err := tx.Object([]byte("k"))
		tx.Close()
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, tc.enc, info.Encoding, "value %q", tc.val)
		assert.Equal(t, tc.ref, info.RefCount, "value %q", tc.val)
		assert.Greater(t, info.Bytes, int64(len(tc.val)))
	}
	clk.Advance(5 * time.Second)
	tx := lockKeys(s, "k")
	info, _, _ := tx.Object([]byte("k"))
	tx.Close()
	assert.Equal(t, int64(5000), info.IdleMS)
	assert.Equal(t, evict.LFUInitVal, info.Freq)
	// A read resets the idle time; OBJECT itself does not.
	get(t, s, "k")
	tx = lockKeys(s, "k")
	info, _, _ = tx.Object([]byte("k"))
	tx.Close()
	assert.Zero(t, info.IdleMS)

	for i := 0; i < 128; i++ {
		hset(t, s, "h", "f"+strconv.Itoa(i), "v")
	}
	tx = lockKeys(s, "h")
	info, _, _ = tx.Object([]byte("h"))
	tx.Close()
	assert.Equal(t, "listpack", info.Encoding)
	hset(t, s, "h", "f128", "v")
	tx = lockKeys(s, "h")
	info, _, _ = tx.Object([]byte("h"))
	tx.Close()
	assert.Equal(t, "listpack", info.Encoding, "129 fields under Redis 7.2's default of 512")
	enc := s.Encodings()
	enc.Hash.Entries = 128 // as CONFIG SET hash-max-listpack-entries 128
	s.SetEncodings(enc)
	hset(t, s, "h", "f129", "v")
	tx = lockKeys(s, "h")
	info, _, _ = tx.Object([]byte("h"))
	tx.Close()
	assert.Equal(t, "hashtable", info.Encoding, "the next write converts under the new limit")
	s.SetEncodings(DefaultEncodings())
	hset(t, s, "h2", "f", string(make([]byte, 65)))
	tx = lockKeys(s, "h2")
	info, _, _ = tx.Object([]byte("h2"))
	tx.Close()
	assert.Equal(t, "hashtable", info.Encoding)
}

func TestCopyRename(t *testing.T) {
	s, clk := newTestStore(t, Config{})
	exp := clk.MS() + 60_000
	// {a} and {b} are in different slots: cross-slot moves.
	require.NotEqual(t, ring.KeySlotString("{a}1"), ring.KeySlotString("{b}1"))
	tests := []struct {
		name string
		run  func(t *testing.T, tx *Tx)
	}{
		{"copy string with ttl across slots", func(t *testing.T, tx *Tx) {
			require.NoError(t, tx.Put([]byte("{a}1"), []byte("v"), exp))
			ok, err := tx.Copy([]byte("{a}1"), []byte("{b}1"), false)
			require.NoError(t, err)
			assert.True(t, ok)
			v, _, _ := tx.Get([]byte("{b}1"))
			assert.Equal(t, "v", string(v))
			at, _, _ := tx.ExpireAt([]byte("{b}1"))
			assert.Equal(t, exp, at)
			v, _, _ = tx.Get([]byte("{a}1"))
			assert.Equal(t, "v", string(v))
		}},
		{"copy refuses existing dst without replace", func(t *testing.T, tx *Tx) {
			require.NoError(t, tx.Put([]byte("{a}1"), []byte("v"), 0))
			require.NoError(t, tx.Put([]byte("{a}2"), []byte("w"), 0))
			ok, err := tx.Copy([]byte("{a}1"), []byte("{a}2"), false)
			require.NoError(t, err)
			assert.False(t, ok)
			ok, err = tx.Copy([]byte("{a}1"), []byte("{a}2"), true)
			require.NoError(t, err)
			assert.True(t, ok)
			v, _, _ := tx.Get([]byte("{a}2"))
			assert.Equal(t, "v", string(v))
		}},
		{"copy missing and same", func(t *testing.T, tx *Tx) {
			ok, err := tx.Copy([]byte("{a}1"), []byte("{a}2"), false)
			require.NoError(t, err)
			assert.False(t, ok)
			_, err = tx.Copy([]byte("{a}1"), []byte("{a}1"), false)
			assert.ErrorIs(t, err, ErrSameObject)
		}},
		{"copy hash is deep", func(t *testing.T, tx *Tx) {
			_, err := tx.HSet([]byte("{a}1"), []byte("f"), []byte("v"))
			require.NoError(t, err)
			ok, err := tx.Copy([]byte("{a}1"), []byte("{b}1"), false)
			require.NoError(t, err)
			require.True(t, ok)
			_, err = tx.HSet([]byte("{a}1"), []byte("f"), []byte("changed"))
			require.NoError(t, err)
			v, _, _ := tx.HGet([]byte("{b}1"), []byte("f"))
			assert.Equal(t, "v", string(v))
		}},
		{"rename string across slots", func(t *testing.T, tx *Tx) {
			require.NoError(t, tx.Put([]byte("{a}1"), []byte("v"), exp))
			require.NoError(t, tx.Put([]byte("{b}1"), []byte("old"), 0))
			renamed, exists, err := tx.Rename([]byte("{a}1"), []byte("{b}1"), false)
			require.NoError(t, err)
			assert.True(t, renamed)
			assert.True(t, exists)
			ok, _ := tx.Exists([]byte("{a}1"))
			assert.False(t, ok)
			v, _, _ := tx.Get([]byte("{b}1"))
			assert.Equal(t, "v", string(v))
			at, _, _ := tx.ExpireAt([]byte("{b}1"))
			assert.Equal(t, exp, at)
		}},
		{"rename hash within slot", func(t *testing.T, tx *Tx) {
			_, err := tx.HSet([]byte("{a}1"), []byte("f"), []byte("v"))
			require.NoError(t, err)
			renamed, _, err := tx.Rename([]byte("{a}1"), []byte("{a}2"), false)
			require.NoError(t, err)
			assert.True(t, renamed)
			v, ok, _ := tx.HGet([]byte("{a}2"), []byte("f"))
			assert.True(t, ok)
			assert.Equal(t, "v", string(v))
			n, _ := tx.HLen([]byte("{a}1"))
			assert.Zero(t, n)
		}},
		{"renamenx and missing and same key", func(t *testing.T, tx *Tx) {
			renamed, exists, err := tx.Rename([]byte("{a}1"), []byte("{a}2"), false)
			require.NoError(t, err)
			assert.False(t, renamed)
			assert.False(t, exists)
			require.NoError(t, tx.Put([]byte("{a}1"), []byte("v"), 0))
			require.NoError(t, tx.Put([]byte("{a}2"), []byte("w"), 0))
			renamed, exists, _ = tx.Rename([]byte("{a}1"), []byte("{a}2"), true)
			assert.False(t, renamed)
			assert.True(t, exists)
			renamed, exists, _ = tx.Rename([]byte("{a}1"), []byte("{a}1"), false)
			assert.True(t, renamed)
			assert.True(t, exists)
			renamed, _, _ = tx.Rename([]byte("{a}1"), []byte("{a}1"), true)
			assert.False(t, renamed)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Flush()
			tx := lockKeys(s, "{a}", "{b}")
			defer tx.Close()
			tc.run(t, tx)
		})
	}
	assert.Equal(t, int64(0), s.Stats().Expires-countVolatile(s))
}

// countVolatile counts keys with a TTL by walking every slot.
func countVolatile(s *Store) int64 {
	var n int64
	for i := range s.slots {
		sl := &s.slots[i]
		sl.mu.Lock()
		if sl.t != nil {
			n += int64(len(sl.t.vol))
		}
		sl.mu.Unlock()
	}
	return n
}

func TestStatsHitsMisses(t *testing.T) {
	s := New(Config{})
	put(t, s, "k", "v", 0)
	get(t, s, "k")
	get(t, s, "nope")
	get(t, s, "nope")
	st := s.Stats()
	assert.Equal(t, int64(1), st.KeyspaceHits)
	assert.Equal(t, int64(2), st.KeyspaceMiss)
	assert.Equal(t, int64(1), st.Keys)
	s.ResetStats()
	st = s.Stats()
	assert.Zero(t, st.KeyspaceHits)
	assert.Zero(t, st.KeyspaceMiss)
	assert.Equal(t, int64(1), st.Keys)
}

func TestScanCountRandomFlush(t *testing.T) {
	s := New(Config{})
	assert.Equal(t, int64(0), s.Len())
	_, ok := s.RandomKey()
	assert.False(t, ok)
	want := map[string]bool{}
	for i := 0; i < 50; i++ {
		k := "{tag}" + strconv.Itoa(i)
		put(t, s, k, "v", 0)
		want[k] = true
	}
	hset(t, s, "{tag}h", "f", "v")
	want["{tag}h"] = true
	sn := ring.KeySlotString("{tag}")
	assert.Equal(t, 51, s.CountKeysInSlot(sn))
	assert.Equal(t, int64(51), s.Len())
	got := map[string]bool{}
	types := map[Type]int{}
	s.ScanSlot(sn, func(key []byte, typ Type) bool {
		got[string(key)] = true
		types[typ]++
		return true
	})
	assert.Equal(t, want, got)
	assert.Equal(t, map[Type]int{TypeString: 50, TypeHash: 1}, types)
	n := 0
	s.ScanSlot(sn, func([]byte, Type) bool { n++; return n < 3 })
	assert.Equal(t, 3, n)
	for range 20 {
		k, ok := s.RandomKey()
		require.True(t, ok)
		assert.True(t, want[string(k)])
	}
	put(t, s, "other", "v", 0)
	s.FlushSlot(sn)
	assert.Equal(t, 0, s.CountKeysInSlot(sn))
	assert.Equal(t, int64(1), s.Len())
	s.Flush()
	assert.Equal(t, int64(0), s.Len())
	assert.Equal(t, baseOverhead, s.UsedMemory())
}
