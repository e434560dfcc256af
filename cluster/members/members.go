// Package members is what a node knows of its cluster's members: every
// peer gossip told it of, alive or not, with the metadata it gossips; the
// members gossip reports dead, which the node's router routes nowhere; the
// dead members it drops once no table names them; and the cluster
// addresses of nodes once seen alive, which the node's re-join loop keeps
// contacting (cluster's membership.go). memberlist's delegate updates a
// Set from memberlist's goroutines, so no method blocks. It sends and
// receives nothing itself: state and the time in, answers out, so tables
// test it without sockets.
package members

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
)

// Errors of a Set's look-ups (cluster's own errors of the same names).
var (
	// ErrUnknownNode: no member with that ID is known.
	ErrUnknownNode = errors.New("unknown node")
	// ErrNodeDown: the member is known but not alive.
	ErrNodeDown = errors.New("node is down")
	// ErrForgetAlive: only a dead node can be forgotten; an alive one is
	// still gossiping and would come straight back.
	ErrForgetAlive = errors.New("can't forget an alive node")
)

// Info describes one cluster member as this node sees it.
type Info struct {
	ID          ring.NodeID
	ClientAddr  string // host:port of the RESP port
	ClusterAddr string // host:port of the cluster port
	StartTime   time.Time
	State       wire.State
	Epoch       uint64 // highest routing-table epoch the node has reported
	Alive       bool   // memberlist sees it alive (or suspect, not yet dead)
	Self        bool
}

// knownHorizon is how long the re-join loop keeps contacting the address of
// a node it has not seen alive. A restarted node gets a new ID but usually
// the same address, so the address, not the ID, is what is remembered.
const knownHorizon = time.Hour

// member is what this node knows about one peer (or itself).
type member struct {
	meta      wire.Meta
	alive     bool
	lastAlive time.Time // last time it was seen alive
}

// InfoOf describes the member of metadata meta, alive or not, as the node
// self sees it.
func InfoOf(meta wire.Meta, alive bool, self ring.NodeID) Info {
	return Info{
		ID:          meta.ID,
		ClientAddr:  meta.ClientAddr,
		ClusterAddr: meta.ClusterAddr,
		StartTime:   time.Unix(0, meta.StartTime),
		State:       meta.State,
		Epoch:       meta.Epoch,
		Alive:       alive,
		Self:        meta.ID == self,
	}
}

// reapAfter is how long a dead member that no table names stays in the
// member list (so CLUSTER NODES can still show it as failed for a while).
const reapAfter = time.Minute

// Set is what this node knows of the cluster's members: every peer
// gossip told it of, alive or not (a dead one stays until reaped or
// forgotten), and the cluster addresses of nodes once seen alive, which
// the re-join loop keeps contacting. Safe for concurrent use.
type Set struct {
	self ring.NodeID

	mu      sync.Mutex // guards members, known
	members map[ring.NodeID]*member
	known   map[string]time.Time // cluster address -> last time a node there was alive

	// onDead receives the set of members gossip reports dead (known and
	// not alive, never self), a new map each time, whenever it changes;
	// called with mu held, so in the order of the changes. The node's
	// router (routing.Router.SetDead) routes their slots nowhere. nil:
	// nobody listens.
	onDead func(dead map[ring.NodeID]struct{})
}

// New returns the empty member set of node self; onDead (nil: none) is
// told of the dead members as Set.onDead says.
func New(self ring.NodeID, onDead func(dead map[ring.NodeID]struct{})) *Set {
	return &Set{self: self, members: make(map[ring.NodeID]*member), known: make(map[string]time.Time), onDead: onDead}
}

// publishDead hands the dead set to onDead. Called with mu held, after a
// member's liveness changed or a member was dropped.
func (s *Set) publishDead() {
	if s.onDead == nil {
		return
	}
	dead := make(map[ring.NodeID]struct{})
	for id, m := range s.members {
		if !m.alive && id != s.self {
			dead[id] = struct{}{}
		}
	}
	s.onDead(dead)
}

