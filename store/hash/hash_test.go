package hash

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHashModel runs random sets and deletes against a map and checks
// the fields, their order of insertion, the dense layout (no holes while
// small) and the byte count, which returns to zero with the last field.
func TestHashModel(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		rng := rand.New(rand.NewPCG(seed, 5))
		h := New()
		model := map[string]string{}
		for step := 0; step < 4000; step++ {
			f := "f" + strconv.Itoa(rng.IntN(300))
			if rng.IntN(3) == 0 {
				require.Equal(t, model[f] != "", h.Delete([]byte(f)))
				delete(model, f)
			} else {
				v := strings.Repeat("v", 1+rng.IntN(20))
				_, had := model[f]
				require.Equal(t, !had, h.Set([]byte(f), []byte(v), DefaultLimits))
				model[f] = v
			}
			require.Equal(t, len(model), h.Len())
			if h.Len() <= 128 {
				require.Len(t, h.fields, h.Len(), "a small hash has no holes")
			}
		}
		got := map[string]string{}
		h.Each(func(f, v string) bool { got[f] = v; return true })
		require.Equal(t, model, got)
		for f, v := range model {
			gv, ok := h.Get([]byte(f))
			require.True(t, ok)
			require.Equal(t, v, gv)
		}
		c := h.Clone()
		assert.Equal(t, h.data, c.data)
		for f := range model {
			h.Delete([]byte(f))
		}
		assert.Zero(t, h.data, "string bytes all returned")
	}
}

// TestHashEncoding: "listpack" until a write leaves more fields than the
// limit or sets a field or value longer than it, then "hashtable" for good,
// under each limit (Redis's default, the old 128, 0 and 1) at, below and
// above it.
func TestHashEncoding(t *testing.T) {
	for _, lim := range []Limits{DefaultLimits, {Entries: 128, Value: 64}, {Entries: 0, Value: 0}, {Entries: 1, Value: 3}} {
		t.Run(fmt.Sprintf("%d/%d", lim.Entries, lim.Value), func(t *testing.T) {
			h := New()
			for i := range lim.Entries {
				h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"[:min(1, lim.Value)]), lim)
			}
			if lim.Entries > 0 {
				assert.Equal(t, "listpack", h.Encoding(), "at the entries limit")
			}
			h.Set([]byte("one more"[:min(8, lim.Value)]), nil, lim)
			assert.Equal(t, "hashtable", h.Encoding(), "above the entries limit")
			h.Delete([]byte("one more"[:min(8, lim.Value)]))
			assert.Equal(t, "hashtable", h.Encoding(), "no conversion back")

			at := New()
			at.Set([]byte("f"[:min(1, lim.Value)]), make([]byte, lim.Value), lim)
			assert.Equal(t, lim.Entries == 0, at.Encoding() == "hashtable", "a value at the limit")
			above := New()
			above.Set([]byte("f"[:min(1, lim.Value)]), make([]byte, lim.Value+1), lim)
			assert.Equal(t, "hashtable", above.Encoding(), "a value over the limit")
			field := New()
			field.Set(make([]byte, lim.Value+1), nil, lim)
			assert.Equal(t, "hashtable", field.Encoding(), "a field over the limit")
		})
	}
}

// TestHashLimitChange: a lower limit given to a later write converts a
// listpack hash then; a higher one never converts a hashtable back.
func TestHashLimitChange(t *testing.T) {
	h := New()
	for i := range 10 {
		h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"), DefaultLimits)
	}
	assert.Equal(t, "listpack", h.Encoding())
	h.Set([]byte("f0"), []byte("w"), Limits{Entries: 20, Value: 64})
	assert.Equal(t, "listpack", h.Encoding(), "10 fields under a limit of 20")
	h.Set([]byte("f0"), []byte("x"), Limits{Entries: 5, Value: 64})
	assert.Equal(t, "hashtable", h.Encoding(), "an overwrite under a limit of 5 converts")
	h.Set([]byte("f1"), []byte("y"), DefaultLimits)
	assert.Equal(t, "hashtable", h.Encoding(), "never back")
}

// TestHashScanGuarantee: a field present for the whole scan is returned
// although fields come and go between calls, including a shrink to small
// that renumbers them (a new generation restarts the scan).
func TestHashScanGuarantee(t *testing.T) {
	h := New()
	for i := 0; i < 400; i++ {
		h.Set([]byte("tmp"+strconv.Itoa(i)), []byte("v"), DefaultLimits)
		if i%4 == 0 {
			h.Set([]byte("keep"+strconv.Itoa(i)), []byte("v"), DefaultLimits)
		}
	}
	seen := map[string]bool{}
	cursor, round := uint64(0), 0
	for {
		cursor = h.Scan(cursor, 10, func(f, _ string) { seen[f] = true })
		if cursor == 0 {
			break
		}
		h.Delete([]byte("tmp" + strconv.Itoa(round)))
		h.Set([]byte("new"+strconv.Itoa(round)), []byte("x"), DefaultLimits)
		if round == 3 {
			for i := 0; i < 400; i++ {
				h.Delete([]byte("tmp" + strconv.Itoa(i)))
			}
			for i := 0; i < 300; i++ {
				h.Set([]byte("new"+strconv.Itoa(i)), []byte("x"), DefaultLimits)
			}
		}
		round++
		require.Less(t, round, 10000)
	}
	for i := 0; i < 400; i += 4 {
		assert.True(t, seen["keep"+strconv.Itoa(i)], "field keep%d missed", i)
	}
}
