package store

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/store/evict"
)

// TestLatencyHook checks that the store reports its own cycles to the
// latency hook under Redis's event names: every active expiry cycle, and
// a Reclaim that may evict; not a Reclaim under the limit, nor one whose
// policy forbids eviction (Redis's performEvictions times neither).
func TestLatencyHook(t *testing.T) {
	for _, policy := range []evict.Policy{evict.AllKeysLRU, evict.NoEviction} {
		t.Run(policy.String(), func(t *testing.T) {
			s, clk := newTestStore(t, Config{Policy: policy})
			var events []string
			s.SetLatencyHook(func(event string, d time.Duration) {
				assert.GreaterOrEqual(t, d, time.Duration(0))
				events = append(events, event)
			})
			base := s.UsedMemory()
			for i := range 500 {
				put(t, s, "k"+strconv.Itoa(i), "value", clk.MS()+1000)
			}
			require.NoError(t, s.Reclaim())
			assert.Empty(t, events, "no limit: nothing to reclaim")

			clk.Advance(2 * time.Second)
			s.expireCycle(time.Hour)
			assert.Equal(t, []string{"expire-cycle"}, events)

			events = nil
			for i := range 500 {
				put(t, s, "p"+strconv.Itoa(i), "value", 0)
			}
			loadHalfLimit(s, base)
			err := s.Reclaim()
			if policy == evict.NoEviction {
				require.ErrorIs(t, err, ErrOOM)
				assert.Empty(t, events)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{"eviction-cycle"}, events)
		})
	}
	s, _ := newTestStore(t, Config{})
	s.SetLatencyHook(nil) // back to none: a cycle must still run
	s.expireCycle(time.Hour)
}
