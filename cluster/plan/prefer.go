package plan

import (
	"fmt"
	"slices"

	"github.com/meshcache/meshcache/ring"
)

// PreferStep records CLUSTER FAILOVER requests in next, a NextTable of t:
// every slot a requester replicates in t, and that it owns in the target
// placement too, prefers it as primary. A preference for the placement's
// own primary is no preference and is cleared instead. Requesters that are
// not alive or are draining are skipped. It returns, per requester, the
// slots recorded; nothing was written when every count is zero.
func PreferStep(next, t *ring.Table, v View, target *ring.Placement, requesters []ring.NodeID) (map[ring.NodeID]int, error) {
	slots := make(map[ring.NodeID]int)
	for _, id := range requesters {
		if m, ok := v.Alive[id]; !ok || m.Draining {
			continue
		}
		for _, slot := range t.ReplicaSlots(id) {
			if !slices.Contains(target.Owners(slot), id) {
				continue
			}
			pref := id
			if target.Primary(slot) == id {
				pref = ""
			}
			if err := next.SetPreferred(slot, pref); err != nil {
				return nil, fmt.Errorf("prefer slot %d: %w", slot, err)
			}
			slots[id]++
		}
	}
	return slots, nil
}
