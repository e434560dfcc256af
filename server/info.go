package server

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/gctune"
	"github.com/meshcache/meshcache/server/resp"
)

// infoSections are INFO's sections in Redis's order; the ones marked
// default are printed by a bare INFO.
var infoSections = []struct {
	name    string
	deflt   bool
	payload func(s *Server, b *strings.Builder)
}{
	{"server", true, (*Server).infoServer},
	{"clients", true, (*Server).infoClients},
	{"memory", true, (*Server).infoMemory},
	{"persistence", true, (*Server).infoPersistence},
	{"stats", true, (*Server).infoStats},
	{"replication", true, (*Server).infoReplication},
	{"cpu", true, (*Server).infoCPU},
	{"commandstats", false, (*Server).infoCommandStats},
	{"latencystats", false, (*Server).infoLatencyStats},
	{"cluster", true, (*Server).infoCluster},
	{"keyspace", true, (*Server).infoKeyspace},
}

// infoCommand: INFO [section ...]; "default", "all" and "everything" as Redis.
func infoCommand(c *Call) {
	want := map[string]bool{}
	all := false
	if len(c.Args) == 1 {
		want["default"] = true
	}
	for _, a := range c.Args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	if want["all"] || want["everything"] {
		all = true
	}
	var b strings.Builder
	for _, sec := range infoSections {
		if !(all || want[sec.name] || (want["default"] && sec.deflt)) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + strings.ToUpper(sec.name[:1]) + sec.name[1:] + "\r\n")
		sec.payload(c.Server, &b)
	}
	c.Reply.Verbatim("txt", b.String())
}

func field(b *strings.Builder, name string, v any) {
	fmt.Fprintf(b, "%s:%v\r\n", name, v)
}

func (s *Server) infoServer(b *strings.Builder) {
	cfg := s.Config()
	up := time.Since(s.started)
	now := time.Now()
	field(b, "redis_version", RedisVersion)
	field(b, "meshcache_version", Version)
	field(b, "redis_git_sha1", "00000000")
	field(b, "redis_git_dirty", 0)
	field(b, "redis_mode", "cluster")
	field(b, "os", runtime.GOOS+" "+runtime.GOARCH)
	field(b, "arch_bits", strconv.IntSize)
	field(b, "go_version", runtime.Version())
	field(b, "process_id", os.Getpid())
	field(b, "run_id", s.runID)
	field(b, "tcp_port", s.port(cfg))
	field(b, "server_time_usec", now.UnixMicro())
	field(b, "uptime_in_seconds", int64(up/time.Second))
	field(b, "uptime_in_days", int64(up/(24*time.Hour)))
	exe, err := os.Executable()
	if err != nil {
		exe = ""
	}
	field(b, "executable", exe)
	field(b, "config_file", cfg.File)
}

// port is the port actually listened on (the configured one may be 0).
func (s *Server) port(cfg config.Config) int {
	if a := s.lnAddr.Load(); a != nil {
		return a.Port
	}
	return cfg.Port
}

func (s *Server) infoClients(b *strings.Builder) {
	field(b, "connected_clients", s.nclients.Load())
	field(b, "cluster_connections", 0)
	field(b, "maxclients", s.lim.maxClients.Load())
	field(b, "blocked_clients", s.blocked.Len())
}

func (s *Server) infoMemory(b *strings.Builder) {
	st := s.store.Stats()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := processRSS()
	cfg := s.Config()
	field(b, "used_memory", st.UsedMemory)
	field(b, "used_memory_human", resp.HumanBytes(st.UsedMemory))
	field(b, "used_memory_rss", rss)
	field(b, "used_memory_rss_human", resp.HumanBytes(rss))
	field(b, "used_memory_dataset", st.UsedMemory)
	field(b, "go_heap_alloc", ms.HeapAlloc)
	field(b, "go_heap_sys", ms.HeapSys)
	field(b, "go_sys", ms.Sys)
	field(b, "go_gc_cycles", ms.NumGC)
	field(b, "go_gc_pause_total_ns", ms.PauseTotalNs)
	gc := gctune.ReadFacts()
	field(b, "go_gc_percent", gc.Percent)
	field(b, "go_heap_live", gc.LiveBytes)
	field(b, "go_heap_objects", gc.Objects)
	field(b, "go_gc_pause_p99_us", strconv.FormatFloat(gc.PauseP99US, 'f', 0, 64))
	field(b, "go_gc_pause_max_us", strconv.FormatFloat(gc.PauseMaxUS, 'f', 0, 64))
	field(b, "go_gc_cpu_fraction", strconv.FormatFloat(gc.CPUFraction, 'f', 4, 64))
	field(b, "maxmemory", cfg.MaxMemory)
	field(b, "maxmemory_human", resp.HumanBytes(cfg.MaxMemory))
	field(b, "maxmemory_policy", cfg.MaxMemoryPolicy)
	ratio := 0.0
	if st.UsedMemory > 0 {
		ratio = float64(rss) / float64(st.UsedMemory)
	}
	field(b, "mem_fragmentation_ratio", strconv.FormatFloat(ratio, 'f', 2, 64))
	field(b, "mem_allocator", "go")
}

