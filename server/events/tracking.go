package events

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
)

// Client-side caching (docs/DESIGN.md §6): CLIENT TRACKING and its
// invalidation messages, as Redis's tracking.c.
//
// A tracking client reads keys; the keys its read-only commands name are
// remembered in the node's table (default mode) while the command holds
// their slots, so no write can fall between the read and the remembering.
// Every change of a key reaches the table through the store's KeyHook,
// under the key's slot lock, before the writer is answered: the tracking
// clients that read the key are sent `invalidate [key]` and the key is
// forgotten. BCAST clients are sent every change of a key under one of
// their prefixes, gathered per prefix into one message (tracking_bcast.go).
// A tracking client's output goes through its outbox (outbox.go), held
// while each of its commands runs, so an invalidation sent during a
// command (its own write, or another client's write of a key it reads)
// follows that command's reply: a client never caches a reply that an
// invalidation it has already received made stale.
//
// A flush (FLUSHALL, FLUSHDB, a slot dropped by this node) sends every
// tracking client a flush-style invalidation (`invalidate` with a null),
// once the command that flushed returns, before its reply.

// trackingChannel is the Pub/Sub channel RESP2 clients get invalidations
// on through REDIRECT.
const trackingChannel = "__redis__:invalidate"

// trackState is a connection's tracking settings, guarded by tracker.mu
// (the connection's goroutine writes them, writers of keys read them).
type trackState struct {
	on, bcast, optin, optout, noloop bool
	// caching: CLIENT CACHING YES (optin) or NO (optout) for the next command.
	caching     bool
	brokenRedir bool
	redirect    uint64  // client ID, 0: none
	redirTo     *Client // the client redirect names
	prefixes    []string
}

// tracker is the node's tracking table. mu guards keys, prefixes, clients,
// flushPending and every Client.track; writers[slot] is guarded by the
// slot's store lock. active mirrors len(clients) > 0 so that the store's
// hook costs one atomic load when nobody tracks.
type tracker struct {
	h      *Hub
	active atomic.Bool

	mu           sync.Mutex
	keys         map[string]map[trackRef]struct{} // key -> clients that read it
	maxKeys      int64                            // tracking-table-max-keys (0: no limit)
	items        int                              // the sum of keys' sets: the reads remembered
	prefixes     map[string]map[*Client]struct{}  // BCAST prefix -> clients
	bcast        map[string]bcastKeys             // BCAST prefix -> its keys changed, to send (tracking_bcast.go)
	clients      map[*Client]struct{}             // tracking on
	flushPending bool                             // a slot was flushed: nulls to send

	// remote: some node registered reads here (tracking_cluster.go), so
	// writes must look at the table even with no tracking client here.
	remote bool
	// pending[slot]: invalidations for clients on other nodes, made by
	// changes of the slot's keys, waiting for the command that made them
	// to take them (AfterCall) or, for expiry and eviction, for the
	// fan-out's goroutine (sendOrphans). Guarded by mu.
	pending map[uint16][]remoteInv
	// sending[slot]: a delivery of the slot's pending invalidations that
	// the fan-out's goroutine took (sendOrphans) is in flight; the channel
	// closes when it is done. A command that changed the slot's keys may
	// have made some of them: it waits for the channel before its reply
	// (AfterCall, AfterCommand). flushing: likewise for the flush-style
	// invalidations of a flush, sent by whichever command's AfterCommand
	// took them. Guarded by mu.
	sending  map[uint16]chan struct{}
	flushing chan struct{}
	// flushNodes: nodes whose clients registered reads here, to be told of
	// a flush. Guarded by mu.
	flushNodes map[ring.NodeID]struct{}
	nodes      map[ring.NodeID]struct{} // nodes that registered reads here

	// seen is the routing table the leadership check last compared
	// (tracking_cluster.go): stored under mu, loaded without it, since
	// every write of a cluster node asks whether the table changed.
	// fresh[slot]: this node leads slot since then and has not yet told
	// the other nodes (stored under mu, loaded without it: a write to a
	// slot that is not fresh skips the lock); freshN counts them (guarded
	// by mu) and anyFresh mirrors freshN > 0.
	seen     atomic.Pointer[ring.Table]
	fresh    [ring.SlotCount]atomic.Bool
	freshN   int
	anyFresh atomic.Bool
	// checked is the routing table the remembered reads were last judged
	// against (catchUp): stored under mu, loaded without it by the
	// fan-out's goroutine and by BeforeCall to skip the lock.
	checked atomic.Pointer[ring.Table]

	// writers[slot] is the NOLOOP tracking client whose command holds the
	// slot, the zero trackRef otherwise: its own changes are not sent to it.
	writers [ring.SlotCount]trackRef
}

