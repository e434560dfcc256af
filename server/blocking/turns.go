package blocking

import (
	"slices"
	"sync"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// Turns decides whose turn it is on a slot when the slot is released
// after a change of keys that blocked clients wait on: Redis serves those
// clients before any other command, so the slot is owed to the first of
// them (the store's serving gate, store/gate.go) until its command has
// run. The zero value is ready.
//
// mu guards slots: per slot owed to a waiter, that waiter and the keys
// still to look at when its turn ends (every key made ready since the
// slot was first owed, so that a second key's waiter is served next).
// Next is called with the slot's lock held; it takes mu, then the Queue's.
type Turns struct {
	mu    sync.Mutex
	slots map[uint16]*turn
}

type turn struct {
	w       *Waiter
	pending []string
}

// Next decides, as slot sn is released with ready its keys made ready
// since its last release, whom sn is owed to from now on (next, nil for
// nobody), and returns the waiter it was owed to (prev). The next is, of
// the waiters first in line on a ready key, on a key of the previous
// turn, or on one pending, the one that blocked first among those that
// would be served now: not reserved, not asked to unblock, waiting (not
// running its command: a token makes it run at once), on keys of sn only,
// and first in line on the first of its keys that holds a value of the
// type it pops (holds): the waiter's own Turn, with the same holds, then
// says it runs.
// A waiter whose turn it is stays owed while it is (it is removed from
// the queue when served).
func (t *Turns) Next(q *Queue, sn uint16, ready []string, holds func(w *Waiter, key string) bool) (prev, next *Waiter) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.slots[sn]
	var cands []string
	add := func(keys []string) {
		for _, k := range keys {
			if !slices.Contains(cands, k) {
				cands = append(cands, k)
			}
		}
	}
	if st != nil {
		prev = st.w
		add(st.pending)
		add(st.w.Keys)
	}
	add(ready)
	for _, h := range q.heads(cands) {
		if h.Slot != int32(sn) || h.Reason() != None || !h.waiting.Load() {
			continue
		}
		if k := firstHolding(h, holds); k != "" && q.Head(h, k) {
			next = h
			break
		}
	}
	if prev != nil && prev != next {
		prev.owed.Store(false)
	}
	if next == nil {
		delete(t.slots, sn)
		return prev, nil
	}
	next.owed.Store(true)
	if t.slots == nil {
		t.slots = make(map[uint16]*turn)
	}
	t.slots[sn] = &turn{w: next, pending: cands}
	return prev, next
}

// firstHolding returns the first of w's keys that holds a value w pops,
// "" if none does.
func firstHolding(w *Waiter, holds func(w *Waiter, key string) bool) string {
	for _, k := range w.Keys {
		if holds(w, k) {
			return k
		}
	}
	return ""
}

// heads returns the waiters first in line on keys, each once, reservations
// left out, in the order they blocked.
func (q *Queue) heads(keys []string) []*Waiter {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*Waiter
	for _, k := range keys {
		if line := q.keys[k]; len(line) > 0 && !line[0].reserved && !slices.Contains(out, line[0]) {
			out = append(out, line[0])
		}
	}
	slices.SortStableFunc(out, func(a, b *Waiter) int {
		switch {
		case a.Order < b.Order:
			return -1
		case a.Order > b.Order:
			return 1
		}
		return 0
	})
	return out
}

// Gate is the store Tx a release hook gets (store.Tx, store/gate.go).
type Gate interface {
	Slots() []uint16
	Owed(sn uint16) uint64
	Owe(sn uint16, token uint64)
	// Type returns the type of key's value (store.Type, 0 none).
	Type(key []byte) (store.Type, error)
}

// Release is the store's release hook (store/gate.go): tx, which made
// keys ready (ready) or took a turn, is closing with its slots held. For
// each of its slots Release owes the slot to the waiter to serve next
// (Next), if any, and wakes that waiter: no other command gets the slot
// until that waiter's command has run.
func (t *Turns) Release(q *Queue, tx Gate, ready []string) {
	holds := func(w *Waiter, k string) bool {
		typ, err := tx.Type([]byte(k))
		return err == nil && int(typ) == w.Want
	}
	var mine []string
	for _, sn := range tx.Slots() {
		mine = mine[:0]
		for _, k := range ready {
			if ring.KeySlot([]byte(k)) == sn {
				mine = append(mine, k)
			}
		}
		if len(mine) == 0 && tx.Owed(sn) == 0 {
			continue
		}
		prev, next := t.Next(q, sn, mine, holds)
		if next == nil {
			tx.Owe(sn, 0)
			continue
		}
		tx.Owe(sn, next.Token)
		if next != prev {
			next.signal()
		}
	}
}
