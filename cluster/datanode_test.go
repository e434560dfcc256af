package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// dataNode is an in-process node with a real store: the node replicates
// the store's effects, as in the server.
type dataNode struct {
	*Node
	st *store.Store
}

// startDataNode starts a node with its own store (local profile) on the
// test's in-memory network (o.tcp: on loopback); it is closed without
// leaving when the test ends.
func startDataNode(t *testing.T, ctx context.Context, logger *slog.Logger, o nodeOpts) *dataNode {
	t.Helper()
	st := store.New(store.Config{})
	n, err := New(Config{
		ClientAddr:     fmt.Sprintf("127.0.0.1:%d", 20000+clientPorts.Add(1)),
		BindAddr:       "127.0.0.1:0",
		Join:           o.join,
		Profile:        cmp.Or(o.profile, "local"),
		Replicas:       o.replicas,
		Faults:         o.faults,
		Network:        o.network(t),
		Store:          st,
		MigrationBatch: cmp.Or(o.batch, ring.SlotCount),
	}, &echoExecutor{}, logger)
	require.NoError(t, err)
	require.NoError(t, n.Start(ctx))
	t.Cleanup(func() { _ = n.Close() })
	return &dataNode{Node: n, st: st}
}

func startDataCluster(t *testing.T, ctx context.Context, size int, o nodeOpts) []*dataNode {
	t.Helper()
	logger := testLogger(t)
	first := startDataNode(t, ctx, logger, o)
	nodes := []*dataNode{first}
	o.join = []string{first.ClusterAddr()}
	for range size - 1 {
		nodes = append(nodes, startDataNode(t, ctx, logger, o))
	}
	waitSettled(t, ctx, nodes, o.replicas)
	waitMembership(t, plain(nodes))
	return nodes
}

func plain(nodes []*dataNode) []*Node {
	out := make([]*Node, len(nodes))
	for i, n := range nodes {
		out[i] = n.Node
	}
	return out
}

// settled reports whether the nodes hold one table naming exactly them,
// equal to their target placement, with every led slot's replicas synced.
func settled(nodes []*dataNode, p *ring.Placement, replicas int) (bool, string) {
	if ok, why := converged(plain(nodes), plain(nodes)); !ok {
		return false, why
	}
	t := nodes[0].Table()
	if d := t.Diff(p.WithPreferences(t)); len(d) > 0 {
		return false, fmt.Sprintf("%d slots differ from the target placement; first: %s", len(d), describeSlot(nodes, d[0]))
	}
	for s := range ring.SlotCount {
		if st := t.State(uint16(s)); st.Kind != ring.SlotStable {
			return false, fmt.Sprintf("slot %d is %s", s, st.Kind)
		}
	}
	for _, n := range nodes {
		info := n.ReplicationInfo()
		// Alone, a node with replicas configured is degraded by definition.
		if info.DegradedSlots > 0 && len(nodes) > 1 {
			return false, fmt.Sprintf("%s has %d degraded slots", n.ID()[:8], info.DegradedSlots)
		}
		if want := len(t.PrimarySlots(n.ID())); info.LedSlots != want {
			return false, fmt.Sprintf("%s leads %d slots, table says %d", n.ID()[:8], info.LedSlots, want)
		}
		live := 0
		for _, ps := range info.Peers {
			live += ps.LiveSlots
		}
		if want := len(t.PrimarySlots(n.ID())) * min(replicas, len(nodes)-1); live != want {
			extra, dup, notLed := 0, 0, 0
			for s := range ring.SlotCount {
				seen := map[ring.NodeID]bool{}
				for _, a := range n.repl.slots[s].attachments() {
					if !a.live.Load() {
						continue
					}
					if seen[a.p.id] {
						dup++
					}
					seen[a.p.id] = true
					if t.Primary(uint16(s)) != n.ID() {
						notLed++
					} else if !t.IsOwner(uint16(s), a.p.id) {
						extra++
					}
				}
			}
			return false, fmt.Sprintf("%s has %d live replica streams, want %d (%d to non-owners, %d duplicates, %d in slots it does not lead)",
				n.ID()[:8], live, want, extra, dup, notLed)
		}
	}
	return true, ""
}

