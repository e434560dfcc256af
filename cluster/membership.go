package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/meshcache/meshcache/cluster/members"
	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
)

// NodeInfo describes one cluster member as this node sees it
// (members.Info).
type NodeInfo = members.Info

// memberDelegate gives memberlist this node's metadata and receives
// membership events. memberlist calls it from its own goroutines, sometimes
// under its locks, so every method is short and never blocks: it updates the
// member view (members.Set) and wakes the control loop.
type memberDelegate struct{ n *Node }

var (
	_ memberlist.Delegate      = memberDelegate{}
	_ memberlist.EventDelegate = memberDelegate{}
	_ memberlist.AliveDelegate = memberDelegate{}
)

// NodeMeta implements memberlist.Delegate.
func (d memberDelegate) NodeMeta(limit int) []byte {
	meta := d.n.localMeta()
	b, err := meta.Encode()
	if err != nil || len(b) > limit {
		// Config validation makes this unreachable (the ID is checked
		// and addresses are short); gossip an empty meta rather than
		// crash memberlist, and peers will refuse us loudly.
		d.n.logger.Error("encode node metadata", "err", err, "size", len(b), "limit", limit)
		return nil
	}
	return b
}

// NotifyMsg implements memberlist.Delegate; we send no user messages.
func (memberDelegate) NotifyMsg([]byte) {}

// GetBroadcasts implements memberlist.Delegate; we broadcast nothing but
// node metadata.
func (memberDelegate) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState implements memberlist.Delegate; routing tables travel over
// RPC, not in push/pull.
func (memberDelegate) LocalState(bool) []byte { return nil }

// MergeRemoteState implements memberlist.Delegate.
func (memberDelegate) MergeRemoteState([]byte, bool) {}

// NotifyAlive implements memberlist.AliveDelegate: it refuses peers whose
// metadata does not parse or does not match their name, so a foreign
// memberlist cluster on the same port never mixes with ours.
func (d memberDelegate) NotifyAlive(peer *memberlist.Node) error {
	meta, err := wire.DecodeMeta(peer.Meta)
	if err != nil {
		return fmt.Errorf("peer %s: %w", peer.Name, err)
	}
	if string(meta.ID) != peer.Name {
		return fmt.Errorf("peer %s: metadata names node %s", peer.Name, meta.ID)
	}
	return nil
}

// NotifyJoin implements memberlist.EventDelegate.
func (d memberDelegate) NotifyJoin(peer *memberlist.Node) { d.n.observe(peer, true) }

// NotifyUpdate implements memberlist.EventDelegate.
func (d memberDelegate) NotifyUpdate(peer *memberlist.Node) { d.n.observe(peer, true) }

// NotifyLeave implements memberlist.EventDelegate.
func (d memberDelegate) NotifyLeave(peer *memberlist.Node) { d.n.observe(peer, false) }

// observe records a peer's metadata and liveness and wakes the control loop.
func (n *Node) observe(peer *memberlist.Node, alive bool) {
	meta, err := wire.DecodeMeta(peer.Meta)
	if err != nil {
		n.logger.Warn("ignoring member with bad metadata", "name", peer.Name, "err", err)
		return
	}
	known, was := n.members.Update(meta, alive, time.Now())
	if was != alive {
		n.logger.Info("member changed", "node", meta.ID, "cluster_addr", meta.ClusterAddr, "alive", alive)
		if known {
			n.recordLiveness(meta, alive)
		}
		if known && meta.ID != n.id && meta.ClusterAddr != "" {
			// A connection from before the change may be dead (the peer
			// restarted) or stalled in TCP's retransmission backoff (a
			// healed partition): calls after the change dial afresh.
			n.client.Drop(meta.ClusterAddr, fmt.Errorf("connection to %s: member %s changed liveness", meta.ClusterAddr, meta.ID))
		}
	}
	n.wakeControl()
}

// rejoinLoop joins the seeds at start, retrying with backoff until one
// answers, and then keeps contacting the seeds and every known node that
// memberlist does not see alive, every RejoinInterval. memberlist alone never
// merges the two sides of a healed partition (each has declared the other
// dead and stops probing it); this loop does. Run by Start; stops with ctx.
func (n *Node) rejoinLoop(ctx context.Context) {
	defer n.wg.Done()
	backoff := 50 * time.Millisecond
	for {
		if targets := n.rejoinTargets(); len(targets) > 0 {
			contacted, err := n.join(targets)
			switch {
			case contacted > 0:
				if !n.joined.Swap(true) {
					n.logger.Info("joined cluster", "contacted", contacted)
				}
			case err != nil && !n.joined.Load():
				n.logger.Warn("join seeds", "seeds", targets, "err", err, "retry_in", backoff)
			case err != nil:
				n.logger.Debug("re-join", "targets", targets, "err", err)
			}
		}
		wait := n.profile.RejoinInterval
		if !n.joined.Load() {
			wait = backoff
			backoff = min(2*backoff, n.profile.RejoinInterval)
		}
		select {
		case <-ctx.Done():
			return
		case <-n.rejoinNow:
		case <-time.After(wait):
		}
	}
}

