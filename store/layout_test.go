package store

import (
	"testing"
	"unsafe"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store/index"
)

// TestSlotLayout keeps the slot array's layout: a slot is four cache lines,
// aligned (the array starts the Store, which as a large object starts on a
// page); the fields a command always touches share the first, and the
// table the second and third, with what a lookup reads in the second (see
// slot's doc comment).
func TestSlotLayout(t *testing.T) {
	var sl slot
	if got := unsafe.Sizeof(sl); got != 256 {
		t.Fatalf("slot is %d bytes, want 256 (four cache lines)", got)
	}
	if off := unsafe.Offsetof(sl.tbl); off != 64 {
		t.Fatalf("slot.tbl at offset %d, want 64 (the second cache line)", off)
	}
	if off := unsafe.Offsetof(Store{}.slots); off != 0 {
		t.Fatalf("Store.slots at offset %d, want 0 (cache-line aligned)", off)
	}
	hot := map[string]uintptr{
		"mu": unsafe.Offsetof(sl.mu), "t": unsafe.Offsetof(sl.t), "owed": unsafe.Offsetof(sl.owed),
		"version": unsafe.Offsetof(sl.version), "watched": unsafe.Offsetof(sl.watched),
		"hook": unsafe.Offsetof(sl.hook), "hits": unsafe.Offsetof(sl.hits), "id": unsafe.Offsetof(sl.id),
		"hasReady": unsafe.Offsetof(sl.hasReady),
	}
	for name, off := range hot {
		if off >= 64 {
			t.Errorf("slot.%s at offset %d: outside the first cache line", name, off)
		}
	}
	var tb table
	if got := unsafe.Sizeof(tb); got != 128 {
		t.Fatalf("table is %d bytes, want 128 (two cache lines of the slot)", got)
	}
	for name, end := range map[string]uintptr{
		"arena": unsafe.Offsetof(tb.arena) + unsafe.Sizeof(tb.arena),
		"idx":   unsafe.Offsetof(tb.idx) + unsafe.Sizeof(tb.idx),
	} {
		if end > 64 {
			t.Errorf("table.%s ends at offset %d: outside the first cache line", name, end)
		}
	}
	s := New(Config{})
	if p := uintptr(unsafe.Pointer(&s.slots[0])); p%64 != 0 {
		t.Errorf("slot array at %#x: not cache-line aligned", p)
	}
}

// TestDropTable checks that a slot whose last key goes keeps nothing of
// its table: no arena, index, TTL list or collections, and no published
// index words for prefetches to follow.
func TestDropTable(t *testing.T) {
	s := New(Config{})
	key := []byte("k")
	slot := ring.KeySlot(key)
	tx := s.Lock(slot)
	if err := tx.Put(key, []byte("v"), 1<<50); err != nil {
		t.Fatal(err)
	}
	tx.Close()
	sl := &s.slots[slot]
	if sl.t != &sl.tbl || sl.tbl.idx.HomeAddr(0) == 0 {
		t.Fatal("a slot holding a key has no table")
	}
	tx = s.Lock(slot)
	if ok, err := tx.Delete(key); !ok || err != nil {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
	tx.Close()
	tb := &sl.tbl
	if sl.t != nil || tb.arena != nil || tb.idx.Len() != 0 || tb.idx.Words() != nil || tb.idx.HomeAddr(0) != 0 ||
		tb.vol != nil || tb.objs != nil || tb.garbage != 0 || tb.accBytes != 0 || tb.accGarbage != 0 {
		t.Fatalf("emptied slot kept its table: t=%p %+v", sl.t, tb)
	}
}

// TestEntryHint checks the address PrefetchEntry fetches: the entry of a
// key at its home word, and none for a key the slot does not hold or an
// empty slot.
func TestEntryHint(t *testing.T) {
	if !prefetchEntries {
		t.Skip("no entry prefetch on this architecture")
	}
	s := New(Config{})
	key := []byte("k")
	slot := ring.KeySlot(key)
	h := s.hash(key)
	if got := s.entryHint(slot, h); got != 0 {
		t.Fatalf("empty slot: hint %#x, want none", got)
	}
	tx := s.Lock(slot)
	if err := tx.Put(key, []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	tx.Close()
	sl := &s.slots[slot]
	off, pos, ok := sl.t.find(key, h)
	if !ok {
		t.Fatal("key not found")
	}
	if home := int(index.Tag(h)) & (len(sl.t.idx.Words()) - 1); pos != home {
		t.Fatalf("a slot's only key at position %d, not its home %d", pos, home)
	}
	if got, want := s.entryHint(slot, h), uintptr(unsafe.Pointer(&sl.t.arena[off])); got != want {
		t.Fatalf("hint %#x, want the entry at %#x", got, want)
	}
	if got := s.entryHint(slot, h^(1<<63)); got != 0 {
		t.Fatalf("a key the slot does not hold: hint %#x, want none", got)
	}
}
