package store

import (
	"slices"
	"sync/atomic"

	"github.com/meshcache/meshcache/ring"
)

// Watcher records whether any key it watches changed (WATCH).
// One per connection; not safe for use by two goroutines at once except Dirty.
//
// Each slot keeps a map from watched key to its watchers, guarded by the
// slot's mutex; every modification, delete, expiry, eviction or flush of a
// watched key marks its watchers dirty, under that same lock.
type Watcher struct {
	s     *Store
	dirty atomic.Bool
	keys  []watchedKey // owned by the watcher's goroutine
	// notify, when not nil, also receives a token (without blocking) at
	// each mark: a blocked client waits on it (NewNotifyingWatcher).
	notify chan struct{}
}

type watchedKey struct {
	slot uint16
	key  string
}

// NewWatcher returns a watcher with no keys.
func (s *Store) NewWatcher() *Watcher { return &Watcher{s: s} }

// NewNotifyingWatcher returns a watcher with no keys whose Notify channel
// receives a token whenever a watched key changes (a blocked pop waits on
// it). Tokens do not pile up: one pending token stands for any number of
// changes.
func (s *Store) NewNotifyingWatcher() *Watcher {
	return &Watcher{s: s, notify: make(chan struct{}, 1)}
}

// Notify is the channel of a notifying watcher (nil for others).
func (w *Watcher) Notify() <-chan struct{} { return w.notify }

// Watch adds key to w. A later change, delete, expiry or flush of it makes w
// dirty. It takes key's slot lock: never call it while holding a Tx that
// holds that slot (use Tx.Watch then).
func (s *Store) Watch(w *Watcher, key []byte) {
	sn := ring.KeySlot(key)
	sl := &s.slots[sn]
	sl.mu.Lock()
	sl.watch(w, key)
	sl.mu.Unlock()
}

// Watch is Store.Watch for a key whose slot tx holds.
func (tx *Tx) Watch(w *Watcher, key []byte) error {
	sl, _, err := tx.at(key)
	if err != nil {
		return err
	}
	sl.watch(w, key)
	return nil
}

// watch registers w on key; sl.mu is held.
func (sl *slot) watch(w *Watcher, key []byte) {
	ws := sl.watched[string(key)]
	if slices.Contains(ws, w) {
		return
	}
	if sl.watched == nil {
		sl.watched = make(map[string][]*Watcher)
	}
	k := string(key)
	sl.watched[k] = append(ws, w)
	w.keys = append(w.keys, watchedKey{slot: sl.id, key: k})
}

// Unwatch removes every key from w and clears its dirty flag. It takes the
// slot locks of the watched keys one at a time: never call it while holding
// a Tx.
func (s *Store) Unwatch(w *Watcher) {
	for _, wk := range w.keys {
		sl := &s.slots[wk.slot]
		sl.mu.Lock()
		ws := slices.DeleteFunc(sl.watched[wk.key], func(x *Watcher) bool { return x == w })
		if len(ws) == 0 {
			delete(sl.watched, wk.key)
		} else {
			sl.watched[wk.key] = ws
		}
		if len(sl.watched) == 0 {
			sl.watched = nil
		}
		sl.mu.Unlock()
	}
	clear(w.keys)
	w.keys = w.keys[:0]
	w.dirty.Store(false)
}

// SlotVersion counts the changes of slot's keys so far on this store: two
// equal readings mean no key of the slot changed in between (the slot's
// lock orders them with the writes). Remote WATCH compares them.
func (s *Store) SlotVersion(slot uint16) uint64 { return s.slots[slot].version.Load() }

// Changes counts the changes of keys on this store since it started, as
// Redis's server.dirty (INFO's rdb_changes_since_last_save: meshcache
// never saves): every write and delete of a key (not its expiry or
// eviction, as Redis), and every key a flush removed, once per key a
// command changes
// (the sum of the slot versions), corrected by the commands that count
// otherwise (Tx.CountChanges: LPUSH of three elements is 3, RENAME is 1).
func (s *Store) Changes() uint64 {
	n := uint64(s.changesAdjust.Load())
	for i := range s.slots {
		n += s.slots[i].version.Load()
	}
	return n
}

// CountChanges makes the command now running in tx count n in Changes in
// place of the key changes it made so far (since StartCommand), as
// Redis's handler adds n to server.dirty. Called once, after the
// command's writes.
func (tx *Tx) CountChanges(n int) {
	tx.s.changesAdjust.Add(int64(n) - int64(tx.versions()-tx.mark))
}

// AdjustChanges adds n to Changes, for a command that runs without a Tx
// (FLUSHALL counts the keys it removed and one more, as Redis).
func (s *Store) AdjustChanges(n int64) { s.changesAdjust.Add(n) }

// versions is the sum of the versions of the slots tx holds.
func (tx *Tx) versions() uint64 {
	var n uint64
	for _, sn := range tx.slots {
		n += tx.s.slots[sn].version.Load()
	}
	return n
}

// Dirty reports whether a watched key changed since it was watched.
func (w *Watcher) Dirty() bool { return w.dirty.Load() }

// Watching reports whether w watches any key.
func (w *Watcher) Watching() bool { return len(w.keys) > 0 }

// touchWatch marks the watchers of key dirty and counts a change of the
// slot; sl.mu is held. Every change of a key comes through here.
func (sl *slot) touchWatch(key []byte) {
	sl.version.Add(1)
	if h := sl.hook.Load(); h != nil {
		(*h).KeyChanged(sl.id, key)
	}
	if sl.watched == nil {
		return
	}
	for _, w := range sl.watched[string(key)] {
		w.mark()
		if w.notify != nil {
			sl.noteReady(key) // a blocked client's key (gate.go)
		}
	}
}

// mark makes w dirty and, for a notifying watcher, leaves a token.
func (w *Watcher) mark() {
	w.dirty.Store(true)
	if w.notify != nil {
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
}

// KeyHook is told of every change of a key: a write, delete, expiry or
// eviction (KeyChanged), of every flush of a slot that had keys
// (SlotFlushed), and of the keyspace's own events (KeyEvent): a key made
// by a command, or removed by expiry or eviction. All are called under the
// slot's lock, on the goroutine that changed the key: they must not block
// nor take a slot lock. Client-side caching and keyspace notifications
// (server/events, whose Hub is the hook) send their invalidations and
// events from it.
type KeyHook interface {
	KeyChanged(slot uint16, key []byte)
	SlotFlushed(slot uint16)
	KeyEvent(slot uint16, key []byte, ev KeyEvent)
}

// KeyEvent is what happened to a key that no command names: Redis's "new",
// "expired" and "evicted" keyspace notifications.
type KeyEvent uint8

// The keyspace's events.
const (
	// KeyCreated: a command made a key that did not exist (not a
	// replica's replay, which only mirrors its primary's).
	KeyCreated KeyEvent = iota + 1
	// KeyExpired: a key was removed because its TTL passed, when read
	// (lazy) or by the active expiry cycle; KeyChanged follows.
	KeyExpired
	// KeyEvicted: a key was removed for maxmemory; KeyChanged came first.
	KeyEvicted
	// KeyMissed: a read found no key (counted as a keyspace miss).
	KeyMissed
)

// keyEvent tells the hook, if any, of ev.
func (sl *slot) keyEvent(key []byte, ev KeyEvent) {
	if h := sl.hook.Load(); h != nil {
		(*h).KeyEvent(sl.id, key, ev)
	}
}

// SetKeyHook installs h (nil removes it).
func (s *Store) SetKeyHook(h KeyHook) {
	if h == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&h)
}
