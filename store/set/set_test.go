package set

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// members returns the set's members, sorted.
func members(s *Set) []string {
	var out []string
	s.Each(func(m []byte) bool { out = append(out, string(m)); return true })
	sort.Strings(out)
	return out
}

// TestSetModel runs random adds, removals and pops on one Set against a
// map, checking the layout's invariants and the encoding Redis 7.2 would
// report after each step.
func TestSetModel(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		s := NewFor([]byte("1"), 1, DefaultLimits)
		model := map[string]bool{}
		everString := false
		for step := 0; step < 2000; step++ {
			var m string
			switch rng.IntN(4) {
			case 0:
				m = "m" + strconv.Itoa(rng.IntN(400))
			default:
				m = strconv.Itoa(rng.IntN(800) - 100)
			}
			switch op := rng.IntN(10); {
			case op < 6:
				require.Equal(t, !model[m], s.Add([]byte(m), DefaultLimits), "add %q", m)
				model[m] = true
				if m[0] == 'm' {
					everString = true
				}
			case op < 9:
				require.Equal(t, model[m], s.Remove([]byte(m)), "remove %q", m)
				delete(model, m)
			case s.Len() > 0:
				s.PopRandom(s.Scratch(), func(p []byte) {
					require.True(t, model[string(p)], "popped %q, not a member", p)
					delete(model, string(p))
				})
			}
			require.Equal(t, len(model), s.Len())
			require.NoError(t, s.Check(DefaultLimits), "step %d", step)
			if !everString && s.Len() <= 512 {
				require.Equal(t, "intset", s.Encoding())
			}
		}
		var want []string
		for m := range model {
			want = append(want, m)
			require.True(t, s.Has([]byte(m)))
		}
		sort.Strings(want)
		require.Equal(t, want, members(&s))
		c := s.Clone()
		require.NoError(t, c.Check(DefaultLimits))
		require.Equal(t, want, members(&c))
	}
}

// TestSetEncodingLimits follows Redis 7.2's conversions: intset up to 512
// integers, listpack up to 128 members of 64 bytes, else hashtable, and
// never back down.
func TestSetEncodingLimits(t *testing.T) {
	s := NewFor([]byte("1"), 1, DefaultLimits)
	for i := range 512 {
		s.Add([]byte(strconv.Itoa(i)), DefaultLimits)
	}
	assert.Equal(t, "intset", s.Encoding())
	s.Add([]byte("512"), DefaultLimits)
	assert.Equal(t, "hashtable", s.Encoding())

	s = NewFor([]byte("1"), 1, DefaultLimits)
	s.Add([]byte("a"), DefaultLimits)
	assert.Equal(t, "listpack", s.Encoding())
	for i := range 127 {
		s.Add([]byte("x"+strconv.Itoa(i)), DefaultLimits)
	}
	assert.Equal(t, 128, s.Len())
	assert.Equal(t, "listpack", s.Encoding())
	s.Add([]byte("one more"), DefaultLimits)
	assert.Equal(t, "hashtable", s.Encoding())
	s.Remove([]byte("one more"))
	assert.Equal(t, "hashtable", s.Encoding(), "no conversion back")

	h := NewFor([]byte("a"), 129, DefaultLimits)
	assert.Equal(t, "hashtable", h.Encoding(), "a hint over the listpack limit")
	l := Fresh(false)
	l.Add(make([]byte, 65), DefaultLimits)
	assert.Equal(t, "hashtable", l.Encoding(), "a member over 64 bytes")
}

