// Command lockbench measures lock acquire+release cycles on loopback: the
// meshcache client's Mutex over meshcache nodes, redsync over Redis, and
// package lock's Redis backend over Redis. It prints one Markdown table row
// per scenario: p50 and p99 of an uncontended acquire+release cycle, and
// cycles per second for one client doing them back to back and for
// --workers clients on distinct names.
//
// It is a separate module so that redsync, which only the comparison
// needs, stays out of meshcache's own go.mod. Run it through lock.sh, which
// starts the servers.
//
//	lockbench --meshcache a,b,c --redis x[,y,z] --cycles 5000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-redsync/redsync/v4"
	redsyncredis "github.com/go-redsync/redsync/v4/redis"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	goredislib "github.com/redis/go-redis/v9"

	"github.com/meshcache/meshcache/client"
	"github.com/meshcache/meshcache/lock"
)

// cycle takes and releases one lock name once.
type cycle func(ctx context.Context, name string) error

// scenario is one row of the table: how to build a cycle function, and how
// to clean up after it.
type scenario struct {
	name  string
	setup func(ctx context.Context) (cycle, func(), error)
}

const ttl = 10 * time.Second

func main() {
	var (
		mesh    = flag.String("meshcache", "", "comma-separated meshcache node addresses (a cluster)")
		redises = flag.String("redis", "", "comma-separated redis-server addresses (independent servers)")
		cycles  = flag.Int("cycles", 3000, "acquire+release cycles per scenario for the latency")
		workers = flag.Int("workers", 8, "concurrent clients for the throughput column, each on its own name")
		dur     = flag.Duration("duration", 3*time.Second, "how long the concurrent run lasts")
	)
	flag.Parse()
	goredislib.SetLogger(quiet{})
	if err := run(split(*mesh), split(*redises), *cycles, *workers, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "lockbench:", err)
		os.Exit(1)
	}
}

// quiet drops go-redis's internal log lines.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func split(s string) []string {
	var out []string
	for a := range strings.SplitSeq(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func run(mesh, redises []string, cycles, workers int, dur time.Duration) error {
	var scenarios []scenario
	if len(mesh) > 0 {
		scenarios = append(scenarios, scenario{fmt.Sprintf("meshcache client.Mutex, %d nodes", len(mesh)), meshMutex(mesh)})
		scenarios = append(scenarios, scenario{fmt.Sprintf("lock.Locker meshcache backend, %d nodes", len(mesh)), lockerOn(mesh, false)})
	}
	if len(redises) > 0 {
		scenarios = append(scenarios, scenario{"redsync v4.13.0, 1 redis-server", redsyncOn(redises[:1])})
		scenarios = append(scenarios, scenario{"lock.Locker Redis backend, 1 redis-server", lockerOn(redises[:1], true)})
	}
	if len(redises) >= 3 {
		scenarios = append(scenarios, scenario{"redsync v4.13.0, 3 redis-servers", redsyncOn(redises[:3])})
		scenarios = append(scenarios, scenario{"lock.Locker Redis backend, 3 redis-servers", lockerOn(redises[:3], true)})
	}
	if len(scenarios) == 0 {
		return errors.New("give --meshcache and/or --redis addresses")
	}
	fmt.Printf("| scenario | p50 | p99 | cycles/s, 1 client | cycles/s, %d clients |\n|---|---|---|---|---|\n", workers)
	for _, sc := range scenarios {
		row, err := measure(sc, cycles, workers, dur)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		fmt.Println(row)
	}
	return nil
}

func measure(sc scenario, cycles, workers int, dur time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	do, done, err := sc.setup(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	name := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	for range 100 { // warm up connections and script caches
		if err := do(ctx, name); err != nil {
			return "", err
		}
	}
	lat := make([]time.Duration, 0, cycles)
	start := time.Now()
	for range cycles {
		t0 := time.Now()
		if err := do(ctx, name); err != nil {
			return "", err
		}
		lat = append(lat, time.Since(t0))
	}
	serial := float64(cycles) / time.Since(start).Seconds()
	slices.Sort(lat)

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		first error
	)
	stop := time.Now().Add(dur)
	t0 := time.Now()
	for w := range workers {
		wg.Go(func() {
			n := 0
			wname := fmt.Sprintf("%s-w%d", name, w)
			var err error
			for time.Now().Before(stop) {
				if err = do(ctx, wname); err != nil {
					break
				}
				n++
			}
			mu.Lock()
			total += n
			if first == nil {
				first = err
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if first != nil {
		return "", first
	}
	parallel := float64(total) / time.Since(t0).Seconds()
	return fmt.Sprintf("| %s | %s | %s | %.0f | %.0f |", sc.name, ms(pct(lat, 0.50)), ms(pct(lat, 0.99)), serial, parallel), nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(int(float64(len(sorted))*p), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func meshMutex(addrs []string) func(context.Context) (cycle, func(), error) {
	return func(ctx context.Context) (cycle, func(), error) {
		c, err := client.New(ctx, client.Options{Addrs: addrs, Logger: discard})
		if err != nil {
			return nil, nil, err
		}
		do := func(ctx context.Context, name string) error {
			m := c.Mutex(name, client.MutexOptions{TTL: ttl})
			if err := m.Lock(ctx); err != nil {
				return err
			}
			return m.Unlock(ctx)
		}
		return do, func() { _ = c.Close() }, nil
	}
}

func lockerOn(addrs []string, isRedis bool) func(context.Context) (cycle, func(), error) {
	return func(ctx context.Context) (cycle, func(), error) {
		var backends []lock.Backend
		for _, a := range addrs {
			rc := goredislib.NewClient(lock.ClientOptions(a))
			if isRedis {
				backends = append(backends, lock.NewRedisBackend(rc, ""))
			} else {
				backends = append(backends, lock.NewMeshcacheBackend(rc))
			}
		}
		l, err := lock.New(backends, lock.WithLogger(discard))
		if err != nil {
			return nil, nil, err
		}
		do := func(ctx context.Context, name string) error {
			lk, err := l.Acquire(ctx, name, ttl)
			if err != nil {
				return err
			}
			return lk.Release(ctx)
		}
		return do, func() { _ = l.Close() }, nil
	}
}

func redsyncOn(addrs []string) func(context.Context) (cycle, func(), error) {
	return func(ctx context.Context) (cycle, func(), error) {
		var (
			pools   []redsyncredis.Pool
			clients []*goredislib.Client
		)
		for _, a := range addrs {
			rc := goredislib.NewClient(&goredislib.Options{Addr: a, PoolSize: 16})
			clients = append(clients, rc)
			pools = append(pools, goredis.NewPool(rc))
		}
		rs := redsync.New(pools...)
		do := func(ctx context.Context, name string) error {
			m := rs.NewMutex(name, redsync.WithExpiry(ttl), redsync.WithTries(32))
			if err := m.LockContext(ctx); err != nil {
				return err
			}
			ok, err := m.UnlockContext(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("redsync unlock: not released")
			}
			return nil
		}
		return do, func() {
			for _, c := range clients {
				_ = c.Close()
			}
		}, nil
	}
}
