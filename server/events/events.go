// Package events is how clients learn that something happened
// (docs/DESIGN.md §6): Pub/Sub (subscribed mode, SUBSCRIBE, PUBLISH,
// PUBSUB, the sharded commands), the per-connection outbox that carries
// messages and replies to a subscribed or tracking connection, the fan-out
// that delivers what is published here to the subscribers of every other
// node, and client-side caching (CLIENT TRACKING and its invalidations,
// on this node and across the cluster).
//
// The package never sees the front end (package server): it consumes the
// small interfaces below, which the front end implements and hands over
// when it builds the Hub, and the front end calls the Hub and each
// connection's Client at fixed points of a command's run (see Client and
// the tracker's hooks). Everything that produces events on a node goes
// through the Hub: a key change reaches it as the store's KeyHook
// (tracking, and the keyspace notifications of keyspace.go, which
// command handlers produce too), and whatever it publishes reaches the other nodes through the one
// fan-out.
package events

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/events/pubsub"
	"github.com/meshcache/meshcache/store"
)

// What events needs of the rest of the node, one small interface per
// concept, defined here where it is consumed.

// Conn is the front end's side of one client connection, behind an
// outbox.
type Conn interface {
	// Write writes to the socket; once the connection has an outbox only
	// the outbox's writer calls it.
	Write(p []byte) (int, error)
	// Kill closes the connection from any goroutine.
	Kill()
	// RESP3 reports whether the connection speaks RESP3 now (HELLO 3).
	RESP3() bool
	// Unflushed takes the replies the connection holds for its current
	// pipeline batch and not yet written (they move into the outbox).
	Unflushed() []byte
}

// Session is the front end's state of the command being run, as the
// handlers of this package find it in commands.Call.Conn.
type Session interface {
	// Events is the connection's events state.
	Events() *Client
	// Execing reports whether EXEC is running the connection's queued
	// commands (SSUBSCRIBE is refused there, as Redis's DENY BLOCKING).
	Execing() bool
}

// Clients finds a connected client by ID (CLIENT TRACKING REDIRECT, and
// invalidations that other nodes send for this node's clients).
type Clients interface {
	EventsClient(id uint64) *Client // nil when no such client is connected
}

// Command is what client tracking needs of the command a client runs (the
// front end's table entry): where its keys are in its arguments.
type Command interface {
	Keys(args [][]byte, dst []int) []int
}

// Routes is the current routing table (nil until the first one arrives).
type Routes interface {
	Table() *ring.Table
}

// Peers is the cluster's members, this node among them.
type Peers interface {
	Members() []cluster.NodeInfo
}

// Sender runs commands on another node: how fan-out batches and
// invalidations travel (the node's ExecuteBatch on the other side hands
// them back to its Hub: IsFanoutBatch, IsTrackInv), and how a client's
// commands are forwarded with its tracking identity (Hub.Forward).
type Sender interface {
	Forward(ctx context.Context, id ring.NodeID, resp3 bool, args [][]byte) ([]byte, error)
	ForwardBatch(ctx context.Context, id ring.NodeID, resp3 bool, cmds [][][]byte) ([][]byte, error)
}

// Cluster is the node's view of the cluster that events uses: its own ID,
// the routing table, the members and the batch sender.
type Cluster interface {
	ID() ring.NodeID
	Routes
	Peers
	Sender
}

// Alone is the Cluster of a node alone for good (cluster mode off): no
// routing table ever changes, no peer exists, nothing is sent.
type Alone ring.NodeID

// errAlone: a node alone has nobody to send to.
var errAlone = errors.New("events: a node alone has no peers")

// Alone's methods: its own ID, and nothing else.
func (a Alone) ID() ring.NodeID           { return ring.NodeID(a) }
func (Alone) Table() *ring.Table          { return nil }
func (Alone) Members() []cluster.NodeInfo { return nil }
func (Alone) Forward(context.Context, ring.NodeID, bool, [][]byte) ([]byte, error) {
	return nil, errAlone
}
func (Alone) ForwardBatch(context.Context, ring.NodeID, bool, [][][]byte) ([][]byte, error) {
	return nil, errAlone
}

