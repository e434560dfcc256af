package server

import (
	"math"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGCPercentFor(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, 100},
		{1 << 20, 100},           // headroom 16 MB > live: the default
		{16 << 20, 100},          // headroom = live
		{32 << 20, 50},           // 16 MB of headroom
		{128 << 20, 12},          // live/8 = 16 MB
		{8 << 30, 12},            // live/8
		{math.MaxUint64 / 2, 12}, // no overflow
	} {
		assert.Equal(t, tc.want, gcPercentFor(tc.live), "live=%d", tc.live)
	}
}

func TestHistQuantile(t *testing.T) {
	inf := math.Inf(1)
	h := &metrics.Float64Histogram{Buckets: []float64{0, 1, 2, 4, inf}, Counts: []uint64{0, 0, 0, 0}}
	assert.Zero(t, histQuantile(h, 0.99), "empty")
	h.Counts = []uint64{98, 1, 1, 0} // 100 values: 98 in [0,1), one in [1,2), one in [2,4)
	assert.Equal(t, 1.0, histQuantile(h, 0.5))
	assert.Equal(t, 2.0, histQuantile(h, 0.99))
	assert.Equal(t, 4.0, histQuantile(h, 1))
	h.Counts = []uint64{1, 0, 0, 1}
	assert.Equal(t, 4.0, histQuantile(h, 1), "an unbounded last bucket reports its lower bound")
}

func TestInfoGCFacts(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	c := ts.client(t, 2)
	runtime.GC() // at least one cycle, so the pause histogram has an entry
	info, err := c.Info(ctx, "memory").Result()
	require.NoError(t, err)
	num := func(name string) float64 {
		m := regexp.MustCompile(`(?m)^` + name + `:([0-9.]+)\r$`).FindStringSubmatch(info)
		require.NotNil(t, m, "INFO memory has %s:\n%s", name, info)
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		return v
	}
	assert.Positive(t, num("go_gc_percent"))
	assert.Positive(t, num("go_heap_live"))
	assert.Positive(t, num("go_heap_objects"))
	assert.Positive(t, num("go_gc_pause_max_us"))
	assert.LessOrEqual(t, num("go_gc_pause_p99_us"), num("go_gc_pause_max_us"))
	f := num("go_gc_cpu_fraction")
	assert.True(t, f >= 0 && f <= 1, "gc cpu fraction %v", f)
}
