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
		}, func(_ context.Context, _ string, req, reply []byte) ([]byte, bool, error) {
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
