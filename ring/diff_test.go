package ring

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDiffMatchesItsDefinition: Diff, which compares member positions,
// lists exactly the slots whose primary or replica set (in any order)
// differs by ID from the placement's, or that are not stable, on tables
// that share some members with the placement and not others, with
// replicas shuffled and slots emptied.
func TestDiffMatchesItsDefinition(t *testing.T) {
	ids := testIDs(6, 41)
	r := rand.New(rand.NewPCG(7, 11))
	for round := range 20 {
		target := mustPlace(t, ids[:3+round%3], 1+round%2)
		tbl := placedTable(t, 1, mustPlace(t, ids[round%3:round%3+4], round%3))
		for range 300 {
			s := uint16(r.IntN(SlotCount))
			switch r.IntN(4) {
			case 0: // the target's owners, replicas in another order
				o := target.Owners(s)
				if len(o) > 2 {
					o[1], o[2] = o[2], o[1]
				}
				require.NoError(t, tbl.SetMember(Member{ID: o[0]}))
				for _, id := range o {
					if _, ok := tbl.Member(id); !ok {
						require.NoError(t, tbl.SetMember(Member{ID: id}))
					}
				}
				require.NoError(t, tbl.SetOwners(s, o...))
			case 1:
				require.NoError(t, tbl.SetOwners(s))
			case 2:
				if o := tbl.Owners(s); len(o) > 0 {
					for _, m := range tbl.Members() {
						if m.ID != o[0] {
							require.NoError(t, tbl.SetState(s, SlotState{Kind: SlotMigrating, Peer: m.ID}))
							break
						}
					}
				}
			case 3: // the target's primary with a replica too few
				o := target.Owners(s)
				if _, ok := tbl.Member(o[0]); ok {
					require.NoError(t, tbl.SetOwners(s, o[0]))
				}
			}
		}
		var want []uint16
		for s := range uint16(SlotCount) {
			d := SlotDiff{Slot: s, From: tbl.Owners(s), To: target.Owners(s), FromState: tbl.State(s)}
			if d.PrimaryChanged() || d.ReplicasChanged() || d.FromState.Kind != SlotStable {
				want = append(want, s)
			}
		}
		diffs := tbl.Diff(target)
		got := make([]uint16, len(diffs))
		for i, d := range diffs {
			got[i] = d.Slot
			require.Equal(t, tbl.Owners(d.Slot), d.From)
			require.Equal(t, target.Owners(d.Slot), d.To)
			require.Equal(t, tbl.State(d.Slot), d.FromState)
		}
		require.True(t, slices.Equal(want, got), "round %d: %d slots differ by definition, Diff lists %d", round, len(want), len(got))
		require.NotEmpty(t, want, "round %d: the scenario should leave differences", round)
	}
}
