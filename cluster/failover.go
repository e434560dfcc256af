package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/meshcache/meshcache/ring"
)

// The coordinator's data-moving steps (DESIGN.md §4, §5), planned in this
// order, one per tick:
//
//   - failover: a slot's primary is dead. Per slot, promote the alive
//     replica that is synced to that primary with the highest applied
//     offset (asked of the candidates by KindReplState); with none, give
//     the slot to a live node empty, log it and count it: its data is lost,
//     but the cluster keeps serving. Dead replicas are dropped.
//   - members: add new members to the table, drop dead replicas, remove
//     dead members and drained ones that no slot names.
//   - rebalance: move toward the target placement: add the owners a slot
//     lacks (they get transfers; the target primary joins as a migrating
//     replica), at most MigrationBatch slots in motion at once, hand slots
//     off to a target that reports them synced, and drop owners the
//     placement does not want once the wanted replicas are synced. Steps
//     are at least the profile's MigrationInterval apart (coordinator.go).

// replInfo is one node's receiving state of one slot.
type replInfo struct {
	source  ring.NodeID
	applied uint64
	synced  bool
}

// handleReplState answers the receiving state of the requested slots.
// Request: count, then slots (2 bytes each). Reply: per slot, synced (1
// byte), applied (uvarint), source length (1 byte) and source.
func (n *Node) handleReplState(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
	d := decoder{b: req}
	count := d.uvarint()
	if d.err != nil || count > ring.SlotCount {
		return nil, errors.New("repl-state: bad request")
	}
	slots := make([]uint16, 0, count)
	for range count {
		s := d.u16()
		if d.err != nil || int(s) >= ring.SlotCount {
			return nil, errors.New("repl-state: bad slot")
		}
		slots = append(slots, s)
	}
	for _, ri := range n.localReplState(slots) {
		if ri.synced {
			reply = append(reply, 1)
		} else {
			reply = append(reply, 0)
		}
		reply = binary.AppendUvarint(reply, ri.applied)
		reply = append(reply, byte(len(ri.source)))
		reply = append(reply, ri.source...)
	}
	return reply, nil
}

// localReplState reports this node's receiving state of slots. A slot it
// took over by a handoff that no table names it primary of yet reports
// the offset it has reached since: if the old primary dies in that window,
// the failover must prefer this node, which holds every write it
// acknowledged as the slot's leader, over a replica still at the takeover
// offset.
func (n *Node) localReplState(slots []uint16) []replInfo {
	r := n.repl
	t := n.table.Load()
	out := make([]replInfo, len(slots))
	r.recvMu.Lock()
	defer r.recvMu.Unlock()
	for i, s := range slots {
		rs := r.recv[s]
		out[i] = replInfo{source: rs.source, applied: rs.applied, synced: rs.synced}
		if o := r.slots[s].lead.Load(); o != nil && t != nil && o.holds(t, s, n.id) && rs.source == o.from {
			out[i].applied = max(rs.applied, r.slots[s].offset.Load())
		}
	}
	return out
}

