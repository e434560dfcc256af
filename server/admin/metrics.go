package admin

import (
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshcache/meshcache/server"
	"github.com/meshcache/meshcache/server/cmdstats"
	"github.com/meshcache/meshcache/server/info"
)

// metricsCollector exports a node's counters to Prometheus. It keeps no
// state of its own: Collect reads the counters INFO reads (the command
// table's counters with their latency buckets, the server's and the
// store's Stats, the cluster view and its replication state) at scrape
// time, so a scrape costs one pass over the command table, the store's
// per-slot counters and the routing table.
//
// CONFIG RESETSTAT zeroes the counters behind the *_total series; Prometheus
// treats the drop as a counter reset, as it does for a restart.
type metricsCollector struct {
	admin *Admin // front end, cluster view and readiness; never nil
}

// Descriptors, fixed at start: every series the collector can emit.
var (
	descBuildInfo = prometheus.NewDesc("meshcache_build_info",
		"Always 1; labels name the meshcache version, the Redis version it follows and the Go version.",
		[]string{"version", "redis_version", "go_version"}, nil)
	descUp = prometheus.NewDesc("meshcache_uptime_seconds",
		"Seconds since the server was created.", nil, nil)
	descReady = prometheus.NewDesc("meshcache_ready",
		"1 when the node serves its slots (the condition of /readyz), else 0.", nil, nil)

	descCmdCalls = prometheus.NewDesc("meshcache_commands_total",
		"Commands run, by command (subcommands as container|sub, as INFO commandstats).", []string{"cmd"}, nil)
	descCmdFailed = prometheus.NewDesc("meshcache_commands_failed_total",
		"Commands that ran and replied with an error, by command.", []string{"cmd"}, nil)
	descCmdRejected = prometheus.NewDesc("meshcache_commands_rejected_total",
		"Commands refused before running (arity, NOAUTH, OOM ...), by command.", []string{"cmd"}, nil)
	descCmdSeconds = prometheus.NewDesc("meshcache_commands_duration_seconds_total",
		"Time spent running commands, by command; divide by meshcache_commands_total for the mean.", []string{"cmd"}, nil)
	descCmdLatency = prometheus.NewDesc("meshcache_command_duration_seconds",
		"Command run time by command, in power-of-two buckets from 1 µs to about 1 s (the counters of INFO latencystats).", []string{"cmd"}, nil)
	descProcessed = prometheus.NewDesc("meshcache_commands_processed_total",
		"Commands processed by the node, all commands together.", nil, nil)

	descClients = prometheus.NewDesc("meshcache_connected_clients",
		"Client connections open now.", nil, nil)
	descMaxClients = prometheus.NewDesc("meshcache_max_clients",
		"The maxclients setting.", nil, nil)
	descConnsReceived = prometheus.NewDesc("meshcache_connections_received_total",
		"Client connections accepted.", nil, nil)
	descConnsRejected = prometheus.NewDesc("meshcache_connections_rejected_total",
		"Client connections refused because maxclients was reached.", nil, nil)
	descNetIn = prometheus.NewDesc("meshcache_net_input_bytes_total",
		"Bytes read from clients.", nil, nil)
	descNetOut = prometheus.NewDesc("meshcache_net_output_bytes_total",
		"Bytes written to clients.", nil, nil)
	descPanics = prometheus.NewDesc("meshcache_unexpected_errors_total",
		"Command handlers that panicked (recovered; the connection was closed).", nil, nil)

	descKeys = prometheus.NewDesc("meshcache_keys",
		"Keys held by this node, replica copies and expired keys not yet removed included (DBSIZE counts the slots it leads only).", nil, nil)
	descExpires = prometheus.NewDesc("meshcache_keys_with_expiry",
		"Keys with a TTL.", nil, nil)
	descMemUsed = prometheus.NewDesc("meshcache_memory_used_bytes",
		"Bytes held by the keyspace, measured (INFO used_memory).", nil, nil)
	descMemMax = prometheus.NewDesc("meshcache_memory_max_bytes",
		"The maxmemory setting; 0 means no limit.", nil, nil)
	descEvicted = prometheus.NewDesc("meshcache_evicted_keys_total",
		"Keys removed by maxmemory eviction.", nil, nil)
	descExpired = prometheus.NewDesc("meshcache_expired_keys_total",
		"Keys removed because their TTL passed.", nil, nil)
	descHits = prometheus.NewDesc("meshcache_keyspace_hits_total",
		"Key lookups that found the key.", nil, nil)
	descMisses = prometheus.NewDesc("meshcache_keyspace_misses_total",
		"Key lookups that did not find the key.", nil, nil)
	descExpireCycle = prometheus.NewDesc("meshcache_expire_cycle_seconds_total",
		"Time spent in active expiry.", nil, nil)

	descMembers = prometheus.NewDesc("meshcache_cluster_members",
		"Known cluster members by liveness as this node's gossip sees them (status alive or dead).", []string{"status"}, nil)
	descHealthy = prometheus.NewDesc("meshcache_cluster_healthy",
		"1 when the node holds its quorum lease: a majority of the routing table's members answered its probes within the lease (writes allowed), else 0.", nil, nil)
	descEpoch = prometheus.NewDesc("meshcache_routing_table_epoch",
		"Epoch of the routing table this node holds; 0 before it holds one.", nil, nil)
	descSlotsLed = prometheus.NewDesc("meshcache_slots_led",
		"Slots this node is the primary of in its routing table.", nil, nil)
	descSlotsReplica = prometheus.NewDesc("meshcache_slots_replicated",
		"Slots this node is a replica of in its routing table.", nil, nil)
	descSlotsAssigned = prometheus.NewDesc("meshcache_slots_assigned",
		"Slots with a primary in this node's routing table (16384 when the table covers every slot).", nil, nil)
	descQuorum = prometheus.NewDesc("meshcache_cluster_quorum",
		"1 when this node sees a majority of the routing table's members now (cluster_healthy keeps 1 for node-timeout after losing it), else 0.", nil, nil)

	descReplQueued = prometheus.NewDesc("meshcache_replication_queued_entries",
		"Write effects streamed to a replica peer and not acknowledged yet: the replication lag in entries.", []string{"peer"}, nil)
	descReplQueuedBytes = prometheus.NewDesc("meshcache_replication_queued_bytes",
		"Bytes of the entries in meshcache_replication_queued_entries.", []string{"peer"}, nil)
	descReplAckAge = prometheus.NewDesc("meshcache_replication_acked_seconds_ago",
		"Seconds since the peer last acknowledged its stream (idle streams are acknowledged about once a second); absent before the first acknowledgement.", []string{"peer"}, nil)
	descReplFailures = prometheus.NewDesc("meshcache_replication_failures_total",
		"Failed replication stream calls to the peer (each is retried).", []string{"peer"}, nil)
	descSlotsDegraded = prometheus.NewDesc("meshcache_slots_degraded",
		"Slots led here that should have replicas but have no synced one (INFO slots_degraded).", nil, nil)
	descSlotsSynced = prometheus.NewDesc("meshcache_slots_replica_synced",
		"Slots this node replicates and holds a complete copy of from their primary (INFO slots_replicated).", nil, nil)
	descSlotsMigrating = prometheus.NewDesc("meshcache_slots_migrating",
		"Slots this node leads and is handing off to another node (routing table state migrating).", nil, nil)
	descSlotsImporting = prometheus.NewDesc("meshcache_slots_importing",
		"Slots this node took over in the current handoff (routing table state importing).", nil, nil)
	descTransfers = prometheus.NewDesc("meshcache_slot_transfers",
		"Slot transfers (snapshots building a replica or moving a slot) running now.", nil, nil)
	descTransfersTotal = prometheus.NewDesc("meshcache_slot_transfers_total",
		"Slot transfers finished, by result (done or failed).", []string{"result"}, nil)
	descTransferBytes = prometheus.NewDesc("meshcache_slot_transfer_bytes_total",
		"Snapshot bytes sent by slot transfers.", nil, nil)
	descHandoffs = prometheus.NewDesc("meshcache_slot_handoffs_total",
		"Slots this node handed off to a new primary.", nil, nil)
	descSlotsLost = prometheus.NewDesc("meshcache_slots_lost_total",
		"Slots given a new primary while no replica was synced: their writes since the last sync were lost.", nil, nil)
)

