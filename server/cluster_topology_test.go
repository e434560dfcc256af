package server

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/topology"
	"github.com/meshcache/meshcache/store"
)

// topoFake is a membership of four nodes for the CLUSTER handlers: the
// parts server/topology is built from.
type topoFake struct {
	*solo.Node
	id      ring.NodeID
	tbl     *ring.Table
	members []cluster.NodeInfo
}

func (f topoFake) ID() ring.NodeID             { return f.id }
func (f topoFake) Table() *ring.Table          { return f.tbl }
func (f topoFake) Members() []cluster.NodeInfo { return f.members }
func (topoFake) Healthy() bool                 { return true }
func (topoFake) Standalone() bool              { return false }

// Offsets puts slot s at offset s+1.
func (topoFake) Offsets(dst []cluster.SlotOffset, slots ...uint16) []cluster.SlotOffset {
	for _, s := range slots {
		dst = append(dst, cluster.SlotOffset{Slot: s, Offset: uint64(s) + 1})
	}
	return dst
}

// TestClusterHandlersRenderTopology: the CLUSTER handlers hand
// server/topology the membership's table, members, ID and health, the
// address the client reached, this node's replication offsets and the
// server's message counters, and write what it renders (the package's
// tests pin the renderings byte for byte).
func TestClusterHandlersRenderTopology(t *testing.T) {
	id := func(c string) ring.NodeID { return ring.NodeID(strings.Repeat(c, 40)) }
	a, b, c := id("a"), id("b"), id("c")
	var rms []ring.Member
	var members []cluster.NodeInfo
	for i, n := range []ring.NodeID{a, b, c} {
		addr, caddr := fmt.Sprintf("10.0.0.%d:700%d", i+1, i+1), fmt.Sprintf("10.0.0.%d:1700%d", i+1, i+1)
		rms = append(rms, ring.Member{ID: n, Addr: addr, ClusterAddr: caddr})
		members = append(members, cluster.NodeInfo{ID: n, ClientAddr: addr, ClusterAddr: caddr, Alive: true, Self: n == b})
	}
	members[0].ClientAddr = "0.0.0.0:7001" // not this node: its wildcard stays
	members[1].ClientAddr = "0.0.0.0:7002" // this node: the address the client reached stands for it
	tbl, err := ring.NewTable(9, a, rms)
	require.NoError(t, err)
	for sl := range ring.SlotCount {
		owners := []ring.NodeID{a, b}
		if sl > 8000 {
			owners = []ring.NodeID{b, c}
		}
		require.NoError(t, tbl.SetOwners(uint16(sl), owners...))
	}

	cfg := config.Default()
	s := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	f := topoFake{Node: s.solo, id: b, tbl: tbl, members: members}
	s.SetCluster(membership.Cluster{Router: f, Membership: f, Health: f, Replicas: f})
	s.cstats.forwardsSent.Store(5)
	s.cstats.forwardsReceived.Store(7)
	const laddr = "192.168.1.9:7002"
	tp := topology.New(topology.Input{Table: tbl, Members: members, Self: b, Healthy: true, LocalAddr: laddr})

	pong := regexp.MustCompile(` 0 1[0-9]{12} `) // the pong time of alive peers: now
	for _, p3 := range []bool{false, true} {
		run := func(name string, args ...string) string { // the table's handler of name
			r := &resp.Reply{}
			r.SetRESP3(p3)
			var bargs [][]byte
			for _, a := range args {
				bargs = append(bargs, []byte(a))
			}
			fc := &Call{Client: &Client{laddr: laddr}, Server: s}
			fc.Call = &commands.Call{Args: bargs, Reply: r, Conn: fc}
			s.table.LookupName(name).Handler(fc.Call)
			return pong.ReplaceAllString(string(r.Bytes()), " 0 NOW ")
		}
		want := func(f func(r *resp.Reply)) string {
			r := &resp.Reply{}
			r.SetRESP3(p3)
			f(r)
			return string(r.Bytes())
		}
		info := tp.Info()
		info.MessagesSent, info.MessagesReceived = 5, 7
		assert.Equal(t, want(func(r *resp.Reply) { r.Verbatim("txt", info.String()) }), run("cluster|info", "cluster", "info"))
		assert.Contains(t, run("cluster|info", "cluster", "info"), "cluster_stats_messages_sent:5\r\ncluster_stats_messages_received:7\r\n")
		nodes := run("cluster|nodes", "cluster", "nodes")
		assert.Equal(t, pong.ReplaceAllString(want(func(r *resp.Reply) { r.Verbatim("txt", tp.NodesText(time.Now())) }), " 0 NOW "), nodes)
		assert.Contains(t, nodes, string(a)+" 0.0.0.0:7001@17001 master - 0 NOW 9 connected 0-8000\n")
		assert.Contains(t, nodes, string(b)+" 192.168.1.9:7002@17002 myself,master - 0 0 9 connected 8001-16383\n")
		assert.Equal(t, want(tp.WriteSlots), run("cluster|slots", "cluster", "slots"))
		shards := run("cluster|shards", "cluster", "shards")
		assert.Equal(t, want(func(r *resp.Reply) {
			tp.WriteShards(r, func(slots []uint16) uint64 {
				var sum uint64
				for _, s := range slots {
					sum += uint64(s) + 1
				}
				return sum
			})
		}), shards)
		// b, this node, replicates 0-8000 and leads 8001-16383: its own
		// shard (the slots it leads) shows the sum of its offsets (s+1) of
		// those slots; the replicas are not shown, so neither are theirs.
		assert.NotContains(t, shards, ":"+fmt.Sprint(8001*8002/2)+"\r\n")
		assert.Contains(t, shards, ":"+fmt.Sprint((8002+16384)*8383/2)+"\r\n")
		assert.Equal(t, "*0\r\n", run("cluster|replicas", "cluster", "replicas", string(a)), "no node replicas are shown")
		assert.Equal(t, "-ERR Unknown node zz\r\n", run("cluster|replicas", "cluster", "replicas", "zz"))
		assert.Equal(t, "$40\r\n"+topology.ShardID(b)+"\r\n", run("cluster|myshardid", "cluster", "myshardid"))
	}
}
