package server

import (
	"context"
	"sync/atomic"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/leave"
	"github.com/meshcache/meshcache/server/replack"
)

// Replica acknowledgement (docs/DESIGN.md §5): the cluster node streams every
// write's effects to the slot's replicas; the server decides when a
// client's reply may leave (package replack: a connection's account of
// its writes, the policy that says what a batch waits for, and WAIT).
//
//   - A write run here (call) notes its key slots on the Client.
//   - When the batch's replies are about to be written (handle sees no
//     further command), or a forwarded call is about to answer (Execute,
//     ExecuteBatch), the noted slots become positions (replack.Policy.Batch,
//     Node.Offsets: each
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

// replServer is the server's replication state: the replica
// acknowledgement (package replack: settings and counters), the setting
// read when the lease lapses, Serve's context and the leave. All fields
// are safe for concurrent use.
type replServer struct {
	ack           replack.Policy // replica-ack, min-replicas-to-write, node-timeout (applyRepl)
	readsWhenDown atomic.Bool    // cluster-allow-reads-when-down (leaseRefusal)

	// serveCtx is Serve's context: WAIT's blocking ends with it, so that
	// Serve's wait for connection goroutines cannot hang on a WAIT 0.
	serveCtx atomic.Pointer[context.Context]

	leave leave.Once // SHUTDOWN, CLUSTER LEAVE, SIGTERM (package leave)
}

// applyRepl mirrors the replication settings of cfg (from New and CONFIG
// SET).
func (s *Server) applyRepl(cfg *config.Config) {
	s.repl.ack.Set(config.ParseAckMode(cfg.ReplicaAck), cfg.MinReplicasToWrite, cfg.EffectiveNodeTimeout())
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
	if e.Keyspace {
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
	c.keyPos = e.Keys(args, c.keyPos)
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
	pos, want := s.repl.ack.Batch(&c.repl, &s.cluster)
	if want == 0 {
		return true
	}
	n, err := s.cluster.AwaitAcks(s.baseContext(), s.repl.ack.Timeout(), pos, want)
	return s.ackDone(c, n, err)
}

// ackDone ends a batch's wait for its replicas, which found n of them or
// failed with err (timeout, a lost lead), and reports whether its replies
// may leave (replack.Policy.Done); a failure is logged.
func (s *Server) ackDone(c *Client, n int, err error) bool {
	if err != nil {
		s.log.Warn("replicas did not acknowledge a batch in time; not acknowledging it to the client",
			"client", c.ID, "acked", n, "mode", s.repl.ack.Mode().String(), "err", err)
	}
	return s.repl.ack.Done(&c.repl, &s.cluster, err)
}

// errNotReplicated answers forwarded commands whose batch the replicas did
// not acknowledge in time: applied on the primary, not acknowledged.
const errNotReplicated = "TRYAGAIN write applied on the primary but not acknowledged by its replicas in time; its outcome is unknown"

// lacksReplicas reports whether min-replicas-to-write refuses a write to
// slots: one of them, led here, has fewer synced live replicas.
func (s *Server) lacksReplicas(slots []uint16) bool {
	need := s.repl.ack.MinReplicas()
	if need <= 0 {
		return false
	}
	for _, sl := range slots {
		if s.cluster.LiveReplicas(sl) < need {
			s.repl.ack.Refuse()
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

// WaitCall gives WAIT its connection's account and node (replack.Conn).
func (c *Call) WaitCall() replack.WaitCall {
	s, cl := c.Server, c.Client
	return replack.WaitCall{Writes: &cl.repl, Node: &s.cluster, Ctx: s.baseContext(),
		AtOnce: cl.execing || c.Script, Standalone: s.standalone}
}
