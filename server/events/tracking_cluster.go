package events

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// Client-side caching across the cluster (docs/DESIGN.md §6). A key is
// remembered on the node that leads its slot, since that node sees every
// change: a tracking client's command forwarded to another node goes in a
// batch that opens with trackMarker (its node and client ID), and the
// leader remembers the keys the batch reads for that remote client
// (trackRef with a node). When such a key changes, the leader sends the
// invalidation to the client's node (trackInvMarker batch) and waits for
// that node to have put it in the client's outbox before the writer is
// answered: so no acknowledged change leaves a value cached. A flush sends
// every node that registered reads a flush-style invalidation for all its
// tracking clients; a slot that changes leader does the same on every
// node (the new leader has no record of the reads): the new leader's first
// write to the slot sends it to every node before it is answered
// (NewLeader), and each node's fan-out goroutine sends it to its own
// clients when it sees the new routing table (slotsMoved, catchUp).

var (
	// trackMarker opens a forwarded batch of a tracking client:
	// [marker, node ID, client ID, remember 0|1, noloop 0|1].
	trackMarker = []byte("\x00meshcache:track")
	// trackInvMarker opens a batch of invalidations for this node's
	// clients: then [client ID, key] per key, or [client ID] for a
	// flush-style invalidation ("*": every tracking client).
	trackInvMarker = []byte("\x00meshcache:track-inv")
)

// ReadFor makes internal client ic read for c, a client of this node,
// until Release: the reads of a part of c's split command that runs here
// are remembered for c. m is c's Marker.
func (ic *Client) ReadFor(c *Client, m [][]byte) {
	ic.trackAs = remoteTrack{ref: trackRef{c: c}, remember: string(m[3]) == "1", noloop: string(m[4]) == "1"}
	ic.tracking.Store(true)
}

// trackRef names a tracking client: c on this node, or client id on node.
type trackRef struct {
	c    *Client
	node ring.NodeID
	id   uint64
}

// remoteTrack is the tracking identity an internal client reads and
// writes for (the trackMarker of its batch, or a local client's part of a
// split command); zero for other clients.
type remoteTrack struct {
	ref              trackRef
	remember, noloop bool
}

// remoteInv is one invalidation for a client on another node.
type remoteInv struct {
	node  ring.NodeID
	id    uint64
	key   string
	flush bool // every tracking client of node, a null
}

// Marker returns the trackMarker command to open c's forwarded batch
// with, or nil when c is not a tracking client in default mode. The front
// end opens each batch it forwards for c with it, or runs a part of c's
// split command here on an internal client that ReadFor c.
func (h *Hub) Marker(c *Client) [][]byte {
	if !c.tracking.Load() || c.forwarded {
		return nil
	}
	t := h.tracking
	t.mu.Lock()
	st := c.track
	t.mu.Unlock()
	if !st.on || st.bcast {
		return nil
	}
	remember := !(st.optin && !st.caching) && !(st.optout && st.caching)
	return [][]byte{trackMarker, []byte(h.cluster.ID()), strconv.AppendUint(nil, c.ID, 10), boolArg(remember), boolArg(st.noloop)}
}

func boolArg(b bool) []byte {
	if b {
		return []byte("1")
	}
	return []byte("0")
}

// errNoMarkerReply: a node answered a tracking client's batch with no
// reply at all, not even the marker's.
var errNoMarkerReply = errors.New("empty reply to a tracking client's batch")

// Forward runs cmds on node owner for client c and returns their replies:
// one command alone, or one batch, opened by c's marker (Marker) when c
// tracks, so that owner remembers the batch's reads for c (Adopt).
func (h *Hub) Forward(ctx context.Context, c *Client, owner ring.NodeID, resp3 bool, cmds [][][]byte) ([][]byte, error) {
	m := h.Marker(c)
	if m == nil {
		if len(cmds) == 1 {
			r, err := h.cluster.Forward(ctx, owner, resp3, cmds[0])
			return [][]byte{r}, err
		}
		return h.cluster.ForwardBatch(ctx, owner, resp3, cmds)
	}
	replies, err := h.cluster.ForwardBatch(ctx, owner, resp3, append([][][]byte{m}, cmds...))
	if err != nil {
		return nil, err
	}
	if len(replies) == 0 {
		return nil, errNoMarkerReply
	}
	return replies[1:], nil
}

