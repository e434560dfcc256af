package lock

import (
	"sync"
	"time"
)

// DefaultMaxMarks is the number of lock names whose fencing marks a Table
// keeps individually before it starts folding idle ones into its floor.
const DefaultMaxMarks = 1 << 20

// evictSamples is how many entries one eviction looks at, as Redis samples
// keys for maxmemory: enough to usually find a small idle mark, O(1) per call.
const evictSamples = 16

// TableConfig configures a Table. The zero value is usable.
type TableConfig struct {
	// Now is the table's clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
	// MaxMarks bounds the number of names with an individual entry (held
	// locks plus remembered marks of idle names); 0 means DefaultMaxMarks.
	// Held locks are never evicted, so the bound is exceeded only while more
	// than MaxMarks locks are held at once.
	MaxMarks int
	// Floor is the initial fencing floor: the mark every name starts from.
	// nil means the table's creation time in Unix microseconds, so that a node
	// that restarts (and so forgets its marks) still answers marks above the
	// tokens issued before the restart; see "Restarts" in the package doc.
	Floor *uint64
}

// Table is the node-local lock table behind the LOCK.* commands: a lease per
// lock name with a holder and an expiry, and a fencing high-water mark per
// name that only grows, survives release and expiry, and lives as long as the
// table. It is pure logic (no network, no goroutines); one mutex guards all of
// its state, and every method is safe for concurrent use.
//
// Memory is bounded by folding the marks of idle names into a table-wide
// floor: the effective mark of a name is max(its own mark, floor), the floor
// only grows, and an idle name's entry is dropped only after the floor has
// been raised to at least its mark. So no name's effective mark ever
// decreases, which is all that fencing needs; eviction only makes later
// tokens jump further up.
type Table struct {
	now      func() time.Time
	maxMarks int

	mu sync.Mutex // guards everything below
	// entries holds every name that is held, or that has a mark above floor.
	entries map[string]*entry
	// floor is the mark of every name without an entry. Only grows.
	floor uint64
}

// entry is one lock name's state. holder == "" means the name is free; a
// held lease whose expiry has passed is free too (expiry is lazy).
type entry struct {
	mark      uint64    // fencing high-water mark; never below the floor at the time it was set
	holder    string    // current lease holder, "" when free
	expires   time.Time // lease end, meaningful when holder != ""
	confirmed uint64    // token the current holder confirmed, 0 if none yet
}

// NewTable returns an empty lock table.
func NewTable(cfg TableConfig) *Table {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	maxMarks := cfg.MaxMarks
	if maxMarks <= 0 {
		maxMarks = DefaultMaxMarks
	}
	var floor uint64
	if cfg.Floor != nil {
		floor = *cfg.Floor
	} else if us := now().UnixMicro(); us > 0 {
		floor = uint64(us)
	}
	return &Table{now: now, maxMarks: maxMarks, entries: make(map[string]*entry), floor: floor}
}

// heldAt reports whether e is a live lease at time now.
func (e *entry) heldAt(now time.Time) bool {
	return e.holder != "" && now.Before(e.expires)
}

// Acquire grants the lease on name to holder for ttl if the name is free (or
// its lease expired), or if holder already holds it, which makes a retried
// acquire idempotent (the lease is then renewed to ttl). On a grant it returns
// granted=true and the name's current high-water mark; otherwise it returns
// false and the remaining time of the current lease.
func (t *Table) Acquire(name, holder string, ttl time.Duration) (granted bool, mark uint64, remaining time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.entries[name]
	if e != nil && e.heldAt(now) && e.holder != holder {
		return false, 0, e.expires.Sub(now)
	}
	if e == nil {
		t.makeRoom()
		// Pin the floor into the entry now: while the name is held its mark
		// must not move under the holder when other names raise the floor.
		e = &entry{mark: t.floor}
		t.entries[name] = e
	}
	if e.holder != holder {
		e.confirmed = 0
	}
	// The floor may have risen since the entry was made: report and keep the
	// effective mark.
	e.mark = max(e.mark, t.floor)
	e.holder = holder
	e.expires = now.Add(ttl)
	return true, e.mark, 0
}

// Confirm raises name's high-water mark to token, provided holder holds the
// lease and token is above the mark. Confirming the token the holder already
// confirmed succeeds again (a retried CONFIRM). It returns ErrNotHeld or
// ErrStaleToken (wrapped by the caller's protocol layer) otherwise.
func (t *Table) Confirm(name, holder string, token uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[name]
	if e == nil || !e.heldAt(t.now()) || e.holder != holder {
		return ErrNotHeld
	}
	if e.confirmed != 0 && e.confirmed == token {
		return nil
	}
	if token <= e.mark {
		return &staleTokenError{token: token, mark: e.mark}
	}
	e.mark = token
	e.confirmed = token
	return nil
}

// Release ends holder's lease on name and reports whether holder held it.
// The mark stays.
func (t *Table) Release(name, holder string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entries[name]
	if e == nil || !e.heldAt(t.now()) || e.holder != holder {
		return false
	}
	e.holder, e.confirmed = "", 0
	t.dropIfFolded(name, e)
	return true
}

// Extend renews holder's lease on name to ttl from now and reports whether
// holder held it. An expired lease cannot be extended.
func (t *Table) Extend(name, holder string, ttl time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.entries[name]
	if e == nil || !e.heldAt(now) || e.holder != holder {
		return false
	}
	e.expires = now.Add(ttl)
	return true
}

// Mark returns name's effective high-water mark: its own mark, or the floor
// when the table keeps no entry for it.
func (t *Table) Mark(name string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.entries[name]; e != nil {
		return max(e.mark, t.floor)
	}
	return t.floor
}

// Len returns the number of names with an individual entry (held, or with a
// mark above the floor), the figure MaxMarks bounds.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

// dropIfFolded deletes a free entry whose mark the floor already covers: it
// carries no information. t.mu must be held.
func (t *Table) dropIfFolded(name string, e *entry) {
	if e.holder == "" && e.mark <= t.floor {
		delete(t.entries, name)
	}
}

// makeRoom evicts one idle entry when the table is full, folding its mark
// into the floor first. It samples a few entries (Go's map iteration starts
// at a random place) and evicts the idle one with the smallest mark, so the
// floor rises as little as possible. If every sampled entry is a live lease
// the table grows past its bound: live leases are bounded by the clients'
// TTLs, and refusing a lock would be worse. t.mu must be held.
func (t *Table) makeRoom() {
	if len(t.entries) < t.maxMarks {
		return
	}
	now := t.now()
	var (
		victim     string
		victimMark uint64
		found      bool
		seen       int
	)
	for name, e := range t.entries {
		if !e.heldAt(now) && (!found || e.mark < victimMark) {
			victim, victimMark, found = name, e.mark, true
		}
		if seen++; seen >= evictSamples {
			break
		}
	}
	if !found {
		return
	}
	// Raise the floor before forgetting the mark: the name's effective mark
	// stays >= victimMark, so it never decreases.
	t.floor = max(t.floor, victimMark)
	delete(t.entries, victim)
}
