package store

import (
	"fmt"

	"github.com/meshcache/meshcache/ring"
)

// SnapshotSlotWith is SnapshotSlot with a hook: under the slot's lock it
// first calls start with the bytes the slot's live entries take in its
// arena (keys, values and a 32-byte header each: a size hint for the
// snapshot's buffers), then fn for every effect of the snapshot, and only
// then releases the lock. A slot transfer uses start to begin teeing the
// slot's new effects to the target in the same critical section as the
// snapshot, so that the snapshot plus the effects committed after it is
// exactly the slot's state: no effect falls between the two, and none is
// in both. start and fn must not call into the store.
func (s *Store) SnapshotSlotWith(slot uint16, start func(size int), fn func(e Effect) bool) error {
	if int(slot) >= ring.SlotCount {
		return fmt.Errorf("snapshot slot %d: out of range", slot)
	}
	sl := &s.slots[slot]
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if start != nil {
		size := 0
		if t := sl.t; t != nil {
			size = len(t.arena) - t.garbage
		}
		start(size)
	}
	s.snapshotLocked(sl, slot, fn)
	return nil
}
