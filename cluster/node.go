package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/meshcache/meshcache/cluster/events"
	"github.com/meshcache/meshcache/cluster/lease/keeper"
	"github.com/meshcache/meshcache/cluster/members"
	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/cluster/routing"
	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// Errors returned by Node methods.
var (
	// ErrUnknownNode: no member with that ID is known.
	ErrUnknownNode = members.ErrUnknownNode
	// ErrNodeDown: the member is known but not alive.
	ErrNodeDown = members.ErrNodeDown
	// ErrForgetSelf: a node cannot forget itself.
	ErrForgetSelf = errors.New("can't forget myself")
	// ErrForgetAlive: only a dead node can be forgotten; an alive one is
	// still gossiping and would come straight back.
	ErrForgetAlive = members.ErrForgetAlive
	// ErrClosed: the node was closed.
	ErrClosed = errors.New("cluster node closed")
)

// Node is this process's membership in the cluster: memberlist gossip, the
// internode RPC client and server on the cluster port, the current routing
// table, and the coordinator role when this node holds it.
//
// Goroutines (all started by Start, all stopped by Close, which cancels
// their context and waits for them):
//   - the endpoint's loops: on TCP, the UDP read loop and the TCP accept
//     loop (transport/tcp.go); a MemEndpoint has none;
//   - memberlist's own goroutines (stopped by memberlist's Shutdown);
//   - rejoinLoop: initial join with backoff, then re-join (membership.go);
//   - controlLoop: quorum tracking, pulling newer tables, and the
//     coordinator's step loop (coordinator.go);
//   - the lease keeper's Run: probes the table's members for the quorum
//     lease, each probe on a goroutine of its own bounded by the lease;
//   - metaLoop: re-gossips our metadata when the state or epoch changes;
//   - RPC connection readers, writers and handlers (transport/client.go,
//     transport/server.go).
type Node struct {
	cfg     Config
	profile Profile
	logger  *slog.Logger
	exec    Executor
	id      ring.NodeID
	started time.Time

	transport transport.Endpoint
	repl      *replicator // nil without Config.Store
	server    *transport.Server
	client    *transport.Client
	ml        *memberlist.Memberlist // set by Start, before any loop runs

	table    atomic.Pointer[ring.Table] // current routing table; nil until the first
	tableMu  sync.Mutex                 // serializes installTable (compare and swap plus side effects)
	state    atomic.Uint32              // State
	updateMu sync.Mutex                 // serializes memberlist UpdateNode calls (updateMeta)
	joined   atomic.Bool                // contacted a seed, or has none
	quorum   atomic.Bool                // sees a majority of the table's members now (coordinator role)
	lease    *keeper.Keeper             // the quorum lease: Healthy (package keeper)

	members *members.Set // every member gossip told of, and addresses to re-join
	// router routes every slot (Route) from the table, the handoff
	// overrides and the dead set, each published to it on change.
	router *routing.Router

	stall plan.Stall // owned by controlLoop: no lock
	// replicaSlots is the last table's slots naming this node a replica
	// (ReplicationInfo's count), found once per table.
	replicaSlots atomic.Pointer[tableSlots]
	// heldSlots counts the slots the failover step holds while this node
	// coordinates (plan.Holds; 0 otherwise).
	heldSlots atomic.Int64
	passes    atomic.Uint64 // control-loop passes so far (tests wait on them)
	prefer    preferQueue   // CLUSTER FAILOVER requests for controlLoop

	events   *events.Ring                // cluster events seen here (report.go)
	reporter atomic.Pointer[reporterBox] // this node's report for peers' views; nil: none

	wake      chan struct{} // wakes controlLoop; buffered(1), sends never block
	metaDirty chan struct{} // wakes metaLoop; buffered(1)
	rejoinNow chan struct{} // wakes rejoinLoop; buffered(1)

	cancel    context.CancelFunc
	wg        sync.WaitGroup // rejoinLoop, controlLoop, metaLoop
	startOnce sync.Once
	closeOnce sync.Once
	closed    atomic.Bool
}

