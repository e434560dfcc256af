package server

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
		assert.Equal(t, tc.want, latencyBucket(tc.usec), "usec %d", tc.usec)
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
			var l LatencyCounts
			for i, c := range tc.counts {
				l[i] = c
			}
			assert.InDelta(t, tc.want, l.percentile(tc.p), 1e-9)
		})
	}
}

// TestCmdStatsRecord: every call lands in exactly one bucket, and
// CONFIG RESETSTAT's reset clears the buckets with the other counters.
func TestCmdStatsRecord(t *testing.T) {
	var s cmdStats
	for _, usec := range []int64{0, 1, 3, 3, 700, 5 << 20} {
		s.record(usec)
	}
	l := s.latencySnapshot()
	assert.EqualValues(t, 6, s.calls())
	assert.EqualValues(t, 6, l.total())
	assert.EqualValues(t, 0+1+3+3+700+5<<20, s.usec.Load())
	assert.EqualValues(t, 2, l[0])
	assert.EqualValues(t, 2, l[2])
	assert.EqualValues(t, 1, l[10])
	assert.EqualValues(t, 1, l[latencyBuckets-1])
	s.reset()
	l = s.latencySnapshot()
	assert.Zero(t, l.total())
	assert.Zero(t, s.calls())
}

// TestCommandStats: the snapshot lists the commands used, with calls that
// agree with the latency buckets, and skips the others.
func TestCommandStats(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	rdb := ts.client(t, 2)
	for range 3 {
		assert.NoError(t, rdb.Set(ctx, "k", "v", 0).Err())
	}
	assert.Error(t, rdb.Do(ctx, "get").Err()) // wrong arity: rejected
	got := map[string]CommandStats{}
	ts.srv.CommandStats(func(cs CommandStats) { got[cs.Name] = cs })
	assert.EqualValues(t, 3, got["set"].Calls)
	l := got["set"].Latency
	assert.EqualValues(t, 3, l.total())
	assert.EqualValues(t, 1, got["get"].Rejected)
	assert.Zero(t, got["get"].Calls)
	_, listed := got["hset"]
	assert.False(t, listed, "never used")
	st := ts.srv.Stats()
	assert.EqualValues(t, 1, st.Keyspace.Keys)
	assert.GreaterOrEqual(t, st.Clients, int64(1))
	assert.GreaterOrEqual(t, st.CommandsProcessed, int64(4))
	assert.False(t, ts.srv.Stopping())
}

// BenchmarkCmdStatsRecord measures what the latency buckets add to a
// command's bookkeeping, with every goroutine recording into one command
// (the contended case: many connections running GET): "counters" is what
// recording cost before the buckets (two adds: calls and usec), "buckets"
// is record (two adds: usec and a bucket, which also counts the call).
func BenchmarkCmdStatsRecord(b *testing.B) {
	for _, tc := range []struct {
		name string
		f    func(s *cmdStats, usec int64)
	}{
		{"counters", func(s *cmdStats, usec int64) { s.failed.Add(1); s.usec.Add(usec) }}, // as the calls and usec counters did
		{"buckets", func(s *cmdStats, usec int64) { s.record(usec) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var s cmdStats
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
