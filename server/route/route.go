// Package route holds the front end's routing decisions as pure functions
// (docs/DESIGN.md §6): state in, decision out. Where a keyed command runs
// (Keyed) and where a transaction runs (Exec), given its slots' leaders
// and the connection's state; how the -MOVED answers of the node a
// command was forwarded to are followed (Retry); whether a command needs
// the quorum lease (NeedsLease); which command each reply of a forwarded
// batch answers (Replies); the limits of forwarding; and the errors that
// say why a command does not run, in Redis Cluster's words. Package server
// gathers the state (its cluster's Route, the client's flags), asks, and
// acts: it runs the command here, forwards it, splits it, or refuses it.
// Nothing here opens a socket, starts a goroutine or reads a clock.
package route

import (
	"errors"
	"fmt"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/topology"
)

// Routing errors, in Redis Cluster's words where Redis has them.
const (
	ErrClusterDown   = "CLUSTERDOWN The cluster is down"
	ErrSlotNotServed = "CLUSTERDOWN Hash slot not served"
	// ErrSlotMoving: EXEC waited for its slot while a handoff moved it;
	// nothing ran.
	ErrSlotMoving    = "TRYAGAIN the transaction's slot moved to another node while EXEC waited, try again"
	ErrCrossSlot     = "CROSSSLOT Keys in request don't hash to the same slot"
	ErrWriteMinority = "CLUSTERDOWN The cluster is down (this node cannot see a majority of the cluster; writes are refused)"
	ErrReadMinority  = "CLUSTERDOWN The cluster is down (this node cannot see a majority of the cluster; reads are refused: cluster-allow-reads-when-down is no)"
	// ErrWatchRemote: a transaction that watches keys led here cannot
	// run on another node (forwarding mode). Clients that need WATCH
	// across the cluster use a cluster-aware client, which connects to
	// the owner.
	ErrWatchRemote = "ERR WATCH of keys led by another node is not supported: connect to the node that leads their slot (CLUSTER SLOTS) or use a cluster client"
	// ErrWatchNodes refuses watched keys that would span nodes.
	ErrWatchNodes = "ERR WATCH of keys led by several nodes (or by this node and another) is not supported: a transaction runs on one node"
)

// TryAgain is the -TRYAGAIN error for a command on slot that kept being
// answered -MOVED (Retry).
func TryAgain(slot uint16) string {
	return fmt.Sprintf("TRYAGAIN slot %d is moving between nodes, try again", slot)
}

// ForwardError turns a failed forward to owner into the client's error:
// the owner is down (-CLUSTERDOWN) or did not answer in time (-TRYAGAIN).
func ForwardError(owner ring.NodeID, err error) string {
	id := string(owner)
	if len(id) > 8 {
		id = id[:8]
	}
	if errors.Is(err, cluster.ErrNodeDown) || errors.Is(err, cluster.ErrUnknownNode) {
		return "CLUSTERDOWN node " + id + " leading the slot is down"
	}
	return "TRYAGAIN forwarding to node " + id + " failed: " + resp.OneLine([]byte(err.Error()))
}

// ErrEmptyBatch: a node answered a forwarded batch with no reply at all
// (ForwardError words it for the client).
var ErrEmptyBatch = errors.New("empty batch reply")

// Forwarding limits.
const (
	// ForwardTimeout bounds every forwarded call, so a dead or partitioned
	// peer costs a client at most this long, never a hang.
	ForwardTimeout = 5 * time.Second
	// MaxBatchCmds and MaxBatchBytes bound one ordered batch of pipelined
	// commands forwarded to one node (ArgsSize counts a command's bytes).
	MaxBatchCmds  = 512
	MaxBatchBytes = 1 << 20
	// MovedRetries is how often a command answered -MOVED by the node it
	// was forwarded to is routed again, with MovedBackoff growing between
	// attempts, before the client gets TryAgain (Retry).
	MovedRetries = 5
	MovedBackoff = 10 * time.Millisecond
)

// ArgsSize is a command's size as a forwarded batch counts it.
func ArgsSize(args [][]byte) int {
	n := 0
	for _, a := range args {
		n += len(a) + 16
	}
	return n
}

// Action is what the front end does with a command (Keyed, Exec).
type Action uint8

