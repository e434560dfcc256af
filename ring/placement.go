package ring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/buraksezer/consistent"
	"github.com/cespare/xxhash/v2"
)

// Limits of a placement. They keep member indexes in a uint16 and a slot's
// owner list in a small fixed array (see Table).
const (
	// MaxMembers is the largest cluster Place accepts (Redis Cluster
	// recommends at most 1000 nodes).
	MaxMembers = 1024
	// MaxReplicas is the largest replica count Place accepts.
	MaxReplicas = MaxOwners - 2
)

// Parameters of the consistent-hashing ring. They are part of the placement
// function: every node must use the same values, so they are constants.
const (
	// virtualNodes is consistent's ReplicationFactor: points per member on
	// the hash circle. 40 is the smallest value at which, for 3 to 64
	// members, the bounded-load rule rarely has to push a slot past its
	// natural owner (ring variance falls as 1/sqrt(points)), so that adding
	// or removing one member moves close to 1/N of the slots; more points
	// barely improve that and cost time in consistent.New (see
	// TestPlaceMovedFraction and BenchmarkPlace).
	virtualNodes = 40
	// loadFactor is consistent's Load: no member is given more than
	// ceil(loadFactor * SlotCount / N) primaries. The same factor bounds
	// replica loads.
	loadFactor = 1.25
)

// ErrNoMembers is returned by Place when the member set is empty.
var ErrNoMembers = errors.New("placement needs at least one member")

// slotHasher is the consistent.Hasher of the ring: members' virtual nodes
// are placed by xxhash64, and slots at evenly spaced points in slot order.
//
// consistent hashes each partition ID (8 little-endian bytes) to place it on
// the circle. Hashing them too would scatter neighbouring slots over every
// member, so a 3-node cluster would answer CLUSTER SLOTS with some 13,000
// ranges. Spacing slots evenly in order keeps each arc between two virtual
// nodes one contiguous range (about virtualNodes ranges per member) while
// balance and movement on join or leave stay those of consistent hashing:
// they depend on where the members' points fall, which xxhash still decides.
// Virtual-node keys are "index:40-hex-id", never 8 bytes long, so the two
// kinds of key cannot be confused.
type slotHasher struct{}

// slotSpacing is the distance between two slots' points on the circle.
const slotSpacing = math.MaxUint64/SlotCount + 1

// Sum64 places a partition ID by its order and anything else by xxhash64.
func (slotHasher) Sum64(b []byte) uint64 {
	if len(b) == 8 {
		return binary.LittleEndian.Uint64(b) * slotSpacing
	}
	return xxhash.Sum64(b)
}

// Placement is the target placement of every slot: where data should live
// when the cluster is at rest, a pure function of the member set and the
// replica count. It is immutable once built and safe for concurrent use.
type Placement struct {
	members  []NodeID // sorted ascending; owners holds indexes into it
	replicas int      // replicas per slot: min(requested, len(members)-1)
	// owners holds, for slot s, owners[s*stride : (s+1)*stride]: the
	// primary's index, then the replicas' in the order they were chosen.
	owners []uint16
}