// Adopt makes internal client c read for the tracking client of another
// node that the marker args names, until Release. It reports whether args
// is a marker (the first command of a forwarded batch).
func (h *Hub) Adopt(c *Client, args [][]byte) bool {
	if len(args) != 5 || !bytes.Equal(args[0], trackMarker) {
		return false
	}
	id, err := strconv.ParseUint(string(args[2]), 10, 64)
	if err != nil {
		return true
	}
	c.trackAs = remoteTrack{ref: trackRef{node: ring.NodeID(args[1]), id: id},
		remember: string(args[3]) == "1", noloop: string(args[4]) == "1"}
	t := h.tracking
	t.mu.Lock()
	t.remote = true
	t.active.Store(true)
	t.mu.Unlock()
	c.tracking.Store(true)
	return true
}

// IsTrackInv reports whether a forwarded batch carries invalidations.
func IsTrackInv(cmds [][][]byte) bool {
	return len(cmds) > 0 && len(cmds[0]) == 1 && bytes.Equal(cmds[0][0], trackInvMarker)
}

// DeliverTrackInv puts the invalidations of a trackInvMarker batch in the
// outboxes of this node's clients, and answers once they are there.
func (h *Hub) DeliverTrackInv(cmds [][][]byte) [][]byte {
	t := h.tracking
	out := make([][]byte, len(cmds))
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, args := range cmds {
		out[i] = []byte("+OK\r\n")
		if i == 0 {
			continue
		}
		if len(args) == 1 && string(args[0]) == "*" {
			for c := range t.clients {
				t.send(c, nil, true)
			}
			continue
		}
		if len(args) != 2 {
			continue
		}
		id, err := strconv.ParseUint(string(args[0]), 10, 64)
		if err != nil {
			continue
		}
		c := h.clients.EventsClient(id)
		if c == nil || !c.track.on || c.track.bcast {
			continue
		}
		t.send(c, args[1], false)
	}
	return out
}

// trackInvTimeout bounds the wait for a node to take invalidations: a
// node that does not answer in time is down or partitioned, and its
// clients' connections go with it.
const trackInvTimeout = 2 * time.Second

// sendRemote sends invalidations to their nodes, each node's in one
// batch, and returns when every node took them or failed (logged).
func (t *tracker) sendRemote(invs []remoteInv) {
	byNode := map[ring.NodeID][][][]byte{}
	for _, inv := range invs {
		cmds := byNode[inv.node]
		if cmds == nil {
			cmds = [][][]byte{{trackInvMarker}}
		}
		if inv.flush {
			cmds = append(cmds, [][]byte{[]byte("*")})
		} else {
			cmds = append(cmds, [][]byte{strconv.AppendUint(nil, inv.id, 10), []byte(inv.key)})
		}
		byNode[inv.node] = cmds
	}
	ctx, cancel := context.WithTimeout(context.Background(), trackInvTimeout)
	defer cancel()
	for node, cmds := range byNode {
		if node == t.h.cluster.ID() {
			t.h.DeliverTrackInv(cmds)
			continue
		}
		if _, err := t.h.cluster.ForwardBatch(ctx, node, false, cmds); err != nil {
			t.h.log.Warn("client tracking: invalidations not delivered", "node", node, "keys", len(cmds)-1, "err", err)
		}
	}
}

// sendOrphans sends the invalidations that no command took: those of
// expired and evicted keys (the fan-out's goroutine, each turn), the BCAST
// batches among them. It may also take those of a command that has
// changed a key and not yet reached AfterCall: the slots stay marked as
// sending until the delivery is done, and that command waits for it
// before its reply.
func (t *tracker) sendOrphans() {
	if !t.active.Load() {
		return
	}
	t.mu.Lock()
	t.flushBcast() // the BCAST batches of changes no command made (expiry, eviction, a replica's)
	var invs []remoteInv
	var slots []uint16
	for sl, p := range t.pending {
		invs = append(invs, p...)
		slots = append(slots, sl)
		delete(t.pending, sl)
	}
	if len(slots) == 0 {
		t.mu.Unlock()
		return
	}
	done := make(chan struct{})
	for _, sl := range slots {
		t.sending[sl] = done
	}
	t.mu.Unlock()
	t.sendRemote(invs)
	t.mu.Lock()
	for _, sl := range slots {
		if t.sending[sl] == done {
			delete(t.sending, sl)
		}
	}
	t.mu.Unlock()
	close(done)
}

