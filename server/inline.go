package server

import (
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/cmdtable"
	"github.com/meshcache/meshcache/server/resp"
)

// connectionGroup is the command table's group of the connection's own
// commands (PING, HELLO, CLIENT ...).
const connectionGroup = cmdtable.ConnectionGroup

// inlineSafe reports whether an event loop may run command args of c
// itself (serve.go): only a command that cannot wait for anything another
// connection, another node or a replica would have to do, since every
// connection of the loop waits while one runs. The rest are handed with their connection to a goroutine
// (handOver). The decision is made before the command runs, from the
// command table's flags and the node's state, never from command names:
//
//   - FlagBlocking commands park (BLPOP ...).
//   - Commands flagged noscript or admin may wait unless the table says
//     they are fast: scripts and functions (EVAL, FCALL ...), EXEC (it
//     may forward), WAIT, SUBSCRIBE and MONITOR (an outbox), CLIENT KILL,
//     DEBUG SLEEP, CONFIG SET of a cluster-wide setting, CLUSTER MEET or
//     FAILOVER. The fast ones (AUTH, HELLO, MULTI, WATCH ...) answer at
//     once, their keys, if any, routed as below; so do the connection
//     group's commands that are not admin (CLIENT SETNAME, SETINFO, REPLY
//     ...: the connection's own state), which every client library sends
//     as it connects. One that gives the client an outbox (CLIENT
//     TRACKING) hands it over right after it ran (runBatch).
//   - A command without keys that is not fast, or that reads or writes
//     the whole keyspace, looks at the whole node: INFO, CLUSTER NODES and
//     SLOTS, COMMAND, KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHALL (a write of
//     every slot, whose replicas all acknowledge it). It may take a millisecond or
//     more (INFO's cluster section walks every slot) or a slot's lock held
//     elsewhere, and a monitor sending INFO every 200 ms held up every
//     connection of its loop that long: measured as idle p99 doubling in
//     the rebalance benchmark (BENCHMARKS.md). The connection group's
//     own commands are exempt (CLIENT SETNAME ...).
//   - A standalone node routes nothing and waits for no replica: any other
//     command is inline.
//   - In a cluster, a connection that sent READONLY, or an internal one
//     (routeState.pinned), is not inline. A keyed command is: when this
//     node leads every slot of its keys it runs here, and a write whose
//     slots have replicas has its batch's replies wait for the replicas'
//     acks on the loop, the connection neither read nor written meanwhile
//     (ackloop.go); when one other node leads them all, the loop forwards
//     it without waiting (loopforward.go); otherwise (keys led by several
//     nodes, a WATCH elsewhere) routing declines it.
//
// What can only be known as the command runs, it runs with Client.noWait:
// a slot lock that is taken (a handoff's fence, a script, EXEC, a blocked
// client's turn), a route the loop cannot take (split, watched, no live
// connection to the leader yet) or a quorum lease that lapsed make it
// decline, having run nothing, and the connection is handed over with it
// (runBatch).
func (s *Server) inlineSafe(c *Client, args [][]byte) bool {
	if len(args) == 0 {
		return true
	}
	if c.ev.Outbox() != nil || c.block.Waiter != nil {
		return false
	}
	// The same lookup as dispatch, sharing its one-entry cache (lastTop).
	e := c.lastTop
	if e == nil || !resp.EqualFold(args[0], e.Name) {
		e = s.table.Lookup(args[0], &c.nameBuf)
		c.lastTop = e
	}
	if e == nil {
		return true // answered with an error
	}
	if e.Subs != nil && len(args) >= 2 {
		sub := e.LookupSub(args[1], &c.subBuf)
		if sub == nil {
			return true // answered with an error
		}
		e = sub
	}
	if e.MayStall() {
		return false
	}
	f := e.Flags
	if c.multi && !e.RunsInMulti {
		return true // queued inside MULTI: EXEC decides
	}
	if !e.Keyed && (f&FlagFast == 0 || e.Keyspace) && e.Group != connectionGroup {
		return false // the whole node's state: INFO, CLUSTER NODES, COMMAND, KEYS, SCAN, DBSIZE, FLUSHALL
	}
	if s.standalone {
		return true
	}
	if c.route.pinned() {
		return false
	}
	if f&FlagLocal != 0 {
		return true
	}
	t := s.cluster.Table()
	if t == nil {
		return false
	}
	if s.alone(t) {
		return true // a cluster of one: every slot led here, no replica
	}
	return true
}

// tableVerdict is what alone found for one routing table.
type tableVerdict struct {
	t     *ring.Table
	alone bool
}

// alone reports whether routing table t names this node alone: it leads
// every slot, and no replica or handoff target is named for any. Tables
// are immutable snapshots, replaced when they change, so the answer is
// kept for the table in force (s.lastTable) and asking costs one load
// and one comparison per command.
func (s *Server) alone(t *ring.Table) bool {
	if v := s.lastTable.Load(); v != nil && v.t == t {
		return v.alone
	}
	m := t.Members()
	v := &tableVerdict{t: t, alone: len(m) == 1 && m[0].ID == s.cluster.ID()}
	s.lastTable.Store(v)
	return v.alone
}
