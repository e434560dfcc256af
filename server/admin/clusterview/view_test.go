package clusterview

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/events"
	"github.com/meshcache/meshcache/ring"
)

const (
	idA = ring.NodeID("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	idB = ring.NodeID("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
	idC = ring.NodeID("cccccccccccccccccccccccccccccccccccccccc")
	idX = ring.NodeID("dddddddddddddddddddddddddddddddddddddddd") // in the table, not in the member list
)

// testTable: A leads 0-99 with B as replica, B leads 100-199 with A,
// slot 150 migrating to C, C leads 200-16383 alone except 300, led by X.
func testTable(t *testing.T) *ring.Table {
	t.Helper()
	tb, err := ring.NewTable(7, idA, []ring.Member{{ID: idA}, {ID: idB}, {ID: idC}, {ID: idX}})
	require.NoError(t, err)
	for s := range ring.SlotCount {
		slot := uint16(s)
		switch {
		case s < 100:
			require.NoError(t, tb.SetOwners(slot, idA, idB))
		case s < 200:
			require.NoError(t, tb.SetOwners(slot, idB, idA))
		case s == 300:
			require.NoError(t, tb.SetOwners(slot, idX))
		default:
			require.NoError(t, tb.SetOwners(slot, idC))
		}
	}
	require.NoError(t, tb.SetState(150, ring.SlotState{Kind: ring.SlotMigrating, Peer: idC}))
	return tb
}

func TestShape(t *testing.T) {
	at := time.Unix(1_800_000_000, 0).UTC()
	members := []cluster.NodeInfo{ // unsorted on purpose
		{ID: idC, ClientAddr: "c:6379", Alive: false, State: cluster.StateServing},
		{ID: idA, ClientAddr: "a:6379", Alive: true, Self: true, State: cluster.StateServing, Epoch: 7},
		{ID: idB, ClientAddr: "b:6379", Alive: true, State: cluster.StateDraining, Epoch: 7},
	}
	evA := events.Event{At: at.Add(-2 * time.Second), Kind: events.Table, Text: "step", Epoch: 7}
	evB := events.Event{At: at.Add(-3 * time.Second), Kind: events.Draining, Node: string(idB), Text: "drain"}
	results := map[ring.NodeID]Result{
		idA: {Report: &Report{Keys: 10, UsedMemory: 1000, MaxMemory: 4000, OpsPerSec: 5, Clients: 2, Events: []events.Event{evA}}},
		idB: {Report: &Report{Keys: 20, UsedMemory: 3000, OpsPerSec: 1.5, Clients: 1, Events: []events.Event{evB}}},
		idC: {Err: errors.New("unreachable: node is down")},
	}
	v := Shape(Input{At: at, Healthy: true, Table: testTable(t), Members: members, Results: results})

	assert.Equal(t, string(idA), v.Node)
	assert.Equal(t, uint64(7), v.Epoch)
	assert.Equal(t, ring.SlotCount, v.Assigned)
	require.Len(t, v.Members, 3)
	for i, want := range []ring.NodeID{idA, idB, idC} {
		assert.Equal(t, string(want), v.Members[i].ID, "members sorted by ID")
	}
	a, b, c := v.Members[0], v.Members[1], v.Members[2]
	assert.True(t, a.Reachable && a.Self && a.Report.Keys == 10)
	assert.Equal(t, 100, a.Led)
	assert.Equal(t, 100, a.Replicated)
	assert.Equal(t, "draining", b.State)
	assert.False(t, c.Reachable)
	assert.Nil(t, c.Report)
	assert.Contains(t, c.Error, "node is down")
	assert.Equal(t, ring.SlotCount-201, c.Led)

	assert.Equal(t, Totals{Keys: 30, UsedMemory: 4000, MaxMemory: 4000, OpsPerSec: 6.5, Clients: 3,
		Alive: 2, Dead: 1, Unreached: 1, Moving: 1}, v.Totals)

	want := []SlotRange{
		{Start: 0, End: 99, Primary: 0, Replicas: []int{1}, State: "stable"},
		{Start: 100, End: 149, Primary: 1, Replicas: []int{0}, State: "stable"},
		{Start: 150, End: 150, Primary: 1, Replicas: []int{0}, State: "migrating", Peer: 2},
		{Start: 151, End: 199, Primary: 1, Replicas: []int{0}, State: "stable"},
		{Start: 200, End: 299, Primary: 2, Replicas: []int{}, State: "stable"},
		{Start: 300, End: 300, Primary: -1, Replicas: []int{}, State: "stable"},
		{Start: 301, End: ring.SlotCount - 1, Primary: 2, Replicas: []int{}, State: "stable"},
	}
	assert.Equal(t, want, v.Slots)

	require.Len(t, v.Events, 2)
	assert.Equal(t, "drain", v.Events[0].Text, "events oldest first across members")
	assert.Equal(t, string(idB), v.Events[0].Observer)
	assert.Equal(t, string(idA), v.Events[1].Observer)
}

func TestShapeEdges(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        Input
		wantErr   string // error of the only member
		wantSlots int
	}{
		{"no table yet", Input{Members: []cluster.NodeInfo{{ID: idA, Self: true, Alive: true}},
			Results: map[ring.NodeID]Result{idA: {Report: &Report{}}}}, "", 0},
		{"member not asked", Input{Members: []cluster.NodeInfo{{ID: idA, Self: true}}}, "not asked", 0},
		{"empty report", Input{Members: []cluster.NodeInfo{{ID: idA}},
			Results: map[ring.NodeID]Result{idA: {}}}, "empty report", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Shape(tc.in)
			require.Len(t, v.Members, 1)
			assert.Equal(t, tc.wantErr, v.Members[0].Error)
			assert.Equal(t, tc.wantErr == "", v.Members[0].Reachable)
			assert.Len(t, v.Slots, tc.wantSlots)
			assert.NotNil(t, v.Events, "events encode as [], not null")
		})
	}
}