// Place computes the target placement of all SlotCount slots over members,
// with replicas replicas per slot (as many as possible, len(members)-1, when
// there are fewer members than replicas+1). The result depends only on the
// set of members, not on their order.
//
// Primaries come from buraksezer/consistent (consistent hashing with bounded
// loads): one consistent.New over the sorted members with PartitionCount
// SlotCount, 40 virtual nodes per member, Load 1.25 and xxhash; the primary
// of slot s is the owner of partition s. No member leads more than
// ceil(1.25 * SlotCount / N) slots, and a change of one member moves about
// 1/N of the primaries.
//
// Replicas are chosen here, not with consistent's GetClosestN, which gives
// every slot of a node the same followers: when that node died, one
// follower would take all its load. Let want(P) = |slots of P| * R / (N-1),
// the replicas of P's slots each other member holds under a perfectly even
// spread, and bound = ceil(1.25 * SlotCount * R / N). Slots are taken in
// ascending order; each replica of slot s (primary P) is picked among the
// members not yet chosen for s, ranked by a rendezvous hash of (arc of s, member),
// as the best ranked candidate that passes, relaxing in this order (slots
// are ranked per arc of the hash circle, see arcs):
//
//  1. it holds fewer than ceil(1.25 * want(P)) replicas of P's slots, and
//     fewer than bound replicas in all;
//  2. it holds fewer than bound replicas;
//  3. (only when the bound cannot be met, as when R = N-1 puts every
//     member on every slot) the least loaded candidate.
//
// Rendezvous ranking alone spreads P's slots evenly in expectation, but in
// large clusters, where want(P) is a handful, some members would get none.
// So a repair pass follows: for every pair (P, Y) where Y holds fewer than
// max(1, want(P)/2) replicas of P's slots, it moves replicas of P's slots to
// Y (within the bound), each taken from the member holding the most of them,
// choosing among ties the slot where Y ranks highest.
//
// The result, for N >= 3 and want(P) >= 1: every other member holds between
// max(1, want/2) and about 1.25 * want replicas of P's slots, so when P dies
// its slots are promoted all over the cluster; every member's replica load
// stays within the bound. Everything is a function of the member set, and
// because rendezvous ranking does not depend on which members exist except
// through the caps, a join puts few replicas on nodes that did not hold the
// slot: measured 1.3/N to 3.8/N of them from 3 to 16 members, 6/N at 32 and
// 10/N at 64, where ranking whole arcs makes the caps act coarsely (see
// TestPlaceReplicaChurn); in exchange a 3-node cluster's CLUSTER SLOTS has
// about 100 ranges instead of 13,000.
func Place(members []NodeID, replicas int) (*Placement, error) {
	n := len(members)
	switch {
	case n == 0:
		return nil, ErrNoMembers
	case n > MaxMembers:
		return nil, fmt.Errorf("place %d members: at most %d are supported", n, MaxMembers)
	case replicas < 0 || replicas > MaxReplicas:
		return nil, fmt.Errorf("place %d replicas: want 0 to %d", replicas, MaxReplicas)
	}
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	for i, id := range sorted {
		if err := id.Validate(); err != nil {
			return nil, fmt.Errorf("place: member %d: %w", i, err)
		}
		if i > 0 && sorted[i-1] == id {
			return nil, fmt.Errorf("place: member %s listed twice", id)
		}
	}
	p := &Placement{members: sorted, replicas: min(replicas, n-1)}
	stride := 1 + p.replicas
	p.owners = make([]uint16, SlotCount*stride)
	if err := p.placePrimaries(stride); err != nil {
		return nil, err
	}
	p.placeReplicas(stride)
	return p, nil
}

// placePrimaries fills the primary of every slot from one consistent ring.
func (p *Placement) placePrimaries(stride int) (err error) {
	index := make(map[NodeID]uint16, len(p.members))
	cm := make([]consistent.Member, len(p.members))
	for i, id := range p.members {
		index[id] = uint16(i)
		cm[i] = id
	}
	// consistent panics when the bounded load cannot hold every
	// partition. With Load 1.25 it always can (N * ceil(1.25*S/N) >= S for
	// any N >= 1), but a library panic must not take down the coordinator.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("place %d members: consistent: %v", len(p.members), r)
		}
	}()
	c := consistent.New(cm, consistent.Config{
		Hasher:            slotHasher{},
		PartitionCount:    SlotCount,
		ReplicationFactor: virtualNodes,
		Load:              loadFactor,
	})
	for s := range SlotCount {
		owner := c.GetPartitionOwner(s)
		if owner == nil {
			return fmt.Errorf("place: consistent left slot %d without owner", s)
		}
		i, ok := index[NodeID(owner.String())]
		if !ok {
			return fmt.Errorf("place: consistent gave slot %d to unknown member %q", s, owner.String())
		}
		p.owners[s*stride] = i
	}
	return nil
}