// Describe sends every descriptor the collector can emit.
func (m *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descBuildInfo, descUp, descReady,
		descCmdCalls, descCmdFailed, descCmdRejected, descCmdSeconds, descCmdLatency, descProcessed,
		descClients, descMaxClients, descConnsReceived, descConnsRejected, descNetIn, descNetOut, descPanics,
		descKeys, descExpires, descMemUsed, descMemMax, descEvicted, descExpired, descHits, descMisses, descExpireCycle,
		descMembers, descHealthy, descEpoch, descSlotsLed, descSlotsReplica, descSlotsAssigned, descQuorum,
		descReplQueued, descReplQueuedBytes, descReplAckAge, descReplFailures,
		descSlotsDegraded, descSlotsSynced, descSlotsMigrating, descSlotsImporting,
		descTransfers, descTransfersTotal, descTransferBytes, descHandoffs, descSlotsLost,
	} {
		ch <- d
	}
}

// Collect reads the node's counters and sends one sample per series.
func (m *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	s := m.admin.front.Stats()
	gauge, counter := sink(ch)

	gauge(descBuildInfo, 1, server.Version, server.RedisVersion, runtime.Version())
	gauge(descUp, m.admin.now().Sub(s.Started).Seconds())
	ready, _ := m.admin.Ready()
	gauge(descReady, boolValue(ready))

	m.collectCommands(ch)
	counter(descProcessed, float64(s.CommandsProcessed))

	gauge(descClients, float64(s.Clients))
	gauge(descMaxClients, float64(s.MaxClients))
	counter(descConnsReceived, float64(s.ConnectionsReceived))
	counter(descConnsRejected, float64(s.RejectedConnections))
	counter(descNetIn, float64(s.NetInputBytes))
	counter(descNetOut, float64(s.NetOutputBytes))
	counter(descPanics, float64(s.UnexpectedErrors))

	st := s.Keyspace
	gauge(descKeys, float64(st.Keys))
	gauge(descExpires, float64(st.Expires))
	gauge(descMemUsed, float64(st.UsedMemory))
	gauge(descMemMax, float64(s.MaxMemory))
	counter(descEvicted, float64(st.EvictedKeys))
	counter(descExpired, float64(st.ExpiredKeys))
	counter(descHits, float64(st.KeyspaceHits))
	counter(descMisses, float64(st.KeyspaceMiss))
	counter(descExpireCycle, float64(st.ExpireCycleMS)/1e3)

	cv := m.admin.clusterView()
	gauge(descMembers, float64(cv.alive), "alive")
	gauge(descMembers, float64(cv.dead), "dead")
	gauge(descHealthy, boolValue(cv.healthy))
	gauge(descEpoch, float64(cv.epoch))
	gauge(descSlotsLed, float64(cv.self.led))
	gauge(descSlotsReplica, float64(cv.self.replicated))
	gauge(descSlotsAssigned, float64(cv.assigned))
	gauge(descQuorum, boolValue(m.admin.cl.Quorum()))

	m.collectReplication(ch)
}

