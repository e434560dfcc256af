package scripting

import (
	"context"
	"errors"
	"runtime"
	"runtime/metrics"
	"time"
)

// The memory bound of a run. gopher-lua allocates from the Go heap with no
// per-state accounting, so the bound is a watchdog: a run that lasts past
// watchDelay gets a watcher goroutine that reads the live heap (as the
// last GC measured it) every watchEvery and stops the run when the heap
// has grown by more than the engine's limit since the watcher started. A
// table or string that keeps growing makes the GC run as the heap
// doubles, so the growth is seen within a GC cycle or two. Several runs
// at once each see the whole heap's growth: the bound is per node, which
// is what protects it. The front end watches all its runs with one
// watchdog goroutine (server/scripts/busy.go); a run whose caller does not
// watch it (Run.Watched unset) costs one timer here.

// DefaultMemoryLimit is the growth of the live heap a run may cause.
const DefaultMemoryLimit = 1 << 30

const (
	watchDelay = 100 * time.Millisecond
	watchEvery = 20 * time.Millisecond
)

// ErrMemory is the cause a run is cancelled with when it grew the heap
// past the limit; its reply is errMemoryText.
var ErrMemory = errors.New("script memory limit")

// WatchDelay is how far into a run its memory watch starts, and
// WatchEvery how often it looks (memory.go's doc).
const (
	WatchDelay = watchDelay
	WatchEvery = watchEvery
)

// HeapMark is the live heap now, the start of a memory watch.
func HeapMark() uint64 { return liveHeap() }

// OverMemory reports whether the live heap grew past the engine's limit
// since mark: the run being watched must be stopped with ErrMemory. The
// live heap is what the last GC measured, and with a high GOGC (the GC
// tuner raises it on a big heap) the next GC may be far off while a table
// grows: so when the heap's objects, garbage included, have grown past the
// limit, it collects (at most once per forcedGCEvery) and judges the live
// heap that collection measured.
func (e *Engine) OverMemory(mark uint64) bool {
	limit := uint64(e.memLimit.Load())
	over := func(now uint64) bool { return now > mark && now-mark > limit }
	if over(liveHeap()) {
		return e.stopForMemory()
	}
	if !over(heapObjects()) {
		return false
	}
	now := time.Now().UnixNano()
	last := e.lastForcedGC.Load()
	if now-last < int64(forcedGCEvery) || !e.lastForcedGC.CompareAndSwap(last, now) {
		return false
	}
	runtime.GC()
	if over(liveHeap()) {
		return e.stopForMemory()
	}
	return false
}

// forcedGCEvery bounds how often OverMemory collects to judge a growth.
const forcedGCEvery = 200 * time.Millisecond

func (e *Engine) stopForMemory() bool {
	e.log.Warn("script stopped: it grew the heap past the scripting memory limit", "limit_bytes", e.memLimit.Load())
	return true
}

const errMemoryText = "ERR Script used more memory than the scripting memory limit allows"

// SetMemoryLimit sets the heap growth a run may cause (0: the default).
func (e *Engine) SetMemoryLimit(bytes int64) {
	if bytes <= 0 {
		bytes = DefaultMemoryLimit
	}
	e.memLimit.Store(bytes)
}

// watch runs the memory bound of a run whose caller does not (Run.Watched
// unset): it returns the run's context, cancelled with ErrMemory when the
// run grows the heap past the limit, and the function that ends the watch
// (call it when the run is over). The watcher goroutine, started
// watchDelay into the run, ends with the context.
func (e *Engine) watch(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	t := time.AfterFunc(watchDelay, func() {
		go func() { // owned by the run: ends with its context, cancelled when the run ends
			mark := liveHeap()
			tick := time.NewTicker(watchEvery)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					if e.OverMemory(mark) {
						cancel(ErrMemory)
						return
					}
				}
			}
		}()
	})
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

// heapObjects is the heap's objects now, live or garbage.
func heapObjects() uint64 { return readUint64Metric("/memory/classes/heap/objects:bytes") }

// liveHeap is the live heap as the last GC measured it.
func liveHeap() uint64 { return readUint64Metric("/gc/heap/live:bytes") }

func readUint64Metric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
