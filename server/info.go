package server

import (
	"os"
	"sync"
	"time"

	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/info"
	"github.com/meshcache/meshcache/store"
)

// INFO: package info chooses the sections and renders them; the front end
// gathers each section's numbers, only for the sections asked for.

// infoCommand: INFO [section ...].
func infoCommand(c *Call) {
	c.Reply.Verbatim("txt", info.Render(c.Args[1:], c.Server.infoSections()))
}

// infoSections are INFO's sections in Redis's order; the ones marked
// default are printed by a bare INFO.
func (s *Server) infoSections() []info.Section {
	// The sections of one INFO share one look at the store's counters and
	// one at the node's replication state: each walks every slot.
	storeStats, replInfo := sync.OnceValue(s.store.Stats), sync.OnceValue(s.cluster.ReplicationInfo)
	eventStats := sync.OnceValue(s.events.Stats) // the tracker's lock, once
	return []info.Section{
		{Name: "server", Default: true, Write: func(b *info.Builder) { b.WriteServer(s.infoServer()) }},
		{Name: "clients", Default: true, Write: func(b *info.Builder) {
			b.WriteClients(info.Clients{Connected: s.nclients.Load(), Max: s.lim.maxClients.Load(), Blocked: s.blocked.Len(),
				Tracking: int64(eventStats().TrackingClients), ClusterLinks: int64(s.cluster.Links())})
		}},
		{Name: "memory", Default: true, Write: func(b *info.Builder) {
			cfg := s.Config()
			b.WriteMemory(info.Memory{Used: storeStats().UsedMemory, MaxMemory: cfg.MaxMemory,
				Policy: cfg.MaxMemoryPolicy, Process: info.ReadMemory()})
		}},
		{Name: "persistence", Default: true, Write: func(b *info.Builder) { b.WritePersistence(s.store.Changes()) }},
		{Name: "stats", Default: true, Write: func(b *info.Builder) { b.WriteStats(s.infoStats(storeStats(), eventStats())) }},
		{Name: "replication", Default: true, Write: func(b *info.Builder) { b.WriteReplication(s.infoReplication(replInfo())) }},
		{Name: "cpu", Title: "CPU", Default: true, Write: func(b *info.Builder) {
			cpu, err := info.ReadCPU()
			if err != nil {
				s.log.Debug("getrusage", "err", err)
			}
			b.WriteCPU(cpu, err == nil)
		}},
		{Name: "modules", Default: true, Write: func(*info.Builder) {}}, // no modules: the section is empty, as Redis's without any
		{Name: "commandstats", Write: func(b *info.Builder) { b.WriteCommandStats(s.commandStats()) }},
		{Name: "latencystats", Write: func(b *info.Builder) { b.WriteLatencyStats(s.commandStats()) }},
		{Name: "cluster", Default: true, Write: func(b *info.Builder) { b.WriteCluster(s.infoCluster(replInfo)) }},
		{Name: "keyspace", Default: true, Write: func(b *info.Builder) {
			// The keys of the slots this node leads, as DBSIZE.
			keys, expires := s.store.CountIn(s.Leads)
			b.WriteKeyspace(info.Keyspace{Keys: keys, Expires: expires, AvgTTLMillis: storeStats().AvgTTLMillis})
		}},
	}
}

func (s *Server) infoServer() info.Server {
	cfg := s.Config()
	exe, err := os.Executable()
	if err != nil {
		exe = ""
	}
	return info.Server{
		RedisVersion: RedisVersion, Version: Version, PID: os.Getpid(), RunID: s.runID, Port: s.port(cfg),
		Now: time.Now(), Uptime: time.Since(s.started), Executable: exe, ConfigFile: cfg.File,
	}
}

// port is the port actually listened on (the configured one may be 0).
func (s *Server) port(cfg config.Config) int {
	if a := s.lnAddr.Load(); a != nil {
		return a.Port
	}
	return cfg.Port
}

func (s *Server) infoStats(st store.Stats, ps events.Stats) info.Stats {
	return info.Stats{
		ConnectionsReceived: s.stats.connectionsReceived.Load(), CommandsProcessed: s.stats.commandsProcessed.Load(),
		OpsPerSec: s.stats.opsRate.Rate(), InputBytesPerSec: s.stats.inRate.Rate(), OutputBytesPerSec: s.stats.outRate.Rate(),
		NetInputBytes: s.stats.netInputBytes.Load(), NetOutputBytes: s.stats.netOutputBytes.Load(),
		RejectedConnections: s.stats.rejectedConnections.Load(),
		ExpiredKeys:         st.ExpiredKeys, EvictedKeys: st.EvictedKeys, KeyspaceHits: st.KeyspaceHits, KeyspaceMisses: st.KeyspaceMiss,
		PubSubChannels:      int64(ps.Channels),
		PubSubPatterns:      int64(ps.Patterns),
		PubSubShard:         int64(ps.ShardChannels),
		PubSubFanoutDropped: ps.FanoutDropped,
		TrackingKeys:        int64(ps.TrackingKeys), TrackingItems: int64(ps.TrackingItems), TrackingPrefixes: int64(ps.TrackingPrefixes),
		ExpireCycleMS: st.ExpireCycleMS, UnexpectedErrors: s.stats.unexpectedErrors.Load(),
	}
}

func (s *Server) infoReplication(repl replinfo.Info) info.Replication {
	ack := &s.repl.ack
	n := ack.Counts()
	addrs := map[ring.NodeID]string{}
	for _, m := range s.cluster.Members() {
		addrs[m.ID] = m.ClientAddr
	}
	return info.Replication{
		RunID: s.runID, Info: repl, Addrs: addrs, Now: time.Now(),
		AckMode: ack.Mode().String(), MinReplicas: int64(ack.MinReplicas()),
		AckWaits: n.Waits, AckTimeouts: n.Timeouts, NoReplicas: n.Refused, Draining: s.Draining(),
	}
}

func (s *Server) infoCluster(repl func() replinfo.Info) info.Cluster {
	if s.standalone {
		return info.Cluster{Standalone: true}
	}
	c := info.Cluster{Info: repl(), MigrationRate: s.cluster.MigrationRate()}
	c.Settled, _ = s.cluster.SettledGiven(c.Info)
	c.Migrating, c.Importing = info.MovingSlots(s.cluster.Table(), "")
	return c
}