func TestShapeKeepsTheLastEvents(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	var evs []events.Event
	for i := range MaxEvents + 50 {
		evs = append(evs, events.Event{At: t0.Add(time.Duration(i) * time.Second), Epoch: uint64(i)})
	}
	v := Shape(Input{Members: []cluster.NodeInfo{{ID: idA}}, Results: map[ring.NodeID]Result{idA: {Report: &Report{Events: evs}}}})
	require.Len(t, v.Events, MaxEvents)
	assert.Equal(t, uint64(50), v.Events[0].Epoch)
	assert.Equal(t, uint64(MaxEvents+49), v.Events[MaxEvents-1].Epoch)
}

// askerFunc adapts a function to Asker for the table tests.
type askerFunc func(ctx context.Context, id ring.NodeID) ([]byte, error)

func (f askerFunc) AskReport(ctx context.Context, id ring.NodeID) ([]byte, error) { return f(ctx, id) }

func TestGather(t *testing.T) {
	ask := askerFunc(func(ctx context.Context, id ring.NodeID) ([]byte, error) {
		switch id {
		case idA:
			return []byte(`{"keys":3,"ops_per_sec":2.5}`), nil
		case idB:
			return []byte(`{"keys":`), nil
		case idC:
			<-ctx.Done() // never answers: the deadline ends the wait
			return nil, ctx.Err()
		}
		return nil, cluster.ErrUnknownNode
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	got := Gather(ctx, ask, []ring.NodeID{idA, idB, idC, idX})
	require.Len(t, got, 4)
	require.NoError(t, got[idA].Err)
	assert.Equal(t, int64(3), got[idA].Report.Keys)
	assert.Equal(t, 2.5, got[idA].Report.OpsPerSec)
	for id, want := range map[ring.NodeID]string{idB: "bad report", idC: "deadline exceeded", idX: "unknown node"} {
		require.Error(t, got[id].Err, id)
		assert.True(t, strings.Contains(got[id].Err.Error(), want), "%s: %v", id, got[id].Err)
		assert.Nil(t, got[id].Report)
	}
}
