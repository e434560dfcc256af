package store

import (
	"bytes"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store/evict"
)

// Tx holds the locks of one or more slots; every key operation goes through a
// Tx so that a command (or a MULTI/EXEC block) is atomic. Close it exactly once.
//
// A Tx belongs to one goroutine. Txs are pooled: Lock, a read or an
// overwrite of the same size, and Close allocate nothing.
type Tx struct {
	s     *Store
	slots []uint16 // held, ascending, unique

	now    int64      // the store clock when the Tx began, unix ms
	nowSec uint32     // now in seconds: the LRU clock
	nowMin uint16     // now in minutes mod 2^16: the LFU clock
	lfu    bool       // the policy ranks by LFU, so reads bump counters
	enc    *Encodings // the encoding thresholds when the Tx began (read only)

	sink EffectSink // nil: effects are not recorded
	// pinned is set once the Tx has handed out a slice of arena memory;
	// from then on it never overwrites arena bytes in place (arena.go).
	pinned bool
	// replay is set by Apply: the primary decides expiry (it sends DEL
	// when a key expires), so a replaying Tx never expires or refuses a
	// key because of its own clock.
	replay bool
	// writing is set (StartCommand) while a write command runs: its misses
	// are not a read's, so they tell no KeyMissed, as Redis's
	// lookupKeyWrite notifies no "keymiss".
	writing bool
	// readKeys are the keys a write command only reads (its key specs
	// say RO): their misses tell KeyMissed as a read's do. Set with
	// writing, only while keyspace notifications want misses.
	readKeys [][]byte
	// mark is versions() when the running command started (StartCommand,
	// or begin), plus the versions of slots grown into since (Grow).
	mark uint64
	// turn: taken by LockFor while the slot was owed to its token.
	turn    bool
	effects []Effect
	buf     []byte   // owns the bytes of effects
	group   []Effect // scratch for handing multi-slot effects out per slot
	// hint is a key whose slot the caller already computed (Hint), so at
	// does not hash it again; matched by identity (the same bytes in
	// memory, the same length), never by content.
	hint     []byte
	hintSlot uint16
	// owned: the Tx belongs to a caller that reuses it (OwnTx), not to
	// the pool; open: such a Tx is open now.
	owned, open bool
}

// OwnTx returns a Tx for one goroutine to lock with again and again
// (LockAt's own): Close leaves it to its owner instead of the pool, which
// saves the pool's work on every command of a connection.
func (s *Store) OwnTx() *Tx { return &Tx{s: s, owned: true} }

// txFor returns own when it is an owned Tx not open now, else one from the
// pool.
func (s *Store) txFor(own *Tx) *Tx {
	if own != nil && own.owned && !own.open {
		own.open = true
		return own
	}
	return s.txPool.Get().(*Tx)
}

// Hint tells the Tx that key's slot is slot, saving at's CRC16 of the
// same key (about 4% of a pipelined GET's instructions). slot must be
// ring.KeySlot(key), and key's bytes must not change while the Tx is open:
// a command's arguments qualify (resp.Conn rewrites its input buffer only
// between batches, after every command of the batch, and so its Tx, ended).
func (tx *Tx) Hint(key []byte, slot uint16) { tx.hint, tx.hintSlot = key, slot }

// Lock returns a Tx that holds slot.
func (s *Store) Lock(slot uint16) *Tx {
	tx := s.txPool.Get().(*Tx)
	tx.slots = append(tx.slots[:0], slot)
	sl := &s.slots[slot]
	sl.prefetchTable()
	sl.mu.Lock()
	sl.await(0)
	tx.begin()
	return tx
}

// LockAt is Lock for a caller that read the clock just before (nowMS, in
// Unix milliseconds: the front end's batch clock, at most one command's
// routing old). When the slot is free at once, the Tx's clock is nowMS,
// which saves a clock read per command; when Lock would wait (the slot is
// held, or owed to a blocked client), the clock is read after the wait, as
// Lock does, so the Tx never runs with a clock older than its lock. A
// store with Config.Now reads that clock in any case. own, when not nil,
// is the caller's own Tx (OwnTx), used when it is not open.
func (s *Store) LockAt(slot uint16, nowMS int64, own *Tx) *Tx {
	sl := &s.slots[slot]
	sl.prefetchTable()
	if s.now != nil || !sl.mu.TryLock() {
		return s.Lock(slot)
	}
	tx := s.txFor(own)
	tx.slots = append(tx.slots[:0], slot)
	if sl.owed != 0 {
		sl.await(0)
		tx.begin()
		return tx
	}
	tx.beginAt(nowMS)
	return tx
}

