package events

import (
	"context"
	"sync"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/store"
)

// Keyspace notifications (docs/DESIGN.md §6). An event is produced where
// the change happens, on the leader of the key's slot: by the command's
// handler (commands.Call.Notify, which hands it to Notify here) or by the
// store's hook for what no command names (a key made, expired, evicted:
// KeyEvent). Both run under the slot's lock, so the events of one key are
// published in the order of its changes; Publish delivers them to this
// node's subscribers at once and queues them, in that order, for every
// other node's (the fan-out), so a subscriber anywhere sees them in order.
//
// The cost when off: notify-keyspace-events empty is one atomic load per
// event site reached (writes only); set, but nobody subscribed on this
// node and no peer to fan out to, one more.

// SetNotify sets notify-keyspace-events (the config's apply, CONFIG SET).
func (h *Hub) SetNotify(c notify.Class) { h.notify.Store(uint32(c)) }

// Wants reports whether notify-keyspace-events selects class c and K or
// E, and someone could hear it (commands.Notifier).
func (h *Hub) Wants(c notify.Class) bool {
	n := notify.Class(h.notify.Load())
	return n&c != 0 && n&(notify.Keyspace|notify.Keyevent) != 0 && (h.reg.Active() || h.FanoutPeers() > 0)
}

// Notify publishes ev for key when notify-keyspace-events selects ev's
// class: "__keyspace@0__:<key> <name>" when K is set, then
// "__keyevent@0__:<name> <key>" when E is, as Redis's notifyKeyspaceEvent.
// The caller leads key's slot and holds its lock. It never blocks.
func (h *Hub) Notify(ev notify.Event, key []byte) {
	c := notify.Class(h.notify.Load())
	if c&ev.Class == 0 || c&(notify.Keyspace|notify.Keyevent) == 0 {
		return
	}
	if !h.reg.Active() && h.FanoutPeers() == 0 {
		return // nobody can hear it
	}
	var buf [96]byte
	if c&notify.Keyspace != 0 {
		h.Publish(notify.AppendKeyspace(buf[:0], key), []byte(ev.Name))
	}
	if c&notify.Keyevent != 0 {
		h.Publish(notify.AppendKeyevent(buf[:0], ev.Name), key)
	}
}

// storeEvents are the notifications of the store's KeyEvents.
var storeEvents = [...]notify.Event{
	store.KeyCreated: notify.KeyNew,
	store.KeyExpired: notify.KeyExpired,
	store.KeyEvicted: notify.KeyEvicted,
	store.KeyMissed:  notify.KeyMissed,
}

// KeyEvent is the store's KeyHook for a key made, expired, evicted or
// missed by a read; the
// slot's lock is held. Only the slot's leader publishes: a replica that
// drops an expired key it reads (READONLY) leaves the event to its primary,
// which decides expiry.
func (h *Hub) KeyEvent(slot uint16, key []byte, ev store.KeyEvent) {
	if h.notify.Load() == 0 || int(ev) >= len(storeEvents) {
		return
	}
	if t := h.cluster.Table(); t != nil && t.Primary(slot) != h.cluster.ID() {
		return
	}
	h.Notify(storeEvents[ev], key)
}

// shareTimeout bounds how long ShareSetting waits for the members.
const shareTimeout = 2 * time.Second

// ShareSetting runs args (CONFIG SET of the cluster-wide settings:
// notify-keyspace-events, which each leader reads to decide what it
// emits) on every other alive member and waits for them, shareTimeout at
// most. The members run it as a forwarded command, which they do not share
// again. A member that does not answer keeps its own value (logged); a
// node that joins later has its own configuration.
func (h *Hub) ShareSetting(args [][]byte) {
	ctx, cancel := context.WithTimeout(context.Background(), shareTimeout)
	defer cancel()
	self := h.cluster.ID()
	var wg sync.WaitGroup
	for _, m := range h.cluster.Members() {
		if m.Self || m.ID == self || !m.Alive {
			continue
		}
		wg.Add(1)
		go func(id ring.NodeID) { // ends when the call returns: ctx bounds it
			defer wg.Done()
			reply, err := h.cluster.Forward(ctx, id, false, args)
			if err != nil || (len(reply) > 0 && reply[0] == '-') {
				h.log.Warn("cluster-wide setting not applied on a member", "member", id, "err", err, "reply", string(reply))
			}
		}(m.ID)
	}
	wg.Wait()
}
