package server

import (
	"context"
	"slices"
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
//     writes not yet known to be on every synced replica (Client.repl.wrote,
//     pruned after each wait, so it holds a handful of slots at most).

// errNoReplicas is Redis's answer when min-replicas-to-write is not met.
const errNoReplicas = "NOREPLICAS Not enough good replicas to write."

// wantAll asks WaitReplicated for every synced replica: it waits for
// min(want, synced) of them.
const wantAll = ring.MaxReplicas

// waitPoll is how often WAIT looks again while a slot has fewer synced
// replicas than asked for (no acknowledgement would wake it then).
const waitPoll = 20 * time.Millisecond

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

// clientRepl is a connection's replication state, owned by its goroutine.
type clientRepl struct {
	// slots are the slots written since the batch was last resolved; all
	// is set by a keyspace-wide write (FLUSHALL, FLUSHDB).
	slots []uint16
	all   bool
	// wrote are the positions of the connection's writes that were not yet
	// known to be on every synced replica: what WAIT waits for.
	wrote []cluster.SlotOffset
	// settled is the fewest replicas that had applied a position when it
	// was dropped from wrote since the last WAIT (-1: none dropped), so
	// WAIT still counts those writes.
	settled int
	// batch is scratch for the positions of one batch, sorted by slot.
	batch []cluster.SlotOffset
}

func (r *clientRepl) pending() bool { return len(r.slots) > 0 || r.all }

// reset forgets everything (pooled internal clients).
func (r *clientRepl) reset() {
	r.slots, r.all = r.slots[:0], false
	r.wrote = r.wrote[:0]
	r.settled = -1
}

// settle notes that a position was dropped with acked replicas.
func (r *clientRepl) settle(acked int) {
	if r.settled < 0 || acked < r.settled {
		r.settled = acked
	}
}

// noteWrite records the slots of a write command that ran here. call runs
// it after the handler, for commands and for the commands of EXEC.
func (s *Server) noteWrite(c *Client, e *entry, args [][]byte) {
	if e.keyspace {
		c.repl.all = true
		return
	}
	if len(args) > 0 && len(c.slotArgs) == len(args) && &c.slotArgs[0] == &args[0] {
		// run computed the slots of these very arguments (their keys, in
		// order): the command the client sent, not one of a script's or
		// an EXEC's.
		for _, sl := range c.slots {
			c.repl.noteSlot(sl)
		}
		c.slotArgs = nil
		return
	}
	c.keyPos = e.keys(args, c.keyPos)
	for _, i := range c.keyPos {
		c.repl.noteSlot(ring.KeySlot(args[i]))
	}
}

// noteSlot adds sl to the slots written, unless it was the last one added.
func (r *clientRepl) noteSlot(sl uint16) {
	if n := len(r.slots); n > 0 && r.slots[n-1] == sl {
		return
	}
	r.slots = append(r.slots, sl)
}

// resolveWrites turns the noted slots into positions, merges them into
// c.repl.wrote and returns them (valid until the next call). Only slots
// this node leads have positions; a write to another slot ran elsewhere.
func (s *Server) resolveWrites(c *Client) []cluster.SlotOffset {
	r := &c.repl
	slots := r.slots
	if r.all {
		slots = slots[:0]
		for sl := range ring.SlotCount {
			slots = append(slots, uint16(sl))
		}
	} else if len(slots) > 1 {
		slices.Sort(slots)
		slots = slices.Compact(slots)
	}
	led := slots[:0]
	for _, sl := range slots {
		if _, local := s.cluster.Route(sl); local {
			led = append(led, sl)
		}
	}
	r.batch = s.cluster.Offsets(r.batch[:0], led...)
	r.slots, r.all = slots[:0], false
	for _, p := range r.batch {
		i := slices.IndexFunc(r.wrote, func(w cluster.SlotOffset) bool { return w.Slot == p.Slot })
		if i < 0 {
			r.wrote = append(r.wrote, p)
		} else if p.Offset > r.wrote[i].Offset {
			r.wrote[i].Offset = p.Offset
		}
	}
	return r.batch
}

// pruneWrote drops the positions every synced replica of their slot has
// applied, noting how many that was (clientRepl.settled): waiting for them
// again could not change WAIT's answer. With want > 0 it also reports
// whether each position of the batch (c.repl.batch, whose positions wrote
// holds) already has want (or all, when fewer) synced replicas'
// acknowledgements, so that the batch need not wait: one ReplicaAcks per
// position serves both.
func (s *Server) pruneWrote(c *Client, want int) (acked bool) {
	r := &c.repl
	acked = true
	r.wrote = slices.DeleteFunc(r.wrote, func(p cluster.SlotOffset) bool {
		synced, n := s.cluster.ReplicaAcks(p.Slot, p.Offset)
		if want > 0 && n < min(want, synced) {
			_, inBatch := slices.BinarySearchFunc(r.batch, p.Slot, func(b cluster.SlotOffset, sl uint16) int { return int(b.Slot) - int(sl) })
			acked = acked && !inBatch
		}
		if n >= synced {
			r.settle(n)
			return true
		}
		return false
	})
	return acked
}

// awaitReplicas ends a batch of commands: it resolves the writes noted
// since the last batch and, with replica-ack one or all, waits for the
// replicas (see the file comment). It reports false when they did not
// acknowledge in time: the writes are applied here but not replicated, so
// the caller must not acknowledge them (a primary cut off from its replicas
// would otherwise ack writes the other side never sees).
func (s *Server) awaitReplicas(c *Client) bool {
	pos := s.resolveWrites(c)
	mode := config.AckMode(s.repl.mode.Load())
	ok, pruned := true, false
	if len(pos) > 0 && mode != config.AckNone {
		want := 1
		if mode == config.AckAll {
			want = wantAll
		}
		if pruned = s.pruneWrote(c, want); !pruned {
			s.repl.ackWaits.Add(1)
			n, err := s.cluster.AwaitAcks(s.baseContext(), time.Duration(s.repl.ackTimeout.Load()), pos, want)
			if err != nil {
				ok = false
				s.repl.ackTimeouts.Add(1)
				s.log.Warn("replicas did not acknowledge a batch in time; not acknowledging it to the client",
					"client", c.ID, "slots", len(pos), "acked", n, "mode", mode.String(), "err", err)
			}
		}
	}
	if !pruned && len(c.repl.wrote) > 0 && (mode != config.AckNone || len(c.repl.wrote) > 32) {
		s.pruneWrote(c, 0) // after a wait, or with replica-ack none
	}
	return ok
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

// replicaBaseline is WAIT's answer for a connection with no write
// pending: the fewest synced replicas any slot led here has (Redis counts
// its connected replicas).
func (s *Server) replicaBaseline() int {
	best := -1
	for sl := range ring.SlotCount {
		if _, local := s.cluster.Route(uint16(sl)); !local {
			continue
		}
		synced := s.cluster.LiveReplicas(uint16(sl))
		if best < 0 || synced < best {
			best = synced
		}
	}
	return max(best, 0)
}

func replicationCommands() []*Command {
	return []*Command{
		{Name: "wait", Arity: 3, Flags: FlagNoScript, ACL: commands.ACLConnection, Tips: []string{commands.TipAllShards, commands.TipAggMin},
			Group: "generic", Since: "3.0.0",
			Summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.",
			Handler: fe(waitCommand)},
		commands.WaitAOFCommand(), // commands/servercmds.go
	}
}

// waitCommand: WAIT numreplicas timeout. It answers how many replicas
// applied the connection's writes (the fewest over the slots written),
// blocking until numreplicas did or timeout milliseconds passed (0 =
// forever). Inside a transaction it answers at once, as Redis does. A
// standalone node has no replicas: 0, at once.
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
	s.resolveWrites(cl)
	s.pruneWrote(cl, 0)
	settled := cl.repl.settled
	cl.repl.settled = -1
	if len(cl.repl.wrote) == 0 {
		if settled < 0 {
			settled = s.replicaBaseline() // no write since the last WAIT
		}
		c.Reply.Int(int64(settled))
		return
	}
	pos := slices.Clone(cl.repl.wrote)
	ctx, cancel := context.WithCancel(s.baseContext())
	defer cancel()
	if cl.execing || want <= 0 {
		cancel() // count what acknowledged so far, without blocking
	} else if timeout > 0 {
		var tcancel context.CancelFunc
		ctx, tcancel = context.WithTimeout(ctx, time.Duration(timeout)*time.Millisecond)
		defer tcancel()
	}
	n := s.waitFor(ctx, pos, max(int(want), 1))
	if settled >= 0 {
		n = min(n, settled)
	}
	s.pruneWrote(cl, 0)
	cl.repl.settled = -1
	c.Reply.Int(int64(n))
}

// waitFor waits until want replicas applied every position or ctx ends,
// and returns the fewest replicas that applied a position. WaitReplicated
// waits only for the replicas a slot has; when a slot has fewer than want,
// this looks again every waitPoll (a replica being built may join).
func (s *Server) waitFor(ctx context.Context, pos []cluster.SlotOffset, want int) int {
	for {
		n, err := s.cluster.WaitReplicated(ctx, pos, want)
		if n >= want || err != nil {
			return n
		}
		select {
		case <-ctx.Done():
			return n
		case <-time.After(waitPoll):
		}
	}
}
