package ring

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lockTestMembers(n int) []NodeID {
	out := make([]NodeID, n)
	for i := range out {
		out[i] = NodeID(fmt.Sprintf("%040x", i+1))
	}
	return out
}

func TestLockNodesSizeAndDistinct(t *testing.T) {
	members := lockTestMembers(7)
	cases := []struct {
		members []NodeID
		n, want int
	}{
		{members, 5, 5},
		{members[:3], 5, 3},
		{members[:1], 5, 1},
		{nil, 5, 0},
		{members, 0, 0},
		{members, -1, 0},
		{append(slices.Clone(members[:2]), members[:2]...), 5, 2}, // duplicates count once
	}
	for _, tc := range cases {
		got := LockNodes("job", tc.members, tc.n)
		assert.Len(t, got, tc.want)
		seen := map[NodeID]bool{}
		for _, id := range got {
			assert.False(t, seen[id], "duplicate %s", id)
			seen[id] = true
			assert.Contains(t, tc.members, id)
		}
	}
}

// The choice depends on the set, not on the order the members are listed in.
func TestLockNodesDeterministic(t *testing.T) {
	members := lockTestMembers(9)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		name := fmt.Sprintf("lock-%d", i)
		want := LockNodes(name, members, 5)
		shuffled := slices.Clone(members)
		r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		assert.Equal(t, want, LockNodes(name, shuffled, 5), name)
		// The top k of n are the first k of the top n.
		assert.Equal(t, want[:3], LockNodes(name, members, 3), name)
	}
}

// Removing a member changes a name's nodes only if that member was one of
// them, and then only by replacing it.
func TestLockNodesMinimalChange(t *testing.T) {
	members := lockTestMembers(8)
	gone := members[3]
	rest := slices.DeleteFunc(slices.Clone(members), func(id NodeID) bool { return id == gone })
	for i := range 500 {
		name := fmt.Sprintf("lock-%d", i)
		before := LockNodes(name, members, 5)
		after := LockNodes(name, rest, 5)
		if !slices.Contains(before, gone) {
			assert.Equal(t, before, after, name)
			continue
		}
		kept := slices.DeleteFunc(slices.Clone(before), func(id NodeID) bool { return id == gone })
		assert.Equal(t, kept, after[:4], name)
		assert.NotContains(t, before, after[4], name)
	}
}

// Names spread evenly: each of 10 members is among a name's 3 nodes for
// about 3/10 of the names.
func TestLockNodesBalance(t *testing.T) {
	members := lockTestMembers(10)
	const names = 20000
	count := map[NodeID]int{}
	for i := range names {
		for _, id := range LockNodes(fmt.Sprintf("name-%d", i), members, 3) {
			count[id]++
		}
	}
	require.Len(t, count, len(members))
	want := float64(names*3) / float64(len(members))
	for id, c := range count {
		assert.InEpsilon(t, want, float64(c), 0.1, "member %s", id)
	}
}
