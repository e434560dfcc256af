package server

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/commands"
	debugcmd "github.com/meshcache/meshcache/server/debug"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Errors the dispatcher answers with, in Redis's words.
const (
	errNoAuth         = "NOAUTH Authentication required."
	errOOM            = "OOM command not allowed when used memory > 'maxmemory'."
	errExecAbort      = "EXECABORT Transaction discarded because of previous errors."
	errNotInMulti     = "ERR Command not allowed inside a transaction"
	errInternalFormat = "ERR internal error running '%s' (see the server log)"
)

// handle runs one command of the connection's batch (serveClient) and
// queues its reply on the connection, which serveClient flushes when the
// batch ends.
func (s *Server) handle(c *Client, args [][]byte) {
	// Under maxmemory the command evicts first (reclaim), and before the
	// hold, so that the invalidations of what goes reach the client before
	// this command's reply, as Redis's do. Invalidations and monitor lines
	// sent while the command runs follow its reply (package events).
	outOfMemory := !s.reclaim()
	c.ev.HoldIfNeeded()
	c.clock.Next()
	s.dispatch(c, args, outOfMemory)
	if c.wouldWait || c.fwd.call != nil {
		// Nothing ran (the caller hands the command to a goroutine), or
		// its loop forwarded it: its reply comes later (loopforward.go).
		return
	}
	s.handled(c)
}

// handled is the end of handle, once the command ran or its reply came:
// its batch's wait for replicas, CLIENT REPLY, and queueing its reply.
func (s *Server) handled(c *Client) {
	if c.ev.Tracking() {
		c.clearCaching(c.lastCmd.Load())
	}
	if c.repl.Pending() && len(c.pipeline) == 0 {
		// The batch ends here: its replies are written after this call,
		// so they wait for the replicas now (replication.go), or, on an
		// event loop, once queued (ackloop.go).
		if c.noWait {
			s.beginLoopAck(c)
		} else if !s.awaitReplicas(c) {
			// Not replicated in time: drop the batch's replies and
			// close, so the client sees an unknown outcome rather than
			// an acknowledgement the replicas never backed.
			c.reply.Reset()
			c.pc.Drop()
			c.closeConn()
			return
		}
	}
	if c.replyOff || c.replySkip {
		c.reply.KeepPushes() // CLIENT REPLY OFF or SKIP: only pushes are sent
	}
	c.replySkip, c.skipNext = c.skipNext, false
	c.noteReplyBuffer(c.reply.Len())
	if b, o := c.reply.Bytes(), c.ev.Outbox(); o != nil {
		// Subscribed or tracking (or was): output goes through the outbox (package events).
		c.flushStats()
		o.Append(b)
		c.reply.Reset()
	} else if len(b) > 0 {
		c.pc.Queue(b)
		c.reply.Reset()
	}
	if c.closeAfterReply {
		c.closing = true
		if o := c.ev.Outbox(); o != nil {
			o.CloseAfterWrite() // the writer closes once the reply is out
			return
		}
		c.closeNow = true
	}
}

