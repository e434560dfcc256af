package keeper

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/tests/testenv"
)

// peer is one node as the keeper sees it: an endpoint on an in-memory
// network with the RPC server answering pings (Answer), a client, the
// table it holds and its Keeper, with the local profile's timings.
type peer struct {
	id    ring.NodeID
	ep    *transport.MemEndpoint
	table atomic.Pointer[ring.Table]
	k     *Keeper
	pulls atomic.Int64 // calls of Config.Pull
}

// startPeers starts n peers on one network with faults, each holding a
// table of epoch 1 naming all of them, their keepers running until the
// test ends.
func startPeers(t *testing.T, n int, faults *transport.Faults) []*peer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var running sync.WaitGroup
	network := transport.NewMemNetwork(faults)
	logger := testenv.Logger(t)
	peers := make([]*peer, n)
	members := make([]ring.Member, n)
	for i := range peers {
		p := &peer{id: ring.NewNodeID(), ep: network.Endpoint()}
		srv := transport.NewServer(p.ep.Addr(), nil, faults, transport.MinFrameSize, logger)
		srv.Handle(transport.KindPing, func(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
			return Answer(req, reply, p.table.Load())
		})
		p.ep.Start(srv)
		client := transport.NewClient(p.ep.Addr(), nil, faults, transport.MinFrameSize, p.ep.DialRPC)
		p.k = New(Config{Self: p.id, ProbeInterval: 200 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond,
			SuspicionMult: 3, Table: p.table.Load, Logger: logger, Pull: func(context.Context, string) { p.pulls.Add(1) },
			Ping: func(ctx context.Context, addr string, b []byte) ([]byte, error) {
				return client.Call(ctx, addr, transport.KindPing, b)
			}})
		t.Cleanup(func() {
			client.Close()
			_ = p.ep.Shutdown()
			srv.Close()
		})
		peers[i] = p
		members[i] = ring.Member{ID: p.id, Addr: "127.0.0.1:1", ClusterAddr: p.ep.Addr()}
	}
	tb, err := ring.NewTable(1, peers[0].id, members)
	require.NoError(t, err)
	for _, p := range peers {
		p.k.Adopt(tb)
		p.table.Store(tb)
		running.Add(1)
		go func() { defer running.Done(); p.k.Run(ctx) }()
	}
	t.Cleanup(func() { cancel(); running.Wait() })
	return peers
}

// adopt gives p a table one epoch newer than its own, issued by issuer.
func adopt(t *testing.T, p *peer, issuer ring.NodeID) *ring.Table {
	cur := p.table.Load()
	next, err := ring.NewTable(cur.Epoch+1, issuer, cur.Members())
	require.NoError(t, err)
	p.k.Adopt(next)
	p.table.Store(next)
	p.k.Kick()
	return next
}

// TestKeeperOverTheNetwork runs three keepers on a real in-memory network
// (local timings: a 300 ms lease): each holds its lease while the others
// answer; one cut off loses it, and refuses at once (Wait) once it lapsed;
// the two others keep theirs; a node whose peers answer from a newer table
// holds none until it adopts that table.
func TestKeeperOverTheNetwork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	faults := transport.NewFaults()
	peers := startPeers(t, 3, faults)
	a, b, c := peers[0], peers[1], peers[2]
	held := func(p *peer) func() bool { return p.k.Held }
	for _, p := range peers {
		require.Eventually(t, held(p), 10*time.Second, 5*time.Millisecond, "every node holds its lease")
		assert.True(t, p.k.Wait())
		assert.True(t, p.k.Confirm(ctx, 5*time.Second), "a fresh round trip to a majority")
	}

	faults.Cut([]string{c.ep.Addr()}, []string{a.ep.Addr(), b.ep.Addr()})
	require.Eventually(t, func() bool { return !c.k.Held() }, 10*time.Second, 5*time.Millisecond, "the cut-off node loses its lease")
	// Wait gives a just-lapsed lease a probe round, then refuses; once the
	// lapse is older than its bound it refuses without waiting.
	assert.False(t, c.k.Wait())
	assert.False(t, c.k.Wait())
	assert.False(t, c.k.Confirm(ctx, 300*time.Millisecond), "no majority answers the cut-off node")
	assert.True(t, a.k.Wait(), "the majority keeps its lease")
	assert.True(t, b.k.Wait())
	faults.Heal()
	require.Eventually(t, held(c), 10*time.Second, 5*time.Millisecond, "healed, it holds its lease again")

	// b and c adopt a newer table; a, still on the old one, counts none of
	// their answers: it holds no lease until it adopts the newer table.
	next := adopt(t, b, b.id)
	c.k.Adopt(next)
	c.table.Store(next)
	c.k.Kick()
	require.Eventually(t, func() bool { return !a.k.Held() }, 10*time.Second, 5*time.Millisecond, "a node behind the majority's table holds no lease")
	require.Eventually(t, func() bool { return a.pulls.Load() > 0 }, 10*time.Second, 5*time.Millisecond, "it pulls the newer table a member reported")
	a.k.Adopt(next)
	a.table.Store(next)
	require.True(t, a.k.Wait(), "with the table in force it holds its lease again")
}

