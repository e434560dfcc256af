package server

import (
	"bytes"
	"time"

	"github.com/tidwall/redcon"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/watch"
	"github.com/meshcache/meshcache/store"
)

// The server is its cluster node's Executor: it runs the commands other
// nodes forward here (cluster.Node calls Execute and ExecuteBatch from its
// RPC handler goroutines, one call per forwarded request).
var (
	_ cluster.Executor          = (*Server)(nil)
	_ cluster.BatchExecutor     = (*Server)(nil)
	_ cluster.ImmediateExecutor = (*Server)(nil)
)

// TryExecute is Execute for a caller that must not wait (a cluster
// connection's reader, cluster.ImmediateExecutor): it runs args and
// returns their reply and true only if the command waits for nothing but,
// when answer is deferrable, its replicas: a fast read-only command that
// does not block, or a keyed write that MayStall does not exclude; its
// slots' locks are free at once (held by no fence, script, blocked
// client's turn or other command) and the quorum lease it needs is held
// (routeAway under Client.noWait). Otherwise it runs nothing and returns
// false. A write whose reply waits for its replicas returns later=true:
// answer sends the reply once they have it (fwdack.go).
func (s *Server) TryExecute(resp3 bool, args [][]byte, reply []byte, answer cluster.Answer) (out []byte, ran, later bool) {
	c := s.getInternal(resp3)
	c.reply.SetBytes(reply)
	c.noWait, c.ackLater = true, answer.Deferrable()
	s.dispatch(c, args, !s.reclaim())
	c.noWait, c.ackLater = false, false
	if c.wouldWait {
		c.wouldWait = false
		c.reply.SetBytes(nil)
		s.putInternal(c)
		return nil, false, false
	}
	s.cstats.forwardsReceived.Add(1)
	if c.repl.Pending() {
		if pos, want := s.repl.ack.Batch(&c.repl, &s.cluster); want > 0 {
			out, later = s.answerLater(c, pos, want, len(reply), answer)
			return out, true, later
		}
	}
	out = c.reply.Bytes()
	s.putInternal(c)
	return out, true, false
}

// runsForwarded reports whether TryExecute runs forwarded command e: one
// that cannot wait, or, when its reply may leave after TryExecute returned
// (ackLater), a keyed write that waits for nothing but its replicas.
func (c *Client) runsForwarded(e *entry) bool {
	return e.CannotWait() || c.ackLater && e.Keyed && e.Flags&FlagWrite != 0 && !e.MayStall()
}

// tryLock is the lock of a command that must not wait (Client.noWait):
// its slots (c.slots), if each is free at once; nil, the command declined,
// otherwise.
func (s *Server) tryLock(c *Client) *store.Tx {
	if c.ownTx == nil {
		c.ownTx = s.store.OwnTx()
	}
	if tx, ok := s.store.TryLockSlots(c.slots, c.freshMS(), c.ownTx); ok {
		return tx
	}
	c.decline()
	return nil
}

// decline notes that the command dispatch began will not run here because
// it would wait (Client.noWait): it does not count as processed, since it
// runs again where it may wait.
func (c *Client) decline() {
	c.wouldWait = true
	c.pendProcessed--
}

// Execute runs one forwarded command as a client speaking RESP3 (resp3) or
// RESP2 would, appends its raw reply to reply and returns it. The command
// runs on an internal client: authenticated (the cluster port authenticates
// its peers), and never forwarding again: a command for a slot this node
// does not lead is answered -MOVED, so the sender routes it anew.
func (s *Server) Execute(resp3 bool, args [][]byte, reply []byte) []byte {
	s.cstats.forwardsReceived.Add(1)
	return s.runInternal(resp3, args, reply, nil)
}

