package zset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// modelRun drives a Set and the model with the same operations and
// checks every answer against the model; check runs the invariants.
type modelRun struct {
	z           *Set
	m           zmodel
	lim         Limits
	compactions int // writes after which the big form's arenas were fresh
}

// scoreOf maps a byte to a score: few distinct values, so ties are common,
// and the infinities.
func scoreOf(v byte) float64 {
	switch v % 16 {
	case 0:
		return math.Inf(-1)
	case 1:
		return math.Inf(1)
	}
	return float64(int(v%16) - 8)
}

func memberOf(v, n int) []byte { return []byte("m" + strconv.Itoa(v%n)) }

// step applies operation op (0..11) with arguments a and b to both and
// returns the first disagreement.
func (r *modelRun) step(op, a, b int, size int) error {
	z, m := r.z, r.m
	mb := memberOf(a, size)
	wasteBefore := z.big != nil && (z.big.freeWords > 0 || z.big.garbage > 0)
	want := m.sorted()
	switch op {
	case 0, 1, 2: // Put, the most common
		s := scoreOf(byte(b))
		_, existed := m[string(mb)]
		if z.Put(mb, s, r.lim) == existed {
			return fmt.Errorf("Put %s: new %v", mb, existed)
		}
		if z.big == nil && s == 0 {
			s = 0
		}
		m[string(mb)] = s
	case 3: // Lookup then PutRef, as ZADD does
		ref, s, ok := z.Lookup(mb)
		ms, mok := m[string(mb)]
		if ok != mok || s != ms {
			return fmt.Errorf("Lookup %s: %v %v, want %v %v", mb, s, ok, ms, mok)
		}
		ns := scoreOf(byte(b)) + s
		if math.IsNaN(ns) {
			ns = 1
		}
		if z.PutRef(ref, mb, ns, r.lim) == ok {
			return fmt.Errorf("PutRef %s: new %v", mb, !ok)
		}
		if z.big == nil && ns == 0 {
			ns = 0
		}
		m[string(mb)] = ns
	case 4: // Remove
		_, existed := m[string(mb)]
		if z.Remove(mb) != existed {
			return fmt.Errorf("Remove %s: %v", mb, !existed)
		}
		delete(m, string(mb))
	case 5: // Pop
		if len(want) == 0 {
			return nil
		}
		e := want[0]
		if b%2 == 1 {
			e = want[len(want)-1]
		}
		if gm, gs := z.Pop(b%2 == 1); gm != e.member || gs != e.score {
			return fmt.Errorf("Pop(%v): %q %v, want %q %v", b%2 == 1, gm, gs, e.member, e.score)
		}
		delete(m, e.member)
	case 6: // RemoveRanks
		lo := a % (len(want) + 2)
		hi := lo + b%(len(want)/2+2)
		var got []string
		n := z.RemoveRanks(lo-1, hi, func(s string) { got = append(got, s) })
		lo, hi = max(lo-1, 0), min(hi, len(want))
		if n != max(hi-lo, 0) || len(got) != n {
			return fmt.Errorf("RemoveRanks [%d,%d): %d %v", lo, hi, n, got)
		}
		for i, s := range got {
			if s != want[lo+i].member {
				return fmt.Errorf("RemoveRanks: %q at %d, want %q", s, i, want[lo+i].member)
			}
			delete(m, s)
		}
	case 7: // Score and Rank
		s, ok := z.Score(mb)
		ms, mok := m[string(mb)]
		if ok != mok || s != ms {
			return fmt.Errorf("Score %s: %v %v, want %v %v", mb, s, ok, ms, mok)
		}
		rk, _, ok := z.Rank(mb)
		if ok && want[rk].member != string(mb) {
			return fmt.Errorf("Rank %s: %d", mb, rk)
		}
	case 8: // Iter both ways
		from, rev := a%(len(want)+1), b%2 == 1
		i, limit := from, 20
		var err error
		z.Iter(from, rev, func(s string, sc float64) bool {
			if i < 0 || i >= len(want) || want[i] != (zentry{s, sc}) {
				err = fmt.Errorf("Iter(%d, %v) at %d: %q %v", from, rev, i, s, sc)
				return false
			}
			if rev {
				i--
			} else {
				i++
			}
			limit--
			return limit > 0
		})
		if err != nil {
			return err
		}
	case 9: // ScoreSpan and LexSpan
		sr := ScoreRange{Min: scoreOf(byte(a)), Max: scoreOf(byte(b)), MinEx: a%3 == 0, MaxEx: b%3 == 0}
		in := func(s float64) bool {
			return (s > sr.Min || (!sr.MinEx && s == sr.Min)) && (s < sr.Max || (!sr.MaxEx && s == sr.Max))
		}
		lo, hi := z.ScoreSpan(sr)
		for i, e := range want {
			if in(e.score) != (i >= lo && i < hi) {
				return fmt.Errorf("ScoreSpan %+v: [%d,%d) and %q %v", sr, lo, hi, e.member, e.score)
			}
		}
		lmin := LexBound{Inf: int8(a%5) - 2, Value: memberOf(a/5, size), Ex: a%2 == 0}
		lmax := LexBound{Inf: int8(b%5) - 2, Value: memberOf(b/5, size), Ex: b%2 == 0}
		for _, lb := range []*LexBound{&lmin, &lmax} {
			if lb.Inf < -1 || lb.Inf > 1 {
				lb.Inf = 0
			}
		}
		// A lexical range means something when all scores are equal: ask
		// a copy of the set with every score 0.
		flat, fm := &Set{}, zmodel{}
		for _, e := range want {
			flat.Put([]byte(e.member), 0, r.lim)
			fm[e.member] = 0
		}
		fwant := fm.sorted()
		llo, lhi := flat.LexSpan(lmin, lmax)
		wlo := countPrefix(fwant, func(e zentry) bool { return lmin.below(e.member, false) })
		whi := max(wlo, countPrefix(fwant, func(e zentry) bool { return lmax.below(e.member, true) }))
		if llo != wlo || lhi != whi {
			return fmt.Errorf("LexSpan: [%d,%d), want [%d,%d)", llo, lhi, wlo, whi)
		}
	case 10: // a whole Scan
		seen := map[string]float64{}
		cursor, calls := uint64(0), 0
		for {
			cursor = z.Scan(cursor, 1+a%7, func(s string, sc float64) { seen[s] = sc })
			if calls++; cursor == 0 || calls > 1<<20 {
				break
			}
		}
		if len(seen) != len(m) {
			return fmt.Errorf("Scan returned %d members of %d", len(seen), len(m))
		}
		for k, v := range m {
			if s, ok := seen[k]; !ok || s != v {
				return fmt.Errorf("Scan: %q %v %v", k, s, ok)
			}
		}
	case 11: // Clone: equal, then independent
		c := z.Clone()
		if err := checkSkiplist(c); err != nil {
			return fmt.Errorf("clone: %w", err)
		}
		if err := checkModel(c, m); err != nil {
			return fmt.Errorf("clone: %w", err)
		}
		c.Put([]byte("clone-only"), 1, r.lim)
		for _, e := range want[:min(len(want), 3)] {
			c.Remove([]byte(e.member))
		}
		if _, ok := z.Score([]byte("clone-only")); ok {
			return fmt.Errorf("a write to the clone changed the original")
		}
	}
	if z.big != nil && wasteBefore && z.big.freeWords == 0 && z.big.garbage == 0 {
		r.compactions++
	}
	return nil
}

