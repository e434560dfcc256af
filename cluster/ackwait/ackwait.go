// Package ackwait is how a primary's writers wait for their replicas' acks
// (docs/DESIGN.md §5): one broadcast channel per slot, which the slot's
// next ack closes, so an ack wakes only the writers of its own slot; and a
// node-wide round, at most every poll interval and only while someone
// waits, that wakes every waiter to look again at what changes without a
// signal (the quorum lease, the routing table, the attachments) and at its
// timeout. A wait thus makes no timer and no context of its own (before
// 2026-12-06 they were half the objects a cluster SET allocated). A waiter
// that must not block (an event loop) registers a function instead of
// taking a channel (Notify): the same ack or round calls it.
package ackwait

import (
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// Slots holds the waiters' channels of every slot. The zero value is ready.
type Slots struct {
	// ch[slot] is closed (and cleared) by the slot's next ack (Wake); the
	// first waiter after the last ack makes it (Chan). Apart from the
	// slots' other state, so that a round reads 128 KiB.
	ch [ring.SlotCount]atomic.Pointer[chan struct{}]
	// fns[slot] are the functions the slot's next ack (or round) calls
	// (Notify), a stack pushed and taken whole without a lock.
	fns     [ring.SlotCount]atomic.Pointer[notifier]
	polling atomic.Bool // a round is due
}

// notifier is one function registered with Notify, and the one registered
// before it for the same slot.
type notifier struct {
	fn   func()
	next *notifier
}

// Notify registers fn to be called once, on the goroutine that records the
// slot's next ack or on the next round (Poll), whichever comes first. As
// with Chan, a waiter registers before it looks at the acks, so an ack
// that arrives in between calls fn; fn may thus be called when the wait
// is already over, and must be cheap and must not block (it runs on the
// path that records acks): it hands the waiter back to its owner.
func (s *Slots) Notify(slot uint16, fn func()) {
	n := &notifier{fn: fn}
	for {
		n.next = s.fns[slot].Load()
		if s.fns[slot].CompareAndSwap(n.next, n) {
			return
		}
	}
}

// Chan returns the channel the next ack for slot closes. A waiter takes it
// before it looks at the acks, so an ack that arrives in between closes the
// channel it then waits on.
func (s *Slots) Chan(slot uint16) <-chan struct{} {
	for {
		if c := s.ch[slot].Load(); c != nil {
			return *c
		}
		c := make(chan struct{})
		if s.ch[slot].CompareAndSwap(nil, &c) {
			return c
		}
	}
}

// Wake closes slot's channel, if a waiter made one: called after the
// slot's new ack is recorded.
func (s *Slots) Wake(slot uint16) {
	if c := s.ch[slot].Swap(nil); c != nil {
		close(*c)
	}
	if s.fns[slot].Load() == nil {
		return
	}
	for n := s.fns[slot].Swap(nil); n != nil; n = n.next {
		n.fn()
	}
}

// Poll makes sure that every channel a waiter holds now is closed within
// every: a waiter calls it before it blocks. One timer per node and round
// at most, none while nobody waits. A waiter that takes its channel after
// a round cleared the flag schedules the next round itself.
func (s *Slots) Poll(every time.Duration) {
	if s.polling.Load() || !s.polling.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(every, func() { // runs once and returns: nothing to stop
		s.polling.Store(false)
		for i := range s.ch {
			if s.ch[i].Load() != nil || s.fns[i].Load() != nil {
				s.Wake(uint16(i))
			}
		}
	})
}
