package server

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/route"
	"github.com/meshcache/meshcache/server/topology"
)

// Routing: package route decides where a command runs (state in,
// decision out); here the front end gathers that state and acts on the
// decision: it runs the command, forwards it with the pipelined commands
// behind it, splits it (scatter.go), watches its keys on their leader
// (watch_remote.go), or refuses it.

// errCrossSlot is route.ErrCrossSlot, which dispatch answers too.
const errCrossSlot = route.ErrCrossSlot

// clusterStats counts internode forwarding, for CLUSTER INFO's
// cluster_stats_messages_* lines.
type clusterStats struct {
	forwardsSent     atomic.Int64 // Forward and ForwardBatch calls made
	forwardsReceived atomic.Int64 // forwarded calls executed here
}

// routeState is a connection's cluster routing state. Owned by the
// connection's goroutine (or by the call running an internal client).
type routeState struct {
	// forwarded: this is an internal client running commands another node
	// forwarded here. It never forwards again: a command for a slot this
	// node does not lead is answered -MOVED, and the sender routes it anew.
	forwarded bool
	// readonly: READONLY was sent. Reads of slots this node replicates in
	// sync run here instead of going to the primary (readsHere).
	readonly bool
	// ahead holds the replies of pipelined commands that were already run
	// on another node in one ordered batch with an earlier command, in
	// pipeline order; dispatch answers them as they come up (takeAhead).
	ahead []route.Ahead
	// cmds is scratch for building a batch.
	cmds [][][]byte
	// keyPos is scratch for the key positions of a pipelined command
	// (batchable), apart from the Client's, which the command being
	// routed holds.
	keyPos []int
	// blockRef and blockLast: an internal client's next command is a
	// chunk of another node's blocking command (its marker, see
	// blocking_remote.go); runBlocking takes them.
	blockRef  blocking.Ref
	blockLast bool
}

// pinned reports whether the routing state keeps its connection off the
// event loops (inlineSafe, backToLoop): an internal client running
// another node's commands, or one that sent READONLY.
func (rs *routeState) pinned() bool { return rs != nil && (rs.forwarded || rs.readonly) }

func (c *Client) routeState() *routeState {
	if c.route == nil {
		c.route = &routeState{}
	}
	return c.route
}

// routeAway decides where a keyed command runs (route.Keyed), with
// c.slots holding the slots of its keys (single: they are all one slot).
// It returns handled false when the command runs here, with local
// reporting whether this node leads every slot (false only for a READONLY
// read of slots replicated here): the caller then needs no second routing
// pass. Otherwise it has answered the command: forwarded to the primary,
// split by owner, or refused (-MOVED, -CROSSSLOT, -CLUSTERDOWN, -TRYAGAIN).
func (s *Server) routeAway(c *Client, e *entry, args [][]byte, single bool) (handled, local bool) {
	rs := c.route
	forwarded := rs != nil && rs.forwarded
	if !single && (e.SameSlotOnly() || (s.redirect && !forwarded)) {
		c.reply.Error(errCrossSlot)
		return true, false
	}
	if rs != nil && rs.readonly && s.readsHere(c, e) {
		if msg := s.leaseRefusal(time.Time{}, false, true); msg != "" {
			c.reply.Error(msg)
			return true, false
		}
		return false, s.allLocal(c) // a READONLY read of slots replicated here (replication.go)
	}
	var retry route.Retry
	for {
		t, self := s.cluster.Table(), s.cluster.ID()
		owner, spans := route.Owner(c.slots, s.cluster.Route)
		v := route.Keyed(route.Cmd{Table: t, Self: self, Owner: owner, Spans: spans, Redirect: s.redirect,
			Forwarded: forwarded, NoWait: c.noWait, Async: c.fwd.lc != nil, Watches: e.Flags&FlagWatchesKeys != 0, Splittable: e.MultiShard})
		switch v.Do {
		case route.Here:
			if c.noWait {
				if !s.leaseHeldNow(c, e) {
					c.decline() // the lease lapsed: a goroutine may wait for it
					return true, false
				}
			} else if v.Err = s.leaseRefusal(c.freshNow(), e.MayWrite(), e.Flags&FlagReadOnly != 0); v.Err != "" {
				break
			}
			if e.Flags&FlagWrite != 0 && s.lacksReplicas(c.slots) {
				v.Err = errNoReplicas
				break
			}
			return false, true
		case route.Moved:
			s.replyMoved(c, t, self)
		case route.Decline:
			c.decline() // forwarded, split or watched elsewhere: it waits
		case route.Watch:
			s.watchRemote(c, owner, args, single)
		case route.Scatter:
			s.scatter(c, e, args)
		}
		if v.Err != "" {
			c.reply.Error(v.Err)
		}
		if v.Do != route.Forward {
			return true, false
		}
		to := retry.To(owner)
		if c.noWait { // its event loop's: forwarded without waiting (loopforward.go)
			if !s.startForward(c, e, to, args) {
				c.decline()
			}
			return true, false
		}
		movedTo, moved := s.forward(c, to, args)
		if !moved {
			return true, false
		}
		c.clock.Stale() // it waited: the next attempt's lease check reads the clock
		wait, giveUp := retry.Moved(t, movedTo, self, to)
		if giveUp {
			c.reply.Error(route.TryAgain(c.slots[0]))
			return true, false
		}
		time.Sleep(wait)
	}
}

