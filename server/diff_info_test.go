package server

import (
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// infoMissing are the default sections of redis-server's INFO that
// meshcache does not print yet: per-error-code counters are not kept.
var infoMissing = []string{"Errorstats"}

// infoOwn are meshcache's stats fields that Redis has not.
var infoOwn = []string{"pubsub_fanout_dropped"}

// TestInfoLayoutAgainstRedis: a default INFO has redis-server's section
// headers, spelled as its (# CPU), in its order, less infoMissing; the
// stats section's fields are Redis's names in Redis's order (some of
// Redis's left out), plus infoOwn.
func TestInfoLayoutAgainstRedis(t *testing.T) {
	ctx := testCtx(t)
	var headers [2][]string
	var stats [2][]string
	for i, addr := range []string{startRedis(t), startDataServer(t)} {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
		t.Cleanup(func() { _ = c.Close() })
		all, err := c.Info(ctx).Result()
		require.NoError(t, err)
		for _, l := range strings.Split(all, "\r\n") {
			if h, ok := strings.CutPrefix(l, "# "); ok {
				headers[i] = append(headers[i], h)
			}
		}
		st, err := c.Info(ctx, "stats").Result()
		require.NoError(t, err)
		for _, l := range strings.Split(st, "\r\n") {
			if name, _, ok := strings.Cut(l, ":"); ok && !slices.Contains(infoOwn, name) {
				stats[i] = append(stats[i], name)
			}
		}
	}
	want := slices.DeleteFunc(slices.Clone(headers[0]), func(h string) bool { return slices.Contains(infoMissing, h) })
	assert.Equal(t, want, headers[1], "INFO's default sections")
	// Each of our fields is Redis's next one of that name, in order.
	at := 0
	for _, name := range stats[1] {
		k := slices.Index(stats[0][at:], name)
		if !assert.GreaterOrEqual(t, k, 0, "stats field %q: not Redis's, or out of Redis's order", name) {
			continue
		}
		at += k + 1
	}
}
