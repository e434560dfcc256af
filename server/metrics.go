package server

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// metricsCollector exports a node's counters to Prometheus. It keeps no
// state of its own and adds nothing to the command path: Collect reads the
// counters INFO reads (the command table's cmdStats, serverStats, the
// store's Stats and the cluster view) at scrape time, so a scrape costs one
// pass over the command table and the store's per-slot counters.
//
// CONFIG RESETSTAT zeroes the counters behind the *_total series; Prometheus
// treats the drop as a counter reset, as it does for a restart.
type metricsCollector struct {
	srv   *Server
	admin *Admin // cluster view and readiness; never nil
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
		"Keys held by this node (expired keys not yet removed included, as DBSIZE).", nil, nil)
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
		"1 when the node saw a majority of the routing table's members within node-timeout (writes allowed), else 0.", nil, nil)
	descEpoch = prometheus.NewDesc("meshcache_routing_table_epoch",
		"Epoch of the routing table this node holds; 0 before it holds one.", nil, nil)
	descSlotsLed = prometheus.NewDesc("meshcache_slots_led",
		"Slots this node is the primary of in its routing table.", nil, nil)
	descSlotsReplica = prometheus.NewDesc("meshcache_slots_replicated",
		"Slots this node is a replica of in its routing table.", nil, nil)
	descSlotsAssigned = prometheus.NewDesc("meshcache_slots_assigned",
		"Slots with a primary in this node's routing table (16384 when the table covers every slot).", nil, nil)
)

// Describe sends every descriptor the collector can emit.
func (m *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		descBuildInfo, descUp, descReady,
		descCmdCalls, descCmdFailed, descCmdRejected, descCmdSeconds, descProcessed,
		descClients, descMaxClients, descConnsReceived, descConnsRejected, descNetIn, descNetOut, descPanics,
		descKeys, descExpires, descMemUsed, descMemMax, descEvicted, descExpired, descHits, descMisses, descExpireCycle,
		descMembers, descHealthy, descEpoch, descSlotsLed, descSlotsReplica, descSlotsAssigned,
	} {
		ch <- d
	}
}

// Collect reads the node's counters and sends one sample per series.
func (m *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	s := m.srv
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}

	gauge(descBuildInfo, 1, Version, RedisVersion, runtime.Version())
	gauge(descUp, m.admin.now().Sub(s.started).Seconds())
	ready, _ := m.admin.Ready()
	gauge(descReady, boolValue(ready))

	m.collectCommands(ch)
	counter(descProcessed, float64(s.stats.commandsProcessed.Load()))

	gauge(descClients, float64(s.nclients.Load()))
	gauge(descMaxClients, float64(s.lim.maxClients.Load()))
	counter(descConnsReceived, float64(s.stats.connectionsReceived.Load()))
	counter(descConnsRejected, float64(s.stats.rejectedConnections.Load()))
	counter(descNetIn, float64(s.stats.netInputBytes.Load()))
	counter(descNetOut, float64(s.stats.netOutputBytes.Load()))
	counter(descPanics, float64(s.stats.unexpectedErrors.Load()))

	st := s.store.Stats()
	gauge(descKeys, float64(st.Keys))
	gauge(descExpires, float64(st.Expires))
	gauge(descMemUsed, float64(st.UsedMemory))
	gauge(descMemMax, float64(s.lim.maxMemory.Load()))
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
}

// collectCommands sends the per-command counters of every command that has
// been called, rejected or failed at least once (as INFO commandstats
// lists them), so the series count grows with the commands in use, not
// with the command table.
func (m *metricsCollector) collectCommands(ch chan<- prometheus.Metric) {
	send := func(e *entry) {
		calls, failed, rejected := e.stats.calls.Load(), e.stats.failed.Load(), e.stats.rejected.Load()
		if calls == 0 && failed == 0 && rejected == 0 {
			return
		}
		usec := e.stats.usec.Load()
		ch <- prometheus.MustNewConstMetric(descCmdCalls, prometheus.CounterValue, float64(calls), e.Name)
		ch <- prometheus.MustNewConstMetric(descCmdFailed, prometheus.CounterValue, float64(failed), e.Name)
		ch <- prometheus.MustNewConstMetric(descCmdRejected, prometheus.CounterValue, float64(rejected), e.Name)
		ch <- prometheus.MustNewConstMetric(descCmdSeconds, prometheus.CounterValue, float64(usec)/1e6, e.Name)
	}
	for _, e := range m.srv.sorted {
		send(e)
		for _, sub := range e.sorted {
			send(sub)
		}
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
