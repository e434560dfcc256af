package events

import (
	"sync/atomic"

	"github.com/meshcache/meshcache/server/config"
)

// Client is one connection's events state: its subscriptions, its outbox
// and its tracking settings. The front end keeps one in each connection
// (Init) and calls it at fixed points: HoldIfNeeded before each
// command, the outbox's Append after each command once it has one,
// Release when the connection ends. Fields without a note are owned by the
// connection's goroutine.
type Client struct {
	ID   uint64
	hub  *Hub
	conn Conn
	addr string
	// forwarded: an internal client running commands another node
	// forwarded; it has no connection to deliver anything to.
	forwarded bool

	// subs is the connection's subscriptions (pubsub.go), guarded by
	// subs.mu (its goroutine, and the fan-out's goroutine that drops shard
	// subscriptions whose slot changed leader); subN mirrors the count of
	// each kind for other goroutines (CLIENT LIST, publishers choosing the
	// output buffer class), and inPubSub whether any is held (Redis's
	// subscribed mode), for dispatch.
	subs     subState
	subN     [3]atomic.Int32
	inPubSub atomic.Bool
	// out carries the connection's output once it first subscribed or
	// tracked (outbox.go); nil before. Set by the connection's goroutine
	// before the client enters the registry, never reset.
	out *Outbox
	// outPub mirrors out for other goroutines (tracking sends
	// invalidations to redirect targets); gone: the connection ended.
	outPub atomic.Pointer[Outbox]
	gone   atomic.Bool

	// track is the connection's CLIENT TRACKING state, guarded by the
	// tracker's mu; tracking mirrors track.on for dispatch.
	track    trackState
	tracking atomic.Bool
	// trackAs: an internal client reading for a tracking client
	// (tracking_cluster.go); trackOut: invalidations for other nodes
	// that its command made, sent before its reply; trackWait:
	// deliveries by other goroutines that its reply waits for.
	trackAs   remoteTrack
	trackOut  []remoteInv
	trackWait []chan struct{}

	// monitor: the client sent MONITOR (monitor.go); written under the
	// Hub's monitors.mu, read from any goroutine.
	monitor atomic.Bool
	// repliesOff mirrors CLIENT REPLY OFF for the feeders: a monitor that
	// turned its replies off gets no lines, as on Redis.
	repliesOff atomic.Bool
}

// SetRepliesOff records CLIENT REPLY OFF (true) or ON (false).
func (c *Client) SetRepliesOff(off bool) { c.repliesOff.Store(off) }

// Init makes c the events state of connection conn (id, remote addr).
func (c *Client) Init(h *Hub, id uint64, addr string, conn Conn) {
	c.hub, c.ID, c.addr, c.conn = h, id, addr, conn
}

// InitForwarded makes c the events state of an internal client, which
// runs commands forwarded by other nodes; conn answers its protocol.
func (c *Client) InitForwarded(h *Hub, conn Conn) {
	c.hub, c.addr, c.conn, c.forwarded = h, "cluster", conn, true
}

// RESP3 reports whether the connection speaks RESP3.
func (c *Client) RESP3() bool { return c.conn.RESP3() }

// Outbox returns the connection's outbox, nil until it first subscribed,
// tracked or monitored. Only for the connection's goroutine.
func (c *Client) Outbox() *Outbox { return c.out }

// OutboxAnyGoroutine is Outbox for other goroutines (CLIENT LIST omem).
func (c *Client) OutboxAnyGoroutine() *Outbox { return c.outPub.Load() }

// Subscribed reports, from any goroutine, whether the client has any
// subscription (Redis's CLIENT_PUBSUB flag).
func (c *Client) Subscribed() bool {
	return c.subN[0].Load()+c.subN[1].Load()+c.subN[2].Load() > 0
}

// InPubSub reports whether the client is in subscribed mode (one atomic load).
func (c *Client) InPubSub() bool { return c.inPubSub.Load() }

// SubCounts returns the client's channels, patterns and shard channels
// (CLIENT LIST sub=, psub=, ssub=); any goroutine.
func (c *Client) SubCounts() (sub, psub, ssub int) {
	return int(c.subN[0].Load()), int(c.subN[1].Load()), int(c.subN[2].Load())
}

// bufferClass is the client's class of client-output-buffer-limit: pubsub
// while it has a subscription, else normal. Safe from any goroutine.
func (c *Client) bufferClass() config.BufferClass {
	if c.Subscribed() {
		return config.ClassPubSub
	}
	return config.ClassNormal
}

// Tracking reports whether the client tracks (one atomic load: every
// command asks).
func (c *Client) Tracking() bool { return c.tracking.Load() }

// Reset drops every subscription, turns tracking off and ends MONITOR
// (RESET).
func (c *Client) Reset() {
	c.unsubscribeAll()
	c.trackingOff()
	c.dropMonitor()
}

// HoldIfNeeded makes what is sent to the client while its command runs
// follow the command's reply (Outbox.hold), for a client that tracks or
// monitors (a monitor sees its own command after its reply, as on
// Redis); two atomic loads for every other client. Called before each
// command.
func (c *Client) HoldIfNeeded() {
	if c.tracking.Load() || c.monitor.Load() {
		c.out.hold()
	}
}

// Release drops the connection's subscriptions and tracking and stops its
// outbox's writer: the connection ended (or an internal client goes back
// to its pool: it then reads for nobody).
func (c *Client) Release() {
	c.dropMonitor()
	c.untrack()
	c.unsubscribeAll()
	if c.out != nil {
		c.out.close()
	}
	c.trackAs = remoteTrack{}
	c.tracking.Store(false)
}
