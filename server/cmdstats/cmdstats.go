// Package cmdstats counts the calls of one command: how many ran, failed
// or were refused, the time they took, and a latency histogram of
// power-of-two buckets (INFO commandstats and latencystats, the admin
// port's /metrics). Counters are updated with atomics by every connection
// goroutine at once; one call costs two atomic adds.
package cmdstats

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// Buckets is the number of latency counters of a command: upper bounds
// 1 µs, 2 µs ... 2^20 µs (about 1 s), then one for anything slower.
const Buckets = 22

// Counters are the counters of one command. The zero value is ready.
type Counters struct {
	Usec     atomic.Int64 // time spent running, in microseconds
	Rejected atomic.Int64 // refused before running (arity, NOAUTH, OOM ...)
	Failed   atomic.Int64 // ran and replied with an error
	// latency counts calls by duration: latency[i] the calls that took at
	// most 2^i µs (and more than 2^(i-1)), the last one those slower than
	// 2^(Buckets-2) µs. Not cumulative, so one add per call; their sum is
	// the calls count, which therefore needs no counter of its own.
	latency [Buckets]atomic.Int64
}

// Bucket returns the index of the counter a call of usec microseconds goes
// to: the smallest i with usec <= 2^i, capped at the overflow counter.
func Bucket(usec int64) int {
	if usec <= 1 {
		return 0
	}
	return min(bits.Len64(uint64(usec-1)), Buckets-1)
}

// Record counts one call that ran for usec microseconds: two atomic adds.
func (c *Counters) Record(usec int64) {
	c.Usec.Add(usec)
	c.latency[Bucket(usec)].Add(1)
}

// Calls returns the number of calls recorded (the sum of the buckets).
func (c *Counters) Calls() int64 {
	l := c.Latency()
	return l.Total()
}

// Reset zeroes every counter (CONFIG RESETSTAT).
func (c *Counters) Reset() {
	c.Usec.Store(0)
	c.Rejected.Store(0)
	c.Failed.Store(0)
	for i := range c.latency {
		c.latency[i].Store(0)
	}
}

// Latency reads the latency buckets. Calls recorded meanwhile may be seen
// in one bucket and not another; each count is exact and their total is
// the calls count of the moment.
func (c *Counters) Latency() Latency {
	var l Latency
	for i := range c.latency {
		l[i] = c.latency[i].Load()
	}
	return l
}

// Latency is one command's latency buckets read at one moment, not
// cumulative: bucket i counts the calls that took at most Bound(i)
// microseconds and more than Bound(i-1); the last one counts the calls
// slower than every finite bound.
type Latency [Buckets]int64

// Bound returns the upper bound of latency bucket i in microseconds (2^i);
// +Inf for the last bucket.
func Bound(i int) float64 {
	if i >= Buckets-1 {
		return math.Inf(1)
	}
	return float64(int64(1) << i)
}

// Total is the number of calls counted.
func (l *Latency) Total() int64 {
	var n int64
	for _, c := range l {
		n += c
	}
	return n
}

// Percentile estimates the p-th percentile (0 < p <= 100) in microseconds,
// as Prometheus's histogram_quantile does: it finds the bucket holding the
// rank and interpolates linearly inside it. Buckets double, so the figure
// is within a factor of two of the true value; past the last finite bound
// it is that bound. 0 when nothing was counted.
func (l *Latency) Percentile(p float64) float64 {
	n := l.Total()
	if n == 0 {
		return 0
	}
	rank := p * float64(n) / 100 // in this order 99.9% of 1000 is exactly 999
	var below int64
	for i, c := range l {
		if c == 0 || float64(below+c) < rank {
			below += c
			continue
		}
		if i == Buckets-1 {
			return Bound(i - 1)
		}
		lo := 0.0
		if i > 0 {
			lo = Bound(i - 1)
		}
		return lo + (Bound(i)-lo)*(rank-float64(below))/float64(c)
	}
	return Bound(Buckets - 2)
}

// Pending holds calls of one command recorded by one goroutine (a
// connection's) that are not yet in the command's Counters: a pipeline
// that repeats a command adds its calls with one atomic add per bucket
// used and one for the time, per batch instead of per call. Readers of
// the Counters see the calls once Flush ran; the front end flushes before
// the replies leave and before a command that is not a keyspace command
// (INFO, CONFIG RESETSTAT ...) runs. Not safe for concurrent use.
type Pending struct {
	c    *Counters
	usec int64
	used uint32 // bit i: lat[i] > 0
	lat  [Buckets]int64
}

// Record counts one call of the command whose counters are c, flushing
// the calls of another command first.
func (p *Pending) Record(c *Counters, usec int64) {
	if p.c != c {
		p.Flush()
		p.c = c
	}
	b := Bucket(usec)
	p.usec += usec
	p.lat[b]++
	p.used |= 1 << b
}

// Flush adds the pending calls to their Counters.
func (p *Pending) Flush() {
	c := p.c
	if c == nil {
		return
	}
	if p.usec != 0 {
		c.Usec.Add(p.usec)
	}
	for m := p.used; m != 0; m &= m - 1 {
		i := bits.TrailingZeros32(m)
		c.latency[i].Add(p.lat[i])
		p.lat[i] = 0
	}
	p.c, p.usec, p.used = nil, 0, 0
}
