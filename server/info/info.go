// Package info renders INFO: the choice of sections ("default", "all",
// "everything" as Redis) and each section's lines, from numbers the front
// end gathers (the section's struct) only when the section is asked for.
// Rendering is pure: the numbers, the clock and the addresses are
// arguments. Reading the process's own figures (memory, CPU: process.go)
// is the one thing it does itself, as they belong to no part of the node.
package info

import (
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/cmdstats"
	"github.com/meshcache/meshcache/server/gctune"
	"github.com/meshcache/meshcache/server/resp"
)

// Section is one of INFO's sections: its name, whether a bare INFO prints
// it, and Write, which gathers its numbers and writes its lines; it is
// called only when the section is asked for.
type Section struct {
	Name    string
	Default bool
	Write   func(b *Builder)
	// Title is the header's text when it is not Name with its first
	// letter raised (Redis's "CPU").
	Title string
}

// title is the text of the section's "# " header.
func (sec Section) title() string {
	if sec.Title != "" {
		return sec.Title
	}
	return strings.ToUpper(sec.Name[:1]) + sec.Name[1:]
}

// Render is the text of INFO [section ...] (args: the section names, any
// case) over sections, in their order: no name means "default", "all" and
// "everything" every section; a section's lines follow a "# Name" header
// and sections are separated by an empty line.
func Render(args [][]byte, sections []Section) string {
	want := map[string]bool{}
	if len(args) == 0 {
		want["default"] = true
	}
	for _, a := range args {
		want[strings.ToLower(string(a))] = true
	}
	all := want["all"] || want["everything"]
	var b Builder
	for _, sec := range sections {
		if !(all || want[sec.Name] || (want["default"] && sec.Default)) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + sec.title() + "\r\n")
		sec.Write(&b)
	}
	return b.String()
}

// Builder collects INFO's lines.
type Builder struct{ strings.Builder }

// Field writes one "name:value" line.
func (b *Builder) Field(name string, v any) {
	fmt.Fprintf(b, "%s:%v\r\n", name, v)
}

// Server is the server section's numbers.
type Server struct {
	RedisVersion, Version string // the Redis version reported, meshcache's own
	PID                   int
	RunID                 string
	Port                  int // listened on
	Now                   time.Time
	Uptime                time.Duration
	Executable            string
	ConfigFile            string
}

// WriteServer writes the server section.
func (b *Builder) WriteServer(s Server) {
	b.Field("redis_version", s.RedisVersion)
	b.Field("meshcache_version", s.Version)
	b.Field("redis_git_sha1", "00000000")
	b.Field("redis_git_dirty", 0)
	b.Field("redis_mode", "cluster")
	b.Field("os", runtime.GOOS+" "+runtime.GOARCH)
	b.Field("arch_bits", strconv.IntSize)
	b.Field("go_version", runtime.Version())
	b.Field("process_id", s.PID)
	b.Field("run_id", s.RunID)
	b.Field("tcp_port", s.Port)
	b.Field("server_time_usec", s.Now.UnixMicro())
	b.Field("uptime_in_seconds", int64(s.Uptime/time.Second))
	b.Field("uptime_in_days", int64(s.Uptime/(24*time.Hour)))
	b.Field("executable", s.Executable)
	b.Field("config_file", s.ConfigFile)
}

// Clients is the clients section's numbers.
type Clients struct {
	Connected, Max, Blocked int64
	Tracking                int64 // clients with CLIENT TRACKING on
	ClusterLinks            int64 // internode connections (Redis: its cluster bus's sockets)
}

// WriteClients writes the clients section.
func (b *Builder) WriteClients(c Clients) {
	b.Field("connected_clients", c.Connected)
	b.Field("cluster_connections", c.ClusterLinks)
	b.Field("maxclients", c.Max)
	b.Field("blocked_clients", c.Blocked)
	b.Field("tracking_clients", c.Tracking)
}

// Memory is the memory section's numbers: the store's and the process's.
type Memory struct {
	Used      int64 // the store's accounting of its data
	MaxMemory int64
	Policy    string // maxmemory-policy
	Process   ProcessMemory
}

