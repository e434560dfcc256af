package set

import "slices"

// Op is an operation of the set algebra commands.
type Op uint8

// The set algebra operations.
const (
	Inter Op = iota // SINTER, SINTERSTORE
	Union           // SUNION, SUNIONSTORE
	Diff            // SDIFF, SDIFFSTORE
)

// InterEach calls fn for each member of the intersection of sets (none
// nil), iterating the smallest and testing the others, until fn returns
// false.
func InterEach(sets []*Set, fn func(m []byte) bool) {
	sorted := slices.Clone(sets)
	slices.SortStableFunc(sorted, func(a, b *Set) int { return a.Len() - b.Len() })
	first := sorted[0]
	first.Each(func(m []byte) bool {
		for _, o := range sorted[1:] {
			if o != first && !o.Has(m) {
				return true
			}
		}
		return fn(m)
	})
}

// Combine computes op over sets (a nil set is an empty one) into res, an
// empty set: Fresh(true) builds the result as Redis builds the result of
// the *STORE commands (from an empty intset, converting as members are
// added under lim).
func Combine(op Op, sets []*Set, res *Set, lim Limits) {
	switch op {
	case Inter:
		if slices.Contains(sets, nil) {
			return
		}
		InterEach(sets, func(m []byte) bool { res.Add(m, lim); return true })
	case Union:
		for _, s := range sets {
			if s != nil {
				s.Each(func(m []byte) bool { res.Add(m, lim); return true })
			}
		}
	case Diff:
		first := sets[0]
		if first == nil || slices.Contains(sets[1:], first) {
			return
		}
		first.Each(func(m []byte) bool {
			for _, o := range sets[1:] {
				if o != nil && o.Has(m) {
					return true
				}
			}
			res.Add(m, lim)
			return true
		})
	}
}

// Reserve prepares the set for n members about to be added, as Redis's
// SADD converts a small set up front when it is given more members than
// its encoding holds.
func (s *Set) Reserve(n int, lim Limits) {
	if (s.enc == setListpack && n > lim.Entries) || (s.enc == setIntset && n > lim.maxIntset()) {
		s.convert(setHashtable)
		s.growIndex(s.live + n)
	}
}

// Gen is the SSCAN cursor generation (the high half of a cursor); it
// changes when the set moves members (closing holes, Renew).
func (s *Set) Gen() uint32 { return s.gen }
