package hash

import (
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
				require.Equal(t, !had, h.Set([]byte(f), []byte(v)))
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

// TestHashEncoding: "listpack" until more than 128 fields or a field or
// value over 64 bytes, then "hashtable" for good.
func TestHashEncoding(t *testing.T) {
	h := New()
	for i := range 128 {
		h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"))
	}
	assert.Equal(t, "listpack", h.Encoding())
	h.Set([]byte("one more"), []byte("v"))
	assert.Equal(t, "hashtable", h.Encoding())
	h.Delete([]byte("one more"))
	assert.Equal(t, "hashtable", h.Encoding(), "no conversion back")
	l := New()
	l.Set([]byte("f"), make([]byte, 65))
	assert.Equal(t, "hashtable", l.Encoding())
}

// TestHashScanGuarantee: a field present for the whole scan is returned
// although fields come and go between calls, including a shrink to small
// that renumbers them (a new generation restarts the scan).
func TestHashScanGuarantee(t *testing.T) {
	h := New()
	for i := 0; i < 400; i++ {
		h.Set([]byte("tmp"+strconv.Itoa(i)), []byte("v"))
		if i%4 == 0 {
			h.Set([]byte("keep"+strconv.Itoa(i)), []byte("v"))
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
		h.Set([]byte("new"+strconv.Itoa(round)), []byte("x"))
		if round == 3 {
			for i := 0; i < 400; i++ {
				h.Delete([]byte("tmp" + strconv.Itoa(i)))
			}
			for i := 0; i < 300; i++ {
				h.Set([]byte("new"+strconv.Itoa(i)), []byte("x"))
			}
		}
		round++
		require.Less(t, round, 10000)
	}
	for i := 0; i < 400; i += 4 {
		assert.True(t, seen["keep"+strconv.Itoa(i)], "field keep%d missed", i)
	}
}
