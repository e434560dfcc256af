// Command memkeys loads a server with N string keys, or one collection of N
// elements (-type list, set, zset or hash), and reports the growth of the
// server process's resident memory per key or element. It works against any
// RESP server, so meshcache and redis-server are measured the same way
// (tests/bench/run.sh, tests/bench/types.sh).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	pid := flag.Int("pid", 0, "server process id, for its RSS")
	n := flag.Int("n", 1_000_000, "number of keys")
	keyLen := flag.Int("key-size", 16, "key length in bytes")
	valLen := flag.Int("value-size", 32, "value length in bytes")
	batch := flag.Int("batch", 1000, "SETs per pipeline")
	typ := flag.String("type", "string", "string (N keys), or list, set, zset, hash (one key of N elements of -key-size bytes)")
	flag.Parse()
	if *typ != "string" {
		if err := runCollection(*addr, *pid, *typ, *n, *keyLen); err != nil {
			slog.Error("memkeys", "err", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*addr, *pid, *n, *keyLen, *valLen, *batch); err != nil {
		slog.Error("memkeys", "err", err)
		os.Exit(1)
	}
}

func run(addr string, pid, n, keyLen, valLen, batch int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	if err := c.FlushAll(ctx).Err(); err != nil {
		return fmt.Errorf("flushall: %w", err)
	}
	before, err := rss(pid)
	if err != nil {
		return err
	}
	value := strings.Repeat("v", valLen)
	start := time.Now()
	for i := 0; i < n; i += batch {
		p := c.Pipeline()
		for j := i; j < i+batch && j < n; j++ {
			p.Set(ctx, key(j, keyLen), value, 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			return fmt.Errorf("load keys %d..: %w", i, err)
		}
	}
	loadTime := time.Since(start)
	size, err := c.DBSize(ctx).Result()
	if err != nil {
		return fmt.Errorf("dbsize: %w", err)
	}
	if size != int64(n) {
		return fmt.Errorf("dbsize is %d, want %d", size, n)
	}
	time.Sleep(2 * time.Second) // let a collector cycle settle
	after, err := rss(pid)
	if err != nil {
		return err
	}
	fmt.Printf("keys=%d rss_before=%d rss_after=%d bytes_per_key=%.1f load_seconds=%.2f\n",
		n, before, after, float64(after-before)/float64(n), loadTime.Seconds())
	return nil
}

// key returns the i-th key, exactly keyLen bytes long.
func key(i, keyLen int) string {
	s := strconv.Itoa(i)
	if len(s) >= keyLen {
		return s[:keyLen]
	}
	return "k" + strings.Repeat("0", keyLen-1-len(s)) + s
}

// perCommand elements go in one command, and perPipeline commands in one
// round trip.
const (
	perCommand  = 100
	perPipeline = 100
)

// runCollection loads one key of type typ with n elements of size bytes.
func runCollection(addr string, pid int, typ string, n, size int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	if err := c.FlushAll(ctx).Err(); err != nil {
		return fmt.Errorf("flushall: %w", err)
	}
	// MEMORY PURGE before each reading: a collected heap returned to the
	// OS (meshcache) or purged dirty pages (redis-server's jemalloc), so
	// both servers' RSS shows live memory rather than garbage not yet
	// collected.
	if err := c.Do(ctx, "MEMORY", "PURGE").Err(); err != nil {
		return fmt.Errorf("memory purge: %w", err)
	}
	before, err := rss(pid)
	if err != nil {
		return err
	}
	name := "memkeys:" + typ
	start := time.Now()
	p := c.Pipeline()
	for i := 0; i < n; i += perCommand {
		args := []any{}
		for j := i; j < i+perCommand && j < n; j++ {
			e := key(j, size)
			switch typ {
			case "list", "set":
				args = append(args, e)
			case "zset":
				args = append(args, redis.Z{Score: float64(j), Member: e})
			case "hash":
				args = append(args, e, "v")
			default:
				return fmt.Errorf("unknown type %q", typ)
			}
		}
		switch typ {
		case "list":
			p.RPush(ctx, name, args...)
		case "set":
			p.SAdd(ctx, name, args...)
		case "zset":
			zs := make([]redis.Z, len(args))
			for k, a := range args {
				zs[k] = a.(redis.Z)
			}
			p.ZAdd(ctx, name, zs...)
		case "hash":
			p.HSet(ctx, name, args...)
		}
		if p.Len() >= perPipeline || i+perCommand >= n {
			if _, err := p.Exec(ctx); err != nil {
				return fmt.Errorf("load %s elements %d..: %w", typ, i, err)
			}
		}
	}
	loadTime := time.Since(start)
	if err := c.Do(ctx, "MEMORY", "PURGE").Err(); err != nil {
		return fmt.Errorf("memory purge: %w", err)
	}
	after, err := rss(pid)
	if err != nil {
		return err
	}
	fmt.Printf("type=%s elements=%d rss_before=%d rss_after=%d bytes_per_element=%.1f load_seconds=%.2f\n",
		typ, n, before, after, float64(after-before)/float64(n), loadTime.Seconds())
	return nil
}

// rss reads the resident set size of a process in bytes from /proc.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read rss of pid %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmRSS %q: %w", rest, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
