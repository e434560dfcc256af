package server

import (
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/route"
	"github.com/meshcache/meshcache/store"
)

const txFlags = FlagNoScript | FlagLoading | FlagStale

func transactionCommands() []*Command {
	return []*Command{
		{Name: "multi", Arity: 1, Flags: FlagFast | FlagAllowBusy | txFlags | FlagRunsInMulti, ACL: commands.ACLTransaction,
			Group: "transactions", Since: "1.2.0",
			Summary: "Starts a transaction.", Handler: fe(multiCommand)},
		{Name: "exec", Arity: 1, Flags: txFlags | FlagSkipSlowlog | FlagRunsInMulti | FlagEndsMulti, ACL: commands.ACLTransaction,
			Group: "transactions", Since: "1.2.0",
			Summary: "Executes all commands in a transaction.", Handler: fe(execCommand)},
		{Name: "discard", Arity: 1, Flags: FlagFast | FlagAllowBusy | txFlags | FlagRunsInMulti, ACL: commands.ACLTransaction,
			Group: "transactions", Since: "2.0.0",
			Summary: "Discards a transaction.", Handler: fe(discardCommand)},
		{Name: "watch", Arity: -2, Flags: FlagFast | FlagAllowBusy | txFlags | FlagRunsInMulti | FlagWatchesKeys, ACL: commands.ACLTransaction, Keys: []commands.KeySpec{commands.Range(commands.RO, 1, -1, 1)},
			Group: "transactions", Since: "2.2.0",
			Summary: "Monitors changes to keys to determine the execution of a transaction.", Handler: fe(watchCommand)},
		{Name: "unwatch", Arity: 1, Flags: FlagFast | FlagAllowBusy | txFlags, ACL: commands.ACLTransaction,
			Group: "transactions", Since: "2.2.0",
			Summary: "Forgets about watched keys of a transaction.", Handler: fe(func(c *Call) { c.Client.unwatch(); c.Reply.OK() })},
	}
}

func multiCommand(c *Call) {
	if c.Client.multi {
		c.Reply.Error("ERR MULTI calls can not be nested")
		return
	}
	c.Client.multi = true
	c.Client.inMulti.Store(true)
	c.Reply.OK()
}

func discardCommand(c *Call) {
	if !c.Client.multi {
		c.Reply.Error("ERR DISCARD without MULTI")
		return
	}
	c.Client.discardMulti()
	c.Reply.OK()
}

// watchCommand watches keys for the next EXEC, under the locks of their
// slots (c.Tx), so a concurrent write is either before the watch or seen by it.
func watchCommand(c *Call) {
	cl := c.Client
	if cl.multi {
		c.Reply.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	if cl.watcher == nil {
		cl.watcher = c.Store.NewWatcher()
	}
	for _, key := range c.Args[1:] {
		if err := c.Tx.Watch(cl.watcher, key); err != nil {
			c.Reply.Error(err.Error())
			return
		}
		cl.watchSlots = append(cl.watchSlots, ring.KeySlot(key))
	}
	c.Reply.OK()
}

// execCommand runs the queued commands atomically: it locks the slots of
// every queued command and of the watched keys at once, checks the watched
// keys, and runs the commands under that one Tx. A keyless command that
// reads or writes the whole keyspace (DBSIZE, FLUSHALL, SCAN ...) cannot run
// under slot locks (it takes them itself), so the Tx is released around it:
// such a transaction is atomic in the stretches between those commands.
func execCommand(c *Call) {
	cl, s := c.Client, c.Server
	if !cl.multi {
		c.Reply.Error("ERR EXEC without MULTI")
		return
	}
	if cl.multiErr {
		cl.discardMulti()
		c.Reply.Error(errExecAbort)
		return
	}
	queue := cl.queue
	for _, q := range queue {
		if q.e.Flags&FlagDenyOOM != 0 && !s.reclaim() {
			cl.discardMulti()
			c.Reply.Error(execAbort(errOOM))
			return
		}
	}
	// In a cluster the transaction runs where its one slot is led (route.go).
	if !s.standalone && s.routeExec(c) {
		return
	}
	// Leave MULTI before running, so the queued commands run as commands.
	cl.multi = false
	cl.inMulti.Store(false)
	cl.queued.Store(0)

	// The first stretch also holds the watched keys' slots, so that no
	// write can slip in between the dirty check and the commands.
	local := !s.standalone && s.allLocal(cl)
	tx := s.lockStretch(cl, queue, cl.watchSlots)
	if s.movedWhileLocking(cl, local) {
		// A handoff moved the transaction's slot while EXEC waited for
		// its lock: nothing ran; the client retries against the new primary.
		if tx != nil {
			s.closeTx(tx, s.table.LookupName("exec"))
		}
		cl.discardMulti()
		c.Reply.Error(route.ErrSlotMoving)
		return
	}
	if cl.watchBroken || cl.watcher != nil && cl.watcher.Dirty() {
		if tx != nil {
			s.closeTx(tx, s.table.LookupName("exec"))
		}
		cl.discardMulti()
		c.Reply.NullArray()
		return
	}
	c.Reply.Array(len(queue))
	cl.execing = true
	defer func() { cl.execing = false }()
	for i, q := range queue {
		if q.e.Keyspace {
			if tx != nil {
				s.closeTx(tx, q.e)
			}
			s.call(cl, q.e, q.args, nil, false)
			tx = s.lockStretch(cl, queue[i+1:], nil)
			continue
		}
		var cmdTx *store.Tx
		if cl.keyPos = q.e.Keys(q.args, cl.keyPos); len(cl.keyPos) > 0 {
			cmdTx = tx // its keys' slots are in the stretch's Tx
		}
		s.call(cl, q.e, q.args, cmdTx, false)
	}
	if tx != nil {
		s.closeTx(tx, s.table.LookupName("exec"))
	}
	cl.discardMulti()
}

// lockStretch locks the slots of the queued commands up to the first
// keyspace-wide one, plus extra, and returns the Tx (nil when there are no slots).
func (s *Server) lockStretch(cl *Client, queue []queuedCmd, extra []uint16) *store.Tx {
	cl.slots = append(cl.slots[:0], extra...)
	for _, q := range queue {
		if q.e.Keyspace {
			break
		}
		cl.keyPos = q.e.Keys(q.args, cl.keyPos)
		for _, i := range cl.keyPos {
			cl.slots = append(cl.slots, ring.KeySlot(q.args[i]))
		}
	}
	if len(cl.slots) == 0 {
		return nil
	}
	return s.store.LockSlots(cl.slots)
}
