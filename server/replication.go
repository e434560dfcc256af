package server

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/resp"
)

// Replica acknowledgement (docs/DESIGN.md §5): the cluster node streams every
// write's effects to the slot's replicas; the server decides when a
// client's reply may leave.
//
//   - A write run here (call) notes its key slots on the Client.
//   - When the batch's replies are about to be written (handle sees no
//     further command), or a forwarded call is about to answer (Execute,
//     ExecuteBatch), the noted slots become positions (Node.Offsets: each
//     slot's offset now, which covers the writes just made) and, with
//     replica-ack one or all, the batch waits once in Node.AwaitAcks
//     for one (or every) synced replica of each slot to apply them, at
//     most node-timeout (give or take the node's ack poll, 50 ms: no
//     context or timer per batch). One wait per batch keeps pipelined throughput.
//   - On timeout the batch is not acknowledged: a direct client's
//     connection is closed without its replies (the outcome is unknown to
//     it, as after a network failure), a forwarded batch answers -TRYAGAIN
//     for each command. The writes are applied here and may still reach
//     the replica, but no reply claims so: a primary cut off from its
//     replicas by a partition never acknowledges writes the other side
//     will not have. Such batches are counted (INFO replica_ack_timeouts)
//     and logged. A slot the routing table in force names no replica for
//     (replicas 0, a one-node cluster) does not wait while this node holds
//     its quorum lease: it is degraded, shown in INFO (slots_degraded,
//     replica_ack_degraded). A slot whose named replica is still being
//     built (after a start, a join or a failover) waits for it like any
//     replica (cluster/ack).
//   - min-replicas-to-write N refuses a write to a slot with fewer than N
//     synced live replicas with Redis's -NOREPLICAS.
//   - WAIT numreplicas timeout waits for the positions of the connection's
//     writes not yet known to be on every synced replica (replack.Writes,
//     pruned after each wait, so it holds a handful of slots at most).

// errNoReplicas is Redis's answer when min-replicas-to-write is not met.
const errNoReplicas = "NOREPLICAS Not enough good replicas to write."

// wantAll asks WaitReplicated for every synced replica: it waits for
// min(want, synced) of them.
const wantAll = ring.MaxReplicas

// replServer is the server's replication settings and counters. The
// settings mirror config.Config (applyRepl, from New and CONFIG SET); all fields
// are atomics, read on every write.
type replServer struct {
	mode          atomic.Int32 // config.AckMode
	minReplicas   atomic.Int64
	ackTimeout    atomic.Int64 // nanoseconds: node-timeout
	readsWhenDown atomic.Bool  // cluster-allow-reads-when-down (leaseRefusal)

	ackWaits    atomic.Int64 // batches that waited for replicas
	ackTimeouts atomic.Int64 // of those, gave up after node-timeout
	noReplicas  atomic.Int64 // writes refused with -NOREPLICAS

	// serveCtx is Serve's context: WAIT's blocking ends with it, so that
	// Serve's wait for connection goroutines cannot hang on a WAIT 0.
	serveCtx atomic.Pointer[context.Context]

	leave leaveState // SHUTDOWN, CLUSTER LEAVE, SIGTERM (leave.go)
}

// applyRepl mirrors the replication settings of cfg.
func (s *Server) applyRepl(cfg *config.Config) {
	s.repl.mode.Store(int32(config.ParseAckMode(cfg.ReplicaAck)))
	s.repl.minReplicas.Store(int64(cfg.MinReplicasToWrite))
	s.repl.ackTimeout.Store(int64(cfg.EffectiveNodeTimeout()))
	s.repl.readsWhenDown.Store(cfg.ClusterAllowReadsWhenDown)
}

func (s *Server) baseContext() context.Context {
	if p := s.repl.serveCtx.Load(); p != nil {
		return *p
	}
	return context.Background()
}

// noteWrite records the slots of a write command that ran here. call runs
// it after the handler, for commands and for the commands of EXEC. A node
// whose routing table names it alone has no replica to wait for: its
// writes are degraded, as those of a slot without a named replica are
// (awaitReplicas would resolve them and wait for nothing), so it notes
// nothing; a replica named after the write gets it with its transfer.
func (s *Server) noteWrite(c *Client, e *entry, args [][]byte) {
	if t := s.cluster.Table(); t != nil && s.alone(t) {
		return
	}
	if e.keyspace {
		c.repl.NoteAll()
		return
	}
	if len(args) > 0 && len(c.slotArgs) == len(args) && &c.slotArgs[0] == &args[0] {
		// run computed the slots of these very arguments (their keys, in
		// order): the command the client sent, not one of a script's or
		// an EXEC's.
		for _, sl := range c.slots {
			c.repl.NoteSlot(sl)
		}
		c.slotArgs = nil
		return
	}
	c.keyPos = e.keys(args, c.keyPos)
	for _, i := range c.keyPos {
		c.repl.NoteSlot(ring.KeySlot(args[i]))
	}
}

