// Package store is meshcache's keyspace engine: one table per Redis Cluster
// hash slot, each guarded by its own mutex, holding strings and collections with
// TTLs, maxmemory eviction, honest memory accounting and replication effects.
//
// # Layout
//
// Each of the 16384 slots owns a table (see slot.go). Strings live in the
// table's byte arena as [header | key | value] entries (arena.go), found
// through an open-addressing index of plain uint64 words (index.go), so the
// garbage collector sees two pointer-free objects per slot instead of one
// object per key. Collections (hashes, lists, sets, sorted sets) are Go
// values referenced from an arena entry by number (object.go).
//
// # Concurrency
//
// Every key operation runs inside a Tx (tx.go) that holds the mutex of each
// slot it touches; the mutex guards the slot's table and watcher map. Locks
// are taken in ascending slot order, so Txs never deadlock. Store-wide
// counters are atomics. Background work (active expiry)
// runs only inside Run, whose goroutines the caller owns and stops through
// the context.
//
// # Clock
//
// The store's clock is wall time read when each Tx begins (time.Now; one
// reading per command, as Redis's commandTimeSnapshot), never a cached
// value that lags it: a key given an absolute deadline must not outlive it
// by the lag of a ticker (issue 20). LockAt takes the caller's reading
// instead (the front end's, taken at the end of the command before in the
// same batch, so at most one command's dispatch old), and reads the clock
// itself when it has to wait for the slot. A key is expired once the clock has
// passed its deadline (now > expireAt, Redis's keyIsExpired), and a
// deadline not in the future refuses the write (now >= expireAt, Redis's
// checkAlreadyExpired). Durations (the active expiry budget) use the
// monotonic clock. Config.Now overrides the clock (tests).
package store

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store/evict"
	"github.com/meshcache/meshcache/store/slotset"
)

// Errors returned by store operations. Their text is the Redis error text
// (without the leading "-"), so the server can send them as they are.
var (
	ErrWrongType = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")
	//lint:ignore ST1005 the text is Redis's error, byte for byte, period included
	ErrOOM = errors.New("OOM command not allowed when used memory > 'maxmemory'.")
	// ErrSlotNotLocked means a Tx touched a key whose slot it does not hold:
	// a programming error in the caller, reported instead of racing.
	ErrSlotNotLocked = errors.New("ERR internal error: key's slot is not locked by this transaction")
	// ErrSameObject is COPY's answer when source and destination are one key.
	ErrSameObject = errors.New("ERR source and destination objects are the same")
)

// Type is the type of the value stored at a key.
type Type uint8

// Value types. Every type from TypeHash on is a collection (object.go).
const (
	TypeNone Type = iota
	TypeString
	TypeHash
	TypeList
	TypeSet
	TypeZSet
)

// String returns the name TYPE replies with ("none", "string", "hash",
// "list", "set", "zset").
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	}
	return "none"
}

// DefaultMaxMemorySamples is MaxMemorySamples when left zero, as in
// redis.conf (the LFU settings' defaults are evict.NewLFU's).
const DefaultMaxMemorySamples = 5

// Config configures a Store. The zero value is a store without a memory limit.
type Config struct {
	MaxMemory        int64        // bytes; 0 means no limit
	Policy           evict.Policy // what to do when MaxMemory is reached
	MaxMemorySamples int          // keys sampled per eviction round; 0 means 5
	// LFULogFactor and LFUDecayTime are Redis's lfu-log-factor (10) and
	// lfu-decay-time (1 minute); 0 means the default (evict.NewLFU).
	LFULogFactor int
	LFUDecayTime time.Duration
	// Encodings are the collections' encoding thresholds; nil means
	// DefaultEncodings. SetEncodings changes them at run time.
	Encodings *Encodings
	// Now returns the current time; nil means time.Now
	// (see the package doc). Tests set it.
	Now func() time.Time
}

// Stats are counters for INFO.
type Stats struct {
	Keys          int64 // keys in the store (expired-but-not-yet-removed included)
	Expires       int64 // keys with a TTL
	ExpiredKeys   int64 // keys removed because their TTL passed
	EvictedKeys   int64 // keys removed by maxmemory eviction
	KeyspaceHits  int64
	KeyspaceMiss  int64
	UsedMemory    int64 // bytes held by the keyspace, measured
	AvgTTLMillis  int64
	ExpireCycleMS int64 // time spent in active expiry, total
}

// Store is the keyspace: one table per hash slot, each with its own lock.
type Store struct {
	slots [ring.SlotCount]slot

	now    func() time.Time // Config.Now; nil means time.Now
	sink   atomic.Pointer[EffectSink]
	txPool sync.Pool
	hashFn func([]byte) uint64 // nil means xxhash; tests inject collisions

	maxMemory atomic.Int64
	// noActiveExpiry: DEBUG SET-ACTIVE-EXPIRE 0 stopped Run's cycles.
	noActiveExpiry atomic.Bool
	policy         atomic.Uint32
	enc            atomic.Pointer[Encodings] // never nil; replaced whole, never written through
	samples        int
	lfu            evict.LFU

	used    atomic.Int64 // accounted bytes, see memory.go
	garbage atomic.Int64 // dead arena bytes awaiting compaction

	// changesAdjust corrects Changes from one per key a command changed to
	// the count Redis's server.dirty takes (Tx.CountChanges): may be
	// negative.
	changesAdjust atomic.Int64

	expiredKeys   atomic.Int64
	evictedKeys   atomic.Int64
	avgTTL        atomic.Int64
	expireCycleNS atomic.Int64

	// evictMu serialises Reclaim: it guards pool.
	evictMu sync.Mutex
	pool    evict.Pool

	// expireCursor is the slot where the next active expiry cycle starts;
	// only Run's goroutine uses it.
	expireCursor int

	// hook is told of key changes and slot flushes (SetKeyHook).
	hook atomic.Pointer[KeyHook]
	// volSlots holds the slots that have keys with a TTL, so that active
	// expiry visits those only instead of reading 16,384 slots' counters
	// (scattered over 2 MB) every 100 ms.
	volSlots slotset.Set
	// release is the serving gate's hook (gate.go), set before serving.
	release ReleaseHook
	// latency is told how long the store's own cycles took (latency.go),
	// set before serving; never nil.
	latency LatencyHook
}

