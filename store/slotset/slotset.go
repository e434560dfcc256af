// Package slotset is a set of the ring's slots, one bit each.
package slotset

import (
	"math/bits"
	"sync/atomic"

	"github.com/meshcache/meshcache/ring"
)

// Set is a set of slots, safe for concurrent use; the zero value is empty.
// The store writes a slot's bit only under that slot's lock, so it agrees
// with what the slot holds once the lock is released; readers without the
// lock see a recent state and recheck under the lock.
type Set [ring.SlotCount / 64]atomic.Uint64

// Add puts slot in the set.
func (m *Set) Add(slot uint16) { m[slot/64].Or(1 << (slot % 64)) }

// Remove takes slot out of the set.
func (m *Set) Remove(slot uint16) { m[slot/64].And(^uint64(1 << (slot % 64))) }

// Next returns the first slot in the set at or after from, wrapping
// around once, and false if the set is empty.
func (m *Set) Next(from int) (uint16, bool) {
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
