package events

import "github.com/meshcache/meshcache/ring"

// tracking-table-max-keys, as Redis's trackingLimitUsedSlots: while the
// table remembers more keys than the limit, keys picked at random (a map's
// order; Redis walks its radix tree at random) are forgotten and their
// readers sent an invalidation, as if each had changed. Redis checks
// before every command and before its event loop sleeps, a bounded effort
// each time; a node checks after every command (AfterCommand) and when the
// limit changes, and forgets all the excess at once.

// SetTrackingMaxKeys applies tracking-table-max-keys (0: no limit) at
// once.
func (h *Hub) SetTrackingMaxKeys(n int64) {
	t := h.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	t.maxKeys = n
	t.limitKeys()
}

// limitKeys forgets keys until at most maxKeys are remembered; t.mu is
// held.
func (t *tracker) limitKeys() {
	if t.maxKeys <= 0 || int64(len(t.keys)) <= t.maxKeys {
		return
	}
	for k := range t.keys {
		if int64(len(t.keys)) <= t.maxKeys {
			return
		}
		key := []byte(k)
		t.forget(ring.KeySlot(key), key, trackRef{})
	}
}
