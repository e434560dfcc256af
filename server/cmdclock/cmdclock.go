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
//
// Within a batch the readings are kept as offsets from the batch's first
// one (durations, one integer each), so that a command's time is one
// subtraction and a time.Time is built only for whoever asks for one.
package cmdclock

import "time"

// Clock is one connection's command clock. The zero value is ready. Only
// for the connection's goroutine.
type Clock struct {
	base     time.Time // the batch's first reading (wall and monotonic)
	baseNano int64     // base.UnixNano()
	based    bool      // base was read for a batch (of reads)
	reads    uint64    // the connection's read count when base was read
	// stamp is when the last command ended, or 0 when the batch began;
	// start is the running command's start; both since base.
	stamp, start time.Duration
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

// Begin fixes the start of the running command: the stamp, or a new
// reading when a new batch began (reads differs) or the connection has no
// batches (batched false: a forwarded command's internal client, whose
// every Begin reads the clock). Within one batched command it may be
// called again: the start does not move.
func (k *Clock) Begin(reads uint64, batched bool) {
	if k.based && batched && reads == k.reads {
		k.start = k.stamp
		return
	}
	k.base = time.Now()
	k.baseNano = k.base.UnixNano()
	k.start = 0
	if batched {
		k.based, k.reads = true, reads
		k.stamp, k.fresh = 0, k.seq
	}
}

// Start is Begin, returning the start as a time.
func (k *Clock) Start(reads uint64, batched bool) time.Time {
	k.Begin(reads, batched)
	return k.StartTime()
}

// StartTime returns the running command's start (Begin ran).
func (k *Clock) StartTime() time.Time { return k.base.Add(k.start) }

// End stamps the end of the command that just ran (Begin ran before it in
// the same batch, so base holds the batch's reading) with one monotonic
// clock read, and returns how long it ran. active is set when the time
// moved by a millisecond or so since the last End that set it: the moment
// to publish the connection's last activity (EndNano; CLIENT LIST idle= is
// in whole seconds).
func (k *Clock) End() (ran time.Duration, active bool) {
	d := time.Since(k.base)
	ran = d - k.start
	k.stamp, k.fresh = d, k.seq+1
	if ms := (k.baseNano + int64(d)) >> 20; ms != k.activeMS {
		k.activeMS, active = ms, true
	}
	return ran, active
}

// EndTime returns the time End stamped.
func (k *Clock) EndTime() time.Time { return k.base.Add(k.stamp) }

// EndNano returns the time End stamped, in Unix nanoseconds.
func (k *Clock) EndNano() int64 { return k.baseNano + int64(k.stamp) }

// Locked returns the running command's start time if it is a fresh
// reading the store and the lease may use as their clock (see the package
// doc), else the zero time.
func (k *Clock) Locked(reads uint64, batched bool) time.Time {
	if !k.fresh1(reads, batched) {
		return time.Time{}
	}
	return k.StartTime()
}

// LockedMS is Locked in Unix milliseconds, the store's clock (0: not
// fresh), without building a time.
func (k *Clock) LockedMS(reads uint64, batched bool) int64 {
	if !k.fresh1(reads, batched) {
		return 0
	}
	return (k.baseNano + int64(k.start)) / int64(time.Millisecond)
}

// fresh1 begins the command and reports whether its start is fresh.
func (k *Clock) fresh1(reads uint64, batched bool) bool {
	if !batched {
		return false
	}
	k.Begin(reads, true)
	return k.fresh == k.seq
}
