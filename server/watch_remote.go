package server

import (
	"bytes"
	"context"
	"fmt"
	"github.com/meshcache/meshcache/server/topology"
	"strconv"

	"github.com/meshcache/meshcache/ring"
)

// WATCH through any node (docs/DESIGN.md §6, issue 17). A client may WATCH
// keys whose slot another node leads. This node keeps no copy of them, so
// the watch is a token: the leader's ID and the slot's version there
// (store.SlotVersion: every change of a key of the slot, expiry, eviction
// and flush included, advances it). EXEC forwards the transaction to the leader behind a check that
// runs first, under the slot's lock: if the leader is still the token's
// node and the slot's version still the token's, no write touched the slot
// since the WATCH, and the check watches the keys on the leader, so the
// EXEC there aborts as usual if anyone writes them before it runs;
// otherwise the check breaks the watch and the EXEC aborts (a null
// reply). A write to another key of the slot aborts it too: a false abort
// is allowed, a missed change never. Keys of one slot only, on one node;
// watched keys of several nodes (or local and remote) are refused.

// The internode markers of remote WATCH: only the cluster port
// (ExecuteBatch) sees them, as the first command of a forwarded batch.
var (
	// watchTokenMarker asks for a slot's token: [marker, slot] answers
	// "+<leader ID> <version>", or -MOVED when this node does not lead it.
	watchTokenMarker = []byte("\x00meshcache:watch-token")
	// watchCheckMarker opens a forwarded EXEC: [marker, leader ID, slot,
	// version, key...] watches the keys if the token still holds, else
	// breaks the watch; it answers +OK either way.
	watchCheckMarker = []byte("\x00meshcache:watch-check")
)

// remoteWatch is a client's watch of keys that another node leads.
type remoteWatch struct {
	leader  ring.NodeID
	slot    uint16
	version uint64
	keys    [][]byte
}

// errWatchNodes refuses watched keys that would span nodes.
const errWatchNodes = "ERR WATCH of keys led by several nodes (or by this node and another) is not supported: a transaction runs on one node"

// watchRemote runs WATCH for keys of one slot led by owner (c.slots).
func (s *Server) watchRemote(c *Client, owner ring.NodeID, args [][]byte, single bool) {
	c.ranAway = true
	switch {
	case c.multi:
		c.reply.Error("ERR WATCH inside MULTI is not allowed")
		return
	case !single:
		c.reply.Error(errCrossSlot)
		return
	case len(c.watchSlots) > 0 || (c.rwatch != nil && (c.rwatch.slot != c.slots[0] || c.rwatch.leader != owner)):
		c.reply.Error(errWatchNodes)
		return
	}
	slot := c.slots[0]
	if c.rwatch == nil {
		leader, off, err := s.watchToken(owner, slot, c.RESP3())
		if err != nil {
			c.reply.Error(err.Error())
			return
		}
		c.rwatch = &remoteWatch{leader: leader, slot: slot, version: off}
	}
	// A later WATCH of the same slot keeps the first token: any write
	// since the first WATCH aborts the EXEC.
	for _, k := range args[1:] {
		c.rwatch.keys = append(c.rwatch.keys, bytes.Clone(k))
	}
	c.reply.OK()
}

// watchToken asks owner for slot's token.
func (s *Server) watchToken(owner ring.NodeID, slot uint16, resp3 bool) (ring.NodeID, uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	s.cstats.forwardsSent.Add(1)
	replies, err := s.cluster.ForwardBatch(ctx, owner, resp3, [][][]byte{{watchTokenMarker, strconv.AppendUint(nil, uint64(slot), 10)}})
	if err != nil {
		return "", 0, fmt.Errorf("%s", forwardError(owner, err))
	}
	if len(replies) != 1 || len(replies[0]) < 3 || replies[0][0] != '+' {
		return "", 0, fmt.Errorf("TRYAGAIN slot %d is moving between nodes, try again", slot)
	}
	id, off, ok := bytes.Cut(bytes.TrimRight(replies[0][1:], "\r\n"), []byte(" "))
	n, err := strconv.ParseUint(string(off), 10, 64)
	if !ok || err != nil {
		return "", 0, fmt.Errorf("ERR internal error: bad watch token from %s", owner)
	}
	return ring.NodeID(id), n, nil
}

// isWatchToken and isWatchCheck recognise the markers' batches.
func isWatchToken(cmds [][][]byte) bool {
	return len(cmds) == 1 && len(cmds[0]) == 2 && bytes.Equal(cmds[0][0], watchTokenMarker)
}

func isWatchCheck(cmds [][][]byte) bool {
	return len(cmds) > 0 && len(cmds[0]) >= 5 && bytes.Equal(cmds[0][0], watchCheckMarker)
}

// answerWatchToken answers a watch-token request on the slot's leader.
func (s *Server) answerWatchToken(args [][]byte) [][]byte {
	slot, err := strconv.ParseUint(string(args[1]), 10, 16)
	if err != nil || slot >= ring.SlotCount {
		return [][]byte{[]byte("-ERR bad slot\r\n")}
	}
	tx := s.store.Lock(uint16(slot))
	defer tx.Close()
	if owner, here := s.cluster.Route(uint16(slot)); !here {
		return [][]byte{fmt.Appendf(nil, "-%s\r\n", topology.MovedError(s.cluster.Table(), uint16(slot), owner))}
	}
	return [][]byte{fmt.Appendf(nil, "+%s %d\r\n", s.cluster.ID(), s.store.SlotVersion(uint16(slot)))}
}

// checkWatch runs the watch-check marker on the internal client c that
// then runs the forwarded MULTI ... EXEC.
func (s *Server) checkWatch(c *Client, args [][]byte) {
	slot, err1 := strconv.ParseUint(string(args[2]), 10, 16)
	off, err2 := strconv.ParseUint(string(args[3]), 10, 64)
	if err1 != nil || err2 != nil || slot >= ring.SlotCount {
		c.reply.Error("ERR bad watch check")
		return
	}
	sl := uint16(slot)
	tx := s.store.Lock(sl)
	defer tx.Close()
	if c.watcher == nil {
		c.watcher = s.store.NewWatcher()
	}
	_, here := s.cluster.Route(sl)
	if !here || ring.NodeID(args[1]) != s.cluster.ID() || s.store.SlotVersion(sl) != off {
		c.watchBroken = true
	}
	for _, key := range args[4:] {
		if err := tx.Watch(c.watcher, key); err != nil {
			c.watchBroken = true
		}
	}
	c.watchSlots = append(c.watchSlots, sl)
	c.reply.OK()
}

// watchCheckArgs is the marker command that opens c's forwarded EXEC.
func (rw *remoteWatch) checkArgs() [][]byte {
	out := [][]byte{watchCheckMarker, []byte(rw.leader), strconv.AppendUint(nil, uint64(rw.slot), 10), strconv.AppendUint(nil, rw.version, 10)}
	return append(out, rw.keys...)
}
