package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// Planned failover (CLUSTER FAILOVER, docs/DESIGN.md §5). A node asks the
// coordinator to make it the primary of every slot it replicates, as a
// Redis replica takes over its master's slots. The coordinator records the
// wish in the routing table (ring.Table.SetPreferred), so that it outlives
// a change of coordinator, and from then on plans toward the target
// placement with preferences (ring.Placement.WithPreferences): the node
// leads those slots and their old primaries replicate them. The ordinary
// rebalance step gets there by handoffs (fence, last offset, switch), so no
// acknowledged write is lost, and the old primary keeps its copy as the new
// primary's replica (wire.EntryAdopt): nothing is copied.
//
// A preference lasts until its node dies, drains or leaves, or another
// node's CLUSTER FAILOVER takes the slot.

// Errors of Failover.
var (
	// ErrNotReplica: the node replicates no slot it could lead.
	ErrNotReplica = errors.New("this node replicates no slot it could take over")
	// errNotCoordinator: the request reached a node that does not act as
	// coordinator right now.
	errNotCoordinator = errors.New("not the coordinator")
)

// preferTimeout bounds the coordinator's wait for its control loop to
// record a failover (the loop may be busy with a rebalance batch); the
// requester waits a little longer, for the answer to come back.
const preferTimeout = 10 * time.Second

// preferRequest is a node's CLUSTER FAILOVER waiting for the control loop.
type preferRequest struct {
	id   ring.NodeID
	done chan preferResult // buffered(1); the control loop sends once
}

type preferResult struct {
	slots int
	err   error
}

// preferQueue holds the requests the control loop has not taken yet.
type preferQueue struct {
	mu   sync.Mutex // guards reqs
	reqs []*preferRequest
}

func (q *preferQueue) push(r *preferRequest) {
	q.mu.Lock()
	q.reqs = append(q.reqs, r)
	q.mu.Unlock()
}

func (q *preferQueue) take() []*preferRequest {
	q.mu.Lock()
	defer q.mu.Unlock()
	reqs := q.reqs
	q.reqs = nil
	return reqs
}

// resolve answers every request with err, or with the slots recorded.
func resolve(reqs []*preferRequest, slots map[ring.NodeID]int, err error) {
	for _, r := range reqs {
		switch {
		case err != nil:
			r.done <- preferResult{err: err}
		case slots[r.id] == 0:
			r.done <- preferResult{err: ErrNotReplica}
		default:
			r.done <- preferResult{slots: slots[r.id]}
		}
	}
}

// Failover asks the coordinator to make this node the primary of every
// slot it replicates (CLUSTER FAILOVER) and returns how many slots it will
// take over. It returns once the preference is in a routing table; the
// handoffs follow within seconds, as the rebalance step runs them.
func (n *Node) Failover(ctx context.Context) (int, error) {
	if n.repl == nil {
		return 0, errors.New("failover: replication is off (no store)")
	}
	t := n.table.Load()
	if t == nil || len(t.ReplicaSlots(n.id)) == 0 {
		return 0, ErrNotReplica
	}
	ctx, cancel := context.WithTimeout(ctx, preferTimeout+n.profile.TCPTimeout)
	defer cancel()
	for {
		slots, err := n.askPreference(ctx)
		if !notCoordinator(err) {
			return slots, err
		}
		// The node asked could not act as coordinator on that pass (its
		// majority not confirmed, the membership moving under load): ask
		// whoever is coordinator then, until the time runs out.
		select {
		case <-ctx.Done():
			return slots, err
		case <-time.After(preferRetry):
		}
	}
}

// preferRetry is how long Failover waits before it asks again after "not
// the coordinator".
const preferRetry = 100 * time.Millisecond

// notCoordinator reports whether err is errNotCoordinator, here or from
// the node asked.
func notCoordinator(err error) bool {
	var re *transport.RemoteError
	return errors.Is(err, errNotCoordinator) || errors.As(err, &re) && re.Msg == errNotCoordinator.Error()
}

// askPreference asks the coordinator of this node's view once to record
// its failover (Failover).
func (n *Node) askPreference(ctx context.Context) (int, error) {
	c := coordinatorIn(n.see())
	if c.ID == n.id {
		return n.requestPreference(ctx, n.id)
	}
	b, err := n.client.Call(ctx, c.ClusterAddr, transport.KindPrefer, []byte(n.id))
	if err != nil {
		return 0, fmt.Errorf("failover: ask coordinator %s: %w", c.ID, err)
	}
	slots, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, fmt.Errorf("failover: reply from coordinator %s: bad uvarint", c.ID)
	}
	if slots == 0 {
		return 0, ErrNotReplica
	}
	return int(slots), nil
}

// handlePrefer records a node's failover request (request: its ID; reply:
// the slots recorded, uvarint, 0 if none).
func (n *Node) handlePrefer(ctx context.Context, _ string, req, reply []byte) ([]byte, error) {
	id := ring.NodeID(req)
	if err := id.Validate(); err != nil {
		return nil, fmt.Errorf("prefer request: %w", err)
	}
	slots, err := n.requestPreference(ctx, id)
	if err != nil && !errors.Is(err, ErrNotReplica) {
		return nil, err
	}
	return binary.AppendUvarint(reply, uint64(slots)), nil
}

// requestPreference queues id's request for the control loop and waits
// for its answer.
func (n *Node) requestPreference(ctx context.Context, id ring.NodeID) (int, error) {
	r := &preferRequest{id: id, done: make(chan preferResult, 1)}
	n.prefer.push(r)
	n.wakeControl()
	ctx, cancel := context.WithTimeout(ctx, preferTimeout)
	defer cancel()
	select {
	case res := <-r.done:
		return res.slots, res.err
	case <-ctx.Done():
		return 0, fmt.Errorf("failover request of %s not recorded: %w", id, ctx.Err())
	}
}
