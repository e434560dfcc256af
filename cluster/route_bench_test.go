package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/meshcache/meshcache/cluster/members"
	"github.com/meshcache/meshcache/cluster/routing"
	"github.com/meshcache/meshcache/ring"
)

// routeBenchNode returns a node b of a three-node table whose slots are
// spread over a, b and c (primary first, one replica), with c reported
// dead by gossip: the state Node.Route decides from on a serving node.
func routeBenchNode(tb testing.TB) *Node {
	tb.Helper()
	id := func(c string) ring.NodeID { return ring.NodeID(strings.Repeat(c, ring.NodeIDLen)) }
	a, b, c := id("a"), id("b"), id("c")
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
	router := routing.NewRouter(b)
	n := &Node{id: b, members: members.New(b, router.SetDead), router: router}
	n.repl = &replicator{n: n}
	n.members.Update(Meta{ID: a}, true, time.Now())
	n.members.Update(Meta{ID: c}, false, time.Now())
	n.router.SetTable(t, func() { n.table.Store(t) })
	return n
}

// BenchmarkRoute measures Node.Route, which the server calls for every
// keyed command, over slots led by every node: one caller (serial) and
// one per core (parallel).
func BenchmarkRoute(b *testing.B) {
	n := routeBenchNode(b)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		slot := uint16(0)
		for b.Loop() {
			if _, local := n.Route(slot); local && slot >= ring.SlotCount {
				b.Fatal("a slot out of range routed here")
			}
			slot = (slot + 97) % ring.SlotCount
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			slot := uint16(0)
			for pb.Next() {
				if _, local := n.Route(slot); local && slot >= ring.SlotCount {
					b.Error("a slot out of range routed here")
				}
				slot = (slot + 97) % ring.SlotCount
			}
		})
	})
}
