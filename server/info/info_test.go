package info

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/cmdstats"
)

func TestRenderChoosesSections(t *testing.T) {
	var written []string
	section := func(name string, deflt bool) Section {
		return Section{Name: name, Default: deflt, Write: func(b *Builder) {
			written = append(written, name)
			b.Field(name+"_line", 1)
		}}
	}
	sections := []Section{section("server", true), section("commandstats", false), section("keyspace", true)}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "# Server\r\nserver_line:1\r\n\r\n# Keyspace\r\nkeyspace_line:1\r\n"},
		{[]string{"default"}, "# Server\r\nserver_line:1\r\n\r\n# Keyspace\r\nkeyspace_line:1\r\n"},
		{[]string{"CommandStats"}, "# Commandstats\r\ncommandstats_line:1\r\n"},
		{[]string{"keyspace", "server"}, "# Server\r\nserver_line:1\r\n\r\n# Keyspace\r\nkeyspace_line:1\r\n"},
		{[]string{"default", "commandstats"}, "# Server\r\nserver_line:1\r\n\r\n# Commandstats\r\ncommandstats_line:1\r\n\r\n# Keyspace\r\nkeyspace_line:1\r\n"},
		{[]string{"all"}, "# Server\r\nserver_line:1\r\n\r\n# Commandstats\r\ncommandstats_line:1\r\n\r\n# Keyspace\r\nkeyspace_line:1\r\n"},
		{[]string{"everything"}, "# Server\r\nserver_line:1\r\n\r\n# Commandstats\r\ncommandstats_line:1\r\n\r\n# Keyspace\r\nkeyspace_line:1\r\n"},
		{[]string{"nosuchsection"}, ""},
	} {
		written = nil
		var args [][]byte
		for _, a := range tc.args {
			args = append(args, []byte(a))
		}
		got := Render(args, sections)
		assert.Equal(t, tc.want, got, "%q", tc.args)
		// A section's numbers are gathered only when it is printed.
		assert.Equal(t, strings.Count(tc.want, "# "), len(written), "%q", tc.args)
	}
}

func TestWriteReplication(t *testing.T) {
	now := time.Unix(1000, 0)
	r := Replication{
		RunID: "abc", Now: now, AckMode: "async",
		MinReplicas: 1, AckWaits: 5, AckTimeouts: 2, NoReplicas: 7, Draining: true,
		Addrs: map[ring.NodeID]string{"a": "10.0.0.1:7001", "b": "bad address"},
		Info: replinfo.Info{
			LedSlots: 100, LedOffsets: 42, ReplicaSynced: 3, ReplicaSyncing: 1, DegradedSlots: 4, DegradedWaits: 6, LostSlots: 8,
			Peers: []replinfo.Peer{
				{ID: "a", Slots: 10, LiveSlots: 10, AckedSeq: 9, QueuedEntries: 3, LastAck: now.Add(-5 * time.Second)},
				{ID: "idle", Slots: 0}, // holds nothing led here: not listed
				{ID: "b", Slots: 10, LiveSlots: 2, AckedSeq: 1},
			},
		},
	}
	var b Builder
	b.WriteReplication(r)
	assert.Equal(t, "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:abc\r\n"+
		"master_repl_offset:42\r\nreplica_peers:2\r\n"+
		"replica_peer0:ip=10.0.0.1,port=7001,state=online,offset=9,lag=5\r\n"+
		"replica_peer1:ip=?,port=0,state=send_bulk,offset=1,lag=0\r\n"+
		"slots_led:100\r\nslots_replicated:3\r\nslots_replica_syncing:1\r\nslots_degraded:4\r\nreplica_ack:async\r\n"+
		"min_replicas_to_write:1\r\nreplica_ack_waits:5\r\nreplica_ack_timeouts:2\r\nreplica_ack_degraded:6\r\n"+
		"noreplicas_rejected:7\r\nslots_lost:8\r\ndraining:1\r\n", b.String())
}

