package routing

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/override"
	"github.com/meshcache/meshcache/ring"
)

func id(c string) ring.NodeID { return ring.NodeID(strings.Repeat(c, ring.NodeIDLen)) }

var a, b, c = id("a"), id("b"), id("c")

// table returns a table of epoch with members a, b, c in which slot 0 is
// owned by owners (primary first; none: unassigned).
func table(t testing.TB, epoch uint64, owners ...ring.NodeID) *ring.Table {
	t.Helper()
	tbl, err := ring.NewTable(epoch, a, []ring.Member{{ID: a}, {ID: b}, {ID: c}})
	require.NoError(t, err)
	if len(owners) > 0 {
		require.NoError(t, tbl.SetOwners(0, owners...))
	}
	return tbl
}

func deadSet(ids ...ring.NodeID) map[ring.NodeID]struct{} {
	m := make(map[ring.NodeID]struct{})
	for _, i := range ids {
		m[i] = struct{}{}
	}
	return m
}

// TestDecide: every case of the decision, on the node self of each row.
// The overrides are those of a handoff of slot 0 from a to b under epoch
// 5: b leads by lead, a forwards to b by fwd.
func TestDecide(t *testing.T) {
	lead := &override.Lead{Epoch: 5, From: a}
	fwd := &override.Forward{To: b, Epoch: 5}
	tests := []struct {
		name  string
		t     *ring.Table
		slot  uint16
		self  ring.NodeID
		lead  *override.Lead
		fwd   *override.Forward
		dead  map[ring.NodeID]struct{}
		want  ring.NodeID
		local bool
	}{
		{"no table", nil, 0, b, nil, nil, nil, "", false},
		{"slot out of range", table(t, 5, a, b), ring.SlotCount, b, nil, nil, nil, "", false},
		{"unassigned slot", table(t, 5), 0, b, nil, nil, nil, "", false},
		{"unassigned slot, no member dead", table(t, 5), 0, b, nil, nil, deadSet(), "", false},
		{"primary self", table(t, 5, b, a), 0, b, nil, nil, nil, b, true},
		{"primary self, reported dead by a stale view", table(t, 5, b, a), 0, b, nil, nil, deadSet(b), b, true},
		{"primary another node", table(t, 5, a, b), 0, b, nil, nil, deadSet(c), a, false},
		{"primary dead", table(t, 5, a, b), 0, b, nil, nil, deadSet(a), "", false},
		{"lead held: the table of the handoff", table(t, 5, a, b), 0, b, lead, nil, nil, b, true},
		{"lead held: a newer table unaware of it", table(t, 6, a, b), 0, b, lead, nil, nil, b, true},
		{"lead held while the old primary is dead", table(t, 6, a, b), 0, b, lead, nil, deadSet(a), b, true},
		{"lead not held: the table names self", table(t, 6, b, a), 0, b, lead, nil, nil, b, true},
		{"lead not held: the table names a third node", table(t, 6, c, a, b), 0, b, lead, nil, nil, c, false},
		{"lead not held: the table dropped self", table(t, 6, a, c), 0, b, lead, nil, nil, a, false},
		{"lead not held, primary dead", table(t, 6, a, c), 0, b, lead, nil, deadSet(a), "", false},
		{"forward held: the table of the handoff", table(t, 5, a, b), 0, a, nil, fwd, nil, b, false},
		{"forward held: a newer table unaware of it", table(t, 6, a, b), 0, a, nil, fwd, nil, b, false},
		{"forward held to a node reported dead", table(t, 6, a, b), 0, a, nil, fwd, deadSet(b), b, false},
		{"forward not held: the table names the target", table(t, 6, b, a), 0, a, nil, fwd, nil, b, false},
		{"forward not held: the table dropped the target", table(t, 6, a, c), 0, a, nil, fwd, nil, a, true},
		{"forward not held: the table names a third node", table(t, 6, c, a), 0, a, nil, fwd, nil, c, false},
		{"forward not held, the third node dead", table(t, 6, c, a), 0, a, nil, fwd, deadSet(c), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, local := Decide(tt.t, tt.slot, tt.self, tt.lead, tt.fwd, tt.dead)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.local, local)
		})
	}
}

