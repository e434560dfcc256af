package blocking

import (
	"testing"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/stretchr/testify/assert"
)

// TestCutTimeout: a forwarded chunk's timeout is what is left of the
// client's, at most a chunk, at least 1 ms; last when it is all that is
// left.
func TestCutTimeout(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	cases := []struct {
		deadline int64
		want     string
		d        time.Duration
		last     bool
	}{
		{0, "2.000", 2 * time.Second, false},                // no deadline: a whole chunk
		{1_000_000 + 5000, "2.000", 2 * time.Second, false}, // more than a chunk left
		{1_000_000 + 2000, "2.000", 2 * time.Second, true},  // exactly a chunk left
		{1_000_000 + 1250, "1.250", 1250 * time.Millisecond, true},
		{1_000_000 - 10, "0.001", time.Millisecond, true}, // past: one last look
	}
	for _, tc := range cases {
		args := [][]byte{[]byte("BLPOP"), []byte("k"), []byte("0")}
		cut, d, last := CutTimeout(args, 2, tc.deadline, now, 2*time.Second)
		assert.Equal(t, tc.want, string(cut[2]), "deadline %d", tc.deadline)
		assert.Equal(t, tc.d, d)
		assert.Equal(t, tc.last, last)
		assert.Equal(t, "0", string(args[2]), "the client's arguments are left alone")
	}
}

// TestKeysSlot: a waiter's slot is its keys' one slot, -1 when they span
// slots or there are none.
func TestKeysSlot(t *testing.T) {
	slot := func(k string) int32 { return int32(ring.KeySlot([]byte(k))) }
	cases := []struct {
		keys []string
		want int32
	}{
		{nil, -1},
		{[]string{"k"}, slot("k")},
		{[]string{"{t}a", "{t}b", "{t}c"}, slot("t")},
		{[]string{"a", "b"}, -1}, // slots 15495 and 3300
		{[]string{"{t}a", "{t}b", "x"}, -1},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, KeysSlot(tc.keys), "%q", tc.keys)
	}
}