// NewLeader makes the first write (cmd) this node serves to a slot it
// newly leads tell every tracking client of the cluster to flush its
// cache (sent before the write is answered, by AfterCommand): the reads of
// the slot's keys were remembered by the slot's former leader, which no
// longer sees the writes. Costs two atomic loads per write when the
// routing table did not change and no slot is fresh, and one more per key
// while some slot is; the lock and the member list only for a fresh slot
// (every write of a cluster node comes here).
func (h *Hub) NewLeader(c *Client, cmd Command, args [][]byte) {
	t := h.tracking
	if tab := h.cluster.Table(); tab != nil && tab != t.seen.Load() {
		t.mu.Lock()
		if t.seen.Load() != tab {
			t.compare(tab)
		}
		t.mu.Unlock()
	}
	if !t.anyFresh.Load() {
		return
	}
	pos := cmd.Keys(args, nil)
	if !slices.ContainsFunc(pos, func(i int) bool { return t.fresh[ring.KeySlot(args[i])].Load() }) {
		return // a few slots are never written: the lock and the member list only for a fresh one
	}
	self, members := h.cluster.ID(), h.cluster.Members() // asked before t.mu: the cluster's locks never nest in it
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, i := range pos {
		sl := ring.KeySlot(args[i])
		if !t.fresh[sl].Load() {
			continue
		}
		t.fresh[sl].Store(false)
		if t.freshN--; t.freshN == 0 {
			t.anyFresh.Store(false)
		}
		for _, m := range members {
			if m.ID != self && m.Alive {
				c.trackOut = append(c.trackOut, remoteInv{node: m.ID, flush: true})
			}
		}
		t.flushPending = true // this node's own tracking clients too
		t.active.Store(true)
	}
}

// compare marks the slots this node leads in tab and did not lead in the
// table seen last as fresh (NewLeader), and unmarks the slots it no longer
// leads; the first table seen is the baseline. t.mu is held.
func (t *tracker) compare(tab *ring.Table) {
	prev := t.seen.Swap(tab)
	if prev == nil || prev == tab {
		return
	}
	self := t.h.cluster.ID()
	t.freshN = 0
	for sl := range ring.SlotCount {
		now := tab.Primary(uint16(sl)) == self
		switch {
		case now && prev.Primary(uint16(sl)) != self:
			t.fresh[sl].Store(true)
		case !now:
			t.fresh[sl].Store(false)
		}
		if t.fresh[sl].Load() {
			t.freshN++
		}
	}
	t.anyFresh.Store(t.freshN > 0)
}

// slotsMoved brings client tracking up to the current routing table: the
// leadership baseline of NewLeader (compare), and catchUp. The fan-out's
// goroutine calls it each turn.
func (t *tracker) slotsMoved() {
	tab := t.h.cluster.Table()
	if tab == nil || (t.seen.Load() == tab && t.checked.Load() == tab) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen.Load() != tab {
		t.compare(tab) // the first table is the baseline of NewLeader
	}
	t.catchUp()
}

// catchUp judges the remembered reads against the current routing table:
// when a slot changed leader since the table last judged (t.checked),
// every tracking client of this node is sent a flush-style invalidation
// (its reads of that slot were remembered by the old leader) and this
// node forgets its records of the moved slots' keys (forgetMoved). BeforeCall
// runs it before remembering a read, so a read is only ever judged by the
// changes after the table it was made under: a late look at a new table
// must not forget reads remembered under it. t.mu is held.
func (t *tracker) catchUp() {
	tab := t.h.cluster.Table()
	prev := t.checked.Load()
	if tab == nil || tab == prev {
		return
	}
	t.checked.Store(tab)
	if prev == nil {
		return // the first table: the baseline
	}
	var moved [ring.SlotCount]bool
	anyMoved := false
	for sl := range ring.SlotCount {
		if tab.Primary(uint16(sl)) != prev.Primary(uint16(sl)) {
			moved[sl], anyMoved = true, true
		}
	}
	if !anyMoved {
		return
	}
	t.forgetMoved(&moved)
	for c := range t.clients {
		t.send(c, nil, true)
	}
}

// forgetMoved forgets the reads remembered of keys in the slots that
// changed leader: their clients' nodes flush them (slotsMoved there) and
// the new leader tells every node before its first write (NewLeader).
// The reads of keys in the other slots stay: this node still sees every
// change of those keys, and a client on another node that read one must
// still be told of the next. t.mu is held.
func (t *tracker) forgetMoved(moved *[ring.SlotCount]bool) {
	for k := range t.keys {
		if set := t.keys[k]; moved[ring.KeySlot([]byte(k))] {
			delete(t.keys, k)
			t.items -= len(set)
		}
	}
}