// replyMoved answers -MOVED for the first of c.slots this node does not
// lead, with the primary's client address, as Redis Cluster does.
func (s *Server) replyMoved(c *Client, t *ring.Table, self ring.NodeID) {
	for _, sl := range c.slots {
		p, _ := s.cluster.Route(sl)
		if p == self {
			continue
		}
		c.reply.Error(topology.MovedError(t, sl, p))
		return
	}
	c.reply.Error(route.ErrClusterDown) // unreachable: some slot is led elsewhere
}

// forward runs args on node owner, together with the commands right behind
// it in the client's pipeline that go to the same node (one ordered batch,
// so their order holds: the receiver runs a batch in order, and this
// connection never has two calls in flight). It appends args's reply to
// c.reply and queues the others' replies in c.route.ahead. When owner
// answered args with -MOVED it appends nothing and reports moved, with the
// address the -MOVED named: the caller routes args again. An event loop
// forwards without waiting instead (startForward, loopforward.go).
func (s *Server) forward(c *Client, owner ring.NodeID, args [][]byte) (movedTo string, moved bool) {
	c.ranAway = true
	rs := c.routeState()
	args, timeout := c.forwardTimeoutArg(args)
	rs.cmds = rs.cmds[:0]
	lead := 0 // a blocking command's chunk goes behind its marker (blocking_remote.go)
	if m := s.chunkMarker(c); m != nil {
		rs.cmds, lead = append(rs.cmds, m), 1
	}
	s.gatherBatch(c, owner, args, c.block.Parking)
	var ctx context.Context
	var cancel context.CancelFunc
	if lead > 0 { // watchChunk cancels the call when the client leaves
		ctx, cancel = context.WithTimeout(context.Background(), timeout)
	} else {
		ctx, cancel = forwardContext(timeout)
	}
	defer cancel()
	s.cstats.forwardsSent.Add(1)
	resp3 := c.RESP3()
	if lead > 0 {
		defer s.watchChunk(c, owner, cancel)()
	}
	replies, err := s.events.Forward(ctx, &c.ev, owner, resp3, rs.cmds)
	rs.cmds = rs.cmds[lead:]
	if err == nil && len(replies) <= lead {
		err = route.ErrEmptyBatch
	}
	if err == nil {
		replies = replies[lead:]
		for i, r := range replies {
			if r := s.scripts.EvalFallback(ctx, owner, resp3, rs.cmds[i], r); r != nil {
				replies[i] = r // EVALSHA of a script the primary lacks (server/scripts)
			}
		}
	}
	return s.forwarded(c, owner, replies, err)
}

// gatherBatch appends args to c.route.cmds, and behind it the commands of
// the client's pipeline that can join it in a batch to owner (batchable),
// unless alone is set (a blocking command goes alone).
func (s *Server) gatherBatch(c *Client, owner ring.NodeID, args [][]byte, alone bool) {
	rs := c.route
	rs.cmds = append(rs.cmds, args)
	if len(c.pipeline) == 0 || alone {
		return
	}
	t := s.cluster.Table()
	size := route.ArgsSize(args)
	for _, next := range c.pipeline {
		size += route.ArgsSize(next)
		if len(rs.cmds) >= route.MaxBatchCmds || size > route.MaxBatchBytes || !s.batchable(c, t, owner, next) {
			return
		}
		rs.cmds = append(rs.cmds, next)
	}
}

// forwarded takes the outcome of forwarding the batch c.route.cmds to
// owner: the first command's reply is appended to c.reply and the others'
// queued in c.route.ahead, or, when the call failed, its error is the reply
// of them all (they may or may not have run). moved: owner answered the
// first with -MOVED, to movedTo; nothing is appended and the caller routes
// it again.
func (s *Server) forwarded(c *Client, owner ring.NodeID, replies [][]byte, err error) (movedTo string, moved bool) {
	rs := c.route
	if err == nil && len(replies) == 0 {
		err = route.ErrEmptyBatch
	}
	if err != nil {
		s.log.Debug("forward failed", "to", owner, "cmds", len(rs.cmds), "err", err)
		msg := route.ForwardError(owner, err)
		c.reply.Error(msg)
		rs.ahead = route.Failed(rs.ahead, rs.cmds, msg) // the batch may or may not have run
		rs.cmds = rs.cmds[:0]
		return "", false
	}
	var first []byte
	first, movedTo, moved, rs.ahead = route.Replies(rs.ahead, rs.cmds, replies)
	rs.cmds = rs.cmds[:0]
	if !moved {
		c.reply.Raw(first)
	}
	return movedTo, moved
}

