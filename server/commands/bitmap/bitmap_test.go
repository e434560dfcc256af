package bitmap

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// families are the groups the tests run: the bitmap commands, with the string and
// key commands the tests also use.
var families = []commandstest.Family{commands.StringCommands, commands.KeyCommands, Commands}

// TestBitWritesReplicateTheirRange runs bit and range writes on a 1 MB
// string: each ships the bytes it touched, not the string, and applying
// the effects to a second store, once and then again, gives the same
// value and TTL.
func TestBitWritesReplicateTheirRange(t *testing.T) {
	rp := commandstest.NewReplPair(families...)
	primary, replica, run := rp.Primary, rp.Replica, rp.Run
	run(primary, "SET", "{b}big", strings.Repeat("x", 1<<20), "EX", "1000")
	require.Len(t, rp.Effects, 1)
	writes := []struct {
		args  []string
		reply string
		ship  int // bytes of the range effect's value
	}{
		{[]string{"SETBIT", "{b}big", "8000000", "1"}, ":0\r\n", 1},
		{[]string{"SETBIT", "{b}big", "8000000", "1"}, ":1\r\n", -1}, // no change: nothing shipped
		{[]string{"SETBIT", "{b}big", "9000000", "1"}, ":0\r\n", 1},  // grows the string
		{[]string{"BITFIELD", "{b}big", "SET", "u16", "#10", "65535", "INCRBY", "i8", "100", "1", "GET", "u8", "0"},
			"*3\r\n:30840\r\n:-120\r\n:120\r\n", 10},
		{[]string{"SETRANGE", "{b}big", "5", "hello"}, ":1125001\r\n", 5},
		{[]string{"APPEND", "{b}big", "tail"}, ":1125005\r\n", 4},
		{[]string{"BITFIELD", "{b}new", "OVERFLOW", "FAIL", "SET", "u2", "10", "7"}, "*1\r\n$-1\r\n", 1},
	}
	for _, w := range writes {
		rp.Effects = rp.Effects[:0]
		require.Equal(t, w.reply, run(primary, w.args...), "%q", w.args)
		if w.ship < 0 {
			assert.Empty(t, rp.Effects, "%q", w.args)
			continue
		}
		require.Len(t, rp.Effects, 1, "%q", w.args)
		assert.Equal(t, store.EffectSetRange, rp.Effects[0].Kind, "%q", w.args)
		assert.Len(t, rp.Effects[0].Value, w.ship, "%q", w.args)
	}
	// Replay everything from an empty store, twice.
	var all []store.Effect
	primary.SetEffectSink(nil)
	primary.SnapshotSlot(ring.KeySlotString("{b}"), func(e store.Effect) bool {
		all = append(all, e.Clone())
		return true
	})
	for round := range 2 {
		require.NoError(t, replica.Apply(all))
		for _, k := range []string{"{b}big", "{b}new"} {
			assert.Equal(t, run(primary, "GET", k), run(replica, "GET", k), "round %d %s", round, k)
			assert.Equal(t, run(primary, "PTTL", k)[:3], run(replica, "PTTL", k)[:3], "round %d %s", round, k)
		}
	}
}

// FuzzBitfield feeds arbitrary BITFIELD and BITFIELD_RO arguments (NUL-
// separated) to a store holding a short string: no input may panic, each
// call writes exactly one well-formed reply, and a write never grows the
// string past proto-max-bulk-len by more than the 8 bytes of the widest
// field at the last valid offset (as Redis, which bounds the offset only).
func FuzzBitfield(f *testing.F) {
	for _, s := range []string{
		"GET\x00i8\x000", "SET\x00u63\x00#3\x00-1\x00GET\x00i64\x00#0", "OVERFLOW\x00SAT\x00INCRBY\x00i5\x0013\x00-100",
		"OVERFLOW\x00FAIL\x00INCRBY\x00u1\x000\x002", "GET\x00u64\x000", "GET\x00i8\x00#-1", "SET\x00i8\x00##1\x001",
		"INCRBY\x00i64\x0063\x009223372036854775807", "overflow\x00wrap\x00overflow", "GET\x00i\x000", "SET\x00u8\x008388607\x001",
		"GET\x00i8\x00\x00", "GET\x00u8\x00#1048575", "SET\x00i1\x00#8388607\x00-1", "GET\x00u\x00000\x000",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	host := commandstest.NewHost(1<<20, families...)
	f.Fuzz(func(t *testing.T, raw []byte, ro bool) {
		st := store.New(store.Config{})
		name := "bitfield"
		if ro {
			name = "bitfield_ro"
		}
		args := append([][]byte{[]byte(name), []byte("k")}, bytes.Split(raw, []byte{0})...)
		var reply resp.Reply
		call := &commands.Call{Args: args, Reply: &reply, Store: st, Host: host, Tx: st.Lock(ring.KeySlotString("k"))}
		seed := call.Tx.Put([]byte("k"), []byte("seed"), 0)
		require.NoError(t, seed)
		if ro {
			bitfieldROCommand(call)
		} else {
			bitfieldCommand(call)
		}
		n, _, err := call.Tx.StringLen([]byte("k"))
		call.Tx.Close()
		require.NoError(t, err)
		require.LessOrEqual(t, n, 1<<20+8, "string grown past proto-max-bulk-len")
		commandstest.RequireOneReply(t, args, reply.Bytes())
	})
}
