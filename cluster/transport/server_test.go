package transport

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCallCtx: a handler's context carries the caller's deadline without a
// timer until Done or Err is asked for, ends at that deadline, ends when the
// server closes (its parent), and reads as ended once the call returned.
func TestCallCtx(t *testing.T) {
	type key struct{}
	parentOf := func() (context.Context, context.CancelFunc) {
		return context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	}
	for _, tc := range []struct {
		name     string
		deadline time.Duration // from now; 0: none
		ask      bool          // Done asked for before the end
		cancel   bool          // the parent ends before the call does
		wantErr  error         // Err while the call runs, after the step above
	}{
		{name: "deadline, never asked", deadline: time.Hour},
		{name: "deadline, asked", deadline: time.Hour, ask: true},
		{name: "deadline passed", deadline: -time.Second, ask: true, wantErr: context.DeadlineExceeded},
		{name: "no deadline, asked", ask: true},
		{name: "parent ends", deadline: time.Hour, ask: true, cancel: true, wantErr: context.Canceled},
		{name: "parent ends, no deadline", cancel: true, wantErr: context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, cancel := parentOf()
			defer cancel()
			c := &callCtx{parent: parent}
			if tc.deadline != 0 {
				c.deadline = time.Now().Add(tc.deadline)
			}
			dl, ok := c.Deadline()
			assert.Equal(t, tc.deadline != 0, ok)
			assert.Equal(t, c.deadline, dl)
			assert.Equal(t, "v", c.Value(key{}))
			var done <-chan struct{}
			if tc.ask {
				done = c.Done()
			}
			if tc.cancel {
				cancel()
			}
			assert.Equal(t, tc.wantErr, c.Err())
			if done != nil && tc.wantErr == nil {
				select {
				case <-done:
					t.Fatal("Done closed during the call")
				default:
				}
			}
			c.release()
			<-c.Done()
			assert.Error(t, c.Err(), "the call returned")
			if done != nil {
				<-done
			}
		})
	}
}

// TestServerWorkers: one connection's requests run concurrently (a handler
// that waits does not hold up those behind it), past the number of parked
// workers kept, and every call gets its own reply; all workers end with
// the server (TestMain checks that no goroutine outlives the tests).
func TestServerWorkers(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	release := make(chan struct{})
	var waiting, ran atomic.Int32
	client, addr := startPing(t, func(hctx context.Context, _ string, req, reply []byte) ([]byte, error) {
		ran.Add(1)
		if string(req) == "wait" {
			waiting.Add(1)
			select {
			case <-release:
			case <-hctx.Done():
				return nil, hctx.Err()
			}
		}
		return append(reply, req...), nil
	})

	const blocked = 3 * maxParkedWorkers
	var wg sync.WaitGroup
	errs := make(chan error, blocked)
	for range blocked {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := client.Call(ctx, addr, KindPing, []byte("wait"))
			if err == nil && string(r) != "wait" {
				err = fmt.Errorf("reply %q", r)
			}
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return waiting.Load() == blocked }, 10*time.Second, time.Millisecond)
	// Requests behind the waiting ones are served meanwhile.
	for i := range 100 {
		r, err := client.Call(ctx, addr, KindPing, fmt.Appendf(nil, "n%d", i))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("n%d", i), string(r))
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, blocked+100, ran.Load())
}
