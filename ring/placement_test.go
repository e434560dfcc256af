package ring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testIDs returns n distinct node IDs drawn from a seeded generator, so that
// every run tests the same member sets.
func testIDs(n int, seed uint64) []NodeID {
	r := rand.New(rand.NewPCG(seed, 0x6d657368))
	ids := make([]NodeID, n)
	seen := make(map[NodeID]bool, n)
	for i := 0; i < n; {
		var raw [nodeIDBytes]byte
		for j := range raw {
			raw[j] = byte(r.Uint32())
		}
		if id := nodeIDFromRaw(raw[:]); !seen[id] {
			seen[id] = true
			ids[i] = id
			i++
		}
	}
	return ids
}

// clusterSizes are the member counts the balance tests cover.
var clusterSizes = []int{3, 4, 5, 6, 7, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64}

func mustPlace(t testing.TB, members []NodeID, replicas int) *Placement {
	t.Helper()
	p, err := Place(members, replicas)
	require.NoError(t, err)
	return p
}

func TestPlaceDeterministic(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 16, 64} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ids := testIDs(n, uint64(n))
			want := mustPlace(t, ids, 2)
			r := rand.New(rand.NewPCG(uint64(n), 1))
			for range 3 {
				shuffled := append([]NodeID(nil), ids...)
				r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				got := mustPlace(t, shuffled, 2)
				require.Equal(t, want.Members(), got.Members())
				require.Equal(t, want.owners, got.owners, "placement depends on member order")
			}
		})
	}
}

func TestPlacePrimaryBalance(t *testing.T) {
	for _, n := range clusterSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := mustPlace(t, testIDs(n, uint64(n)), 0)
			avg := float64(SlotCount) / float64(n)
			total, hi, lo := 0, 0, SlotCount
			for id, l := range p.Loads() {
				require.Zero(t, l.Replicas, id)
				total += l.Primaries
				hi, lo = max(hi, l.Primaries), min(lo, l.Primaries)
			}
			require.Equal(t, SlotCount, total)
			// consistent's bound is ceil(1.25 * average), a fraction of a
			// slot above 1.25 x average.
			assert.LessOrEqual(t, hi, primaryBound(n))
			assert.LessOrEqual(t, float64(hi), math.Ceil(1.25*avg))
			assert.Positive(t, lo)
			t.Logf("n=%d primaries per member: min %.2f, max %.2f x average", n, float64(lo)/avg, float64(hi)/avg)
		})
	}
}

// movedPrimaries counts the slots whose primary differs.
func movedPrimaries(a, b *Placement) int {
	moved := 0
	for s := range uint16(SlotCount) {
		if a.Primary(s) != b.Primary(s) {
			moved++
		}
	}
	return moved
}

func TestPlaceMovedFraction(t *testing.T) {
	for _, n := range []int{3, 4, 5, 8, 12, 16, 24, 32, 48, 64} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ids := testIDs(n+1, uint64(1000+n))
			small := mustPlace(t, ids[:n], 1)
			big := mustPlace(t, ids, 1)
			// Adding member n: ideally 1/(n+1) of the slots move, all to it.
			add := float64(movedPrimaries(small, big)) / SlotCount
			toNew := float64(big.Loads()[ids[n]].Primaries) / SlotCount
			// Removing member 0 of the big cluster: its slots must move.
			rest := mustPlace(t, ids[1:], 1)
			remove := float64(movedPrimaries(big, rest)) / SlotCount
			t.Logf("n=%d: add one: %.4f moved (%.2f/N, %.4f to the new member); remove one: %.4f moved (%.2f/N)",
				n, add, add*float64(n+1), toNew, remove, remove*float64(n+1))
			assert.LessOrEqual(t, add, 2.5/float64(n+1))
			assert.LessOrEqual(t, remove, 2.5/float64(n+1))
			assert.GreaterOrEqual(t, add, toNew)
		})
	}
}

