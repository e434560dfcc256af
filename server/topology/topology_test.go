package topology

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/resp"
)

// The golden files in testdata hold every reply of every scenario, byte
// for byte; they were rewritten (-update) when the representation became
// one master per node (issue 17) and reviewed by hand: TestNodesText and
// TestSlotsAndShards spell out the cases that matter to cluster clients.
var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current code")

// now is the clock the tests give: the pong time of alive peers.
var now = time.UnixMilli(1700000000000)

var a, b, c, d, e = id("a"), id("b"), id("c"), id("d"), id("e")

func id(c string) ring.NodeID { return ring.NodeID(strings.Repeat(c, 40)) }

// member is node n of the fixtures: 10.0.0.n:700n, cluster port 1700n.
func member(id ring.NodeID, n int, alive, self bool) cluster.NodeInfo {
	return cluster.NodeInfo{ID: id,
		ClientAddr:  fmt.Sprintf("10.0.0.%d:700%d", n, n),
		ClusterAddr: fmt.Sprintf("10.0.0.%d:1700%d", n, n),
		Alive:       alive, Self: self}
}

// members are a, b, c and d, alive, self one of them.
func members(self ring.NodeID) []cluster.NodeInfo {
	return []cluster.NodeInfo{member(a, 1, true, self == a), member(b, 2, true, self == b),
		member(c, 3, true, self == c), member(d, 4, true, self == d)}
}

// threeNodes is a table at epoch 9: a leads 0-5460 (replica b), b leads
// 5461-10922 (replica c), c leads 10923-16383 (replica a). With d, d is a
// fourth member that leads nothing and replicates 0-99 (owners a, b, d).
func threeNodes(t *testing.T, withD bool) *ring.Table {
	ms := []ring.Member{
		{ID: a, Addr: "10.0.0.1:7001", ClusterAddr: "10.0.0.1:17001"},
		{ID: b, Addr: "10.0.0.2:7002", ClusterAddr: "10.0.0.2:17002"},
		{ID: c, Addr: "10.0.0.3:7003", ClusterAddr: "10.0.0.3:17003"},
	}
	if withD {
		ms = append(ms, ring.Member{ID: d, Addr: "10.0.0.4:7004", ClusterAddr: "10.0.0.4:17004"})
	}
	tbl, err := ring.NewTable(9, a, ms)
	require.NoError(t, err)
	for sl := range ring.SlotCount {
		var owners []ring.NodeID
		switch {
		case sl < 100 && withD:
			owners = []ring.NodeID{a, b, d}
		case sl <= 5460:
			owners = []ring.NodeID{a, b}
		case sl <= 10922:
			owners = []ring.NodeID{b, c}
		default:
			owners = []ring.NodeID{c, a}
		}
		require.NoError(t, tbl.SetOwners(uint16(sl), owners...))
	}
	return tbl
}

// lone is the table of a node alone (cluster/solo): a leads every slot,
// its address a wildcard bind with no cluster port.
func lone(t *testing.T) *ring.Table {
	tbl, err := ring.NewTable(3, a, []ring.Member{{ID: a, Addr: "0.0.0.0:6379"}})
	require.NoError(t, err)
	for sl := range ring.SlotCount {
		require.NoError(t, tbl.SetOwners(uint16(sl), a))
	}
	return tbl
}

// scenarios are the topologies the tests render; each has a golden file.
func scenarios(t *testing.T) []struct {
	name string
	in   Input
} {
	full := threeNodes(t, true)
	mig := threeNodes(t, true)
	require.NoError(t, mig.SetState(100, ring.SlotState{Kind: ring.SlotMigrating, Peer: b}))
	dead := members(a)
	dead[2].Alive = false
	gone := append(members(a), member(e, 5, false, false)) // dead and named by no table: left out
	at := func(n int) string { return fmt.Sprintf("10.0.0.%d:700%d", n, n) }
	return []struct {
		name string
		in   Input
	}{
		{"replicas", Input{full, members(a), a, true, at(1)}},
		{"replicas_selfd", Input{full, members(d), d, true, at(4)}},
		{"migrating_a", Input{mig, members(a), a, true, at(1)}},
		{"migrating_b", Input{mig, members(b), b, true, at(2)}},
		{"dead", Input{full, dead, a, true, at(1)}},
		{"gone", Input{full, gone, a, true, at(1)}},
		{"unhealthy", Input{full, members(a), a, false, at(1)}},
		{"lone_wildcard", Input{lone(t),
			[]cluster.NodeInfo{{ID: a, ClientAddr: "0.0.0.0:6379", Alive: true, Self: true}}, a, true, "192.168.1.9:6379"}},
		{"notable", Input{nil, []cluster.NodeInfo{member(a, 1, true, true), member(b, 2, true, false), member(e, 5, false, false)},
			a, true, at(1)}},
	}
}

// offsets stands for this node's replication offsets: slot s is at s+1.
func offsets(slots []uint16) uint64 {
	var sum uint64
	for _, s := range slots {
		sum += uint64(s) + 1
	}
	return sum
}