// LockSlots returns a Tx that holds every slot in slots (any order,
// duplicates allowed); slots are locked in ascending order, so two Txs never
// deadlock.
func (s *Store) LockSlots(slots []uint16) *Tx {
	tx := s.txPool.Get().(*Tx)
	tx.slots = append(tx.slots[:0], slots...)
	slices.Sort(tx.slots)
	tx.slots = slices.Compact(tx.slots)
	for _, sn := range tx.slots {
		s.slots[sn].mu.Lock()
		s.slots[sn].await(0)
	}
	tx.begin()
	return tx
}

// TryLockSlots is LockAt for a caller that must not wait, over any number
// of slots: it returns a Tx holding every slot in slots (any order,
// duplicates allowed) if each is free at once or within tryLockSpinFor (held
// by no Tx, owed to no blocked client), and false, holding nothing,
// otherwise. nowMS and own are as for LockAt (nowMS 0: the Tx reads the
// clock).
//
// A slot held by a command is let go within microseconds, one held by a
// script, EXEC or a handoff's fence far later: a taken slot is tried again
// for up to tryLockSpinFor, so that two event loops writing keys of one slot
// wait for each other briefly instead of handing their connections to
// goroutines.
func (s *Store) TryLockSlots(slots []uint16, nowMS int64, own *Tx) (*Tx, bool) {
	tx := s.txFor(own)
	tx.slots = append(tx.slots[:0], slots...)
	if len(tx.slots) > 1 {
		slices.Sort(tx.slots)
		tx.slots = slices.Compact(tx.slots)
	}
	for i, sn := range tx.slots {
		sl := &s.slots[sn]
		sl.prefetchTable()
		if sl.mu.TryLock() || tryLockSpin(&sl.mu) {
			if sl.owed == 0 {
				continue
			}
			sl.mu.Unlock()
		}
		for _, held := range tx.slots[:i] {
			s.slots[held].mu.Unlock()
		}
		tx.slots = tx.slots[:0]
		tx.release1()
		return nil, false
	}
	if nowMS != 0 && s.now == nil {
		tx.beginAt(nowMS)
	} else {
		tx.begin()
	}
	return tx, true
}

// tryLockSpinFor is how long TryLockSlots keeps trying a taken slot, yielding
// to the scheduler between tries (so that a holder on this processor
// runs), before it gives up. A command holds its slots for a few
// microseconds (a hot key written from two event loops, random keys
// meeting in a slot); a script, EXEC or a handoff's fence far longer.
const tryLockSpinFor = 20 * time.Microsecond

// tryLockSpin takes mu, which was taken a moment ago, if it is let go
// within tryLockSpinFor.
func tryLockSpin(mu *sync.Mutex) bool {
	start := time.Now()
	for i := 1; ; i++ {
		runtime.Gosched()
		if mu.TryLock() {
			return true
		}
		if i%8 == 0 && time.Since(start) > tryLockSpinFor {
			return false
		}
	}
}

// release1 gives back a Tx that never began: to its owner or the pool.
func (tx *Tx) release1() {
	if tx.owned {
		tx.open = false
		return
	}
	tx.s.txPool.Put(tx)
}

// begin samples the clock, the policy, the encoding thresholds and the sink
// for a new Tx, and marks where CountChanges counts from.
func (tx *Tx) begin() { tx.beginAt(tx.s.NowMS()) }

// beginAt is begin with the clock read by the caller (unix ms).
func (tx *Tx) beginAt(now int64) {
	s := tx.s
	tx.now = now
	tx.nowSec = uint32(tx.now / 1000)
	tx.nowMin = uint16(tx.now / 60000)
	tx.lfu = s.Policy().LFU()
	tx.enc = s.enc.Load()
	if p := s.sink.Load(); p != nil {
		tx.sink = *p
	}
	tx.mark = tx.versions()
}

// Close hands the Tx's effects to the sink, slot by slot in ascending slot
// order and in apply order within a slot, while the locks are still held,
// then releases the locks.
func (tx *Tx) Close() {
	s := tx.s
	tx.release()
	tx.handOff()
	for i := len(tx.slots) - 1; i >= 0; i-- {
		s.slots[tx.slots[i]].mu.Unlock()
	}
	clear(tx.effects)
	tx.effects = tx.effects[:0]
	if cap(tx.buf) > 64<<10 {
		tx.buf = nil // do not keep a big value alive in the pool
	} else {
		tx.buf = tx.buf[:0]
	}
	tx.slots = tx.slots[:0]
	tx.pinned = false
	tx.replay = false
	tx.writing = false
	tx.turn = false
	tx.readKeys = tx.readKeys[:0]
	tx.sink = nil
	tx.hint = nil
	if tx.owned {
		tx.open = false
		return
	}
	s.txPool.Put(tx)
}