// WriteMemory writes the memory section.
func (b *Builder) WriteMemory(m Memory) {
	p := &m.Process
	b.Field("used_memory", m.Used)
	b.Field("used_memory_human", resp.HumanBytes(m.Used))
	b.Field("used_memory_rss", p.RSS)
	b.Field("used_memory_rss_human", resp.HumanBytes(p.RSS))
	b.Field("used_memory_dataset", m.Used)
	b.Field("go_heap_alloc", p.HeapAlloc)
	b.Field("go_heap_sys", p.HeapSys)
	b.Field("go_sys", p.Sys)
	b.Field("go_gc_cycles", p.NumGC)
	b.Field("go_gc_pause_total_ns", p.PauseTotalNs)
	gc := &p.GC
	b.Field("go_gc_percent", gc.Percent)
	b.Field("go_heap_live", gc.LiveBytes)
	b.Field("go_heap_objects", gc.Objects)
	b.Field("go_gc_pause_p99_us", strconv.FormatFloat(gc.PauseP99US, 'f', 0, 64))
	b.Field("go_gc_pause_max_us", strconv.FormatFloat(gc.PauseMaxUS, 'f', 0, 64))
	b.Field("go_gc_cpu_fraction", strconv.FormatFloat(gc.CPUFraction, 'f', 4, 64))
	b.Field("maxmemory", m.MaxMemory)
	b.Field("maxmemory_human", resp.HumanBytes(m.MaxMemory))
	b.Field("maxmemory_policy", m.Policy)
	ratio := 0.0
	if m.Used > 0 {
		ratio = float64(p.RSS) / float64(m.Used)
	}
	b.Field("mem_fragmentation_ratio", strconv.FormatFloat(ratio, 'f', 2, 64))
	// used_memory is what eviction counts (store.Reclaim): nothing of it
	// is left out, as Redis leaves out replication and AOF buffers.
	b.Field("mem_not_counted_for_evict", 0)
	b.Field("mem_allocator", "go")
	// No active defragmentation and no lazy-free thread: a dropped value
	// is the Go collector's, at once (Redis's tests wait for
	// lazyfree_pending_objects to reach 0).
	b.Field("active_defrag_running", 0)
	b.Field("lazyfree_pending_objects", 0)
	b.Field("lazyfreed_objects", 0)
}

// WritePersistence writes the persistence section: meshcache persists
// nothing, so every change of a key since the start (changes) is one not
// saved yet.
func (b *Builder) WritePersistence(changes uint64) {
	b.Field("loading", 0)
	b.Field("rdb_changes_since_last_save", changes)
	b.Field("rdb_bgsave_in_progress", 0)
	b.Field("aof_enabled", 0)
	b.Field("aof_rewrite_in_progress", 0)
}

// Stats is the stats section's numbers.
type Stats struct {
	ConnectionsReceived, CommandsProcessed         int64
	OpsPerSec, InputBytesPerSec, OutputBytesPerSec int64 // instantaneous (server/instant)
	NetInputBytes, NetOutputBytes                  int64
	RejectedConnections                            int64
	ExpiredKeys, EvictedKeys                       int64
	KeyspaceHits, KeyspaceMisses                   int64
	PubSubChannels, PubSubPatterns, PubSubShard    int64
	PubSubFanoutDropped                            int64
	TrackingKeys, TrackingItems, TrackingPrefixes  int64
	ExpireCycleMS                                  int64
	UnexpectedErrors                               int64 // handler panics
}

// WriteStats writes the stats section, its fields in Redis 7.2's order
// and under its names. Those of work a meshcache node never does are 0,
// as Redis's own read when it has not done it:
//
//   - sync_full, sync_partial_ok, sync_partial_err: no Redis replica syncs
//     from a node (replicas are meshcache's own, cluster/replicator.go);
//   - latest_fork_usec, total_forks: it never forks (nothing is saved);
//   - migrate_cached_sockets: it has no MIGRATE, so no cached sockets;
//   - slave_expires_tracked_keys: no writable replica keys expire;
//   - active_defrag_*: no active defragmentation (the store compacts its
//     arenas as it writes, store/arena.go).
//
// pubsub_fanout_dropped is meshcache's own, after Redis's fields of the
// same family.
func (b *Builder) WriteStats(s Stats) {
	b.Field("total_connections_received", s.ConnectionsReceived)
	b.Field("total_commands_processed", s.CommandsProcessed)
	b.Field("instantaneous_ops_per_sec", s.OpsPerSec)
	b.Field("total_net_input_bytes", s.NetInputBytes)
	b.Field("total_net_output_bytes", s.NetOutputBytes)
	b.Field("instantaneous_input_kbps", strconv.FormatFloat(float64(s.InputBytesPerSec)/1024, 'f', 2, 64))
	b.Field("instantaneous_output_kbps", strconv.FormatFloat(float64(s.OutputBytesPerSec)/1024, 'f', 2, 64))
	b.Field("rejected_connections", s.RejectedConnections)
	b.Field("sync_full", 0)
	b.Field("sync_partial_ok", 0)
	b.Field("sync_partial_err", 0)
	b.Field("expired_keys", s.ExpiredKeys)
	b.Field("expire_cycle_cpu_milliseconds", s.ExpireCycleMS)
	b.Field("evicted_keys", s.EvictedKeys)
	b.Field("keyspace_hits", s.KeyspaceHits)
	b.Field("keyspace_misses", s.KeyspaceMisses)
	b.Field("pubsub_channels", s.PubSubChannels)
	b.Field("pubsub_patterns", s.PubSubPatterns)
	b.Field("pubsubshard_channels", s.PubSubShard)
	b.Field("pubsub_fanout_dropped", s.PubSubFanoutDropped)
	b.Field("latest_fork_usec", 0)
	b.Field("total_forks", 0)
	b.Field("migrate_cached_sockets", 0)
	b.Field("slave_expires_tracked_keys", 0)
	b.Field("active_defrag_hits", 0)
	b.Field("active_defrag_misses", 0)
	b.Field("active_defrag_key_hits", 0)
	b.Field("active_defrag_key_misses", 0)
	b.Field("total_active_defrag_time", 0)
	b.Field("current_active_defrag_time", 0)
	b.Field("tracking_total_keys", s.TrackingKeys)
	b.Field("tracking_total_items", s.TrackingItems)
	b.Field("tracking_total_prefixes", s.TrackingPrefixes)
	b.Field("unexpected_error_replies", s.UnexpectedErrors)
}