// Update records a member's metadata and liveness at now. known: the
// member was known before; was: whether it was alive then.
func (s *Set) Update(meta wire.Meta, alive bool, now time.Time) (known, was bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.members[meta.ID]
	known = m != nil
	if !known {
		m = &member{}
		s.members[meta.ID] = m
	}
	was = m.alive
	m.meta = meta
	m.alive = alive
	if was != alive || !known {
		s.publishDead()
	}
	if alive {
		m.lastAlive = now
		if meta.ID != s.self && meta.ClusterAddr != "" {
			s.known[meta.ClusterAddr] = now
		}
	}
	return known, was
}

// Remember adds a cluster address to the re-join set (CLUSTER MEET).
func (s *Set) Remember(addr string, now time.Time) {
	s.mu.Lock()
	s.known[addr] = now
	s.mu.Unlock()
}

// Forget drops a dead member and its address (CLUSTER FORGET).
func (s *Set) Forget(id ring.NodeID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.members[id]
	if m == nil {
		return fmt.Errorf("forget %s: %w", id, ErrUnknownNode)
	}
	if m.alive {
		return fmt.Errorf("forget %s: %w", id, ErrForgetAlive)
	}
	delete(s.members, id)
	delete(s.known, m.meta.ClusterAddr)
	s.publishDead()
	return nil
}

// Infos describes every member but this node, in no order.
func (s *Set) Infos() []Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Info, 0, len(s.members)+1)
	for id, m := range s.members {
		if id != s.self {
			out = append(out, InfoOf(m.meta, m.alive, s.self))
		}
	}
	return out
}

// AddrOf returns the cluster address of an alive member.
func (s *Set) AddrOf(id ring.NodeID) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.members[id]
	switch {
	case m == nil:
		return "", ErrUnknownNode
	case !m.alive:
		return "", ErrNodeDown
	}
	return m.meta.ClusterAddr, nil
}

// IsAlive reports whether gossip sees id alive (this node always is).
func (s *Set) IsAlive(id ring.NodeID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == s.self {
		return true
	}
	m, ok := s.members[id]
	return ok && m.alive
}

// AliveIDs returns the IDs of the alive members, this node included.
func (s *Set) AliveIDs() map[ring.NodeID]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[ring.NodeID]bool, len(s.members)+1)
	out[s.self] = true
	for id, m := range s.members {
		if m.alive {
			out[id] = true
		}
	}
	return out
}

// AddAlive adds every alive member but this node to alive and returns the
// highest epoch they report.
func (s *Set) AddAlive(alive map[ring.NodeID]wire.Meta) (maxEpoch uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, m := range s.members {
		if id == s.self || !m.alive {
			continue
		}
		alive[id] = m.meta
		maxEpoch = max(maxEpoch, m.meta.Epoch)
	}
	return maxEpoch
}

// Reap drops members dead for reapAfter at now that t (if any) no longer
// names. Their addresses stay in the re-join set.
func (s *Set) Reap(t *ring.Table, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reaped := false
	for id, m := range s.members {
		if m.alive || id == s.self || now.Sub(m.lastAlive) < reapAfter {
			continue
		}
		if t != nil {
			if _, named := t.Member(id); named {
				continue
			}
		}
		delete(s.members, id)
		reaped = true
	}
	if reaped {
		s.publishDead()
	}
}

// RejoinTargets returns the seeds and known addresses that no alive member
// uses, without selfAddr, sorted; addresses not seen alive for
// knownHorizon at now are forgotten.
func (s *Set) RejoinTargets(selfAddr string, seeds []string, now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	alive := map[string]bool{selfAddr: true}
	for _, m := range s.members {
		if m.alive {
			alive[m.meta.ClusterAddr] = true
		}
	}
	var out []string
	for _, a := range seeds {
		if !alive[a] {
			out = append(out, a)
		}
	}
	for addr, seen := range s.known {
		if now.Sub(seen) > knownHorizon {
			delete(s.known, addr)
			continue
		}
		if !alive[addr] && !slices.Contains(out, addr) {
			out = append(out, addr)
		}
	}
	slices.Sort(out)
	return out
}
