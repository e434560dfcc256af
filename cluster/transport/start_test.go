package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// result is what a started call's done was given.
type result struct {
	reply []byte
	err   error
}

// startAndWait starts a call and returns the channel its done sends on.
func startAndWait(t *testing.T, client *Client, addr string, payload []byte) (Pending, <-chan result) {
	t.Helper()
	ch := make(chan result, 1)
	p, ok := client.Start(addr, KindPing, payload, 5*time.Second, func(r []byte, err error) { ch <- result{r, err} })
	require.True(t, ok, "Start sent nothing over a live connection")
	return p, ch
}

// TestStartNeedsALiveConnection: Start never dials (it must not wait);
// once a Call opened the connection, started calls get their own replies,
// and a handler's error comes back as a *RemoteError.
func TestStartNeedsALiveConnection(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	client, addr := startPing(t, func(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
		if string(req) == "fail" {
			return nil, errors.New("refused")
		}
		return append(reply, req...), nil
	})
	_, ok := client.Start(addr, KindPing, []byte("x"), time.Second, func([]byte, error) {
		t.Error("done called for a call that was not sent")
	})
	require.False(t, ok, "Start sent without a connection")

	_, err := client.Call(ctx, addr, KindPing, []byte("dial"))
	require.NoError(t, err)
	var chans []<-chan result
	for i := range 100 {
		_, ch := startAndWait(t, client, addr, fmt.Appendf(nil, "r%d", i))
		chans = append(chans, ch)
	}
	for i, ch := range chans {
		r := <-ch
		require.NoError(t, r.err)
		assert.Equal(t, fmt.Sprintf("r%d", i), string(r.reply))
	}
	_, ch := startAndWait(t, client, addr, []byte("fail"))
	r := <-ch
	var re *RemoteError
	require.ErrorAs(t, r.err, &re)
	assert.Equal(t, "refused", re.Msg)
}

// TestStartedCallsFailWithTheirConnection: a call waiting when its
// connection is closed hears of it; an abandoned call is never told.
func TestStartedCallsFailWithTheirConnection(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	client, addr := startPing(t, func(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
		if req[0] == 'h' {
			<-release // held until the test lets go
		}
		return append(reply, req...), nil
	})
	_, err := client.Call(ctx, addr, KindPing, []byte("dial"))
	require.NoError(t, err)

	abandoned, ach := startAndWait(t, client, addr, []byte("h1"))
	require.True(t, abandoned.Abandon(), "a call without its reply could not be abandoned")
	assert.False(t, abandoned.Abandon(), "a call was abandoned twice")
	_, ch := startAndWait(t, client, addr, []byte("h2"))

	client.Drop(addr, errors.New("dropped by the test"))
	r := <-ch
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "dropped by the test")
	once.Do(func() { close(release) })
	select {
	case r := <-ach:
		t.Fatalf("an abandoned call was told %v", r)
	default:
	}
}

// TestAbandonAfterReply: a call whose reply came first cannot be
// abandoned (its done ran).
func TestAbandonAfterReply(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	client, addr := startPing(t, func(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
		return append(reply, req...), nil
	})
	_, err := client.Call(ctx, addr, KindPing, []byte("dial"))
	require.NoError(t, err)
	p, ch := startAndWait(t, client, addr, []byte("y"))
	r := <-ch
	require.NoError(t, r.err)
	assert.False(t, p.Abandon())
}
