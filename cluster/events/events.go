// Package events is a node's bounded ring of recent cluster events: joins,
// failures, drains, routing tables it issued, handoffs, failovers. Each node
// keeps the events that happen at it (the coordinator records the tables it
// issues and the members it sees fail, a primary the slots it hands off), so
// the cluster's history is the union of its members' rings, gathered by the
// admin port's cluster view. Nothing is scraped from logs.
//
// The ring is pure: the caller passes the time of each event.
package events

import (
	"sync"
	"time"
)

// Kind names what happened.
type Kind string

// The kinds of event.
const (
	Joined   Kind = "join"     // a node became a member of the routing table
	Failed   Kind = "fail"     // the coordinator saw a member die
	Recover  Kind = "recover"  // the coordinator saw a dead member alive again
	Draining Kind = "drain"    // a node started to leave (CLUSTER LEAVE, SIGTERM, the console)
	Left     Kind = "leave"    // a node left the routing table
	Table    Kind = "table"    // the coordinator issued a routing table (a step)
	Failover Kind = "failover" // replicas promoted for a dead primary's slots
	Handoff  Kind = "handoff"  // a primary handed slots to another node
	Prefer   Kind = "prefer"   // CLUSTER FAILOVER asked for a node's replica slots
)

// Event is one thing that happened, as the node that saw it records it.
type Event struct {
	At   time.Time `json:"at"`
	Kind Kind      `json:"kind"`
	// Node is the node the event is about (the member that joined, the
	// primary that handed off); empty when it is about the cluster.
	Node string `json:"node,omitempty"`
	// Text says it in a sentence for people.
	Text string `json:"text"`
	// Epoch is the routing table epoch the event belongs to, if any.
	Epoch uint64 `json:"epoch,omitempty"`
}

// DefaultSize is how many events a node keeps.
const DefaultSize = 256

// Ring keeps the last Size events recorded, oldest dropped first. Safe for
// concurrent use; Record never blocks on anything but the ring's mutex.
type Ring struct {
	mu   sync.Mutex // guards buf, next, full
	buf  []Event
	next int  // where the next event goes
	full bool // buf has wrapped at least once
}

// New returns a ring that keeps the last size events (size >= 1).
func New(size int) *Ring {
	return &Ring{buf: make([]Event, max(size, 1))}
}

// Record adds e, dropping the oldest event when the ring is full.
func (r *Ring) Record(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = e
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// Recent returns the events kept, oldest first.
func (r *Ring) Recent() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return append([]Event(nil), r.buf[:r.next]...)
	}
	out := make([]Event, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}
