package server

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/store"
)

// Table tests of the front end's key finding: commands whose keys the
// legacy first/last/step range cannot describe (movable keys) are routed,
// locked, replicated and split by their key specs. The commands below are
// test-only entries shaped as Redis's (their specs copied from
// src/commands/*.json); their handlers record the slots their Tx holds.
// No sockets: the server runs on its one-node membership (cluster/solo),
// standalone or as a cluster of one, and commands are dispatched on a
// Client directly.

// keysRecorder records what the test commands' handlers saw.
type keysRecorder struct {
	mu    sync.Mutex
	calls []recordedCall
}

type recordedCall struct {
	name  string
	slots []uint16 // the slots the Tx held; nil when the command ran without one
}

func (r *keysRecorder) handler(name string) func(*commands.Call) {
	return func(c *commands.Call) {
		var slots []uint16
		if c.Tx != nil {
			slots = slices.Clone(c.Tx.Slots())
		}
		r.mu.Lock()
		r.calls = append(r.calls, recordedCall{name: name, slots: slots})
		r.mu.Unlock()
		if c.Tx == nil {
			// What the real handlers answer when the key specs found
			// no keys (a bad numkeys), as Redis's t_zset.c does.
			c.Reply.Error("ERR at least 1 input key is needed for '" + name + "' command")
			return
		}
		c.Reply.OK()
	}
}

func (r *keysRecorder) take() []recordedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

// movableKeyCommands are test-only commands with movable keys, shaped as:
//   - t.zunionstore: ZUNIONSTORE dst numkeys k1 k2 ... (two specs: dst,
//     then a keynum spec of sources);
//   - t.zunion: ZUNION numkeys k1 k2 ... (EVAL, LMPOP, SINTERCARD: one
//     keynum spec);
//   - t.xread: XREAD ... STREAMS k1 k2 id1 id2 (keyword STREAMS, range to
//     -1 with limit 2);
//   - t.georadius: GEORADIUS key ... [STORE dst] [STOREDIST dst] (an
//     index spec and two keyword specs searched from argument 6).
func movableKeyCommands(r *keysRecorder) []*Command {
	const ro, ow = commands.RO | commands.Access, commands.OW | commands.Update
	return []*Command{
		{Name: "t.zunionstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, Keys: []commands.KeySpec{
			commands.Range(ow, 1, 0, 1), commands.KeyNum(ro, 2, 0, 1, 1),
		}, Handler: r.handler("t.zunionstore")},
		{Name: "t.zunion", Arity: -3, Flags: FlagReadOnly, Keys: []commands.KeySpec{
			commands.KeyNum(ro, 1, 0, 1, 1),
		}, Handler: r.handler("t.zunion")},
		{Name: "t.xread", Arity: -4, Flags: FlagReadOnly, Keys: []commands.KeySpec{
			{Flags: ro, Keyword: "STREAMS", StartFrom: 1, LastKey: -1, Step: 1, Limit: 2},
		}, Handler: r.handler("t.xread")},
		{Name: "t.georadius", Arity: -6, Flags: FlagWrite | FlagDenyOOM, Keys: []commands.KeySpec{
			commands.Range(ro, 1, 0, 1),
			{Flags: ow, Keyword: "STORE", StartFrom: 6, LastKey: 0, Step: 1},
			{Flags: ow, Keyword: "STOREDIST", StartFrom: 6, LastKey: 0, Step: 1},
		}, Handler: r.handler("t.georadius")},
	}
}

// newKeysServer builds a server (not serving) with the test commands in its
// table, standalone or, with asCluster, a cluster of one (routing, same-slot
// rules and replica bookkeeping on).
func newKeysServer(t *testing.T, asCluster bool) (*Server, *keysRecorder) {
	t.Helper()
	cfg := config.Default()
	s := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	if asCluster {
		// The table names a second member, as a cluster whose replicas
		// live elsewhere: a node named alone notes no write (noteWrite).
		tb, err := ring.NewTable(1, s.solo.ID(), []ring.Member{{ID: s.solo.ID()}, {ID: ring.NewNodeID()}})
		require.NoError(t, err)
		s.SetCluster(membership.Of(pairedCluster{oneNodeCluster{s.solo}, tb}))
	}
	r := &keysRecorder{}
	addTestCommands(s, movableKeyCommands(r))
	return s, r
}

// pairedCluster is a cluster of one whose routing table names another
// member too (table); routing still leads every slot here.
type pairedCluster struct {
	oneNodeCluster
	table *ring.Table
}

