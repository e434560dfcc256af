package server

import (
	"regexp"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
