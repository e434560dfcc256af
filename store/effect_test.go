package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

func TestEffectArgs(t *testing.T) {
	tests := []struct {
		e    Effect
		want string
	}{
		{Effect{Kind: EffectSet, Key: []byte("k"), Value: []byte("v")}, "SET k v"},
		{Effect{Kind: EffectSet, Key: []byte("k"), Value: []byte("v"), ExpireAt: 1700000000000}, "SET k v PXAT 1700000000000"},
		{Effect{Kind: EffectDel, Key: []byte("k")}, "DEL k"},
		{Effect{Kind: EffectExpire, Key: []byte("k"), ExpireAt: 5}, "PEXPIREAT k 5"},
		{Effect{Kind: EffectExpire, Key: []byte("k")}, "PERSIST k"},
		{Effect{Kind: EffectHSet, Key: []byte("k"), Field: []byte("f"), Value: []byte("v")}, "HSET k f v"},
		{Effect{Kind: EffectHDel, Key: []byte("k"), Field: []byte("f")}, "HDEL k f"},
		{Effect{Kind: EffectFlushSlot, Slot: 7}, "FLUSHSLOT 7"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, string(bytes.Join(tc.e.Args(), []byte(" "))))
	}
	e := Effect{Kind: EffectSet, Key: []byte("k"), Value: []byte("v")}
	c := e.Clone()
	e.Key[0], e.Value[0] = 'x', 'x'
	assert.Equal(t, "k", string(c.Key))
	assert.Equal(t, "v", string(c.Value))
	assert.Nil(t, c.Field)
}

