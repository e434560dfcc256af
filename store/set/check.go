package set

import (
	"encoding/binary"
	"fmt"
)

// Check verifies the invariants of the set's layout, for tests of the set
// and of the layers that write it: the intset is sorted without repeats;
// every member is indexed once at a slot its probe chain reaches, offs and
// idx agree, the free list names the holes, the byte count is right, and
// the encoding's limits hold, lim being the greatest limits any write was
// given (a lower limit converts a set only when a write passes it).
func (s *Set) Check(lim Limits) error {
	if s.enc == setIntset {
		for i := 1; i < len(s.ints); i++ {
			if s.ints[i-1] >= s.ints[i] {
				return fmt.Errorf("intset out of order at %d: %d then %d", i, s.ints[i-1], s.ints[i])
			}
		}
		if len(s.ints) > lim.maxIntset() {
			return fmt.Errorf("intset of %d members, over %d", len(s.ints), lim.maxIntset())
		}
		return nil
	}
	holes := 0
	for _, off := range s.offs {
		if off == holeOff {
			holes++
		}
	}
	switch {
	case len(s.offs)-holes != s.live:
		return fmt.Errorf("%d members in offs, live says %d", len(s.offs)-holes, s.live)
	case holes != len(s.free):
		return fmt.Errorf("%d holes, %d on the free list", holes, len(s.free))
	case s.enc == setListpack && holes > 0:
		return fmt.Errorf("a listpack set has %d holes", holes)
	case s.enc == setListpack && s.live > lim.Entries:
		return fmt.Errorf("listpack set of %d members, over %d", s.live, lim.Entries)
	}
	indexed := 0
	mask := len(s.idx) - 1
	for p, e := range s.idx {
		if e == 0 {
			continue
		}
		indexed++
		i := int(uint32(e)) - 1
		if i >= len(s.offs) || s.offs[i] == holeOff {
			return fmt.Errorf("index slot %d names entry %d, not a member", p, i)
		}
		m := s.member(i)
		if memberHash(m) != uint32(e>>32) {
			return fmt.Errorf("member %q indexed under another hash", m)
		}
		for q := int(memberHash(m)) & mask; q != p; q = (q + 1) & mask {
			if s.idx[q] == 0 {
				return fmt.Errorf("member %q unreachable from its home", m)
			}
		}
	}
	if indexed != s.live {
		return fmt.Errorf("%d members indexed, %d live", indexed, s.live)
	}
	used := 0
	for i, off := range s.offs {
		if off != holeOff {
			used += len(binary.AppendUvarint(nil, uint64(len(s.member(i))))) + len(s.member(i))
		}
	}
	if used != len(s.data)-s.garbage {
		return fmt.Errorf("members use %d bytes, data less garbage is %d", used, len(s.data)-s.garbage)
	}
	return nil
}
