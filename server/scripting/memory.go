package scripting

import (
	"context"
	"errors"
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
// is what protects it. Short runs (nearly all) cost one timer.

// DefaultMemoryLimit is the growth of the live heap a run may cause.
const DefaultMemoryLimit = 1 << 30

const (
	watchDelay = 100 * time.Millisecond
	watchEvery = 20 * time.Millisecond
)

// errMemory stops a run that grew the heap past the limit; its reply is
// errMemoryText.
var errMemory = errors.New("script memory limit")

const errMemoryText = "ERR Script used more memory than the scripting memory limit allows"

// SetMemoryLimit sets the heap growth a run may cause (0: the default).
func (e *Engine) SetMemoryLimit(bytes int64) {
	if bytes <= 0 {
		bytes = DefaultMemoryLimit
	}
	e.memLimit.Store(bytes)
}

// watch starts the memory bound of a run whose context is ctx: stop
// (nil: a context made here) cancels it with errMemory when the run grows
// the heap past the limit. It returns the run's context and the function
// that ends the watch (call it when the run is over). The watcher
// goroutine, started watchDelay into the run, ends with the context: a
// caller that passes stop must cancel the context when the run is over
// (the server does, in endScript).
func (e *Engine) watch(ctx context.Context, stop context.CancelCauseFunc) (context.Context, func()) {
	var cancel context.CancelCauseFunc
	if stop == nil {
		ctx, cancel = context.WithCancelCause(ctx)
		stop = cancel
	}
	limit := e.memLimit.Load()
	t := time.AfterFunc(watchDelay, func() {
		go func() { // owned by the run: ends with its context, which ends with the run (the caller's stop or our cancel)
			start := liveHeap()
			tick := time.NewTicker(watchEvery)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					if now := liveHeap(); now > start && now-start > uint64(limit) {
						e.log.Warn("script stopped: it grew the heap past the scripting memory limit", "limit_bytes", limit)
						stop(errMemory)
						return
					}
				}
			}
		}()
	})
	return ctx, func() {
		t.Stop()
		if cancel != nil {
			cancel(context.Canceled)
		}
	}
}

// liveHeap is the live heap as the last GC measured it.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
