package cluster

import (
	"context"
	"testing"
	"time"
)

// BenchmarkForward measures pipelined forwarding of a small SET over one
// connection (RunParallel: many callers share the peer connection).
func BenchmarkForward(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	newNode := func(join []string) *Node {
		n, err := New(Config{ClientAddr: "127.0.0.1:20000", BindAddr: "127.0.0.1:0", Profile: "local", Join: join}, &echoExecutor{}, discardLogger())
		if err != nil {
			b.Fatal(err)
		}
		if err := n.Start(ctx); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = n.Close() })
		return n
	}
	x := newNode(nil)
	y := newNode([]string{x.ClusterAddr()})
	for {
		if ok, _ := converged([]*Node{x, y}, []*Node{x, y}); ok {
			break
		}
		if ctx.Err() != nil {
			b.Fatal("no convergence")
		}
		time.Sleep(10 * time.Millisecond)
	}
	args := [][]byte{[]byte("SET"), []byte("key:000000000001"), make([]byte, 64)}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if _, err := x.Forward(cctx, y.ID(), false, args); err != nil {
				cancel()
				b.Error(err)
				return
			}
			cancel()
		}
	})
}