func countPrefix(es []zentry, f func(zentry) bool) int {
	n := 0
	for n < len(es) && f(es[n]) {
		n++
	}
	return n
}

// TestZSetModel runs random operations against the model at sizes 5,
// 200 and 3000 in both forms, with phases that remove most of the set so
// that compaction runs, checking the invariants as it goes.
func TestZSetModel(t *testing.T) {
	for _, size := range []int{5, 200, 3000} {
		for _, lim := range []Limits{DefaultLimits, {Entries: 1, Value: 64}} {
			t.Run(fmt.Sprintf("%d/%d", size, lim.Entries), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(size), uint64(lim.Entries)))
				r := &modelRun{z: &Set{}, m: zmodel{}, lim: lim}
				ops := 20 * size
				for i := 0; i < ops; i++ {
					op := rng.IntN(12)
					if (i/size)%4 == 3 && op < 4 { // a draining phase: removals instead of puts
						op = 4 + rng.IntN(3)
					} else if (i/size)%4 != 3 && op >= 4 && op <= 6 && rng.IntN(4) > 0 {
						op = 0 // a growing phase: mostly puts
					}
					require.NoError(t, r.step(op, rng.IntN(4*size), rng.IntN(1<<16), size), "op %d (%d)", i, op)
					if i%max(1, size/4) == 0 {
						require.NoError(t, checkSkiplist(r.z), "op %d", i)
					}
				}
				require.NoError(t, checkSkiplist(r.z))
				require.NoError(t, checkModel(r.z, r.m))
				if size >= 200 {
					require.Equal(t, "skiplist", r.z.Encoding())
					require.Positive(t, r.compactions, "compaction never ran")
				}
			})
		}
	}
}