// TestSetLimits: under each limit, at it, below and above it, the set
// takes Redis 7.2's encoding; a lower limit converts a set only at its
// next write, and no limit converts it back.
func TestSetLimits(t *testing.T) {
	for _, lim := range []Limits{DefaultLimits, {Intset: 0, Entries: 0, Value: 0}, {Intset: 3, Entries: 2, Value: 4}, {Intset: 1, Entries: 5, Value: 1}} {
		t.Run(fmt.Sprintf("%d/%d/%d", lim.Intset, lim.Entries, lim.Value), func(t *testing.T) {
			ints := Fresh(true)
			for i := range lim.Intset {
				ints.Add([]byte(strconv.Itoa(i)), lim)
			}
			assert.Equal(t, "intset", ints.Encoding(), "at the intset limit")
			ints.Add([]byte(strconv.Itoa(lim.Intset)), lim)
			assert.Equal(t, "hashtable", ints.Encoding(), "above the intset limit")
			require.NoError(t, ints.Check(lim))

			member := func(i int) []byte {
				if lim.Value >= 4 {
					return []byte("m" + strconv.Itoa(i))
				}
				return []byte{byte('a' + i)}[:min(1, lim.Value)]
			}
			lp := Fresh(false)
			for i := range lim.Entries {
				lp.Add(member(i), lim)
			}
			if lim.Entries > 0 {
				assert.Equal(t, "listpack", lp.Encoding(), "at the listpack limit")
				require.NoError(t, lp.Check(lim))
			}
			lp.Add(member(lim.Entries), lim)
			assert.Equal(t, "hashtable", lp.Encoding(), "above the listpack limit")

			at := Fresh(false)
			at.Add([]byte(strings.Repeat("v", lim.Value)), lim)
			assert.Equal(t, lim.Entries == 0, at.Encoding() == "hashtable", "a member as long as the value limit")
			over := Fresh(false)
			over.Add([]byte(strings.Repeat("v", lim.Value+1)), lim)
			assert.Equal(t, "hashtable", over.Encoding(), "a member over the value limit")

			one := NewFor([]byte("1"), 1, lim)
			assert.Equal(t, lim.Intset >= 1 || lim.Entries >= 1, one.Encoding() != "hashtable", "a new set of one")
		})
	}
	// An intset's integers count against the listpack value limit when a
	// string joins them (Redis's maxelelen).
	s := Fresh(true)
	s.Add([]byte("-12345"), DefaultLimits)
	s.Add([]byte("x"), Limits{Intset: 512, Entries: 128, Value: 5})
	assert.Equal(t, "hashtable", s.Encoding(), "-12345 is 6 bytes, over 5")
	s = Fresh(true)
	s.Add([]byte("-1234"), DefaultLimits)
	s.Add([]byte("x"), Limits{Intset: 512, Entries: 128, Value: 5})
	assert.Equal(t, "listpack", s.Encoding())

	// A limit lowered at run time converts at the next write only.
	s = Fresh(false)
	for i := range 10 {
		s.Add([]byte("m"+strconv.Itoa(i)), DefaultLimits)
	}
	assert.Equal(t, "listpack", s.Encoding())
	s.Add([]byte("m0"), Limits{Intset: 512, Entries: 5, Value: 64})
	assert.Equal(t, "listpack", s.Encoding(), "not a new member: Redis returns before converting")
	s.Add([]byte("m10"), Limits{Intset: 512, Entries: 5, Value: 64})
	assert.Equal(t, "hashtable", s.Encoding(), "a new member under a limit of 5")
	s.Remove([]byte("m10"))
	s.Add([]byte("m11"), DefaultLimits)
	assert.Equal(t, "hashtable", s.Encoding(), "never back")
}

// TestCombine checks the set algebra over nil (missing) and real sets.
func TestCombine(t *testing.T) {
	mk := func(ms ...string) *Set {
		s := Fresh(true)
		for _, m := range ms {
			s.Add([]byte(m), DefaultLimits)
		}
		return &s
	}
	a, b := mk("1", "2", "3", "x"), mk("2", "3", "y")
	for _, tc := range []struct {
		op   Op
		sets []*Set
		want []string
	}{
		{Inter, []*Set{a, b}, []string{"2", "3"}},
		{Inter, []*Set{a, nil}, nil},
		{Union, []*Set{a, nil, b}, []string{"1", "2", "3", "x", "y"}},
		{Diff, []*Set{a, b}, []string{"1", "x"}},
		{Diff, []*Set{a, a}, nil},
		{Diff, []*Set{nil, a}, nil},
	} {
		res := Fresh(true)
		Combine(tc.op, tc.sets, &res, DefaultLimits)
		require.NoError(t, res.Check(DefaultLimits))
		assert.Equal(t, tc.want, members(&res), "%v", tc.op)
	}
}
