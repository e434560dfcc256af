package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestForwardBatch sends an ordered batch to a peer whose Executor is not a
// BatchExecutor (so it runs command by command) and to itself.
func TestForwardBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logger := testLogger(t)
	a, _ := startNode(t, ctx, logger, nodeOpts{})
	b, execB := startNode(t, ctx, logger, nodeOpts{join: []string{a.ClusterAddr()}})
	require.Eventually(t, func() bool { _, err := a.addrOf(b.ID()); return err == nil }, 20*time.Second, 10*time.Millisecond)
	var cmds [][][]byte
	for i := 0; i < 100; i++ {
		cmds = append(cmds, [][]byte{[]byte("CMD"), []byte(fmt.Sprint(i))})
	}
	for _, target := range []*Node{b, a} {
		replies, err := a.ForwardBatch(ctx, target.ID(), true, cmds)
		require.NoError(t, err)
		require.Len(t, replies, len(cmds))
		for i, r := range replies {
			assert.Equal(t, string(appendEcho(nil, true, cmds[i])), string(r), "reply %d in order", i)
		}
	}
	execB.mu.Lock()
	assert.Equal(t, 100, execB.calls)
	execB.mu.Unlock()
	_, err := a.ForwardBatch(ctx, "0000000000000000000000000000000000000000", false, cmds)
	assert.ErrorIs(t, err, ErrUnknownNode)
}