// Hub is one node's events machinery: the subscriber registry, the
// fan-out to the other nodes and the client-tracking table. It is the
// store's KeyHook. Safe for concurrent use; Run owns its goroutines.
type Hub struct {
	log     *slog.Logger
	clients Clients
	// cluster is set by SetCluster before Run, read-only afterwards.
	cluster Cluster

	// reg is this node's subscribers, keyed by connection.
	reg *pubsub.Registry[*Client]
	// fanout queues the messages published here for the other nodes (fanout.go).
	fanout fanout
	// tracking is client-side caching's table (tracking.go).
	tracking *tracker
	// limits is client-output-buffer-limit, read by every outbox append.
	limits atomic.Pointer[config.OutputLimits]
	// mon is the node's MONITOR clients (monitor.go).
	mon monitors
	// notify is notify-keyspace-events (a notify.Class), read by every
	// keyspace notification (keyspace.go).
	notify atomic.Uint32
	// shardMu serializes the check of shard channels against the routing
	// table (checkShardChannels) with SSUBSCRIBE, and guards shardTable,
	// the table the shard subscriptions were last checked against: a
	// subscription made under a table is dropped only for a change of
	// leader after that table, never for one it was made after.
	shardMu    sync.Mutex
	shardTable *ring.Table
}

var _ store.KeyHook = (*Hub)(nil)

// New returns the Hub of a node alone (Alone(self)) until SetCluster.
func New(log *slog.Logger, clients Clients, self ring.NodeID) *Hub {
	h := &Hub{log: log, clients: clients, cluster: Alone(self), reg: pubsub.New[*Client]()}
	h.tracking = newTracker(h)
	l := config.DefaultOutputLimits
	h.limits.Store(&l)
	return h
}

// SetCluster gives the Hub its node's cluster; before Run.
func (h *Hub) SetCluster(c Cluster) { h.cluster = c }

// SetOutputLimits sets client-output-buffer-limit (CONFIG SET).
func (h *Hub) SetOutputLimits(l config.OutputLimits) { h.limits.Store(&l) }

// OutputLimit returns the client-output-buffer-limit of class k.
func (h *Hub) OutputLimit(k config.BufferClass) config.OutputLimit {
	return h.limits.Load()[k]
}

// Stats is what INFO reports of the node's Pub/Sub.
type Stats struct {
	Channels, Patterns, ShardChannels int   // distinct names with subscribers here
	FanoutDropped                     int64 // messages some peer did not get
	// Client-side caching: clients tracking here, the keys whose reads the
	// table remembers, the reads (a key read by two clients is two), and
	// the BCAST prefixes (Redis's tracking_clients, tracking_total_keys,
	// tracking_total_items, tracking_total_prefixes).
	TrackingClients, TrackingKeys, TrackingItems, TrackingPrefixes int
}

// Stats returns the node's Pub/Sub and tracking counts.
func (h *Hub) Stats() Stats {
	t := h.tracking
	t.mu.Lock()
	clients, keys, items, prefixes := len(t.clients), len(t.keys), t.items, len(t.prefixes)
	t.mu.Unlock()
	return Stats{
		Channels:      h.reg.Distinct(pubsub.Channel),
		Patterns:      h.reg.Distinct(pubsub.Pattern),
		ShardChannels: h.reg.Distinct(pubsub.Shard),
		FanoutDropped: h.fanout.dropped.Load(),

		TrackingClients: clients, TrackingKeys: keys, TrackingItems: items, TrackingPrefixes: prefixes,
	}
}

// FanoutPeers returns how many peers the fan-out has a sender for.
func (h *Hub) FanoutPeers() int {
	p := h.fanout.peers.Load()
	if p == nil {
		return 0
	}
	return len(*p)
}

// KeyChanged is the store's KeyHook: key of slot changed; the slot's lock
// is held. Costs one atomic load when nobody tracks.
func (h *Hub) KeyChanged(slot uint16, key []byte) { h.tracking.keyChanged(slot, key) }

// SlotFlushed is the store's KeyHook for a flushed slot; its lock is held.
func (h *Hub) SlotFlushed(slot uint16) { h.tracking.slotFlushed(slot) }

// Count returns how many subscribers name (of kind k) has on this node
// (PUBSUB NUMSUB, SHARDNUMSUB).
func (h *Hub) Count(k pubsub.Kind, name []byte) int { return h.reg.Count(k, name) }
