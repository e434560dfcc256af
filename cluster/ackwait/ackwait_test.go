package ackwait

import (
	"testing"
	"time"
)

// An ack closes the channel its slot's waiters hold, and only theirs; the
// next waiter gets a new channel.
func TestWakeClosesOnlyItsSlot(t *testing.T) {
	var s Slots
	a, a2, b := s.Chan(1), s.Chan(1), s.Chan(2)
	if a != a2 {
		t.Fatal("two waiters of one slot got different channels")
	}
	s.Wake(1)
	select {
	case <-a:
	default:
		t.Fatal("the ack did not close its slot's channel")
	}
	select {
	case <-b:
		t.Fatal("the ack closed another slot's channel")
	default:
	}
	if c := s.Chan(1); c == a {
		t.Fatal("a waiter after the ack got the closed channel")
	}
	s.Wake(3) // no waiter: nothing to close
}

// A round closes every channel held, without any ack.
func TestPollWakesEveryWaiter(t *testing.T) {
	var s Slots
	a, b := s.Chan(5), s.Chan(16383)
	s.Poll(time.Millisecond)
	s.Poll(time.Millisecond) // one round already due: no second timer
	for _, c := range []<-chan struct{}{a, b} {
		select {
		case <-c:
		case <-time.After(10 * time.Second):
			t.Fatal("no round closed a held channel")
		}
	}
	c := s.Chan(5)
	s.Poll(time.Millisecond) // the round cleared its flag: a new one
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatal("a waiter after a round got no round")
	}
}
