// Command memkeys loads a server with N string keys and reports the growth of
// the server process's resident memory per key. It works against any RESP
// server, so meshcache and redis-server are measured the same way.
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
	flag.Parse()
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
