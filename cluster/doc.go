// Package cluster makes meshcache nodes one cluster: membership by gossip,
// the internode transport, and the routing-table authority.
//
// # Layout
//
// Package cluster is the node: membership (membership.go, meta.go; what
// the node knows of each member is cluster/members), the coordinator's
// control loop (coordinator.go) and the state it gathers and acts on
// (datasteps.go, prefer.go), routing tables (tables.go), forwarding
// (forward.go), replication (replicator.go, stream.go, receive.go,
// replicaview.go), slot transfer (transfer.go) and handoff (handoff.go,
// override.go). Five packages below it never see a Node:
//
//   - cluster/transport: the cluster port (an Endpoint: real TCP and UDP, or
//     an in-memory MemNetwork for tests), internode RPC (Client, Server),
//     the cluster key handshake and fault injection (Faults).
//   - cluster/plan: the coordinator's decisions as pure functions (state in,
//     next table out), tested by tables without sockets.
//   - cluster/ack: whether a write may be acknowledged (a write position's
//     state in, a verdict out), and cluster/override: the handoff overrides'
//     decisions on a routing table. Both pure, tested by tables.
//   - cluster/wire: the formats of the internode messages (forwarded
//     commands, replication stream entries and batches, handoff, takeover
//     and replica-state calls): encoders and decoders, bytes in, values out.
//
// # One port
//
// Each node has one cluster port (by default its client port + 10000, as in
// Redis Cluster). transport.TCP implements memberlist's transport over a UDP
// socket (gossip packets) and a TCP listener on that port. Every TCP
// connection a node opens starts with a preface (transport/tcp.go):
// "MESHG\n" for a memberlist stream, "MESH1\n" for internode RPC, followed
// by the sender's cluster address. The accept loop sorts connections by
// preface; anything else is handed to memberlist untouched. Internal calls
// are only reachable here, never through the RESP port. Config.Network puts
// a node on an in-memory network instead (tests).
//
// # Membership
//
// hashicorp/memberlist names each node by its 40-hex node ID and gossips its
// Meta (meta.go): client and cluster addresses, start time, state (joining,
// serving, draining) and the routing-table epoch it holds. Timing comes from
// a Profile (package profile: lan, wan, local; lan detects a failure in about 2
// s). A shared key turns on memberlist's AES-GCM gossip encryption. The
// re-join loop (membership.go) joins the seeds with backoff and keeps
// contacting the seeds and every node ever seen that is not alive, which is
// what merges the two sides of a healed partition.
//
// # RPC
//
// transport.Client multiplexes calls over one connection per peer: length-prefixed
// frames with a request id, a Kind and the caller's timeout; a writer
// goroutine batches frames, a reader goroutine hands replies to waiters;
// every call needs a context deadline; a broken connection fails its calls
// and the next call redials. Kinds: Ping, Forward and ForwardBatch (run
// client commands on their slot's owner, reply = raw RESP), PushTable and
// PullTable, Replicate (a batch of replication stream entries), ReplState
// (a replica's per-slot receiving state), Handoff and Takeover (planned
// primary change).
// transport.Faults drops (and delays) traffic between chosen addresses
// inside the transport, so tests cut the network for real.
//
// # Routing tables
//
// The coordinator (coordinator.go) is the oldest alive member that sees a
// majority of the current table's members, confirmed by a round trip to
// each just before it issues a table. It compares the table with the target
// placement (ring.Place over the live, non-draining members) and issues the
// next step as a table with epoch 1 + the highest seen. Tables spread by
// push to every member and by the epoch in gossip metadata: a node that sees
// a higher epoch pulls the table (tables.go). A node adopts a table only if
// ring.Newer. A node that does not hold its quorum lease (leaser.go: a
// majority of the table's members answered its direct probes within the
// lease, none from a newer table) reports !Healthy(), so the server
// refuses writes there.
//
// # Replication, failover and handoff (Config.Store set)
//
// The node is its store's EffectSink. Each effect committed in a slot gets
// the slot's next offset and is streamed, in batches over the RPC
// connection, to each synced replica of the slot (stream.go,
// replicator.go); replicas apply in order and acknowledge per slot. A
// replica is built, and rebuilt after its queue overflowed or it came
// back, by a slot transfer (transfer.go): snapshot and tail under one slot
// lock, sent in order, throttled by Config.MigrationRate. The coordinator's
// steps (planned by cluster/plan, run by datasteps.go) promote the most
// advanced synced replica of a dead primary, add members, restore replica
// counts and move slots toward the target placement by handoff
// (handoff.go): the old primary fences the slot, waits for the target's
// last ack, hands over, and forwards.
//
// # API for the server (stable)
//
//   - Route(slot) (ring.NodeID, bool): who leads slot now and whether it is
//     this node, with handoff overrides applied. Route every keyed command
//     by it (not Table().Primary), and check it again once the slot's store
//     lock is held: a handoff flips it under that lock.
//   - Healthy(): false on a minority side, within a lease of the cut, and on
//     a node paused past its lease; refuse writes with -CLUSTERDOWN.
//     WaitHealthy(): the same, but a lease that lapsed only just is
//     waited for briefly after a probe round: what a command asks.
//   - Offsets(dst, slots...) []SlotOffset: the slots' current stream offsets.
//   - WaitReplicated(ctx, pos, n) (acked int, err error): wait until n synced
//     replicas (or all the slot has, if fewer) applied each position; a
//     slot with no synced replica does not wait (degraded). Call it once per
//     pipeline batch for replica-ack one|all (n = 1 or the replica count),
//     and for WAIT (the count is its reply; err wraps ErrReplicaTimeout when
//     ctx ends first, ErrLeadLost when the slot changed primary without a
//     handoff, or this node's copy was dropped, before a replica applied
//     the write: it must not be acknowledged).
//   - ReplicationInfo(): per-peer streams (queued entries = lag, acked and
//     sent sequence, last ack, live slots), led/degraded/replica/synced slot
//     counts, transfers, handoffs, lost slots: for INFO replication.
//   - Leave(ctx): drain (hand off every slot, give up replica roles), then
//     leave the gossip and close (SIGTERM, SHUTDOWN, CLUSTER LEAVE).
package cluster
