package events

import (
	"fmt"
	"slices"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// Membership returns the events of a routing table change as of at: the
// members of after that were not in before (joined) and those of before
// that after drops (left the routing table).
func Membership(before, after []ring.Member, epoch uint64, at time.Time) []Event {
	has := func(ms []ring.Member, id ring.NodeID) bool {
		return slices.ContainsFunc(ms, func(m ring.Member) bool { return m.ID == id })
	}
	var out []Event
	for _, m := range after {
		if !has(before, m.ID) {
			out = append(out, Event{At: at, Kind: Joined, Node: string(m.ID), Epoch: epoch,
				Text: fmt.Sprintf("node %s at %s joined (epoch %d)", Short(m.ID), m.Addr, epoch)})
		}
	}
	for _, m := range before {
		if !has(after, m.ID) {
			out = append(out, Event{At: at, Kind: Left, Node: string(m.ID), Epoch: epoch,
				Text: fmt.Sprintf("node %s at %s left the routing table (epoch %d)", Short(m.ID), m.Addr, epoch)})
		}
	}
	return out
}

// Short is a node ID as events show it: its first 8 characters.
func Short(id ring.NodeID) string {
	if len(id) > 8 {
		return string(id[:8])
	}
	return string(id)
}