// collectReplication sends the replication streams' lag, the slot counts by
// replication state and the slot-movement counters. A node that runs alone
// has none of them and sends nothing.
func (m *metricsCollector) collectReplication(ch chan<- prometheus.Metric) {
	if m.admin.standalone {
		return
	}
	cl := m.admin.cl
	gauge, counter := sink(ch)
	repl := cl.ReplicationInfo()
	now := m.admin.now()
	for _, p := range repl.Peers {
		id := string(p.ID)
		gauge(descReplQueued, float64(p.QueuedEntries), id)
		gauge(descReplQueuedBytes, float64(p.QueuedBytes), id)
		if !p.LastAck.IsZero() {
			gauge(descReplAckAge, max(now.Sub(p.LastAck), 0).Seconds(), id)
		}
		counter(descReplFailures, float64(p.Failures), id)
	}
	gauge(descSlotsDegraded, float64(repl.DegradedSlots))
	gauge(descSlotsSynced, float64(repl.ReplicaSynced))
	migrating, importing := info.MovingSlots(cl.Table(), cl.Self().ID)
	gauge(descSlotsMigrating, float64(migrating))
	gauge(descSlotsImporting, float64(importing))
	gauge(descTransfers, float64(repl.Transfers))
	counter(descTransfersTotal, float64(repl.TransfersDone), "done")
	counter(descTransfersTotal, float64(repl.TransfersFail), "failed")
	counter(descTransferBytes, float64(repl.TransferBytes))
	counter(descHandoffs, float64(repl.Handoffs))
	counter(descSlotsLost, float64(repl.LostSlots))
}

// collectCommands sends the per-command counters of every command that has
// been called, rejected or failed at least once (as INFO commandstats
// lists them), so the series count grows with the commands in use, not
// with the command table.
func (m *metricsCollector) collectCommands(ch chan<- prometheus.Metric) {
	m.admin.front.CommandStats(func(cs server.CommandStats) {
		ch <- prometheus.MustNewConstMetric(descCmdCalls, prometheus.CounterValue, float64(cs.Calls), cs.Name)
		ch <- prometheus.MustNewConstMetric(descCmdFailed, prometheus.CounterValue, float64(cs.Failed), cs.Name)
		ch <- prometheus.MustNewConstMetric(descCmdRejected, prometheus.CounterValue, float64(cs.Rejected), cs.Name)
		ch <- prometheus.MustNewConstMetric(descCmdSeconds, prometheus.CounterValue, float64(cs.Usec)/1e6, cs.Name)
		if cs.Calls > 0 {
			ch <- histogram(cs.Name, &cs.Latency, cs.Usec)
		}
	})
}

// sink returns the functions that send one gauge or counter sample to ch.
func sink(ch chan<- prometheus.Metric) (gauge, counter func(d *prometheus.Desc, v float64, labels ...string)) {
	send := func(t prometheus.ValueType) func(*prometheus.Desc, float64, ...string) {
		return func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, t, v, labels...)
		}
	}
	return send(prometheus.GaugeValue), send(prometheus.CounterValue)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// histogram makes the Prometheus histogram of command cmd from its latency
// buckets l, whose run times add up to usec microseconds.
func histogram(cmd string, l *cmdstats.Latency, usec int64) prometheus.Metric {
	buckets := make(map[float64]uint64, len(l)-1)
	var cum uint64
	for i := range len(l) - 1 {
		cum += uint64(l[i])
		buckets[cmdstats.Bound(i)*float64(time.Microsecond)/float64(time.Second)] = cum
	}
	cum += uint64(l[len(l)-1])
	return prometheus.MustNewConstHistogram(descCmdLatency, cum, float64(usec)/1e6, buckets, cmd)
}
