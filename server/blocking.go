package server

import (
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/route"
	"github.com/meshcache/meshcache/store"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN ...): the front end that
// parks, wakes and serves their clients. How it works and what holds
// (first blocked, first served across nodes and chunks; parked clients
// served before the next command; a forwarded client that leaves takes
// nothing) is told in package blocking's doc (server/blocking/doc.go);
// the loop that parks and wakes a client is blocking.Run
// (server/blocking/run.go), through blockFront here (the client as
// blocking.Front); the chunks' marker and cancel are in
// blocking_remote.go.

// blockChunkNS bounds the timeout of a blocking command forwarded to
// another node, in ns (2 s; tests shorten it).
var blockChunkNS atomic.Int64

func init() { blockChunkNS.Store(int64(2 * time.Second)) }

// blockChunk is blockChunkNS's duration.
func blockChunk() time.Duration { return time.Duration(blockChunkNS.Load()) }

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
	c.keyPos = e.Keys(args, c.keyPos)
	keys := blocking.PopKeys(e.Command, args, c.keyPos)
	if len(keys) == 0 || !s.blocked.Waiting(keys) {
		return false, true
	}
	bs := &c.block
	bs.Waiter, bs.Watcher = s.newWaiter(c, keys), s.store.NewNotifyingWatcher()
	for _, k := range keys {
		s.store.Watch(bs.Watcher, []byte(k))
	}
	if !s.flushBeforeWait(c) {
		return false, false
	}
	s.blocked.Add(bs.Waiter) // a cancelled Ref is refused: blocking.Run answers before it runs
	return true, true
}

// newWaiter returns c's waiter on keys: in its place since it first
// blocked (on its own node, for a forwarded chunk: blocking.State.Ref).
func (s *Server) newWaiter(c *Client, keys []string) *blocking.Waiter {
	w := blocking.NewWaiter(c.ID, c.block.Order, keys)
	w.Ref = c.block.Ref
	w.Token = s.waiterTokens.Add(1)
	w.Want = int(store.TypeList)
	if e := c.lastCmd.Load(); e != nil && e.Group == "sorted-set" {
		w.Want = int(store.TypeZSet)
	}
	w.Slot = blocking.KeysSlot(keys)
	return w
}

// lockFor locks slot for c: with its waiter's token while c is parked, so
// that it gets a slot owed to it (store/gate.go).
func (s *Server) lockFor(c *Client, slot uint16) *store.Tx {
	if w := c.block.Waiter; w != nil {
		return s.store.LockFor(slot, w.Token)
	}
	if ms := c.freshMS(); ms != 0 {
		if c.ownTx == nil {
			c.ownTx = s.store.OwnTx()
		}
		return s.store.LockAt(slot, ms, c.ownTx) // the batch's clock (clock.go)
	}
	return s.store.Lock(slot)
}

// park is called by invoke when a handler asked to block, with the slots
// of the command's keys still held by tx: it registers the client's
// watcher on each key, so that no change is missed before the client
// waits. A client that cannot wait (inside MULTI or EXEC, or a command
// without keys) gets the timeout reply at once, as Redis answers.
func (s *Server) park(c *Client, args [][]byte, tx *store.Tx, b *commands.Block) {
	if !c.block.Parking || tx == nil {
		c.call.Blocked = nil
		blocking.ReplyTimeout(&c.reply, b.NullArray)
		return
	}
	w := c.block.Waiter
	if w == nil {
		var cmd *commands.Command
		if e := c.lastCmd.Load(); e != nil {
			cmd = e.Command
		}
		w = s.newWaiter(c, blocking.PopKeys(cmd, args, c.keyPos))
		c.block.Waiter, c.block.Watcher = w, s.store.NewNotifyingWatcher()
	}
	for _, k := range w.Keys {
		if err := tx.Watch(c.block.Watcher, []byte(k)); err != nil {
			s.log.Error("watch a blocked key", "key", k, "err", err)
		}
	}
}

// runBlocking runs a blocking command for a client that may wait
// (blocking.Run: the loop that parks and wakes it, through blockFront).
func (s *Server) runBlocking(c *Client, e *entry, args [][]byte) {
	bs := &c.block
	*bs = blocking.State{Parking: true, Order: time.Now().UnixNano()}
	if rs := c.route; rs != nil && rs.forwarded && rs.blockRef != (blocking.Ref{}) {
		// A chunk of another node's client (its marker, executor.go): in
		// the place where that client first blocked.
		bs.Ref, bs.LastChunk, bs.Order = rs.blockRef, rs.blockLast, rs.blockRef.Order
		rs.blockRef, rs.blockLast = blocking.Ref{}, false
	}
	blocking.Run(blocking.Node{Queue: &s.blocked, Store: s.store}, (*blockFront)(c), bs, blocking.Cmd{
		Args: args, TimeoutArg: e.TimeoutArg, NullArray: e.Name != "blmove" && e.Name != "brpoplpush", Ref: e})
}

// blockFront is client c as the front end's part in the run of its
// blocking command (blocking.Front); the command's Ref is its *entry.
type blockFront Client

var _ blocking.Front = (*blockFront)(nil)

func (bf *blockFront) QueueBehind(cmd blocking.Cmd) (behind, open bool) {
	c := (*Client)(bf)
	return c.srv.queueBehind(c, cmd.Ref.(*entry), cmd.Args)
}

func (bf *blockFront) Exec(cmd blocking.Cmd) {
	c := (*Client)(bf)
	c.call.Blocked = nil
	c.srv.run(c, cmd.Ref.(*entry), cmd.Args)
}

func (bf *blockFront) Blocked() *commands.Block {
	b := bf.call.Blocked
	bf.call.Blocked = nil
	return b
}

func (bf *blockFront) Reply() *resp.Reply    { return &bf.reply }
func (bf *blockFront) Flush() bool           { return bf.srv.flushBeforeWait((*Client)(bf)) }
func (bf *blockFront) Gone() <-chan struct{} { return (*Client)(bf).watchGone() }
func (bf *blockFront) Close()                { (*Client)(bf).closeConn() }
func (bf *blockFront) CancelChunks(reason blocking.Reason) {
	bf.srv.cancelChunks((*Client)(bf), reason)
}

func (bf *blockFront) Mark(parked bool, argvMem int64) {
	bf.blockedNow.Store(parked)
	bf.argvMem.Store(argvMem)
}

func (bf *blockFront) Answered(cmd blocking.Cmd, mark int) {
	e := cmd.Ref.(*entry)
	e.Stats.Record(0)
	if r := bf.reply.Bytes(); len(r) > mark && r[mark] == '-' {
		e.Stats.Failed.Add(1)
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
	if c.repl.Pending() && !s.awaitReplicas(c) {
		c.reply.Reset()
		c.pc.Drop()
		c.closeConn()
		return false
	}
	c.flushStats()
	_ = c.pc.Flush() // a failed write ends the connection at its next read
	return true
}

// forwardTimeoutArg returns the arguments of a blocking command about to
// be forwarded, with the timeout cut to what is left of the client's, at
// most blockChunk (see the top of this file), and how long the call may
// take. Other commands go as they are, within route.ForwardTimeout.
func (c *Client) forwardTimeoutArg(args [][]byte) ([][]byte, time.Duration) {
	bs := &c.block
	if !bs.Parking || bs.Arg == 0 {
		return args, route.ForwardTimeout
	}
	cut, d, last := blocking.CutTimeout(args, bs.Arg, bs.Deadline, time.Now(), blockChunk())
	bs.Forwarded, bs.LastSent = true, last
	return cut, d + route.ForwardTimeout
}
