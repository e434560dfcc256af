package ring

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// NodeIDLen is the length of a node ID in characters: 40 lowercase hex
// digits, 160 random bits, exactly as Redis Cluster names its nodes, so that
// CLUSTER NODES, CLUSTER MYID and redis-cli accept ours.
const NodeIDLen = 40

// nodeIDBytes is the number of random bytes behind a NodeID.
const nodeIDBytes = NodeIDLen / 2

// ErrInvalidNodeID is wrapped by every error about a malformed node ID.
var ErrInvalidNodeID = errors.New("invalid node ID")

// NodeID names one incarnation of a node. A restarted node draws a new one
// (its cache starts empty), so an ID is never reused and two processes never
// claim the same name. The zero value "" means "no node".
type NodeID string

// NewNodeID returns a fresh random node ID from crypto/rand.
func NewNodeID() NodeID {
	var b [nodeIDBytes]byte
	// Since Go 1.24 crypto/rand.Read never returns an error: if the
	// system's random source fails, the program crashes instead.
	_, _ = rand.Read(b[:])
	return NodeID(hex.EncodeToString(b[:]))
}

// ParseNodeID checks that s is a well-formed node ID (40 lowercase hex
// digits) and returns it as a NodeID.
func ParseNodeID(s string) (NodeID, error) {
	id := NodeID(s)
	if err := id.Validate(); err != nil {
		return "", err
	}
	return id, nil
}

// Validate returns an error wrapping ErrInvalidNodeID unless id is 40
// lowercase hex digits. Upper case is refused so that one node has exactly
// one spelling (IDs are compared and sorted as strings).
func (id NodeID) Validate() error {
	if len(id) != NodeIDLen {
		return fmt.Errorf("%w: %q has %d characters, want %d", ErrInvalidNodeID, string(id), len(id), NodeIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%w: %q has %q at offset %d, want lowercase hex", ErrInvalidNodeID, string(id), c, i)
		}
	}
	return nil
}

// String returns the ID itself. It also makes NodeID a consistent.Member.
func (id NodeID) String() string { return string(id) }

// appendRaw appends the 20 bytes that id spells in hex.
func (id NodeID) appendRaw(dst []byte) ([]byte, error) {
	if err := id.Validate(); err != nil {
		return dst, err
	}
	return hex.AppendDecode(dst, []byte(id))
}

// nodeIDFromRaw spells 20 raw bytes as a NodeID.
func nodeIDFromRaw(b []byte) NodeID {
	return NodeID(hex.EncodeToString(b))
}
