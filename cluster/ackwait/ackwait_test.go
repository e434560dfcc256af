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

// A registered function is called once by its slot's next ack, not by
// another slot's, and not again by a later ack.
func TestNotifyCalledOnceByItsSlot(t *testing.T) {
	var s Slots
	var a, b int
	s.Notify(1, func() { a++ })
	s.Notify(1, func() { a++ })
	s.Notify(2, func() { b++ })
	s.Wake(1)
	if a != 2 || b != 0 {
		t.Fatalf("after slot 1's ack: slot 1's functions called %d times (want 2), slot 2's %d (want 0)", a, b)
	}
	s.Wake(1)
	if a != 2 {
		t.Fatalf("a second ack called slot 1's functions again: %d calls", a)
	}
	// A function that registers again is called by the next ack only.
	var again func()
	n := 0
	again = func() {
		if n++; n < 3 {
			s.Notify(1, again)
		}
	}
	s.Notify(1, again)
	s.Wake(1)
	if n != 1 {
		t.Fatalf("re-registering from the function: %d calls after one ack, want 1", n)
	}
	s.Wake(1)
	s.Wake(1)
	if n != 3 {
		t.Fatalf("%d calls after three acks, want 3", n)
	}
}

// A round calls the functions no ack called, so a waiter that registered
// looks again at what changes without an ack.
func TestPollCallsRegistered(t *testing.T) {
	var s Slots
	called := make(chan struct{})
	s.Notify(7, func() { close(called) })
	s.Poll(time.Millisecond)
	select {
	case <-called:
	case <-time.After(10 * time.Second):
		t.Fatal("the round did not call the registered function")
	}
}