func newTracker(h *Hub) *tracker {
	return &tracker{h: h, keys: map[string]map[trackRef]struct{}{}, prefixes: map[string]map[*Client]struct{}{}, bcast: map[string]bcastKeys{},
		clients: map[*Client]struct{}{}, pending: map[uint16][]remoteInv{}, sending: map[uint16]chan struct{}{}, flushNodes: map[ring.NodeID]struct{}{},
		nodes: map[ring.NodeID]struct{}{}}
}

// keyChanged is the store's KeyHook (Hub.KeyChanged): key of slot
// changed; the slot's lock is held.
func (t *tracker) keyChanged(slot uint16, key []byte) {
	if !t.active.Load() {
		return
	}
	writer := t.writers[slot]
	t.mu.Lock()
	defer t.mu.Unlock()
	for p := range t.prefixes {
		if strings.HasPrefix(string(key), p) {
			t.noteBcast(p, key, writer.c) // tracking_bcast.go
		}
	}
	t.forget(slot, key, writer)
}

// forget drops key (of slot) from the table and tells the clients that
// read it, but writer, to drop it too; t.mu is held.
func (t *tracker) forget(slot uint16, key []byte, writer trackRef) {
	set, ok := t.keys[string(key)]
	if !ok {
		return
	}
	delete(t.keys, string(key))
	t.items -= len(set)
	for ref := range set {
		if ref == writer {
			continue
		}
		if ref.c == nil {
			t.pending[slot] = append(t.pending[slot], remoteInv{node: ref.node, id: ref.id, key: string(key)})
			continue
		}
		if c := ref.c; c.track.on && !c.track.bcast {
			t.send(c, key, false)
		}
	}
}

// slotFlushed is the store's KeyHook for a flushed slot (Hub.SlotFlushed);
// its lock is held. The null invalidations go out when the flushing
// command returns (AfterCommand), once for all the slots it flushed.
func (t *tracker) slotFlushed(uint16) {
	if !t.active.Load() {
		// Nobody tracks now, but the table may still remember reads of
		// clients that stopped (they are forgotten lazily): a flush drops
		// them all, as Redis's trackingInvalidateKeysOnFlush frees its
		// table, so that no later change tells a client of a read made
		// before the flush.
		t.mu.Lock()
		if len(t.keys) > 0 {
			t.flushPending = true
			t.settleActive()
		}
		t.mu.Unlock()
		return
	}
	t.mu.Lock()
	t.flushPending = true
	for n := range t.nodes {
		t.flushNodes[n] = struct{}{}
	}
	t.mu.Unlock()
}

// AfterCommand sends the invalidations a command of c made for other
// nodes and the flush-style invalidations its flushes left pending, and
// waits for the deliveries in flight that may carry its changes (another
// goroutine took them first: AfterCall's trackWait, a flush that another
// command's AfterCommand is sending), all before its reply; and, unless
// inner, the BCAST batches (tracking_bcast.go). The front end calls it
// after every command; inner is for a command run by another (a
// transaction's or a script's), whose BCAST keys go with that command's.
func (h *Hub) AfterCommand(c *Client, inner bool) {
	t := h.tracking
	if !t.active.Load() {
		return
	}
	var flushed chan struct{}
	t.mu.Lock()
	if !inner {
		t.flushBcast()
	}
	t.limitKeys()
	if t.flushPending {
		t.flushPending = false
		clear(t.keys)
		t.items = 0
		for c := range t.clients {
			t.send(c, nil, true)
		}
		for n := range t.flushNodes {
			c.trackOut = append(c.trackOut, remoteInv{node: n, flush: true})
		}
		clear(t.flushNodes)
		if len(c.trackOut) > 0 {
			flushed = make(chan struct{})
			t.flushing = flushed
		}
		t.settleActive()
	} else if t.flushing != nil {
		c.trackWait = append(c.trackWait, t.flushing)
	}
	t.mu.Unlock()
	if len(c.trackOut) > 0 {
		t.sendRemote(c.trackOut)
		clear(c.trackOut)
		c.trackOut = c.trackOut[:0]
	}
	if flushed != nil {
		t.mu.Lock()
		if t.flushing == flushed {
			t.flushing = nil
			t.settleActive()
		}
		t.mu.Unlock()
		close(flushed)
	}
	for _, ch := range c.trackWait {
		<-ch // sendRemote's deadline bounds the wait
	}
	clear(c.trackWait)
	c.trackWait = c.trackWait[:0]
}

