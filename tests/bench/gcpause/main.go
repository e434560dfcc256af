// Command gcpause loads a server with many string keys (10M by default) and
// then measures GET latency while a writer keeps replacing values with
// longer ones, which moves entries between arenas and makes garbage, so the
// Go collector runs during the measurement. It reports the GET latency
// percentiles, and for meshcache the GC figures of INFO memory: cycles
// during the measurement, stop-the-world pause p99 and max, GC CPU share.
// It works against any RESP server (redis-server has no GC lines: "n/a").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	n := flag.Int("n", 10_000_000, "number of keys")
	keyLen := flag.Int("key-size", 16, "key length in bytes")
	valLen := flag.Int("value-size", 32, "value length in bytes")
	loaders := flag.Int("loaders", 4, "connections loading keys")
	readers := flag.Int("readers", 8, "connections sending GETs during the measurement")
	dur := flag.Duration("duration", 10*time.Second, "length of the measurement")
	typ := flag.String("type", "string", "string (n keys), or list, set, zset: n elements spread over -collections keys")
	colls := flag.Int("collections", 1000, "keys holding the elements, for -type list, set, zset")
	flag.Parse()
	cfg := config{addr: *addr, n: *n, keyLen: *keyLen, valLen: *valLen, loaders: *loaders, readers: *readers, dur: *dur,
		typ: *typ, colls: *colls}
	if err := run(cfg); err != nil {
		slog.Error("gcpause", "err", err)
		os.Exit(1)
	}
}

type config struct {
	addr              string
	n, keyLen, valLen int
	loaders, readers  int
	dur               time.Duration
	typ               string // string, list, set, zset
	colls             int    // keys holding the elements of a collection type
}

// The operations of one type: load adds element i, read looks one up
// (the latency measured), write changes the collections while readers
// read (a push and a pop, an add and a remove). key is element i's key.
type ops struct {
	load  func(p redis.Pipeliner, i int)
	read  func(ctx context.Context, c *redis.Client, i int) error
	write func(p redis.Pipeliner, i int)
}

// opsOf returns the operations of cfg.typ.
func opsOf(cfg config) (ops, error) {
	ctx := context.Background()
	value := strings.Repeat("v", cfg.valLen)
	long := strings.Repeat("w", 2*cfg.valLen)
	coll := func(i int) string { return "gc:" + strconv.Itoa(i%cfg.colls) }
	switch cfg.typ {
	case "string":
		return ops{
			load:  func(p redis.Pipeliner, i int) { p.Set(ctx, key(i, cfg.keyLen), value, 0) },
			read:  func(ctx context.Context, c *redis.Client, i int) error { return c.Get(ctx, key(i, cfg.keyLen)).Err() },
			write: func(p redis.Pipeliner, i int) { p.Set(ctx, key(i, cfg.keyLen), long, 0) },
		}, nil
	case "list":
		return ops{
			load: func(p redis.Pipeliner, i int) { p.RPush(ctx, coll(i), key(i, cfg.keyLen)) },
			read: func(ctx context.Context, c *redis.Client, i int) error {
				return c.LIndex(ctx, coll(i), int64(i/cfg.colls)).Err()
			},
			write: func(p redis.Pipeliner, i int) { p.RPush(ctx, coll(i), key(i, cfg.keyLen)); p.LPop(ctx, coll(i)) },
		}, nil
	case "set":
		return ops{
			load: func(p redis.Pipeliner, i int) { p.SAdd(ctx, coll(i), key(i, cfg.keyLen)) },
			read: func(ctx context.Context, c *redis.Client, i int) error {
				return c.SIsMember(ctx, coll(i), key(i, cfg.keyLen)).Err()
			},
			write: func(p redis.Pipeliner, i int) {
				p.SRem(ctx, coll(i), key(i, cfg.keyLen))
				p.SAdd(ctx, coll(i), key(i, cfg.keyLen))
			},
		}, nil
	case "zset":
		return ops{
			load: func(p redis.Pipeliner, i int) {
				p.ZAdd(ctx, coll(i), redis.Z{Score: float64(i), Member: key(i, cfg.keyLen)})
			},
			read: func(ctx context.Context, c *redis.Client, i int) error {
				return c.ZScore(ctx, coll(i), key(i, cfg.keyLen)).Err()
			},
			write: func(p redis.Pipeliner, i int) {
				p.ZIncrBy(ctx, coll(i), 1, key(i, cfg.keyLen))
			},
		}, nil
	}
	return ops{}, fmt.Errorf("unknown -type %q", cfg.typ)
}

