package store

import "unsafe"

// prefetch asks the processor to bring the cache line at p into its
// caches without waiting for it (PREFETCHT0): a hint, not a read, so it
// needs no lock and cannot fault.
//
//go:noescape
func prefetch(p unsafe.Pointer)

// PrefetchLine starts fetching the cache line at p (a hint, as
// Store.Prefetch), for state kept beside the store that a write's commit
// reads: the replication stream's per-slot offset (cluster's sink).
func PrefetchLine(p unsafe.Pointer) { prefetch(p) }

// prefetchAddr is prefetch for an address that may no longer point into
// a live object (a hint read without a lock): a prefetch never faults.
func prefetchAddr(a uintptr)

// loadHint reads the word at a, which the caller found without the lock
// that guards it, outside the race detector's view: for a prefetch hint
// only (PrefetchEntry), whose value may be stale and is never trusted. a
// must be the address of a word the runtime keeps mapped (the slot array,
// or index words HomeAddr published, which may be garbage by now but are
// heap memory, never unmapped).
func loadHint(a uintptr) uint64

// prefetchEntries reports whether PrefetchEntry fetches anything.
const prefetchEntries = true