// send delivers one invalidation for c (key, or a null when flush) to c or
// to the client it redirects to, as Redis's sendTrackingMessage; t.mu is
// held. A RESP2 client gets messages only through REDIRECT to a
// subscribed client, on trackingChannel. A client without an outbox (a
// RESP3 redirect target that neither subscribes nor tracks) cannot be
// written to from here and gets nothing.
func (t *tracker) send(c *Client, key []byte, flush bool) {
	t.sendKeys(c, flush, key)
}

// sendKeys is send for one message that names every key of keys (BCAST's
// batch, tracking_bcast.go), or a null when flush.
func (t *tracker) sendKeys(c *Client, flush bool, keys ...[]byte) {
	target := c
	if c.track.redirect != 0 {
		target = c.track.redirTo
		if target == nil || target.gone.Load() {
			c.track.brokenRedir = true
			if c.RESP3() {
				if o := c.outPub.Load(); o != nil {
					msg := []byte(">2\r\n$21\r\ntracking-redir-broken\r\n:")
					msg = strconv.AppendUint(msg, c.track.redirect, 10)
					o.deliver(append(msg, '\r', '\n'))
				}
			}
			return
		}
	}
	var msg []byte
	switch {
	case target.RESP3():
		msg = append(msg, ">2\r\n$10\r\ninvalidate\r\n"...)
	case target != c && target.Subscribed():
		msg = append(msg, "*3\r\n$7\r\nmessage\r\n$20\r\n"+trackingChannel+"\r\n"...)
	default:
		return
	}
	switch {
	case !flush:
		msg = append(msg, '*')
		msg = strconv.AppendInt(msg, int64(len(keys)), 10)
		msg = append(msg, '\r', '\n')
		for _, key := range keys {
			msg = append(msg, '$')
			msg = strconv.AppendInt(msg, int64(len(key)), 10)
			msg = append(msg, '\r', '\n')
			msg = append(msg, key...)
			msg = append(msg, '\r', '\n')
		}
	case c.RESP3():
		msg = append(msg, "_\r\n"...)
	default:
		msg = append(msg, "$-1\r\n"...)
	}
	if o := target.outPub.Load(); o != nil {
		o.deliver(msg)
	}
}

// BeforeCall runs before a command (cmd, its flags) of a tracking client
// c (Client.Tracking), its slots held: it remembers the keys of a
// read-only command (no write falls between the read and this) and, for
// NOLOOP, marks c as the writer of its keys' slots. Commands that run
// scripts (FlagNoScript) are not remembered: the commands the script runs
// are. Shard channels are not keys.
func (h *Hub) BeforeCall(c *Client, cmd Command, flags commands.Flags, args [][]byte) {
	t := h.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	ref, remember, noloop := c.trackAs.ref, c.trackAs.remember, c.trackAs.noloop
	if ref == (trackRef{}) {
		st := &c.track
		if !st.on {
			return
		}
		ref, noloop = trackRef{c: c}, st.noloop
		remember = !st.bcast && !(st.optin && !st.caching) && !(st.optout && st.caching)
	} else if ref.c == nil {
		t.nodes[ref.node] = struct{}{}
	}
	pos := cmd.Keys(args, nil)
	if noloop {
		for _, i := range pos {
			t.writers[ring.KeySlot(args[i])] = ref
		}
	}
	if !remember || flags&commands.FlagReadOnly == 0 || flags&(commands.FlagNoScript|commands.FlagPubSub) != 0 {
		return
	}
	if t.checked.Load() != t.h.cluster.Table() {
		t.catchUp() // the reads remembered so far meet this table first
	}
	for _, i := range pos {
		k := string(args[i])
		set := t.keys[k]
		if set == nil {
			set = map[trackRef]struct{}{}
			t.keys[k] = set
		}
		if _, had := set[ref]; !had {
			set[ref] = struct{}{}
			t.items++
		}
	}
}

// TrackingActive reports whether any client tracks here or any node
// registered reads here (one atomic load); only then does a command need
// AfterCall.
func (h *Hub) TrackingActive() bool { return h.tracking.active.Load() }

