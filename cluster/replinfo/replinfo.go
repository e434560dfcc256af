// Package replinfo holds the figures a node reports about its replication:
// its outbound streams, the slots it leads and replicates, transfers and
// handoffs (cluster.Node.ReplicationInfo makes them; INFO replication and
// cluster, the admin page, /metrics and the drain's log read them). Plain
// values, so that the readers need nothing of the cluster's internals.
package replinfo

import (
	"time"

	"github.com/meshcache/meshcache/ring"
)

// Info is a node's replication state at one look.
type Info struct {
	Peers      []Peer // outbound streams, by peer ID
	LedSlots   int    // slots this node leads now
	LedOffsets uint64 // the sum of their replication offsets (INFO's master_repl_offset)
	// ReplicaSynced and ReplicaSyncing count the slots the table names
	// this node a replica of: held in sync with their primary now, and
	// the others (being built).
	ReplicaSynced, ReplicaSyncing int
	DegradedSlots                 int   // led slots that should have replicas but have no synced one
	DegradedWaits                 int64 // WaitReplicated calls that met a degraded slot
	LostSlots                     int64 // slots given a new primary with no synced replica (data lost)
	HeldSlots                     int64 // slots held unavailable by this coordinator: no reachable synced copy
	Transfers                     int   // slot transfers running now
	TransfersDone                 int64
	TransfersFail                 int64
	TransferBytes                 int64   // snapshot bytes sent by transfers
	TransferRate                  float64 // of those, bytes per second over the last second or so
	Handoffs                      int64   // slots handed off by this node
}

// Peer describes the outbound replication stream to one peer.
type Peer struct {
	ID            ring.NodeID
	Slots         int       // slots this node streams to the peer
	LiveSlots     int       // of those, synced (they count for acks)
	QueuedEntries int       // entries sent or waiting, not yet acknowledged: the lag
	QueuedBytes   int       // their bytes
	AckedSeq      uint64    // entries acknowledged so far (the peer's offset in this stream)
	SentSeq       uint64    // entries queued so far (this node's offset in this stream)
	LastAck       time.Time // zero if never
	Calls         int64     // successful transport.KindReplicate calls
	Bytes         int64     // entry bytes acknowledged
	Failures      int64     // failed calls (each is retried)
	LastError     string
	Overflowed    bool // the queue overflowed; the slots are being re-synced
}