// runInternal runs one command on an internal client (see Execute). owner
// is the client of this node whose split command it is a part of (nil for
// a forwarded command): when owner tracks, the part's reads are
// remembered for it.
func (s *Server) runInternal(resp3 bool, args [][]byte, reply []byte, owner *Client) []byte {
	c := s.getInternal(resp3)
	if owner != nil {
		if m := s.events.Marker(&owner.ev); m != nil {
			c.ev.ReadFor(&owner.ev, m)
		}
	}
	c.reply.SetBytes(reply)
	s.dispatch(c, args, !s.reclaim())
	if c.repl.Pending() && !s.awaitReplicas(c) { // the reply waits for the replicas here, on the primary
		c.reply.Truncate(len(reply))
		c.reply.Error(errNotReplicated)
	}
	out := c.reply.Bytes()
	s.putInternal(c)
	return out
}

// ExecuteBatch runs forwarded commands in order on one internal client (a
// MULTI ... EXEC block spans several) and returns their raw replies. It
// stops after the first -MOVED reply: the sender routes that command and
// the ones after it again, so they must not run here.
func (s *Server) ExecuteBatch(resp3 bool, cmds [][][]byte) [][]byte {
	s.cstats.forwardsReceived.Add(1)
	if events.IsFanoutBatch(cmds) {
		return s.events.DeliverFanout(cmds) // messages published on another node
	}
	if r := s.answerChunkCancel(cmds); r != nil {
		return r // a forwarded blocking command's client left (blocking_remote.go)
	}
	if watch.IsTokenBatch(cmds) {
		return watch.AnswerToken(s.cluster, s.store, cmds[0]) // a WATCH on another node (package watch)
	}
	if events.IsTrackInv(cmds) {
		return s.events.DeliverTrackInv(cmds) // invalidations for this node's clients
	}
	c := s.getInternal(resp3)
	if len(cmds) > 0 && s.events.Adopt(&c.ev, cmds[0]) {
		// A tracking client's batch: its reads are remembered for it (package events).
		out := s.executeBatchOn(c, cmds[1:])
		return append([][]byte{[]byte("+OK\r\n")}, out...)
	}
	return s.executeBatchOn(c, cmds)
}

// executeBatchOn is ExecuteBatch's run of cmds on internal client c, which
// it returns to the pool.
func (s *Server) executeBatchOn(c *Client, cmds [][][]byte) [][]byte {
	ends := make([]int, 0, len(cmds))
	for i, args := range cmds {
		mark := c.reply.Len()
		switch {
		case i == 0 && watch.IsCheckBatch(cmds):
			s.checkWatch(c, args) // a forwarded EXEC's watch (watch_remote.go)
		case i == 0 && c.adoptChunk(args): // a blocking command's chunk follows (blocking_remote.go)
		default:
			s.dispatch(c, args, !s.reclaim())
		}
		ends = append(ends, c.reply.Len())
		if bytes.HasPrefix(c.reply.Bytes()[mark:], []byte("-MOVED ")) {
			break
		}
	}
	replicated := !c.repl.Pending() || s.awaitReplicas(c) // one wait for the whole forwarded batch
	buf := c.reply.Bytes()
	c.reply.SetBytes(nil)
	s.putInternal(c)
	out := make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		out[i] = buf[start:end:end]
		start = end
		if !replicated {
			out[i] = redcon.AppendError(nil, errNotReplicated)
		}
	}
	return out
}

// getInternal returns a pooled internal client for forwarded commands.
func (s *Server) getInternal(resp3 bool) *Client {
	c, _ := s.internal.Get().(*Client)
	if c == nil {
		c = &Client{srv: s, addr: "cluster", laddr: "cluster", created: time.Now(), fd: -1}
		c.route = &routeState{forwarded: true}
		c.ev.InitForwarded(s.events, (*eventsConn)(c))
		c.repl.Reset()
	}
	c.authenticated = true
	if resp3 {
		c.setProto(3)
	} else {
		c.setProto(2)
	}
	return c
}

// putInternal resets an internal client (an unfinished MULTI, watched keys)
// and returns it to the pool.
func (s *Server) putInternal(c *Client) {
	c.flushStats()
	if c.multi || c.watcher != nil {
		c.discardMulti()
	}
	c.release()
	c.reply.SetBytes(nil)
	c.route.ahead = nil
	c.route.blockRef, c.route.blockLast = blocking.Ref{}, false
	c.repl.Reset()
	c.closeAfterReply = false
	c.closing = false
	s.internal.Put(c)
}
