package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// Routing tables spread in two ways: the coordinator pushes each new table
// to every alive member (transport.KindPushTable), and every node gossips
// the epoch it holds in its metadata, so a node that missed a push sees a
// higher epoch and pulls the table from that member
// (transport.KindPullTable). A node adopts a table only if it is ring.Newer
// than the one it holds.

// errNoTable answers a pull from a node that holds no table yet.
var errNoTable = errors.New("no routing table yet")

// installTable adopts t if it is newer than the current table and reports
// whether it did. from names the source for the log.
func (n *Node) installTable(t *ring.Table, from string) bool {
	v := n.see()
	n.tableMu.Lock()
	cur := n.table.Load()
	if !ring.Newer(t, cur) {
		n.tableMu.Unlock()
		return false
	}
	// Judge the majority against the new table's members before anyone
	// can read the table, not on the control loop's next tick: a node
	// that just bootstrapped a one-node cluster would otherwise refuse
	// writes as a minority until then, and the first clients of a node
	// started alone (main waits for its first table) would meet
	// CLUSTERDOWN.
	n.updateQuorum(t, v)
	n.lease.Adopt(t)
	n.router.SetTable(t, func() { n.table.Store(t) })
	n.tableMu.Unlock()

	_, inTable := t.Member(n.id)
	switch st := State(n.state.Load()); {
	case st == StateDraining:
	case inTable:
		n.setState(StateServing)
	default:
		n.setState(StateJoining)
	}
	n.markMetaDirty() // gossip the new epoch
	n.wakeControl()
	n.lease.Kick() // probe the new table's members now
	if n.repl != nil {
		n.repl.kick() // stream to the table's owners now, not on the next tick
	}
	var prev uint64
	if cur != nil {
		prev = cur.Epoch
	}
	n.logger.Info("routing table adopted", "epoch", t.Epoch, "previous", prev,
		"issuer", t.Issuer, "members", len(t.Members()), "from", from)
	return true
}

// handlePushTable adopts a pushed table if it is newer; the reply is the
// epoch this node holds afterwards (uvarint).
func (n *Node) handlePushTable(_ context.Context, from string, req, reply []byte) ([]byte, error) {
	t := new(ring.Table)
	if err := t.UnmarshalBinary(req); err != nil {
		return nil, fmt.Errorf("push table: %w", err)
	}
	n.installTable(t, from)
	var epoch uint64
	if cur := n.table.Load(); cur != nil {
		epoch = cur.Epoch
	}
	return binary.AppendUvarint(reply, epoch), nil
}

// handlePullTable returns the current table's binary form.
func (n *Node) handlePullTable(_ context.Context, _ string, _, reply []byte) ([]byte, error) {
	t := n.table.Load()
	if t == nil {
		return nil, errNoTable
	}
	b, err := t.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("pull table: %w", err)
	}
	return append(reply, b...), nil
}

// pullTable fetches the table of the member at addr and adopts it if newer.
func (n *Node) pullTable(ctx context.Context, addr string) error {
	b, err := n.client.Call(ctx, addr, transport.KindPullTable, nil)
	if err != nil {
		return err
	}
	t := new(ring.Table)
	if err := t.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("pull table from %s: %w", addr, err)
	}
	n.installTable(t, addr)
	return nil
}

// pushTable sends t to every given cluster address at once and waits for
// all of them (each call bounded by ctx). It returns how many peers hold t's
// epoch or a later one afterwards.
func (n *Node) pushTable(ctx context.Context, t *ring.Table, addrs []string) int {
	b, err := t.MarshalBinary()
	if err != nil {
		n.logger.Error("encode routing table", "epoch", t.Epoch, "err", err)
		return 0
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // guards acks
		acks int
	)
	for _, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reply, err := n.client.Call(ctx, addr, transport.KindPushTable, b)
			if err != nil {
				n.logger.Debug("push routing table", "to", addr, "epoch", t.Epoch, "err", err)
				return
			}
			if epoch, k := binary.Uvarint(reply); k > 0 && epoch >= t.Epoch {
				mu.Lock()
				acks++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return acks
}