// handOff hands the effects to the sink, slot by slot in ascending slot
// order and in apply order within a slot (the locks are held).
func (tx *Tx) handOff() {
	if len(tx.effects) > 0 && tx.sink != nil {
		if len(tx.slots) == 1 {
			tx.sink(tx.slots[0], tx.effects)
		} else {
			for _, sn := range tx.slots {
				g := tx.group[:0]
				for _, e := range tx.effects {
					if e.Slot == sn {
						g = append(g, e)
					}
				}
				if len(g) > 0 {
					tx.sink(sn, g)
				}
				clear(g)
				tx.group = g[:0]
			}
		}
	}
}

// NowMS is the store's clock in unix milliseconds, as sampled when the Tx
// began: every expiry decision of the Tx uses this one instant, as Redis
// uses one time per command.
func (tx *Tx) NowMS() int64 { return tx.now }

// Slots returns the slots the Tx holds, ascending. The slice belongs to tx.
func (tx *Tx) Slots() []uint16 { return tx.slots }

// holds reports whether tx holds slot sn.
func (tx *Tx) holds(sn uint16) bool {
	if len(tx.slots) <= 8 {
		for _, x := range tx.slots {
			if x == sn {
				return true
			}
		}
		return false
	}
	_, ok := slices.BinarySearch(tx.slots, sn)
	return ok
}

// at returns key's slot and hash, or ErrSlotNotLocked.
func (tx *Tx) at(key []byte) (*slot, uint64, error) {
	var sn uint16
	if len(key) > 0 && len(key) == len(tx.hint) && &key[0] == &tx.hint[0] {
		sn = tx.hintSlot
	} else {
		sn = ring.KeySlot(key)
	}
	if !tx.holds(sn) {
		return nil, 0, ErrSlotNotLocked
	}
	return &tx.s.slots[sn], tx.s.hash(key), nil
}

// find returns key's live entry. An entry whose TTL has passed is removed
// on the way (lazy expiry) and reported missing.
func (tx *Tx) find(sl *slot, key []byte, h uint64) (off uint32, pos int, ok bool) {
	t := sl.t
	if t == nil {
		return 0, 0, false
	}
	off, pos, ok = t.find(key, h)
	if !ok {
		return 0, 0, false
	}
	if exp := eExpire(t.arena, off); expired(exp, tx.now) && !tx.replay {
		tx.expire(sl, pos, off, key)
		tx.done(sl)
		return 0, 0, false
	}
	return off, pos, true
}

// expired reports whether a key whose deadline is exp (unix ms, 0 = none)
// is dead at now: once the clock has passed the deadline, as Redis's
// keyIsExpired (now > when). At now == exp the key still lives (PTTL 0).
func expired(exp, now int64) bool { return exp != 0 && now > exp }

// read is find for read commands: it counts a keyspace hit or miss.
func (tx *Tx) read(sl *slot, key []byte, h uint64) (off uint32, ok bool) {
	off, _, ok = tx.find(sl, key, h)
	if ok {
		sl.hits.Add(1)
	} else {
		sl.misses.Add(1)
		if !tx.writing || tx.readsOnly(key) {
			sl.keyEvent(key, KeyMissed)
		}
	}
	return off, ok
}

// StartCommand tells the Tx that a command begins in it (the front end,
// before each command it runs in the Tx): whether it is a write, and which
// of its keys it only reads (readKeys, whose misses are a read's; the Tx
// keeps the slice until the next StartCommand or Close). CountChanges
// counts from here.
func (tx *Tx) StartCommand(w bool, readKeys ...[]byte) {
	tx.mark = tx.versions()
	tx.writing = w
	tx.readKeys = append(tx.readKeys[:0], readKeys...)
}

// readsOnly reports whether key is one of readKeys.
func (tx *Tx) readsOnly(key []byte) bool {
	for _, k := range tx.readKeys {
		if bytes.Equal(k, key) {
			return true
		}
	}
	return false
}

// Has reports whether key exists, as Exists, but neither as a read nor a
// write: no keyspace hit or miss is counted (keyspace notifications ask
// whether a command left a key, as Redis's dbExists).
func (tx *Tx) Has(key []byte) bool {
	sl, h, err := tx.at(key)
	if err != nil {
		return false
	}
	_, _, ok := tx.find(sl, key, h)
	return ok
}