// replStates asks each node for its receiving state of the given slots, in
// parallel; nodes that do not answer are left out.
func (n *Node) replStates(ctx context.Context, v view, ask map[ring.NodeID][]uint16) map[ring.NodeID]map[uint16]replInfo {
	out := make(map[ring.NodeID]map[uint16]replInfo, len(ask))
	var (
		wg sync.WaitGroup
		mu sync.Mutex // guards out
	)
	for id, slots := range ask {
		if len(slots) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			infos, err := n.replState(ctx, v, id, slots)
			if err != nil {
				n.logger.Debug("ask replica state", "node", id, "err", err)
				return
			}
			m := make(map[uint16]replInfo, len(slots))
			for i, s := range slots {
				m[s] = infos[i]
			}
			mu.Lock()
			out[id] = m
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func (n *Node) replState(ctx context.Context, v view, id ring.NodeID, slots []uint16) ([]replInfo, error) {
	if id == n.id {
		return n.localReplState(slots), nil
	}
	m, ok := v.alive[id]
	if !ok {
		return nil, ErrNodeDown
	}
	req := binary.AppendUvarint(nil, uint64(len(slots)))
	for _, s := range slots {
		req = binary.BigEndian.AppendUint16(req, s)
	}
	b, err := n.client.call(ctx, m.ClusterAddr, KindReplState, req)
	if err != nil {
		return nil, err
	}
	d := decoder{b: b}
	out := make([]replInfo, len(slots))
	for i := range slots {
		out[i].synced = d.byte1() == 1
		out[i].applied = d.uvarint()
		l := int(d.byte1())
		if d.err == nil && len(d.b) < l {
			d.err = errors.New("truncated source")
		}
		if d.err != nil {
			return nil, fmt.Errorf("repl-state reply from %s: %w", id, d.err)
		}
		out[i].source = ring.NodeID(d.b[:l])
		d.b = d.b[l:]
	}
	return out, nil
}

// planData chooses the next data-moving step (see the file comment), or
// none when the table matches the target placement.
func (n *Node) planData(t *ring.Table, v view, members []Meta, target *ring.Placement) (step, bool) {
	s := step{members: members, target: target}
	if t.Assigned() < ring.SlotCount {
		s.kind = stepFailover // a slot without a primary
		return s, true
	}
	for _, m := range t.Members() {
		if _, ok := v.alive[m.ID]; !ok && len(t.PrimarySlots(m.ID)) > 0 {
			s.kind = stepFailover
			return s, true
		}
	}
	if membersChanged(t, v, members) {
		s.kind = stepMembers
		return s, true
	}
	var have, want []ring.NodeID
	for sl := range ring.SlotCount {
		slot := uint16(sl)
		have, want = t.AppendOwners(have[:0], slot), target.AppendOwners(want[:0], slot)
		if t.State(slot).Kind != ring.SlotStable || !slices.Equal(have, want) {
			s.kind = stepRebalance
			return s, true
		}
	}
	return step{}, false
}

// membersChanged reports whether the table must gain or lose members, or
// names a dead replica.
func membersChanged(t *ring.Table, v view, members []Meta) bool {
	for _, m := range members {
		tm, ok := t.Member(m.ID)
		if !ok || tm.Addr != m.ClientAddr || tm.ClusterAddr != m.ClusterAddr {
			return true
		}
	}
	for _, m := range t.Members() {
		meta, alive := v.alive[m.ID]
		if !alive {
			return true
		}
		if meta.State == StateDraining && len(t.SlotsOf(m.ID)) == 0 {
			return true
		}
	}
	return false
}

// nextTable clones t for the next step's table.
func (n *Node) nextTable(t *ring.Table, v view) *ring.Table {
	next := t.Clone()
	next.Epoch = max(t.Epoch, v.maxEpoch) + 1
	next.Issuer = n.id
	return next
}

// buildFailover promotes a replica for every slot whose primary is dead
// and drops dead owners.
func (n *Node) buildFailover(ctx context.Context, t *ring.Table, v view, target *ring.Placement) (*ring.Table, int, error) {
	next := n.nextTable(t, v)
	answering := n.stillAnswering(ctx, t, v)
	ask := make(map[ring.NodeID][]uint16)
	var orphans []uint16
	for sl := range ring.SlotCount {
		slot := uint16(sl)
		owners := t.Owners(slot)
		if len(owners) == 0 {
			orphans = append(orphans, slot)
			continue
		}
		if _, ok := v.alive[owners[0]]; ok || answering[owners[0]] {
			continue
		}
		orphans = append(orphans, slot)
		for _, o := range owners[1:] {
			if _, ok := v.alive[o]; ok {
				ask[o] = append(ask[o], slot)
			}
		}
	}
	cctx, cancel := context.WithTimeout(ctx, n.profile.TCPTimeout)
	states := n.replStates(cctx, v, ask)
	cancel()
	lost := 0
	for _, slot := range orphans {
		owners := t.Owners(slot)
		var dead ring.NodeID
		if len(owners) > 0 {
			dead = owners[0]
		}
		var best ring.NodeID
		var bestOff uint64
		for _, o := range owners {
			ri, ok := states[o][slot]
			if !ok || !ri.synced || ri.source != dead {
				continue
			}
			if best == "" || ri.applied > bestOff {
				best, bestOff = o, ri.applied
			}
		}
		var rest []ring.NodeID
		for _, o := range owners {
			if _, ok := v.alive[o]; ok && o != best {
				rest = append(rest, o)
			}
		}
		if best == "" {
			lost++
			if len(rest) > 0 {
				best, rest = rest[0], rest[1:]
			} else {
				best = target.Primary(slot)
			}
		}
		if err := next.SetOwners(slot, append([]ring.NodeID{best}, rest...)...); err != nil {
			return nil, 0, fmt.Errorf("failover slot %d: %w", slot, err)
		}
		if err := next.SetState(slot, ring.SlotState{}); err != nil {
			return nil, 0, err
		}
	}
	if len(orphans) == 0 {
		return nil, 0, nil // every "dead" primary still answers: gossip is wrong for now
	}
	if lost > 0 {
		n.repl.lostSlots.Add(int64(lost))
		n.logger.Error("FAILOVER WITHOUT A SYNCED REPLICA: slots given to a live node empty, their data is lost",
			"slots", lost, "epoch", next.Epoch)
	}
	if err := n.dropDead(next, v); err != nil {
		return nil, 0, err
	}
	return next, len(orphans), nil
}

// stillAnswering pings the table members gossip reports dead, in parallel,
// and returns those that answer. A member wrongly suspected (an overloaded
// node, lost UDP packets) keeps its slots: failing it over would give its
// slots to replicas while it still serves them.
func (n *Node) stillAnswering(ctx context.Context, t *ring.Table, v view) map[ring.NodeID]bool {
	out := make(map[ring.NodeID]bool)
	var (
		wg sync.WaitGroup
		mu sync.Mutex // guards out
	)
	for _, m := range t.Members() {
		if _, ok := v.alive[m.ID]; ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, 2*n.profile.ProbeInterval)
			defer cancel()
			if n.pingAddr(pctx, m.ClusterAddr) == nil {
				mu.Lock()
				out[m.ID] = true
				mu.Unlock()
				n.logger.Info("failover deferred: a member gossip reports dead still answers", "node", m.ID)
			}
		}()
	}
	wg.Wait()
	return out
}

