package set

import (
	"math/rand/v2"
	"sort"
	"strconv"
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
		s := NewFor([]byte("1"), 1)
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
				require.Equal(t, !model[m], s.Add([]byte(m)), "add %q", m)
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
			require.NoError(t, s.Check(), "step %d", step)
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
		require.NoError(t, c.Check())
		require.Equal(t, want, members(&c))
	}
}

// TestSetEncodingLimits follows Redis 7.2's conversions: intset up to 512
// integers, listpack up to 128 members of 64 bytes, else hashtable, and
// never back down.
func TestSetEncodingLimits(t *testing.T) {
	s := NewFor([]byte("1"), 1)
	for i := range 512 {
		s.Add([]byte(strconv.Itoa(i)))
	}
	assert.Equal(t, "intset", s.Encoding())
	s.Add([]byte("512"))
	assert.Equal(t, "hashtable", s.Encoding())

	s = NewFor([]byte("1"), 1)
	s.Add([]byte("a"))
	assert.Equal(t, "listpack", s.Encoding())
	for i := range 127 {
		s.Add([]byte("x" + strconv.Itoa(i)))
	}
	assert.Equal(t, 128, s.Len())
	assert.Equal(t, "listpack", s.Encoding())
	s.Add([]byte("one more"))
	assert.Equal(t, "hashtable", s.Encoding())
	s.Remove([]byte("one more"))
	assert.Equal(t, "hashtable", s.Encoding(), "no conversion back")

	h := NewFor([]byte("a"), 129)
	assert.Equal(t, "hashtable", h.Encoding(), "a hint over the listpack limit")
	l := Fresh(false)
	l.Add(make([]byte, 65))
	assert.Equal(t, "hashtable", l.Encoding(), "a member over 64 bytes")
}

// TestCombine checks the set algebra over nil (missing) and real sets.
func TestCombine(t *testing.T) {
	mk := func(ms ...string) *Set {
		s := Fresh(true)
		for _, m := range ms {
			s.Add([]byte(m))
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
		Combine(tc.op, tc.sets, &res)
		require.NoError(t, res.Check())
		assert.Equal(t, tc.want, members(&res), "%v", tc.op)
	}
}