// maxParallelJoins bounds the push/pull exchanges one re-join round runs at
// once.
const maxParallelJoins = 8

// join contacts every target in parallel (memberlist's Join goes one by
// one, and an address that blackholes packets costs a whole TCP timeout) and
// returns how many answered.
func (n *Node) join(targets []string) (int, error) {
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex // guards contacted, errs
		contacted int
		errs      []error
	)
	sem := make(chan struct{}, maxParallelJoins)
	for _, addr := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			k, err := n.ml.Join([]string{addr})
			mu.Lock()
			contacted += k
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return contacted, errors.Join(errs...)
}

// rejoinTargets returns the seeds and known addresses that no alive member
// uses, without our own address.
func (n *Node) rejoinTargets() []string {
	return n.members.RejoinTargets(n.transport.Addr(), n.cfg.Join, time.Now())
}

// slogWriter routes memberlist's log lines ("[LEVEL] memberlist: text") to
// slog at the matching level.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	for _, lv := range []struct {
		prefix string
		level  slog.Level
	}{
		{"[DEBUG]", slog.LevelDebug},
		{"[INFO]", slog.LevelInfo},
		{"[WARN]", slog.LevelWarn},
		{"[ERR]", slog.LevelError},
		{"[ERROR]", slog.LevelError},
	} {
		if rest, ok := strings.CutPrefix(msg, lv.prefix); ok {
			level, msg = lv.level, strings.TrimSpace(rest)
			break
		}
	}
	msg = strings.TrimPrefix(msg, "memberlist: ")
	w.l.Log(context.Background(), level, msg)
	return len(p), nil
}

// Meet joins the cluster of the node whose client address is clientAddr
// (CLUSTER MEET ip port [cluster-port]): its cluster port is clusterPort, or
// the client port plus ClusterPortOffset when clusterPort is 0. The address
// is remembered, so the re-join loop keeps trying it if this attempt fails.
func (n *Node) Meet(ctx context.Context, clientAddr string, clusterPort int) error {
	addr, err := ClusterAddrFor(clientAddr)
	if err != nil {
		return fmt.Errorf("meet: %w", err)
	}
	if clusterPort != 0 {
		host, _, _ := net.SplitHostPort(clientAddr)
		addr = net.JoinHostPort(host, strconv.Itoa(clusterPort))
	}
	if n.ml == nil {
		return fmt.Errorf("meet %s: node not started", addr)
	}
	n.members.Remember(addr, time.Now())
	done := make(chan error, 1)
	go func() { // memberlist's Join takes no context; bound the wait by ctx
		_, err := n.ml.Join([]string{addr})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("meet %s: %w", addr, err)
		}
		n.joined.Store(true)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("meet %s: %w", addr, ctx.Err())
	}
}

// Forget drops a dead node from the member list and stops re-joining its
// address (CLUSTER FORGET). An alive node cannot be forgotten.
func (n *Node) Forget(id ring.NodeID) error {
	if id == n.id {
		return ErrForgetSelf
	}
	return n.members.Forget(id)
}

// localMeta is the metadata this node gossips about itself.
func (n *Node) localMeta() Meta {
	var (
		epoch  uint64
		issuer ring.NodeID
	)
	if t := n.table.Load(); t != nil {
		epoch, issuer = t.Epoch, t.Issuer
	}
	return Meta{
		ID:          n.id,
		ClientAddr:  n.cfg.ClientAddr,
		ClusterAddr: n.transport.Addr(),
		StartTime:   n.started.UnixNano(),
		State:       State(n.state.Load()),
		Epoch:       epoch,
		Issuer:      issuer,
	}
}

// setState changes the gossiped state.
func (n *Node) setState(s State) {
	if State(n.state.Swap(uint32(s))) != s {
		n.markMetaDirty()
	}
}

func (n *Node) markMetaDirty() {
	select {
	case n.metaDirty <- struct{}{}:
	default:
	}
}

// metaLoop re-gossips our metadata whenever it changes (state, epoch).
// memberlist's UpdateNode blocks until the update is broadcast, so it runs
// here rather than in the caller. Run by Start; stops with ctx.
func (n *Node) metaLoop(ctx context.Context) {
	defer n.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.metaDirty:
		}
		// UpdateNode queues the broadcast, then waits for it to be sent
		// (with no regard to Shutdown): wait briefly, the broadcast
		// stays queued either way.
		if err := n.updateMeta(5 * n.profile.GossipInterval); err != nil {
			n.logger.Debug("gossip metadata update", "err", err)
		}
	}
}

// updateMeta re-gossips our metadata and waits up to timeout for the
// broadcast. Calls are serialized: memberlist's UpdateNode takes a new
// incarnation number before it takes its lock, so of two concurrent calls
// the one with the lower number is dropped without ever notifying its
// caller, which would then wait out its whole timeout.
func (n *Node) updateMeta(timeout time.Duration) error {
	n.updateMu.Lock()
	defer n.updateMu.Unlock()
	return n.ml.UpdateNode(timeout)
}