// checkReplicas verifies the invariants of every slot's owner list and the
// replica spread, and logs the worst ratios seen.
func checkReplicas(t *testing.T, p *Placement, want int) {
	t.Helper()
	n := len(p.Members())
	require.Equal(t, min(want, n-1), p.Replicas())
	pos := make(map[NodeID]int, n)
	for i, id := range p.Members() {
		pos[id] = i
	}
	pair := make([]int, n*n)
	prims := make([]int, n)
	replicaLoad := make([]int, n)
	// Plain checks in the per-slot loop: testify per slot is too slow here.
	for s := range uint16(SlotCount) {
		owners := p.Owners(s)
		if len(owners) != 1+p.Replicas() || p.Primary(s) != owners[0] {
			t.Fatalf("slot %d: owners %v, primary %s, want 1+%d owners, primary first", s, owners, p.Primary(s), p.Replicas())
		}
		for k, id := range owners {
			if _, ok := pos[id]; !ok {
				t.Fatalf("slot %d: owner %s is not a member", s, id)
			}
			if contains(owners[:k], id) {
				t.Fatalf("slot %d lists %s twice: %v", s, id, owners)
			}
		}
		prim := pos[owners[0]]
		prims[prim]++
		for _, id := range owners[1:] {
			pair[prim*n+pos[id]]++
			replicaLoad[pos[id]]++
		}
	}
	r := p.Replicas()
	if r == 0 {
		return
	}
	bound := replicaBound(n, r)
	worstLow, worstHigh := math.Inf(1), 0.0
	for x := range n {
		assert.LessOrEqual(t, replicaLoad[x], bound, "member %d replica load", x)
		wantPair := float64(prims[x]*r) / float64(n-1)
		for y := range n {
			if y == x {
				continue
			}
			got := pair[x*n+y]
			// Every other member holds some of X's replicas (when X has
			// enough slots to go round), and none holds far more than an
			// even share.
			if wantPair >= 1 {
				assert.GreaterOrEqual(t, got, max(1, int(wantPair/2)), "replicas of member %d's slots on member %d", x, y)
			}
			assert.LessOrEqual(t, got, int(math.Ceil(1.25*wantPair))+1, "replicas of member %d's slots on member %d", x, y)
			worstLow, worstHigh = min(worstLow, float64(got)/wantPair), max(worstHigh, float64(got)/wantPair)
		}
	}
	avg := float64(SlotCount*r) / float64(n)
	t.Logf("n=%d r=%d: replica load %.2f-%.2f x average (bound %.2f); per primary, each other member holds %.2f-%.2f x an even share",
		n, r, float64(minOf(replicaLoad))/avg, float64(maxOf(replicaLoad))/avg, float64(bound)/avg, worstLow, worstHigh)
}

func minOf(v []int) int {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxOf(v []int) int {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func TestPlaceReplicaSpread(t *testing.T) {
	for _, r := range []int{1, 2, 3} {
		for _, n := range clusterSizes {
			t.Run(fmt.Sprintf("n=%d/r=%d", n, r), func(t *testing.T) {
				for seed := range uint64(2) {
					checkReplicas(t, mustPlace(t, testIDs(n, seed*7919+uint64(n)), r), r)
				}
			})
		}
	}
}

func TestPlaceSmallClusters(t *testing.T) {
	ids := testIDs(3, 42)
	cases := []struct {
		members, replicas, wantReplicas int
	}{
		{1, 0, 0}, {1, 1, 0}, {1, 3, 0},
		{2, 0, 0}, {2, 1, 1}, {2, 2, 1},
		{3, 2, 2}, {3, 3, 2},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d members %d replicas", c.members, c.replicas), func(t *testing.T) {
			p := mustPlace(t, ids[:c.members], c.replicas)
			require.Equal(t, c.wantReplicas, p.Replicas())
			checkReplicas(t, p, c.replicas)
			loads := p.Loads()
			require.Len(t, loads, c.members)
			for _, id := range ids[:c.members] {
				// With every member on every slot, each holds all of them.
				if c.wantReplicas == c.members-1 {
					assert.Equal(t, SlotCount, loads[id].Primaries+loads[id].Replicas)
				}
			}
		})
	}
}