func TestWriteCluster(t *testing.T) {
	var alone Builder
	alone.WriteCluster(Cluster{Standalone: true, Migrating: 3})
	assert.Equal(t, "cluster_enabled:1\r\ncluster_settled:1\r\n", alone.String())

	var b Builder
	b.WriteCluster(Cluster{Migrating: 2, Importing: 1, MigrationRate: 1 << 20,
		Info: replinfo.Info{Transfers: 1, TransfersDone: 4, TransfersFail: 1, TransferBytes: 999, TransferRate: 12.7, Handoffs: 3}})
	assert.Equal(t, "cluster_enabled:1\r\ncluster_settled:0\r\ncluster_slots_migrating:2\r\ncluster_slots_importing:1\r\n"+
		"cluster_slot_transfers_running:1\r\ncluster_slot_transfers_done:4\r\ncluster_slot_transfers_failed:1\r\n"+
		"cluster_slot_transfer_bytes:999\r\ncluster_slot_transfer_bytes_per_sec:12\r\ncluster_slots_handed_off:3\r\n"+
		"cluster_migration_rate_bytes:1048576\r\n", b.String())
}

func TestWriteCommandAndLatencyStats(t *testing.T) {
	var lat cmdstats.Latency
	lat[cmdstats.Bucket(1)] = 3
	cmds := []CommandStats{
		{Name: "get", Calls: 3, Usec: 10, Latency: lat},
		{Name: "client|list", Rejected: 2, Failed: 1}, // never ran: no latency line
	}
	var b Builder
	b.WriteCommandStats(cmds)
	assert.Equal(t, "cmdstat_get:calls=3,usec=10,usec_per_call=3.33,rejected_calls=0,failed_calls=0\r\n"+
		"cmdstat_client|list:calls=0,usec=0,usec_per_call=0.00,rejected_calls=2,failed_calls=1\r\n", b.String())
	var l Builder
	l.WriteLatencyStats(cmds)
	assert.Equal(t, "latency_percentiles_usec_get:p50=0.500,p99=0.990,p99.9=0.999\r\n", l.String())
}

func TestWriteKeyspaceAndMemory(t *testing.T) {
	var empty Builder
	empty.WriteKeyspace(Keyspace{AvgTTLMillis: 5})
	assert.Empty(t, empty.String())
	var b Builder
	b.WriteKeyspace(Keyspace{Keys: 10, Expires: 2, AvgTTLMillis: 500})
	assert.Equal(t, "db0:keys=10,expires=2,avg_ttl=500\r\n", b.String())

	var m Builder
	m.WriteMemory(Memory{Used: 2048, MaxMemory: 0, Policy: "noeviction", Process: ProcessMemory{RSS: 3072}})
	assert.Contains(t, m.String(), "used_memory:2048\r\nused_memory_human:2.00K\r\nused_memory_rss:3072\r\n")
	assert.Contains(t, m.String(), "maxmemory_policy:noeviction\r\nmem_fragmentation_ratio:1.50\r\nmem_not_counted_for_evict:0\r\nmem_allocator:go\r\n")
}

func TestMovingSlots(t *testing.T) {
	m, i := MovingSlots(nil, "")
	assert.Zero(t, m+i, "no table")

	a, b := ring.NodeID(strings.Repeat("a", 40)), ring.NodeID(strings.Repeat("b", 40))
	tbl, err := ring.NewTable(1, a, []ring.Member{{ID: a, Addr: "a:1"}, {ID: b, Addr: "b:1"}})
	require.NoError(t, err)
	for sl := range uint16(ring.SlotCount) {
		owner := a
		if sl >= 100 {
			owner = b
		}
		require.NoError(t, tbl.SetOwners(sl, owner))
	}
	require.NoError(t, tbl.SetState(1, ring.SlotState{Kind: ring.SlotMigrating, Peer: b}))
	require.NoError(t, tbl.SetState(2, ring.SlotState{Kind: ring.SlotMigrating, Peer: b}))
	require.NoError(t, tbl.SetState(200, ring.SlotState{Kind: ring.SlotImporting, Peer: a}))

	m, i = MovingSlots(tbl, "")
	assert.Equal(t, []int{2, 1}, []int{m, i}, "every slot")
	m, i = MovingSlots(tbl, a)
	assert.Equal(t, []int{2, 0}, []int{m, i}, "the slots a is the primary of")
	m, i = MovingSlots(tbl, b)
	assert.Equal(t, []int{0, 1}, []int{m, i}, "the slots b is the primary of")
}
