package transport

import (
	"sync"
	"sync/atomic"
	"time"
)

// Faults is a network fault injector for tests: it drops traffic between
// chosen cluster addresses inside the transport, so a cut is a real one
// (gossip packets vanish, stream and RPC dials are refused, frames on
// established RPC connections are discarded) rather than a simulation. It
// works the same on TCP endpoints and on a MemNetwork. A delay holds RPC
// frames on both, and packets and dials on a MemNetwork.
//
// One Faults may be shared by every in-process node: each node consults it
// with its own cluster address as "from" when sending and as "to" when
// receiving, so a cut is enforced on both ends. A Faults used by a single
// process still cuts what it can see: everything it sends to the peer,
// packets from the peer, and RPC connections whose hello names the peer.
// Inbound gossip streams carry the sender's address in the transport preface
// (see tcp.go), so those are cut too.
//
// The zero value lets everything through. Methods are safe for concurrent use.
type Faults struct {
	mu      sync.RWMutex // guards blocked, delays
	blocked map[[2]string]struct{}
	delays  map[[2]string]time.Duration
	delayed atomic.Bool // some delay is set: frames look it up
	dropped atomic.Uint64
}

// NewFaults returns a Faults that lets everything through.
func NewFaults() *Faults { return &Faults{} }

// Cut drops all traffic in both directions between every address in a and
// every address in b.
func (f *Faults) Cut(a, b []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blocked == nil {
		f.blocked = make(map[[2]string]struct{})
	}
	for _, x := range a {
		for _, y := range b {
			f.blocked[[2]string{x, y}] = struct{}{}
			f.blocked[[2]string{y, x}] = struct{}{}
		}
	}
}

// CutOneWay drops traffic sent from one address to another only.
func (f *Faults) CutOneWay(from, to string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blocked == nil {
		f.blocked = make(map[[2]string]struct{})
	}
	f.blocked[[2]string{from, to}] = struct{}{}
}

// Delay holds traffic sent from one address to another for d (0 removes
// the delay): RPC frames before they are written, and on a MemNetwork
// gossip packets and new connections too.
func (f *Faults) Delay(from, to string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.delays == nil {
		f.delays = make(map[[2]string]time.Duration)
	}
	if d > 0 {
		f.delays[[2]string{from, to}] = d
	} else {
		delete(f.delays, [2]string{from, to})
	}
	f.delayed.Store(len(f.delays) > 0)
}

// Heal removes every cut and every delay.
func (f *Faults) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked = nil
	f.delays = nil
	f.delayed.Store(false)
}

// DelayOf returns the delay set from one address to another (0 if none;
// a nil Faults has none).
func (f *Faults) DelayOf(from, to string) time.Duration {
	if f == nil || !f.delayed.Load() {
		return 0
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.delays[[2]string{from, to}]
}

// Allow reports whether traffic from one cluster address to another may pass,
// and counts it as dropped when not. A nil Faults allows everything.
func (f *Faults) Allow(from, to string) bool {
	if f == nil {
		return true
	}
	f.mu.RLock()
	_, cut := f.blocked[[2]string{from, to}]
	f.mu.RUnlock()
	if cut {
		f.dropped.Add(1)
	}
	return !cut
}

// Dropped returns how many packets, dials, streams and frames were dropped,
// so a test can check that its cut really stopped traffic.
func (f *Faults) Dropped() uint64 {
	if f == nil {
		return 0
	}
	return f.dropped.Load()
}