// New validates cfg, binds the cluster port and prepares the RPC server.
// Nothing runs until Start. exec runs commands forwarded to this node.
func New(cfg Config, exec Executor, logger *slog.Logger) (*Node, error) {
	if exec == nil {
		return nil, errors.New("cluster: nil executor")
	}
	if logger == nil {
		logger = slog.Default()
	}
	cfg, profile, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	logger = logger.With("component", "cluster", "node", string(cfg.NodeID)[:8])
	var t transport.Endpoint
	if cfg.Network != nil {
		t, cfg.Faults = cfg.Network.Endpoint(), cfg.Network.Faults()
	} else if t, err = transport.NewTCP(cfg.BindAddr, cfg.AdvertiseAddr, cfg.Faults, logger); err != nil {
		return nil, err
	}
	router := routing.NewRouter(cfg.NodeID)
	n := &Node{
		cfg:       cfg,
		profile:   profile,
		logger:    logger,
		exec:      exec,
		id:        cfg.NodeID,
		started:   time.Now(),
		transport: t,
		members:   members.New(cfg.NodeID, router.SetDead),
		router:    router,
		wake:      make(chan struct{}, 1),
		metaDirty: make(chan struct{}, 1),
		rejoinNow: make(chan struct{}, 1),
		events:    events.New(events.DefaultSize),
	}
	n.lease = keeper.New(keeper.Config{Self: cfg.NodeID, ProbeInterval: profile.ProbeInterval,
		ProbeTimeout: profile.ProbeTimeout, SuspicionMult: profile.SuspicionMult, Table: n.table.Load,
		Logger: logger, Pull: n.pullNow, Ping: func(ctx context.Context, addr string, p []byte) ([]byte, error) {
			return n.client.Call(ctx, addr, transport.KindPing, p)
		}})
	// A seed list shared by every node names this node too: drop it, so
	// that a node whose only seed is itself bootstraps alone.
	n.cfg.Join = slices.DeleteFunc(slices.Clone(cfg.Join), func(s string) bool {
		return s == t.Addr() || s == cfg.BindAddr
	})
	n.state.Store(uint32(StateJoining))
	n.joined.Store(len(n.cfg.Join) == 0)
	n.server = transport.NewServer(t.Addr(), cfg.Key, cfg.Faults, cfg.MaxFrameSize, logger)
	n.server.Handle(transport.KindPing, n.handlePing)
	n.server.HandleInline(transport.KindForward, n.handleForward, n.tryForward)
	n.server.Handle(transport.KindForwardBatch, n.handleForwardBatch)
	n.server.Handle(transport.KindPushTable, n.handlePushTable)
	n.server.Handle(transport.KindPullTable, n.handlePullTable)
	n.server.Handle(transport.KindReport, n.handleReport)
	if cfg.Store != nil {
		n.repl = newReplicator(n, cfg.Store)
		n.server.HandleInline(transport.KindReplicate, n.repl.handleReplicate, transport.Below(replicateInlineMax, n.repl.handleReplicate))
		n.server.Handle(transport.KindReplState, n.handleReplState)
		n.server.Handle(transport.KindHandoff, n.handleHandoff)
		n.server.Handle(transport.KindTakeover, n.handleTakeover)
		n.server.Handle(transport.KindPrefer, n.handlePrefer)
	}
	n.client = transport.NewClient(t.Addr(), cfg.Key, cfg.Faults, cfg.MaxFrameSize, t.DialRPC)
	return n, nil
}

// Start starts gossip on the cluster port and the node's loops; joining the
// seeds happens in the background (with retry and backoff). ctx bounds the
// node's life as Close does.
func (n *Node) Start(ctx context.Context) error {
	err := errors.New("cluster node already started")
	n.startOnce.Do(func() { err = n.start(ctx) })
	return err
}

func (n *Node) start(ctx context.Context) error {
	if n.closed.Load() {
		return ErrClosed
	}
	mc := memberlist.DefaultLANConfig()
	n.profile.Apply(mc)
	mc.Name = string(n.id)
	mc.Transport = n.transport
	mc.Delegate = memberDelegate{n}
	mc.Events = memberDelegate{n}
	mc.Alive = memberDelegate{n}
	mc.SecretKey = n.cfg.Key
	mc.Logger = log.New(slogWriter{n.logger.With("lib", "memberlist")}, "", 0)
	n.transport.Start(n.server)
	ml, err := memberlist.Create(mc)
	if err != nil {
		_ = n.transport.Shutdown()
		return fmt.Errorf("start gossip on %s: %w", n.transport.Addr(), err)
	}
	n.ml = ml
	ctx, n.cancel = context.WithCancel(ctx)
	n.wg.Add(4)
	go n.rejoinLoop(ctx)
	go n.controlLoop(ctx)
	go n.metaLoop(ctx)
	go func() { defer n.wg.Done(); n.lease.Run(ctx) }()
	if n.repl != nil {
		n.wg.Add(1)
		n.repl.start(ctx)
	}
	n.logger.Info("cluster node started", "id", n.id, "cluster_addr", n.transport.Addr(),
		"client_addr", n.cfg.ClientAddr, "profile", n.profile.Name, "seeds", n.cfg.Join)
	return nil
}

// Close stops the node without leaving: to the peers it looks like a crash,
// which they detect by gossip. It is safe to call more than once.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		n.closed.Store(true)
		if n.cancel != nil {
			n.cancel()
		}
		// Stop gossip first: it closes the transport, which aborts a
		// Join in flight in rejoinLoop, so the loops return promptly.
		if n.ml != nil {
			if e := n.ml.Shutdown(); e != nil {
				err = fmt.Errorf("stop gossip: %w", e)
			}
		} else {
			_ = n.transport.Shutdown()
		}
		n.wg.Wait()
		if n.repl != nil {
			n.repl.stop()
		}
		n.server.Close()
		n.client.Close()
	})
	return err
}