// batchable reports whether a pipelined command can join a batch forwarded
// to owner: a known command with keys, valid arity, allowed by AUTH, that
// is not a transaction command, whose every key is led by owner, and which
// dispatch would forward there as is.
func (s *Server) batchable(c *Client, t *ring.Table, owner ring.NodeID, args [][]byte) bool {
	if t == nil || len(args) == 0 {
		return false
	}
	var buf [32]byte
	e := s.table.Lookup(args[0], &buf)
	if e == nil || e.Subs != nil || e.RunsInMulti || !e.Keyed || e.Flags&FlagBlocking != 0 {
		return false // a blocking command is forwarded alone, in chunks (blocking.go)
	}
	if (e.Arity > 0 && len(args) != e.Arity) || (e.Arity < 0 && len(args) < -e.Arity) {
		return false
	}
	if s.lim.authRequired.Load() && !c.authenticated && e.Flags&FlagNoAuth == 0 {
		return false
	}
	if e.Flags&FlagDenyOOM != 0 && s.lim.maxMemory.Load() != 0 {
		return false // dispatch checks local memory first; keep its answer
	}
	if c.noWait && e.Flags&FlagNoScript != 0 {
		return false // an event loop's batch: EVALSHA's fallback would wait (forward)
	}
	rs := c.routeState()
	if rs.keyPos = e.Keys(args, rs.keyPos); len(rs.keyPos) == 0 {
		return false // dispatch runs a command without keys here
	}
	slot := ring.KeySlot(args[rs.keyPos[0]])
	for _, i := range rs.keyPos {
		sl := ring.KeySlot(args[i])
		if sl != slot && e.SameSlotOnly() {
			return false
		}
		if p, _ := s.cluster.Route(sl); p != owner {
			return false
		}
	}
	return true
}

// takeAhead answers a pipelined command that already ran remotely in a
// batch (see forward). It returns false, dropping the queue, if args is not
// the command the batch expected next, which would be a bug: the command
// is then dispatched normally.
func (s *Server) takeAhead(c *Client, args [][]byte) bool {
	rs := c.route
	a := rs.ahead[0]
	rs.ahead[0] = route.Ahead{}
	rs.ahead = rs.ahead[1:]
	if len(rs.ahead) == 0 {
		rs.ahead = nil
	}
	if !slices.EqualFunc(a.Args, args, bytes.Equal) {
		s.log.Error("pipelined command does not match its forwarded batch; dropping the batch's replies",
			"client", c.ID, "cmd", sanitize(commands.Truncate(args[0], 32)))
		rs.ahead = nil
		return false
	}
	c.pendProcessed++
	c.reply.Raw(a.Reply)
	if s.events.Monitored() {
		s.feedRan(c, s.table.Lookup(args[0], &c.nameBuf), args)
	}
	return true
}

