package plan

import (
	"fmt"
	"strings"

	"github.com/meshcache/meshcache/ring"
)

// Targets computes target placements and keeps the last one, so that a
// placement is computed once per member set and replica count rather than
// on every tick, and its adjustment by a table's preferred primaries once
// per table. The zero value is ready; not safe for concurrent use.
type Targets struct {
	key string // the member IDs and replica count p was placed for
	p   *ring.Placement
	// prefTable and prefBase are what pref, the placement with the
	// table's preferred primaries, was computed from.
	prefTable *ring.Table
	prefBase  *ring.Placement
	pref      *ring.Placement
}

// Get returns the placement of ids (sorted, as Placed returns members)
// with replicas replicas per slot.
func (c *Targets) Get(ids []ring.NodeID, replicas int) (*ring.Placement, error) {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(string(id))
	}
	fmt.Fprintf(&b, "/%d", replicas)
	if key := b.String(); key != c.key || c.p == nil {
		p, err := ring.Place(ids, replicas)
		if err != nil {
			return nil, err
		}
		c.key, c.p = key, p
	}
	return c.p, nil
}

// WithPreferences returns p adjusted by t's preferred primaries, computed
// once per table and placement.
func (c *Targets) WithPreferences(p *ring.Placement, t *ring.Table) *ring.Placement {
	if c.prefTable != t || c.prefBase != p {
		c.prefTable, c.prefBase, c.pref = t, p, p.WithPreferences(t)
	}
	return c.pref
}