// ID returns this node's ID.
func (n *Node) ID() ring.NodeID { return n.id }

// ClusterAddr returns the cluster address (host:port) peers reach us at.
func (n *Node) ClusterAddr() string { return n.transport.Addr() }

// Self returns this node as the cluster sees it.
func (n *Node) Self() NodeInfo {
	return members.InfoOf(n.localMeta(), !n.closed.Load(), n.id)
}

// Members returns every known member, alive or not (dead ones are kept
// while the routing table still names them), sorted by ID.
func (n *Node) Members() []NodeInfo {
	out := append(n.members.Infos(), n.Self())
	slices.SortFunc(out, func(a, b NodeInfo) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// Links returns the internode RPC connections open now, dialed and
// accepted (INFO's cluster_connections, Redis's count of its cluster
// bus's sockets); gossip's UDP and its short-lived streams are not counted.
func (n *Node) Links() int { return n.client.Peers() + n.server.Conns() }

// PollLinks has p read the replies of the calls this node makes without
// waiting (the forwards an event loop starts, the replication streams), on
// connections of their own dialed from now on (nil: on the Call
// connections, read by a goroutine each, the default): the server's event
// loops, so that a forward's reply or a replica's acknowledgement resumes
// its client in the loop's round (transport.Poller).
func (n *Node) PollLinks(p transport.Poller) { n.client.SetPoller(p) }

// Table returns the current routing table, an immutable snapshot (nil
// before the first table arrives). It is one atomic load: cheap enough for
// every request.
func (n *Node) Table() *ring.Table { return n.table.Load() }

// Quorum reports whether this node holds a routing table and its gossip
// sees a majority of its members alive right now (the coordinator role;
// writes go by Healthy).
func (n *Node) Quorum() bool { return n.quorum.Load() }

// Healthy reports whether this node holds its quorum lease now (package keeper):
// a majority of the routing table's members answered its probes within the
// lease, none of them from a newer table. A node that is not healthy must
// refuse writes (-CLUSTERDOWN): it may be on the minority side of a
// partition, or paused past its lease. WaitHealthy waits briefly for a
// lease that lapsed only just.
func (n *Node) Healthy() bool { return n.lease.Held() }

// WaitHealthy is Healthy, but a lease that lapsed only just is waited for
// briefly after a probe round (keeper.Wait): what a command asks.
func (n *Node) WaitHealthy() bool { return n.lease.Wait() }

// WaitHealthyAt is WaitHealthy with the lease judged first at now, a clock
// reading the caller took a moment ago (keeper.HeldAt; the zero time: no
// reading): the front end's command clock, so that a command under a held
// lease costs no clock read. Not held then, it is WaitHealthy.
func (n *Node) WaitHealthyAt(now time.Time) bool {
	return (!now.IsZero() && n.lease.HeldAt(now)) || n.lease.Wait()
}

// HealthyAt is WaitHealthyAt without the wait: the lease judged at now
// (keeper.HeldAt), or read from the clock when now is zero or the lease
// not held then. What a caller that must not wait (an event loop) asks.
func (n *Node) HealthyAt(now time.Time) bool {
	return (!now.IsZero() && n.lease.HeldAt(now)) || n.lease.Held()
}

// Ping sends a ping to node id and waits for the echo.
func (n *Node) Ping(ctx context.Context, id ring.NodeID) error {
	addr, err := n.addrOf(id)
	if err != nil {
		return fmt.Errorf("ping %s: %w", id, err)
	}
	return n.pingAddr(ctx, addr)
}

// pingAddr pings the node at a cluster address.
func (n *Node) pingAddr(ctx context.Context, addr string) error {
	payload := binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano()))
	reply, err := n.client.Call(ctx, addr, transport.KindPing, payload)
	if err != nil {
		return err
	}
	if string(reply) != string(payload) {
		return fmt.Errorf("ping %s: echo does not match", addr)
	}
	return nil
}

// addrOf returns the cluster address of an alive member.
func (n *Node) addrOf(id ring.NodeID) (string, error) { return n.members.AddrOf(id) }

func (n *Node) wakeControl() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// handlePing echoes a plain ping and answers a lease probe with the table
// this node holds (keeper.Answer).
func (n *Node) handlePing(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
	return keeper.Answer(req, reply, n.table.Load())
}

// pullNow pulls the table of the member at addr, bounded by the TCP
// timeout: the lease keeper calls it when a member answers a probe from a
// newer table (this node holds no lease until it has that table).
func (n *Node) pullNow(ctx context.Context, addr string) {
	ctx, cancel := context.WithTimeout(ctx, n.profile.TCPTimeout)
	defer cancel()
	if err := n.pullTable(ctx, addr); err != nil {
		n.logger.Debug("pull the newer table a lease probe reported", "from", addr, "err", err)
	}
}
