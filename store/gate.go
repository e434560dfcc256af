package store

import "sync"

// The serving gate. Redis serves the clients blocked on a key right after
// the command that made the key ready, before any other command runs
// (handleClientsBlockedOnKeys). The store keeps that order with a gate per
// slot:
//
//   - A change of a key that a notifying watcher (a blocked client's)
//     watches notes the key as ready in its slot (touchWatch).
//   - A Tx that closes holding a slot with ready keys, or that was taken by
//     the client the slot is owed to (LockFor), calls the release hook
//     (SetReleaseHook) with the locks still held. The hook (the server's
//     blocking code) decides whose turn it is and Owes the slot to that
//     client's token, or to nobody (0).
//   - While a slot is owed, only a Tx taken with the owed token (LockFor)
//     gets it: Lock, LockSlots, Grow and Resume wait (a Grow below a held
//     slot reports false) until the hook owes the slot to nobody. The owed
//     client runs its command, whose own release hands the turn on.
//
// A slot owed to a client that leaves must be released by it: it takes the
// slot with LockFor and closes the Tx, and the hook owes the slot anew. The
// gate only orders Txs: eviction, expiry sampling, snapshots and replays
// lock the slots directly and pass.

// ReleaseHook is called by Tx.Close, with every slot of tx still held,
// when tx changed keys a blocked client watches (ready: those keys, each
// once, in the order they first changed) or holds a slot owed to the
// token it was taken with. It must not take a slot lock; it may read
// through tx and call tx.Owe.
type ReleaseHook func(tx *Tx, ready []string)

// SetReleaseHook installs h (nil removes it); call it before the store
// serves.
func (s *Store) SetReleaseHook(h ReleaseHook) { s.release = h }

// LockFor is Lock for the client of token (not 0): it gets the slot
// while the slot is owed to it, when every other Tx waits.
func (s *Store) LockFor(slot uint16, token uint64) *Tx {
	tx := s.txPool.Get().(*Tx)
	tx.slots = append(tx.slots[:0], slot)
	sl := &s.slots[slot]
	sl.mu.Lock()
	sl.await(token)
	tx.turn = token != 0 && sl.owed == token
	tx.begin()
	return tx
}

// Owe makes slot sn, which tx holds, owed to token (0: to nobody) and wakes
// the Txs waiting for the gate.
func (tx *Tx) Owe(sn uint16, token uint64) {
	if !tx.holds(sn) {
		panic("store: Owe of a slot the Tx does not hold")
	}
	sl := &tx.s.slots[sn]
	if sl.owed == token {
		return
	}
	sl.owed = token
	if sl.gate == nil {
		sl.gate = sync.NewCond(&sl.mu)
	}
	sl.gate.Broadcast()
}

// Owed returns the token slot sn, which tx holds, is owed to (0: none).
func (tx *Tx) Owed(sn uint16) uint64 { return tx.s.slots[sn].owed }

// await waits, sl.mu held, until the slot is owed to nobody or to token.
func (sl *slot) await(token uint64) {
	for sl.owed != 0 && sl.owed != token {
		sl.gate.Wait()
	}
}

// noteReady notes key as ready (sl.mu held): a notifying watcher watches
// it and it changed.
func (sl *slot) noteReady(key []byte) {
	for _, k := range sl.ready {
		if k == string(key) {
			return
		}
	}
	sl.ready = append(sl.ready, string(key))
	sl.hasReady = true
}

// release calls the release hook when tx has ready keys or a turn (see the
// top of this file), with the locks held.
func (tx *Tx) release() {
	h := tx.s.release
	if h == nil {
		return
	}
	var ready []string
	for _, sn := range tx.slots {
		sl := &tx.s.slots[sn]
		if sl.hasReady {
			ready = append(ready, sl.ready...)
			clear(sl.ready)
			sl.ready = sl.ready[:0]
			sl.hasReady = false
		}
	}
	if len(ready) > 0 || tx.turn {
		h(tx, ready)
	}
}