// TestBuildDecidesEverySlot: a snapshot routes every slot as Decide does,
// over random tables (unassigned slots, several primaries), overrides and
// dead sets.
func TestBuildDecidesEverySlot(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 3))
	ids := []ring.NodeID{a, b, c, id("d"), id("e")}
	members := make([]ring.Member, len(ids))
	for i, m := range ids {
		members[i] = ring.Member{ID: m}
	}
	for round := range 20 {
		tbl, err := ring.NewTable(uint64(5+round%3), a, members)
		require.NoError(t, err)
		for s := range ring.SlotCount {
			if rng.IntN(10) == 0 {
				continue // unassigned
			}
			p := rng.IntN(len(ids))
			require.NoError(t, tbl.SetOwners(uint16(s), ids[p], ids[(p+1+rng.IntN(len(ids)-1))%len(ids)]))
		}
		self := ids[rng.IntN(len(ids))]
		ov := make(map[uint16]Overrides)
		for range 300 {
			s := uint16(rng.IntN(ring.SlotCount))
			o := ov[s]
			if rng.IntN(2) == 0 {
				o.Lead = &override.Lead{Epoch: uint64(4 + rng.IntN(4)), From: ids[rng.IntN(len(ids))]}
			} else {
				o.Forward = &override.Forward{To: ids[rng.IntN(len(ids))], Epoch: uint64(4 + rng.IntN(4))}
			}
			ov[s] = o
		}
		dead := deadSet()
		for _, m := range ids {
			if rng.IntN(4) == 0 {
				dead[m] = struct{}{}
			}
		}
		snap := Build(tbl, self, ov, dead)
		require.Same(t, tbl, snap.Table)
		for s := range ring.SlotCount + 2 {
			slot := uint16(s)
			o := ov[slot]
			wantID, wantLocal := Decide(tbl, slot, self, o.Lead, o.Forward, dead)
			gotID, gotLocal := snap.Route(slot)
			if gotID != wantID || gotLocal != wantLocal {
				t.Fatalf("round %d slot %d: snapshot routes %q local %v, Decide %q local %v", round, s, gotID, gotLocal, wantID, wantLocal)
			}
		}
	}
}

// TestRouter: each change is routed by as soon as its setter returns, and
// a table that resolves an override drops it for good.
func TestRouter(t *testing.T) {
	r := NewRouter(b)
	got, local := r.Route(0)
	assert.Equal(t, ring.NodeID(""), got, "no table: nowhere")
	assert.False(t, local)
	assert.Nil(t, r.Snapshot().Table)

	t5 := table(t, 5, a, b)
	adopted := false
	r.SetTable(t5, func() {
		adopted = true
		assert.Nil(t, r.Snapshot().Table, "adopt runs before the routes change")
	})
	assert.True(t, adopted)
	assert.Same(t, t5, r.Snapshot().Table)
	got, local = r.Route(0)
	assert.Equal(t, a, got)
	assert.False(t, local)

	r.SetDead(deadSet(a))
	got, _ = r.Route(0)
	assert.Equal(t, ring.NodeID(""), got, "primary dead: nowhere")
	r.SetDead(deadSet())
	got, _ = r.Route(0)
	assert.Equal(t, a, got, "alive again")
	before := r.Snapshot()
	r.SetDead(deadSet(id("z")))
	assert.Same(t, before, r.Snapshot(), "a node the table does not name changes no route")
	r.SetDead(deadSet())
	assert.Same(t, before, r.Snapshot())

	lead := &override.Lead{Epoch: 5, From: a}
	r.SetForward([]uint16{0}, &override.Forward{To: c, Epoch: 5})
	r.SetLead([]uint16{0, ring.SlotCount}, lead)
	assert.Nil(t, r.Forward(0), "taking a slot over clears its forward override")
	assert.Same(t, lead, r.Lead(0))
	assert.Nil(t, r.Lead(ring.SlotCount))
	got, local = r.Route(0)
	assert.Equal(t, b, got)
	assert.True(t, local, "leads by the override")

	r.SetTable(table(t, 6, a, b), nil)
	assert.Same(t, lead, r.Lead(0), "kept while the table does not know")
	got, local = r.Route(0)
	assert.Equal(t, b, got)
	assert.True(t, local)
	r.SetTable(table(t, 7, b, a), nil)
	assert.Nil(t, r.Lead(0), "dropped once resolved")
	r.SetTable(table(t, 9, a, b), nil)
	assert.True(t, lead.Holds(table(t, 9, a, b), 0, b),
		"the dropped override would hold again under a later table naming a: dropping it is what keeps b from leading")
	got, local = r.Route(0)
	assert.Equal(t, a, got)
	assert.False(t, local)

	// On a, the old primary: a forward override, then the refusal clears it.
	ra := NewRouter(a)
	ra.SetTable(table(t, 9, a, b), nil)
	ra.SetForward([]uint16{0}, &override.Forward{To: b, Epoch: 9})
	got, local = ra.Route(0)
	assert.Equal(t, b, got)
	assert.False(t, local)
	ra.SetForward([]uint16{0}, nil)
	got, local = ra.Route(0)
	assert.Equal(t, a, got)
	assert.True(t, local)
}