// waitSettled waits until settled, or fails once ctx (the test's context,
// 90 s or more for the tests that move data) ends: under -race on a loaded
// machine a join moves 16384 slots for a minute.
func waitSettled(t *testing.T, ctx context.Context, nodes []*dataNode, replicas int) {
	t.Helper()
	ids := make([]ring.NodeID, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID()
	}
	slices.Sort(ids)
	p, err := ring.Place(ids, replicas)
	require.NoError(t, err)
	for {
		ok, why := settled(nodes, p, replicas)
		if ok {
			return
		}
		if ctx.Err() != nil {
			require.FailNow(t, "cluster did not settle", why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// errNoLeader: no node leads the key's slot right now (failover or handoff
// in progress); the write was not made.
var errNoLeader = errors.New("no node leads the slot")

// leader returns the node that leads slot now, by its own word, and holds
// its quorum lease (WaitHealthy, as the server asks before a command).
func leader(nodes []*dataNode, slot uint16) *dataNode {
	for _, n := range nodes {
		if n.closed.Load() {
			continue
		}
		if _, local := n.Route(slot); local && n.WaitHealthy() {
			return n
		}
	}
	return nil
}

// leaderWithin looks for the node that leads slot (leader) for up to d or
// until ctx ends: on a loaded machine a lease (a fraction of a second on the
// local profile) can lapse for a moment, and a client would retry its
// -CLUSTERDOWN. A failover or handoff in progress lasts longer than the
// writers' d, so they still see errNoLeader then.
func leaderWithin(ctx context.Context, nodes []*dataNode, slot uint16, d time.Duration) *dataNode {
	n := leader(nodes, slot)
	for deadline := time.Now().Add(d); n == nil && time.Now().Before(deadline) && ctx.Err() == nil; n = leader(nodes, slot) {
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

// write runs fn on the node that leads key's slot, as the server does:
// under the slot lock, checking the route again once the lock is held, then
// waits for want replica acknowledgements. A nil error means acknowledged.
func write(ctx context.Context, nodes []*dataNode, key string, want int, fn func(tx *store.Tx) error) error {
	slot := ring.KeySlot([]byte(key))
	n := leaderWithin(ctx, nodes, slot, time.Second)
	if n == nil {
		return errNoLeader
	}
	tx := n.st.Lock(slot)
	if _, local := n.Route(slot); !local {
		tx.Close()
		return errNoLeader
	}
	err := fn(tx)
	tx.Close()
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	got, err := n.WaitReplicated(wctx, n.Offsets(nil, slot), want)
	if err != nil {
		return err
	}
	// A degraded slot (no synced replica yet, as right after a failover or
	// while a new replica is built) is acknowledged at once, as the server
	// does with replica-ack one.
	if live, _ := n.repl.ackedCount(slot, 0); live > 0 && got < min(want, live) {
		return fmt.Errorf("%d of %d replicas acknowledged", got, want)
	}
	return nil
}

func setKey(ctx context.Context, nodes []*dataNode, key, val string, want int) error {
	return write(ctx, nodes, key, want, func(tx *store.Tx) error {
		return tx.Put([]byte(key), []byte(val), 0)
	})
}

func delKey(ctx context.Context, nodes []*dataNode, key string, want int) error {
	return write(ctx, nodes, key, want, func(tx *store.Tx) error {
		_, err := tx.Delete([]byte(key))
		return err
	})
}

// readKey reads key on the node that leads its slot. It is for checks
// after the cluster settled: while no node leads the slot with its lease
// (a loaded machine can let a lease lapse for a moment: the lease is a
// fraction of a second on the local profile) it looks again, for up to
// 10 s, before it returns errNoLeader.
func readKey(nodes []*dataNode, key string) (string, bool, error) {
	slot := ring.KeySlot([]byte(key))
	n := leaderWithin(context.Background(), nodes, slot, 10*time.Second)
	if n == nil {
		return "", false, errNoLeader
	}
	tx := n.st.Lock(slot)
	defer tx.Close()
	v, ok, err := tx.Get([]byte(key))
	return string(v), ok, err
}

// dumpSlot renders one slot of a store: every key with its type, value or
// fields, and expiry, sorted.
func dumpSlot(t *testing.T, st *store.Store, slot uint16) []string {
	t.Helper()
	var keys []string
	st.ScanSlot(slot, func(k []byte, _ store.Type) bool {
		keys = append(keys, string(k))
		return true
	})
	tx := st.Lock(slot)
	defer tx.Close()
	var out []string
	for _, k := range keys {
		typ, err := tx.Type([]byte(k))
		require.NoError(t, err)
		at, _, err := tx.ExpireAt([]byte(k))
		require.NoError(t, err)
		line := fmt.Sprintf("%s %s exp=%d", k, typ, at)
		switch typ {
		case store.TypeString:
			v, _, err := tx.Get([]byte(k))
			require.NoError(t, err)
			line += " " + string(v)
		case store.TypeHash:
			var fs []string
			require.NoError(t, tx.HRange([]byte(k), func(f, v []byte) bool {
				fs = append(fs, string(f)+"="+string(v))
				return true
			}))
			sort.Strings(fs)
			line += " " + strings.Join(fs, ",")
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

// ledger records acknowledged writes, as a fault test's client would:
// the last acknowledged value of each key, or its deletion.
type ledger struct {
	mu      sync.Mutex // guards want, acked, failed
	want    map[string]string
	acked   int
	failed  int
	deleted map[string]bool
}

// ackedCount returns how many writes were acknowledged so far.
func (l *ledger) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

func newLedger() *ledger {
	return &ledger{want: make(map[string]string), deleted: make(map[string]bool)}
}

func (l *ledger) record(key, val string, del bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed++
		// Not acknowledged: the write may or may not have happened, so
		// the key's outcome is unknown until it is written again.
		delete(l.want, key)
		delete(l.deleted, key)
		return
	}
	l.acked++
	if del {
		delete(l.want, key)
		l.deleted[key] = true
	} else {
		l.want[key] = val
		delete(l.deleted, key)
	}
}

// runWriter writes (and, every third write, deletes) keys in a loop until
// stop is closed, recording every outcome. It returns when it stopped.
func runWriter(ctx context.Context, nodes func() []*dataNode, l *ledger, keys int, acks int, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		key := fmt.Sprintf("key:%d", i%keys)
		if i%3 == 2 {
			err := delKey(ctx, nodes(), key, acks)
			l.record(key, "", true, err)
		} else {
			val := fmt.Sprintf("v%d", i)
			err := setKey(ctx, nodes(), key, val, acks)
			l.record(key, val, false, err)
		}
		if i%64 == 63 {
			time.Sleep(time.Millisecond) // leave the 2 shared cores some air
		}
	}
}

// verify checks every acknowledged write on the cluster: the last value of
// each key is there, and deleted keys stay deleted.
func (l *ledger) verify(t *testing.T, nodes []*dataNode) { t.Helper(); l.verifyIn(t, nodes, nil) }

// verifyIn is verify for the keys of the slots keep accepts (all when keep
// is nil).
func (l *ledger) verifyIn(t *testing.T, nodes []*dataNode, keep func(slot uint16) bool) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	in := func(k string) bool { return keep == nil || keep(ring.KeySlot([]byte(k))) }
	lost, resurrected := 0, 0
	for k, v := range l.want {
		if !in(k) {
			continue
		}
		got, ok, err := readKey(nodes, k)
		require.NoError(t, err)
		if !ok || got != v {
			lost++
			t.Errorf("key %s: want %q, got %q (exists %t)", k, v, got, ok)
		}
	}
	for k := range l.deleted {
		if !in(k) {
			continue
		}
		got, ok, err := readKey(nodes, k)
		require.NoError(t, err)
		if ok {
			resurrected++
			t.Errorf("key %s was deleted, but holds %q", k, got)
		}
	}
	t.Logf("acknowledged writes %d, failed %d, keys checked %d, lost %d, resurrected %d",
		l.acked, l.failed, len(l.want)+len(l.deleted), lost, resurrected)
	require.Positive(t, l.acked)
}

// describeSlot renders what every node knows of one slot, for a failure
// message.
func describeSlot(nodes []*dataNode, d ring.SlotDiff) string {
	short := func(id ring.NodeID) string { return string(id[:min(6, len(id))]) }
	var b strings.Builder
	fmt.Fprintf(&b, "slot %d owners %v -> %v, state %s %s;", d.Slot, d.From, d.To, d.FromState.Kind, short(d.FromState.Peer))
	for _, n := range nodes {
		r := n.repl
		to, local := n.Route(d.Slot)
		r.recvMu.Lock()
		rs := r.recv[d.Slot]
		r.recvMu.Unlock()
		var atts []string
		for _, a := range r.slots[d.Slot].attachments() {
			atts = append(atts, fmt.Sprintf("%s live=%t failed=%t", short(a.p.id), a.live.Load(), a.failed.Load()))
		}
		fmt.Fprintf(&b, " [%s epoch %d route %s local %t recv(src %s applied %d synced %t epoch %d) atts %v off %d lead %v]",
			short(n.ID()), n.Table().Epoch, short(to), local, short(rs.source), rs.applied, rs.synced, rs.epoch, atts,
			r.slots[d.Slot].offset.Load(), n.router.Lead(d.Slot) != nil)
	}
	return b.String()
}
