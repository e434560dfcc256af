package transport

import "fmt"

// Kind names an internode call. Adding a call is a new constant, a Handler
// registered on the node's Server, the request and reply formats in
// cluster/wire, and a small client method in package cluster that encodes
// the request and decodes the reply (the files named below are in
// cluster/).
type Kind uint8

// Call kinds. Never renumber: the value is on the wire.
const (
	KindPing      Kind = 1 // payload echoed back
	KindForward   Kind = 2 // a client command run on its slot's owner
	KindPushTable Kind = 3 // a routing table offered to the receiver
	KindPullTable Kind = 4 // ask for the receiver's routing table
	// KindForwardBatch: client commands run in order on one session (forward.go).
	KindForwardBatch Kind = 5
	// KindReplicate: a batch of replication stream entries (stream.go).
	KindReplicate Kind = 6
	// KindReplState: a replica's per-slot receiving state (datasteps.go).
	KindReplState Kind = 7
	// KindHandoff: the coordinator asks a primary to hand slots off (handoff.go).
	KindHandoff Kind = 8
	// KindTakeover: a primary tells a synced replica it leads a slot now.
	KindTakeover Kind = 9
	// KindPrefer: a node asks the coordinator to make it the primary of
	// the slots it replicates (CLUSTER FAILOVER, prefer.go).
	KindPrefer Kind = 10
	// KindReport: ask a member for its figures for the cluster view
	// (report.go; the reply is made by the admin port).
	KindReport Kind = 11
)

func (k Kind) String() string {
	switch k {
	case KindPing:
		return "ping"
	case KindForward:
		return "forward"
	case KindPushTable:
		return "push-table"
	case KindPullTable:
		return "pull-table"
	case KindForwardBatch:
		return "forward-batch"
	case KindReplicate:
		return "replicate"
	case KindReplState:
		return "repl-state"
	case KindHandoff:
		return "handoff"
	case KindTakeover:
		return "takeover"
	case KindPrefer:
		return "prefer"
	case KindReport:
		return "report"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// writtenInline reports whether the frames of k's calls and replies are
// written by the goroutine that has them when the connection is idle
// (frameConn.sendNow) rather than handed to the connection's writer: the
// kinds whose callers make one call at a time, so that no other frame of
// theirs could join a batch. KindReplicate: the replication stream's one
// call in flight per peer, and its reply.
func (k Kind) writtenInline() bool { return k == KindReplicate }
