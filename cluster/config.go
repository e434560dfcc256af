package cluster

import (
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// ClusterPortOffset is added to a client port to get the default cluster
// port, as in Redis Cluster.
const ClusterPortOffset = 10000

// Config configures a cluster Node. The server's own configuration is
// converted into it by the binary; zero values take the defaults below.
type Config struct {
	// NodeID names this node; empty draws a fresh random ID (a restarted
	// node is a new node: its cache is empty).
	NodeID ring.NodeID
	// ClientAddr is the host:port clients reach this node's RESP port at.
	// It is gossiped, and used to derive the cluster port when BindAddr
	// is empty. Required.
	ClientAddr string
	// BindAddr is the host:port the cluster port (gossip and RPC) binds
	// to. Empty: ClientAddr's host with its port plus ClusterPortOffset.
	// Port 0 picks a free port (tests).
	BindAddr string
	// AdvertiseAddr is the cluster host:port peers use, when it differs
	// from the bound address (NAT, containers).
	AdvertiseAddr string
	// Join lists seed nodes by their cluster address (host:port).
	Join []string
	// Key enables gossip encryption (AES-GCM); 16, 24 or 32 bytes. See
	// ParseKey for the textual forms accepted on the command line.
	Key []byte
	// Profile names the timing profile: "lan" (default), "wan" or "local".
	Profile string
	// Replicas is the number of replicas per slot in the target placement.
	Replicas int
	// NodeTimeout overrides the profile's node timeout: how long the node
	// may miss a majority before it reports no quorum.
	NodeTimeout time.Duration
	// MaxFrameSize bounds one internode RPC frame; 0 means
	// transport.DefaultMaxFrameSize, and less than transport.MinFrameSize
	// is refused.
	MaxFrameSize int
	// Faults, when not nil, injects network faults (tests).
	Faults *transport.Faults
	// Network, when not nil, puts the node on an in-memory network
	// (tests) instead of binding a cluster port: BindAddr and
	// AdvertiseAddr are ignored, and the network's Faults apply.
	Network *transport.MemNetwork

	// Store is the node's keyspace. With a store, the node replicates the
	// slots it leads to their replicas, builds replicas by slot transfer,
	// fails over and moves slots by handoff (replicator.go); without one
	// (tests of membership alone) ownership changes move no data.
	Store *store.Store
	// MigrationRate bounds the bytes per second that slot transfers
	// (snapshots) send, all transfers together; 0 means
	// DefaultMigrationRate.
	MigrationRate int64
	// MaxTransfers bounds the slot transfers this node runs at once as a
	// primary; 0 means DefaultMaxTransfers.
	MaxTransfers int
	// MigrationBatch bounds the slots the coordinator moves to a new
	// primary at once (join, leave, rebalancing), from the step that makes
	// the new primary a replica to the handoff; 0 means
	// DefaultMigrationBatch.
	MigrationBatch int
	// MigrationInterval overrides the profile's least time between two
	// rebalance steps; 0 keeps the profile's.
	MigrationInterval time.Duration
	// FailoverEmptyAfter, when positive, lets the coordinator give a slot
	// with no reachable synced copy (every copy is cut off or crashed) to
	// a live node empty once it has been held that long: the slot serves
	// again, and every write it held is lost. Zero, the default, holds
	// such a slot unavailable (-CLUSTERDOWN) until a copy returns.
	FailoverEmptyAfter time.Duration
	// ReplQueueBytes bounds the bytes queued for one replica before it is
	// dropped and re-synced; 0 means DefaultReplQueueBytes.
	ReplQueueBytes int
}

// Defaults of the data-movement settings.
const (
	DefaultMigrationRate  = 4 << 20 // bytes per second
	DefaultMaxTransfers   = 32
	DefaultMigrationBatch = 512
)

// ParseKey reads a cluster key given as base64 (standard encoding) of 16,
// 24 or 32 bytes, or as 16, 24 or 32 raw bytes. Base64 is tried first, so a
// raw key that happens to be valid base64 of a valid length (32 hex digits
// are base64 of 24 bytes) is read as base64; every node reads it the same
// way, so the cluster still agrees. `openssl rand -base64 32` makes a key.
func ParseKey(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && validKeyLen(len(b)) {
		return b, nil
	}
	if validKeyLen(len(s)) {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("cluster key: want 16, 24 or 32 bytes, raw or base64 (got %d characters)", len(s))
}

func validKeyLen(n int) bool { return n == 16 || n == 24 || n == 32 }

// ClusterAddrFor returns the default cluster address for a client address:
// the same host, port plus ClusterPortOffset.
func ClusterAddrFor(clientAddr string) (string, error) {
	host, portStr, err := net.SplitHostPort(clientAddr)
	if err != nil {
		return "", fmt.Errorf("client address %q: %w", clientAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port+ClusterPortOffset > 65535 {
		return "", fmt.Errorf("client address %q: port must be 1 to %d to derive a cluster port", clientAddr, 65535-ClusterPortOffset)
	}
	return net.JoinHostPort(host, strconv.Itoa(port+ClusterPortOffset)), nil
}

// withDefaults validates c and fills in defaults.
func (c Config) withDefaults() (Config, Profile, error) {
	p, err := ProfileByName(c.Profile)
	if err != nil {
		return c, p, err
	}
	if c.ClientAddr == "" {
		return c, p, fmt.Errorf("cluster config: client address is required")
	}
	if _, _, err := net.SplitHostPort(c.ClientAddr); err != nil {
		return c, p, fmt.Errorf("cluster config: client address %q: %w", c.ClientAddr, err)
	}
	if c.NodeID == "" {
		c.NodeID = ring.NewNodeID()
	} else if err := c.NodeID.Validate(); err != nil {
		return c, p, fmt.Errorf("cluster config: %w", err)
	}
	if c.BindAddr == "" {
		if c.BindAddr, err = ClusterAddrFor(c.ClientAddr); err != nil {
			return c, p, fmt.Errorf("cluster config: %w", err)
		}
	}
	if c.Key != nil && !validKeyLen(len(c.Key)) {
		return c, p, fmt.Errorf("cluster config: key of %d bytes, want 16, 24 or 32", len(c.Key))
	}
	if c.Replicas < 0 || c.Replicas > ring.MaxReplicas {
		return c, p, fmt.Errorf("cluster config: replicas %d, want 0 to %d", c.Replicas, ring.MaxReplicas)
	}
	if c.NodeTimeout > 0 {
		p.NodeTimeout = c.NodeTimeout
	}
	if c.MigrationInterval > 0 {
		p.MigrationInterval = c.MigrationInterval
	}
	if c.MigrationRate < 0 || c.MaxTransfers < 0 || c.MigrationBatch < 0 || c.ReplQueueBytes < 0 || c.MigrationInterval < 0 || c.FailoverEmptyAfter < 0 {
		return c, p, fmt.Errorf("cluster config: migration and failover settings must not be negative")
	}
	if c.MigrationRate == 0 {
		c.MigrationRate = DefaultMigrationRate
	}
	if c.MaxTransfers == 0 {
		c.MaxTransfers = DefaultMaxTransfers
	}
	if c.MigrationBatch == 0 {
		c.MigrationBatch = DefaultMigrationBatch
	}
	if c.ReplQueueBytes == 0 {
		c.ReplQueueBytes = DefaultReplQueueBytes
	}
	switch {
	case c.MaxFrameSize == 0:
		c.MaxFrameSize = transport.DefaultMaxFrameSize
	case c.MaxFrameSize < transport.MinFrameSize:
		return c, p, fmt.Errorf("cluster config: max frame size %d, want at least %d (a routing table must fit)", c.MaxFrameSize, transport.MinFrameSize)
	}
	return c, p, nil
}
