package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForwardBatchCodec(t *testing.T) {
	cmds := [][][]byte{
		{[]byte("SET"), []byte("k"), []byte("")},
		{[]byte("GET"), []byte("k")},
		{[]byte("MSET"), []byte("a"), []byte("1"), []byte("b"), make([]byte, 300)},
	}
	for _, resp3 := range []bool{false, true} {
		got3, got, err := decodeForwardBatch(encodeForwardBatch(resp3, cmds))
		require.NoError(t, err)
		assert.Equal(t, resp3, got3)
		assert.Equal(t, cmds, got)
	}
	enc := encodeForwardBatch(false, cmds)
	for cut := 0; cut < len(enc); cut++ {
		_, _, err := decodeForwardBatch(enc[:cut])
		assert.Error(t, err, "truncated at %d", cut)
	}
	_, _, err := decodeForwardBatch(append(enc, 0))
	assert.Error(t, err, "trailing byte")

	replies := [][]byte{[]byte("+OK\r\n"), []byte("$-1\r\n"), {}}
	back, err := decodeBatchReplies(appendBatchReplies([]byte{}, replies))
	require.NoError(t, err)
	assert.Equal(t, replies, back)
	enc = appendBatchReplies(nil, replies)
	for cut := 0; cut < len(enc)-1; cut++ { // the last reply is empty: cutting its length byte only
		_, err := decodeBatchReplies(enc[:cut])
		assert.Error(t, err, "truncated at %d", cut)
	}
}

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
