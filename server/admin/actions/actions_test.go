package actions

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
)

const (
	idA = ring.NodeID("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	idB = ring.NodeID("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
	idC = ring.NodeID("cccccccccccccccccccccccccccccccccccccccc")
	idD = ring.NodeID("dddddddddddddddddddddddddddddddddddddddd")
)

// testState: A (self) and B alive and serving, C dead; A leads the even
// slots with B as replica, B the odd ones with no replica.
func testState(t *testing.T) State {
	t.Helper()
	tb, err := ring.NewTable(3, idA, []ring.Member{{ID: idA}, {ID: idB}, {ID: idC}})
	require.NoError(t, err)
	for s := range uint16(ring.SlotCount) {
		if s%2 == 0 {
			require.NoError(t, tb.SetOwners(s, idA, idB))
		} else {
			require.NoError(t, tb.SetOwners(s, idB))
		}
	}
	return State{Self: idA, Table: tb, Members: []cluster.NodeInfo{
		{ID: idA, Alive: true, Self: true, State: cluster.StateServing},
		{ID: idB, Alive: true, State: cluster.StateServing},
		{ID: idC, Alive: false, State: cluster.StateServing},
	}}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		body    string
		want    Request
		wantErr string
	}{
		{`{"action":"drain","node":"` + string(idB) + `"}`, Request{Action: Drain, Node: string(idB)}, ""},
		{`{"action":"migration-rate","value":"8mb"}`, Request{Action: MigrationRate, Value: "8mb"}, ""},
		{`{"action":"drain"`, Request{}, "malformed request"},
		{`not json`, Request{}, "malformed request"},
		{`{"action":"drain","nodes":"x"}`, Request{}, "unknown field"},
		{`{"action":"drain"} {}`, Request{}, "data after the JSON object"},
	} {
		got, err := Parse([]byte(tc.body))
		if tc.wantErr != "" {
			require.Error(t, err, tc.body)
			assert.Contains(t, err.Error(), tc.wantErr, tc.body)
			var e *Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, 400, e.Status)
			continue
		}
		require.NoError(t, err, tc.body)
		assert.Equal(t, tc.want, got)
	}
}

func TestCheck(t *testing.T) {
	st := testState(t)
	draining := testState(t)
	draining.Members[1].State = cluster.StateDraining
	for _, tc := range []struct {
		name    string
		req     Request
		st      State
		status  int // 0: allowed
		wantErr string
	}{
		{"drain a peer", Request{Action: Drain, Node: string(idB)}, st, 0, ""},
		{"drain self", Request{Action: Drain, Node: string(idA)}, st, 400, "serves this console"},
		{"drain unknown", Request{Action: Drain, Node: string(idD)}, st, 404, "unknown node id"},
		{"drain bad id", Request{Action: Drain, Node: "<script>"}, st, 400, "bad node id"},
		{"drain no id", Request{Action: Drain}, st, 400, "bad node id"},
		{"drain dead", Request{Action: Drain, Node: string(idC)}, st, 409, "is down"},
		{"drain draining", Request{Action: Drain, Node: string(idB)}, draining, 409, "already draining"},
		{"drain with value", Request{Action: Drain, Node: string(idB), Value: "1"}, st, 400, "takes a node"},
		{"failover onto a replica", Request{Action: Failover, Node: string(idB)}, st, 0, ""},
		{"failover onto a node that replicates nothing", Request{Action: Failover, Node: string(idA)}, st, 409, "replicates no slot"},
		{"failover without a table", Request{Action: Failover, Node: string(idB)}, State{Members: st.Members}, 409, "replicates no slot"},
		{"rate", Request{Action: MigrationRate, Value: "16mb"}, st, 0, ""},
		{"rate in bytes", Request{Action: MigrationRate, Value: "1000000"}, st, 0, ""},
		{"rate bad", Request{Action: MigrationRate, Value: "fast"}, st, 400, "bad migration-rate"},
		{"rate empty", Request{Action: MigrationRate}, st, 400, "bad migration-rate"},
		{"rate with node", Request{Action: MigrationRate, Node: string(idB), Value: "1mb"}, st, 400, "not a node"},
		{"no action", Request{}, st, 400, "missing action"},
		{"unknown action", Request{Action: "flushall"}, st, 400, "unknown action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.req, tc.st)
			if tc.status == 0 {
				require.NoError(t, err)
				return
			}
			var e *Error
			require.True(t, errors.As(err, &e), "%v", err)
			assert.Equal(t, tc.status, e.Status)
			assert.Contains(t, e.Msg, tc.wantErr)
		})
	}
}

func TestDrainProgress(t *testing.T) {
	st := testState(t)
	p := DrainProgress(idB, st)
	assert.False(t, p.Done)
	assert.Equal(t, "8192 slots still led, 8192 replica slots still held", p.Text)

	stopped := testState(t)
	stopped.Members[1].Alive = false
	assert.Contains(t, DrainProgress(idB, stopped).Text, "node stopped")
	assert.False(t, DrainProgress(idB, stopped).Done)

	gone := testState(t)
	tb := gone.Table.Clone()
	for s := range uint16(ring.SlotCount) {
		require.NoError(t, tb.SetOwners(s, idA))
	}
	require.NoError(t, tb.RemoveMember(idB))
	gone.Table = tb
	assert.Equal(t, Progress{Text: "slots handed off; waiting for the node to leave"}, DrainProgress(idB, gone))
	gone.Members[1].Alive = false
	assert.True(t, DrainProgress(idB, gone).Done)
	gone.Members = gone.Members[:1]
	assert.True(t, DrainProgress(idB, gone).Done, "reaped from the members")
	assert.False(t, DrainProgress(idB, State{}).Done, "no table: not done")
}

func TestFailoverProgress(t *testing.T) {
	st := testState(t)
	want := st.Table.ReplicaSlots(idB) // the even slots
	p := FailoverProgress(idB, want, st)
	assert.False(t, p.Done)
	assert.Equal(t, "0 of 8192 slots moved", p.Text)
	tb := st.Table.Clone()
	for _, s := range want[:100] {
		require.NoError(t, tb.SetOwners(s, idB, idA))
	}
	st.Table = tb
	assert.Equal(t, "100 of 8192 slots moved", FailoverProgress(idB, want, st).Text)
	for _, s := range want {
		require.NoError(t, tb.SetOwners(s, idB, idA))
	}
	assert.True(t, FailoverProgress(idB, want, st).Done)
}
