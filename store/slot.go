package store

import (
	"bytes"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store/index"
	"github.com/meshcache/meshcache/store/slotset"
)

// slot is one hash slot: its lock, its table and its counters.
//
// A slot is four cache lines of the slot array (TestSlotLayout keeps its
// layout). The first holds what every command on the slot touches (the
// lock, the table pointer, the gate, the watch and hook checks of a
// write, a read's hit count); the next two are the slot's table itself,
// whose first line a lookup reads; the last the colder counters. The table
// lives in the slot rather than on the heap so that its line's address is
// known before the slot is locked: a command prefetches it
// (prefetchTable) with the lock's line, and a lookup waits for one cache
// miss fewer (the lock's line and the table's arrive together, then the
// index word, then the entry).
type slot struct {
	// mu guards t and watched. It is a plain mutex, not an RWMutex: reads
	// update LRU/LFU metadata and expire keys lazily.
	mu sync.Mutex
	t  *table // nil, or &tbl while the slot holds a key
	// owed is the serving gate's token of the client the slot is owed to
	// (0: none; gate.go), guarded by mu.
	owed uint64
	// version counts the changes of the slot's keys (touchWatch, flush):
	// equal versions mean no key changed in between (remote WATCH).
	// Written under mu.
	version atomic.Uint64
	// watched maps a key to the watchers of WATCH (watch.go). It lives
	// outside t so that flushing the slot keeps the watches.
	watched map[string][]*Watcher
	// hook is the store's KeyHook (watch.go), shared by every slot.
	hook *atomic.Pointer[KeyHook]
	hits atomic.Int64 // written under mu, read without it by Stats
	id   uint16
	// hasReady is len(ready) > 0, kept here so that closing a Tx reads
	// this line only. Guarded by mu.
	hasReady bool

	// tbl is the slot's table while t points to it (guarded by mu); it is
	// zeroed when the slot's last key goes (dropTable).
	tbl table

	// Colder: a read's miss, a new or expiring key, the gate's waiters.
	misses atomic.Int64
	// Counters written under mu and read without it by Stats and eviction.
	keys atomic.Int64 // live entries, expired-but-not-removed included
	vols atomic.Int64 // entries with a TTL
	// volSlots is the store's set of slots with a TTL key: this slot's
	// bit is set while vols > 0 (both written under mu).
	volSlots *slotset.Set
	// The rest of the serving gate (gate.go), guarded by mu: gate wakes
	// the Txs waiting for it (made at the first Owe), ready lists the keys
	// a blocked client watches that changed since the last release.
	gate  *sync.Cond
	ready []string
}

// table is the keyspace of one slot, kept in the slot (slot.tbl). It is
// 128 bytes, two lines of the slot array: a lookup (find) reads the first
// line only, a write's memory accounting (memory.go) the second too
// (TestSlotLayout keeps this).
type table struct {
	arena   []byte      // entries, see arena.go
	idx     index.Index // key hash -> arena offset
	garbage int         // dead bytes in arena

	// Accounted so far in Store.used and Store.garbage (memory.go).
	accBytes   int64
	accGarbage int64
	// vol lists the arena offsets of entries with a TTL, so active expiry
	// and volatile eviction sample them directly; an entry's header holds
	// its position here (volIdx) for O(1) removal.
	vol []uint32
	// objs holds the slot's collections (object.go), nil until it first
	// holds one.
	objs *objects
	_    [8]byte // to 128 bytes
}

// objects are a table's collections: a collection entry's value is its
// number in list; free lists unused numbers.
type objects struct {
	list  []object
	free  []uint32
	bytes int64 // sum of object.bytes()
}

// find returns the offset and index position of key's entry, expired or
// not.
func (t *table) find(key []byte, h uint64) (off uint32, pos int, ok bool) {
	words := t.idx.Words()
	if len(words) == 0 {
		return 0, 0, false
	}
	tag := index.Tag(h)
	mask := len(words) - 1
	for i := int(tag) & mask; ; i = (i + 1) & mask {
		w := words[i]
		if w == 0 {
			return 0, 0, false
		}
		if uint32(w>>32) == tag {
			o := index.Off(w)
			if bytes.Equal(eKey(t.arena, o), key) {
				return o, i, true
			}
		}
	}
}

// setExpire sets the TTL of the entry at off, keeping the TTL list and
// counters in step.
func (sl *slot) setExpire(off uint32, at int64) {
	t := sl.t
	old := eExpire(t.arena, off)
	switch {
	case old == 0 && at != 0:
		setVolIdx(t.arena, off, uint32(len(t.vol)))
		t.vol = append(t.vol, off)
		if sl.vols.Add(1) == 1 {
			sl.volSlots.Add(sl.id)
		}
	case old != 0 && at == 0:
		sl.volRemove(off)
	}
	setExpire(t.arena, off, at)
}

