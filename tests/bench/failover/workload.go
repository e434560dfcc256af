package main

// The workload a trial runs against the cluster: the writers that record
// every acknowledged write, the probes that time when each of the victim's
// slots accepts writes again, and the read-back that counts lost writes.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/meshcache/meshcache/ring"
)

// writerState is what one writer saw: its acknowledged keys (the value is
// the key itself) and its errors.
type writerState struct {
	acked  []string
	errors int
}

// writer SETs unique keys in random victim slots until ctx ends.
func writer(ctx context.Context, cc *redis.ClusterClient, cfg *config, slots []uint16, prefix string, st *writerState) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	for seq := 0; ctx.Err() == nil; seq++ {
		key := fmt.Sprintf("{%s}:%s:%d", cfg.slotTag[slots[rng.IntN(len(slots))]], prefix, seq)
		if err := cc.Set(ctx, key, key, 0).Err(); err == nil {
			st.acked = append(st.acked, key)
			continue
		}
		if ctx.Err() != nil {
			break // the reply was cut by the stop: not acknowledged
		}
		st.errors++
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// probeResult is when the last probe was acknowledged, how long that
// final pipelined round took (the measurement's resolution), and the last
// error a probe got before.
type probeResult struct {
	done    time.Time
	round   time.Duration
	lastErr string
}

// probe writes one key per slot through every client, retrying the slots
// that failed, until each slot was accepted through each client; it returns
// when the last of them was acknowledged.
func probe(ctx context.Context, clients []*redis.Client, cfg *config, slots []uint16, limit time.Duration) (probeResult, error) {
	deadline := time.Now().Add(limit)
	var mu sync.Mutex
	var res probeResult
	var wg sync.WaitGroup
	errs := make([]error, len(clients))
	for i, rc := range clients {
		wg.Go(func() {
			pending := slices.Clone(slots)
			for len(pending) > 0 {
				if time.Now().After(deadline) {
					errs[i] = fmt.Errorf("%d of %d victim slots still refuse writes through client %d after %s: %s",
						len(pending), len(slots), i, limit, res.lastErr)
					return
				}
				if ctx.Err() != nil {
					errs[i] = ctx.Err()
					return
				}
				start := time.Now()
				p := rc.Pipeline()
				cmds := make([]*redis.StatusCmd, len(pending))
				for j, s := range pending {
					k := "{" + cfg.slotTag[s] + "}:probe"
					cmds[j] = p.Set(ctx, k, k, 0)
				}
				_, _ = p.Exec(ctx) // per-command errors are read below
				now := time.Now()
				next := pending[:0]
				var roundErr error
				for j, s := range pending {
					if err := cmds[j].Err(); err != nil {
						next = append(next, s)
						roundErr = err
					}
				}
				mu.Lock()
				if roundErr != nil {
					res.lastErr = roundErr.Error()
				}
				if len(next) == 0 && now.After(res.done) {
					res.done, res.round = now, now.Sub(start)
				}
				mu.Unlock()
				pending = next
				if len(pending) > 0 {
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	return res, errors.Join(errs...)
}

// clientProbe writes one key per sampled slot through the ClusterClient,
// one goroutine per slot with single commands (go-redis retries them and
// reloads its slot map), until every slot accepted a write.
func clientProbe(ctx context.Context, cc *redis.ClusterClient, cfg *config, slots []uint16, limit time.Duration) (probeResult, error) {
	pctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var mu sync.Mutex
	var res probeResult
	var wg sync.WaitGroup
	for _, s := range slots {
		wg.Go(func() {
			k := "{" + cfg.slotTag[s] + "}:ccprobe"
			for {
				err := cc.Set(pctx, k, k, 0).Err()
				now := time.Now()
				mu.Lock()
				if err == nil && now.After(res.done) {
					res.done = now
				}
				if err != nil {
					res.lastErr = err.Error()
				}
				mu.Unlock()
				if err == nil || pctx.Err() != nil {
					return
				}
				select {
				case <-pctx.Done():
				case <-time.After(10 * time.Millisecond):
				}
			}
		})
	}
	wg.Wait()
	if pctx.Err() != nil {
		return res, fmt.Errorf("sampled victim slots still refuse writes through the ClusterClient after %s: %s", limit, res.lastErr)
	}
	return res, nil
}

// sample returns at most n of the slots, evenly spread.
func sample(slots []uint16, n int) []uint16 {
	if len(slots) <= n {
		return slots
	}
	out := make([]uint16, 0, n)
	for i := range n {
		out = append(out, slots[i*len(slots)/n])
	}
	return out
}

// countLost reads every acknowledged key back and counts the missing or
// wrong ones.
func countLost(ctx context.Context, rc *redis.Client, keys []string) (int, error) {
	lost := 0
	for i := 0; i < len(keys); i += 1000 {
		chunk := keys[i:min(i+1000, len(keys))]
		var cmds []*redis.StringCmd
		var err error
		for attempt := range 5 {
			p := rc.Pipeline()
			cmds = cmds[:0]
			for _, k := range chunk {
				cmds = append(cmds, p.Get(ctx, k))
			}
			if _, err = p.Exec(ctx); err == nil || errors.Is(err, redis.Nil) {
				err = nil
				break
			}
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		}
		if err != nil {
			return 0, fmt.Errorf("read back acknowledged writes: %w", err)
		}
		for j, cmd := range cmds {
			if v, err := cmd.Result(); err != nil || v != chunk[j] {
				lost++
			}
		}
	}
	return lost, nil
}

// fillSlotTags finds, for every slot, a short hash tag that maps to it.
func fillSlotTags(tags *[ring.SlotCount]string) {
	left := ring.SlotCount
	for i := 0; left > 0; i++ {
		tag := strconv.Itoa(i)
		s := ring.KeySlotString(tag)
		if tags[s] == "" {
			tags[s] = tag
			left--
		}
	}
}
