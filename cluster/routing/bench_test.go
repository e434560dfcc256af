package routing

import (
	"testing"

	"github.com/meshcache/meshcache/cluster/override"
	"github.com/meshcache/meshcache/ring"
)

// benchRouter returns b's router for a three-node table with every slot
// assigned (a third to each node), c dead and one forward override.
func benchRouter(tb testing.TB) *Router {
	ids := []ring.NodeID{a, b, c}
	t, err := ring.NewTable(7, a, []ring.Member{{ID: a}, {ID: b}, {ID: c}})
	if err != nil {
		tb.Fatal(err)
	}
	for s := range ring.SlotCount {
		i := s * 3 / ring.SlotCount
		if err := t.SetOwners(uint16(s), ids[i], ids[(i+1)%3]); err != nil {
			tb.Fatal(err)
		}
	}
	r := NewRouter(b)
	r.SetTable(t, nil)
	r.SetDead(deadSet(c))
	r.SetForward([]uint16{ring.SlotCount / 2}, &override.Forward{To: a, Epoch: 7})
	return r
}

// BenchmarkSetTable measures adopting a table: settling the overrides
// and building every slot's route.
func BenchmarkSetTable(bb *testing.B) {
	r := benchRouter(bb)
	t := r.Snapshot().Table
	bb.ReportAllocs()
	for bb.Loop() {
		r.SetTable(t, nil)
	}
}

// BenchmarkRouterRoute measures Router.Route from parallel callers.
func BenchmarkRouterRoute(bb *testing.B) {
	r := benchRouter(bb)
	bb.ReportAllocs()
	bb.RunParallel(func(pb *testing.PB) {
		slot := uint16(0)
		for pb.Next() {
			if _, local := r.Route(slot); local && slot >= ring.SlotCount {
				bb.Error("a slot out of range routed here")
			}
			slot = (slot + 97) % ring.SlotCount
		}
	})
}

// BenchmarkSetForward measures a handoff's publish of one batch of 100
// slots' forward overrides.
func BenchmarkSetForward(bb *testing.B) {
	r := benchRouter(bb)
	slots := make([]uint16, 100)
	for i := range slots {
		slots[i] = uint16(i * 7)
	}
	fwd := &override.Forward{To: c, Epoch: 7}
	bb.ReportAllocs()
	for bb.Loop() {
		r.SetForward(slots, fwd)
	}
}