// AfterCall undoes BeforeCall's NOLOOP marks and takes the invalidations
// for other nodes that the command's changes made, to send them before
// its reply (AfterCommand); the slots are still held, so they are this
// command's, except those the fan-out's goroutine took in between
// (sendOrphans), whose delivery the command waits for. Runs for every command while TrackingActive.
func (h *Hub) AfterCall(c *Client, cmd Command, args [][]byte) {
	pos := cmd.Keys(args, nil)
	if len(pos) == 0 {
		return
	}
	t := h.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, i := range pos {
		sl := ring.KeySlot(args[i])
		if w := t.writers[sl]; w != (trackRef{}) && (w.c == c || w == c.trackAs.ref) {
			t.writers[sl] = trackRef{}
		}
		if p := t.pending[sl]; len(p) > 0 {
			c.trackOut = append(c.trackOut, p...)
			delete(t.pending, sl)
		}
		if ch := t.sending[sl]; ch != nil {
			c.trackWait = append(c.trackWait, ch) // sendOrphans took some first
		}
	}
}

// disable turns tracking off for c (CLIENT TRACKING OFF, RESET, close);
// t.mu is held. The keys it read are forgotten lazily: the next change of
// each skips it.
func (t *tracker) disable(c *Client) {
	for _, p := range c.track.prefixes {
		if set := t.prefixes[p]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(t.prefixes, p)
				delete(t.bcast, p) // nobody left to tell
			}
		}
	}
	c.track = trackState{}
	delete(t.clients, c)
	t.settleActive()
	c.tracking.Store(false)
}

// settleActive sets active from what still needs AfterCall and
// AfterCommand: a tracking client here, reads registered by other nodes,
// or a flush pending or on its way (a new leader's first write sets active
// for the flush it owes; once the flush is out, a node with no tracking
// anywhere stops paying the tracker's lock on every command). t.mu is held.
func (t *tracker) settleActive() {
	t.active.Store(len(t.clients) > 0 || t.remote || t.flushPending || t.flushing != nil)
}

// trackingOff turns tracking off (RESET).
func (c *Client) trackingOff() {
	if !c.tracking.Load() {
		return
	}
	t := c.hub.tracking
	t.mu.Lock()
	t.disable(c)
	t.mu.Unlock()
}

// untrack drops c's tracking when its connection ends.
func (c *Client) untrack() {
	c.gone.Store(true)
	c.trackingOff()
}

// TrackingSubcommands are the CLIENT subcommands of client-side caching
// (TRACKING CACHING GETREDIR TRACKINGINFO), with the flags the front end
// gives its connection commands.
func TrackingSubcommands(flags commands.Flags) []*commands.Command {
	sub := func(name string, arity int, since, summary string, h func(*commands.Call), help ...string) *commands.Command {
		return &commands.Command{Name: "client|" + name, Arity: arity, Flags: flags, ACL: commands.ACLConnection,
			Group: "connection", Since: since, Summary: summary, Handler: h, Help: help}
	}
	return []*commands.Command{
		sub("tracking", -3, "6.0.0", "Controls server-assisted client-side caching for the connection.", clientTracking,
			"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
			"         [OPTIN] [OPTOUT] [NOLOOP]",
			"    Control server assisted client side caching."),
		sub("caching", 3, "6.0.0", "Instructs the server whether to track the keys in the next request.", clientCaching,
			"CACHING (YES|NO)",
			"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes."),
		sub("getredir", 2, "6.0.0", "Returns the client ID to which the connection's tracking notifications are redirected.", func(c *commands.Call) {
			cl := clientOf(c)
			t := cl.hub.tracking
			t.mu.Lock()
			defer t.mu.Unlock()
			if cl.track.on {
				c.Reply.Int(int64(cl.track.redirect))
				return
			}
			c.Reply.Int(-1)
		},
			"GETREDIR",
			"    Return the client ID we are redirecting to when tracking is enabled."),
		sub("trackinginfo", 2, "6.2.0", "Returns information about server-assisted client-side caching for the connection.", clientTrackingInfo,
			"TRACKINGINFO",
			"    Report tracking status for the current connection."),
	}
}

// TrackInfo is what CLIENT LIST shows of a client's tracking: flags t, B
// and R, and redir= (the client it redirects to; -1 when it does not
// track). Any goroutine.
func (c *Client) TrackInfo() (on, bcast, brokenRedir bool, redir int64) {
	if !c.tracking.Load() {
		return false, false, false, -1
	}
	t := c.hub.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	return c.track.on, c.track.bcast, c.track.brokenRedir, int64(c.track.redirect)
}
