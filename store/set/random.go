package set

import (
	"math/rand/v2"
	"slices"
)

// Random members, for SRANDMEMBER and SPOP. Members of an intset are
// formatted into a scratch buffer the caller gets from Scratch; the other
// encodings hand out slices of the set's memory, valid until it changes.

// Scratch returns a buffer for formatting an intset's members (nil for
// other encodings, which need none: no allocation on their paths).
func (s *Set) Scratch() []byte {
	if s.enc == setIntset {
		return make([]byte, 0, 20)
	}
	return nil
}

// RandomMembers draws SRANDMEMBER's members with a count, by Redis's
// cases: count < 0 gives |count| members drawn independently (repeats
// allowed); count >= 0 gives min(count, size) distinct members. head gets
// the number of members before the first call of fn.
func (s *Set) RandomMembers(count int64, head func(n int), fn func(m []byte)) {
	size := int64(s.Len())
	buf := s.Scratch()
	switch {
	case count < 0:
		head(int(-count))
		for range -count {
			fn(s.randomMember(buf[:0]))
		}
	case count >= size:
		head(int(size))
		s.Each(func(m []byte) bool { fn(m); return true })
	default:
		head(int(count))
		for _, i := range s.sample(int(count)) {
			fn(s.at(i, buf[:0]))
		}
	}
}

// randomMember returns a uniformly random member (s not empty).
func (s *Set) randomMember(buf []byte) []byte {
	if s.enc == setIntset {
		return appendInt(buf[:0], s.ints[rand.IntN(len(s.ints))])
	}
	return s.member(s.randomIndex())
}

// at returns member i: position i of an intset, dense entry i otherwise
// (as sample returns them).
func (s *Set) at(i int, buf []byte) []byte {
	if s.enc == setIntset {
		return appendInt(buf, s.ints[i])
	}
	return s.member(i)
}

// sample returns count distinct random positions (as at takes them),
// 0 < count < size, uniformly: when count is a large part of the set, a
// partial shuffle of every position (Redis's CASE 3), else draws with
// rejection of repeats (CASE 4).
func (s *Set) sample(count int) []int {
	size := s.Len()
	if count*3 > size {
		all := make([]int, 0, size)
		if s.enc == setIntset {
			for i := range s.ints {
				all = append(all, i)
			}
		} else {
			for i, off := range s.offs {
				if off != holeOff {
					all = append(all, i)
				}
			}
		}
		for i := range count {
			j := i + rand.IntN(len(all)-i)
			all[i], all[j] = all[j], all[i]
		}
		return all[:count]
	}
	picked := make(map[int]struct{}, count)
	out := make([]int, 0, count)
	for len(out) < count {
		var i int
		if s.enc == setIntset {
			i = rand.IntN(len(s.ints))
		} else {
			i = s.randomIndex()
		}
		if _, dup := picked[i]; !dup {
			picked[i] = struct{}{}
			out = append(out, i)
		}
	}
	return out
}

// PopRandom removes a uniformly random member (s not empty), calling fn
// with it before it goes; buf is Scratch's buffer.
func (s *Set) PopRandom(buf []byte, fn func(m []byte)) {
	if s.enc == setIntset {
		i := rand.IntN(len(s.ints))
		fn(appendInt(buf[:0], s.ints[i]))
		s.ints = slices.Delete(s.ints, i, i+1)
		return
	}
	i := s.randomIndex()
	m := s.member(i)
	fn(m)
	p, _, _ := s.find(m, memberHash(m))
	s.removeAt(p, i)
}

// Renew rebuilds the set in the encoding a new set of its members would
// have (Redis's SPOP when few members are left), in a new cursor
// generation, converting under lim.
func (s *Set) Renew(lim Limits) {
	fresh := Fresh(s.enc == setIntset)
	s.Each(func(m []byte) bool { fresh.Add(m, lim); return true })
	fresh.gen = s.gen + 1
	*s = fresh
}

// appendInt appends v in decimal.
func appendInt(b []byte, v int64) []byte {
	if v >= 0 && v < 10 {
		return append(b, byte('0'+v))
	}
	var tmp [20]byte
	i := len(tmp)
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	for u > 0 {
		i--
		tmp[i] = byte('0' + u%10)
		u /= 10
	}
	if v < 0 {
		i--
		tmp[i] = '-'
	}
	return append(b, tmp[i:]...)
}
