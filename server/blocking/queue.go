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
	// Gone: the client of a forwarded waiter left its node (Cancel): the
	// waiter takes nothing and answers as on timeout, to nobody.
	Gone
)

// Ref names the client behind a forwarded waiter: a client of another
// node (Origin) whose blocking command that node sends here in chunks.
// Order is when the client first blocked, on its node's clock: it tells
// one blocking command of the client from its next, and is the waiter's
// place in the queues across chunks. The zero Ref is a local client's.
type Ref struct {
	Origin string
	Client uint64
	Order  int64
}

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
	// Ref names a forwarded waiter's client (zero for a local client).
	Ref Ref
	// Token names the waiter to the store's serving gate (not 0); Want is
	// the type of value it pops (the front end's, opaque here); Slot is
	// the slot of all its keys, -1 when they span slots (such a waiter is
	// never owed a turn: Turns).
	Token uint64
	Want  int
	Slot  int32
	// owed: a slot is owed to the waiter (Turns); waiting: it is queued
	// and not running its command (set by Add, by Await while it waits,
	// cleared when Await returns), so a token makes it run its command
	// soon and Turns may owe it a slot. The front end does nothing that
	// blocks between Add and Await.
	owed    atomic.Bool
	waiting atomic.Bool

	wake   chan struct{}
	reason atomic.Int32
	// Guarded by the Queue's mu: queued is set while w is in a Queue;
	// reserved while it holds its place for the next chunk of a
	// forwarded command (Reserve), until the unix ns until.
	queued   bool
	reserved bool
	until    int64
}

// NewWaiter returns a waiter for client id, blocked since order, on keys.
func NewWaiter(id uint64, order int64, keys []string) *Waiter {
	return &Waiter{ID: id, Order: order, Keys: keys, Slot: -1, wake: make(chan struct{}, 1)}
}

// Wake receives a token when the waiter may have become first in line for
// one of its keys, or was asked to unblock (Reason).
func (w *Waiter) Wake() <-chan struct{} { return w.wake }

// Owed reports whether a slot is owed to w (Turns): leaving, it must
// release the slot so that the turn passes on.
func (w *Waiter) Owed() bool { return w.owed.Load() }

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
// mu guards keys, byID, refs, gone and every Waiter's queued, reserved and
// until; count is the number of queued waiters, reservations included
// (INFO blocked_clients: a reservation's client still waits, between two
// chunks).
//
// Forwarded waiters (Ref set) keep their place across chunks: a chunk that
// ends unserved while its client still waits leaves a reservation
// (Reserve) in its place, which the next chunk of the same Ref takes back
// (Add); until then nobody behind it is first in line. A reservation
// nobody claims by its deadline is dropped by Expire, which passes the
// turn on. Cancel drops a forwarded waiter whose client left, and keeps a
// tombstone so that a chunk still on its way is refused (Add false).
type Queue struct {
	mu    sync.Mutex
	keys  map[string][]*Waiter
	byID  map[uint64]*Waiter
	refs  map[Ref]*Waiter // forwarded waiters and reservations
	gone  map[Ref]gone    // cancelled Refs
	count atomic.Int64
}

// gone is a cancelled Ref's tombstone: why, and until when (unix ns).
type gone struct {
	reason Reason
	until  int64
}

// Len returns the number of queued waiters.
func (q *Queue) Len() int64 { return q.count.Load() }

// Add queues w on each of its keys, behind every waiter that blocked
// before it, and reports true; w is waiting from then on. A waiter already
// queued stays where it is.
// A forwarded waiter takes the place of its Ref's reservation, or of an
// earlier chunk still queued (which is told to leave: Gone); a cancelled
// Ref is refused (false).
func (q *Queue) Add(w *Waiter) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.queued {
		w.waiting.Store(true) // parked again: it waits next
		return true
	}
	if q.keys == nil {
		q.keys, q.byID = make(map[string][]*Waiter), make(map[uint64]*Waiter)
		q.refs, q.gone = make(map[Ref]*Waiter), make(map[Ref]gone)
	}
	if w.Ref != (Ref{}) {
		if q.gone[w.Ref].reason != None {
			return false
		}
		if old := q.refs[w.Ref]; old != nil {
			if old.reserved {
				q.drop(old, false) // w takes its place: nobody else's turn came
			} else if old.reason.CompareAndSwap(int32(None), int32(Gone)) {
				old.signal()
			}
		}
		q.refs[w.Ref] = w
	}
	w.queued = true
	w.waiting.Store(true)
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
	return true
}

