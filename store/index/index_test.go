package index

import (
	"testing"

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
