package history

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Write makes h's next operation on c, a SET of a value naming the key and
// the operation's index or (del) a DEL, within timeout, and records it
// with its outcome and at, the run's clock.
func (h *Key) Write(c redis.Cmdable, del bool, timeout, at time.Duration) Op {
	return h.write(del, timeout, at, func(ctx context.Context, value string) error {
		if del {
			return c.Del(ctx, h.Name).Err()
		}
		return c.Set(ctx, h.Name, value, 0).Err()
	})
}

// The scripts of WriteScripted: the same SET and DEL made from Lua.
var (
	setScript = redis.NewScript(`return redis.call('SET', KEYS[1], ARGV[1])`)
	delScript = redis.NewScript(`return redis.call('DEL', KEYS[1])`)
)

// WriteScripted is Write made by a Lua script (EVALSHA, EVAL when the
// node answers NOSCRIPT, as go-redis's Script.Run does): the script's
// writes must replicate and survive failover as plain writes do.
func (h *Key) WriteScripted(c redis.Scripter, del bool, timeout, at time.Duration) Op {
	return h.write(del, timeout, at, func(ctx context.Context, value string) error {
		if del {
			return delScript.Run(ctx, c, []string{h.Name}).Err()
		}
		return setScript.Run(ctx, c, []string{h.Name}, value).Err()
	})
}

// write makes and records one operation; do runs it with the value a SET
// writes (ignored by a DEL).
func (h *Key) write(del bool, timeout, at time.Duration, do func(ctx context.Context, value string) error) Op {
	op := Op{Del: del}
	if !del {
		op.Value = fmt.Sprintf("%s=%d", h.Name, len(h.Ops))
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	err := do(ctx, op.Value)
	cancel()
	op.Outcome = Classify(err)
	op.At = at
	h.Ops = append(h.Ops, op)
	return op
}

// readBatch is how many GETs ReadBack pipelines at once.
const readBatch = 500

// tryAgainWait bounds how long ReadBack keeps re-reading keys answered
// -TRYAGAIN (a slot moving between nodes), as a Redis client would.
const tryAgainWait = 5 * time.Second

// ReadBack reads every key from one node with pipelined GETs, each batch
// within timeout: states[i] is what hs[i] holds there unless errs[i] says
// the read failed. A key answered -TRYAGAIN is read again for up to
// tryAgainWait; what still fails after that is in errs.
func ReadBack(ctx context.Context, c redis.Cmdable, hs []*Key, timeout time.Duration) (states []State, errs []error, err error) {
	states, errs = make([]State, len(hs)), make([]error, len(hs))
	todo := make([]int, len(hs))
	for i := range todo {
		todo[i] = i
	}
	for deadline := time.Now().Add(tryAgainWait); ; {
		if err := readKeys(ctx, c, hs, todo, timeout, states, errs); err != nil {
			return states, errs, err
		}
		todo = slices.DeleteFunc(todo, func(i int) bool {
			return errs[i] == nil || !strings.HasPrefix(errs[i].Error(), "TRYAGAIN")
		})
		if len(todo) == 0 || time.Now().After(deadline) {
			return states, errs, nil
		}
		select {
		case <-ctx.Done():
			return states, errs, nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readKeys reads the keys hs[i] for i in idx into states and errs.
func readKeys(ctx context.Context, c redis.Cmdable, hs []*Key, idx []int, timeout time.Duration, states []State, errs []error) error {
	for lo := 0; lo < len(idx); lo += readBatch {
		hi := min(lo+readBatch, len(idx))
		bctx, cancel := context.WithTimeout(ctx, timeout)
		cmds, err := c.Pipelined(bctx, func(p redis.Pipeliner) error {
			for _, i := range idx[lo:hi] {
				p.Get(bctx, hs[i].Name)
			}
			return nil
		})
		cancel()
		if len(cmds) != hi-lo {
			return fmt.Errorf("pipelined GET: %w", err)
		}
		for j, cmd := range cmds {
			i := idx[lo+j]
			v, err := cmd.(*redis.StringCmd).Result()
			states[i], errs[i] = State{}, nil
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				errs[i] = err
			default:
				states[i] = State{Present: true, Value: v}
			}
		}
	}
	return nil
}
