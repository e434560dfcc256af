package server

import (
	"strings"
	"time"

	"github.com/meshcache/meshcache/server/latency"
)

// The front end's side of LATENCY (package latency): dispatch samples every
// command at least latency-monitor-threshold milliseconds long as
// "command", or "fast-command" for the table's fast commands, as Redis's
// call() does; the command reads the monitor and the per-command
// histograms through latencyHost.

// noteLatency samples a command that crossed latency-monitor-threshold.
func (s *Server) noteLatency(e *entry, dur time.Duration, end time.Time) {
	event := "command"
	if e.Flags&FlagFast != 0 {
		event = "fast-command"
	}
	s.latency.Add(event, dur.Milliseconds(), end)
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
		for _, x := range append([]*entry{e}, e.sorted...) {
			if l := x.stats.Latency(); l.Total() > 0 {
				out = append(out, latency.Histogram{Name: x.Name, Latency: l})
			}
		}
	}
	if len(names) == 0 {
		for _, e := range h.s.sorted {
			add(e)
		}
	}
	for _, n := range names {
		if e := h.s.lookupName(strings.ToLower(string(n))); e != nil {
			add(e)
		}
	}
	return out
}
