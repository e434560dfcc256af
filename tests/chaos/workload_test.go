package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/tests/history"
)

// workloadStats counts operations by outcome.
type workloadStats struct {
	acked, failed, unknown int64
}

func (s workloadStats) String() string {
	return fmt.Sprintf("ops acked=%d failed=%d unknown=%d", s.acked, s.failed, s.unknown)
}

// workload runs writer goroutines (owned by the workload: started by
// startWorkload, stopped by stop through ctx, waited for with wg). Each
// worker writes through one of the target nodes and moves to the next
// after an error, since any node serves every key.
type workload struct {
	targets []*node
	started time.Time
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once

	acked, failed, unknown atomic.Int64
	lastUnknown            atomic.Int64 // unix nanos of the latest unknown op
	// longestOutage is the longest time, in nanoseconds, a worker went
	// from one acknowledged operation to the next (trying every node
	// meanwhile): what a client that retries saw of unavailability.
	longestOutage atomic.Int64

	mu        sync.Mutex // guards histories (appended by workers when they stop)
	histories []*history.Key
}

// workloadConfig shapes the workload.
type workloadConfig struct {
	workers int
	pace    time.Duration // pause between a worker's operations
	prefix  string        // key prefix, unique per run
}

// startWorkload starts cfg.workers writers over targets.
func startWorkload(parent context.Context, targets []*node, cfg workloadConfig) *workload {
	ctx, cancel := context.WithCancel(parent)
	w := &workload{targets: targets, started: time.Now(), cancel: cancel}
	for i := range cfg.workers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			hs := w.worker(ctx, i, cfg)
			w.mu.Lock()
			w.histories = append(w.histories, hs...)
			w.mu.Unlock()
		}()
	}
	return w
}

// stop ends the workload and returns every key's history; it is safe to
// call more than once.
func (w *workload) stop() []*history.Key {
	w.once.Do(func() {
		w.cancel()
		w.wg.Wait()
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.histories
}

// since is the workload's clock: the time since it started, the time base
// of the histories and of the fault events the tests log.
func (w *workload) since() time.Duration {
	return time.Since(w.started).Round(time.Millisecond)
}

// stats returns the operation counts so far.
func (w *workload) stats() workloadStats {
	return workloadStats{acked: w.acked.Load(), failed: w.failed.Load(), unknown: w.unknown.Load()}
}

// addKeys adds histories written outside the workers, for the checker.
func (w *workload) addKeys(hs []*history.Key) {
	w.mu.Lock()
	w.histories = append(w.histories, hs...)
	w.mu.Unlock()
}

// outage returns the longest a worker waited between two
// acknowledged operations.
func (w *workload) outage() time.Duration {
	return time.Duration(w.longestOutage.Load())
}

// lastUnknownAt returns when the latest operation with an unknown outcome
// ended: an error from a node that was reached. Failed operations (the
// dial failed: the node is down) do not count, since workers keep trying
// every target node, dead or alive.
func (w *workload) lastUnknownAt() time.Time {
	if n := w.lastUnknown.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// worker issues operations until ctx ends: new keys (SET), overwrites and
// deletes of its live keys.
func (w *workload) worker(ctx context.Context, id int, cfg workloadConfig) []*history.Key {
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	var all, live []*history.Key
	target := id % len(w.targets)
	lastAck := time.Now()
	for seq := 0; ctx.Err() == nil; {
		var h *history.Key
		del := false
		switch r := rng.IntN(100); {
		case len(live) < 8 || r < 50:
			h = &history.Key{Name: fmt.Sprintf("%s:w%d:%d", cfg.prefix, id, seq)}
			seq++
			all = append(all, h)
			live = append(live, h)
		default:
			h = live[rng.IntN(len(live))]
			del = r >= 82
		}
		op := h.Write(w.targets[target].client, del, 3*time.Second, w.since())
		switch op.Outcome {
		case history.Acked:
			w.acked.Add(1)
			now := time.Now()
			for gap := int64(now.Sub(lastAck)); ; {
				old := w.longestOutage.Load()
				if gap <= old || w.longestOutage.CompareAndSwap(old, gap) {
					break
				}
			}
			lastAck = now
		case history.Failed:
			w.failed.Add(1)
		case history.Unknown:
			w.unknown.Add(1)
			w.lastUnknown.Store(time.Now().UnixNano())
			live = removeKey(live, h) // nothing after an unknown op can be judged
		}
		if op.Outcome != history.Acked {
			target = (target + 1) % len(w.targets)
			sleep(ctx, 50*time.Millisecond)
			continue
		}
		sleep(ctx, cfg.pace)
	}
	return all
}

func removeKey(live []*history.Key, h *history.Key) []*history.Key {
	for i, x := range live {
		if x == h {
			live[i] = live[len(live)-1]
			return live[:len(live)-1]
		}
	}
	return live
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
