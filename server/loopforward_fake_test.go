package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/server/netloop"
	"github.com/meshcache/meshcache/store"
)

// answeringFake is a membership of two nodes, this one leading the slots
// below 5000 and another the rest, whose forwards never leave the process:
// a loop's (StartForward) is answered with what next returns, on another
// goroutine; a goroutine's (Forward, ForwardBatch) with +FORWARDED.
type answeringFake struct {
	inlineFake
	started atomic.Int32
	next    func(cmds [][][]byte) ([][]byte, error)
}

func (f *answeringFake) StartForward(_ ring.NodeID, _ bool, cmds [][][]byte, _ time.Duration, done func([][]byte, error)) (transport.Pending, bool) {
	f.started.Add(1)
	replies, err := f.next(cmds)
	go done(replies, err)
	return transport.Pending{}, true
}

func (f *answeringFake) Forward(context.Context, ring.NodeID, bool, [][]byte) ([]byte, error) {
	return []byte("+FORWARDED\r\n"), nil
}

func (f *answeringFake) ForwardBatch(_ context.Context, _ ring.NodeID, _ bool, cmds [][][]byte) ([][]byte, error) {
	out := make([][]byte, len(cmds))
	for i := range cmds {
		out[i] = []byte("+FORWARDED\r\n")
	}
	return out, nil
}

// TestLoopForwardOutcomes: what a loop does with a forward's outcome
// (loopforward.go). A failed call answers the error, as a goroutine's
// forward does, and the loop keeps the connection; -MOVED hands the
// command to a goroutine, which routes it again (here: forwards it and
// relays the reply); each command counts once as processed.
func TestLoopForwardOutcomes(t *testing.T) {
	self, other := ring.NodeID(strings.Repeat("a", 40)), ring.NodeID(strings.Repeat("b", 40))
	tbl, err := ring.NewTable(1, self, []ring.Member{{ID: other, Addr: "o:1"}, {ID: self, Addr: "s:1"}})
	require.NoError(t, err)
	for sl := range ring.SlotCount {
		owner := other
		if sl < 5000 {
			owner = self
		}
		require.NoError(t, tbl.SetOwners(uint16(sl), owner))
	}
	if !netloop.Supported {
		t.Skip("no event loop on this system")
	}
	cfg := config.Default()
	cfg.Port, cfg.EventLoops = 0, 1
	srv := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	f := &answeringFake{inlineFake: inlineFake{Node: srv.solo, id: self, tbl: tbl}}
	srv.SetCluster(membership.Cluster{Router: f, Forwarder: f, ForwardStarter: f})
	ts := serveTest(t, srv)
	here, away := keyIn(0, 5000), keyIn(5000, ring.SlotCount)

	rc := ts.raw(t)
	c := ts.clientOf(t, rc)
	processed := ts.srv.stats.commandsProcessed.Load()

	f.next = func([][][]byte) ([][]byte, error) { return nil, errors.New("boom") }
	rc.send(t, "SET "+here+" v\r\nGET "+away+"\r\nGET "+here+"\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t))
	require.Equal(t, "-TRYAGAIN forwarding to node bbbbbbbb failed: boom\r\n", rc.line(t))
	require.Equal(t, "$1\r\n", rc.line(t))
	require.Equal(t, "v\r\n", rc.line(t))
	require.True(t, c.looped.Load(), "a failed forward took its client off the loop")
	require.Equal(t, int32(1), f.started.Load())

	f.next = func([][][]byte) ([][]byte, error) {
		return [][]byte{[]byte("-MOVED 6000 127.0.0.1:1\r\n")}, nil
	}
	rc.send(t, "GET "+away+"\r\nGET "+here+"\r\n")
	require.Equal(t, "+FORWARDED\r\n", rc.line(t), "a command answered -MOVED was not routed again")
	require.Equal(t, "$1\r\n", rc.line(t))
	require.Equal(t, "v\r\n", rc.line(t))
	require.Equal(t, int32(2), f.started.Load())
	waitFor(t, "the client to go back to its loop", c.looped.Load)

	rc.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", rc.line(t))
	// CLIENT ID, SET, GET, GET; GET, GET; PING: the command moved counts once.
	waitFor(t, "the commands to be counted", func() bool { return ts.srv.stats.commandsProcessed.Load() == processed+6 })
	require.Equal(t, processed+6, ts.srv.stats.commandsProcessed.Load())
}