// TestKeeperOneNode: a node whose table names it alone holds its lease from
// the moment it adopts the table, before any probe.
func TestKeeperOneNode(t *testing.T) {
	t.Parallel()
	id := ring.NewNodeID()
	var table atomic.Pointer[ring.Table]
	k := New(Config{Self: id, ProbeInterval: 200 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond, SuspicionMult: 3,
		Table: table.Load, Logger: testenv.Logger(t), Pull: func(context.Context, string) {},
		Ping: func(context.Context, string, []byte) ([]byte, error) { return nil, transport.ErrFrameTooLarge }})
	assert.False(t, k.Held(), "no table, no lease")
	assert.False(t, k.HeldAt(time.Now()))
	assert.False(t, k.Wait())
	tb, err := ring.NewTable(1, id, []ring.Member{{ID: id, Addr: "127.0.0.1:1", ClusterAddr: "127.0.0.1:2"}})
	require.NoError(t, err)
	k.Adopt(tb)
	table.Store(tb)
	assert.True(t, k.Held())
	assert.True(t, k.HeldAt(time.Now()), "judged at a reading of now, as Held")
	assert.False(t, k.HeldAt(time.Now().Add(time.Hour)), "judged at a time past the lease")
}

// TestAnswer: a plain ping is echoed; a probe is answered with this node's
// table, whatever the sender's.
func TestAnswer(t *testing.T) {
	t.Parallel()
	issuer := ring.NewNodeID()
	tb, err := ring.NewTable(5, issuer, []ring.Member{{ID: issuer, Addr: "127.0.0.1:1", ClusterAddr: "127.0.0.1:2"}})
	require.NoError(t, err)
	out, err := Answer([]byte("12345678"), nil, tb)
	require.NoError(t, err)
	assert.Equal(t, "12345678", string(out))
	for _, c := range []struct {
		theirs wire.ProbeTable
		mine   *ring.Table
		want   wire.ProbeTable
	}{
		{wire.ProbeTable{Epoch: 5, Issuer: issuer}, tb, wire.ProbeTable{Epoch: 5, Issuer: issuer}},
		{wire.ProbeTable{Epoch: 6, Issuer: issuer}, tb, wire.ProbeTable{Epoch: 5, Issuer: issuer}},
		{wire.ProbeTable{Epoch: 1}, nil, wire.ProbeTable{}},
	} {
		out, err := Answer(wire.AppendProbe(nil, 9, c.theirs), nil, c.mine)
		require.NoError(t, err)
		got, echo, err := wire.DecodeProbeAnswer(out, 9)
		require.NoError(t, err)
		assert.False(t, echo)
		assert.Equal(t, c.want, got)
	}
	_, err = Answer(append(wire.AppendProbe(nil, 9, wire.ProbeTable{})[:9], 0xff), nil, tb)
	assert.Error(t, err, "a corrupt probe")
}
