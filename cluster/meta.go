package cluster

import "github.com/meshcache/meshcache/cluster/wire"

// The gossip metadata (Meta, its State) and its encoding are in package
// wire; these names keep the cluster API.

// State is a node's lifecycle state as gossiped in its metadata.
type State = wire.State

// Node states, in lifecycle order (wire.StateJoining and the others).
const (
	StateJoining  = wire.StateJoining
	StateServing  = wire.StateServing
	StateDraining = wire.StateDraining
)

// Meta is what a node gossips about itself (wire.Meta).
type Meta = wire.Meta
