// Package blocking holds the queues of clients parked by blocking commands
// (BLPOP, BLMOVE, BZPOPMIN ...): per key, the waiters in the order they
// first blocked, which decides who is served first; and per client ID, the
// waiter CLIENT UNBLOCK finds. It decides nothing about keys or replies:
// the front end (server/blocking.go) parks and wakes the clients, and asks
// the queue whether a woken waiter is first in line.
package blocking

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Reason says why a waiter was asked to stop waiting.
type Reason int32

// Unblock reasons.
const (
	None    Reason = iota
	Timeout        // CLIENT UNBLOCK id [TIMEOUT]: answer as on timeout
	Error          // CLIENT UNBLOCK id ERROR: answer -UNBLOCKED
)

// Waiter is one parked client.
type Waiter struct {
	// ID is the client's ID for CLIENT UNBLOCK; 0 for an internal client
	// (a command forwarded by another node), which CLIENT UNBLOCK cannot
	// name.
	ID uint64
	// Order is when the client first blocked (unix ns): its place in the
	// queues. A client that runs its command again keeps it.
	Order int64
	// Keys are the command's keys, each once.
	Keys []string

	wake   chan struct{}
	reason atomic.Int32
	queued bool // in a Queue; guarded by its mu
}

// NewWaiter returns a waiter for client id, blocked since order, on keys.
func NewWaiter(id uint64, order int64, keys []string) *Waiter {
	return &Waiter{ID: id, Order: order, Keys: keys, wake: make(chan struct{}, 1)}
}

// Wake receives a token when the waiter may have become first in line for
// one of its keys, or was asked to unblock (Reason).
func (w *Waiter) Wake() <-chan struct{} { return w.wake }

// Reason is why the waiter was asked to unblock, None if it was not.
func (w *Waiter) Reason() Reason { return Reason(w.reason.Load()) }

// signal leaves a token on w.wake without blocking.
func (w *Waiter) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Queue is the table of parked clients. The zero value is empty and ready.
// mu guards keys, byID and every Waiter.queued; count is the number of
// queued waiters (INFO blocked_clients).
type Queue struct {
	mu    sync.Mutex
	keys  map[string][]*Waiter
	byID  map[uint64]*Waiter
	count atomic.Int64
}

// Len returns the number of queued waiters.
func (q *Queue) Len() int64 { return q.count.Load() }

// Add queues w on each of its keys, behind every waiter that blocked
// before it. A waiter already queued stays where it is.
func (q *Queue) Add(w *Waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.queued {
		return
	}
	if q.keys == nil {
		q.keys, q.byID = make(map[string][]*Waiter), make(map[uint64]*Waiter)
	}
	w.queued = true
	if w.ID != 0 {
		q.byID[w.ID] = w
	}
	q.count.Add(1)
	for _, k := range w.Keys {
		line := q.keys[k]
		i, _ := slices.BinarySearchFunc(line, w.Order, func(x *Waiter, o int64) int {
			if x.Order <= o {
				return -1
			}
			return 1
		})
		q.keys[k] = slices.Insert(line, i, w)
	}
}

// Remove takes w out of every queue and passes a token to the waiter that
// becomes first in each line w was first in.
func (q *Queue) Remove(w *Waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !w.queued {
		return
	}
	w.queued = false
	if w.ID != 0 {
		delete(q.byID, w.ID)
	}
	q.count.Add(-1)
	for _, k := range w.Keys {
		line := q.keys[k]
		first := len(line) > 0 && line[0] == w
		line = slices.DeleteFunc(line, func(x *Waiter) bool { return x == w })
		if len(line) == 0 {
			delete(q.keys, k)
			continue
		}
		q.keys[k] = line
		if first {
			line[0].signal()
		}
	}
}

// Waiting reports whether a client waits on one of keys: a client that
// comes to pop from them queues behind it rather than take what was pushed
// for it (first blocked, first served).
func (q *Queue) Waiting(keys []string) bool {
	if q.count.Load() == 0 {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range keys {
		if len(q.keys[k]) > 0 {
			return true
		}
	}
	return false
}

// Head reports whether w is first in line for key.
func (q *Queue) Head(w *Waiter, key string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	line := q.keys[key]
	return len(line) > 0 && line[0] == w
}

// First reports whether w is first in line for one of its keys.
func (q *Queue) First(w *Waiter) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range w.Keys {
		if line := q.keys[k]; len(line) > 0 && line[0] == w {
			return true
		}
	}
	return false
}

// Unblock asks the queued client id to stop waiting for reason (Timeout or
// Error); it reports whether such a client was waiting and had not been
// asked already.
func (q *Queue) Unblock(id uint64, reason Reason) bool {
	q.mu.Lock()
	w := q.byID[id]
	q.mu.Unlock()
	if w == nil || !w.reason.CompareAndSwap(int32(None), int32(reason)) {
		return false
	}
	w.signal()
	return true
}

// Turn reports whether a woken waiter runs its command again: the command
// pops from the first of its keys that holds a value (holds says which
// do), so w must be first in line for that key; when none holds one, it
// runs if it is first for any key (it parks again, or is routed anew). So a
// client waiting on l2 and l3 whose turn on l3 came does not take what was
// pushed to l2 for the client ahead of it there (Redis's "Unblock fairness
// is kept during nested unblock").
func (q *Queue) Turn(w *Waiter, holds func(key string) bool) bool {
	if !q.First(w) {
		return false
	}
	for _, k := range w.Keys {
		if holds(k) {
			return q.Head(w, k)
		}
	}
	return true
}

// Await waits until w may run its command again: a change of its keys
// (notify) or a waiter ahead leaving makes it its Turn, timer fires (its
// deadline or a recheck), or CLIENT UNBLOCK asks it to stop (the reason is
// returned). closed reports that gone was closed (the client went away).
func (q *Queue) Await(w *Waiter, notify, gone <-chan struct{}, timer <-chan time.Time, holds func(key string) bool) (reason Reason, closed bool) {
	for {
		select {
		case <-gone:
			return None, true
		case <-timer:
			return None, false
		case <-notify:
			if q.Turn(w, holds) {
				return None, false
			}
		case <-w.Wake():
			if r := w.Reason(); r != None || q.Turn(w, holds) {
				return r, false
			}
		}
	}
}
