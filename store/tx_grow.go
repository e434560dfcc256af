package store

import "slices"

// A script (EVAL) holds its declared keys' slots for its whole run and may
// reach more slots as it runs (an undeclared key on a standalone node, or
// with allow-cross-slot-keys). Growing a Tx keeps the rule that makes
// Txs deadlock-free: a goroutine never waits for a slot lower than one it
// holds.

// Grow adds slot sn to the Tx. A slot above every held one is waited for;
// a lower one is only tried, and Grow reports false (nothing changed) when
// another Tx holds it: waiting for it could deadlock against a Tx that
// holds it and waits for one of ours.
func (tx *Tx) Grow(sn uint16) bool {
	if tx.holds(sn) {
		return true
	}
	sl := &tx.s.slots[sn]
	if n := len(tx.slots); n == 0 || sn > tx.slots[n-1] {
		sl.mu.Lock()
		sl.await(0)
		tx.slots = append(tx.slots, sn)
	} else {
		if !sl.mu.TryLock() {
			return false
		}
		if sl.owed != 0 { // owed to a blocked client (gate.go): busy too
			sl.mu.Unlock()
			return false
		}
		i, _ := slices.BinarySearch(tx.slots, sn)
		tx.slots = slices.Insert(tx.slots, i, sn)
	}
	tx.mark += sl.version.Load() // versions() now sums sn too
	return true
}

// Holds reports whether the Tx holds slot sn.
func (tx *Tx) Holds(sn uint16) bool { return tx.holds(sn) }

// Pause hands the effects so far to the sink and releases every slot,
// keeping the list; Resume takes them again, in ascending order, and
// starts a new instant (clock, policy, sink) as a new Tx would. Between
// the two the Tx must not be used. A script uses them around a
// keyspace-wide command (KEYS, SCAN, DBSIZE, FLUSHALL), which locks the
// slots itself, as EXEC does: the run is atomic between such commands.
func (tx *Tx) Pause() {
	s := tx.s
	tx.flushEffects()
	for i := len(tx.slots) - 1; i >= 0; i-- {
		s.slots[tx.slots[i]].mu.Unlock()
	}
}

// Resume takes the slots released by Pause again.
func (tx *Tx) Resume() {
	for _, sn := range tx.slots {
		tx.s.slots[sn].mu.Lock()
		tx.s.slots[sn].await(0)
	}
	tx.pinned = false
	tx.begin()
}

// flushEffects hands the effects so far to the sink and forgets them.
func (tx *Tx) flushEffects() {
	tx.handOff()
	clear(tx.effects)
	tx.effects = tx.effects[:0]
	tx.buf = tx.buf[:0]
}

// Reach makes the Tx hold every slot in slots (ascending, unique) for a
// command that learns which keys it reads only as it runs: SORT's BY and
// GET patterns on a standalone node. It grows into each slot (Grow); when
// a slot below a held one is busy, it releases every slot and takes them
// all again in ascending order (Pause, Resume) and reports false: the
// caller has not written yet and must read again, since others may have
// run in between. Once it reports true, the Tx holds them all.
func (tx *Tx) Reach(slots []uint16) bool {
	for i, sn := range slots {
		if tx.Grow(sn) {
			continue
		}
		tx.Pause()
		tx.slots = append(tx.slots, slots[i:]...)
		slices.Sort(tx.slots)
		tx.slots = slices.Compact(tx.slots)
		tx.Resume()
		return false
	}
	return true
}