// Remove takes w out of every queue and passes a token to the waiter that
// becomes first in each line w was first in.
func (q *Queue) Remove(w *Waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.drop(w, true)
}

// Reserve keeps the place of forwarded waiter w, whose chunk ended
// unserved while its client still waits, until the unix ns until: w stays
// first where it was, serves nobody, and is taken back by the next chunk
// of its Ref (Add) or dropped by Expire. A waiter that is not queued, or
// has no Ref, is removed instead.
func (q *Queue) Reserve(w *Waiter, until int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !w.queued {
		return
	}
	if w.Ref == (Ref{}) || q.refs[w.Ref] != w || w.Reason() != None {
		q.drop(w, true)
		return
	}
	w.reserved, w.until = true, until
}

// Cancel drops the forwarded waiter of ref, whose client left its node
// (reason Gone) or was unblocked there (Timeout, Error): a waiting chunk
// is told to leave with reason and takes nothing, a reservation is
// removed and passes the turn on. ref is remembered with reason until the
// unix ns until, so a chunk still on its way is refused (Cancelled). It
// reports whether a waiter or reservation was found.
func (q *Queue) Cancel(ref Ref, reason Reason, until int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.keys == nil {
		q.keys, q.byID = make(map[string][]*Waiter), make(map[uint64]*Waiter)
		q.refs, q.gone = make(map[Ref]*Waiter), make(map[Ref]gone)
	}
	q.gone[ref] = gone{reason: reason, until: until}
	w := q.refs[ref]
	if w == nil {
		return false
	}
	if w.reserved {
		q.drop(w, true)
	} else if w.reason.CompareAndSwap(int32(None), int32(reason)) {
		w.signal()
	}
	return true
}

// ReserveFor is Reserve for d from now; a timer drops the reservation if
// unclaimed then (Expire).
func (q *Queue) ReserveFor(w *Waiter, d time.Duration) {
	q.Reserve(w, time.Now().Add(d).UnixNano())
	q.expireAfter(d)
}

// CancelFor is Cancel, remembering ref for d from now.
func (q *Queue) CancelFor(ref Ref, reason Reason, d time.Duration) {
	q.Cancel(ref, reason, time.Now().Add(d).UnixNano())
	q.expireAfter(d)
}

// expireAfter runs Expire after d; the timer's goroutine runs once.
func (q *Queue) expireAfter(d time.Duration) {
	time.AfterFunc(d+time.Millisecond, func() { q.Expire(time.Now().UnixNano()) })
}

// Expire drops the reservations and tombstones whose time ran out by the
// unix ns now (a dropped reservation passes the turn on) and returns the
// earliest time one of those left runs out, 0 if none.
func (q *Queue) Expire(now int64) (next int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	earliest := func(t int64) {
		if next == 0 || t < next {
			next = t
		}
	}
	for ref, g := range q.gone {
		if g.until <= now {
			delete(q.gone, ref)
		} else {
			earliest(g.until)
		}
	}
	for _, w := range q.refs {
		switch {
		case !w.reserved:
		case w.until <= now:
			q.drop(w, true)
		default:
			earliest(w.until)
		}
	}
	return next
}

// drop takes w out of every queue (q.mu is held); with pass, it passes a
// token to the waiter that becomes first in each line w was first in.
func (q *Queue) drop(w *Waiter, pass bool) {
	if !w.queued {
		return
	}
	w.queued, w.reserved = false, false
	if w.ID != 0 {
		delete(q.byID, w.ID)
	}
	if w.Ref != (Ref{}) && q.refs[w.Ref] == w {
		delete(q.refs, w.Ref)
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
		if first && pass {
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

// Cancelled returns why ref was cancelled (Cancel) if it is not yet
// forgotten (Expire), None if it was not: a chunk of it runs nothing.
func (q *Queue) Cancelled(ref Ref) Reason {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.gone[ref].reason
}

// Track makes w, the waiter of a client of this node whose command waits
// on another node (forwarded in chunks), one Unblock finds by its ID;
// Untrack forgets it. w is in no line and not counted (the node that
// holds the chunk counts it).
func (q *Queue) Track(w *Waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.byID == nil {
		q.byID = make(map[uint64]*Waiter)
	}
	if w.ID != 0 {
		q.byID[w.ID] = w
	}
}

// Untrack forgets w (Track).
func (q *Queue) Untrack(w *Waiter) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.byID[w.ID] == w {
		delete(q.byID, w.ID)
	}
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
	w.waiting.Store(true)
	defer w.waiting.Store(false)
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