// dropDead removes dead owners from every slot, resets states that name a
// dead peer, and removes dead members and drained members that no slot
// names any more.
func (n *Node) dropDead(next *ring.Table, v view) error {
	var dead []ring.NodeID // members gossip does not see alive
	for _, m := range next.Members() {
		if _, ok := v.alive[m.ID]; !ok {
			dead = append(dead, m.ID)
		}
	}
	isDead := func(o ring.NodeID) bool { return slices.Contains(dead, o) }
	var owners, kept []ring.NodeID // reused for every slot
	for sl := range ring.SlotCount {
		slot := uint16(sl)
		if len(dead) > 0 {
			owners = next.AppendOwners(owners[:0], slot)
			kept = slices.DeleteFunc(append(kept[:0], owners...), isDead)
			if len(kept) != len(owners) && len(kept) > 0 {
				if err := next.SetOwners(slot, kept...); err != nil {
					return fmt.Errorf("drop dead owners of slot %d: %w", slot, err)
				}
			}
		}
		if st := next.State(slot); st.Kind != ring.SlotStable {
			if _, ok := v.alive[st.Peer]; !ok || !next.IsOwner(slot, st.Peer) && st.Kind == ring.SlotMigrating {
				if err := next.SetState(slot, ring.SlotState{}); err != nil {
					return err
				}
			}
		}
	}
	for _, m := range next.Members() {
		meta, alive := v.alive[m.ID]
		if alive && meta.State != StateDraining {
			continue
		}
		next.ClearPreferred(m.ID) // a failover asked for by a node that is gone
		if len(next.SlotsOf(m.ID)) > 0 {
			continue
		}
		if err := next.RemoveMember(m.ID); err != nil {
			n.logger.Debug("member not removed yet", "node", m.ID, "err", err)
		}
	}
	return nil
}

// buildMembers adds new members, updates addresses and drops dead owners
// and members.
func (n *Node) buildMembers(t *ring.Table, v view, members []Meta) (*ring.Table, error) {
	next := n.nextTable(t, v)
	for _, m := range members {
		if err := next.SetMember(ring.Member{ID: m.ID, Addr: m.ClientAddr, ClusterAddr: m.ClusterAddr}); err != nil {
			return nil, fmt.Errorf("members step: %w", err)
		}
	}
	if err := n.dropDead(next, v); err != nil {
		return nil, err
	}
	return next, nil
}

