package transport

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestInlineReplicate: KindReplicate calls, whose frames the caller and the
// server's reader write themselves when the connection is idle (sendNow)
// and whose handler the reader runs (HandleInline) up to inlineMax (as the
// cluster registers it), answer correctly, small and large, alongside
// concurrent ordinary calls that go through the writer and the workers;
// remote errors come back.
func TestInlineReplicate(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	const inlineMax = 4 << 10
	client, addr := startServing(t, func(srv *Server) {
		h := func(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
			if string(req) == "fail" {
				return nil, errors.New("refused")
			}
			return append(reply, req...), nil
		}
		srv.HandleInline(KindReplicate, h, Below(inlineMax, h))
		srv.Handle(KindPing, func(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
			return append(reply, req...), nil
		})
	})
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 { // ordinary calls on the same connection meanwhile
		wg.Go(func() {
			for j := range 50 {
				want := []byte{byte(i), byte(j)}
				got, err := client.Call(cctx, addr, KindPing, want)
				if err == nil && !bytes.Equal(got, want) {
					err = errors.New("ping: wrong reply")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for _, size := range []int{0, 100, inlineMax, inlineMax + 1, 200 << 10} {
		want := bytes.Repeat([]byte{'r'}, size)
		got, err := client.Call(cctx, addr, KindReplicate, want)
		require.NoError(t, err, "size %d", size)
		require.Equal(t, want, got, "size %d", size)
	}
	_, err := client.Call(cctx, addr, KindReplicate, []byte("fail"))
	var re *RemoteError
	require.ErrorAs(t, err, &re)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