// TestRouterFence: a change made while holding a lock (a handoff's fence)
// is seen by every caller that takes the lock after it, however many
// callers were waiting on it (the server checks the route again once it
// holds the slot lock).
func TestRouterFence(t *testing.T) {
	for range 50 {
		r := NewRouter(a)
		r.SetTable(table(t, 5, a, b), nil)
		var fence sync.Mutex
		fence.Lock()
		var wg sync.WaitGroup
		wrong := make(chan ring.NodeID, 8)
		for range 8 {
			wg.Go(func() {
				fence.Lock()
				got, _ := r.Route(0)
				fence.Unlock()
				if got != b {
					wrong <- got
				}
			})
		}
		r.SetForward([]uint16{0}, &override.Forward{To: b, Epoch: 5})
		fence.Unlock()
		wg.Wait()
		close(wrong)
		for got := range wrong {
			t.Fatalf("a caller that waited on the fence routed to %q, not the handoff's target", got)
		}
	}
}

// TestRouterConcurrent: routes read while overrides, tables and dead sets
// change are always one of the routes some state decides (run with -race).
func TestRouterConcurrent(t *testing.T) {
	r := NewRouter(a)
	r.SetTable(table(t, 5, a, b), nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, local := r.Route(0)
				if local != (got == a) || (got != a && got != b && got != "") {
					t.Errorf("routed to %q local %v", got, local)
					return
				}
			}
		})
	}
	fwd := &override.Forward{To: b, Epoch: 5}
	for i := range 200 {
		switch i % 4 {
		case 0:
			r.SetForward([]uint16{0}, fwd)
		case 1:
			r.SetForward([]uint16{0}, nil)
		case 2:
			r.SetDead(deadSet(b))
		case 3:
			r.SetDead(nil)
		}
	}
	close(stop)
	wg.Wait()
}

// TestRouterMatchesBuild: after any sequence of changes, the published
// snapshot, patched slot by slot on override changes, routes every slot
// as a snapshot built from scratch from the router's state.
func TestRouterMatchesBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 4))
	ids := []ring.NodeID{a, b, c, id("d")}
	members := make([]ring.Member, len(ids))
	for i, m := range ids {
		members[i] = ring.Member{ID: m}
	}
	newTable := func(epoch uint64) *ring.Table {
		tbl, err := ring.NewTable(epoch, a, members)
		require.NoError(t, err)
		for s := range ring.SlotCount {
			if rng.IntN(20) == 0 {
				continue // unassigned
			}
			p := (s*len(ids)/ring.SlotCount + rng.IntN(2)) % len(ids)
			require.NoError(t, tbl.SetOwners(uint16(s), ids[p], ids[(p+1)%len(ids)]))
		}
		return tbl
	}
	slotsOf := func() []uint16 {
		out := make([]uint16, 1+rng.IntN(50))
		for i := range out {
			out[i] = uint16(rng.IntN(ring.SlotCount + 1)) // now and then out of range
		}
		return out
	}
	r := NewRouter(b)
	epoch := uint64(5)
	r.SetTable(newTable(epoch), nil)
	for step := range 300 {
		switch k := rng.IntN(10); {
		case k < 4:
			r.SetForward(slotsOf(), &override.Forward{To: ids[rng.IntN(len(ids))], Epoch: epoch - 1 + uint64(rng.IntN(3))})
		case k < 6:
			r.SetForward(slotsOf(), nil)
		case k < 8:
			r.SetLead(slotsOf(), &override.Lead{Epoch: epoch - 1 + uint64(rng.IntN(3)), From: ids[rng.IntN(len(ids))]})
		case k < 9:
			dead := deadSet()
			for _, m := range append(ids, id("z")) { // z: no member
				if rng.IntN(3) == 0 {
					dead[m] = struct{}{}
				}
			}
			r.SetDead(dead)
		default:
			epoch++
			r.SetTable(newTable(epoch), nil)
		}
		for s := range ring.SlotCount * (step % 25 / 24) { // every 25th step
			o := r.ov[uint16(s)]
			require.Same(t, o.Lead, r.Lead(uint16(s)), "step %d slot %d: the lead override readers load", step, s)
			require.Same(t, o.Forward, r.Forward(uint16(s)), "step %d slot %d: the forward override readers load", step, s)
		}
		want := Build(r.table, r.self, r.ov, r.dead)
		got := r.Snapshot()
		for s := range ring.SlotCount {
			wantID, wantLocal := want.Route(uint16(s))
			gotID, gotLocal := got.Route(uint16(s))
			if gotID != wantID || gotLocal != wantLocal {
				t.Fatalf("step %d slot %d: published %q local %v, built %q local %v", step, s, gotID, gotLocal, wantID, wantLocal)
			}
		}
	}
}