func (s *Server) infoPersistence(b *strings.Builder) {
	field(b, "loading", 0)
	field(b, "rdb_changes_since_last_save", 0)
	field(b, "rdb_bgsave_in_progress", 0)
	field(b, "aof_enabled", 0)
	field(b, "aof_rewrite_in_progress", 0)
}

func (s *Server) infoStats(b *strings.Builder) {
	st := s.store.Stats()
	field(b, "total_connections_received", s.stats.connectionsReceived.Load())
	field(b, "total_commands_processed", s.stats.commandsProcessed.Load())
	field(b, "total_net_input_bytes", s.stats.netInputBytes.Load())
	field(b, "total_net_output_bytes", s.stats.netOutputBytes.Load())
	field(b, "rejected_connections", s.stats.rejectedConnections.Load())
	field(b, "expired_keys", st.ExpiredKeys)
	field(b, "evicted_keys", st.EvictedKeys)
	field(b, "keyspace_hits", st.KeyspaceHits)
	field(b, "keyspace_misses", st.KeyspaceMiss)
	ps := s.events.Stats()
	field(b, "pubsub_channels", int64(ps.Channels))
	field(b, "pubsub_patterns", int64(ps.Patterns))
	field(b, "pubsub_shardchannels", int64(ps.ShardChannels))
	field(b, "pubsub_fanout_dropped", ps.FanoutDropped)
	field(b, "expire_cycle_cpu_milliseconds", st.ExpireCycleMS)
	field(b, "unexpected_error_replies", s.stats.unexpectedErrors.Load())
}

// infoReplication: every node leads slots and replicates others', and the
// CLUSTER commands show each as a master without node replicas
// (server/topology), so it reports role:master and connected_slaves:0,
// the shape cluster clients and redis-cli hold. The peers it streams to
// are meshcache lines: replica_peers and one replica_peerN line per peer
// holding replicas of slots led here. offset= is the number of stream
// entries (effects) the peer acknowledged on that stream and lag= the
// seconds since its last acknowledgement while entries wait (0 when it is
// caught up); master_repl_offset is the sum of the per-slot offsets of
// the slots led here (effects sequenced). The other meshcache lines count
// slots by role and the replica-ack outcomes.
func (s *Server) infoReplication(b *strings.Builder) {
	field(b, "role", "master")
	info := s.cluster.ReplicationInfo()
	addrs := map[ring.NodeID]string{}
	for _, m := range s.cluster.Members() {
		addrs[m.ID] = m.ClientAddr
	}
	now := time.Now()
	n := 0
	var lines strings.Builder
	for _, p := range info.Peers {
		if p.Slots == 0 {
			continue
		}
		host, port, err := net.SplitHostPort(addrs[p.ID])
		if err != nil {
			host, port = "?", "0"
		}
		state := "online"
		if p.LiveSlots < p.Slots {
			state = "send_bulk" // some slots are still being transferred
		}
		lag := int64(0)
		if p.QueuedEntries > 0 && !p.LastAck.IsZero() {
			lag = int64(now.Sub(p.LastAck) / time.Second)
		}
		fmt.Fprintf(&lines, "replica_peer%d:ip=%s,port=%s,state=%s,offset=%d,lag=%d\r\n", n, host, port, state, p.AckedSeq, lag)
		n++
	}
	field(b, "connected_slaves", 0)
	field(b, "master_failover_state", "no-failover")
	field(b, "master_replid", s.runID)
	field(b, "master_repl_offset", s.cluster.LedOffsetSum())
	field(b, "replica_peers", n)
	b.WriteString(lines.String())
	replicated, syncing := s.cluster.ReplicaSlotCounts()
	field(b, "slots_led", info.LedSlots)
	field(b, "slots_replicated", replicated)
	field(b, "slots_replica_syncing", syncing)
	field(b, "slots_degraded", info.DegradedSlots)
	field(b, "replica_ack", ackMode(s.repl.mode.Load()).String())
	field(b, "min_replicas_to_write", s.repl.minReplicas.Load())
	field(b, "replica_ack_waits", s.repl.ackWaits.Load())
	field(b, "replica_ack_timeouts", s.repl.ackTimeouts.Load())
	field(b, "replica_ack_degraded", info.DegradedWaits)
	field(b, "noreplicas_rejected", s.repl.noReplicas.Load())
	field(b, "slots_lost", info.LostSlots)
	field(b, "draining", boolInt(s.Draining()))
}

func (s *Server) infoCPU(b *strings.Builder) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		s.log.Debug("getrusage", "err", err)
		return
	}
	tv := func(t syscall.Timeval) string {
		return strconv.FormatFloat(float64(t.Sec)+float64(t.Usec)/1e6, 'f', 6, 64)
	}
	field(b, "used_cpu_sys", tv(ru.Stime))
	field(b, "used_cpu_user", tv(ru.Utime))
	field(b, "goroutines", runtime.NumGoroutine())
}