// Replication is the replication section's numbers.
type Replication struct {
	RunID string
	Info  replinfo.Info
	// Addrs are the members' client addresses (host:port), by ID.
	Addrs       map[ring.NodeID]string
	Now         time.Time
	AckMode     string // replica-ack
	MinReplicas int64
	AckWaits    int64
	AckTimeouts int64
	NoReplicas  int64 // writes refused by min-replicas-to-write
	Draining    bool
}

// WriteReplication writes the replication section. Every node leads slots
// and replicates others', and the CLUSTER commands show each as a master
// without node replicas (server/topology), so it reports role:master and
// connected_slaves:0, the shape cluster clients and redis-cli hold. The
// peers it streams to are meshcache lines: replica_peers and one
// replica_peerN line per peer holding replicas of slots led here. offset=
// is the number of stream entries (effects) the peer acknowledged on that
// stream and lag= the seconds since its last acknowledgement while entries
// wait (0 when it is caught up); master_repl_offset is the sum of the
// per-slot offsets of the slots led here (effects sequenced). The other
// meshcache lines count slots by role and the replica-ack outcomes.
func (b *Builder) WriteReplication(r Replication) {
	b.Field("role", "master")
	n := 0
	var lines strings.Builder
	for _, p := range r.Info.Peers {
		if p.Slots == 0 {
			continue
		}
		host, port, err := net.SplitHostPort(r.Addrs[p.ID])
		if err != nil {
			host, port = "?", "0"
		}
		state := "online"
		if p.LiveSlots < p.Slots {
			state = "send_bulk" // some slots are still being transferred
		}
		lag := int64(0)
		if p.QueuedEntries > 0 && !p.LastAck.IsZero() {
			lag = int64(r.Now.Sub(p.LastAck) / time.Second)
		}
		fmt.Fprintf(&lines, "replica_peer%d:ip=%s,port=%s,state=%s,offset=%d,lag=%d\r\n", n, host, port, state, p.AckedSeq, lag)
		n++
	}
	b.Field("connected_slaves", 0)
	b.Field("master_failover_state", "no-failover")
	b.Field("master_replid", r.RunID)
	b.Field("master_repl_offset", r.Info.LedOffsets)
	b.Field("replica_peers", n)
	b.WriteString(lines.String())
	b.Field("slots_led", r.Info.LedSlots)
	b.Field("slots_replicated", r.Info.ReplicaSynced)
	b.Field("slots_replica_syncing", r.Info.ReplicaSyncing)
	b.Field("slots_degraded", r.Info.DegradedSlots)
	b.Field("replica_ack", r.AckMode)
	b.Field("min_replicas_to_write", r.MinReplicas)
	b.Field("replica_ack_waits", r.AckWaits)
	b.Field("replica_ack_timeouts", r.AckTimeouts)
	b.Field("replica_ack_degraded", r.Info.DegradedWaits)
	b.Field("noreplicas_rejected", r.NoReplicas)
	b.Field("slots_lost", r.Info.LostSlots)
	b.Field("draining", boolInt(r.Draining))
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// WriteCPU writes the cpu section; nothing when the process's CPU times
// could not be read.
func (b *Builder) WriteCPU(c CPU, ok bool) {
	if !ok {
		return
	}
	b.Field("used_cpu_sys", strconv.FormatFloat(c.Sys.Seconds(), 'f', 6, 64))
	b.Field("used_cpu_user", strconv.FormatFloat(c.User.Seconds(), 'f', 6, 64))
	b.Field("goroutines", c.Goroutines)
}

// CommandStats is one command's counters at one moment (INFO commandstats
// and latencystats, /metrics).
type CommandStats struct {
	Name     string // subcommands as container|sub
	Calls    int64  // the sum of Latency: read together, they agree
	Failed   int64  // ran and replied with an error
	Rejected int64  // refused before running
	Usec     int64  // time spent running, in microseconds
	Latency  cmdstats.Latency
}

// WriteCommandStats writes the commandstats section: a line per command
// in cmds (those called, rejected or failed at least once, in order).
func (b *Builder) WriteCommandStats(cmds []CommandStats) {
	for _, cs := range cmds {
		per := 0.0
		if cs.Calls > 0 {
			per = float64(cs.Usec) / float64(cs.Calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			cs.Name, cs.Calls, cs.Usec, per, cs.Rejected, cs.Failed)
	}
}

// latencyPercentiles are the percentiles INFO latencystats shows, Redis's
// default latency-tracking-info-percentiles.
var latencyPercentiles = []struct {
	name string
	p    float64
}{{"p50", 50}, {"p99", 99}, {"p99.9", 99.9}}

// WriteLatencyStats writes Redis 7's latencystats section, one line per
// command of cmds called at least once, e.g.
// latency_percentiles_usec_get:p50=1.000,p99=2.000,p99.9=3.500. The
// figures come from the power-of-two buckets of cmdstats.Counters (see
// cmdstats.Latency.Percentile for their precision), not from an HDR
// histogram.
func (b *Builder) WriteLatencyStats(cmds []CommandStats) {
	for i := range cmds {
		l := &cmds[i].Latency
		if l.Total() == 0 {
			continue
		}
		b.WriteString("latency_percentiles_usec_" + cmds[i].Name + ":")
		for i, q := range latencyPercentiles {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%s=%.3f", q.name, l.Percentile(q.p))
		}
		b.WriteString("\r\n")
	}
}

// Cluster is the cluster section's numbers.
type Cluster struct {
	// Standalone: a node alone for good; it moves no data and has only
	// the first two lines.
	Standalone bool
	// Settled: this node sees the cluster at rest (cluster.Node.Settled).
	Settled bool
	// Migrating, Importing: the routing table's slots in a handoff (MovingSlots).
	Migrating, Importing int
	Info                 replinfo.Info
	MigrationRate        int64 // bytes per second transfers may send
}

// WriteCluster writes the cluster section: cluster_enabled as Redis,
// cluster_settled, then the data movement under way: slots migrating or
// importing in the routing table, slot transfers (snapshots building
// replicas or moving slots) running and done, their bytes, and the
// configured transfer rate.
func (b *Builder) WriteCluster(c Cluster) {
	b.Field("cluster_enabled", 1)
	if c.Standalone {
		b.Field("cluster_settled", 1) // a lone node leads every slot
		return
	}
	b.Field("cluster_settled", boolInt(c.Settled))
	b.Field("cluster_slots_migrating", c.Migrating)
	b.Field("cluster_slots_importing", c.Importing)
	b.Field("cluster_slot_transfers_running", c.Info.Transfers)
	b.Field("cluster_slot_transfers_done", c.Info.TransfersDone)
	b.Field("cluster_slot_transfers_failed", c.Info.TransfersFail)
	b.Field("cluster_slot_transfer_bytes", c.Info.TransferBytes)
	b.Field("cluster_slot_transfer_bytes_per_sec", int64(c.Info.TransferRate))
	b.Field("cluster_slots_handed_off", c.Info.Handoffs)
	b.Field("cluster_migration_rate_bytes", c.MigrationRate)
}

// MovingSlots counts the slots of t in a handoff: migrating (the primary
// is handing the slot off) and importing (the new primary took it over).
// With primary set, only the slots it is the primary of count; with ""
// every slot does. Without a table, 0 and 0.
func MovingSlots(t *ring.Table, primary ring.NodeID) (migrating, importing int) {
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

// Keyspace is the keyspace section's numbers: the keys of the slots this
// node leads (as DBSIZE), and the store's estimate of the average TTL.
type Keyspace struct {
	Keys, Expires, AvgTTLMillis int64
}

// WriteKeyspace writes the keyspace section: nothing without keys.
func (b *Builder) WriteKeyspace(k Keyspace) {
	if k.Keys == 0 {
		return
	}
	fmt.Fprintf(b, "db0:keys=%d,expires=%d,avg_ttl=%d\r\n", k.Keys, k.Expires, k.AvgTTLMillis)
}

// ProcessMemory is the process's memory as the Go runtime and the OS see it.
type ProcessMemory struct {
	RSS                     int64 // resident set size
	HeapAlloc, HeapSys, Sys uint64
	NumGC                   uint32
	PauseTotalNs            uint64
	GC                      gctune.Facts
}
