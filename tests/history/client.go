package history

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Write makes h's next operation on c, a SET of a value naming the key and
// the operation's index or (del) a DEL, within timeout, and records it
// with its outcome and at, the run's clock.
func (h *Key) Write(c redis.Cmdable, del bool, timeout, at time.Duration) Op {
	op := Op{Del: del}
	if !del {
		op.Value = fmt.Sprintf("%s=%d", h.Name, len(h.Ops))
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	var err error
	if del {
		err = c.Del(ctx, h.Name).Err()
	} else {
		err = c.Set(ctx, h.Name, op.Value, 0).Err()
	}
	cancel()
	op.Outcome = Classify(err)
	op.At = at
	h.Ops = append(h.Ops, op)
	return op
}

// readBatch is how many GETs ReadBack pipelines at once.
const readBatch = 500

// ReadBack reads every key from one node with pipelined GETs, each batch
// within timeout: states[i] is what hs[i] holds there unless errs[i] says
// the read failed.
func ReadBack(ctx context.Context, c redis.Cmdable, hs []*Key, timeout time.Duration) (states []State, errs []error, err error) {
	states, errs = make([]State, len(hs)), make([]error, len(hs))
	for lo := 0; lo < len(hs); lo += readBatch {
		hi := min(lo+readBatch, len(hs))
		bctx, cancel := context.WithTimeout(ctx, timeout)
		cmds, err := c.Pipelined(bctx, func(p redis.Pipeliner) error {
			for _, h := range hs[lo:hi] {
				p.Get(bctx, h.Name)
			}
			return nil
		})
		cancel()
		if len(cmds) != hi-lo {
			return states, errs, fmt.Errorf("pipelined GET: %w", err)
		}
		for j, cmd := range cmds {
			v, err := cmd.(*redis.StringCmd).Result()
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				errs[lo+j] = err
			default:
				states[lo+j] = State{Present: true, Value: v}
			}
		}
	}
	return states, errs, nil
}