// New returns an empty store.
func New(cfg Config) *Store {
	s := &Store{now: cfg.Now, samples: cfg.MaxMemorySamples, lfu: evict.NewLFU(cfg.LFULogFactor, cfg.LFUDecayTime), latency: noLatency}
	if s.samples <= 0 {
		s.samples = DefaultMaxMemorySamples
	}
	s.maxMemory.Store(cfg.MaxMemory)
	if cfg.Encodings != nil {
		s.SetEncodings(*cfg.Encodings)
	} else {
		s.SetEncodings(DefaultEncodings())
	}
	s.policy.Store(uint32(cfg.Policy))
	for i := range s.slots {
		s.slots[i].id = uint16(i)
		s.slots[i].hook = &s.hook
		s.slots[i].volSlots = &s.volSlots
	}
	s.txPool.New = func() any { return &Tx{s: s} }
	s.used.Store(baseOverhead)
	return s
}

// hash is the 64-bit hash the slot indexes use for key.
func (s *Store) hash(key []byte) uint64 {
	if s.hashFn != nil {
		return s.hashFn(key)
	}
	return xxhash.Sum64(key)
}

// SetEffectSink installs the sink for committed effects; nil removes it.
// Install it before the store serves traffic.
func (s *Store) SetEffectSink(sink EffectSink) {
	if sink == nil {
		s.sink.Store(nil)
		return
	}
	s.sink.Store(&sink)
}

// SetMaxMemory changes the memory limit at run time (CONFIG SET maxmemory).
func (s *Store) SetMaxMemory(bytes int64) { s.maxMemory.Store(bytes) }

// MaxMemory returns the memory limit in bytes (0 = none).
func (s *Store) MaxMemory() int64 { return s.maxMemory.Load() }

// SetPolicy changes the eviction policy at run time.
func (s *Store) SetPolicy(p evict.Policy) { s.policy.Store(uint32(p)) }

// Policy returns the eviction policy in force.
func (s *Store) Policy() evict.Policy { return evict.Policy(s.policy.Load()) }

// NowMS is the store's clock in unix milliseconds.
func (s *Store) NowMS() int64 {
	if s.now != nil {
		return s.now().UnixMilli()
	}
	return time.Now().UnixMilli()
}

// Stats returns the store's counters. It reads atomics only and takes no
// slot lock, so it is cheap enough for every INFO.
func (s *Store) Stats() Stats {
	var st Stats
	for i := range s.slots {
		sl := &s.slots[i]
		st.Keys += sl.keys.Load()
		st.Expires += sl.vols.Load()
		st.KeyspaceHits += sl.hits.Load()
		st.KeyspaceMiss += sl.misses.Load()
	}
	st.ExpiredKeys = s.expiredKeys.Load()
	st.EvictedKeys = s.evictedKeys.Load()
	st.UsedMemory = s.used.Load()
	st.AvgTTLMillis = s.avgTTL.Load()
	st.ExpireCycleMS = s.expireCycleNS.Load() / int64(time.Millisecond)
	return st
}

// ResetStats zeroes the resettable counters (CONFIG RESETSTAT): hits,
// misses, expired and evicted keys, and the expiry cycle time.
func (s *Store) ResetStats() {
	for i := range s.slots {
		s.slots[i].hits.Store(0)
		s.slots[i].misses.Store(0)
	}
	s.expiredKeys.Store(0)
	s.evictedKeys.Store(0)
	s.expireCycleNS.Store(0)
}

// Len returns the number of keys (DBSIZE), expired-but-not-yet-removed
// keys included, as Redis counts them.
func (s *Store) Len() int64 {
	var n int64
	for i := range s.slots {
		n += s.slots[i].keys.Load()
	}
	return n
}

// CountIn returns the number of keys and of keys with a TTL in the slots
// keep accepts (expired keys not yet removed included, as Len): DBSIZE and
// INFO keyspace on a cluster node count the slots it leads.
func (s *Store) CountIn(keep func(slot uint16) bool) (keys, volatile int64) {
	for i := range s.slots {
		if keep(uint16(i)) {
			keys += s.slots[i].keys.Load()
			volatile += s.slots[i].vols.Load()
		}
	}
	return keys, volatile
}

// CountKeysInSlot returns the number of keys in slot.
func (s *Store) CountKeysInSlot(slot uint16) int {
	return int(s.slots[slot].keys.Load())
}

// baseOverhead is the store's fixed footprint: the Store value with its
// slot array, counted in UsedMemory from the start.
const baseOverhead = int64(unsafe.Sizeof(Store{}))