// eachCommand calls f with every command in name order, each container
// followed by its subcommands, as INFO commandstats lists them.
func (s *Server) eachCommand(f func(*entry)) {
	for _, e := range s.sorted {
		f(e)
		for _, sub := range e.sorted {
			f(sub)
		}
	}
}

func (s *Server) infoCommandStats(b *strings.Builder) {
	line := func(e *entry) {
		calls := e.stats.Calls()
		rejected, failed := e.stats.Rejected.Load(), e.stats.Failed.Load()
		if calls == 0 && rejected == 0 && failed == 0 {
			return
		}
		usec := e.stats.Usec.Load()
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			e.Name, calls, usec, per, rejected, failed)
	}
	s.eachCommand(line)
}

// latencyPercentiles are the percentiles INFO latencystats shows, Redis's
// default latency-tracking-info-percentiles.
var latencyPercentiles = []struct {
	name string
	p    float64
}{{"p50", 50}, {"p99", 99}, {"p99.9", 99.9}}

// infoLatencyStats: Redis 7's latencystats section, one line per command
// called at least once, e.g.
// latency_percentiles_usec_get:p50=1.000,p99=2.000,p99.9=3.500. The
// figures come from the power-of-two buckets of cmdstats.Counters (see
// latencyCounts.percentile for their precision), not from an HDR histogram.
func (s *Server) infoLatencyStats(b *strings.Builder) {
	line := func(e *entry) {
		l := e.stats.Latency()
		if l.Total() == 0 {
			return
		}
		b.WriteString("latency_percentiles_usec_" + e.Name + ":")
		for i, q := range latencyPercentiles {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%s=%.3f", q.name, l.Percentile(q.p))
		}
		b.WriteString("\r\n")
	}
	s.eachCommand(line)
}

// infoCluster: cluster_enabled as Redis, cluster_settled (1 when this node
// sees the cluster at rest, cluster.Node.Settled), then the data movement under
// way: slots migrating or importing in the routing table, slot transfers
// (snapshots building replicas or moving slots) running and done, their
// bytes, and the configured transfer rate. A standalone node moves no
// data: it has only the first line.
func (s *Server) infoCluster(b *strings.Builder) {
	field(b, "cluster_enabled", 1)
	if s.standalone {
		field(b, "cluster_settled", 1) // a lone node leads every slot
		return
	}
	settled := 0 // the routing table at its target, nothing moving
	if ok, _ := s.cluster.Settled(); ok {
		settled = 1
	}
	field(b, "cluster_settled", settled)
	migrating, importing := s.movingSlots("")
	info := s.cluster.ReplicationInfo()
	rate := s.cluster.MigrationRate()
	field(b, "cluster_slots_migrating", migrating)
	field(b, "cluster_slots_importing", importing)
	field(b, "cluster_slot_transfers_running", info.Transfers)
	field(b, "cluster_slot_transfers_done", info.TransfersDone)
	field(b, "cluster_slot_transfers_failed", info.TransfersFail)
	field(b, "cluster_slot_transfer_bytes", info.TransferBytes)
	field(b, "cluster_slot_transfer_bytes_per_sec", int64(info.TransferRate))
	field(b, "cluster_slots_handed_off", info.Handoffs)
	field(b, "cluster_migration_rate_bytes", rate)
}

// movingSlots counts the routing table's slots in a handoff: migrating
// (the primary is handing the slot off) and importing (the new primary
// took it over). With primary set, only the slots it is the primary of
// count; with "" every slot does. Without a table, 0 and 0.
func (s *Server) movingSlots(primary ring.NodeID) (migrating, importing int) {
	t := s.cluster.Table()
	if t == nil {
		return 0, 0
	}
	for sl := range uint16(ring.SlotCount) {
		st := t.State(sl)
		if st.Kind == ring.SlotStable || (primary != "" && t.Primary(sl) != primary) {
			continue
		}
		switch st.Kind {
		case ring.SlotMigrating:
			migrating++
		case ring.SlotImporting:
			importing++
		}
	}
	return migrating, importing
}

// infoKeyspace counts the keys of the slots this node leads, as DBSIZE;
// avg_ttl is the store's estimate over every key it holds.
func (s *Server) infoKeyspace(b *strings.Builder) {
	keys, expires := s.store.CountIn(s.Leads)
	if keys == 0 {
		return
	}
	fmt.Fprintf(b, "db0:keys=%d,expires=%d,avg_ttl=%d\r\n", keys, expires, s.store.Stats().AvgTTLMillis)
}

// processRSS returns the resident set size of the process in bytes, from
// /proc on Linux; elsewhere the memory the Go runtime holds from the OS.
func processRSS() int64 {
	if data, err := os.ReadFile("/proc/self/statm"); err == nil {
		f := bytes.Fields(data)
		if len(f) >= 2 {
			if pages, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
				return pages * int64(os.Getpagesize())
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.Sys)
}
