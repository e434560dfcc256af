package zset

import (
	"errors"
	"fmt"
	"math"
)

// checkSkiplist checks every invariant of z's form (arena.go): for the
// big form, the node tiling of the word arena, the free lists, level-0
// order and predecessor links, the tail, the level, the spans at every
// level, ranks both ways, the hash chains and the arena accounting; for
// the small form, order and the members' byte count.
func checkSkiplist(z *Set) error {
	b := z.big
	if b == nil {
		var data int64
		for i, e := range z.small {
			data += allocSize(len(e.member))
			if i > 0 && !lessEntry(z.small[i-1], e) {
				return fmt.Errorf("small form out of order at %d", i)
			}
		}
		if data != z.data {
			return fmt.Errorf("small data %d, members hold %d", z.data, data)
		}
		return nil
	}
	w := b.words
	if len(w) < headWords || w[0] != 0 || b.height(headNode) != zslMaxLevel {
		return errors.New("bad head")
	}
	// Tiling: the nodes after the head cover words exactly; walk them from
	// the end, where each node's last word gives its height.
	kind := map[uint32]byte{} // node -> 'n' (tiled), 'f' (free), 'l' (live)
	for end := len(w); end > headWords; {
		x := uint32(end - wFixed)
		h := b.height(x)
		if h < 1 || h > zslMaxLevel || int(x)-h < headWords {
			return fmt.Errorf("node %d: height %d does not fit the arena of %d words", x, h, len(w))
		}
		kind[x] = 'n'
		end = int(x) - h
	}
	// Free lists.
	freeWords := 0
	for h := 1; h <= zslMaxLevel; h++ {
		for x := b.free[h-1]; x != 0; x = b.prev(x) {
			if kind[x] != 'n' {
				return fmt.Errorf("free node %d of height %d: not a node, or twice", x, h)
			}
			if b.height(x) != h {
				return fmt.Errorf("free node %d of height %d on list %d", x, b.height(x), h)
			}
			kind[x] = 'f'
			freeWords += wFixed + h
		}
	}
	if freeWords != b.freeWords {
		return fmt.Errorf("freeWords %d, free lists hold %d", b.freeWords, freeWords)
	}
	// Level 0: order, predecessors, tail, members.
	var order []uint32
	pos := map[uint32]int{headNode: 0}
	prev, liveBytes, top := uint32(0), 0, 1
	for x := b.first(); x != 0; x = b.next(x, 0) {
		if kind[x] != 'n' {
			return fmt.Errorf("list node %d: not a node, free, or twice (%c)", x, kind[x])
		}
		kind[x] = 'l'
		if b.prev(x) != prev {
			return fmt.Errorf("node %d: predecessor %d, want %d", x, b.prev(x), prev)
		}
		if math.IsNaN(b.score(x)) {
			return fmt.Errorf("node %d: NaN score", x)
		}
		if prev != 0 && !b.before(prev, b.score(x), b.member(x)) {
			return fmt.Errorf("node %d (%q) not after %d (%q)", x, b.member(x), prev, b.member(prev))
		}
		mw := w[x+wMember]
		if uint64(uint32(mw))+mw>>32 > uint64(len(b.members)) {
			return fmt.Errorf("node %d: member past the arena", x)
		}
		liveBytes += b.memberLen(x)
		top = max(top, b.height(x))
		order = append(order, x)
		pos[x] = len(order)
		prev = x
	}
	if len(order) != b.length || b.tail != prev {
		return fmt.Errorf("length %d tail %d, list has %d ending at %d", b.length, b.tail, len(order), prev)
	}
	if top != b.level {
		return fmt.Errorf("level %d, tallest node %d", b.level, top)
	}
	for x, k := range kind {
		if k == 'n' {
			return fmt.Errorf("node %d neither live nor free", x)
		}
	}
	liveWords := len(w) - headWords - freeWords
	for _, x := range order {
		liveWords -= wFixed + b.height(x)
	}
	if liveWords != 0 {
		return fmt.Errorf("arena accounting: %d words unexplained", liveWords)
	}
	if liveBytes+b.garbage != len(b.members) {
		return fmt.Errorf("members arena %d bytes, live %d + garbage %d", len(b.members), liveBytes, b.garbage)
	}
	// Spans at every level, and every tall enough node at each level.
	for i := 0; i < b.level; i++ {
		seen := 0
		for x := uint32(headNode); x != 0; x = b.next(x, i) {
			nx, sp := b.next(x, i), int(b.span(x, i))
			want := b.length - pos[x]
			if nx != 0 {
				want = pos[nx] - pos[x]
				seen++
				if b.height(nx) <= i {
					return fmt.Errorf("level %d: node %d of height %d", i, nx, b.height(nx))
				}
			}
			if sp != want {
				return fmt.Errorf("level %d: span of %d is %d, want %d", i, x, sp, want)
			}
		}
		tall := 0
		for _, x := range order {
			if b.height(x) > i {
				tall++
			}
		}
		if seen != tall {
			return fmt.Errorf("level %d links %d nodes of %d tall enough", i, seen, tall)
		}
	}
	// Ranks both ways.
	for r, x := range order {
		if b.byRank(r) != x || b.rank(x) != r {
			return fmt.Errorf("rank %d: byRank %d, rank of %d is %d", r, b.byRank(r), x, b.rank(x))
		}
	}
	// Hash chains.
	if n := len(b.buckets); n != 0 && (n < zdictMinSize || n&(n-1) != 0) {
		return fmt.Errorf("%d buckets", n)
	}
	inChain := map[uint32]bool{}
	for bk, x := range b.buckets {
		for ; x != 0; x = b.hnext(x) {
			if kind[x] != 'l' || inChain[x] {
				return fmt.Errorf("chain %d: node %d not live or twice", bk, x)
			}
			inChain[x] = true
			if b.hash(x) != zhash([]byte(b.member(x))) || int(b.hash(x))&(len(b.buckets)-1) != bk {
				return fmt.Errorf("node %d in chain %d: wrong hash", x, bk)
			}
		}
	}
	if len(inChain) != b.length {
		return fmt.Errorf("chains hold %d nodes of %d", len(inChain), b.length)
	}
	return nil
}

func lessEntry(a, b zentry) bool {
	return a.score < b.score || (a.score == b.score && a.member < b.member)
}

// checkModel compares z's contents with the model: elements in order,
// and each member's rank and score.
func checkModel(z *Set, m zmodel) error {
	want := m.sorted()
	if z.Len() != len(want) {
		return fmt.Errorf("length %d, model %d", z.Len(), len(want))
	}
	i := 0
	var err error
	z.Each(func(mb string, s float64) bool {
		if i >= len(want) || want[i] != (zentry{mb, s}) {
			err = fmt.Errorf("element %d: %q %v", i, mb, s)
			return false
		}
		i++
		return true
	})
	if err != nil {
		return err
	}
	for i, e := range want {
		r, s, ok := z.Rank([]byte(e.member))
		if !ok || r != i || s != e.score {
			return fmt.Errorf("rank of %q: %d %v %v, want %d %v", e.member, r, s, ok, i, e.score)
		}
	}
	return nil
}
