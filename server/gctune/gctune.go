// Package gctune tunes the Go garbage collector for a node holding a large
// keyspace, and reads the collector's figures that INFO memory reports.
//
// The keyspace keeps its strings in pointer-free arenas (store/arena.go), so
// a collection costs little however big the heap is: the collector marks a
// few objects per slot, not one per key. What the default GOGC=100 does cost
// is memory: it lets the heap grow to twice the live data before collecting,
// and the resident set follows, so a node holding 1 GB of keys would sit near
// 2 GB. The tuner instead gives the heap a headroom of an eighth of the live
// data, but at least gcMinHeadroom, by setting GOGC from the live heap the
// last collection measured. Small heaps keep GOGC=100; a big one runs at
// GOGC ~12.
//
// An operator's GOGC (or GOMEMLIMIT, which the runtime applies on its own)
// wins: with GOGC set in the environment the tuner does nothing.
//
// Goroutines: the package starts none. Run is one loop that its caller runs
// on a goroutine it owns (server.Serve does, for the server's lifetime); it
// returns when its context is done, restoring the GOGC it found. GOGC is
// process-wide, so at most one Run tunes at a time: a second concurrent Run
// (tests start many servers in one process) returns at once.
package gctune

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

const (
	gcMinHeadroom  = 16 << 20 // bytes of garbage allowed whatever the live heap
	gcHeadroomPart = 8        // otherwise live/gcHeadroomPart
	gcTuneEvery    = 100 * time.Millisecond
)

// gcTuning is set while a Run of this process tunes the GC: the GOGC
// setting is process-wide, so only one tuner runs (tests start many servers).
var gcTuning atomic.Bool

// Run adjusts GOGC every gcTuneEvery until ctx is done, then restores the
// setting it found. It blocks: the caller runs it on a goroutine it owns
// (Serve does) and stops it by cancelling ctx. It returns at once when GOGC
// is set in the environment or another Run is tuning.
func Run(ctx context.Context) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	if !gcTuning.CompareAndSwap(false, true) {
		return
	}
	defer gcTuning.Store(false)
	initial := debug.SetGCPercent(100)
	defer debug.SetGCPercent(initial)
	cur := 100
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t := time.NewTicker(gcTuneEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return // not offered by this runtime: leave GOGC alone
		}
		if pct := gcPercentFor(sample[0].Value.Uint64()); pct != cur {
			debug.SetGCPercent(pct)
			cur = pct
		}
	}
}

// gcPercentFor returns the GOGC that allows live/gcHeadroomPart bytes of
// garbage, at least gcMinHeadroom, and at most GOGC=100.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return 100
	}
	headroom := max(uint64(gcMinHeadroom), live/gcHeadroomPart)
	pct := int(float64(headroom) * 100 / float64(live))
	return min(max(pct, 1), 100)
}

// Facts are the Go collector's figures for INFO memory, read from
// runtime/metrics (no stop-the-world).
type Facts struct {
	Percent     int64   // GOGC in force
	LiveBytes   uint64  // heap marked live by the last collection
	Objects     uint64  // heap objects
	PauseP99US  float64 // stop-the-world pauses for GC since start: 99th percentile, µs
	PauseMaxUS  float64 // and the longest, µs
	CPUFraction float64 // share of the process's CPU time spent in the GC
}

var gcFactNames = []string{
	"/gc/gogc:percent",
	"/gc/heap/live:bytes",
	"/gc/heap/objects:objects",
	"/sched/pauses/total/gc:seconds",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
}

// ReadFacts samples the runtime's GC metrics; metrics this runtime does
// not offer read as zero. It is safe for concurrent use.
func ReadFacts() Facts {
	samples := make([]metrics.Sample, len(gcFactNames))
	for i, n := range gcFactNames {
		samples[i].Name = n
	}
	metrics.Read(samples)
	u := func(i int) uint64 {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			return samples[i].Value.Uint64()
		}
		return 0
	}
	f := func(i int) float64 {
		if samples[i].Value.Kind() == metrics.KindFloat64 {
			return samples[i].Value.Float64()
		}
		return 0
	}
	g := Facts{Percent: int64(u(0)), LiveBytes: u(1), Objects: u(2)}
	if samples[3].Value.Kind() == metrics.KindFloat64Histogram {
		h := samples[3].Value.Float64Histogram()
		g.PauseP99US = histQuantile(h, 0.99) * 1e6
		g.PauseMaxUS = histQuantile(h, 1) * 1e6
	}
	if total := f(5); total > 0 {
		g.CPUFraction = f(4) / total
	}
	return g
}

// histQuantile returns the upper bound of the bucket holding quantile q of
// h (q = 1: the largest observation's bucket), 0 for an empty histogram.
// An unbounded last bucket reports its lower bound.
func histQuantile(h *metrics.Float64Histogram, q float64) float64 {
	var total uint64
	for _, n := range h.Counts {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, n := range h.Counts {
		seen += n
		if seen >= rank {
			if hi := h.Buckets[i+1]; !math.IsInf(hi, 1) {
				return hi
			}
			return h.Buckets[i]
		}
	}
	return 0
}
