package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// stepDownTimeout bounds the release when a leader steps down.
const stepDownTimeout = 5 * time.Second

// ElectOptions configures Elect. The zero value is usable.
type ElectOptions struct {
	// TTL is the leader lock's lease (DefaultTTL when 0). A leader whose
	// renewals fail loses leadership within about one TTL; a crashed
	// leader's successor waits up to one TTL.
	TTL time.Duration
	// RetryMin and RetryMax bound the random pause between campaign
	// attempts, and the pause before campaigning again after stepping down
	// (which gives other candidates their turn); zero means package lock's
	// defaults (20ms-200ms).
	RetryMin, RetryMax time.Duration
	// EndpointTimeout bounds each call to one node (see MutexOptions).
	EndpointTimeout time.Duration
}

// Elect runs leader election on the lock name: it campaigns until it holds
// the lock, then runs fn as the leader with the lock's fencing token and a
// context that is cancelled when leadership is lost (context.Cause is then
// ErrLeadershipLost) or when ctx ends. When fn returns, Elect steps down
// (releases the lock) and, unless ctx is done, campaigns again. Among all
// candidates on the same members at most one fn runs with a valid lock at
// a time, and each term's token is larger than every earlier term's.
//
// Elect returns:
//   - ctx.Err() once ctx is done (whatever fn returned then);
//   - fn's error, after stepping down, when fn returns a non-nil error
//     while it still was the leader and ctx was not done: the caller
//     decides whether to run again;
//   - an error of the configuration (bad TTL, no members) at once.
//
// fn returning nil, or returning anything after leadership was lost, means
// "campaign again".
func (c *Client) Elect(ctx context.Context, name string, opts ElectOptions, fn func(ctx context.Context, token uint64) error) error {
	if fn == nil {
		return errors.New("elect: nil leader function")
	}
	mopts := MutexOptions{TTL: opts.TTL, RetryMin: opts.RetryMin, RetryMax: opts.RetryMax, EndpointTimeout: opts.EndpointTimeout}
	for {
		m := c.Mutex(name, mopts)
		if err := m.Lock(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("elect %q: %w", name, err)
		}
		ferr, lost := c.lead(ctx, m, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if ferr != nil && !lost {
			return ferr
		}
		// Give the other candidates their turn before campaigning again.
		if err := sleepCtx(ctx, retryPause(m.opts)); err != nil {
			return err
		}
	}
}

// lead runs one term: fn under a context tied to the lock, then steps down.
// lost reports whether leadership was lost before fn returned.
func (c *Client) lead(ctx context.Context, m *Mutex, fn func(context.Context, uint64) error) (ferr error, lost bool) {
	lctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(m.context(), func() { cancel(ErrLeadershipLost) })
	ferr = fn(lctx, m.Token())
	stop()
	lost = isClosed(m.Lost())
	cancel(nil)

	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), stepDownTimeout)
	defer rcancel()
	if err := m.Unlock(rctx); err != nil && !lost {
		c.log.Warn("leader step-down", "lock", m.name, "err", err)
	}
	return ferr, lost
}

func retryPause(o MutexOptions) time.Duration {
	lo, hi := o.RetryMin, o.RetryMax
	if lo <= 0 && hi <= 0 {
		lo, hi = 20*time.Millisecond, 200*time.Millisecond
	}
	if hi <= lo {
		return max(lo, 0)
	}
	return lo + rand.N(hi-lo)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
