package index

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIndexRandomOps checks the index against a map through many inserts
// and deletes with tiny hashes, so probe runs wrap around the table.
func TestIndexRandomOps(t *testing.T) {
	var x Index
	model := map[uint32]uint64{} // off -> hash
	h := func(i int) uint64 { return uint64(i*7%13) << 32 }
	for i := 0; i < 5000; i++ {
		off := uint32(i % 257)
		if hv, ok := model[off]; ok {
			pos := findOff(&x, hv, off)
			require.GreaterOrEqual(t, pos, 0)
			x.RemoveAt(pos)
			delete(model, off)
		} else {
			x.Insert(h(i), off)
			model[off] = h(i)
		}
		require.Equal(t, len(model), x.Len())
	}
	for off, hv := range model {
		assert.GreaterOrEqual(t, findOff(&x, hv, off), 0)
	}
}

func findOff(x *Index, h uint64, off uint32) int {
	pos, ok := x.PosOf(h, off)
	if !ok {
		return -1
	}
	return pos
}

// TestHomeAddr checks the published words: HomeAddr names the word a
// lookup of the hash begins at, follows the words through growth and
// shrinking, and is 0 for an empty index.
func TestHomeAddr(t *testing.T) {
	var x Index
	assert.Zero(t, x.HomeAddr(1<<40), "empty index")
	home := func(h uint64) uintptr {
		return uintptr(unsafe.Pointer(&x.words[x.home(Tag(h))]))
	}
	for i := range 100 {
		h := uint64(i*2654435761) << 20
		x.Insert(h, uint32(i))
		for _, probe := range []uint64{h, 0, ^uint64(0), 5 << 32} {
			require.Equal(t, home(probe), x.HomeAddr(probe), "after %d inserts, hash %#x", i+1, probe)
		}
	}
	for x.Len() > 1 {
		x.RemoveAt(slices.IndexFunc(x.words, func(w uint64) bool { return w != 0 }))
		require.Equal(t, home(7<<32), x.HomeAddr(7<<32), "%d words left", x.Len())
	}
	x.Reset()
	assert.Zero(t, x.HomeAddr(7<<32), "after Reset")
	assert.Zero(t, x.Len())
}
