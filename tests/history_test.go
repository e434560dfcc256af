package tests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/meshcache/meshcache/tests/history"
)

// This file is the fault tests' model: writers whose acknowledged history
// is the expected state, and a checker that reads every key back from every
// live node. It follows the outcome rules of tests/chaos (which is
// docker-only and so not imported): an acknowledged operation must take
// effect, a failed one (never reached a node) must not, and an unknown one
// (error reply, timeout, broken connection) may or may not, so its key is
// retired: nothing written after it could be judged.

// writer runs workers that SET and DEL their own keys through plain
// go-redis clients, one per node, and records every operation. Workers
// spread over the target nodes and move to the next one after an error
// (any node serves every key: it forwards).
type writer struct {
	prefix   string
	pace     time.Duration // pause between a worker's operations
	scripted bool          // writes are Lua scripts (history.Key.WriteScripted)
	started  time.Time
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once

	acked, failed, unknown atomic.Int64

	mu        sync.Mutex // guards targets and histories
	targets   []string   // client addresses of the nodes to write through
	histories []*history.Key
}

// startWriter starts workers goroutines writing keys under prefix through
// targets. The caller owns it and must call stop (tests also register
// stop as a cleanup, so a failing test does not leave workers running).
// With scripted, every SET and DEL is made by a Lua script.
func startWriter(workers int, pace time.Duration, prefix string, targets []string, scripted bool) *writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{prefix: prefix, pace: pace, scripted: scripted, started: time.Now(), cancel: cancel, targets: slices.Clone(targets)}
	for id := range workers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			hs := w.worker(ctx, id)
			w.mu.Lock()
			w.histories = append(w.histories, hs...)
			w.mu.Unlock()
		}()
	}
	return w
}

// setTargets replaces the nodes the workers write through (after a node
// died or joined).
func (w *writer) setTargets(addrs []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.targets = slices.Clone(addrs)
}

// target returns the i-th target, modulo their number.
func (w *writer) target(i int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.targets[i%len(w.targets)]
}