// render writes every reply of a topology as the CLUSTER handlers send
// them, in RESP2 and RESP3.
func render(in Input) string {
	var out strings.Builder
	for _, p3 := range []bool{false, true} {
		reply := func(f func(r *resp.Reply)) string {
			r := &resp.Reply{}
			r.SetRESP3(p3)
			f(r)
			return string(r.Bytes())
		}
		tp := New(in)
		fmt.Fprintf(&out, "INFO %v\n%q\n", p3, reply(func(r *resp.Reply) { r.Verbatim("txt", tp.Info().String()) }))
		fmt.Fprintf(&out, "NODES %v\n%q\n", p3, reply(func(r *resp.Reply) { r.Verbatim("txt", tp.NodesText(now)) }))
		fmt.Fprintf(&out, "SLOTS %v\n%q\n", p3, reply(tp.WriteSlots))
		fmt.Fprintf(&out, "SHARDS %v\n%q\n", p3, reply(func(r *resp.Reply) { tp.WriteShards(r, offsets) }))
		for _, id := range []ring.NodeID{a, b, d, "zz"} {
			fmt.Fprintf(&out, "REPLICAS %s %v\n%q\n", id[:1], p3, reply(func(r *resp.Reply) {
				lines, err := tp.Replicas(id)
				switch {
				case errors.Is(err, ErrUnknownNode):
					r.Error("ERR Unknown node " + string(id))
				default:
					r.Array(len(lines))
					for _, l := range lines {
						r.BulkString(l)
					}
				}
			}))
		}
	}
	fmt.Fprintf(&out, "MYSHARDID %q\n", ShardID(in.Self))
	return out.String()
}

// TestGolden: every reply of every scenario, byte for byte.
func TestGolden(t *testing.T) {
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			path := filepath.Join("testdata", sc.name+".golden")
			got := render(sc.in)
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, string(want), got)
		})
	}
}

// TestNodesText: CLUSTER NODES, spelled out for the cases whose roles and
// flags matter to cluster clients.
func TestNodesText(t *testing.T) {
	line := func(id ring.NodeID, n int, rest string) string {
		return fmt.Sprintf("%s 10.0.0.%d:700%d@1700%d %s\n", id, n, n, n, rest)
	}
	full := threeNodes(t, true)
	mig := threeNodes(t, true)
	require.NoError(t, mig.SetState(100, ring.SlotState{Kind: ring.SlotMigrating, Peer: b}))
	dead := members(a)
	dead[2].Alive = false
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"three nodes with replicas: every node a master, the replicas not shown; d leads nothing, a master without slots",
			Input{full, members(a), a, true, "10.0.0.1:7001"},
			line(a, 1, "myself,master - 0 0 9 connected 0-5460") +
				line(b, 2, "master - 0 1700000000000 9 connected 5461-10922") +
				line(c, 3, "master - 0 1700000000000 9 connected 10923-16383") +
				line(d, 4, "master - 0 1700000000000 0 connected")},
		{"slot 100 migrating, on the primary handing off",
			Input{mig, members(a), a, true, "10.0.0.1:7001"},
			line(a, 1, "myself,master - 0 0 9 connected 0-5460 [100->-"+string(b)+"]") +
				line(b, 2, "master - 0 1700000000000 9 connected 5461-10922") +
				line(c, 3, "master - 0 1700000000000 9 connected 10923-16383") +
				line(d, 4, "master - 0 1700000000000 0 connected")},
		{"slot 100 migrating, on the node taking over",
			Input{mig, members(b), b, true, "10.0.0.2:7002"},
			line(a, 1, "master - 0 1700000000000 9 connected 0-5460") +
				line(b, 2, "myself,master - 0 0 9 connected 5461-10922 [100-<-"+string(a)+"]") +
				line(c, 3, "master - 0 1700000000000 9 connected 10923-16383") +
				line(d, 4, "master - 0 1700000000000 0 connected")},
		{"a dead member keeps its slots, flagged fail",
			Input{full, dead, a, true, "10.0.0.1:7001"},
			line(a, 1, "myself,master - 0 0 9 connected 0-5460") +
				line(b, 2, "master - 0 1700000000000 9 connected 5461-10922") +
				line(c, 3, "master,fail - 0 0 9 disconnected 10923-16383") +
				line(d, 4, "master - 0 1700000000000 0 connected")},
		{"a lone node bound to the wildcard shows the address the client reached",
			Input{lone(t), []cluster.NodeInfo{{ID: a, ClientAddr: "0.0.0.0:6379", Alive: true, Self: true}}, a, true, "192.168.1.9:6379"},
			string(a) + " 192.168.1.9:6379@16379 myself,master - 0 0 3 connected 0-16383\n"},
		{"no table yet: the alive members, no slots, epoch 0; dead ones left out",
			Input{nil, []cluster.NodeInfo{member(a, 1, true, true), member(b, 2, true, false), member(e, 5, false, false)}, a, true, "10.0.0.1:7001"},
			line(a, 1, "myself,master - 0 0 0 connected") +
				line(b, 2, "master - 0 1700000000000 0 connected")},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, New(tt.in).NodesText(now), tt.name)
	}
}

