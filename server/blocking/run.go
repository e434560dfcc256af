package blocking

import (
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// The blocking command loop (Run): it runs a blocking command for a
// client that may wait, parks the client and wakes it, over the front
// end's part (Front, which package server implements for the client
// running the command: server/blocking.go) and the node's queue and store
// (Node). How it works and what holds is told in doc.go.

// Recheck is how often a parked client runs its command again without a
// change of its keys (see doc.go).
const Recheck = time.Second

// ReserveGrace is how long the primary keeps a forwarded waiter's place
// between two chunks: the origin sends the next chunk as soon as the last
// one's reply arrives, so one round trip is enough; a reservation nobody
// claims (the origin node died) passes the turn on after it.
const ReserveGrace = time.Second

// ErrUnblocked is the reply of a call CLIENT UNBLOCK ... ERROR stopped.
const ErrUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

// State is a connection's state while it runs a blocking command (Run);
// owned by the connection's goroutine. The front end sets Parking and
// Order (and, for a forwarded chunk, Ref, LastChunk) before Run, which
// resets it to the zero State when it returns.
type State struct {
	Parking  bool           // the command may park (Run is running it)
	Waiter   *Waiter        // set by the front end on the first wait, with Watcher
	Watcher  *store.Watcher // notifies changes of the waiter's keys
	Arg      int            // position of the timeout argument, 0 if unknown
	Deadline int64          // the client's deadline, unix ms; 0 = none
	// Order is when the client first blocked (unix ns): its place in the
	// queues, here and, carried by the chunks' marker, on the primary.
	Order int64
	// Ref names the client of another node whose chunk this internal
	// client runs (zero for a local client); LastChunk: that chunk ends at
	// its client's deadline, so no other follows.
	Ref       Ref
	LastChunk bool
	// TimedOut: the command answered its timeout reply at its deadline (a
	// chunk's end, for a forwarded chunk: its place is reserved).
	TimedOut bool
	// Gone is closed when the peer leaves (resp.Conn.AwaitClose, started
	// by the front end's Gone); StopGone ends the watch.
	Gone     <-chan struct{}
	StopGone func()
	// Proxy stands for the client in this node's queue while its command
	// is forwarded, so that CLIENT UNBLOCK finds it (the front end's
	// watchChunk); Owner is the node its last chunk went to.
	Proxy *Waiter
	Owner ring.NodeID
	// Forwarded: the last run forwarded the command (the front end's
	// routing), with its timeout cut by CutTimeout; LastSent: that
	// chunk's timeout was the client's whole remaining time.
	Forwarded bool
	LastSent  bool
	// Fed: the monitors were shown the command, on its first run.
	Fed bool
	// TypeChanged: the last run answered WRONGTYPE while a key it pops
	// from held another type (KeyChangedType, under the run's Tx).
	TypeChanged bool
}

// Front is the front end's part in a blocking command's run (Run); package
// server implements it for the client running the command. Run calls it
// on the client's goroutine only.
type Front interface {
	// QueueBehind is called before cmd first runs: when clients already
	// wait on the keys it pops from, it queues the client behind them
	// (State.Waiter, watching its keys) and reports behind; open false:
	// the connection was closed.
	QueueBehind(cmd Cmd) (behind, open bool)
	// Exec runs cmd once, from routing; its reply goes to Reply.
	Exec(cmd Cmd)
	// Blocked returns the last run's request to block (nil: it answered)
	// and clears it.
	Blocked() *commands.Block
	// Reply is the client's reply buffer.
	Reply() *resp.Reply
	// Flush sends the replies before the command before the client waits
	// (their writes replicated first); false: that failed and the
	// connection was closed.
	Flush() bool
	// Gone returns the channel closed when the client's peer leaves,
	// watching the connection until Run ends (nil: an internal client).
	Gone() <-chan struct{}
	// Close closes the client's connection.
	Close()
	// CancelChunks tells the node the client's last chunk went to that it
	// stopped waiting (reason), so its place there passes on at once.
	CancelChunks(reason Reason)
	// Mark shows the client parked (CLIENT LIST flags=b) or not, with its
	// parked command's arguments' lengths (argv-mem).
	Mark(parked bool, argvMem int64)
	// Answered counts in cmd's stats a parked call answered without
	// another run (its timeout, CLIENT UNBLOCK), whose reply starts at
	// mark: the runs that parked it counted nothing, so it counts once, as
	// Redis's updateStatsOnUnblock.
	Answered(cmd Cmd, mark int)
}

// Node is the node a blocking command runs on: its queue of parked
// clients and its store.
type Node struct {
	Queue *Queue
	Store *store.Store
}

// Cmd is the blocking command a client runs.
type Cmd struct {
	Args [][]byte
	// TimeoutArg is the position of its timeout argument (negative: from
	// the end; out of range: unknown).
	TimeoutArg int
	// NullArray: its RESP2 timeout reply is a null array (not BLMOVE,
	// BRPOPLPUSH), for a call cancelled before it ran.
	NullArray bool
	// Ref is the front end's own handle of the command, given back to
	// Front.
	Ref any
}

// Run runs a blocking command for a client that may wait: it runs the
// command and, while the handler asks to block, parks the client until it
// is served, times out, is unblocked or goes away (see doc.go). A run that
// forwarded the command and got the timeout reply of a chunk before the
// client's deadline runs again. bs is the client's State, set up by the
// front end; Run returns with it zero.
func Run(n Node, f Front, bs *State, cmd Cmd) {
	q, r, args := n.Queue, f.Reply(), cmd.Args
	pos := cmd.TimeoutArg
	if pos < 0 {
		pos += len(args)
	}
	if pos > 0 && pos < len(args) {
		if d, bad := commands.ParseTimeout(args[pos], time.Now().UnixMilli()); bad == "" {
			bs.Arg, bs.Deadline = pos, d
		}
	}
	var (
		timer *time.Timer
		first *commands.Block // the first run's request to block
	)
	defer func() {
		if bs.StopGone != nil {
			bs.StopGone()
		}
		if bs.Proxy != nil {
			q.Untrack(bs.Proxy)
		}
		if timer != nil {
			timer.Stop()
		}
		f.Mark(false, 0)
		if w := bs.Waiter; w != nil {
			if bs.TimedOut && bs.Ref != (Ref{}) && !bs.LastChunk {
				q.ReserveFor(w, ReserveGrace) // the client's next chunk takes its place back
			} else {
				q.Remove(w)
			}
			ReleaseTurn(n.Store, w)
			n.Store.Unwatch(bs.Watcher)
		}
		*bs = State{}
	}()
	behind, open := f.QueueBehind(cmd)
	if !open {
		return
	}
	for {
		if bs.Ref != (Ref{}) {
			if reason := q.Cancelled(bs.Ref); reason != None {
				replyCancelled(r, reason, cmd.NullArray) // its node cancelled it (the front end's watchChunk): take nothing
				return
			}
		}
		if behind {
			// Wait for this client's turn (or its deadline, a recheck,
			// CLIENT UNBLOCK, the peer leaving), then run the command:
			// the runs below answer or wait on as for any client.
			behind = false
			f.Mark(true, 0)
			wait := Recheck
			if bs.Deadline > 0 {
				wait = max(min(wait, time.Until(time.UnixMilli(bs.Deadline))), 0)
			}
			timer = time.NewTimer(wait)
			if !q.Turn(bs.Waiter, holdsValueFor(n.Store, bs.Waiter)) {
				reason, closed := awaitTurn(n, f, bs.Waiter, bs.Watcher, f.Gone(), timer)
				if closed {
					return
				}
				if reason == Gone {
					replyCancelled(r, reason, cmd.NullArray) // to nobody: the client left its node
					return
				}
			}
		}
		mark := r.Len()
		bs.Forwarded, bs.TypeChanged = false, false
		f.Exec(cmd)
		if w := bs.Waiter; w != nil && w.Owed() {
			ReleaseTurn(n.Store, w) // routed away (the slot moved): the turn passes on here
		}
		if bs.Forwarded {
			select {
			case <-f.Gone(): // the primary is told to drop the chunk (watchChunk) or its place
				f.CancelChunks(Gone)
				f.Close()
				return
			default:
			}
			if bs.Proxy != nil && bs.Proxy.Reason() != None {
				f.CancelChunks(bs.Proxy.Reason()) // its place on the primary, if the chunk had ended
				// CLIENT UNBLOCK: the primary answered the chunk for it,
				// unless the chunk had ended (a timeout reply).
				if bs.Proxy.Reason() == Error && IsTimeoutReply(r.Bytes()[mark:]) {
					r.Truncate(mark)
					r.Error(ErrUnblocked)
				}
				return
			}
			if !IsTimeoutReply(r.Bytes()[mark:]) || bs.LastSent || (bs.Deadline > 0 && time.Now().UnixMilli() >= bs.Deadline) {
				return
			}
			r.Truncate(mark) // one chunk ended: wait on
			continue
		}
		b := f.Blocked()
		if b == nil && first != nil && bs.TypeChanged {
			// Woken, but a key it waits on now holds another type (a
			// transaction pushed, deleted and SET it): Redis serves a
			// parked client only from a key of the type it pops, so it
			// waits on. (A WRONGTYPE from BLMOVE's destination, with the
			// source a list, is the answer: the move was tried.)
			r.Truncate(mark)
			b = first
		}
		if b == nil {
			return // answered
		}
		// The handler computes its deadline from the clock at each run:
		// the client's holds, parsed when the command arrived (or, for a
		// command whose timeout the table does not locate, the first
		// run's), so that neither reruns nor forwarded chunks extend it.
		if first == nil {
			first = b
			if bs.Arg != 0 {
				first = &commands.Block{Deadline: bs.Deadline, NullArray: b.NullArray}
			}
		}
		b = first
		w := bs.Waiter
		if w == nil { // the handler blocked without keys: nothing to wait on
			ReplyTimeout(r, b.NullArray)
			f.Answered(cmd, mark)
			return
		}
		// The replies before it go out first, then it is queued: from
		// then on it does not block before it waits (a turn may be owed
		// to it: Turns).
		if !f.Flush() {
			return
		}
		if !q.Add(w) { // a cancelled Ref: its node cancelled it
			replyCancelled(r, q.Cancelled(bs.Ref), cmd.NullArray)
			return
		}
		f.Mark(true, clientinfo.ArgvMem(args))
		if answerUnblocked(f, cmd, r, b, w.Reason(), mark) { // asked while it waited its turn (QueueBehind)
			return
		}
		wait := Recheck
		if b.Deadline > 0 {
			left := time.Until(time.UnixMilli(b.Deadline))
			if left <= 0 {
				bs.TimedOut = true
				ReplyTimeout(r, b.NullArray)
				f.Answered(cmd, mark)
				return
			}
			wait = min(wait, left)
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		reason, closed := awaitTurn(n, f, w, bs.Watcher, f.Gone(), timer)
		if closed || answerUnblocked(f, cmd, r, b, reason, mark) {
			return
		}
	}
}

// awaitTurn is Queue.Await for a parked client: the peer going away
// closes the connection (closed true).
func awaitTurn(n Node, f Front, w *Waiter, watcher *store.Watcher, gone <-chan struct{}, timer *time.Timer) (reason Reason, closed bool) {
	reason, closed = n.Queue.Await(w, watcher.Notify(), gone, timer.C, holdsValueFor(n.Store, w))
	if closed {
		f.Close()
	}
	return reason, closed
}

// holdsValueFor returns whether a key holds a value of the type waiter w
// pops on this node, as w looks (with its token: a slot owed to it is its
// to look at). Turns.Release decides with the same test, so a waiter owed a
// turn finds it is its Turn.
func holdsValueFor(st *store.Store, w *Waiter) func(k string) bool {
	return func(k string) bool {
		key := []byte(k)
		tx := st.LockFor(ring.KeySlot(key), w.Token)
		typ, err := tx.Type(key)
		tx.Close()
		return err == nil && int(typ) == w.Want
	}
}

// ReleaseTurn hands on the turn owed to w, which leaves without taking it
// (timed out, unblocked, gone) or was routed away: its slot is taken with
// w's token and released, so the release hook (Turns.Release) owes it
// anew, not to w (out of the queue, or not waiting).
func ReleaseTurn(st *store.Store, w *Waiter) {
	if w.Owed() && w.Slot >= 0 {
		st.LockFor(uint16(w.Slot), w.Token).Close()
	}
}

// answerUnblocked answers a parked call that CLIENT UNBLOCK stopped
// (reason Timeout or Error) and reports true; for None it does nothing.
func answerUnblocked(f Front, cmd Cmd, r *resp.Reply, b *commands.Block, reason Reason, mark int) bool {
	switch reason {
	case Timeout, Gone: // Gone: to nobody, the client left its node
		ReplyTimeout(r, b.NullArray)
	case Error:
		r.Error(ErrUnblocked)
	default:
		return false
	}
	f.Answered(cmd, mark)
	return true
}

// replyCancelled answers a chunk cancelled before it ran: Gone (to
// nobody) and Timeout with the timeout reply (in RESP2 a null array when
// nullArray, else a null bulk: BLMOVE and BRPOPLPUSH), Error with
// -UNBLOCKED.
func replyCancelled(r *resp.Reply, reason Reason, nullArray bool) {
	if reason == Error {
		r.Error(ErrUnblocked)
		return
	}
	ReplyTimeout(r, nullArray)
}

// PopType is the type of value cmd (nil: unknown) pops: a sorted set for
// the sorted-set family, else a list.
func PopType(cmd *commands.Command) store.Type {
	if cmd != nil && cmd.Group == "sorted-set" {
		return store.TypeZSet
	}
	return store.TypeList
}

// KeyChangedType reports whether a key cmd pops from (its key specs'
// Delete keys: not BLMOVE's destination) holds a value of another type
// than cmd pops (PopType), as tx, which ran the command, sees it.
func KeyChangedType(tx *store.Tx, cmd *commands.Command, args [][]byte) bool {
	want := PopType(cmd)
	refs, _ := cmd.GetKeys(args, nil)
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
