package clusterview

import (
	"context"
	"fmt"
	"sync"

	"github.com/meshcache/meshcache/ring"
)

// Asker asks a member for its report: *cluster.Node (over the cluster
// port), or for a node alone, the node itself.
type Asker interface {
	AskReport(ctx context.Context, id ring.NodeID) ([]byte, error)
}

// Gather asks every member in ids for its report at once and waits for all
// answers or for ctx, which must carry the view's deadline. A member that
// fails, answers garbage or misses the deadline gets an error in its
// Result; Gather itself never fails. Every goroutine it starts has
// returned when it returns (asks honour ctx).
func Gather(ctx context.Context, ask Asker, ids []ring.NodeID) map[ring.NodeID]Result {
	out := make(map[ring.NodeID]Result, len(ids))
	var mu sync.Mutex // guards out
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() { // owned by Gather: joined below
			defer wg.Done()
			res := askOne(ctx, ask, id)
			mu.Lock()
			out[id] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func askOne(ctx context.Context, ask Asker, id ring.NodeID) Result {
	b, err := ask.AskReport(ctx, id)
	if err != nil {
		return Result{Err: fmt.Errorf("unreachable: %w", err)}
	}
	r, err := Decode(b)
	if err != nil {
		return Result{Err: fmt.Errorf("bad report: %w", err)}
	}
	return Result{Report: r}
}
