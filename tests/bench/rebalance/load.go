package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// keyspace is the benchmark's model of what the cluster holds: key i was
// last acknowledged with version ver[i] (0 = the initial load). A SET that
// failed may or may not have been applied, so its version is kept in
// maybe[i] and either is accepted. Worker w of the load owns the keys with
// i % workers == w, so each element has one writer and the worker can check
// its own reads exactly (read-your-writes).
type keyspace struct {
	n, valLen int
	ver       []uint32
	maybe     []uint32
}

func key(i int) string { return "rb:" + strconv.Itoa(i) }

// value returns key i's value at version v, valLen bytes when the prefix
// fits: the key and version make every write distinct.
func (ks *keyspace) value(i int, v uint32) string {
	p := strconv.Itoa(i) + "." + strconv.FormatUint(uint64(v), 10) + "."
	if len(p) >= ks.valLen {
		return p
	}
	return p + strings.Repeat("x", ks.valLen-len(p))
}

// matches reports whether got is a value key i may hold now.
func (ks *keyspace) matches(i int, got string) bool {
	return got == ks.value(i, ks.ver[i]) || (ks.maybe[i] != 0 && got == ks.value(i, ks.maybe[i]))
}

// inBatches splits keys 0..n-1 among parts goroutines and calls fn with
// batches of up to 1000 consecutive keys [lo, hi), each goroutine in key
// order; a goroutine stops at its first error.
func inBatches(n, parts int, fn func(lo, hi int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, parts)
	per := (n + parts - 1) / parts
	for w := range parts {
		wg.Add(1)
		go func() { // one part; ends when its range is done or on error
			defer wg.Done()
			end := min((w+1)*per, n)
			for i := w * per; i < end; i += 1000 {
				if errs[w] = fn(i, min(i+1000, end)); errs[w] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// load SETs every key at version 0 over loaders goroutines in pipelines of
// 1000 through the cluster client.
func (ks *keyspace) load(ctx context.Context, c *redis.ClusterClient, loaders int) error {
	return inBatches(ks.n, loaders, func(lo, hi int) error {
		p := c.Pipeline()
		for j := lo; j < hi; j++ {
			p.Set(ctx, key(j), ks.value(j, 0), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			return fmt.Errorf("load keys %d..: %w", lo, err)
		}
		return nil
	})
}

// verify reads every key back and counts those missing and those with a
// value other than the last acknowledged one (or an ambiguous write's).
func (ks *keyspace) verify(ctx context.Context, c *redis.ClusterClient, readers int) (missing, wrong int64, err error) {
	var nMissing, nWrong atomic.Int64
	err = inBatches(ks.n, readers, func(lo, hi int) error {
		p := c.Pipeline()
		cmds := make([]*redis.StringCmd, 0, hi-lo)
		for j := lo; j < hi; j++ {
			cmds = append(cmds, p.Get(ctx, key(j)))
		}
		if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("verify keys %d..: %w", lo, err)
		}
		for k, cmd := range cmds {
			got, err := cmd.Result()
			switch {
			case errors.Is(err, redis.Nil):
				nMissing.Add(1)
			case err != nil:
				return fmt.Errorf("verify %s: %w", key(lo+k), err)
			case !ks.matches(lo+k, got):
				nWrong.Add(1)
			}
		}
		return nil
	})
	return nMissing.Load(), nWrong.Load(), err
}

// sample is one request of the client load: when it was due, and its
// latency from when it was sent (service) and from when it was due
// (including the wait behind the worker's previous request, so a stall is
// not hidden by the requests it kept from being sent).
type sample struct {
	due              time.Time
	service, fromDue time.Duration
	set              bool
}

// loadResult is what a run of the client load saw.
type loadResult struct {
	samples   []sample
	sets      int
	errs      int
	stale     int      // GETs that did not return the worker's own last acknowledged write
	firstErrs []string // the first few errors, for the report
}

// clientLoad runs workers goroutines sending rate requests per second in
// all, a fraction setRatio of them SETs and the rest GETs, on random keys of
// each worker's own share, until ctx ends.
func (ks *keyspace) clientLoad(ctx context.Context, c *redis.ClusterClient, workers, rate int, setRatio float64) loadResult {
	interval := time.Duration(float64(time.Second) * float64(workers) / float64(rate))
	results := make([]loadResult, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() { // one worker; ends with ctx
			defer wg.Done()
			r := &results[w]
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			share := (ks.n - w + workers - 1) / workers
			due := time.Now().Add(time.Duration(w) * interval / time.Duration(workers))
			for {
				if d := time.Until(due); d > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(d):
					}
				}
				if ctx.Err() != nil {
					return
				}
				i := rng.IntN(share)*workers + w
				sent := time.Now()
				var err error
				set := rng.Float64() < setRatio
				if set {
					v := max(ks.ver[i], ks.maybe[i]) + 1
					if err = c.Set(ctx, key(i), ks.value(i, v), 0).Err(); err == nil {
						ks.ver[i], ks.maybe[i] = v, 0
					} else {
						ks.maybe[i] = v
					}
					r.sets++
				} else {
					var got string
					if got, err = c.Get(ctx, key(i)).Result(); err == nil && !ks.matches(i, got) {
						r.stale++
					}
				}
				end := time.Now()
				if err != nil && ctx.Err() != nil {
					return // cut short by the end of the phase, not a server error
				}
				if err != nil {
					r.errs++
					if len(r.firstErrs) < 3 {
						r.firstErrs = append(r.firstErrs, err.Error())
					}
				}
				r.samples = append(r.samples, sample{due: due, service: end.Sub(sent), fromDue: end.Sub(due), set: set})
				due = due.Add(interval)
			}
		}()
	}
	wg.Wait()
	var all loadResult
	for _, r := range results {
		all.samples = append(all.samples, r.samples...)
		all.sets += r.sets
		all.errs += r.errs
		all.stale += r.stale
		all.firstErrs = append(all.firstErrs, r.firstErrs...)
	}
	return all
}

// latency is a summary of samples: exact percentiles of the sorted
// latencies.
type latency struct {
	count               int
	p50, p99, p999, max time.Duration
	dueP99, dueMax      time.Duration
	getP99, setP99      time.Duration
	seconds, opsPerSec  float64
}

// summarize sums up the samples due before end (those after it belong to
// the settled cluster, seen while the settle check waited out its window).
func summarize(samples []sample, end time.Time) latency {
	var svc, due, gets, sets []time.Duration
	var first, last time.Time
	for _, s := range samples {
		if !end.IsZero() && !s.due.Before(end) {
			continue
		}
		svc = append(svc, s.service)
		if s.set {
			sets = append(sets, s.service)
		} else {
			gets = append(gets, s.service)
		}
		due = append(due, s.fromDue)
		if first.IsZero() || s.due.Before(first) {
			first = s.due
		}
		if s.due.After(last) {
			last = s.due
		}
	}
	if len(svc) == 0 {
		return latency{}
	}
	slices.Sort(svc)
	slices.Sort(due)
	slices.Sort(gets)
	slices.Sort(sets)
	pct := func(d []time.Duration, q float64) time.Duration {
		if len(d) == 0 {
			return 0
		}
		return d[min(len(d)-1, int(q*float64(len(d))))]
	}
	l := latency{count: len(svc), p50: pct(svc, 0.5), p99: pct(svc, 0.99), p999: pct(svc, 0.999), max: svc[len(svc)-1],
		dueP99: pct(due, 0.99), dueMax: due[len(due)-1],
		getP99: pct(gets, 0.99), setP99: pct(sets, 0.99), seconds: last.Sub(first).Seconds()}
	if l.seconds > 0 {
		l.opsPerSec = float64(l.count) / l.seconds
	}
	return l
}

// bucket is the client latency of the requests due in one second.
type bucket struct {
	second   int
	count    int
	p99, max time.Duration
	dueMax   time.Duration
}

// timeline splits the samples due between from and to into seconds.
func timeline(samples []sample, from, to time.Time) []bucket {
	var out []bucket
	for sec := 0; from.Add(time.Duration(sec) * time.Second).Before(to); sec++ {
		lo := from.Add(time.Duration(sec) * time.Second)
		hi := lo.Add(time.Second)
		if hi.After(to) {
			hi = to
		}
		var in []sample
		for _, s := range samples {
			if !s.due.Before(lo) && s.due.Before(hi) {
				in = append(in, s)
			}
		}
		b := bucket{second: sec, count: len(in)}
		if len(in) > 0 {
			l := summarize(in, time.Time{})
			b.p99, b.max, b.dueMax = l.p99, l.max, l.dueMax
		}
		out = append(out, b)
	}
	return out
}
