package scatter

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
)

func strs(args [][]byte) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return strings.Join(out, " ")
}

func bytesOf(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

// ownerByTag puts keys tagged {a} on node A, {b} on B, and the rest on C.
func ownerByTag(slot uint16) ring.NodeID {
	switch slot {
	case ring.KeySlotString("{a}"):
		return "A"
	case ring.KeySlotString("{b}"):
		return "B"
	case ring.KeySlotString("{none}"):
		return ""
	}
	return "C"
}

// TestSplit: each owner gets the arguments around the keys and its own
// key groups, in key order, with the positions of its keys.
func TestSplit(t *testing.T) {
	mset := &commands.Command{Name: "mset", Keys: []commands.KeySpec{commands.Range(commands.OW, 1, -1, 2)}}
	parts := Split(mset, bytesOf("MSET {a}1 x {b}2 y {a}3 z"), []int{1, 3, 5}, ownerByTag)
	require.Len(t, parts, 2)
	assert.Equal(t, ring.NodeID("A"), parts[0].Owner)
	assert.Equal(t, "MSET {a}1 x {a}3 z", strs(parts[0].Args))
	assert.Equal(t, []int{0, 2}, parts[0].Keys)
	assert.Equal(t, "MSET {b}2 y", strs(parts[1].Args))
	assert.Equal(t, []int{1}, parts[1].Keys)

	assert.Nil(t, Split(mset, bytesOf("MSET {a}1 x {none}2 y"), []int{1, 3}, ownerByTag), "a slot no node serves")

	_, ok := Spec(&commands.Command{Keys: []commands.KeySpec{commands.KeyNum(commands.RO, 1, 0, 1, 1)}})
	assert.False(t, ok, "a key count cannot be split")
}

type runner struct {
	mu     sync.Mutex
	remote []string
}

func (r *runner) Local(args [][]byte) []byte { return []byte("local:" + strs(args)) }

func (r *runner) Remote(_ context.Context, owner ring.NodeID, args [][]byte) ([]byte, error) {
	r.mu.Lock()
	r.remote = append(r.remote, string(owner))
	r.mu.Unlock()
	if owner == "B" {
		return nil, errors.New("unreachable")
	}
	return []byte(string(owner) + ":" + strs(args)), nil
}

// TestRun: this node's part runs locally, the others remotely; every part
// ends with its reply or its error.
func TestRun(t *testing.T) {
	mget := &commands.Command{Name: "mget", Keys: []commands.KeySpec{commands.Range(commands.RO, 1, -1, 1)}}
	parts := Split(mget, bytesOf("MGET {a}1 {b}2 c"), []int{1, 2, 3}, ownerByTag)
	r := &runner{}
	Run(context.Background(), parts, "C", r)
	require.Len(t, parts, 3)
	assert.Equal(t, "A:MGET {a}1", string(parts[0].Reply))
	assert.EqualError(t, parts[1].Err, "unreachable")
	assert.Equal(t, "local:MGET c", string(parts[2].Reply))
	assert.ElementsMatch(t, []string{"A", "B"}, r.remote)
	merged := Merged(parts)
	assert.Equal(t, "C", merged[2].From)
	assert.Equal(t, []int{2}, merged[2].Keys)
}