// stop ends the workers and returns every key's history; safe to call twice.
func (w *writer) stop() []*history.Key {
	w.once.Do(func() {
		w.cancel()
		w.wg.Wait()
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.histories
}

// since is the writer's clock, the time base of histories and test logs.
func (w *writer) since() time.Duration {
	return time.Since(w.started).Round(time.Millisecond)
}

// String summarises the operation counts so far.
func (w *writer) String() string {
	return fmt.Sprintf("ops acked=%d failed=%d unknown=%d", w.acked.Load(), w.failed.Load(), w.unknown.Load())
}

// worker issues operations until ctx ends: new keys (SET), overwrites and
// deletes of its live keys. It owns its clients and closes them on return.
func (w *writer) worker(ctx context.Context, id int) []*history.Key {
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	clients := map[string]*redis.Client{}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	var all, live []*history.Key
	target := id
	for seq := 0; ctx.Err() == nil; {
		var h *history.Key
		del := false
		switch r := rng.IntN(100); {
		case len(live) < 8 || r < 50:
			h = &history.Key{Name: fmt.Sprintf("%s:w%d:%d", w.prefix, id, seq)}
			seq++
			all = append(all, h)
			live = append(live, h)
		default:
			h = live[rng.IntN(len(live))]
			del = r >= 82
		}
		addr := w.target(target)
		c := clients[addr]
		if c == nil {
			c = redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, PoolSize: 2,
				DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
			clients[addr] = c
		}
		var op history.Op
		if w.scripted {
			op = h.WriteScripted(c, del, 5*time.Second, w.since())
		} else {
			op = h.Write(c, del, 5*time.Second, w.since())
		}
		switch op.Outcome {
		case history.Acked:
			w.acked.Add(1)
		case history.Failed:
			w.failed.Add(1)
		case history.Unknown:
			w.unknown.Add(1)
			live = slices.DeleteFunc(live, func(x *history.Key) bool { return x == h })
		}
		if op.Outcome != history.Acked {
			target++
			sleepCtx(ctx, 50*time.Millisecond)
			continue
		}
		sleepCtx(ctx, w.pace)
	}
	return all
}

// sleepCtx waits d or until ctx ends. Its uses are scenario durations (a
// writer's pace, load kept running through a fault for a while), not waits
// standing for a condition.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// verdict sums up a read-back of every key from every live node. Each key
// counts once, under the class of its first wrong read; stale counts keys
// that some nodes read right and others wrong.
type verdict struct {
	keys, retired, nodes                 int
	lost, resurrected, stale, unexpected int
	readErrors                           int
	examples                             []string
}

func (v verdict) String() string {
	return fmt.Sprintf("keys=%d (retired=%d) read from %d nodes: lost=%d resurrected=%d stale=%d unexpected=%d read_errors=%d",
		v.keys, v.retired, v.nodes, v.lost, v.resurrected, v.stale, v.unexpected, v.readErrors)
}

// clean reports whether every read matched the model.
func (v verdict) clean() bool {
	return v.lost == 0 && v.resurrected == 0 && v.stale == 0 && v.unexpected == 0 && v.readErrors == 0
}

// nodeRead is one node's reads of every key (errs[i] nil: read; a missing
// key is not an error).
type nodeRead struct {
	node   string
	states []history.State
	errs   []error
}

// judge compares every node's reads with the histories; where describes
// who leads a key's slot, for the examples.
func judge(hs []*history.Key, reads []nodeRead, where func(key string) string) verdict {
	v := verdict{keys: len(hs), nodes: len(reads)}
	for i, h := range hs {
		if h.Retired() {
			v.retired++
		}
		bad, good := 0, 0
		var first history.Class
		var example string
		for _, r := range reads {
			if r.errs[i] != nil {
				v.readErrors++
				if len(v.examples) < 8 {
					v.examples = append(v.examples, fmt.Sprintf("read error: %s (slot %d) on %s: %v", h.Name, keySlot(h.Name), r.node, r.errs[i]))
				}
				continue
			}
			c := h.Classify(r.states[i])
			if c == history.OK {
				good++
				continue
			}
			if bad == 0 {
				first = c
				example = fmt.Sprintf("%s (slot %d, %s) on %s: read %s, want %s; history %s",
					h.Name, keySlot(h.Name), where(h.Name), r.node, r.states[i], h.StateAfter(h.LastAcked()), h.Describe())
			}
			bad++
		}
		if bad == 0 {
			continue
		}
		label := first.String()
		switch {
		case good > 0:
			v.stale++
			label = "stale (" + label + " on some nodes)"
		case first == history.Lost:
			v.lost++
		case first == history.Resurrected:
			v.resurrected++
		default:
			v.unexpected++
		}
		if len(v.examples) < 8 {
			v.examples = append(v.examples, label+": "+example)
		}
	}
	return v
}

// readBack reads every key from the node at addr with pipelined GETs.
func readBack(ctx context.Context, addr string, hs []*history.Key) (nodeRead, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ReadTimeout: 10 * time.Second})
	defer c.Close()
	states, errs, err := history.ReadBack(ctx, c, hs, 10*time.Second)
	if err != nil {
		return nodeRead{}, fmt.Errorf("read back from %s: %w", addr, err)
	}
	return nodeRead{node: addr, states: states, errs: errs}, nil
}

// checkHistories reads every key back from every node in addrs and judges the reads.
func checkHistories(ctx context.Context, addrs []string, hs []*history.Key, where func(key string) string) (verdict, error) {
	reads := make([]nodeRead, 0, len(addrs))
	for _, a := range addrs {
		r, err := readBack(ctx, a, hs)
		if err != nil {
			return verdict{}, err
		}
		reads = append(reads, r)
	}
	return judge(hs, reads, where), nil
}