func (p pairedCluster) Table() *ring.Table { return p.table }

// addTestCommands rebuilds s's table with test-only commands added.
func addTestCommands(s *Server, cmds []*Command) {
	s.table.Build(append(slices.Clip(commandGroups), func() []*Command { return cmds }))
}

// testClient is a connection's state without a connection: dispatch
// writes its replies to c.reply.
func testClient(s *Server) *Client {
	c := &Client{srv: s, addr: "test", laddr: "test", created: time.Now(), authenticated: true}
	c.setProto(2)
	c.repl.Reset()
	return c
}

// do dispatches one command on c and returns its raw reply.
func do(s *Server, c *Client, args ...string) string {
	s.dispatch(c, bytesArgs(args), false)
	out := string(c.reply.Bytes())
	c.reply.Reset()
	return out
}

// slotsOf returns the sorted, distinct slots of keys.
func slotsOf(keys ...string) []uint16 {
	var out []uint16
	for _, k := range keys {
		out = append(out, ring.KeySlot([]byte(k)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// keysSlotCases are commands and the keys their specs name; keys nil: the
// specs do not fit the arguments, so the command has no keys and runs
// where it was sent (its handler answers the error), as on Redis Cluster.
var keysSlotCases = []struct {
	args []string
	keys []string
}{
	{[]string{"t.zunionstore", "dst", "2", "a", "b"}, []string{"dst", "a", "b"}},
	{[]string{"T.ZUNIONSTORE", "dst", "3", "a", "b", "c", "WEIGHTS", "1", "2", "3"}, []string{"dst", "a", "b", "c"}},
	{[]string{"t.zunionstore", "dst", "0", "a"}, nil},      // numkeys 0
	{[]string{"t.zunionstore", "dst", "5", "a", "b"}, nil}, // numkeys past the arguments
	{[]string{"t.zunionstore", "dst", "-1", "a"}, nil},
	{[]string{"t.zunionstore", "dst", "x", "a"}, nil},
	{[]string{"t.zunion", "3", "a", "b", "c"}, []string{"a", "b", "c"}},
	{[]string{"t.zunion", "1", "a", "WITHSCORES"}, []string{"a"}},
	{[]string{"t.xread", "STREAMS", "s1", "s2", "0", "0"}, []string{"s1", "s2"}},
	{[]string{"t.xread", "COUNT", "1", "streams", "s1", "0"}, []string{"s1"}},
	{[]string{"t.xread", "STREAMS", "s1", "s2", "0"}, nil}, // unbalanced, as xreadGetKeys
	{[]string{"t.georadius", "src", "0", "0", "1", "km"}, []string{"src"}},
	{[]string{"t.georadius", "src", "0", "0", "1", "km", "STORE", "dst"}, []string{"src", "dst"}},
	{[]string{"t.georadius", "src", "0", "0", "1", "km", "COUNT", "3", "STOREDIST", "dd"}, []string{"src", "dd"}},
}

// TestDispatchLocksMovableKeys: dispatch locks exactly the slots of the
// keys the specs find, and a command whose specs find no keys runs without
// a Tx; standalone (cluster mode off), keys of any slots meet.
func TestDispatchLocksMovableKeys(t *testing.T) {
	s, r := newKeysServer(t, false)
	c := testClient(s)
	for _, tc := range keysSlotCases {
		reply := do(s, c, tc.args...)
		calls := r.take()
		require.Len(t, calls, 1, "%v: %s", tc.args, reply)
		if tc.keys == nil {
			assert.Nil(t, calls[0].slots, "%v", tc.args)
			assert.True(t, strings.HasPrefix(reply, "-ERR at least 1 input key"), "%v: %s", tc.args, reply)
			continue
		}
		assert.Equal(t, "+OK\r\n", reply, "%v", tc.args)
		assert.Equal(t, slotsOf(tc.keys...), calls[0].slots, "%v", tc.args)
	}
}

// TestMovableKeysCrossSlot: on a cluster the movable-key commands (not
// multi_shard) need their keys in one slot: -CROSSSLOT otherwise, before
// the handler runs; keys of one slot run here, with that slot locked and
// (for writes) noted for the replicas; a command whose specs find no keys
// runs here, whatever slots its arguments name.
func TestMovableKeysCrossSlot(t *testing.T) {
	s, r := newKeysServer(t, true)
	c := testClient(s)
	for _, tc := range keysSlotCases {
		reply := do(s, c, tc.args...)
		calls := r.take()
		switch {
		case tc.keys == nil:
			require.Len(t, calls, 1, "%v: %s", tc.args, reply)
			assert.Nil(t, calls[0].slots, "%v", tc.args)
		case len(slotsOf(tc.keys...)) > 1:
			assert.Equal(t, "-"+errCrossSlot+"\r\n", reply, "%v", tc.args)
			assert.Empty(t, calls, "%v", tc.args)
		default:
			require.Len(t, calls, 1, "%v: %s", tc.args, reply)
			assert.Equal(t, slotsOf(tc.keys...), calls[0].slots, "%v", tc.args)
		}
		c.repl.Reset()
	}
	// The same commands with every key in one slot run, and the writes
	// note that slot for replica acknowledgement (noteWrite).
	tagged := []struct {
		args []string
		key  string
	}{
		{[]string{"t.zunionstore", "{u}dst", "2", "{u}a", "{u}b"}, "{u}"},
		{[]string{"t.zunion", "2", "{u}a", "{u}b"}, "{u}"},
		{[]string{"t.xread", "STREAMS", "{u}1", "{u}2", "0", "0"}, "{u}"},
		{[]string{"t.georadius", "{v}src", "0", "0", "1", "km", "STORE", "{v}dst"}, "{v}"},
	}
	for _, tc := range tagged {
		assert.Equal(t, "+OK\r\n", do(s, c, tc.args...), "%v", tc.args)
		calls := r.take()
		require.Len(t, calls, 1)
		assert.Equal(t, slotsOf(tc.key), calls[0].slots, "%v", tc.args)
		if e := s.table.LookupName(tc.args[0]); e.Flags&FlagWrite != 0 {
			assert.Equal(t, slotsOf(tc.key), c.repl.Noted(), "%v: noteWrite records the slot", tc.args)
		} else {
			assert.Empty(t, c.repl.Noted(), "%v: a read notes nothing", tc.args)
		}
		c.repl.Reset()
	}
}

// TestNoteWriteMovableKeys: a write notes the slots of every key its specs
// find, the movable ones included.
func TestNoteWriteMovableKeys(t *testing.T) {
	s, _ := newKeysServer(t, true)
	c := testClient(s)
	for _, tc := range []struct {
		args []string
		keys []string
	}{
		{[]string{"t.zunionstore", "dst", "2", "a", "b"}, []string{"dst", "a", "b"}},
		{[]string{"t.georadius", "src", "0", "0", "1", "km", "STORE", "dst", "STOREDIST", "dd"}, []string{"src", "dst", "dd"}},
		{[]string{"t.zunionstore", "dst", "0", "a"}, nil},
	} {
		e := s.table.LookupName(tc.args[0])
		bargs := bytesArgs(tc.args)
		s.noteWrite(c, e, bargs)
		got := slices.Clone(c.repl.Noted())
		slices.Sort(got)
		if tc.keys == nil {
			assert.Empty(t, got, "%v: no keys found, none noted", tc.args)
		} else {
			assert.Equal(t, slotsOf(tc.keys...), slices.Compact(got), "%v", tc.args)
		}
		c.repl.Reset()
	}
}

// TestExecLocksMovableKeys: EXEC's lock stretch holds the slots of every
// key of the queued movable-key commands (standalone: any slots); on a
// cluster a transaction whose movable keys span slots is refused with
// -CROSSSLOT, and one whose keys share a slot runs with that slot locked.
func TestExecLocksMovableKeys(t *testing.T) {
	t.Run("standalone", func(t *testing.T) {
		s, r := newKeysServer(t, false)
		c := testClient(s)
		require.Equal(t, "+OK\r\n", do(s, c, "MULTI"))
		require.Equal(t, "+QUEUED\r\n", do(s, c, "t.zunionstore", "dst", "2", "a", "b"))
		require.Equal(t, "+QUEUED\r\n", do(s, c, "t.xread", "STREAMS", "s1", "s2", "0", "0"))
		require.Equal(t, "+QUEUED\r\n", do(s, c, "t.georadius", "src", "0", "0", "1", "km", "STORE", "gd"))
		assert.Equal(t, "*3\r\n+OK\r\n+OK\r\n+OK\r\n", do(s, c, "EXEC"))
		want := slotsOf("dst", "a", "b", "s1", "s2", "src", "gd")
		calls := r.take()
		require.Len(t, calls, 3)
		for _, call := range calls {
			assert.Equal(t, want, call.slots, "%s runs under the stretch's one Tx", call.name)
		}
	})
	t.Run("cluster", func(t *testing.T) {
		s, r := newKeysServer(t, true)
		c := testClient(s)
		require.Equal(t, "+OK\r\n", do(s, c, "MULTI"))
		require.Equal(t, "+QUEUED\r\n", do(s, c, "t.zunionstore", "{w}dst", "2", "{w}a", "b"))
		assert.Equal(t, "-"+errCrossSlot+"\r\n", do(s, c, "EXEC"))
		assert.Empty(t, r.take())

		require.Equal(t, "+OK\r\n", do(s, c, "MULTI"))
		require.Equal(t, "+QUEUED\r\n", do(s, c, "t.zunionstore", "{w}dst", "2", "{w}a", "{w}b"))
		require.Equal(t, "+QUEUED\r\n", do(s, c, "t.xread", "STREAMS", "{w}s", "0"))
		assert.Equal(t, "*2\r\n+OK\r\n+OK\r\n", do(s, c, "EXEC"))
		calls := r.take()
		require.Len(t, calls, 2)
		for _, call := range calls {
			assert.Equal(t, slotsOf("{w}"), call.slots, call.name)
		}
		assert.Equal(t, slotsOf("{w}"), c.repl.Noted(), "the transaction's write is noted")
	})
}

// TestMovableKeysNotBatched: a pipelined movable-key command joins a
// forwarded batch only when every key its specs find is led by that
// node, and never when its specs find no keys (it runs where it was sent).
func TestMovableKeysNotBatched(t *testing.T) {
	s, _ := newKeysServer(t, true)
	peer := ring.NodeID(strings.Repeat("p", 40))
	split := &splitCluster{Node: s.solo, peer: peer}
	s.SetCluster(membership.Cluster{Router: split, Forwarder: split})
	c := testClient(s)
	c.routeState()
	t0 := s.cluster.Table()
	low, high := keyInHalf(t, "k", false), keyInHalf(t, "k", true)
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"t.zunion", "1", high}, true},
		{[]string{"t.zunion", "1", low}, false},
		{[]string{"t.zunion", "2", high, low}, false},
		{[]string{"t.zunion", "0", high}, false},
		{[]string{"t.xread", "STREAMS", high, "0"}, true},
		{[]string{"t.xread", "STREAMS", high, high, "0"}, false},
	} {
		bargs := bytesArgs(tc.args)
		assert.Equal(t, tc.want, s.batchable(c, t0, peer, bargs), "%v", tc.args)
	}
}

// splitCluster is the one-node membership with the upper half of the
// slots led by a peer, whose forwarded commands it records and answers
// as the test multi_shard commands would (each key as "key@suffix").
type splitCluster struct {
	*solo.Node
	peer ring.NodeID

	mu   sync.Mutex
	sent [][]string // the commands forwarded to the peer
}

func (*splitCluster) Standalone() bool { return false }

func (sc *splitCluster) Route(slot uint16) (ring.NodeID, bool) {
	if slot >= ring.SlotCount/2 {
		return sc.peer, false
	}
	return sc.Node.Route(slot)
}

func (sc *splitCluster) Forward(_ context.Context, _ ring.NodeID, _ bool, args [][]byte) ([]byte, error) {
	var sargs []string
	for _, a := range args {
		sargs = append(sargs, string(a))
	}
	sc.mu.Lock()
	sc.sent = append(sc.sent, sargs)
	sc.mu.Unlock()
	var r strings.Builder
	suffix := sargs[len(sargs)-1]
	keys := sargs[2 : len(sargs)-1]
	r.WriteString("*" + strconv.Itoa(len(keys)) + "\r\n")
	for _, k := range keys {
		v := k + "@" + suffix
		r.WriteString("$" + strconv.Itoa(len(v)) + "\r\n" + v + "\r\n")
	}
	return []byte(r.String()), nil
}

// keyInHalf returns a key with prefix whose slot is in the upper half of
// the slots (high) or the lower half.
func keyInHalf(t *testing.T, prefix string, high bool) string {
	t.Helper()
	for i := 0; i < 1000; i++ {
		k := prefix + strconv.Itoa(i)
		if (ring.KeySlot([]byte(k)) >= ring.SlotCount/2) == high {
			return k
		}
	}
	t.Fatal("no key found")
	return ""
}

// TestScatterBuildsPartsFromKeySpec: a multi_shard command whose keys
// span nodes is split by its key spec: each part keeps the arguments
// before the first key and after the last key group, and gets its own
// keys with their step groups; the parts' replies are merged in key order.
func TestScatterBuildsPartsFromKeySpec(t *testing.T) {
	s, _ := newKeysServer(t, true)
	// t.mgetfrom: "t.mgetfrom FROM k1 k2 ... suffix", each key read
	// as "key@suffix": keys from argument 2 to the one before last.
	mget := func(c *commands.Call) {
		suffix := string(c.Args[len(c.Args)-1])
		keys := c.Args[2 : len(c.Args)-1]
		c.Reply.Array(len(keys))
		for _, k := range keys {
			c.Reply.BulkString(string(k) + "@" + suffix)
		}
	}
	addTestCommands(s, []*Command{{
		Name: "t.mgetfrom", Arity: -4, Flags: FlagReadOnly, Tips: []string{"request_policy:multi_shard"},
		Keys: []commands.KeySpec{commands.Range(commands.RO|commands.Access, 2, -2, 1)}, Handler: mget,
	}})
	peer := ring.NodeID(strings.Repeat("p", 40))
	split := &splitCluster{Node: s.solo, peer: peer}
	s.SetCluster(membership.Cluster{Router: split, Forwarder: split})
	c := testClient(s)
	lo1, hi1 := keyInHalf(t, "a", false), keyInHalf(t, "b", true)
	lo2, hi2 := keyInHalf(t, "c", false), keyInHalf(t, "d", true)
	reply := do(s, c, "t.mgetfrom", "FROM", hi1, lo1, hi2, lo2, "sfx")
	var want strings.Builder
	want.WriteString("*4\r\n")
	for _, k := range []string{hi1, lo1, hi2, lo2} {
		v := k + "@sfx"
		want.WriteString("$" + strconv.Itoa(len(v)) + "\r\n" + v + "\r\n")
	}
	assert.Equal(t, want.String(), reply)
	assert.Equal(t, [][]string{{"t.mgetfrom", "FROM", hi1, hi2, "sfx"}}, split.sent)
}

// TestDispatchHotPathAllocs: finding the keys of GET, SET and MGET by
// their key specs allocates nothing per command (the Client's scratch is
// reused), standalone and on a cluster.
func TestDispatchHotPathAllocs(t *testing.T) {
	for _, asCluster := range []bool{false, true} {
		s, _ := newKeysServer(t, asCluster)
		c := testClient(s)
		for _, cmd := range []string{"SET {k}1 v", "GET {k}1", "MGET {k}1 {k}2 {k}3"} {
			args := bytesArgs(strings.Fields(cmd))
			s.dispatch(c, args, false) // warm: the scratch grows once
			c.reply.Reset()
			allocs := testing.AllocsPerRun(200, func() {
				s.dispatch(c, args, false)
				c.reply.Reset()
			})
			assert.Zero(t, allocs, "%s (cluster %v)", cmd, asCluster)
			c.repl.Reset()
		}
	}
}

func bytesArgs(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// TestExecBadNumkeys: inside EXEC a command whose key specs do not fit
// its arguments runs without a Tx, as it does outside, and its handler
// answers; the other commands run under the stretch's Tx.
func TestExecBadNumkeys(t *testing.T) {
	s, r := newKeysServer(t, false)
	c := testClient(s)
	require.Equal(t, "+OK\r\n", do(s, c, "MULTI"))
	require.Equal(t, "+QUEUED\r\n", do(s, c, "t.zunion", "1", "a"))
	require.Equal(t, "+QUEUED\r\n", do(s, c, "t.zunionstore", "dst", "0", "a"))
	reply := do(s, c, "EXEC")
	assert.Equal(t, "*2\r\n+OK\r\n-ERR at least 1 input key is needed for 't.zunionstore' command\r\n", reply)
	calls := r.take()
	require.Len(t, calls, 2)
	assert.Equal(t, slotsOf("a"), calls[0].slots)
	assert.Nil(t, calls[1].slots)
}

// TestNoteWriteAlone: a node whose table names it alone has no replica to
// wait for and notes no write; one whose table names another member notes
// the slot of each write for the batch's replica acknowledgement.
func TestNoteWriteAlone(t *testing.T) {
	cfg := config.Default()
	alone := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	alone.SetCluster(membership.Of(oneNodeCluster{alone.solo}))
	c := testClient(alone)
	require.Equal(t, "+OK\r\n", do(alone, c, "SET", "k", "v"))
	assert.False(t, c.repl.Pending(), "alone: nothing to acknowledge")

	paired, _ := newKeysServer(t, true)
	c = testClient(paired)
	require.Equal(t, "+OK\r\n", do(paired, c, "SET", "k", "v"))
	assert.Equal(t, slotsOf("k"), c.repl.Noted())
}