// routeExec routes EXEC in a cluster (route.Exec). Every key of the
// transaction (queued commands and watched keys) must be in one slot, as
// in Redis Cluster: otherwise EXEC answers -CROSSSLOT and the transaction
// is discarded. It returns false when the transaction runs here (no keys,
// or this node leads the slot). When another node leads it, the whole
// MULTI ... EXEC block is forwarded there as one ordered batch, behind
// the check of a WATCH through this node (server/watch), and EXEC's reply
// relayed.
func (s *Server) routeExec(call *Call) bool {
	c := call.Client
	c.slots = append(c.slots[:0], c.watchSlots...)
	txn := route.Txn{Redirect: s.redirect, Forwarded: c.route != nil && c.route.forwarded, LocalWatch: len(c.watchSlots) > 0}
	if c.rwatch != nil {
		c.slots = append(c.slots, c.rwatch.Slot)
		txn.RemoteWatch, txn.WatchLeader = true, c.rwatch.Leader
	}
	for _, q := range c.queue {
		c.keyPos = q.e.Keys(q.args, c.keyPos)
		for _, i := range c.keyPos {
			c.slots = append(c.slots, ring.KeySlot(q.args[i]))
		}
	}
	if len(c.slots) == 0 {
		return false
	}
	slot, one := route.OneSlot(c.slots)
	if !one {
		c.discardMulti()
		call.Reply.Error(errCrossSlot)
		return true
	}
	var retry route.Retry
	for {
		t, self := s.cluster.Table(), s.cluster.ID()
		owner, _ := s.cluster.Route(slot)
		txn.Table, txn.Self, txn.Owner = t, self, owner
		v := route.Exec(txn)
		switch v.Do {
		case route.Here:
			write := queueWrites(c.queue)
			if v.Err = s.leaseRefusal(time.Time{}, write, true); v.Err == "" && write && s.lacksReplicas([]uint16{slot}) {
				v.Err = execAbort(errNoReplicas)
			}
			if v.Err == "" {
				return false
			}
		case route.Moved:
			v.Err = topology.MovedError(t, slot, owner)
		case route.Abort:
			c.discardMulti()
			call.Reply.NullArray()
			return true
		}
		if v.Do != route.Forward {
			c.discardMulti()
			call.Reply.Error(v.Err)
			return true
		}
		cmds := make([][][]byte, 0, len(c.queue)+3)
		if c.rwatch != nil {
			cmds = append(cmds, c.rwatch.CheckArgs())
		}
		cmds = append(cmds, [][]byte{[]byte("MULTI")})
		for _, q := range c.queue {
			cmds = append(cmds, q.args)
		}
		cmds = append(cmds, call.Args)
		to := retry.To(owner)
		ctx, cancel := forwardContext(route.ForwardTimeout)
		s.cstats.forwardsSent.Add(1)
		replies, err := s.events.Forward(ctx, &c.ev, to, c.RESP3(), cmds)
		cancel()
		switch {
		case err != nil:
			c.discardMulti()
			call.Reply.Error(route.ForwardError(to, err))
			return true
		case len(replies) == len(cmds):
			for _, q := range c.queue {
				s.feedRan(c, q.e, q.args) // EXEC's own line follows, from callIn
			}
			c.discardMulti()
			call.Reply.Raw(replies[len(replies)-1])
			return true
		case len(replies) == 0 || !topology.IsMoved(replies[len(replies)-1]):
			c.discardMulti()
			call.Reply.Error(fmt.Sprintf(errInternalFormat, "exec"))
			s.log.Error("forwarded transaction: short reply", "to", to, "replies", len(replies), "cmds", len(cmds))
			return true
		}
		// Moved (the owner's table is newer than ours): follow the
		// redirect, or route again once our table has caught up.
		wait, giveUp := retry.Moved(t, topology.MovedAddr(replies[len(replies)-1]), self, to)
		if giveUp {
			c.discardMulti()
			call.Reply.Error(route.TryAgain(slot))
			return true
		}
		time.Sleep(wait)
	}
}

// leaseRefusal returns the -CLUSTERDOWN error for a write, or a read, of
// slots led (or, READONLY, replicated) here while this node lacks its
// quorum lease, or "" when the command may run (route.NeedsLease). now is
// the command's fresh clock reading (freshNow) or the zero time.
func (s *Server) leaseRefusal(now time.Time, write, read bool) string {
	if !route.NeedsLease(write, read, s.repl.readsWhenDown.Load()) || s.cluster.WaitHealthyAt(now) {
		return ""
	}
	return route.LeaseError(write)
}

// leaseHeldNow reports, without waiting, whether c's command e may run as
// far as the quorum lease goes (leaseRefusal would say nothing): it needs
// none, or the node holds it at the command's clock.
func (s *Server) leaseHeldNow(c *Client, e *entry) bool {
	return !route.NeedsLease(e.MayWrite(), e.Flags&FlagReadOnly != 0, s.repl.readsWhenDown.Load()) ||
		s.cluster.HealthyAt(c.freshNow())
}

// queueWrites reports whether a transaction writes, or may (MayWrite).
func queueWrites(queue []queuedCmd) bool {
	for _, q := range queue {
		if q.e.MayWrite() {
			return true
		}
	}
	return false
}

// movedWhileLocking reports whether a slot of c.slots that this node led
// when the command was routed (local) is led elsewhere now that the
// command holds the slots' store locks. A handoff (cluster/handoff.go)
// fences a slot by taking its store lock and flips the route before it
// lets go, so a command that waited on the lock must be routed again
// rather than run on the old primary: that write would be lost.
func (s *Server) movedWhileLocking(c *Client, local bool) bool {
	return local && !s.allLocal(c)
}

// allLocal reports whether this node leads every slot of c.slots now.
func (s *Server) allLocal(c *Client) bool {
	for _, sl := range c.slots {
		if _, here := s.cluster.Route(sl); !here {
			return false
		}
	}
	return true
}

// forwardCtx is the shared context of forwards within route.ForwardTimeout.
var forwardCtx = transport.NewSharedDeadline(route.ForwardTimeout, 10*time.Millisecond)

// forwardContext returns the context of a forward within timeout and the
// function that ends it: the shared one for route.ForwardTimeout (its end
// is a no-op), else one of its own.
func forwardContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout == route.ForwardTimeout {
		return forwardCtx.Get(), func() {}
	}
	return context.WithTimeout(context.Background(), timeout)
}
