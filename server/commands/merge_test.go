package commands

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/resp"
)

// TestMergeReplies merges split replies by the response policy.
func TestMergeReplies(t *testing.T) {
	parts := func(replies ...string) []Part {
		var out []Part
		for i, r := range replies {
			out = append(out, Part{From: "n", Reply: []byte(r), Keys: []int{i}})
		}
		return out
	}
	cases := []struct {
		tips  []string
		parts []Part
		want  string
		err   bool
	}{
		{[]string{TipMultiShard}, parts("*1\r\n$1\r\na\r\n", "*1\r\n$-1\r\n"), "*2\r\n$1\r\na\r\n$-1\r\n", false},
		{[]string{TipMultiShard, TipAllSucceeded}, parts("+OK\r\n", "+OK\r\n"), "+OK\r\n", false},
		{[]string{TipMultiShard, TipAllSucceeded}, parts("+OK\r\n", ":1\r\n"), "", true},
		{[]string{TipMultiShard, TipAggSum}, parts(":2\r\n", ":3\r\n"), ":5\r\n", false},
		{[]string{TipMultiShard, TipAggSum}, parts(":2\r\n", "+OK\r\n"), "", true},
		{[]string{TipMultiShard, TipAggMin}, parts(":2\r\n", ":3\r\n"), "", true},
	}
	for _, tc := range cases {
		var r resp.Reply
		cmd := &Command{Name: "x", Tips: tc.tips}
		err := cmd.MergeReplies(&r, tc.parts, len(tc.parts))
		if tc.err {
			assert.Error(t, err, "%v", tc.tips)
			continue
		}
		require.NoError(t, err, "%v", tc.tips)
		assert.Equal(t, tc.want, string(r.Bytes()), "%v", tc.tips)
	}
	assert.False(t, (&Command{Tips: []string{TipMultiShard, TipAggMin}}).Mergeable())
	assert.True(t, (&Command{Tips: []string{TipMultiShard}}).Mergeable())
}
