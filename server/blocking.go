package server

import (
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/store"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN ...): the front end that
// parks, wakes and serves their clients. How it works and what holds
// (first blocked, first served across nodes and chunks; parked clients
// served before the next command; a forwarded client that leaves takes
// nothing) is told in package blocking's doc (server/blocking/doc.go);
// the chunks' marker and cancel are in blocking_remote.go.

// blockRecheck is how often a parked client runs its command again
// without a change of its keys (package blocking's doc).
const blockRecheck = time.Second

// blockChunkNS bounds the timeout of a blocking command forwarded to
// another node, in ns (2 s; tests shorten it).
var blockChunkNS atomic.Int64

func init() { blockChunkNS.Store(int64(2 * time.Second)) }

// blockChunk is blockChunkNS's duration.
func blockChunk() time.Duration { return time.Duration(blockChunkNS.Load()) }

const errUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

// queueBehind is called before a blocking command first runs: when
// clients already wait on the keys it pops from, it queues the client
// behind them, watching its keys, and reports true: the command runs when
// the client's turn comes, not at once. Otherwise a client arriving right
// after a push (the pushing client's own pipelined BLPOP, say) would take
// the element that Redis, which serves the parked clients before the next
// command, gives to the first of them. The replies before the command are
// flushed before the client is queued (flushBeforeWait; open false: the
// connection was closed), so that a queued client never blocks on its
// connection before it waits (a turn may be owed to it: Turns).
func (s *Server) queueBehind(c *Client, e *entry, args [][]byte) (behind, open bool) {
	if s.blocked.Len() == 0 {
		return false, true
	}
	c.keyPos = e.keys(args, c.keyPos)
	keys := blocking.PopKeys(e.Command, args, c.keyPos)
	if len(keys) == 0 || !s.blocked.Waiting(keys) {
		return false, true
	}
	bs := &c.block
	bs.waiter, bs.watcher = s.newWaiter(c, keys), s.store.NewNotifyingWatcher()
	for _, k := range keys {
		s.store.Watch(bs.watcher, []byte(k))
	}
	if !s.flushBeforeWait(c) {
		return false, false
	}
	s.blocked.Add(bs.waiter) // a cancelled Ref is refused: runBlocking answers before it runs
	return true, true
}

// newWaiter returns c's waiter on keys: in its place since it first
// blocked (on its own node, for a forwarded chunk: blockState.ref).
func (s *Server) newWaiter(c *Client, keys []string) *blocking.Waiter {
	w := blocking.NewWaiter(c.ID, c.block.order, keys)
	w.Ref = c.block.ref
	w.Token = s.waiterTokens.Add(1)
	w.Want = int(store.TypeList)
	if e := c.lastCmd.Load(); e != nil && e.Group == "sorted-set" {
		w.Want = int(store.TypeZSet)
	}
	for i, k := range keys {
		sl := int32(ring.KeySlot([]byte(k)))
		if i == 0 {
			w.Slot = sl
		} else if sl != w.Slot {
			w.Slot = -1
			break
		}
	}
	return w
}

// releaseTurn hands on the turn owed to w, which leaves without taking it
// (timed out, unblocked, gone) or was routed away: its slot is taken with
// w's token and released, so the release hook (blocking.Turns.Release)
// owes it anew, not to w (out of the queue, or not waiting).
func (s *Server) releaseTurn(w *blocking.Waiter) {
	if w.Owed() && w.Slot >= 0 {
		s.store.LockFor(uint16(w.Slot), w.Token).Close()
	}
}

// lockFor locks slot for c: with its waiter's token while c is parked, so
// that it gets a slot owed to it (store/gate.go).
func (s *Server) lockFor(c *Client, slot uint16) *store.Tx {
	if w := c.block.waiter; w != nil {
		return s.store.LockFor(slot, w.Token)
	}
	return s.store.Lock(slot)
}

// park is called by invoke when a handler asked to block, with the slots
// of the command's keys still held by tx: it registers the client's
// watcher on each key, so that no change is missed before the client
// waits. A client that cannot wait (inside MULTI or EXEC, or a command
// without keys) gets the timeout reply at once, as Redis answers.
func (s *Server) park(c *Client, args [][]byte, tx *store.Tx, b *commands.Block) {
	if !c.block.parking || tx == nil {
		c.call.Blocked = nil
		s.replyTimeout(c, b)
		return
	}
	w := c.block.waiter
	if w == nil {
		var cmd *commands.Command
		if e := c.lastCmd.Load(); e != nil {
			cmd = e.Command
		}
		w = s.newWaiter(c, blocking.PopKeys(cmd, args, c.keyPos))
		c.block.waiter, c.block.watcher = w, s.store.NewNotifyingWatcher()
	}
	for _, k := range w.Keys {
		if err := tx.Watch(c.block.watcher, []byte(k)); err != nil {
			s.log.Error("watch a blocked key", "key", k, "err", err)
		}
	}
}

// replyTimeout writes a blocking command's timeout reply.
func (s *Server) replyTimeout(c *Client, b *commands.Block) {
	blocking.ReplyTimeout(&c.reply, b.NullArray)
}

// blockState is a connection's state while it runs a blocking command
// (runBlocking); owned by the connection's goroutine.
type blockState struct {
	parking  bool             // the command may park (runBlocking is running it)
	waiter   *blocking.Waiter // set by park on the first wait, with watcher
	watcher  *store.Watcher   // notifies changes of the waiter's keys
	arg      int              // position of the timeout argument, 0 if unknown
	deadline int64            // the client's deadline, unix ms; 0 = none
	// order is when the client first blocked (unix ns): its place in the
	// queues, here and, carried by the chunks' marker, on the primary.
	order int64
	// ref names the client of another node whose chunk this internal
	// client runs (zero for a local client); lastChunk: that chunk ends at
	// its client's deadline, so no other follows.
	ref       blocking.Ref
	lastChunk bool
	// timedOut: the command answered its timeout reply at its deadline (a
	// chunk's end, for a forwarded chunk: its place is reserved).
	timedOut bool
	// gone is closed when the peer leaves (resp.Conn.AwaitClose, started
	// by watchGone); stopGone ends the watch.
	gone     <-chan struct{}
	stopGone func()
	// proxy stands for the client in this node's queue while its command
	// is forwarded, so that CLIENT UNBLOCK finds it (watchChunk); owner is
	// the node its last chunk went to.
	proxy *blocking.Waiter
	owner ring.NodeID
	// forwarded: the last run forwarded the command (route.go), with its
	// timeout cut by forwardTimeoutArg; lastSent: that chunk's timeout
	// was the client's whole remaining time.
	forwarded bool
	lastSent  bool
	// fed: the monitors were shown the command (monitor.go), on its
	// first run.
	fed bool
	// typeChanged: the last run answered WRONGTYPE while a key it pops
	// from held another type (invoke looked, under the run's Tx).
	typeChanged bool
}

// runBlocking runs a blocking command for a client that may wait: it runs
// the command and, while the handler asks to block, parks the client until
// it is served, times out, is unblocked or goes away (see the top of this
// file). A run that forwarded the command and got the timeout reply of a
// chunk before the client's deadline runs again.
func (s *Server) runBlocking(c *Client, e *entry, args [][]byte) {
	bs := &c.block
	*bs = blockState{parking: true, order: time.Now().UnixNano()}
	if rs := c.route; rs != nil && rs.forwarded && rs.blockRef != (blocking.Ref{}) {
		// A chunk of another node's client (its marker, executor.go): in
		// the place where that client first blocked.
		bs.ref, bs.lastChunk, bs.order = rs.blockRef, rs.blockLast, rs.blockRef.Order
		rs.blockRef, rs.blockLast = blocking.Ref{}, false
	}
	pos := e.TimeoutArg
	if pos < 0 {
		pos += len(args)
	}
	if pos > 0 && pos < len(args) {
		if d, bad := commands.ParseTimeout(args[pos], time.Now().UnixMilli()); bad == "" {
			bs.arg, bs.deadline = pos, d
		}
	}
	var (
		timer *time.Timer
		first *commands.Block // the first run's request to block
	)
	defer func() {
		if bs.stopGone != nil {
			bs.stopGone()
		}
		if bs.proxy != nil {
			s.blocked.Untrack(bs.proxy)
		}
		if timer != nil {
			timer.Stop()
		}
		c.blockedNow.Store(false)
		c.argvMem.Store(0)
		if w := bs.waiter; w != nil {
			if bs.timedOut && bs.ref != (blocking.Ref{}) && !bs.lastChunk {
				s.blocked.ReserveFor(w, reserveGrace) // the client's next chunk takes its place back
			} else {
				s.blocked.Remove(w)
			}
			s.releaseTurn(w)
			s.store.Unwatch(bs.watcher)
		}
		*bs = blockState{}
	}()
	behind, open := s.queueBehind(c, e, args)
	if !open {
		return
	}
	for {
		if bs.ref != (blocking.Ref{}) {
			if r := s.blocked.Cancelled(bs.ref); r != blocking.None {
				replyCancelled(c, e, r) // its node cancelled it (watchChunk): take nothing
				return
			}
		}
		if behind {
			// Wait for this client's turn (or its deadline, a recheck,
			// CLIENT UNBLOCK, the peer leaving), then run the command:
			// the runs below answer or wait on as for any client.
			behind = false
			c.blockedNow.Store(true)
			wait := blockRecheck
			if bs.deadline > 0 {
				wait = max(min(wait, time.Until(time.UnixMilli(bs.deadline))), 0)
			}
			timer = time.NewTimer(wait)
			if !s.myTurn(bs.waiter) {
				reason, closed := s.awaitTurn(c, bs.waiter, bs.watcher, c.watchGone(), timer)
				if closed {
					return
				}
				if reason == blocking.Gone {
					replyCancelled(c, e, reason) // to nobody: the client left its node
					return
				}
			}
		}
		mark := c.reply.Len()
		c.call.Blocked = nil
		bs.forwarded, bs.typeChanged = false, false
		s.run(c, e, args)
		if w := bs.waiter; w != nil && w.Owed() {
			s.releaseTurn(w) // routed away (the slot moved): the turn passes on here
		}
		if bs.forwarded {
			select {
			case <-c.watchGone(): // the primary is told to drop the chunk (watchChunk) or its place
				s.cancelChunks(c, blocking.Gone)
				c.closeConn()
				return
			default:
			}
			if bs.proxy != nil && bs.proxy.Reason() != blocking.None {
				s.cancelChunks(c, bs.proxy.Reason()) // its place on the primary, if the chunk had ended
				// CLIENT UNBLOCK: the primary answered the chunk for it,
				// unless the chunk had ended (a timeout reply).
				if bs.proxy.Reason() == blocking.Error && blocking.IsTimeoutReply(c.reply.Bytes()[mark:]) {
					c.reply.Truncate(mark)
					c.reply.Error(errUnblocked)
				}
				return
			}
			if !blocking.IsTimeoutReply(c.reply.Bytes()[mark:]) || bs.lastSent || (bs.deadline > 0 && time.Now().UnixMilli() >= bs.deadline) {
				return
			}
			c.reply.Truncate(mark) // one chunk ended: wait on
			continue
		}
		b := c.call.Blocked
		if b == nil && first != nil && bs.typeChanged {
			// Woken, but a key it waits on now holds another type (a
			// transaction pushed, deleted and SET it): Redis serves a
			// parked client only from a key of the type it pops, so it
			// waits on. (A WRONGTYPE from BLMOVE's destination, with the
			// source a list, is the answer: the move was tried.)
			c.reply.Truncate(mark)
			b = first
		}
		if b == nil {
			return // answered
		}
		c.call.Blocked = nil
		// The handler computes its deadline from the clock at each run:
		// the client's holds, parsed when the command arrived (or, for a
		// command whose timeout the table does not locate, the first
		// run's), so that neither reruns nor forwarded chunks extend it.
		if first == nil {
			first = b
			if bs.arg != 0 {
				first = &commands.Block{Deadline: bs.deadline, NullArray: b.NullArray}
			}
		}
		b = first
		w := bs.waiter
		if w == nil { // the handler blocked without keys: nothing to wait on
			s.replyTimeout(c, b)
			s.countAnswered(c, e, mark)
			return
		}
		// The replies before it go out first, then it is queued: from
		// then on it does not block before it waits (a turn may be owed
		// to it: Turns).
		if !s.flushBeforeWait(c) {
			return
		}
		if !s.blocked.Add(w) { // a cancelled Ref: its node cancelled it
			replyCancelled(c, e, s.blocked.Cancelled(bs.ref))
			return
		}
		c.blockedNow.Store(true)
		c.argvMem.Store(clientinfo.ArgvMem(args))
		if s.answerUnblocked(c, e, b, w.Reason(), mark) { // asked while it waited its turn (queueBehind)
			return
		}
		wait := blockRecheck
		if b.Deadline > 0 {
			left := time.Until(time.UnixMilli(b.Deadline))
			if left <= 0 {
				bs.timedOut = true
				s.replyTimeout(c, b)
				s.countAnswered(c, e, mark)
				return
			}
			wait = min(wait, left)
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		reason, closed := s.awaitTurn(c, w, bs.watcher, c.watchGone(), timer)
		if closed || s.answerUnblocked(c, e, b, reason, mark) {
			return
		}
	}
}

// awaitTurn is Queue.Await for a parked client: the peer going away
// closes the connection (closed true).
func (s *Server) awaitTurn(c *Client, w *blocking.Waiter, watcher *store.Watcher, gone <-chan struct{}, timer *time.Timer) (reason blocking.Reason, closed bool) {
	reason, closed = s.blocked.Await(w, watcher.Notify(), gone, timer.C, s.holdsValueFor(w))
	if closed {
		c.closeConn()
	}
	return reason, closed
}

// myTurn is Queue.Turn over this node's store.
func (s *Server) myTurn(w *blocking.Waiter) bool { return s.blocked.Turn(w, s.holdsValueFor(w)) }

// holdsValueFor returns whether a key holds a value of the type waiter w
// pops on this node, as w looks (with its token: a slot owed to it is its
// to look at). Turns.Release decides with the same test, so a waiter owed a
// turn finds it is its Turn.
func (s *Server) holdsValueFor(w *blocking.Waiter) func(k string) bool {
	return func(k string) bool {
		key := []byte(k)
		tx := s.store.LockFor(ring.KeySlot(key), w.Token)
		typ, err := tx.Type(key)
		tx.Close()
		return err == nil && int(typ) == w.Want
	}
}

// answerUnblocked answers a parked call that CLIENT UNBLOCK stopped
// (reason Timeout or Error) and reports true; for None it does nothing.
func (s *Server) answerUnblocked(c *Client, e *entry, b *commands.Block, reason blocking.Reason, mark int) bool {
	switch reason {
	case blocking.Timeout, blocking.Gone: // Gone: to nobody, the client left its node
		s.replyTimeout(c, b)
	case blocking.Error:
		c.reply.Error(errUnblocked)
	default:
		return false
	}
	s.countAnswered(c, e, mark)
	return true
}

// countAnswered counts in e's command stats a parked call answered without
// another run (its timeout, CLIENT UNBLOCK), whose reply starts at mark:
// the runs that parked it counted nothing (callIn), so it counts once, as
// Redis's updateStatsOnUnblock.
func (s *Server) countAnswered(c *Client, e *entry, mark int) {
	e.stats.Record(0)
	if r := c.reply.Bytes(); len(r) > mark && r[mark] == '-' {
		e.stats.Failed.Add(1)
	}
}

// flushBeforeWait sends the replies of the commands pipelined before the
// blocking one before its client waits, as Redis does: a client that
// pipelines LPUSH and BLPOP reads the LPUSH's reply while its BLPOP waits.
// Writes among them wait for their replicas first, as at the end of a
// batch (handle); when that fails the connection is closed and
// flushBeforeWait reports false.
func (s *Server) flushBeforeWait(c *Client) bool {
	if c.pc == nil {
		return true // an internal client: its replies go back whole
	}
	if c.repl.pending() && !s.awaitReplicas(c) {
		c.reply.Reset()
		c.pc.Drop()
		c.closeConn()
		return false
	}
	c.flushParked()
	return true
}

// forwardTimeoutArg returns the arguments of a blocking command about to
// be forwarded, with the timeout cut to what is left of the client's, at
// most blockChunk (see the top of this file), and how long the call may
// take. Other commands go as they are, within forwardTimeout.
func (c *Client) forwardTimeoutArg(args [][]byte) ([][]byte, time.Duration) {
	bs := &c.block
	if !bs.parking || bs.arg == 0 {
		return args, forwardTimeout
	}
	cut, d, last := blocking.CutTimeout(args, bs.arg, bs.deadline, time.Now(), blockChunk())
	bs.forwarded, bs.lastSent = true, last
	return cut, d + forwardTimeout
}

// waitedKeyChangedType reports whether a key the command pops from (its
// key specs' Delete keys: not BLMOVE's destination) holds a value of
// another type than e pops (a list, or a sorted set for the sorted-set
// family), as tx, which ran the command, sees it.
func waitedKeyChangedType(tx *store.Tx, e *entry, args [][]byte) bool {
	want := store.TypeList
	if e.Group == "sorted-set" {
		want = store.TypeZSet
	}
	refs, _ := e.GetKeys(args, nil)
	for _, r := range refs {
		if r.Flags&commands.Delete == 0 {
			continue
		}
		typ, err := tx.Type(args[r.Pos])
		if err == nil && typ != store.TypeNone && typ != want {
			return true
		}
	}
	return false
}
