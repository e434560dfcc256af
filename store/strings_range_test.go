package store

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modify runs ModifyRange in its own Tx.
func modify(t *testing.T, s *Store, key string, offset int, b string) (int, error) {
	t.Helper()
	tx := lockKeys(s, key)
	defer tx.Close()
	return tx.ModifyRange([]byte(key), offset, len(b), func(v []byte) { copy(v[offset:], b) })
}

func TestModifyRangeShipsOnlyTheRange(t *testing.T) {
	s, clk := newTestStore(t, Config{})
	rec := &recorder{}
	s.SetEffectSink(rec.sink)
	big := bytes.Repeat([]byte("x"), 1<<20)
	put(t, s, "k", string(big), clk.MS()+60000)
	rec.take()

	n, err := modify(t, s, "k", 1<<20+3, "ab")
	require.NoError(t, err)
	assert.Equal(t, 1<<20+5, n)
	effects := rec.take()
	require.Len(t, effects, 1)
	e := effects[0]
	assert.Equal(t, EffectSetRange, e.Kind)
	assert.Equal(t, "1048579", string(e.Field))
	assert.Equal(t, "ab", string(e.Value), "only the written bytes are shipped")
	assert.Equal(t, []string{"SETRANGE", "k", "1048579", "ab"}, argStrings(e.Args()))

	v, ok := get(t, s, "k")
	require.True(t, ok)
	assert.Equal(t, string(big)+"\x00\x00\x00ab", v, "grown with zero bytes")
	tx := lockKeys(s, "k")
	at, _, _ := tx.ExpireAt([]byte("k"))
	tx.Close()
	assert.Equal(t, clk.MS()+60000, at, "the TTL is kept")

	// In place within the room the growth left: an older, longer value's
	// bytes never show through.
	put(t, s, "g", "0123456789", 0)
	_, err = modify(t, s, "g", 10, "A")
	require.NoError(t, err)
	put(t, s, "g", "xy", 0)
	_, err = modify(t, s, "g", 5, "Z")
	require.NoError(t, err)
	v, _ = get(t, s, "g")
	assert.Equal(t, "xy\x00\x00\x00Z", v)
}

func TestModifyRangeReplayConverges(t *testing.T) {
	primary, _ := newTestStore(t, Config{})
	rec := &recorder{}
	primary.SetEffectSink(rec.sink)
	_, err := modify(t, primary, "k", 4, "abc")
	require.NoError(t, err)
	_, err = modify(t, primary, "k", 1, "Q")
	require.NoError(t, err)
	effects := cloneAll(rec.take())
	require.Len(t, effects, 2)

	replica, _ := newTestStore(t, Config{})
	require.NoError(t, replica.Apply(effects))
	require.NoError(t, replica.Apply(effects), "applying twice equals once")
	want, _ := get(t, primary, "k")
	got, ok := get(t, replica, "k")
	require.True(t, ok)
	assert.Equal(t, want, got)
	assert.Equal(t, "\x00Q\x00\x00abc", got)

	// A replay over a collection replaces it; a live command gets WRONGTYPE.
	tx := lockKeys(replica, "h")
	_, err = tx.HSet([]byte("h"), []byte("f"), []byte("v"))
	tx.Close()
	require.NoError(t, err)
	_, err = modify(t, replica, "h", 0, "x")
	require.ErrorIs(t, err, ErrWrongType)
	require.NoError(t, replica.Apply([]Effect{{Kind: EffectSetRange, Key: []byte("h"), Field: []byte("1"), Value: []byte("y")}}))
	got, _ = get(t, replica, "h")
	assert.Equal(t, "\x00y", got)

	for _, bad := range []string{"-1", "x", "99999999999999"} {
		err := replica.Apply([]Effect{{Kind: EffectSetRange, Key: []byte("k"), Field: []byte(bad), Value: []byte("y")}})
		require.Error(t, err, bad)
	}
}

func argStrings(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

func cloneAll(effects []Effect) []Effect {
	out := make([]Effect, len(effects))
	for i, e := range effects {
		out[i] = e.Clone()
	}
	return out
}
