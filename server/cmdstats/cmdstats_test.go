package cmdstats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLatencyBucket(t *testing.T) {
	for _, tc := range []struct {
		usec int64
		want int
	}{
		{-1, 0}, {0, 0}, {1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {8, 3}, {9, 4},
		{1000, 10}, {1024, 10}, {1025, 11},
		{1 << 20, 20}, {1<<20 + 1, 21}, {math.MaxInt64, 21},
	} {
		assert.Equal(t, tc.want, Bucket(tc.usec), "usec %d", tc.usec)
	}
}

func TestLatencyPercentile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts map[int]int64 // bucket -> calls
		p      float64
		want   float64
	}{
		{"empty", nil, 50, 0},
		{"all in first bucket, median", map[int]int64{0: 10}, 50, 0.5},
		{"all in first bucket, max", map[int]int64{0: 10}, 100, 1},
		{"interpolated in (2,4]", map[int]int64{2: 4}, 25, 2.5},
		{"rank in the second bucket", map[int]int64{0: 90, 3: 10}, 95, 6},
		{"rank on a bucket edge stays in it", map[int]int64{0: 50, 1: 50}, 50, 1},
		{"p99.9 of a tail", map[int]int64{0: 999, 10: 1}, 99.9, 1},
		{"p99.9 past the tail's start", map[int]int64{0: 998, 10: 2}, 99.9, 768},
		{"overflow bucket reads as the last bound", map[int]int64{21: 3}, 50, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l Latency
			for i, c := range tc.counts {
				l[i] = c
			}
			assert.InDelta(t, tc.want, l.Percentile(tc.p), 1e-9)
		})
	}
}

// TestCountersRecord: every call lands in exactly one bucket, and
// CONFIG RESETSTAT's reset clears the buckets with the other counters.
func TestCountersRecord(t *testing.T) {
	var s Counters
	for _, usec := range []int64{0, 1, 3, 3, 700, 5 << 20} {
		s.Record(usec)
	}
	l := s.Latency()
	assert.EqualValues(t, 6, s.Calls())
	assert.EqualValues(t, 6, l.Total())
	assert.EqualValues(t, 0+1+3+3+700+5<<20, s.Usec.Load())
	assert.EqualValues(t, 2, l[0])
	assert.EqualValues(t, 2, l[2])
	assert.EqualValues(t, 1, l[10])
	assert.EqualValues(t, 1, l[Buckets-1])
	s.Reset()
	l = s.Latency()
	assert.Zero(t, l.Total())
	assert.Zero(t, s.Calls())
}

// BenchmarkCountersRecord measures what the latency buckets add to a
// command's bookkeeping, with every goroutine recording into one command
// (the contended case: many connections running GET): "counters" is what
// recording cost before the buckets (two adds: calls and usec), "buckets"
// is record (two adds: usec and a bucket, which also counts the call).
func BenchmarkCountersRecord(b *testing.B) {
	for _, tc := range []struct {
		name string
		f    func(s *Counters, usec int64)
	}{
		{"counters", func(s *Counters, usec int64) { s.Failed.Add(1); s.Usec.Add(usec) }}, // as the calls and usec counters did
		{"buckets", func(s *Counters, usec int64) { s.Record(usec) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var s Counters
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				usec := int64(0)
				for pb.Next() {
					tc.f(&s, usec)
					usec = (usec + 1) & 7
				}
			})
		})
	}
}

// TestPending: calls held in a Pending reach the Counters at Flush, or when
// a call of another command is recorded, with the same buckets and time as
// recorded one by one.
func TestPending(t *testing.T) {
	var a, b, direct Counters
	var p Pending
	for _, us := range []int64{0, 1, 3, 3, 900, 5_000_000} {
		p.Record(&a, us)
		direct.Record(us)
	}
	if a.Calls() != 0 {
		t.Fatalf("calls visible before Flush: %d", a.Calls())
	}
	p.Record(&b, 2) // another command: a's calls are flushed
	if a.Latency() != direct.Latency() || a.Usec.Load() != direct.Usec.Load() {
		t.Fatalf("after the switch: %v %d, want %v %d", a.Latency(), a.Usec.Load(), direct.Latency(), direct.Usec.Load())
	}
	p.Flush()
	p.Flush() // nothing pending: no effect
	if b.Calls() != 1 || b.Usec.Load() != 2 || a.Calls() != 6 {
		t.Fatalf("after Flush: b %d calls %d usec, a %d calls", b.Calls(), b.Usec.Load(), a.Calls())
	}
}