// dispatch runs one command from the client: look it up, check arity and
// authentication, queue it inside MULTI, refuse it above maxmemory
// (outOfMemory: reclaim, asked once by the caller, found no room), then run
// it.
func (s *Server) dispatch(c *Client, args [][]byte, outOfMemory bool) {
	if len(args) == 0 {
		return
	}
	if c.route != nil && len(c.route.ahead) > 0 && s.takeAhead(c, args) {
		return // already run remotely as part of a forwarded batch (route.go)
	}
	c.pendProcessed++ // flushStats (clock.go)
	e := c.lastTop
	if e == nil || !resp.EqualFold(args[0], e.Name) {
		e = s.table.Lookup(args[0], &c.nameBuf)
		c.lastTop = e
	}
	if e == nil {
		c.lastCmd.Store(nil) // CLIENT LIST cmd=NULL, as Redis's lookup
		c.reply.Error(commands.UnknownCommandError(args))
		c.flagMulti()
		return
	}
	if e.Subs != nil && len(args) >= 2 {
		sub := e.LookupSub(args[1], &c.subBuf)
		if sub == nil {
			c.lastCmd.Store(nil)
			c.reply.Error(fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.", sanitize(args[1]), strings.ToUpper(e.Name)))
			c.flagMulti()
			return
		}
		e = sub
	}
	// CLIENT LIST's cmd= is the command looked up last, refused or queued
	// too; EXEC's queued commands and a script's do not change it.
	if c.lastCmd.Load() != e {
		c.lastCmd.Store(e)
	}
	if (e.Arity > 0 && len(args) != e.Arity) || (e.Arity < 0 && len(args) < -e.Arity) {
		s.reject(c, e, args, "ERR wrong number of arguments for '"+e.Name+"' command")
		return
	}
	if s.lim.authRequired.Load() && !c.authenticated && e.Flags&FlagNoAuth == 0 {
		s.reject(c, e, args, errNoAuth)
		return
	}
	if e.Flags&FlagProtected != 0 {
		if container, _, _ := strings.Cut(e.Name, "|"); !s.protectedAllowed(c, container) {
			s.reject(c, e, args, debugcmd.Refusal(container)) // debugcmd.go
			return
		}
	}
	if c.ev.InPubSub() && e.Flags&FlagSubscribedOK == 0 && !c.RESP3() {
		s.reject(c, e, args, events.SubscribedContextError(e.Name))
		return
	}
	if s.scripts.Busy() && e.Flags&FlagAllowBusy == 0 {
		s.reject(c, e, args, s.scripts.BusyError()) // a script runs past busy-reply-threshold (server/scripts)
		return
	}
	if e.Flags&(FlagWrite|FlagReadOnly|FlagMayReplicate) != 0 && c.ev.Monitor() {
		s.reject(c, e, args, events.ErrMonitorKeyspace) // a monitor is a replica to Redis
		return
	}
	if c.multi && !e.RunsInMulti {
		if e.Flags&FlagNoMulti != 0 {
			s.reject(c, e, args, errNotInMulti)
			return
		}
		if outOfMemory && e.Flags&FlagDenyOOM != 0 {
			s.reject(c, e, args, errOOM)
			return
		}
		c.queue = append(c.queue, queuedCmd{e: e, args: args})
		c.queued.Store(int32(len(c.queue)))
		c.multiMem.Add(clientinfo.QueuedMem(args))
		c.reply.Status("QUEUED")
		return
	}
	if c.noWait && c.route != nil && c.route.forwarded && !c.runsForwarded(e) {
		c.decline()
		return
	}
	if outOfMemory && e.Flags&FlagDenyOOM != 0 {
		s.reject(c, e, args, errOOM)
		return
	}
	if e.Flags&FlagBlocking != 0 {
		s.runBlocking(c, e, args)
		c.clock.Stale() // it may have waited after its last stamp
		return
	}
	s.run(c, e, args)
}

// reclaim makes room under maxmemory; false means a write must be refused.
// It is asked once before every command, as Redis's processCommand
// calls performEvictions, so that a read evicts too; only a command that
// may grow memory (FlagDenyOOM) is refused when nothing more can go.
func (s *Server) reclaim() bool {
	if s.lim.maxMemory.Load() == 0 {
		return true
	}
	return s.store.Reclaim() == nil
}

// reject answers a command refused before it ran and, inside MULTI, dooms
// the transaction; a refused EXEC (FlagEndsMulti) ends it, with the
// refusal as the reason, and is shown to the monitors, which saw MULTI,
// as Redis's rejectCommand and execCommandAbort do.
func (s *Server) reject(c *Client, e *entry, args [][]byte, msg string) {
	e.Stats.Rejected.Add(1)
	if e.Flags&FlagEndsMulti != 0 {
		// The reason is the error as Redis builds it: a code of its own
		// (BUSY, NOAUTH) stays, the ERR that addReplyError prefixes to a
		// message without one does not.
		c.discardMulti()
		c.reply.Error(execAbort(strings.TrimPrefix(strings.TrimPrefix(msg, "-"), "ERR ")))
		if s.events.Monitored() && e.Flags&FlagAdmin == 0 {
			s.feedMonitor(c, c.topFrame(), args)
		}
		return
	}
	c.reply.Error(msg)
	c.flagMulti()
}

// execAbort is EXEC's answer when it discards the transaction for reason
// (Redis's execCommandAbort).
func execAbort(reason string) string {
	return "EXECABORT Transaction discarded because of: " + reason
}

// flagMulti marks the open transaction as failed (EXEC will answer EXECABORT).
func (c *Client) flagMulti() {
	if c.multi {
		c.multiErr = true
	}
}

// run executes one command outside MULTI: lock the slots of its keys (as
// its key specs find them, movable keys included), run the handler,
// release the slots.
func (s *Server) run(c *Client, e *entry, args [][]byte) {
	var tx *store.Tx
	c.slotArgs = nil
	if c.keyPos = e.Keys(args, c.keyPos); len(c.keyPos) > 0 && e.Flags&FlagLocal != 0 {
		if !s.standalone && !events.OneSlot(args, c.keyPos) {
			c.reply.Error(errCrossSlot)
			return
		}
	} else if len(c.keyPos) > 0 {
		slot := ring.KeySlot(args[c.keyPos[0]])
		single := true
		c.slots = append(c.slots[:0], slot)
		for _, i := range c.keyPos[1:] {
			sl := ring.KeySlot(args[i])
			c.slots = append(c.slots, sl)
			single = single && sl == slot
		}
		c.slotArgs = args
		for {
			// Cluster routing (route.go): a command whose slots this node
			// does not lead is forwarded, split, or answered with
			// -MOVED/-CROSSSLOT.
			local := false
			if !s.standalone {
				var handled bool
				if handled, local = s.routeAway(c, e, args, single); handled {
					if c.ranAway { // forwarded or split: it ran (monitor.go)
						c.ranAway = false
						s.feedRan(c, e, args)
					}
					return
				}
			}
			if c.noWait {
				if tx = s.tryLock(c); tx == nil {
					return
				}
			} else if single {
				tx = s.lockFor(c, slot) // a parked client may be owed the slot (blocking.go)
			} else {
				tx = s.store.LockSlots(c.slots)
			}
			tx.Hint(args[c.keyPos[0]], slot)
			if !s.movedWhileLocking(c, local) {
				break
			}
			tx.Close()      // nothing ran: route again, to the new primary
			c.clock.Stale() // after a wait: the store reads the clock
		}
	}
	s.call(c, e, args, tx, true)
}

// call runs e's handler with tx (closing tx afterwards when closeTx is set),
// recovers a panic into an error reply, and records stats and the slow log.
func (s *Server) call(c *Client, e *entry, args [][]byte, tx *store.Tx, closeTx bool) {
	s.callIn(c, c.topFrame(), e, args, tx, closeTx)
}

// callIn is call in frame f: the client's own (call) or a script's
// command (server/scripts), which has its own Call and reply so that the
// script's command does not clobber the client's.
func (s *Server) callIn(c *Client, f frame, e *entry, args [][]byte, tx *store.Tx, closeTx bool) {
	var start time.Time // a script's command's; the client's own are on c.clock
	if f.script {
		start = time.Now()
	} else {
		c.cmdBegin()
	}
	mark := f.reply.Len()
	if e.Flags&(FlagWrite|FlagReadOnly) == 0 {
		c.flushStats() // it may read the counters (INFO ...)
	}
	if c.ev.Tracking() {
		s.events.BeforeCall(&c.ev, e, e.Flags, args) // client-side caching (package events)
	}
	// MONITOR (monitor.go): skip_monitor commands are shown before they
	// run, the others after, admin commands never, as Redis's call().
	mon := s.events.Monitored() && e.Flags&FlagAdmin == 0
	if mon && e.Flags&FlagSkipMonitor != 0 {
		s.feedMonitor(c, f, args)
	}
	s.invoke(c, f, e, args, tx, closeTx, mark, s.events.TrackingActive())
	if mon && e.Flags&FlagSkipMonitor == 0 {
		s.feedMonitor(c, f, args)
	}
	c.argsFree = s.argsTransient(c, f, e)
	if len(c.redacted) > 0 {
		c.redacted = c.redacted[:0]
	}
	if e.Flags&FlagWrite != 0 && !s.standalone {
		s.events.NewLeader(&c.ev, e, args)
	}
	s.events.AfterCommand(&c.ev, f.script || c.execing)
	if e.Flags&(FlagWrite|FlagNotKeyspace) == FlagWrite && !s.standalone {
		s.noteWrite(c, e, args) // replicas acknowledge it before the reply leaves
	}
	var dur time.Duration
	if f.script {
		dur = time.Since(start)
	} else {
		dur = c.cmdEnd()
	}
	if f.call.Blocked != nil && !f.script {
		// The client parks (blocking.go): the call counts once, when it
		// is answered (Redis's updateStatsOnUnblock), not per run.
		return
	}
	c.pendCalls.Record(&e.Stats, int64(dur/time.Microsecond)) // published by flushStats
	if f.reply.Len() > mark && f.reply.Bytes()[mark] == '-' {
		e.Stats.Failed.Add(1)
	}
	if limit := s.lim.slowerThan.Load(); limit >= 0 && int64(dur/time.Microsecond) >= limit && !e.SkipSlowlog() {
		if maxLen := int(s.lim.slowlogMaxLen.Load()); maxLen > 0 {
			if !f.script {
				start = c.clock.StartTime()
			}
			s.slowlog.Add(args, start, dur, c.addr, c.Name(), maxLen)
		}
	}
	if over := s.lim.latencyOver.Load(); over > 0 && dur.Milliseconds() >= over {
		end := start.Add(dur)
		if !f.script {
			end = c.clock.EndTime()
		}
		s.noteLatency(e, dur, end) // latencycmd.go
	}
}

// argsTransient reports whether the command that just ran in frame f
// holds none of its arguments now: the table says its handler keeps none
// (FlagArgsTransient), it ran as the client's own command (not a script's,
// whose arguments are the script's) and did not park, the client has no
// outbox (pub/sub, tracking), and nothing that takes keys or arguments
// (MONITOR, tracking, keyspace notifications) is on. The last callIn of a
// top-level command decides (EXEC's own, after its queued commands').
func (s *Server) argsTransient(c *Client, f frame, e *entry) bool {
	return e.Flags&FlagArgsTransient != 0 && !f.script && f.call.Blocked == nil &&
		c.ev.Outbox() == nil && !c.ev.Tracking() && s.events.ArgsFree()
}

// invoke runs the handler; a panic is logged with its stack and answered
// with an error in place of whatever the handler had written. The slots
// are released in any case.
func (s *Server) invoke(c *Client, f frame, e *entry, args [][]byte, tx *store.Tx, closeTx bool, mark int, tracking bool) {
	defer func() {
		r := recover()
		if tracking {
			s.events.AfterCall(&c.ev, e, args) // the slots are still held
		}
		if closeTx && tx != nil {
			s.closeTx(tx, e)
		}
		if r != nil {
			s.stats.unexpectedErrors.Add(1)
			s.log.Error("command panicked", "cmd", e.Name, "client", c.ID, "addr", c.addr, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			f.reply.Truncate(mark)
			f.reply.Error(fmt.Sprintf(errInternalFormat, e.Name))
		}
	}()
	if w := e.Flags&FlagWrite != 0; tx != nil && w && s.events.Wants(notify.KeyMiss) {
		tx.StartCommand(true, e.ReadOnlyKeys(args)...) // a write's misses are no keymiss, but its RO keys'
	} else if tx != nil {
		tx.StartCommand(w)
	}
	if cl := f.call; cl.Conn == f.fe && cl.Reply == f.reply && f.fe.Client == c && f.fe.Call == cl {
		// The frame's call is set up from an earlier command: only what
		// changes is written (no handler assigns the other fields).
		cl.Args, cl.Tx, cl.Blocked, cl.Cmd = args, tx, nil, e.Command
	} else {
		*f.call = commands.Call{Args: args, Tx: tx, Reply: f.reply, Store: s.store, Locks: s.locks, Host: s, Conn: f.fe, Cmd: e.Command, Events: s.events}
		*f.fe = Call{Call: f.call, Client: c, Server: s, Script: f.script} // a frame is a script's or a client's for good
	}
	e.Handler(f.call)
	if b := f.call.Blocked; b != nil {
		if f.script {
			// A script never blocks: the command answers as if its
			// timeout had passed, as Redis's CLIENT_DENY_BLOCKING.
			f.call.Blocked = nil
			blocking.ReplyTimeout(f.reply, b.NullArray)
			return
		}
		s.park(c, args, tx, b) // the slots are still held: see blocking.go
	} else if w := c.block.Waiter; w != nil && !f.script {
		if tx != nil && blocking.IsWrongTypeReply(f.reply.Bytes()[mark:]) && blocking.KeyChangedType(tx, e.Command, args) {
			c.block.TypeChanged = true // a parked client waits on (blocking.Run)
			return
		}
		// A parked client served: out of the queue before its slots are
		// released, so the turn passes to the client behind it
		// (blocking.Turns.Release).
		s.blocked.Remove(w)
	}
}

// closeTx releases a Tx; a panic in the store while closing is logged, not fatal.
func (s *Server) closeTx(tx *store.Tx, e *entry) {
	defer func() {
		if r := recover(); r != nil {
			s.stats.unexpectedErrors.Add(1)
			s.log.Error("closing transaction panicked", "cmd", e.Name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	tx.Close()
}

// sanitize makes client text safe inside an error line (resp.OneLine).
func sanitize(b []byte) string { return resp.OneLine(b) }
