package server

import (
	"bytes"
	"slices"
	"strconv"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN ...). Their handlers are the
// non-blocking forms; one that finds nothing to serve calls Call.Block and
// writes no reply (commands/blocking.go). The front end then parks the
// client:
//
//   - Still holding the slots of the command's keys, it registers a
//     notifying store.Watcher on each key (invoke), so no write between the
//     handler's look and the wait is missed. Every change of a watched key
//     leaves a token on the watcher's channel.
//   - The client's goroutine waits (runBlocking) for a token, its deadline,
//     CLIENT UNBLOCK, the peer closing the connection (resp.Conn.AwaitClose
//     watches it for the whole command: neither routing nor the handlers
//     read from the connection) or a periodic recheck, then runs the whole
//     command again from routing: served, it replies; empty, it parks again.
//   - First blocked, first served: the server's blocking.Queue lines up the
//     waiters of each key in the order they first blocked. A token wakes every waiter
//     of the key, but only a waiter at the head of one of its keys' queues
//     runs the command again; the others go back to waiting. A waiter that
//     leaves the head (served, timed out, gone) passes a token to the next.
//   - The periodic recheck (blockRecheck) runs the command again even
//     without a change, so a client whose slot moved to another node or
//     failed over is routed anew and keeps waiting there, as a plain client
//     connected to any node expects.
//
// A command forwarded to the slot's primary (Client.forwardTimeoutArg) is
// sent with its timeout cut to blockChunk at most, and sent again while the
// client waits: the primary never holds a waiter whose client may be gone
// for longer than that, and a primary that fails over or hands the slot off
// costs the client one chunk at most. Across chunks a forwarded waiter
// queues again at the tail, so first-blocked-first-served holds across
// nodes only within a chunk.

const (
	// blockRecheck is how often a parked client runs its command again
	// without a change of its keys (see above).
	blockRecheck = time.Second
	// blockChunk bounds the timeout of a blocking command forwarded to
	// another node.
	blockChunk = 2 * time.Second
)

const errUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

// blockedKeys returns the distinct keys the command pops from (its key
// specs' Delete keys: BLMOVE's destination is not waited on, so that a
// client is first in line only for its sources), or, when the specs do
// not say, the keys of the command being run (c.keyPos).
func blockedKeys(c *Client, args [][]byte) []string {
	var keys []string
	add := func(k string) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if e := c.lastCmd.Load(); e != nil {
		refs, _ := e.GetKeys(args, nil)
		for _, r := range refs {
			if r.Flags&commands.Delete != 0 {
				add(string(args[r.Pos]))
			}
		}
	}
	if len(keys) == 0 {
		for _, i := range c.keyPos {
			add(string(args[i]))
		}
	}
	return keys
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
		w = blocking.NewWaiter(c.ID, time.Now().UnixNano(), blockedKeys(c, args))
		c.block.waiter, c.block.watcher = w, s.store.NewNotifyingWatcher()
	}
	for _, k := range w.Keys {
		if err := tx.Watch(c.block.watcher, []byte(k)); err != nil {
			s.log.Error("watch a blocked key", "key", k, "err", err)
		}
	}
}

// replyTimeout writes a blocking command's timeout reply.
func (s *Server) replyTimeout(c *Client, b *commands.Block) { replyTimeoutTo(&c.reply, b) }

// replyTimeoutTo writes a blocking command's timeout reply to r.
func replyTimeoutTo(r *resp.Reply, b *commands.Block) {
	switch {
	case r.RESP3():
		r.Null()
	case b.NullArray:
		r.NullArray()
	default:
		r.Null()
	}
}

// blockState is a connection's state while it runs a blocking command
// (runBlocking); owned by the connection's goroutine.
type blockState struct {
	parking  bool             // the command may park (runBlocking is running it)
	waiter   *blocking.Waiter // set by park on the first wait, with watcher
	watcher  *store.Watcher   // notifies changes of the waiter's keys
	arg      int              // position of the timeout argument, 0 if unknown
	deadline int64            // the client's deadline, unix ms; 0 = none
	// forwarded: the last run forwarded the command (route.go), with its
	// timeout cut by forwardTimeoutArg.
	forwarded bool
}

