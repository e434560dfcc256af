//go:build !amd64

package store

import "unsafe"

// prefetch does nothing where no prefetch instruction is wired up.
func prefetch(unsafe.Pointer) {}

// PrefetchLine does nothing where no prefetch instruction is wired up.
func PrefetchLine(unsafe.Pointer) {}

// prefetchAddr does nothing where no prefetch instruction is wired up.
func prefetchAddr(uintptr) {}

// loadHint is not needed where prefetchEntries is false.
func loadHint(uintptr) uint64 { return 0 }

// prefetchEntries reports whether PrefetchEntry fetches anything.
const prefetchEntries = false
