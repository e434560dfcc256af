package server

import (
	"strings"
	"time"

	"github.com/meshcache/meshcache/server/latency"
)

// The front end's side of LATENCY (package latency): dispatch samples every
// command at least latency-monitor-threshold milliseconds long as
// "command", or "fast-command" for the table's fast commands, as Redis's
// call() does, and the store's cycles as their own events
// (store.LatencyHook); the command reads the monitor and the per-command
// histograms through latencyHost.

// noteLatency samples a command that crossed latency-monitor-threshold.
func (s *Server) noteLatency(e *entry, dur time.Duration, end time.Time) {
	event := "command"
	if e.Flags&FlagFast != 0 {
		event = "fast-command"
	}
	s.latency.Add(event, dur.Milliseconds(), end)
}

// noteStoreLatency samples the store's own cycles (active expiry,
// eviction) that crossed latency-monitor-threshold, under the store's
// event names (store.LatencyHook).
func (s *Server) noteStoreLatency(event string, d time.Duration) {
	if over := s.lim.latencyOver.Load(); over > 0 && d.Milliseconds() >= over {
		s.latency.Add(event, d.Milliseconds(), time.Now())
	}
}

// LatencyHost gives LATENCY's handlers their node (latency.Conn).
func (c *Call) LatencyHost() latency.Host { return latencyHost{c.Server} }

type latencyHost struct{ s *Server }

func (h latencyHost) Monitor() *latency.Monitor { return &h.s.latency }

func (h latencyHost) Env() latency.Env {
	cfg := h.s.Config()
	return latency.Env{ThresholdMs: cfg.LatencyMonitorThreshold, SlowerThanUs: cfg.SlowlogLogSlowerThan,
		AnonHugePages: latency.AnonHugePages()}
}

func (h latencyHost) Histograms(names [][]byte) []latency.Histogram {
	var out []latency.Histogram
	add := func(e *entry) {
		for _, x := range append([]*entry{e}, e.Sorted...) {
			if l := x.Stats.Latency(); l.Total() > 0 {
				out = append(out, latency.Histogram{Name: x.Name, Latency: l})
			}
		}
	}
	if len(names) == 0 {
		for _, e := range h.s.table.Sorted {
			add(e)
		}
	}
	for _, n := range names {
		if e := h.s.table.LookupName(strings.ToLower(string(n))); e != nil {
			add(e)
		}
	}
	return out
}
