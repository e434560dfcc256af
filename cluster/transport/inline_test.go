package transport

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestHandleInline: requests the try handler takes run in the
// connection's reader and are answered (many callers at once, so that
// frames arrive several to a read and share a reply write); a request it
// declines runs on a worker, so one that waits stalls neither the
// inline requests behind it nor the other workers' requests.
func TestHandleInline(t *testing.T) {
	release := make(chan struct{})
	var readerOnly sync.Map // goroutine ids of inline runs (at most one: the reader)
	client, addr := startServing(t, func(srv *Server) {
		srv.HandleInline(KindPing, func(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
			if string(req) != "wait" {
				return nil, fmt.Errorf("%q declined inline ran on a worker", req)
			}
			<-release
			return append(reply, "waited"...), nil
		}, func(_ context.Context, _ string, req, reply []byte, _ Later) ([]byte, bool, error) {
			if string(req) == "wait" {
				return nil, false, nil
			}
			readerOnly.Store(goid(), true)
			return append(append(reply, "re:"...), req...), true, nil
		})
	})
	ctx := testCtx(t, 30*time.Second)

	waited := make(chan error, 1)
	go func() {
		r, err := client.Call(ctx, addr, KindPing, []byte("wait"))
		if err == nil && string(r) != "waited" {
			err = fmt.Errorf("reply %q", r)
		}
		waited <- err
	}()

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				want := fmt.Sprintf("c%d-%d", i, j)
				r, err := client.Call(ctx, addr, KindPing, []byte(want))
				if err == nil && string(r) != "re:"+want {
					err = fmt.Errorf("reply %q to %q", r, want)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait() // while the waiting request still waits
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	n := 0
	readerOnly.Range(func(_, _ any) bool { n++; return true })
	require.Equal(t, 1, n, "inline requests ran on one goroutine, the reader")
	close(release)
	require.NoError(t, <-waited)
}

// goid returns the calling goroutine's id, from its stack header.
func goid() string {
	var buf [64]byte
	s := string(buf[:runtime.Stack(buf[:], false)])
	s = strings.TrimPrefix(s, "goroutine ")
	id, _, _ := strings.Cut(s, " ")
	return id
}

// TestAnswerLater: a request the try handler runs and answers later
// (ErrAnswerLater) gets its answer from whichever goroutine calls
// Later.Answer, out of order with the requests behind it, which the reader
// goes on answering meanwhile; an error answer reaches its caller as a
// RemoteError; an answer after the connection closed is dropped.
func TestAnswerLater(t *testing.T) {
	laters := make(chan Later, 16)
	client, addr := startServing(t, func(srv *Server) {
		h := func(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
			return nil, fmt.Errorf("%q ran on a worker", req)
		}
		srv.HandleInline(KindPing, h, func(_ context.Context, _ string, req, reply []byte, later Later) ([]byte, bool, error) {
			if strings.HasPrefix(string(req), "later") {
				laters <- later
				return nil, true, ErrAnswerLater
			}
			return append(append(reply, "re:"...), req...), true, nil
		})
	})
	ctx := testCtx(t, 30*time.Second)

	type result struct {
		r   []byte
		err error
	}
	first, second := make(chan result, 1), make(chan result, 1)
	go func() { r, err := client.Call(ctx, addr, KindPing, []byte("later-1")); first <- result{r, err} }()
	l1 := <-laters
	go func() { r, err := client.Call(ctx, addr, KindPing, []byte("later-2")); second <- result{r, err} }()
	l2 := <-laters
	// The reader answers the requests behind the two it keeps.
	for i := range 10 {
		r, err := client.Call(ctx, addr, KindPing, fmt.Appendf(nil, "now-%d", i))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("re:now-%d", i), string(r))
	}
	go l2.Answer([]byte("two"), nil) // out of order, from another goroutine
	res := <-second
	require.NoError(t, res.err)
	require.Equal(t, "two", string(res.r))
	l1.Answer(nil, fmt.Errorf("not replicated"))
	res = <-first
	var re *RemoteError
	require.ErrorAs(t, res.err, &re)
	require.Equal(t, "not replicated", re.Msg)

	go func() { _, _ = client.Call(ctx, addr, KindPing, []byte("later-3")) }()
	l3 := <-laters
	client.Close()
	require.Eventually(t, func() bool {
		select {
		case <-l3.fc.done:
			return true
		default:
			return false
		}
	}, 10*time.Second, time.Millisecond, "the server saw the connection close")
	l3.Answer([]byte("dropped"), nil) // neither blocks nor panics
	Later{}.Answer([]byte("nothing"), nil)
}