// awaitReplicas ends a batch of commands: it resolves the writes noted
// since the last batch and, with replica-ack one or all, waits for the
// replicas (see the file comment). It reports false when they did not
// acknowledge in time: the writes are applied here but not replicated, so
// the caller must not acknowledge them (a primary cut off from its replicas
// would otherwise ack writes the other side never sees). An event loop
// does not wait here: it waits on (ackloop.go).
func (s *Server) awaitReplicas(c *Client) bool {
	pos, want := s.ackBatch(c)
	if want == 0 {
		return true
	}
	n, err := s.cluster.AwaitAcks(s.baseContext(), time.Duration(s.repl.ackTimeout.Load()), pos, want)
	return s.ackDone(c, n, err)
}

// ackBatch resolves the writes noted since the last batch into the
// positions the batch's replies wait for and how many replicas they wait
// for: want 0 when none (replica-ack none, nothing written here, or every
// position acknowledged already). What the replicas have applied is
// dropped from the account meanwhile (Prune).
func (s *Server) ackBatch(c *Client) (pos []cluster.SlotOffset, want int) {
	pos = c.repl.Resolve(&s.cluster)
	mode := config.AckMode(s.repl.mode.Load())
	if len(pos) > 0 && mode != config.AckNone {
		want = 1
		if mode == config.AckAll {
			want = wantAll
		}
		if c.repl.Prune(&s.cluster, want) {
			return nil, 0 // acknowledged already
		}
		s.repl.ackWaits.Add(1)
		return pos, want
	}
	if n := c.repl.Unsettled(); n > 0 && (mode != config.AckNone || n > 32) {
		c.repl.Prune(&s.cluster, 0)
	}
	return nil, 0
}

// ackDone ends a batch's wait for its replicas, which found n of them or
// failed with err (timeout, a lost lead), and reports whether its replies
// may leave.
func (s *Server) ackDone(c *Client, n int, err error) bool {
	if err != nil {
		s.repl.ackTimeouts.Add(1)
		s.log.Warn("replicas did not acknowledge a batch in time; not acknowledging it to the client",
			"client", c.ID, "acked", n, "mode", config.AckMode(s.repl.mode.Load()).String(), "err", err)
	}
	if c.repl.Unsettled() > 0 {
		c.repl.Prune(&s.cluster, 0)
	}
	return err == nil
}

// errNotReplicated answers forwarded commands whose batch the replicas did
// not acknowledge in time: applied on the primary, not acknowledged.
const errNotReplicated = "TRYAGAIN write applied on the primary but not acknowledged by its replicas in time; its outcome is unknown"

// lacksReplicas reports whether min-replicas-to-write refuses a write to
// slots: one of them, led here, has fewer synced live replicas.
func (s *Server) lacksReplicas(slots []uint16) bool {
	need := int(s.repl.minReplicas.Load())
	if need <= 0 {
		return false
	}
	for _, sl := range slots {
		if s.cluster.LiveReplicas(sl) < need {
			s.repl.noReplicas.Add(1)
			return true
		}
	}
	return false
}

// readsHere reports whether a READONLY connection's read of slots runs on
// this node: every slot is led here or replicated here in sync.
func (s *Server) readsHere(c *Client, e *entry) bool {
	if c.route == nil || !c.route.readonly || c.route.forwarded || e.Flags&FlagReadOnly == 0 || e.Flags&FlagWrite != 0 {
		return false
	}
	for _, sl := range c.slots {
		if _, local := s.cluster.Route(sl); !local && !s.cluster.ReplicaSynced(sl) {
			return false
		}
	}
	return true
}

func replicationCommands() []*Command {
	return []*Command{
		{Name: "wait", Arity: 3, ACL: commands.ACLConnection, Tips: []string{commands.TipAllShards, commands.TipAggMin},
			Group: "generic", Since: "3.0.0",
			Summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.",
			Handler: fe(waitCommand)},
		commands.WaitAOFCommand(), // commands/servercmds.go
	}
}

// waitCommand: WAIT numreplicas timeout. It answers how many replicas
// applied the connection's writes (the fewest over the slots written),
// blocking until numreplicas did or timeout milliseconds passed (0 =
// forever). Inside a transaction or a script it answers at once, as
// Redis 7.2 does (a script may call WAIT: no noscript flag). A standalone
// node has no replicas: 0, at once.
func waitCommand(c *Call) {
	want, ok := resp.ParseInt64(c.Args[1])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	timeout, ok := commands.WaitTimeout(c.Call, c.Args[2])
	if !ok {
		return
	}
	s, cl := c.Server, c.Client
	if s.standalone {
		c.Reply.Int(0)
		return
	}
	ctx, cancel := context.WithCancel(s.baseContext())
	defer cancel()
	if cl.execing || c.Script || want <= 0 {
		cancel() // count what acknowledged so far, without blocking
	} else if timeout > 0 {
		var tcancel context.CancelFunc
		ctx, tcancel = context.WithTimeout(ctx, time.Duration(timeout)*time.Millisecond)
		defer tcancel()
	}
	c.Reply.Int(int64(cl.repl.Wait(ctx, &s.cluster, int(want))))
}
