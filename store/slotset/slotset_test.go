package slotset

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestNext: Next finds the first member at or after from, wrapping
// once, as a walk over a plain set does, for random sets and starts.
func TestNext(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var m Set
		in := map[uint16]bool{}
		for range r.IntN(6) * (round % 3) {
			s := uint16(r.IntN(ring.SlotCount))
			m.Add(s)
			in[s] = true
		}
		if round%5 == 0 && len(in) > 0 { // removals too
			for s := range in {
				m.Remove(s)
				delete(in, s)
				break
			}
		}
		for range 20 {
			from := r.IntN(ring.SlotCount)
			want, wantOK := uint16(0), false
			for d := range ring.SlotCount {
				if s := uint16((from + d) % ring.SlotCount); in[s] {
					want, wantOK = s, true
					break
				}
			}
			got, ok := m.Next(from)
			require.Equal(t, wantOK, ok, "from %d set %v", from, in)
			require.Equal(t, want, got, "from %d set %v", from, in)
		}
	}
}
