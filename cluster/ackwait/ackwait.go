// Package ackwait is how a primary's writers wait for their replicas' acks
// (docs/DESIGN.md §5): one broadcast channel per slot, which the slot's
// next ack closes, so an ack wakes only the writers of its own slot; and a
// node-wide round, at most every poll interval and only while someone
// waits, that wakes every waiter to look again at what changes without a
// signal (the quorum lease, the routing table, the attachments) and at its
// timeout. A wait thus makes no timer and no context of its own (before
// 2026-12-06 they were half the objects a cluster SET allocated).
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
	ch      [ring.SlotCount]atomic.Pointer[chan struct{}]
	polling atomic.Bool // a round is due
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
			if s.ch[i].Load() != nil {
				s.Wake(uint16(i))
			}
		}
	})
}
