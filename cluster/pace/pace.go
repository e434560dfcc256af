// Package pace spaces the coordinator's rebalance steps (cluster's control
// loop, cluster/coordinator.go). Each step is a routing table that every
// node adopts at the same moment, with a burst of handoffs and transfers
// behind it; run back to back, the steps of a join keep every node busy
// and clients feel it as one long stall. Spaced out, each step carries
// what became ready meanwhile.
package pace

import "time"

// EmptyStepDelay is how soon the loop runs again after a rebalance step
// that moved only empty slots (Soon): the time for the nodes to adopt the
// table and sync those slots (no data), not the migration interval.
const EmptyStepDelay = 50 * time.Millisecond

// Pacer spaces rebalance steps at least its interval apart. It is owned
// by the control loop, which alone calls it.
type Pacer struct {
	interval time.Duration
	last     time.Time   // when the last rebalance table was issued
	timer    *time.Timer // fires when a deferred step is due; stopped otherwise
}

// New returns a Pacer that spaces steps interval apart; the first step
// may run at once. Stop releases its timer.
func New(interval time.Duration) *Pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Pacer{interval: interval, timer: t}
}

// Ready reports whether a rebalance step may run at now; if not, it arms
// the timer (Due) for when it may.
func (p *Pacer) Ready(now time.Time) bool {
	wait := p.last.Add(p.interval).Sub(now)
	if wait <= 0 {
		return true
	}
	p.timer.Reset(wait)
	return false
}

// Issued records a rebalance table issued at now.
func (p *Pacer) Issued(now time.Time) { p.last = now }

// Soon wakes the loop after EmptyStepDelay, for the step after one that
// moved only empty slots (not recorded as issued: the next may run at
// once).
func (p *Pacer) Soon() { p.timer.Reset(EmptyStepDelay) }

// Due fires when a deferred step may run.
func (p *Pacer) Due() <-chan time.Time { return p.timer.C }

// Stop stops the timer; the loop that owns the Pacer is ending.
func (p *Pacer) Stop() { p.timer.Stop() }
