package gctune

import (
	"math"
	"runtime/metrics"
	"testing"

	"github.com/stretchr/testify/assert"
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
