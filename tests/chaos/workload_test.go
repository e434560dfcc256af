package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// outcome is what a client learned about one operation.
type outcome uint8

const (
	// acked: the node replied success; the operation must take effect.
	acked outcome = iota
	// failed: the operation never reached a node (the dial failed); it
	// must not take effect.
	failed
	// unknown: anything else (error reply, timeout, broken connection);
	// it may or may not take effect.
	unknown
)

func (o outcome) String() string {
	return [...]string{"acked", "failed", "unknown"}[o]
}

// opRecord is one operation on a key: SET key value, or DEL key.
type opRecord struct {
	del     bool
	value   string
	outcome outcome
	at      time.Duration // when it ended, since the workload started
}

// keyHistory is every operation issued on one key, in order. Only one
// worker ever touches a key and issues its operations one after another,
// and it retires the key after an unknown outcome (an unknown operation
// may still take effect at any later time, so nothing after it could be
// judged), so only the last operation can be unknown.
type keyHistory struct {
	key string
	ops []opRecord
}

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

	mu        sync.Mutex // guards histories (appended by workers when they stop)
	histories []*keyHistory
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
func (w *workload) stop() []*keyHistory {
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
func (w *workload) worker(ctx context.Context, id int, cfg workloadConfig) []*keyHistory {
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	var all, live []*keyHistory
	target := id % len(w.targets)
	for seq := 0; ctx.Err() == nil; {
		var h *keyHistory
		del := false
		switch r := rng.IntN(100); {
		case len(live) < 8 || r < 50:
			h = &keyHistory{key: fmt.Sprintf("%s:w%d:%d", cfg.prefix, id, seq)}
			seq++
			all = append(all, h)
			live = append(live, h)
		default:
			h = live[rng.IntN(len(live))]
			del = r >= 82
		}
		op := opRecord{del: del}
		if !del {
			op.value = fmt.Sprintf("%s=%d", h.key, len(h.ops))
		}
		c := w.targets[target].client
		octx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		var err error
		if del {
			err = c.Del(octx, h.key).Err()
		} else {
			err = c.Set(octx, h.key, op.value, 0).Err()
		}
		cancel()
		op.outcome = classify(err)
		op.at = w.since()
		h.ops = append(h.ops, op)
		switch op.outcome {
		case acked:
			w.acked.Add(1)
		case failed:
			w.failed.Add(1)
		case unknown:
			w.unknown.Add(1)
			w.lastUnknown.Store(time.Now().UnixNano())
			live = removeKey(live, h) // nothing after an unknown op can be judged
		}
		if op.outcome != acked {
			target = (target + 1) % len(w.targets)
			sleep(ctx, 50*time.Millisecond)
			continue
		}
		sleep(ctx, cfg.pace)
	}
	return all
}

// classify maps a command's error to its outcome.
func classify(err error) outcome {
	if err == nil {
		return acked
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return failed
	}
	if errors.Is(err, redis.ErrPoolTimeout) {
		return failed
	}
	return unknown
}

func removeKey(live []*keyHistory, h *keyHistory) []*keyHistory {
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