// placeReplicas chooses the replicas of every slot; see Place.
func (p *Placement) placeReplicas(stride int) {
	n, r := len(p.members), p.replicas
	if r == 0 {
		return
	}
	bound := replicaBound(n, r)
	arc := p.arcs()
	seeds := make([]uint64, n)
	for i, id := range p.members {
		seeds[i] = xxhash.Sum64String(string(id))
	}
	// slotsOf[P] lists P's slots, ascending; want[P] is the replicas of
	// P's slots each other member would hold under a perfectly even spread.
	slotsOf := make([][]int, n)
	for s := range SlotCount {
		prim := p.owners[s*stride]
		slotsOf[prim] = append(slotsOf[prim], s)
	}
	pairCap := make([]int, n)
	for i := range n {
		want := float64(len(slotsOf[i])*r) / float64(n-1)
		pairCap[i] = int(math.Ceil(loadFactor * want))
	}
	load := make([]int, n)   // replicas held by each member
	pair := make([]int, n*n) // pair[P*n+Y]: replicas of P's slots held by Y
	chosen := make([]bool, n)
	for s := range SlotCount {
		row := p.owners[s*stride : (s+1)*stride]
		prim := int(row[0])
		chosen[prim] = true
		for k := 1; k <= r; k++ {
			best := -1
			// Rules 1 and 2: the best ranked candidate under the bounds.
			for rule := 1; rule <= 2 && best < 0; rule++ {
				var bestScore uint64
				for y := range n {
					if chosen[y] || load[y] >= bound {
						continue
					}
					if rule == 1 && pair[prim*n+y] >= pairCap[prim] {
						continue
					}
					if sc := rendezvous(seeds[y], arc[s]); best < 0 || sc > bestScore {
						best, bestScore = y, sc
					}
				}
			}
			// Rule 3: the bound is infeasible; take the least loaded.
			if best < 0 {
				for y := range n {
					if !chosen[y] && (best < 0 || load[y] < load[best]) {
						best = y
					}
				}
			}
			row[k] = uint16(best)
			chosen[best] = true
			load[best]++
			pair[prim*n+best]++
		}
		for _, i := range row {
			chosen[i] = false
		}
	}
	p.repairSpread(stride, seeds, slotsOf, pair, load, bound, arc)
}

// arcs returns, for each slot, a key naming the arc of the hash circle the
// slot falls on: the point of the first virtual node at or after the slot's
// position, as consistent (v1.0.0: virtual node i of member m is at
// xxhash("i:m")) computes it. Replica candidates are ranked per arc, so the
// slots of one arc mostly share a replica set and CLUSTER SLOTS lists about
// one range per arc instead of one per slot. A join or leave adds or removes
// only its own member's points, so every other arc keeps its key and its
// ranking: replica churn stays close to that of the primaries.
func (p *Placement) arcs() []uint64 {
	points := make([]uint64, 0, len(p.members)*virtualNodes)
	for _, id := range p.members {
		for i := range virtualNodes {
			points = append(points, xxhash.Sum64String(strconv.Itoa(i)+":"+string(id)))
		}
	}
	slices.Sort(points)
	arc := make([]uint64, SlotCount)
	j := 0
	for s := range SlotCount {
		pos := uint64(s) * slotSpacing
		for j < len(points) && points[j] < pos {
			j++
		}
		arc[s] = points[j%len(points)]
	}
	return arc
}

// repairSpread is the last step of replica placement. Rendezvous ranking
// leaves, where P has few slots per other member (large clusters), some
// members with no or very few replicas of P's slots. For each such pair
// (P, Y) it moves replicas of P's slots to Y, taking each from the member
// that holds the most of them (ties: the slot where Y ranks highest), until Y
// holds floor(want/2), at least one, or no legal move is left.
func (p *Placement) repairSpread(stride int, seeds []uint64, slotsOf [][]int, pair, load []int, bound int, arc []uint64) {
	n, r := len(p.members), p.replicas
	for prim := range n {
		want := float64(len(slotsOf[prim])*r) / float64(n-1)
		floor := max(1, int(want/2))
		if want < 1 {
			continue // fewer replicas than other members: cannot cover all
		}
		for y := range n {
			for y != prim && pair[prim*n+y] < floor && load[y] < bound {
				bestS, bestK, bestPair := -1, 0, floor+1
				var bestScore uint64
				for _, s := range slotsOf[prim] {
					row := p.owners[s*stride : (s+1)*stride]
					if slices.Contains(row, uint16(y)) {
						continue
					}
					sc := rendezvous(seeds[y], arc[s])
					for k := 1; k <= r; k++ {
						pz := pair[prim*n+int(row[k])]
						if pz > bestPair || (pz == bestPair && bestS >= 0 && sc > bestScore) {
							bestS, bestK, bestPair, bestScore = s, k, pz, sc
						}
					}
				}
				if bestS < 0 {
					break
				}
				row := p.owners[bestS*stride : (bestS+1)*stride]
				z := int(row[bestK])
				row[bestK] = uint16(y)
				pair[prim*n+z]--
				load[z]--
				pair[prim*n+y]++
				load[y]++
			}
		}
	}
}

