// Package cmdclock times the commands of one connection (INFO
// commandstats usec, the slow log, CLIENT LIST idle=) and lends the
// reading to the store as its clock (store.LockAt), with as few clock
// reads as that allows.
//
// Redis times every command; doing that with two clock reads per command
// costs about 5% of a pipelined SET/GET run. A connection's commands run
// back to back on its goroutine, so within one batch of pipelined commands
// the end of one command is the start of the next: the clock is read once
// per command plus once per batch. A batch ends when the connection's
// goroutine asks for more input (resp.Conn.Reads changes), since the wait
// for the network must not count as command time.
//
// On top of that only the first command of a batch reads the wall clock
// (time.Now, which on Linux is two clock reads: wall and monotonic); the
// ends of the batch's commands read the monotonic clock alone and take
// their wall time from the batch's first reading plus the monotonic time
// since (the wall clock jumping within one batch is not seen until the
// next). On this project's 2-core VM a clock read costs about as much as
// the rest of a GET's front-end work, so each one saved counts.
//
// The end of one command also serves as the store's clock for the next
// one (store.LockAt) instead of a wall clock read per Tx, but only when it
// is fresh: taken by the command just before in the same batch (or at the
// batch's start for its first command), so that no forwarded call, parked
// wait or command that ran without a stamp lies between the reading and
// the lock. Locked reports that.
package cmdclock

import "time"

// Clock is one connection's command clock. The zero value is ready. Only
// for the connection's goroutine.
type Clock struct {
	stamp time.Time // when the last command ended, or the batch began
	reads uint64    // the connection's read count when base was read
	base  time.Time // the batch's first reading (wall and monotonic)
	// seq counts the commands begun (Next); stamp is a fresh start time
	// for command fresh only.
	seq, fresh uint64
	activeMS   int64 // the last End that reported activity, in ns >> 20
}

// Next marks the start of the connection's next command.
func (k *Clock) Next() { k.seq++ }

// Stale marks the stamp as no longer fresh for the running command and
// the next one (the running one waited: for a slot lock, to route and
// lock again, or as a blocking command, whatever it stamped before).
func (k *Clock) Stale() { k.fresh = k.seq - 1 }

// Start returns the start time of the running command: the stamp, or a
// new reading when a new batch began (reads differs) or the connection has
// no batches (batched false: a forwarded command's internal client).
// Within one command it returns the same time however often it is asked.
func (k *Clock) Start(reads uint64, batched bool) time.Time {
	if k.stamp.IsZero() || !batched || reads != k.reads {
		k.base = time.Now()
		if batched {
			k.reads = reads
			k.stamp, k.fresh = k.base, k.seq
		}
		return k.base
	}
	return k.stamp
}

// End stamps the end of the command that just ran (Start ran before it in
// the same batch, so base holds the batch's reading) with one monotonic
// clock read. active is set when the time moved by a millisecond or so
// since the last End that set it: the moment to publish the connection's
// last activity (CLIENT LIST idle= is in whole seconds).
func (k *Clock) End() (now time.Time, active bool) {
	now = k.base.Add(time.Since(k.base))
	k.stamp, k.fresh = now, k.seq+1
	if ms := now.UnixNano() >> 20; ms != k.activeMS {
		k.activeMS, active = ms, true
	}
	return now, active
}

// Locked returns the running command's start time if it is a fresh
// reading the store may use as its clock (see the package doc), else the
// zero time.
func (k *Clock) Locked(reads uint64, batched bool) time.Time {
	if !batched {
		return time.Time{}
	}
	if now := k.Start(reads, true); k.fresh == k.seq {
		return now
	}
	return time.Time{}
}
