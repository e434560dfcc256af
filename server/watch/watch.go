// Package watch is WATCH through any node (docs/DESIGN.md §6, issue 17):
// a client may WATCH keys whose slot another node leads. Its node keeps
// no copy of them, so the watch is a token (Remote): the leader's ID and
// the slot's version there (store.SlotVersion: every change of a key of
// the slot, expiry, eviction and flush included, advances it). EXEC
// forwards the transaction to the leader behind a check that runs first,
// under the slot's lock: if the leader is still the token's node and the
// slot's version still the token's, no write touched the slot since the
// WATCH, and the check watches the keys on the leader, so the EXEC there
// aborts as usual if anyone writes them before it runs; otherwise the
// check breaks the watch and the EXEC aborts (a null reply). A write to
// another key of the slot aborts it too: a false abort is allowed, a
// missed change never. Keys of one slot only, on one node; watched keys
// of several nodes (or local and remote) are refused.
//
// The watching node asks for the token (Watch) and opens the forwarded
// EXEC with the check (Remote.CheckArgs); the leader answers the token
// (AnswerToken) and runs the check (Check). Package server keeps each
// client's Remote and its local watched keys, and routes EXEC; this
// package sees the node through Node and the keyspace through the store.
package watch

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/route"
	"github.com/meshcache/meshcache/server/topology"
	"github.com/meshcache/meshcache/store"
)

// Node is what remote WATCH needs of this node's cluster membership
// (membership.Cluster implements it).
type Node interface {
	// ID is this node's ID, Table the routing table in force (nil until
	// the first), Route the node leading slot now and whether it is this
	// one.
	ID() ring.NodeID
	Table() *ring.Table
	Route(slot uint16) (ring.NodeID, bool)
	// ForwardBatch runs cmds in order on node id and returns their replies.
	ForwardBatch(ctx context.Context, id ring.NodeID, resp3 bool, cmds [][][]byte) ([][]byte, error)
}

// The internode markers of remote WATCH: only the cluster port
// (server.ExecuteBatch) sees them, as the first command of a forwarded
// batch. Their names cannot be a client's command.
var (
	// tokenMarker asks for a slot's token: [marker, slot] answers
	// "+<leader ID> <version>", or -MOVED when the node does not lead it.
	tokenMarker = []byte("\x00meshcache:watch-token")
	// checkMarker opens a forwarded EXEC: [marker, leader ID, slot,
	// version, key...] watches the keys if the token still holds, else
	// breaks the watch; it answers +OK either way.
	checkMarker = []byte("\x00meshcache:watch-check")
)

// Remote is a client's watch of keys another node leads: the token its
// first WATCH of the slot took, and every key watched since. Owned by the
// client's connection.
type Remote struct {
	Leader  ring.NodeID
	Slot    uint16
	Version uint64
	Keys    [][]byte
}

// Watch adds keys of slot, which owner leads, to rw, a client's remote
// watch (nil: it has none yet), and returns it; or nil and the client's
// error, and rw is as it was. A first WATCH of the slot asks owner for its token over
// n; a later one keeps that token, so any write since the first WATCH
// aborts the EXEC. local: the client watches keys this node leads.
func Watch(n Node, rw *Remote, local bool, owner ring.NodeID, slot uint16, keys [][]byte, resp3 bool) (*Remote, string) {
	if local || (rw != nil && (rw.Slot != slot || rw.Leader != owner)) {
		return nil, route.ErrWatchNodes
	}
	if rw == nil {
		leader, version, msg := askToken(n, owner, slot, resp3)
		if msg != "" {
			return nil, msg
		}
		rw = &Remote{Leader: leader, Slot: slot, Version: version}
	}
	for _, k := range keys {
		rw.Keys = append(rw.Keys, bytes.Clone(k))
	}
	return rw, ""
}

// askToken asks owner for slot's token; msg is the client's error.
func askToken(n Node, owner ring.NodeID, slot uint16, resp3 bool) (leader ring.NodeID, version uint64, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), route.ForwardTimeout)
	defer cancel()
	replies, err := n.ForwardBatch(ctx, owner, resp3, [][][]byte{{tokenMarker, strconv.AppendUint(nil, uint64(slot), 10)}})
	if err != nil {
		return "", 0, route.ForwardError(owner, err)
	}
	if len(replies) != 1 || len(replies[0]) < 3 || replies[0][0] != '+' {
		return "", 0, route.TryAgain(slot)
	}
	id, off, ok := bytes.Cut(bytes.TrimRight(replies[0][1:], "\r\n"), []byte(" "))
	v, err := strconv.ParseUint(string(off), 10, 64)
	if !ok || err != nil {
		return "", 0, fmt.Sprintf("ERR internal error: bad watch token from %s", owner)
	}
	return ring.NodeID(id), v, ""
}

// CheckArgs is the marker command that opens rw's client's forwarded EXEC.
func (rw *Remote) CheckArgs() [][]byte {
	out := [][]byte{checkMarker, []byte(rw.Leader), strconv.AppendUint(nil, uint64(rw.Slot), 10), strconv.AppendUint(nil, rw.Version, 10)}
	return append(out, rw.Keys...)
}

// IsTokenBatch and IsCheckBatch recognise the markers' batches.
func IsTokenBatch(cmds [][][]byte) bool {
	return len(cmds) == 1 && len(cmds[0]) == 2 && bytes.Equal(cmds[0][0], tokenMarker)
}

func IsCheckBatch(cmds [][][]byte) bool {
	return len(cmds) > 0 && len(cmds[0]) >= 5 && bytes.Equal(cmds[0][0], checkMarker)
}

// AnswerToken answers a token request (args, the batch's one command) on
// the slot's leader: its ID and the slot's version, read under the slot's
// lock, or -MOVED when n no longer leads it.
func AnswerToken(n Node, st *store.Store, args [][]byte) [][]byte {
	slot, err := strconv.ParseUint(string(args[1]), 10, 16)
	if err != nil || slot >= ring.SlotCount {
		return [][]byte{[]byte("-ERR bad slot\r\n")}
	}
	tx := st.Lock(uint16(slot))
	defer tx.Close()
	if owner, here := n.Route(uint16(slot)); !here {
		return [][]byte{fmt.Appendf(nil, "-%s\r\n", topology.MovedError(n.Table(), uint16(slot), owner))}
	}
	return [][]byte{fmt.Appendf(nil, "+%s %d\r\n", n.ID(), st.SlotVersion(uint16(slot)))}
}

// Check runs the check marker (args) on the leader, for the internal
// client that then runs the forwarded MULTI ... EXEC: under the slot's
// lock it watches the keys with *w (made on first use) and reports the
// slot, whether the watch is broken (the leader or the slot's version is
// not the token's, or a key could not be watched), and ok false for a
// malformed marker, which watches nothing.
func Check(n Node, st *store.Store, w **store.Watcher, args [][]byte) (slot uint16, broken, ok bool) {
	sl, err1 := strconv.ParseUint(string(args[2]), 10, 16)
	version, err2 := strconv.ParseUint(string(args[3]), 10, 64)
	if err1 != nil || err2 != nil || sl >= ring.SlotCount {
		return 0, false, false
	}
	slot = uint16(sl)
	tx := st.Lock(slot)
	defer tx.Close()
	if *w == nil {
		*w = st.NewWatcher()
	}
	_, here := n.Route(slot)
	broken = !here || ring.NodeID(args[1]) != n.ID() || st.SlotVersion(slot) != version
	for _, key := range args[4:] {
		if err := tx.Watch(*w, key); err != nil {
			broken = true
		}
	}
	return slot, broken, true
}
