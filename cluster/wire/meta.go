package wire

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/ring"
)

// State is a node's lifecycle state as gossiped in its metadata.
type State uint8

// Node states, in lifecycle order.
const (
	// StateJoining: the node is up but has not yet seen a routing table.
	StateJoining State = iota + 1
	// StateServing: the node has a routing table and serves its slots.
	StateServing
	// StateDraining: the node is leaving and hands its slots to others.
	StateDraining
)

// String returns the state's lower-case name.
func (s State) String() string {
	switch s {
	case StateJoining:
		return "joining"
	case StateServing:
		return "serving"
	case StateDraining:
		return "draining"
	default:
		return fmt.Sprintf("state(%d)", uint8(s))
	}
}

// metaVersion is the version byte that starts every encoded Meta. Decoders
// accept this version and any later one, and ignore bytes after the fields they
// know, so a newer node may append fields without breaking older ones.
const metaVersion = 2

// MetaMaxSize is memberlist's limit for node metadata.
const MetaMaxSize = 512

// IDLen is the length of a node ID in hex characters (Redis's format).
const IDLen = ring.NodeIDLen

// Meta is what a node gossips about itself: enough for any peer to route to
// it, order it for the coordinator election, and notice a newer routing table.
type Meta struct {
	ID          ring.NodeID // also the memberlist node name
	ClientAddr  string      // host:port of the RESP port
	ClusterAddr string      // host:port of the cluster (gossip and RPC) port
	StartTime   int64       // unix nanoseconds when the node started; older wins the election
	State       State
	Epoch       uint64      // highest routing-table epoch the node holds
	Issuer      ring.NodeID // that table's issuer: it settles equal epochs (ring.Newer)
}

// HoldsNewer reports whether the node holds a table newer, in ring.Newer's
// order, than one of epoch and issuer: two nodes that bootstrapped at once
// can hold different tables of one epoch, and the loser must learn it.
func (m Meta) HoldsNewer(epoch uint64, issuer ring.NodeID) bool {
	return m.Epoch > epoch || m.Epoch == epoch && m.Issuer > issuer
}

// PlanMember returns the member as the planner sees it.
func (m Meta) PlanMember() plan.Member {
	return plan.Member{ID: m.ID, Addr: m.ClientAddr, ClusterAddr: m.ClusterAddr, Draining: m.State == StateDraining}
}

// Encode returns the binary form of m:
//
//	version(1) id(20, raw) start(8, big endian) state(1)
//	epoch(uvarint) len(uvarint) client-addr len(uvarint) cluster-addr
//	len(uvarint) issuer(raw; since version 2)
func (m *Meta) Encode() ([]byte, error) {
	if err := m.ID.Validate(); err != nil {
		return nil, fmt.Errorf("encode meta: %w", err)
	}
	id, err := hex.DecodeString(string(m.ID))
	if err != nil {
		return nil, fmt.Errorf("encode meta: %w", err)
	}
	b := make([]byte, 0, 1+len(id)+8+1+4*binary.MaxVarintLen64+len(m.ClientAddr)+len(m.ClusterAddr)+len(id))
	b = append(b, metaVersion)
	b = append(b, id...)
	b = binary.BigEndian.AppendUint64(b, uint64(m.StartTime))
	b = append(b, byte(m.State))
	b = binary.AppendUvarint(b, m.Epoch)
	b = binary.AppendUvarint(b, uint64(len(m.ClientAddr)))
	b = append(b, m.ClientAddr...)
	b = binary.AppendUvarint(b, uint64(len(m.ClusterAddr)))
	b = append(b, m.ClusterAddr...)
	var issuer []byte
	if m.Issuer != "" {
		if issuer, err = hex.DecodeString(string(m.Issuer)); err != nil {
			return nil, fmt.Errorf("encode meta: issuer: %w", err)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(issuer)))
	b = append(b, issuer...)
	if len(b) > MetaMaxSize {
		return nil, fmt.Errorf("encode meta: %d bytes, limit is %d", len(b), MetaMaxSize)
	}
	return b, nil
}

var errShortMeta = errors.New("truncated")

// DecodeMeta parses the output of Meta.Encode.
func DecodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) < 1+IDLen/2+8+1 {
		return m, fmt.Errorf("decode meta: %w (%d bytes)", errShortMeta, len(b))
	}
	version := b[0]
	if version < 1 {
		return m, fmt.Errorf("decode meta: unknown version %d", version)
	}
	b = b[1:]
	m.ID = ring.NodeID(hex.EncodeToString(b[:IDLen/2]))
	b = b[IDLen/2:]
	m.StartTime = int64(binary.BigEndian.Uint64(b))
	b = b[8:]
	m.State = State(b[0])
	b = b[1:]
	epoch, n := binary.Uvarint(b)
	if n <= 0 {
		return m, fmt.Errorf("decode meta: epoch: %w", errShortMeta)
	}
	m.Epoch = epoch
	b = b[n:]
	var err error
	if m.ClientAddr, b, err = decodeMetaString(b); err != nil {
		return m, fmt.Errorf("decode meta: client address: %w", err)
	}
	if m.ClusterAddr, b, err = decodeMetaString(b); err != nil {
		return m, fmt.Errorf("decode meta: cluster address: %w", err)
	}
	if version < 2 {
		return m, nil
	}
	issuer, _, err := decodeMetaString(b)
	switch {
	case err != nil:
		return m, fmt.Errorf("decode meta: issuer: %w", err)
	case len(issuer) != 0 && len(issuer) != IDLen/2:
		return m, fmt.Errorf("decode meta: issuer of %d bytes", len(issuer))
	}
	if issuer != "" {
		m.Issuer = ring.NodeID(hex.EncodeToString([]byte(issuer)))
	}
	return m, nil
}

func decodeMetaString(b []byte) (string, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return "", nil, errShortMeta
	}
	return string(b[n : n+int(l)]), b[n+int(l):], nil
}