// TestZSetMemberStrings: member strings handed out before removals,
// compactions and arena growth still read their members afterwards.
func TestZSetMemberStrings(t *testing.T) {
	z := &Set{}
	for i := 0; i < 1000; i++ {
		z.Put([]byte(fmt.Sprintf("member-%04d", i)), float64(i), DefaultLimits)
	}
	var got []string
	z.Each(func(m string, _ float64) bool { got = append(got, m); return true })
	popped, _ := z.Pop(false)
	compactions := 0
	for i := 1; i < 990; i++ {
		z.Remove([]byte(fmt.Sprintf("member-%04d", i)))
		if z.big.freeWords == 0 && z.big.garbage == 0 {
			compactions++
		}
	}
	require.Positive(t, compactions)
	for i := 0; i < 5000; i++ { // grow the arenas again
		z.Put([]byte(fmt.Sprintf("new-%d", i)), -float64(i), DefaultLimits)
	}
	require.Equal(t, "member-0000", popped)
	for i, m := range got {
		require.Equal(t, fmt.Sprintf("member-%04d", i), m)
	}
	require.NoError(t, checkSkiplist(z))
}

// TestZSetCompactKeepsScan: a compaction between ZSCAN calls keeps the
// bucket count, so a member present throughout is returned.
func TestZSetCompactKeepsScan(t *testing.T) {
	z := &Set{}
	for i := 0; i < 600; i++ {
		z.Put([]byte("m"+strconv.Itoa(i)), float64(i%7), DefaultLimits)
	}
	seen := map[string]bool{}
	cursor, i, compactions := uint64(0), 0, 0
	for {
		cursor = z.Scan(cursor, 10, func(m string, _ float64) { seen[m] = true })
		for j := 0; j < 20 && i < 400; j++ { // remove m0..m399, compacting on the way
			buckets := len(z.big.buckets)
			z.Remove([]byte("m" + strconv.Itoa(i)))
			i++
			if z.big.freeWords == 0 && z.big.garbage == 0 {
				compactions++
				require.Equal(t, buckets, len(z.big.buckets), "a compaction changed the bucket count")
			}
		}
		if cursor == 0 {
			break
		}
	}
	require.Positive(t, compactions)
	for j := 400; j < 600; j++ {
		require.True(t, seen["m"+strconv.Itoa(j)], "m%d missed", j)
	}
	require.NoError(t, checkSkiplist(z))
}

// FuzzSkiplist (seed corpus in testdata/fuzz/FuzzSkiplist) runs an op-byte stream (three bytes an operation) against
// the model at a size the first byte picks, checking the invariants after
// each operation.
func FuzzSkiplist(f *testing.F) {
	f.Add([]byte("\x03\x00\x01\x02\x00\x05\x09\x04\x01\x00\x05\x00\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 900 {
			return
		}
		size := []int{3, 40, 300}[int(data[0])%3]
		lim := Limits{Entries: int(data[0]) % 7, Value: 64}
		r := &modelRun{z: &Set{}, m: zmodel{}, lim: lim}
		for p := 1; p+2 < len(data); p += 3 {
			op, a, b := int(data[p])%12, int(data[p+1]), int(data[p+2])<<4|int(data[p+1])
			if err := r.step(op, a, b, size); err != nil {
				t.Fatalf("op at %d: %v", p, err)
			}
			if err := checkSkiplist(r.z); err != nil {
				t.Fatalf("after op at %d (%d): %v", p, op, err)
			}
		}
		if err := checkModel(r.z, r.m); err != nil {
			t.Fatal(err)
		}
	})
}
