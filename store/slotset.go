package store

import (
	"math/bits"
	"sync/atomic"

	"github.com/meshcache/meshcache/ring"
)

// slotSet is a set of slots, one bit each, safe for concurrent use. A
// slot's bit is only written under that slot's lock, so it agrees with
// what the slot holds once the lock is released; readers without the lock
// see a recent state and recheck under the lock.
type slotSet [ring.SlotCount / 64]atomic.Uint64

func (m *slotSet) add(slot uint16)    { m[slot/64].Or(1 << (slot % 64)) }
func (m *slotSet) remove(slot uint16) { m[slot/64].And(^uint64(1 << (slot % 64))) }

// next returns the first slot in the set at or after from, wrapping
// around once, and false if the set is empty.
func (m *slotSet) next(from int) (uint16, bool) {
	from &= ring.SlotCount - 1
	w, b := from/64, uint(from%64)
	for i := 0; i <= len(m); i++ {
		word := m[(w+i)%len(m)].Load()
		if i == 0 {
			word &= ^uint64(0) << b // bits at or after from in its word
		}
		if i == len(m) {
			word = m[w].Load() & (1<<b - 1) // wrapped: the bits before from
		}
		if word != 0 {
			return uint16((w+i)%len(m)*64 + bits.TrailingZeros64(word)), true
		}
	}
	return 0, false
}