// replicaBound is the most replicas a member should hold: ceil(1.25 x the
// average), the same slack consistent allows for primaries.
func replicaBound(n, r int) int {
	return int(math.Ceil(loadFactor * float64(SlotCount*r) / float64(n)))
}

// primaryBound is the most primaries consistent gives one member.
func primaryBound(n int) int {
	return int(math.Ceil(loadFactor * float64(SlotCount) / float64(n)))
}

// rendezvous ranks a member (by its seed) for an arc key: a 64-bit mix
// (splitmix64's finalizer) of both, so every arc ranks the members in an
// independent pseudo-random order.
func rendezvous(seed, key uint64) uint64 {
	z := seed ^ (key+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Members returns the members, sorted by ID. The caller must not modify it.
func (p *Placement) Members() []NodeID { return p.members }

// Replicas returns the number of replicas of every slot: the requested
// count, or len(Members())-1 when there are too few members for it.
func (p *Placement) Replicas() int { return p.replicas }

// Primary returns the target primary of slot.
func (p *Placement) Primary(slot uint16) NodeID {
	return p.members[p.owners[int(slot)*(1+p.replicas)]]
}

// Owners returns the target owners of slot: the primary, then the replicas.
func (p *Placement) Owners(slot uint16) []NodeID {
	return p.AppendOwners(nil, slot)
}

// AppendOwners appends the target owners of slot to dst: Owners without an
// allocation, for loops over every slot.
func (p *Placement) AppendOwners(dst []NodeID, slot uint16) []NodeID {
	stride := 1 + p.replicas
	for _, i := range p.owners[int(slot)*stride : (int(slot)+1)*stride] {
		dst = append(dst, p.members[i])
	}
	return dst
}

// Load counts the slots a member leads and replicates.
type Load struct {
	Primaries, Replicas int
}

// Loads returns every member's load, for balance checks, INFO and the admin
// page.
func (p *Placement) Loads() map[NodeID]Load {
	loads := make(map[NodeID]Load, len(p.members))
	for _, id := range p.members {
		loads[id] = Load{}
	}
	stride := 1 + p.replicas
	for i, m := range p.owners {
		id := p.members[m]
		l := loads[id]
		if i%stride == 0 {
			l.Primaries++
		} else {
			l.Replicas++
		}
		loads[id] = l
	}
	return loads
}

// WithPreferences returns the placement adjusted by the preferred primaries
// t records (Table.SetPreferred, set by CLUSTER FAILOVER): in every slot
// whose preferred node is one of its owners here, that node becomes the
// primary and the placement's primary takes its place among the replicas,
// so the slot keeps its owner set and only its leader changes. Preferences
// naming a node that is not an owner of the slot here are ignored. It
// returns p itself when t changes nothing.
func (p *Placement) WithPreferences(t *Table) *Placement {
	if t == nil {
		return p
	}
	index := make(map[NodeID]uint16, len(p.members))
	for i, id := range p.members {
		index[id] = uint16(i)
	}
	stride := 1 + p.replicas
	var out *Placement
	for s := range SlotCount {
		pref := t.Preferred(uint16(s))
		if pref == "" {
			continue
		}
		i, ok := index[pref]
		if !ok {
			continue
		}
		row := p.owners[s*stride : (s+1)*stride]
		k := slices.Index(row, i)
		if k <= 0 {
			continue // not an owner here, or the primary already
		}
		if out == nil {
			out = &Placement{members: p.members, replicas: p.replicas, owners: slices.Clone(p.owners)}
		}
		row = out.owners[s*stride : (s+1)*stride]
		row[0], row[k] = row[k], row[0]
	}
	if out == nil {
		return p
	}
	return out
}
