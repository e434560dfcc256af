// Package client is the Go client for meshcache: a cluster-aware data client
// (go-redis underneath) plus distributed locks with fencing tokens and
// leader election on top of package lock.
//
// # Data
//
// New learns the cluster from any of Options.Addrs (CLUSTER NODES) and
// returns a Client whose Redis method gives a go-redis UniversalClient: a
// ClusterClient that routes by slot and follows MOVED when the nodes run as
// a cluster, a plain client of the first address otherwise (any meshcache
// node serves every key, forwarding to the owner).
//
// # Locks
//
// Client.Mutex returns a Mutex for a lock name: Redlock with fencing tokens
// (package lock) over N = min(5, members) meshcache nodes chosen for the
// name by ring.LockNodes (rendezvous hashing over the member IDs), through
// their node-local LOCK.* commands. Every client that knows the same members
// picks the same nodes, so they contend on the same endpoints; the lock
// survives the loss of a minority of them, and fencing tokens strictly
// increase from holder to holder (the proof is in package lock's doc).
//
// Against plain Redis servers (Options.Redis, or detected when the servers
// do not know LOCK.ACQUIRE), every address is an independent Redlock
// endpoint and the lock uses SET NX PX and scripts; fencing is then best
// effort (see package lock).
//
// Membership caveat: the node set for a name is computed from the members
// the client knew when it called Lock (learned by New and Refresh). Clients
// whose views differ (a node was added or forgotten and one client has not
// refreshed) may pick different node sets, whose quorums need not
// intersect: exclusion and token order then hold only among clients with
// the same view. A node that fails stays a member (it is listed, flagged
// fail, until the cluster forgets it), so failures alone never change the
// sets. Keep lock members stable, and Refresh after planned changes.
//
// # Leader election
//
// Client.Elect campaigns for a lock, runs a function with a context that is
// cancelled when leadership is lost, steps down when the function returns,
// and campaigns again, until its context ends. The function gets the
// fencing token of its term: pass it to whatever the leader writes to.
//
// # Concurrency
//
// A Client is safe for concurrent use and owns its connections (Close
// closes them). A Mutex is one holder: use one per goroutine (they are
// cheap). Each held lock has one watchdog goroutine that renews it (package
// lock), stopped by Unlock or by the loss of the lock.
package client
