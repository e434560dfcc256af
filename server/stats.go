package server

import (
	"math"
	"time"

	"github.com/meshcache/meshcache/store"
)

// What the server shows of itself to readers outside the front end (the
// admin port's /metrics, /readyz and status page, server/admin): snapshots
// of the counters INFO reads, never the counters themselves.

// Stats is a snapshot of the node's counters: INFO's server, clients,
// stats and memory figures. Each field is read atomically; the fields
// together are not one instant.
type Stats struct {
	Started             time.Time // when New built the server (uptime)
	Clients             int64     // connections open now
	MaxClients          int64     // the maxclients setting
	CommandsProcessed   int64
	ConnectionsReceived int64
	RejectedConnections int64 // refused at maxclients
	NetInputBytes       int64
	NetOutputBytes      int64
	UnexpectedErrors    int64 // handler panics
	MaxMemory           int64 // the maxmemory setting; 0: no limit
	Keyspace            store.Stats
}

// Stats returns a snapshot of the node's counters. CONFIG RESETSTAT zeroes
// the resettable ones.
func (s *Server) Stats() Stats {
	return Stats{
		Started:             s.started,
		Clients:             s.nclients.Load(),
		MaxClients:          s.lim.maxClients.Load(),
		CommandsProcessed:   s.stats.commandsProcessed.Load(),
		ConnectionsReceived: s.stats.connectionsReceived.Load(),
		RejectedConnections: s.stats.rejectedConnections.Load(),
		NetInputBytes:       s.stats.netInputBytes.Load(),
		NetOutputBytes:      s.stats.netOutputBytes.Load(),
		UnexpectedErrors:    s.stats.unexpectedErrors.Load(),
		MaxMemory:           s.lim.maxMemory.Load(),
		Keyspace:            s.store.Stats(),
	}
}

// Stopping reports whether the server is shutting down (SHUTDOWN, Close):
// it no longer takes clients.
func (s *Server) Stopping() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// CommandStats is one command's counters at one moment (INFO commandstats
// and latencystats, /metrics).
type CommandStats struct {
	Name     string // subcommands as container|sub
	Calls    int64  // the sum of Latency: read together, they agree
	Failed   int64  // ran and replied with an error
	Rejected int64  // refused before running
	Usec     int64  // time spent running, in microseconds
	Latency  LatencyCounts
}

// CommandStats calls f with the counters of every command that was called,
// rejected or failed at least once since the last CONFIG RESETSTAT, in
// name order, each container followed by its subcommands, as INFO
// commandstats lists them.
func (s *Server) CommandStats(f func(CommandStats)) {
	s.eachCommand(func(e *entry) {
		l := e.stats.latencySnapshot() // one read: calls and histogram agree
		cs := CommandStats{Name: e.Name, Calls: l.total(), Failed: e.stats.failed.Load(),
			Rejected: e.stats.rejected.Load(), Latency: l}
		if cs.Calls == 0 && cs.Failed == 0 && cs.Rejected == 0 {
			return
		}
		cs.Usec = e.stats.usec.Load()
		f(cs)
	})
}

// LatencyCounts is one command's latency buckets read at one moment, not
// cumulative: bucket i counts the calls that took at most LatencyBound(i)
// microseconds and more than LatencyBound(i-1); the last one counts the
// calls slower than every finite bound.
type LatencyCounts [latencyBuckets]int64

// latencySnapshot reads the command's latency buckets. Calls recorded
// meanwhile may be seen in one bucket and not another; each count is exact
// and their total is the calls count of the moment.
func (s *cmdStats) latencySnapshot() LatencyCounts {
	var l LatencyCounts
	for i := range s.latency {
		l[i] = s.latency[i].Load()
	}
	return l
}

// LatencyBound returns the upper bound of latency bucket i in
// microseconds (2^i); +Inf for the last bucket.
func LatencyBound(i int) float64 {
	if i >= latencyBuckets-1 {
		return math.Inf(1)
	}
	return float64(int64(1) << i)
}

// total is the number of calls counted.
func (l *LatencyCounts) total() int64 {
	var n int64
	for _, c := range l {
		n += c
	}
	return n
}

// percentile estimates the p-th percentile (0 < p <= 100) in microseconds,
// as Prometheus's histogram_quantile does: it finds the bucket holding the
// rank and interpolates linearly inside it. Buckets double, so the figure
// is within a factor of two of the true value; past the last finite bound
// it is that bound. 0 when nothing was counted.
func (l *LatencyCounts) percentile(p float64) float64 {
	n := l.total()
	if n == 0 {
		return 0
	}
	rank := p * float64(n) / 100 // in this order 99.9% of 1000 is exactly 999
	var below int64
	for i, c := range l {
		if c == 0 || float64(below+c) < rank {
			below += c
			continue
		}
		if i == latencyBuckets-1 {
			return LatencyBound(i - 1)
		}
		lo := 0.0
		if i > 0 {
			lo = LatencyBound(i - 1)
		}
		return lo + (LatencyBound(i)-lo)*(rank-float64(below))/float64(c)
	}
	return LatencyBound(latencyBuckets - 2)
}