// dump renders a store's whole content (type, value or fields, expiry).
func dump(t *testing.T, s *Store) []string {
	t.Helper()
	var keys [][]byte
	for sn := range s.slots {
		s.ScanSlot(uint16(sn), func(k []byte, _ Type) bool {
			keys = append(keys, append([]byte(nil), k...))
			return true
		})
	}
	var out []string
	for _, k := range keys {
		tx := lockKeys(s, string(k))
		typ, err := tx.Type(k)
		require.NoError(t, err)
		at, _, _ := tx.ExpireAt(k)
		line := fmt.Sprintf("%s %s exp=%d", k, typ, at)
		switch typ {
		case TypeString:
			v, _, err := tx.Get(k)
			require.NoError(t, err)
			line += " " + string(v)
		case TypeHash:
			var fs []string
			require.NoError(t, tx.HRange(k, func(f, v []byte) bool {
				fs = append(fs, string(f)+"="+string(v))
				return true
			}))
			sort.Strings(fs)
			line += fmt.Sprint(fs)
		}
		tx.Close()
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

// randomOps runs n random operations against s (and returns nothing: the
// caller compares stores).
func randomOps(t *testing.T, s *Store, clk *fakeClock, rng *rand.Rand, n int) {
	keys := []string{"a", "b", "c", "{t}1", "{t}2", "{t}3", "h1", "h2", "{t}h"}
	pick := func() []byte { return []byte(keys[rng.IntN(len(keys))]) }
	for i := 0; i < n; i++ {
		k1, k2 := pick(), pick()
		tx := lockKeys(s, string(k1), string(k2))
		var err error
		switch rng.IntN(12) {
		case 0, 1:
			exp := int64(0)
			if rng.IntN(3) == 0 {
				exp = clk.MS() + int64(rng.IntN(5000))
			}
			err = tx.Put(k1, []byte(strconv.Itoa(rng.IntN(1000))+"-value"), exp)
		case 2:
			_, err = tx.Delete(k1)
		case 3:
			_, err = tx.SetExpireAt(k1, clk.MS()+int64(rng.IntN(5000))-100)
		case 4:
			_, err = tx.SetExpireAt(k1, 0)
		case 5, 6:
			_, err = tx.HSet(k1, []byte("f"+strconv.Itoa(rng.IntN(5))), []byte(strconv.Itoa(rng.IntN(100))))
		case 7:
			_, err = tx.HDel(k1, []byte("f"+strconv.Itoa(rng.IntN(5))))
		case 8:
			_, err = tx.Copy(k1, k2, rng.IntN(2) == 0)
		case 9:
			_, _, err = tx.Rename(k1, k2, rng.IntN(2) == 0)
		case 10:
			_, _, err = tx.Get(k1)
		case 11:
			clk.Advance(time.Duration(rng.IntN(300)) * time.Millisecond)
		}
		tx.Close()
		if err != nil && err != ErrWrongType && err != ErrSameObject {
			require.NoError(t, err)
		}
		if rng.IntN(200) == 0 {
			s.FlushSlot(keySlot("{t}"))
		}
	}
}

// TestEffectsReplay applies store A's effects to store B, once and twice,
// and checks B equals A.
func TestEffectsReplay(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		a, clk := newTestStore(t, Config{})
		b := New(Config{Now: clk.Now})
		c := New(Config{Now: clk.Now})
		rec := &recorder{}
		a.SetEffectSink(rec.sink)
		rng := rand.New(rand.NewPCG(seed, seed))
		randomOps(t, a, clk, rng, 400)
		effects := rec.take()
		require.NoError(t, b.Apply(effects))
		require.Equal(t, dump(t, a), dump(t, b), "seed %d", seed)
		require.NoError(t, b.Apply(effects))
		require.Equal(t, dump(t, a), dump(t, b), "seed %d: replayed twice", seed)
		// One by one, as a replication stream would deliver them.
		for _, e := range effects {
			require.NoError(t, c.Apply([]Effect{e}))
		}
		require.Equal(t, dump(t, a), dump(t, c), "seed %d: one at a time", seed)
		assert.Empty(t, rec.take(), "Apply does not emit")
	}
}

func TestSnapshotSlot(t *testing.T) {
	a, clk := newTestStore(t, Config{})
	put(t, a, "{s}1", "v1", clk.MS()+10_000)
	put(t, a, "{s}2", "v2", 0)
	hset(t, a, "{s}h", "f", "v")
	tx := lockKeys(a, "{s}h")
	_, err := tx.SetExpireAt([]byte("{s}h"), clk.MS()+20_000)
	require.NoError(t, err)
	tx.Close()
	put(t, a, "{s}gone", "v", clk.MS()+1)
	clk.Advance(time.Millisecond)

	b := New(Config{Now: clk.Now})
	put(t, b, "{s}h", "stale string", 0)
	var effects []Effect
	a.SnapshotSlot(keySlot("{s}"), func(e Effect) bool {
		effects = append(effects, e.Clone())
		return true
	})
	require.NoError(t, b.Apply(effects))
	assert.Equal(t, dump(t, a), dump(t, b))
}

func TestMultiSlotSinkGrouping(t *testing.T) {
	s := New(Config{})
	var calls []uint16
	s.SetEffectSink(func(slot uint16, effects []Effect) {
		calls = append(calls, slot)
		for _, e := range effects {
			assert.Equal(t, slot, e.Slot)
		}
	})
	tx := lockKeys(s, "{b}", "{a}")
	require.NoError(t, tx.Put([]byte("{b}1"), []byte("v"), 0))
	require.NoError(t, tx.Put([]byte("{a}1"), []byte("v"), 0))
	require.NoError(t, tx.Put([]byte("{b}2"), []byte("v"), 0))
	tx.Close()
	sa, sb := keySlot("{a}"), keySlot("{b}")
	want := []uint16{sa, sb}
	if sb < sa {
		want = []uint16{sb, sa}
	}
	assert.Equal(t, want, calls)
}

// TestApplyReservesNewSlot checks that a batch of SETs into an empty slot
// (a transfer's snapshot) sizes the slot's arena and index once, exactly,
// and that a batch into a slot that holds keys leaves the growth policy
// alone.
func TestApplyReservesNewSlot(t *testing.T) {
	s := New(Config{})
	const keys = 500
	var effects []Effect
	want := 0
	for i := range keys {
		k, v := fmt.Appendf(nil, "{r}key:%d", i), bytes.Repeat([]byte("v"), 8)
		effects = append(effects, Effect{Kind: EffectSet, Key: k, Value: v})
		want += hdrSize + len(k) + len(v)
	}
	require.NoError(t, s.Apply(effects[:keys/2]))
	sl := &s.slots[keySlot("{r}")]
	first := want - func() int {
		n := 0
		for _, e := range effects[keys/2:] {
			n += hdrSize + len(e.Key) + len(e.Value)
		}
		return n
	}()
	require.NotNil(t, sl.t)
	assert.Equal(t, first, len(sl.t.arena))
	assert.Equal(t, cap(moveArena(nil, first)), cap(sl.t.arena), "sized for the batch at once")
	var grown []byte // the arena as inserting one key at a time leaves it
	for _, e := range effects[:keys/2] {
		grown = growArena(grown, hdrSize+len(e.Key)+len(e.Value))
	}
	assert.Less(t, cap(sl.t.arena), cap(grown), "no spare room for keys that are not coming")
	assert.Equal(t, 512, len(sl.t.idx.Words()), "250 keys fit 3/4 of 512 words")

	// The second half lands in a slot that holds keys: ordinary growth.
	require.NoError(t, s.Apply(effects[keys/2:]))
	assert.Equal(t, want, len(sl.t.arena))
	for _, e := range effects {
		tx := s.Lock(keySlot("{r}"))
		v, ok, err := tx.Get(e.Key)
		require.NoError(t, err)
		require.True(t, ok, "%s", e.Key)
		assert.Equal(t, e.Value, v)
		tx.Close()
	}
}

// TestApplyUnlessAsksUnderTheLock: ApplyUnless skips the effects of the
// slots its predicate names, reports them, and asks with every slot of the
// batch locked (a replica promoted meanwhile cannot take the old primary's
// effects between the question and the apply).
func TestApplyUnlessAsksUnderTheLock(t *testing.T) {
	s := New(Config{})
	a, b := []byte("{a}k"), []byte("{b}k")
	sa, sb := ring.KeySlot(a), ring.KeySlot(b)
	var asked []uint16
	skipped, err := s.ApplyUnless([]Effect{
		{Kind: EffectSet, Slot: sa, Key: a, Value: []byte("1")},
		{Kind: EffectSet, Slot: sb, Key: b, Value: []byte("2")},
	}, func(sn uint16) bool {
		asked = append(asked, sn)
		assert.False(t, s.slots[sn].mu.TryLock(), "slot %d is locked while asked", sn)
		return sn == sb
	})
	require.NoError(t, err)
	assert.Equal(t, []uint16{sb}, skipped)
	assert.ElementsMatch(t, []uint16{sa, sb}, asked, "each slot asked once")
	tx := s.LockSlots([]uint16{sa, sb})
	defer tx.Close()
	_, okA, _ := tx.Get(a)
	_, okB, _ := tx.Get(b)
	assert.True(t, okA, "the other slot's effect is applied")
	assert.False(t, okB, "the skipped slot's effect is not")
}