func run(cfg config) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: cfg.addr, Protocol: 2, PoolSize: cfg.loaders + cfg.readers + 2,
		ReadTimeout: time.Minute, WriteTimeout: time.Minute})
	defer c.Close()
	if err := c.FlushAll(ctx).Err(); err != nil {
		return fmt.Errorf("flushall: %w", err)
	}
	start := time.Now()
	if err := load(ctx, c, cfg); err != nil {
		return err
	}
	loadTime := time.Since(start)
	before, err := infoFields(ctx, c)
	if err != nil {
		return err
	}
	lat, writes, err := measure(ctx, c, cfg)
	if err != nil {
		return err
	}
	after, err := infoFields(ctx, c)
	if err != nil {
		return err
	}
	slices.Sort(lat)
	pct := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / 1e3
	}
	cycles := "n/a"
	if b, a := before["go_gc_cycles"], after["go_gc_cycles"]; a != "" && b != "" {
		bn, _ := strconv.ParseInt(b, 10, 64)
		an, _ := strconv.ParseInt(a, 10, 64)
		cycles = strconv.FormatInt(an-bn, 10)
	}
	get := func(k string) string {
		if v, ok := after[k]; ok {
			return v
		}
		return "n/a"
	}
	fmt.Printf("type=%s keys=%d load_seconds=%.1f gets=%d sets=%d get_p50_us=%.0f get_p99_us=%.0f get_p999_us=%.0f get_max_us=%.0f gc_cycles=%s gc_pause_p99_us=%s gc_pause_max_us=%s gc_cpu_fraction=%s gogc=%s heap_live=%s rss=%s\n",
		cfg.typ, cfg.n, loadTime.Seconds(), len(lat), writes, pct(0.5), pct(0.99), pct(0.999), pct(1),
		cycles, get("go_gc_pause_p99_us"), get("go_gc_pause_max_us"), get("go_gc_cpu_fraction"),
		get("go_gc_percent"), get("go_heap_live"), get("used_memory_rss"))
	return nil
}

// load adds elements 0..n-1 (SETs keys, or pushes and adds elements to
// collections) over cfg.loaders connections, in pipelines of 1000.
func load(ctx context.Context, c *redis.Client, cfg config) error {
	o, err := opsOf(cfg)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, cfg.loaders)
	per := (cfg.n + cfg.loaders - 1) / cfg.loaders
	for w := range cfg.loaders {
		wg.Add(1)
		go func() { // one loader; ends when its range is stored or on error
			defer wg.Done()
			lo, hi := w*per, min((w+1)*per, cfg.n)
			for i := lo; i < hi; i += 1000 {
				p := c.Pipeline()
				for j := i; j < min(i+1000, hi); j++ {
					o.load(p, j)
				}
				if _, err := p.Exec(ctx); err != nil {
					errs[w] = fmt.Errorf("load keys %d..: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	size, err := c.DBSize(ctx).Result()
	if err != nil {
		return fmt.Errorf("dbsize: %w", err)
	}
	want := int64(cfg.n)
	if cfg.typ != "string" {
		want = int64(min(cfg.n, cfg.colls))
	}
	if size != want {
		return fmt.Errorf("dbsize is %d, want %d", size, want)
	}
	return nil
}

// measure runs cfg.readers read loops (one GET, or LINDEX, SISMEMBER,
// ZSCORE, at a time each) for cfg.dur while one writer changes values in
// pipelines of 100 (longer strings; a push and a pop, a remove and an add,
// a score increment). It returns every read's latency in nanoseconds and
// the number of writes.
func measure(ctx context.Context, c *redis.Client, cfg config) ([]int64, int, error) {
	o, err := opsOf(cfg)
	if err != nil {
		return nil, 0, err
	}
	mctx, stop := context.WithTimeout(ctx, cfg.dur)
	defer stop()
	var wg sync.WaitGroup
	lats := make([][]int64, cfg.readers)
	errs := make([]error, cfg.readers+1)
	for r := range cfg.readers {
		wg.Add(1)
		go func() { // one reader; ends with mctx
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			for mctx.Err() == nil {
				i := rng.IntN(cfg.n)
				t := time.Now()
				err := o.read(mctx, c, i)
				if err != nil && !errors.Is(err, redis.Nil) {
					if mctx.Err() == nil {
						errs[r] = fmt.Errorf("read element %d: %w", i, err)
					}
					return
				}
				lats[r] = append(lats[r], time.Since(t).Nanoseconds())
			}
		}()
	}
	writes := 0
	wg.Add(1)
	go func() { // the writer; ends with mctx
		defer wg.Done()
		rng := rand.New(rand.NewPCG(7, 7))
		for mctx.Err() == nil {
			p := c.Pipeline()
			for range 100 {
				o.write(p, rng.IntN(cfg.n))
			}
			if _, err := p.Exec(mctx); err != nil {
				if mctx.Err() == nil {
					errs[cfg.readers] = fmt.Errorf("set: %w", err)
				}
				return
			}
			writes += 100
		}
	}()
	wg.Wait()
	var all []int64
	for _, l := range lats {
		all = append(all, l...)
	}
	return all, writes, errors.Join(errs...)
}

// infoFields returns INFO memory's fields.
func infoFields(ctx context.Context, c *redis.Client) (map[string]string, error) {
	s, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return nil, fmt.Errorf("info memory: %w", err)
	}
	m := make(map[string]string)
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m, nil
}

// key returns the i-th key, exactly keyLen bytes long (as memkeys).
func key(i, keyLen int) string {
	s := strconv.Itoa(i)
	if len(s) >= keyLen {
		return s[:keyLen]
	}
	return "k" + strings.Repeat("0", keyLen-1-len(s)) + s
}
