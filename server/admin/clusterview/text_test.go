package clusterview

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/events"
	"github.com/meshcache/meshcache/ring"
)

func TestRender(t *testing.T) {
	at := time.Date(2026, 12, 4, 18, 30, 0, 0, time.UTC)
	members := []cluster.NodeInfo{
		{ID: idA, ClientAddr: "10.0.0.1:6379", Alive: true, Self: true, State: cluster.StateServing},
		{ID: idB, ClientAddr: "10.0.0.2:6379", Alive: true, State: cluster.StateServing},
		{ID: idC, ClientAddr: "10.0.0.3:6379", Alive: false, State: cluster.StateServing},
	}
	var evs []events.Event
	for i := range 12 {
		evs = append(evs, events.Event{At: at.Add(time.Duration(i-20) * time.Second), Kind: events.Table, Text: "step " + string(rune('a'+i))})
	}
	results := map[ring.NodeID]Result{
		idA: {Report: &Report{Keys: 1500, UsedMemory: 3 << 20, MaxMemory: 1 << 30, OpsPerSec: 1234.4, Clients: 7,
			Hits: 3, Misses: 1, HitRatio: 0.75, LatencyP50: 12, LatencyP99: 2500, ReplLag: 4, Events: evs}},
		idB: {Report: &Report{Keys: 20, Transfers: 1, TransferRate: 2048, ReplicaSyncing: 3}},
		idC: {Err: errorString("unreachable: node is down")},
	}
	v := Shape(Input{At: at, Healthy: true, Table: testTable(t), Members: members, Results: results})
	var b strings.Builder
	require.NoError(t, Render(&b, v, 5))
	out := b.String()
	for _, want := range []string{
		"as node aaaaaaaa sees it at 2026-12-04 18:30:00: healthy, routing table epoch 7, 16384 of 16384 slots assigned",
		"members 2 alive, 1 dead, 1 unreachable; keys 1520",
		"1234 ops/s, 7 clients, 1 slots moving",
		"aaaaaaaa*  10.0.0.1:6379",
		"1.00G", "75.0", "12µs", "2.5ms", "idle",
		"1 transfers 2.00K/s, 3 replica slots syncing",
		"cccccccc   10.0.0.3:6379  serving  FAILED",
		"(unreachable: node is down)",
		"  aaaaaaaa    100 slots  0-99\n",
		"  bbbbbbbb    100 slots  100-199\n", // the migrating slot 150 merges into its primary's range
		"  cccccccc  16183 slots  200-299 301-16383\n",
		"  moving: 150 migrating bbbbbbbb->cccccccc;",
		"EVENTS (last 5 of 12)",
		"18:29:47  table    step h  [seen by aaaaaaaa]\n", "18:29:51  table    step l",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "step g", "only the last 5 events")
	if t.Failed() {
		t.Log("\n" + out)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