// buildRebalance moves the table one batch toward the target placement:
// replica additions, ready handoffs and ready trims. It returns nil when
// nothing is ready yet.
func (n *Node) buildRebalance(ctx context.Context, t *ring.Table, v view, target *ring.Placement) (*ring.Table, int, error) {
	next := n.nextTable(t, v)
	batch := n.cfg.MigrationBatch
	// At most a batch of slots migrate to a new primary at once: each is a
	// transfer to run and a handoff to make. A slot migrating to a node
	// the target no longer makes its primary (the member set changed
	// meanwhile) is moving nowhere: its state is reset and it holds no
	// place, or a join during a rebalance could leave a whole batch of
	// such slots blocking every other move; its extra owner is trimmed
	// once the wanted ones sync. New replicas are not counted: they move
	// no primary, and their transfers are paced by MigrationRate.
	staleMigration := func(slot uint16) bool {
		st := t.State(slot)
		return st.Kind == ring.SlotMigrating && st.Peer != target.Primary(slot)
	}
	var owners, want []ring.NodeID // reused for every slot
	changed := 0
	ask := make(map[ring.NodeID][]uint16)
	var starts, handoffs, trims []uint16
	for sl := range ring.SlotCount {
		slot := uint16(sl)
		owners = t.AppendOwners(owners[:0], slot)
		want = target.AppendOwners(want[:0], slot)
		if staleMigration(slot) {
			if err := next.SetState(slot, ring.SlotState{}); err != nil {
				return nil, 0, fmt.Errorf("rebalance slot %d: %w", slot, err)
			}
			changed++
			continue
		}
		if missingOwners(owners, want) {
			starts = append(starts, slot)
			continue
		}
		switch {
		case want[0] != owners[0]:
			handoffs = append(handoffs, slot)
			ask[want[0]] = append(ask[want[0]], slot)
		case !settledOwners(t, slot, owners, want):
			trims = append(trims, slot)
			for _, w := range want[1:] {
				ask[w] = append(ask[w], slot)
			}
		}
	}
	migrating := 0
	for _, slot := range handoffs {
		if t.State(slot).Kind == ring.SlotMigrating {
			migrating++
		}
	}
	cctx, cancel := context.WithTimeout(ctx, n.profile.TCPTimeout)
	defer cancel()
	states := n.replStates(cctx, v, ask)
	var silent []ring.NodeID // asked, did not answer
	for id := range ask {
		if _, ok := states[id]; !ok {
			silent = append(silent, id)
		}
	}
	syncedTo := func(node ring.NodeID, slot uint16, primary ring.NodeID) bool {
		ri, ok := states[node][slot]
		return ok && ri.synced && ri.source == primary
	}

	// Handoffs of slots whose target is a synced replica, grouped by the
	// current primary, at most one batch.
	byPrimary := make(map[ring.NodeID][]slotMove)
	moves := 0
	for _, slot := range handoffs {
		p, to := t.Primary(slot), target.Primary(slot)
		if moves >= batch || !syncedTo(to, slot, p) {
			continue
		}
		byPrimary[p] = append(byPrimary[p], slotMove{slot: slot, target: to})
		moves++
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // guards done
		done []slotMove
	)
	for p, ms := range byPrimary {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := n.callHandoff(ctx, v, p, t.Epoch, ms)
			if err != nil {
				n.logger.Info("handoff call", "primary", p, "slots", len(ms), "err", err)
			}
			mu.Lock()
			done = append(done, got...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, m := range done {
		slot, to := m.slot, m.target
		owners := t.Owners(slot)
		if !slices.Contains(owners, to) {
			// The primary forwards the slot to a node this table dropped:
			// once it adopts the table it leads again (override.go).
			n.logger.Warn("handoff reported to a node that is no owner", "slot", slot, "to", to)
			continue
		}
		old := owners[0]
		order := append([]ring.NodeID{to}, slices.DeleteFunc(slices.Clone(owners), func(o ring.NodeID) bool { return o == to })...)
		if err := next.SetOwners(slot, order...); err != nil {
			return nil, 0, fmt.Errorf("handoff slot %d: %w", slot, err)
		}
		if err := next.SetState(slot, ring.SlotState{Kind: ring.SlotImporting, Peer: old}); err != nil {
			return nil, 0, err
		}
		if t.State(slot).Kind == ring.SlotMigrating {
			migrating-- // its place in the batch is free for a start below
		}
		changed++
	}

	// Trims: the wanted replicas are synced; drop the rest.
	for _, slot := range trims {
		p := t.Primary(slot)
		want := target.Owners(slot)
		ready := true
		for _, w := range want[1:] {
			if !syncedTo(w, slot, p) {
				ready = false
				break
			}
		}
		if !ready {
			continue
		}
		if err := next.SetOwners(slot, want...); err != nil {
			return nil, 0, fmt.Errorf("trim slot %d: %w", slot, err)
		}
		if err := next.SetState(slot, ring.SlotState{}); err != nil {
			return nil, 0, err
		}
		changed++
	}
	// Starts: slots that lack wanted owners, those that migrate to a new
	// primary as many as the batch has places, counting those the
	// handoffs above freed. Every wanted owner joins as an extra one (the
	// target primary as a migrating replica); the owners the placement
	// does not want are trimmed once the wanted ones are synced, so the
	// slot never has fewer synced replicas meanwhile.
	var add []ring.NodeID
	for _, slot := range starts {
		owners = t.AppendOwners(owners[:0], slot)
		want = target.AppendOwners(want[:0], slot)
		newPrimary := !slices.Contains(owners, want[0])
		if newPrimary && migrating >= batch {
			continue // waits for a place in the batch
		}
		add = append(add[:0], owners...)
		for _, w := range want {
			if len(add) < ring.MaxOwners && !slices.Contains(add, w) {
				add = append(add, w)
			}
		}
		if len(add) == len(owners) {
			continue // no room for another owner (ring.MaxOwners)
		}
		if err := next.SetOwners(slot, add...); err != nil {
			return nil, 0, fmt.Errorf("rebalance slot %d: %w", slot, err)
		}
		if want[0] != owners[0] && slices.Contains(add, want[0]) {
			if err := next.SetState(slot, ring.SlotState{Kind: ring.SlotMigrating, Peer: want[0]}); err != nil {
				return nil, 0, err
			}
		}
		if newPrimary {
			migrating++
		}
		changed++
	}
	n.stall.observe(n.logger, changed > 0, rebalanceWait{
		handoffs: len(handoffs) - len(done), trims: len(trims), migrating: migrating, silent: silent,
	})
	if changed == 0 {
		return nil, 0, nil
	}
	if err := n.dropDead(next, v); err != nil {
		return nil, 0, err
	}
	n.logger.Info("rebalance batch", "epoch", next.Epoch, "handoffs", len(done), "changed", changed,
		"handoffs_pending", len(handoffs)-len(done))
	return next, changed, nil
}

// missingOwners reports whether some owner the target wants for a slot is
// not an owner yet.
func missingOwners(owners, want []ring.NodeID) bool {
	for _, w := range want {
		if !slices.Contains(owners, w) {
			return true
		}
	}
	return false
}

// settledOwners reports whether a slot has exactly the wanted owners, in
// order, and no migration state.
func settledOwners(t *ring.Table, slot uint16, owners, want []ring.NodeID) bool {
	return slices.Equal(owners, want) && t.State(slot).Kind == ring.SlotStable
}

// callHandoff asks primary p to hand the slots off and returns the moves
// it made (a slot it had handed off already comes with the node it went to).
func (n *Node) callHandoff(ctx context.Context, v view, p ring.NodeID, epoch uint64, moves []slotMove) ([]slotMove, error) {
	if p == n.id {
		return n.handoffSlots(ctx, epoch, moves), nil
	}
	m, ok := v.alive[p]
	if !ok {
		return nil, ErrNodeDown
	}
	cctx, cancel := context.WithTimeout(ctx, 2*n.profile.TCPTimeout+handoffAckTimeout)
	defer cancel()
	b, err := n.client.call(cctx, m.ClusterAddr, KindHandoff, encodeHandoff(epoch, moves))
	if err != nil {
		return nil, err
	}
	d := decoder{b: b}
	out := decodeMoves(&d)
	if d.err == nil && len(out) > len(moves) {
		d.err = errors.New("more slots than asked")
	}
	if d.err != nil {
		return nil, fmt.Errorf("handoff reply from %s: %w", p, d.err)
	}
	return out, nil
}
