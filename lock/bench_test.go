package lock

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkTableAcquireRelease measures one node's LOCK.ACQUIRE plus
// LOCK.RELEASE through Do, argument parsing included.
func BenchmarkTableAcquireRelease(b *testing.B) {
	tb := NewTable(TableConfig{})
	names := make([][]byte, 1024)
	for i := range names {
		names[i] = fmt.Appendf(nil, "lock-%d", i)
	}
	acquire := [][]byte{[]byte("LOCK.ACQUIRE"), nil, []byte("holder"), []byte("10000")}
	release := [][]byte{[]byte("LOCK.RELEASE"), nil, []byte("holder")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		acquire[1], release[1] = names[i%len(names)], names[i%len(names)]
		if _, err := tb.Do(acquire); err != nil {
			b.Fatal(err)
		}
		if _, err := tb.Do(release); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedlock measures a full uncontended Redlock round (grant on all,
// confirm on all, release on all) over three loopback endpoints of each kind.
func BenchmarkRedlock(b *testing.B) {
	run := func(b *testing.B, l *Locker) {
		ctx := context.Background()
		for b.Loop() {
			lk, err := l.TryAcquire(ctx, "bench", 10*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			if err := lk.Release(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("redis", func(b *testing.B) {
		procs := startRedis(b, 3)
		run(b, redisLocker(b, procs))
	})
	b.Run("meshcache-table", func(b *testing.B) {
		run(b, nodeLocker(b, startNodes(b, 3)))
	})
}
