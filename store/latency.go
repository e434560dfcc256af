package store

import "time"

// The store's own work that a client never asked for, timed for Redis's
// latency monitor (LATENCY LATEST, HISTORY, DOCTOR), under Redis's event
// names:
//
//   - "expire-cycle": one active expiry cycle (expire.go), as Redis's
//     activeExpireCycle reports it;
//   - "eviction-cycle": one Reclaim that had to evict (evict.go), as
//     Redis's performEvictions reports it.
//
// The hook is told of every such cycle; whoever keeps the monitor applies
// latency-monitor-threshold, as Redis's latencyAddSampleIfNeeded does.

// LatencyHook is told that the store's event took d.
type LatencyHook func(event string, d time.Duration)

// noLatency is the hook of a store nobody monitors.
func noLatency(string, time.Duration) {}

// SetLatencyHook installs h (nil: none); call it before the store serves.
func (s *Store) SetLatencyHook(h LatencyHook) {
	if h == nil {
		h = noLatency
	}
	s.latency = h
}