// volRemove takes the entry at off out of the TTL list.
func (sl *slot) volRemove(off uint32) {
	t := sl.t
	i := eVolIdx(t.arena, off)
	last := len(t.vol) - 1
	moved := t.vol[last]
	t.vol[i] = moved
	setVolIdx(t.arena, moved, i)
	t.vol = t.vol[:last]
	if cap(t.vol) > 64 && len(t.vol)*4 < cap(t.vol) {
		t.vol = append(make([]uint32, 0, cap(t.vol)/2), t.vol...)
	}
	if sl.vols.Add(-1) == 0 {
		sl.volSlots.Remove(sl.id)
	}
}

// table returns the slot's table, creating it on first use.
func (sl *slot) table() *table {
	if sl.t == nil {
		sl.t = &sl.tbl
	}
	return sl.t
}

// prefetchTable starts fetching the first line of the slot's table
// before the caller locks the slot, so that the lock's line and the
// table's arrive together (see slot).
func (sl *slot) prefetchTable() { prefetch(unsafe.Pointer(&sl.tbl)) }

// dropTable empties the slot's table, letting its arena, index and
// collections go. Table pointers the caller holds see an empty table.
// Field by field: the index's published words are read without the lock
// (Store.PrefetchKey), so they are reset atomically.
func (sl *slot) dropTable() {
	sl.t = nil
	t := &sl.tbl
	t.idx.Reset()
	t.arena, t.garbage, t.accBytes, t.accGarbage, t.vol, t.objs = nil, 0, 0, 0, nil, nil
}

// release frees the entry at (pos, off): its collection, TTL list place,
// index word and arena bytes (as garbage). Offsets stay valid until the
// caller's Tx.done, which compacts or drops the table; index positions the
// caller holds are invalid afterwards.
func (sl *slot) release(pos int, off uint32) {
	t := sl.t
	if isObject(eType(t.arena, off)) {
		t.takeObj(objNum(t.arena, off))
	}
	if eExpire(t.arena, off) != 0 {
		sl.volRemove(off)
	}
	t.kill(off)
	t.idx.RemoveAt(pos)
	sl.keys.Add(-1)
}

// clear drops every key of the slot.
func (sl *slot) clear() {
	sl.dropTable()
	sl.keys.Store(0)
	sl.vols.Store(0)
	sl.volSlots.Remove(sl.id)
}

// Prefetch starts fetching the lines of slot's lock and table (a hint: a
// caller about to run a command on slot overlaps those misses with the
// work before it).
func (s *Store) Prefetch(slot uint16) {
	sl := &s.slots[slot&(ring.SlotCount-1)]
	prefetch(unsafe.Pointer(sl))
	prefetch(unsafe.Pointer(&sl.tbl))
}

// PrefetchKey starts fetching the index word where a lookup of key in
// slot begins (a hint, as Prefetch) and returns key's hash, for
// PrefetchEntry. It reads the slot's table line, so a caller that fetched
// that line ahead (Prefetch, a command earlier) does not wait for it. The
// index may change before the key is looked up; the hint is then wasted,
// never wrong.
func (s *Store) PrefetchKey(slot uint16, key []byte) (h uint64) {
	h = s.hash(key)
	sl := &s.slots[slot&(ring.SlotCount-1)]
	if a := sl.tbl.idx.HomeAddr(h); a != 0 {
		prefetchAddr(a)
	}
	return h
}

// PrefetchEntry starts fetching the entry a lookup of the key hashing to
// h in slot will find, when its index word, fetched by PrefetchKey a
// command earlier, is the home word (most keys: linear probing leaves few
// elsewhere).
func (s *Store) PrefetchEntry(slot uint16, h uint64) {
	if e := s.entryHint(slot, h); e != 0 {
		prefetchAddr(e)
		prefetchAddr(e + 64) // an entry's header, key and value often span two lines
	}
}

// entryHint returns the address of the entry that the home word of h in
// slot's index names, if the word's tag is h's, else 0. It reads that word
// and the arena's address without the slot's lock (loadHint): values that
// changed meanwhile give the address of some other line, which a prefetch
// wastes and nothing else.
func (s *Store) entryHint(slot uint16, h uint64) uintptr {
	if !prefetchEntries {
		return 0
	}
	sl := &s.slots[slot&(ring.SlotCount-1)]
	a := sl.tbl.idx.HomeAddr(h)
	if a == 0 {
		return 0
	}
	w := loadHint(a)
	if w == 0 || uint32(w>>32) != index.Tag(h) {
		return 0
	}
	arena := uintptr(loadHint(uintptr(unsafe.Pointer(&sl.tbl.arena)))) // the slice's data pointer
	if arena == 0 {
		return 0
	}
	return arena + uintptr(index.Off(w))
}
