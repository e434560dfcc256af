package cluster

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// knownHorizon is how long the re-join loop keeps contacting the address of
// a node it has not seen alive. A restarted node gets a new ID but usually
// the same address, so the address, not the ID, is what is remembered.
const knownHorizon = time.Hour

// member is what this node knows about one peer (or itself).
type member struct {
	meta      Meta
	alive     bool
	lastAlive time.Time // last time it was seen alive
}

func (m *member) info(self ring.NodeID) NodeInfo {
	return NodeInfo{
		ID:          m.meta.ID,
		ClientAddr:  m.meta.ClientAddr,
		ClusterAddr: m.meta.ClusterAddr,
		StartTime:   time.Unix(0, m.meta.StartTime),
		State:       m.meta.State,
		Epoch:       m.meta.Epoch,
		Alive:       m.alive,
		Self:        m.meta.ID == self,
	}
}

// reapAfter is how long a dead member that no table names stays in the
// member list (so CLUSTER NODES can still show it as failed for a while).
const reapAfter = time.Minute

// memberSet is what this node knows of the cluster's members: every peer
// gossip told it of, alive or not (a dead one stays until reaped or
// forgotten), and the cluster addresses of nodes once seen alive, which
// the re-join loop keeps contacting (membership.go). memberlist's delegate
// updates it from memberlist's goroutines, so no method blocks. Safe for
// concurrent use.
type memberSet struct {
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

func newMemberSet(self ring.NodeID, onDead func(dead map[ring.NodeID]struct{})) *memberSet {
	return &memberSet{self: self, members: make(map[ring.NodeID]*member), known: make(map[string]time.Time), onDead: onDead}
}

// publishDead hands the dead set to onDead. Called with mu held, after a
// member's liveness changed or a member was dropped.
func (s *memberSet) publishDead() {
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

// update records a member's metadata and liveness at now. known: the
// member was known before; was: whether it was alive then.
func (s *memberSet) update(meta Meta, alive bool, now time.Time) (known, was bool) {
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

// remember adds a cluster address to the re-join set (CLUSTER MEET).
func (s *memberSet) remember(addr string, now time.Time) {
	s.mu.Lock()
	s.known[addr] = now
	s.mu.Unlock()
}

// forget drops a dead member and its address (CLUSTER FORGET).
func (s *memberSet) forget(id ring.NodeID) error {
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

// infos describes every member but this node, in no order.
func (s *memberSet) infos() []NodeInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]NodeInfo, 0, len(s.members)+1)
	for id, m := range s.members {
		if id != s.self {
			out = append(out, m.info(s.self))
		}
	}
	return out
}

// addrOf returns the cluster address of an alive member.
func (s *memberSet) addrOf(id ring.NodeID) (string, error) {
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

// aliveIDs returns the IDs of the alive members, this node included.
// isAlive reports whether gossip sees id alive (this node always is).
func (s *memberSet) isAlive(id ring.NodeID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == s.self {
		return true
	}
	m, ok := s.members[id]
	return ok && m.alive
}

func (s *memberSet) aliveIDs() map[ring.NodeID]bool {
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

// see adds every alive member but this node to v, with the highest epoch
// they report.
func (s *memberSet) see(v *view) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, m := range s.members {
		if id == s.self || !m.alive {
			continue
		}
		v.alive[id] = m.meta
		v.maxEpoch = max(v.maxEpoch, m.meta.Epoch)
	}
}

// reap drops members dead for reapAfter at now that t (if any) no longer
// names. Their addresses stay in the re-join set.
func (s *memberSet) reap(t *ring.Table, now time.Time) {
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

// rejoinTargets returns the seeds and known addresses that no alive member
// uses, without selfAddr, sorted; addresses not seen alive for
// knownHorizon at now are forgotten.
func (s *memberSet) rejoinTargets(selfAddr string, seeds []string, now time.Time) []string {
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