const (
	// Here: run it on this node (once the quorum lease and
	// min-replicas-to-write allow).
	Here Action = iota
	// Refuse: answer Verdict.Err.
	Refuse
	// Moved: answer -MOVED (--cluster-redirect, or a command another node
	// forwarded here, which is never forwarded again).
	Moved
	// Decline: it would be forwarded, split or watched elsewhere, which
	// waits, and it must not wait: hand it to a goroutine that may.
	Decline
	// Forward: run it on the node that leads its slots (Cmd.Owner).
	Forward
	// Scatter: split it by owner and merge the replies (server/scatter).
	Scatter
	// Watch: WATCH of keys another node leads (server/watch).
	Watch
	// Abort: EXEC answers a null reply, as for a watched key that changed.
	Abort
)

// Verdict is a routing decision: what to do and, to Refuse, the error.
type Verdict struct {
	Do  Action
	Err string
}

// Owner returns the node that leads the first of slots, by route, and
// spans: another of them is led by another node. It returns "" when one of
// them is led by no node.
func Owner(slots []uint16, route func(uint16) (ring.NodeID, bool)) (owner ring.NodeID, spans bool) {
	owner, _ = route(slots[0])
	for _, sl := range slots[1:] {
		if p, _ := route(sl); p != owner {
			if p == "" {
				return "", spans
			}
			spans = true
		}
	}
	return owner, spans
}

// Cmd is the state a keyed command is routed by.
type Cmd struct {
	// Table is the routing table in force (nil: none yet); Self this
	// node; Owner and Spans the leaders of the command's slots (Owner).
	Table       *ring.Table
	Self, Owner ring.NodeID
	Spans       bool
	// Redirect: --cluster-redirect, answer -MOVED rather than forward.
	// Forwarded: another node forwarded the command here; it never goes
	// on. NoWait: the command must not wait (an event loop runs it);
	// Async: it may still be forwarded, by a call that does not wait
	// (the loop's), though not watched or split.
	Redirect, Forwarded, NoWait, Async bool
	// Watches: the command is WATCH, which keeps its keys where they
	// are led. Splittable: the request_policy:multi_shard tip.
	Watches, Splittable bool
}

// Keyed decides where a keyed command runs: here when this node leads
// every slot of its keys; else refused, answered -MOVED, declined,
// watched on the leader, split by owner, or forwarded to Owner.
func Keyed(c Cmd) Verdict {
	switch {
	case c.Table == nil:
		return Verdict{Do: Refuse, Err: ErrClusterDown}
	case c.Owner == "":
		return Verdict{Do: Refuse, Err: ErrSlotNotServed}
	case c.Owner == c.Self && !c.Spans:
		return Verdict{Do: Here}
	case c.Redirect || c.Forwarded:
		return Verdict{Do: Moved}
	case c.NoWait && (!c.Async || c.Watches || c.Spans):
		return Verdict{Do: Decline}
	case c.Watches && c.Spans:
		return Verdict{Do: Refuse, Err: ErrWatchNodes}
	case c.Watches:
		return Verdict{Do: Watch}
	case c.Spans && c.Splittable:
		return Verdict{Do: Scatter}
	case c.Spans:
		return Verdict{Do: Refuse, Err: ErrCrossSlot}
	}
	return Verdict{Do: Forward}
}

// OneSlot returns the slot all of slots are in, and false when they are
// in several.
func OneSlot(slots []uint16) (uint16, bool) {
	for _, sl := range slots[1:] {
		if sl != slots[0] {
			return 0, false
		}
	}
	return slots[0], true
}

// Txn is the state EXEC is routed by, once every key of the transaction
// (its queued commands' and its watched keys) is known to be in one slot.
type Txn struct {
	// Table, Self, Redirect and Forwarded are as in Cmd; Owner leads
	// the transaction's slot ("": no node).
	Table               *ring.Table
	Self, Owner         ring.NodeID
	Redirect, Forwarded bool
	// RemoteWatch: a WATCH through this node took the slot's token when
	// WatchLeader led it (server/watch); LocalWatch: keys led here are
	// watched.
	RemoteWatch, LocalWatch bool
	WatchLeader             ring.NodeID
}