// TestInfo: CLUSTER INFO's fields.
func TestInfo(t *testing.T) {
	full := threeNodes(t, true)
	dead := members(a)
	dead[2].Alive = false
	tests := []struct {
		name string
		in   Input
		want Info
	}{
		{"healthy, every slot led by an alive node", Input{full, members(a), a, true, "10.0.0.1:7001"},
			Info{State: "ok", SlotsAssigned: 16384, SlotsOK: 16384, KnownNodes: 4, Size: 3, CurrentEpoch: 9, MyEpoch: 9}},
		{"this node leads nothing: its epoch is 0", Input{full, members(d), d, true, "10.0.0.4:7004"},
			Info{State: "ok", SlotsAssigned: 16384, SlotsOK: 16384, KnownNodes: 4, Size: 3, CurrentEpoch: 9}},
		{"a dead primary fails its slots", Input{full, dead, a, true, "10.0.0.1:7001"},
			Info{State: "fail", SlotsAssigned: 16384, SlotsOK: 10923, SlotsFail: 5461, KnownNodes: 4, Size: 3, CurrentEpoch: 9, MyEpoch: 9}},
		{"no majority", Input{full, members(a), a, false, "10.0.0.1:7001"},
			Info{State: "fail", SlotsAssigned: 16384, SlotsOK: 16384, KnownNodes: 4, Size: 3, CurrentEpoch: 9, MyEpoch: 9}},
		{"no table", Input{nil, members(a), a, true, "10.0.0.1:7001"},
			Info{State: "fail", KnownNodes: 4}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, New(tt.in).Info(), tt.name)
	}
}

// TestSlotsAndShards: SLOTS lists each run's primary only, SHARDS one
// shard per node, its master, with its health; in both protocols (a map is
// a flat array in RESP2).
func TestSlotsAndShards(t *testing.T) {
	// a leads every slot; b replicates every slot and is dead.
	tbl, err := ring.NewTable(4, a, []ring.Member{
		{ID: a, Addr: "10.0.0.1:7001", ClusterAddr: "10.0.0.1:17001"},
		{ID: b, Addr: "10.0.0.2:7002", ClusterAddr: "10.0.0.2:17002"}})
	require.NoError(t, err)
	for sl := range ring.SlotCount {
		require.NoError(t, tbl.SetOwners(uint16(sl), a, b))
	}
	in := Input{tbl, []cluster.NodeInfo{member(a, 1, true, true), member(b, 2, false, false)}, a, true, "10.0.0.1:7001"}
	entry := func(m string) string { // a as SLOTS lists it; m is the map type
		return "*4\r\n$8\r\n10.0.0.1\r\n:7001\r\n$40\r\n" + string(a) + "\r\n" + m + "0\r\n"
	}
	shardNode := func(mapHdr, id, n, off, health string) string {
		return mapHdr + "$2\r\nid\r\n$40\r\n" + id + "\r\n$4\r\nport\r\n:700" + n + "\r\n$2\r\nip\r\n$8\r\n10.0.0." + n +
			"\r\n$8\r\nendpoint\r\n$8\r\n10.0.0." + n + "\r\n$4\r\nrole\r\n$6\r\nmaster" +
			"\r\n$18\r\nreplication-offset\r\n:" + off + "\r\n$6\r\nhealth\r\n$" + fmt.Sprint(len(health)) + "\r\n" + health + "\r\n"
	}
	for _, p3 := range []bool{false, true} {
		m, mapHdr2, mapHdr7 := "*", "*4\r\n", "*14\r\n"
		if p3 {
			m, mapHdr2, mapHdr7 = "%", "%2\r\n", "%7\r\n"
		}
		r := &resp.Reply{}
		r.SetRESP3(p3)
		tp := New(in)
		tp.WriteSlots(r)
		assert.Equal(t, "*1\r\n*3\r\n:0\r\n:16383\r\n"+entry(m), string(r.Bytes()), "SLOTS resp3=%v: the primary only", p3)
		r.Reset()
		tp.WriteShards(r, offsets)
		assert.Equal(t, "*2\r\n"+
			mapHdr2+"$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n"+
			shardNode(mapHdr7, string(a), "1", "134225920", "online")+
			mapHdr2+"$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n"+
			shardNode(mapHdr7, string(b), "2", "0", "fail"),
			string(r.Bytes()), "SHARDS resp3=%v", p3)
	}
}

// TestSlotsMergeByPrimary: runs whose owner lists differ but whose primary
// is the same are one SLOTS entry, so each node's ranges are maximal.
func TestSlotsMergeByPrimary(t *testing.T) {
	tp := New(Input{threeNodes(t, true), members(a), a, true, "10.0.0.1:7001"})
	var got []string
	for _, r := range tp.Runs() {
		got = append(got, r.String()+" "+string(r.Primary.ID[:1]))
	}
	assert.Equal(t, []string{"0-5460 a", "5461-10922 b", "10923-16383 c"}, got)
	lines, err := tp.Replicas(a)
	require.NoError(t, err)
	assert.Empty(t, lines, "no node replicas are shown")
	_, err = tp.Replicas("zz")
	assert.ErrorIs(t, err, ErrUnknownNode)
}