func TestPlaceErrors(t *testing.T) {
	ids := testIDs(2, 1)
	cases := []struct {
		name     string
		members  []NodeID
		replicas int
	}{
		{"no members", nil, 1},
		{"invalid ID", []NodeID{ids[0], "node-b"}, 1},
		{"duplicate", []NodeID{ids[0], ids[1], ids[0]}, 1},
		{"negative replicas", ids, -1},
		{"too many replicas", ids, MaxReplicas + 1},
		{"too many members", testIDs(MaxMembers+1, 2), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Place(c.members, c.replicas)
			require.Error(t, err)
			require.Nil(t, p)
		})
	}
	_, err := Place(nil, 0)
	require.ErrorIs(t, err, ErrNoMembers)
}

// TestPlaceReplicaChurn measures how many replica assignments a join
// changes: each new (slot, replica) pair means copying a slot to a node.
func TestPlaceReplicaChurn(t *testing.T) {
	for _, n := range []int{3, 5, 8, 16, 32, 64} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ids := testIDs(n+1, uint64(2000+n))
			a, b := mustPlace(t, ids[:n], 1), mustPlace(t, ids, 1)
			fresh := 0
			for s := range uint16(SlotCount) {
				old := a.Owners(s)
				for _, id := range b.Owners(s)[1:] {
					if !contains(old, id) {
						fresh++
					}
				}
			}
			f := float64(fresh) / SlotCount
			t.Logf("n=%d -> %d: %.4f of replicas placed on a node that did not own the slot (%.2f/N)", n, n+1, f, f*float64(n+1))
			// The new member takes its 1/(N+1) share; the rest comes from
			// moved primaries and the caps. Ranking whole arcs (so that
			// CLUSTER SLOTS stays short) makes cap effects coarser in big
			// clusters: measured 6/N at 32 and 10/N at 64 members, still
			// far from a wholesale reshuffle (which would be about 1).
			bound := 4.0 / float64(n+1)
			if n > 16 {
				bound = 0.25
			}
			assert.LessOrEqual(t, f, bound)
		})
	}
}

func contains(ids []NodeID, id NodeID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func BenchmarkPlace(b *testing.B) {
	for _, n := range []int{3, 16, 64} {
		ids := testIDs(n, uint64(n))
		b.Run(fmt.Sprintf("members=%d/replicas=1", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Place(ids, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestPlacementWithPreferences(t *testing.T) {
	ids := testIDs(4, 43)
	p := mustPlace(t, ids, 1)
	tbl := placedTable(t, 1, p)
	require.Same(t, p, p.WithPreferences(tbl), "no preference: the placement itself")
	require.Same(t, p, p.WithPreferences(nil))

	// Slot 0: its replica is preferred. Slot 1: a node that is no owner of
	// it is preferred (ignored). Slot 2: its own primary (no change).
	require.NoError(t, tbl.SetPreferred(0, p.Owners(0)[1]))
	var stranger NodeID
	for _, id := range ids {
		if !slices.Contains(p.Owners(1), id) {
			stranger = id
		}
	}
	require.NoError(t, tbl.SetPreferred(1, stranger))
	require.NoError(t, tbl.SetPreferred(2, p.Primary(2)))

	q := p.WithPreferences(tbl)
	require.NotSame(t, p, q)
	require.Equal(t, []NodeID{p.Owners(0)[1], p.Owners(0)[0]}, q.Owners(0))
	for s := uint16(1); s < SlotCount; s++ {
		require.Equal(t, p.Owners(s), q.Owners(s), "slot %d", s)
	}
	require.Equal(t, p.Members(), q.Members())
	require.Equal(t, p.Replicas(), q.Replicas())
	require.NotEqual(t, p.Primary(0), q.Primary(0), "the original is unchanged")
	require.Equal(t, p.Owners(0)[0], tbl.Primary(0))

	// A member that is not in the placement (it left) is ignored.
	other := testIDs(5, 44)[4]
	require.NoError(t, tbl.SetMember(Member{ID: other}))
	require.NoError(t, tbl.SetPreferred(0, other))
	require.Equal(t, p.Owners(0), p.WithPreferences(tbl).Owners(0))
}
