package wire

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForwardCodec(t *testing.T) {
	cases := []struct {
		name  string
		resp3 bool
		args  [][]byte
	}{
		{"one", false, [][]byte{[]byte("PING")}},
		{"empty arg", true, [][]byte{[]byte("SET"), []byte("k"), {}}},
		{"binary", false, [][]byte{[]byte("SET"), {0, 1, 2, '\r', '\n'}, bytes.Repeat([]byte{0xff}, 300)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp3, args, err := DecodeForward(EncodeForward(c.resp3, c.args))
			require.NoError(t, err)
			assert.Equal(t, c.resp3, resp3)
			require.Len(t, args, len(c.args))
			for i := range args {
				assert.Equal(t, string(c.args[i]), string(args[i]))
			}
		})
	}
	bad := map[string][]byte{
		"empty":          {},
		"no args":        {0, 0},
		"count too big":  {0, 5, 1, 'a'},
		"truncated arg":  {0, 1, 5, 'a', 'b'},
		"trailing bytes": {0, 1, 1, 'a', 'x'},
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			_, _, err := DecodeForward(b)
			assert.Error(t, err)
		})
	}
}

func TestForwardBatchCodec(t *testing.T) {
	cmds := [][][]byte{
		{[]byte("SET"), []byte("k"), []byte("")},
		{[]byte("GET"), []byte("k")},
		{[]byte("MSET"), []byte("a"), []byte("1"), []byte("b"), make([]byte, 300)},
	}
	for _, resp3 := range []bool{false, true} {
		got3, got, err := DecodeForwardBatch(EncodeForwardBatch(resp3, cmds))
		require.NoError(t, err)
		assert.Equal(t, resp3, got3)
		assert.Equal(t, cmds, got)
	}
	enc := EncodeForwardBatch(false, cmds)
	for cut := 0; cut < len(enc); cut++ {
		_, _, err := DecodeForwardBatch(enc[:cut])
		assert.Error(t, err, "truncated at %d", cut)
	}
	_, _, err := DecodeForwardBatch(append(enc, 0))
	assert.Error(t, err, "trailing byte")

	replies := [][]byte{[]byte("+OK\r\n"), []byte("$-1\r\n"), {}}
	back, err := DecodeBatchReplies(AppendBatchReplies([]byte{}, replies))
	require.NoError(t, err)
	assert.Equal(t, replies, back)
	enc = AppendBatchReplies(nil, replies)
	for cut := 0; cut < len(enc)-1; cut++ { // the last reply is empty: cutting its length byte only
		_, err := DecodeBatchReplies(enc[:cut])
		assert.Error(t, err, "truncated at %d", cut)
	}
}
