package zset

import "math"

// The skiplist half of the big form (arena.go has the layout and its
// invariants): Redis's zslInsert, zslDeleteNode, zslUpdateScore,
// zslGetRank and zslGetElementByRank over node indexes.

// before reports whether node x sorts before (score, member).
func (b *big) before(x uint32, score float64, member string) bool {
	s := b.score(x)
	return s < score || (s == score && b.member(x) < member)
}

// insertNode links x (its member, score and height set) at its place.
func (b *big) insertNode(x uint32) {
	var update, rank [zslMaxLevel]uint32
	score, member := b.score(x), b.member(x)
	w := b.words
	n := uint32(headNode)
	for i := b.level - 1; i >= 0; i-- {
		if i < b.level-1 {
			rank[i] = rank[i+1]
		}
		for {
			l := w[lvl(n, i)]
			nx := uint32(l)
			if nx == 0 || !b.before(nx, score, member) {
				break
			}
			rank[i] += uint32(l >> 32)
			n = nx
		}
		update[i] = n
	}
	h := b.height(x)
	if h > b.level {
		for i := b.level; i < h; i++ {
			rank[i] = 0
			update[i] = headNode
			w[lvl(headNode, i)] = pack(0, uint32(b.length))
		}
		b.level = h
	}
	for i := 0; i < h; i++ {
		u := &w[lvl(update[i], i)]
		next, span := uint32(*u), uint32(*u>>32)
		w[lvl(x, i)] = pack(next, span-(rank[0]-rank[i]))
		*u = pack(x, rank[0]-rank[i]+1)
	}
	for i := h; i < b.level; i++ {
		w[lvl(update[i], i)] += 1 << 32 // span++
	}
	prev := update[0]
	if prev == headNode {
		prev = 0
	}
	b.setPrev(x, prev)
	if nx := b.next(x, 0); nx != 0 {
		b.setPrev(nx, x)
	} else {
		b.tail = x
	}
	b.length++
}

// unlink removes x from the list (it must be in it).
func (b *big) unlink(x uint32) {
	var update [zslMaxLevel]uint32
	score, member := b.score(x), b.member(x)
	w := b.words
	n := uint32(headNode)
	for i := b.level - 1; i >= 0; i-- {
		for {
			nx := uint32(w[lvl(n, i)])
			if nx == 0 || nx == x || !b.before(nx, score, member) {
				break
			}
			n = nx
		}
		update[i] = n
	}
	for i := 0; i < b.level; i++ {
		u := &w[lvl(update[i], i)]
		if uint32(*u) == x {
			l := w[lvl(x, i)]
			*u = pack(uint32(l), uint32(*u>>32)+uint32(l>>32)-1)
		} else {
			*u -= 1 << 32 // span--
		}
	}
	if nx := b.next(x, 0); nx != 0 {
		b.setPrev(nx, b.prev(x))
	} else {
		b.tail = b.prev(x)
	}
	for b.level > 1 && b.next(headNode, b.level-1) == 0 {
		b.level--
	}
	b.length--
}

// updateScore moves x to score, in place when its neighbours allow it
// (as zslUpdateScore), else by unlinking and relinking the same node.
func (b *big) updateScore(x uint32, score float64) {
	p, nx := b.prev(x), b.next(x, 0)
	if (p == 0 || b.score(p) < score) && (nx == 0 || b.score(nx) > score) {
		b.words[x+wScore] = math.Float64bits(score)
		return
	}
	b.unlink(x)
	b.words[x+wScore] = math.Float64bits(score)
	b.insertNode(x)
}

// rank returns x's 0-based rank.
func (b *big) rank(x uint32) int {
	score, member := b.score(x), b.member(x)
	n, r := uint32(headNode), 0
	for i := b.level - 1; i >= 0; i-- {
		for {
			nx := b.next(n, i)
			if nx == 0 || (nx != x && !b.before(nx, score, member)) {
				break
			}
			r += int(b.span(n, i))
			n = nx
		}
		if n == x {
			return r - 1
		}
	}
	return -1 // not reached for a node of the list
}

// byRank returns the node of 0-based rank r (0 when out of range).
func (b *big) byRank(r int) uint32 {
	if r < 0 || r >= b.length {
		return 0
	}
	if r == b.length-1 {
		return b.tail
	}
	want := uint32(r + 1)
	n, traversed := uint32(headNode), uint32(0)
	for i := b.level - 1; i >= 0; i-- {
		for {
			nx, sp := b.next(n, i), b.span(n, i)
			if nx == 0 || traversed+sp > want {
				break
			}
			traversed += sp
			n = nx
		}
		if traversed == want {
			return n
		}
	}
	return 0
}

// lowerBound returns the number of nodes for which before is true: before
// must hold for a prefix of the list (true, ..., true, false, ...).
func (b *big) lowerBound(before func(score float64, member string) bool) int {
	n, traversed := uint32(headNode), 0
	for i := b.level - 1; i >= 0; i-- {
		for {
			nx := b.next(n, i)
			if nx == 0 || !before(b.score(nx), b.member(nx)) {
				break
			}
			traversed += int(b.span(n, i))
			n = nx
		}
	}
	return traversed
}