// Exec decides where a transaction runs: here when this node leads its
// slot; on the leader otherwise (the whole MULTI ... EXEC block in one
// ordered batch), unless it must be refused, answered -MOVED, or aborted
// because its slot changed leader since a WATCH took the slot's token:
// nothing proves that its keys did not change.
func Exec(t Txn) Verdict {
	switch {
	case t.Table == nil:
		return Verdict{Do: Refuse, Err: ErrClusterDown}
	case t.Owner == "":
		return Verdict{Do: Refuse, Err: ErrSlotNotServed}
	case t.RemoteWatch && t.Owner != t.WatchLeader:
		return Verdict{Do: Abort}
	case t.Owner == t.Self:
		return Verdict{Do: Here}
	case t.Redirect || t.Forwarded:
		return Verdict{Do: Moved}
	case t.LocalWatch:
		return Verdict{Do: Refuse, Err: ErrWatchRemote}
	}
	return Verdict{Do: Forward}
}

// NeedsLease reports whether a command runs only while this node holds
// its quorum lease (docs/DESIGN.md §5): one that writes, or may (write),
// always; a read (read) unless cluster-allow-reads-when-down is yes
// (readsWhenDown). LeaseError is the refusal of one that needs it when
// the node does not hold the lease.
func NeedsLease(write, read, readsWhenDown bool) bool {
	return write || (read && !readsWhenDown)
}

// LeaseError: see NeedsLease.
func LeaseError(write bool) string {
	if write {
		return ErrWriteMinority
	}
	return ErrReadMinority
}

// Retry follows the -MOVED answers of the node a command was forwarded to:
// its routing table and this node's differ for a moment, as during a
// handoff, when the old primary already forwards to the new one and this
// node's table does not say so yet. A -MOVED that names a third node is
// followed at once, as a cluster client would; otherwise the command is
// routed again once this node's table has caught up, after a backoff that
// grows with each attempt. The zero Retry is a command's first routing;
// it is owned by the routing of that command.
type Retry struct {
	attempt int
	hint    ring.NodeID // where the last -MOVED sent the command
}

// To returns where a command owner leads is forwarded: to owner, or to
// the node the last -MOVED named.
func (r *Retry) To(owner ring.NodeID) ring.NodeID {
	if r.hint != "" {
		return r.hint
	}
	return owner
}

// Moved records that node to answered -MOVED to movedTo (the address it
// named), t being this node's table, and returns how long to wait before
// routing the command again (0: at once, to the node named), or giveUp
// after MovedRetries: the client gets TryAgain.
func (r *Retry) Moved(t *ring.Table, movedTo string, self, to ring.NodeID) (wait time.Duration, giveUp bool) {
	if r.attempt >= MovedRetries {
		return 0, true
	}
	r.attempt++
	if r.hint = topology.NextHop(t, movedTo, self, to); r.hint != "" {
		return 0, false
	}
	return MovedBackoff << (r.attempt - 1), false
}

// Ahead is a pipelined command that ran on another node in one ordered
// batch with an earlier command, and its reply, which the front end
// answers when the command comes up.
type Ahead struct {
	Args  [][]byte // the command as peeked, to check it is the one dispatched
	Reply []byte
}

// Replies splits the replies of a forwarded batch of cmds: first answers
// cmds[0], and the replies of the commands behind it are appended to
// ahead. The receiver stops a batch at its first -MOVED: when cmds[0] got
// it, nothing ran, moved is set with the address it named and first is
// nil; the commands from a later one on did not run, get no reply here,
// and are routed anew when their turn comes.
func Replies(ahead []Ahead, cmds [][][]byte, replies [][]byte) (first []byte, movedTo string, moved bool, out []Ahead) {
	if topology.IsMoved(replies[0]) {
		return nil, topology.MovedAddr(replies[0]), true, ahead
	}
	for i, r := range replies[1:] {
		if topology.IsMoved(r) {
			break
		}
		ahead = append(ahead, Ahead{Args: cmds[i+1], Reply: r})
	}
	return replies[0], "", false, ahead
}

// Failed appends to ahead, for a batch of cmds whose forward failed with
// the error msg, that error as the reply of each command behind the
// first: the batch may or may not have run.
func Failed(ahead []Ahead, cmds [][][]byte, msg string) []Ahead {
	for _, cmd := range cmds[1:] {
		ahead = append(ahead, Ahead{Args: cmd, Reply: []byte("-" + msg + "\r\n")})
	}
	return ahead
}
