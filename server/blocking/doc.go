// Package blocking holds the queues of clients parked by blocking commands
// (BLPOP, BLMOVE, BZPOPMIN ...), the decisions about whose turn it is,
// and the loop that parks and wakes a client (Run, run.go). Where things
// are: the queues and turns in queue.go and turns.go; Run, the per-client
// State and the Front it runs the command through in run.go; the pure
// helpers of the front end (popped keys, timeout replies, a chunk's
// timeout) in front.go; the chunks' marker and cancel on the wire in
// wire.go; the origin's watch of a client whose chunk is out, the cancel
// it sends and the primary's answer in remote.go. Package server
// implements Front (server/blocking.go: its Client, as blockFront), finds
// the keys and runs the command, and sends the chunks and cancels
// (server/blocking_remote.go); the store's serving
// gate (store/gate.go) enforces the turns Turns gives.
//
// How blocking works, and what holds:
//
//   - A blocking command's handler is the non-blocking form; one that
//     finds nothing to serve asks to block and writes no reply. Still
//     holding the slots of the command's keys, the front end registers a
//     notifying store.Watcher on each key, so no write between the
//     handler's look and the wait is missed, and queues the client.
//   - The client's goroutine waits (Queue.Await) for a change of its keys,
//     its deadline, CLIENT UNBLOCK, the peer closing the connection, or a
//     periodic recheck, then runs the whole command again from routing:
//     served, it replies; empty, it parks again. The recheck routes a
//     client whose slot moved or failed over anew.
//   - First blocked, first served: the Queue lines up the waiters of each
//     key in the order they first blocked (Waiter.Order). Only a waiter
//     first in line on the first of its keys that holds a value runs its
//     command again (Queue.Turn); one that leaves the head passes a token
//     to the next. A client that comes to pop from a key others wait on
//     queues behind them.
//   - Parked clients are served before the next command, as Redis's
//     handleClientsBlockedOnKeys: a Tx that changed a key a blocked client
//     watches calls the store's release hook as it closes; Turns.Next owes
//     the slot to the waiter to serve next, and every other Tx waits at
//     the slot's gate until that waiter's command ran (its own release
//     hands the turn on, or opens the gate). So a client that pipelines
//     RPUSH k x and LPOP k while another is parked on k gets nil, and the
//     parked client x. The served client's pop replicates as its own
//     effects, after the push's, and its keyspace events follow the
//     push's. A client is queued only once the replies before its
//     command are flushed, so a queued client never blocks on its
//     connection while a slot is owed to it. Only a waiting waiter (not
//     running its command), on keys of one slot, is owed a turn; one on
//     keys of several slots (a standalone node) is served in lock order.
//   - A command forwarded to the slot's primary goes in chunks of at most
//     2 s, sent again while the client waits, so the primary never holds a
//     waiter for a client that may be gone longer than a chunk, and a
//     failover or handoff costs one chunk. Each chunk carries its client's
//     Ref (node, client ID, first-block time): the primary queues it at
//     the client's first-block time, and when a chunk ends unserved before
//     the client's deadline, its place is reserved (Queue.Reserve) for a
//     second, until the next chunk takes it back; an unclaimed reservation
//     expires and passes the turn on. Orders of different nodes compare
//     their clocks: first-blocked order across nodes is as good as the
//     nodes' clock agreement. A reservation counts in blocked_clients (its
//     client is still blocked).
//   - A client that leaves (or whose connection fails) while a chunk is
//     forwarded makes its node send a cancel for its Ref: the primary tells
//     the chunk to leave (reason Gone) or drops the reservation, pops
//     nothing for it, and refuses a chunk of that Ref still on its way.
//     An element popped before the cancel arrived is in a reply in flight
//     to a closed connection: the same as a reply Redis writes to a client
//     that closes meanwhile.
package blocking
