package store

import "unsafe"

// Memory accounting. UsedMemory is the sum, over slots with a table, of
//
//	table struct            unsafe.Sizeof(table{})
//	arena                   cap(arena) bytes: live entries, dead entries
//	                        awaiting compaction and spare capacity alike
//	index                   8 bytes per word, len(words) (exact)
//	TTL list                4 bytes per cap(vol)
//	collections of a slot   once they exist: unsafe.Sizeof(objects{}),
//	                        16 bytes per cap(list), 4 per cap(free)
//	each collection         object.bytes(), an estimate (see object.go)
//
// plus baseOverhead, the Store itself with its 16384 slot headers. Go's
// allocator rounds every allocation up to a size class; that rounding is not
// counted, so the figure is a slight underestimate of the heap the keyspace
// holds (TestUsedMemoryTracksHeap bounds the gap). Each slot keeps what it
// last reported (accBytes) and adds only the difference to Store.used after
// each mutation, so the total costs one atomic add when it changes and none
// when an entry fits in spare capacity.
//
// Store.garbage is the part of UsedMemory that compaction will return: dead
// arena bytes. Eviction compares used-garbage with maxmemory so that it does
// not keep evicting while the memory it freed waits for compaction.

// tableOverhead is the fixed cost of a slot's table: its two lines of the
// slot array, counted while the slot holds keys, as when tables were
// allocated at a slot's first key.
const tableOverhead = int64(unsafe.Sizeof(table{}))

// objectsOverhead is the fixed cost of a table's collections.
const objectsOverhead = int64(unsafe.Sizeof(objects{}))

// bytes returns the memory the table holds, as described above.
func (t *table) bytes() int64 {
	n := tableOverhead + int64(cap(t.arena)) + t.idx.Bytes() + 4*int64(cap(t.vol))
	if ob := t.objs; ob != nil {
		n += objectsOverhead + 16*int64(cap(ob.list)) + 4*int64(cap(ob.free)) + ob.bytes
	}
	return n
}

// account publishes the table's memory after a mutation.
func (s *Store) account(t *table) {
	if t == nil {
		return
	}
	if nb := t.bytes(); nb != t.accBytes {
		s.used.Add(nb - t.accBytes)
		t.accBytes = nb
	}
	if g := int64(t.garbage); g != t.accGarbage {
		s.garbage.Add(g - t.accGarbage)
		t.accGarbage = g
	}
}

// unaccount withdraws a table that is being dropped.
func (s *Store) unaccount(t *table) {
	if t == nil {
		return
	}
	s.used.Add(-t.accBytes)
	s.garbage.Add(-t.accGarbage)
	t.accBytes, t.accGarbage = 0, 0
}

// UsedMemory returns the bytes held by the keyspace (INFO used_memory).
func (s *Store) UsedMemory() int64 { return s.used.Load() }

// entryBytes is MEMORY USAGE for the entry at off: its arena bytes, its
// share of the index (8 bytes at the index's fill), and its hash value.
func (t *table) entryBytes(off uint32) int64 {
	n := int64(eSize(t.arena, off))
	if t.idx.Len() > 0 {
		n += t.idx.Bytes() / int64(t.idx.Len())
	}
	if eExpire(t.arena, off) != 0 {
		n += 4
	}
	if isObject(eType(t.arena, off)) {
		n += t.obj(off).bytes()
	}
	return n
}