// expire removes an entry whose TTL passed and says so to sink and watchers.
func (tx *Tx) expire(sl *slot, pos int, off uint32, key []byte) {
	tx.emit(Effect{Kind: EffectDel, Slot: sl.id, Key: key})
	sl.release(pos, off)
	tx.s.expiredKeys.Add(1)
	sl.keyEvent(key, KeyExpired)
	sl.touchWatch(key)
	tx.uncounted()
}

// uncounted takes back from Changes the key change just made, which Redis
// does not count in server.dirty (an expiry, an eviction), also for the
// command running in tx (CountChanges counts from mark).
func (tx *Tx) uncounted() {
	tx.s.changesAdjust.Add(-1)
	tx.mark++
}

// remove deletes a live entry on behalf of a command.
func (tx *Tx) remove(sl *slot, pos int, off uint32, key []byte) {
	tx.emit(Effect{Kind: EffectDel, Slot: sl.id, Key: key})
	sl.release(pos, off)
	sl.touchWatch(key)
}

// done finishes a mutation of sl: drops its table when it has no key left,
// compacts its arena when half of it is garbage, and publishes its memory.
// Table pointers and offsets the caller holds are invalid afterwards.
func (tx *Tx) done(sl *slot) {
	t := sl.t
	if t == nil {
		return
	}
	if t.idx.Len() == 0 {
		tx.s.unaccount(t)
		sl.dropTable()
		return
	}
	if t.needsCompact() {
		t.compact()
	}
	tx.s.account(t)
}

// access records a read or write of the entry at off for LRU and LFU.
func (tx *Tx) access(t *table, off uint32) {
	a := t.arena
	if eLRU(a, off) != tx.nowSec {
		setLRU(a, off, tx.nowSec)
	}
	if tx.lfu {
		setLFU(a, off, tx.nowMin, tx.s.lfu.Touch(eLFU(a, off), eLDT(a, off), tx.nowMin))
	}
}

// newMeta is the access metadata of a new key.
func (tx *Tx) newMeta() entryMeta {
	return entryMeta{lru: tx.nowSec, ldt: tx.nowMin, lfu: evict.LFUInitVal}
}

// Type returns the type of key (TypeNone when missing or expired).
func (tx *Tx) Type(key []byte) (Type, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return TypeNone, err
	}
	off, ok := tx.read(sl, key, h)
	if !ok {
		return TypeNone, nil
	}
	return eType(sl.t.arena, off), nil
}

// Exists reports whether key exists.
func (tx *Tx) Exists(key []byte) (bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return false, err
	}
	_, ok := tx.read(sl, key, h)
	return ok, nil
}

// Delete removes key; it reports whether key existed.
func (tx *Tx) Delete(key []byte) (bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return false, err
	}
	off, pos, ok := tx.find(sl, key, h)
	if !ok {
		return false, nil
	}
	tx.remove(sl, pos, off, key)
	tx.done(sl)
	return true, nil
}

// ExpireAt returns key's expiry in unix milliseconds (0 when persistent).
func (tx *Tx) ExpireAt(key []byte) (at int64, exists bool, err error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return 0, false, err
	}
	off, ok := tx.read(sl, key, h)
	if !ok {
		return 0, false, nil
	}
	return eExpire(sl.t.arena, off), true, nil
}

// SetExpireAt sets key's expiry (0 = persist). A time not in the future
// deletes the key. It reports whether key existed.
func (tx *Tx) SetExpireAt(key []byte, at int64) (bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return false, err
	}
	off, pos, ok := tx.find(sl, key, h)
	if !ok {
		return false, nil
	}
	if at != 0 && at <= tx.now && !tx.replay {
		tx.remove(sl, pos, off, key)
		tx.done(sl)
		return true, nil
	}
	t := sl.t
	if eExpire(t.arena, off) == at {
		if at != 0 {
			// Redis signals an EXPIRE even when the time is unchanged.
			sl.touchWatch(key)
			tx.emit(Effect{Kind: EffectExpire, Slot: sl.id, Key: key, ExpireAt: at})
		}
		return true, nil
	}
	sl.setExpire(off, at)
	tx.access(t, off)
	sl.touchWatch(key)
	tx.emit(Effect{Kind: EffectExpire, Slot: sl.id, Key: key, ExpireAt: at})
	tx.done(sl)
	return true, nil
}

// Touch updates the access time of key (TOUCH); it reports whether key exists.
func (tx *Tx) Touch(key []byte) (bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return false, err
	}
	off, ok := tx.read(sl, key, h)
	if !ok {
		return false, nil
	}
	tx.access(sl.t, off)
	return true, nil
}