// runBlocking runs a blocking command for a client that may wait: it runs
// the command and, while the handler asks to block, parks the client until
// it is served, times out, is unblocked or goes away (see the top of this
// file). A run that forwarded the command and got the timeout reply of a
// chunk before the client's deadline runs again.
func (s *Server) runBlocking(c *Client, e *entry, args [][]byte) {
	bs := &c.block
	*bs = blockState{parking: true}
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
		gone  <-chan struct{}
		stop  func()
		timer *time.Timer
		first *commands.Block // the first run's request to block
	)
	defer func() {
		if stop != nil {
			stop()
		}
		if timer != nil {
			timer.Stop()
		}
		c.blockedNow.Store(false)
		if w := bs.waiter; w != nil {
			s.blocked.Remove(w)
			s.store.Unwatch(bs.watcher)
		}
		*bs = blockState{}
	}()
	for {
		mark := c.reply.Len()
		c.call.Blocked = nil
		bs.forwarded = false
		s.run(c, e, args)
		if bs.forwarded {
			if !isTimeoutReply(c.reply.Bytes()[mark:]) || (bs.deadline > 0 && time.Now().UnixMilli() >= bs.deadline) {
				return
			}
			if gone == nil && c.pc != nil {
				gone, stop = c.pc.AwaitClose()
			}
			select {
			case <-gone:
				c.closeConn()
				return
			default:
			}
			c.reply.Truncate(mark) // one chunk ended: wait on
			continue
		}
		b := c.call.Blocked
		if b == nil && first != nil && isWrongTypeReply(c.reply.Bytes()[mark:]) && s.waitedKeyChangedType(e, args) {
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
			return
		}
		s.blocked.Add(w)
		c.blockedNow.Store(true)
		c.flushParked()
		if gone == nil && c.pc != nil {
			gone, stop = c.pc.AwaitClose()
		}
		wait := blockRecheck
		if b.Deadline > 0 {
			left := time.Until(time.UnixMilli(b.Deadline))
			if left <= 0 {
				s.replyTimeout(c, b)
				return
			}
			wait = min(wait, left)
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		for again := false; !again; {
			select {
			case <-gone:
				c.closeConn()
				return
			case <-timer.C:
				again = true
			case <-bs.watcher.Notify():
				again = s.blocked.First(w)
			case <-w.Wake():
				switch w.Reason() {
				case blocking.Timeout:
					s.replyTimeout(c, b)
					return
				case blocking.Error:
					c.reply.Error(errUnblocked)
					return
				}
				again = s.blocked.First(w)
			}
		}
	}
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
	bs.forwarded = true
	chunk := blockChunk
	if bs.deadline > 0 {
		chunk = min(chunk, time.Until(time.UnixMilli(bs.deadline)))
	}
	chunk = max(chunk, time.Millisecond) // the last look answers at once
	cut := slices.Clone(args)
	cut[bs.arg] = strconv.AppendFloat(nil, chunk.Seconds(), 'f', 3, 64)
	return cut, chunk + forwardTimeout
}

// isTimeoutReply reports whether reply is a blocking command's timeout
// reply (a null in RESP2 or RESP3).
func isTimeoutReply(reply []byte) bool {
	return bytes.Equal(reply, []byte("*-1\r\n")) || bytes.Equal(reply, []byte("$-1\r\n")) || bytes.Equal(reply, []byte("_\r\n"))
}

// waitedKeyChangedType reports whether a key the command pops from (its
// key specs' Delete keys: not BLMOVE's destination) holds a value of
// another type than e pops (a list, or a sorted set for the sorted-set
// family).
func (s *Server) waitedKeyChangedType(e *entry, args [][]byte) bool {
	want := store.TypeList
	if e.Group == "sorted-set" {
		want = store.TypeZSet
	}
	refs, _ := e.GetKeys(args, nil)
	for _, r := range refs {
		if r.Flags&commands.Delete == 0 {
			continue
		}
		key := args[r.Pos]
		tx := s.store.Lock(ring.KeySlot(key))
		typ, err := tx.Type(key)
		tx.Close()
		if err == nil && typ != store.TypeNone && typ != want {
			return true
		}
	}
	return false
}

// isWrongTypeReply reports whether reply is the WRONGTYPE error.
func isWrongTypeReply(reply []byte) bool {
	return bytes.HasPrefix(reply, []byte("-WRONGTYPE "))
}
