package server

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/store"
)

// inlineFake is a membership whose routing table names this node and
// another: slots below 5000 are led here alone, 5000-9999 here with the
// other node named as replica, the rest by the other node.
type inlineFake struct {
	*solo.Node
	id  ring.NodeID
	tbl *ring.Table
}

func (f inlineFake) ID() ring.NodeID    { return f.id }
func (f inlineFake) Table() *ring.Table { return f.tbl }
func (inlineFake) Standalone() bool     { return false }
func (f inlineFake) Route(slot uint16) (ring.NodeID, bool) {
	p := f.tbl.Primary(slot)
	return p, p == f.id
}

// keyIn returns a key whose slot is in [lo, hi).
func keyIn(lo, hi uint16) string {
	for i := 0; ; i++ {
		k := fmt.Sprintf("k%d", i)
		if sl := ring.KeySlot([]byte(k)); sl >= lo && sl < hi {
			return k
		}
	}
}

// TestInlineSafe: which commands an event loop runs itself, by the
// table's flags and the node's state (inline.go).
func TestInlineSafe(t *testing.T) {
	newSrv := func() *Server {
		cfg := config.Default()
		return New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	}
	check := func(t *testing.T, s *Server, want bool, cmds ...string) {
		t.Helper()
		c := &Client{srv: s, addr: "test", laddr: "test", created: time.Now(), authenticated: true}
		c.setProto(2)
		c.repl.Reset()
		for _, cmd := range cmds {
			f := strings.Fields(cmd)
			args := make([][]byte, len(f))
			for i, a := range f {
				args[i] = []byte(a)
			}
			require.Equal(t, want, s.inlineSafe(c, args), cmd)
		}
	}
	waits := []string{"BLPOP l 0", "BZPOPMIN z 0", "EVAL return 1 0", "FCALL f 0", "EXEC", "WAIT 1 0",
		"SUBSCRIBE ch", "MONITOR", "CLIENT KILL ID 9", "CLIENT LIST", "CONFIG SET timeout 0", "DEBUG SLEEP 0",
		"INFO", "INFO replication cluster", "CLUSTER NODES", "CLUSTER SLOTS", "COMMAND", "KEYS *", "SCAN 0",
		"DBSIZE", "RANDOMKEY"}
	always := []string{"PING", "HELLO 3", "CLIENT SETINFO LIB-NAME x", "CLIENT SETNAME n", "CLIENT ID",
		"MULTI", "NOSUCHCOMMAND", "CLIENT NOSUCHSUB", "PUBLISH ch m", "ECHO x", "SELECT 0", "READONLY"}

	t.Run("standalone", func(t *testing.T) {
		s := newSrv()
		require.True(t, s.standalone)
		check(t, s, false, waits...)
		check(t, s, true, always...)
		check(t, s, true, "GET k", "SET k v", "INCR n", "HSET h f v", "MGET a b c")
		check(t, s, false, "FLUSHALL") // the whole keyspace: a goroutine runs it
	})
	t.Run("cluster of one", func(t *testing.T) {
		s := newSrv()
		s.SetCluster(membership.Of(oneNodeCluster{s.solo}))
		require.False(t, s.standalone)
		check(t, s, false, waits...)
		check(t, s, true, always...)
		check(t, s, true, "GET k", "SET k v", "INCR n", "HSET h f v", "MGET a b c")
		check(t, s, false, "FLUSHALL") // every slot's replicas acknowledge it
	})
	t.Run("cluster of two", func(t *testing.T) {
		s := newSrv()
		self, other := ring.NodeID(strings.Repeat("a", 40)), ring.NodeID(strings.Repeat("b", 40))
		tbl, err := ring.NewTable(1, self, []ring.Member{{ID: other, Addr: "o:1"}, {ID: self, Addr: "s:1"}})
		require.NoError(t, err)
		for sl := range ring.SlotCount {
			owners := []ring.NodeID{other}
			switch {
			case sl < 5000:
				owners = []ring.NodeID{self}
			case sl < 10000:
				owners = []ring.NodeID{self, other}
			}
			require.NoError(t, tbl.SetOwners(uint16(sl), owners...))
		}
		s.SetCluster(membership.Cluster{Router: inlineFake{Node: s.solo, id: self, tbl: tbl}})
		here, replicated, away := keyIn(0, 5000), keyIn(5000, 10000), keyIn(10000, ring.SlotCount)
		check(t, s, false, waits...)
		check(t, s, true, always...)
		// A slot led here runs here, replicated or not: a write's replies
		// wait for its replicas on the loop (ackloop.go).
		check(t, s, true, "GET "+here, "SET "+here+" v", "MGET "+here+" "+here,
			"GET "+replicated, "SET "+replicated+" v", "MSET "+here+" v "+replicated+" v")
		// A slot led elsewhere is routed on the loop too: forwarded
		// without waiting, or declined (split, watched), when it runs.
		check(t, s, true, "GET "+away, "SET "+away+" v", "MGET "+here+" "+away, "WATCH "+away)
		check(t, s, false, "FLUSHALL")
	})
}
