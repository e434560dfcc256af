// Package plan holds the coordinator's decisions as pure functions: state
// in, the next routing table out. Nothing here opens a socket, starts a
// goroutine or reads a clock; the cluster node gathers the state (gossip,
// replica-state and handoff calls), calls the planner and acts on what it
// returns (docs/DESIGN.md §4, §5).
//
// The coordinator's data-moving steps, chosen by Data in this order, one
// per tick:
//
//   - Failover: a slot's primary is dead. Per slot, promote the alive
//     replica that is synced to that primary with the highest applied
//     offset; with none, hold the slot (hold.go): it stays unavailable,
//     naming its dead primary, until a copy returns, and no other step
//     touches it. Only Holds.EmptyAfter, off by default, gives a held
//     slot to a live node empty (its data is lost). Dead replicas of the
//     promoted slots are dropped (DropDead).
//   - Members: add new members to the table, drop dead replicas, remove
//     dead members and drained ones that no slot names.
//   - Rebalance: move toward the target placement: add the owners a slot
//     lacks (they get transfers; the target primary joins as a migrating
//     replica), at most a batch of slots in motion at once, hand slots off
//     to a target that reports them synced, and drop owners the placement
//     does not want once the wanted replicas are synced.
//
// Kind names these steps, and the two the node chooses before it asks
// Data: Assignment (the first table, and every change of a cluster
// without replication, as Assign decides) and Prefer (CLUSTER FAILOVER
// requests, PreferStep).
//
// A rebalance pass has two points where the node must talk to others, so
// it is planned in three phases: NewRebalance surveys the table and names
// whose replica state it needs (Rebalance.Ask); Rebalance.Handoffs, given
// those states, picks the handoffs to run; Rebalance.Apply, given the
// handoffs that were done, writes the pass into the next table.
//
// Settled is the "nothing left to move" test: a table the planner has no
// data step for.
package plan
