package store

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store/index"
)

// EffectKind says what an Effect does.
type EffectKind uint8

// Effect kinds. Each is idempotent: applying an effect twice equals once.
const (
	EffectSet       EffectKind = iota + 1 // SET Key Value [PXAT ExpireAt]
	EffectDel                             // DEL Key
	EffectExpire                          // PEXPIREAT Key ExpireAt, or PERSIST Key when ExpireAt is 0
	EffectHSet                            // HSET Key Field Value
	EffectHDel                            // HDEL Key Field
	EffectFlushSlot                       // drop every key of the slot
	EffectListSet                         // LISTSET Key Field=position Value: set, prepend or append at an absolute position (list_tx.go)
	EffectListTrim                        // LISTTRIM Key Field=first Value=end: keep the absolute positions [first, end)
	EffectSAdd                            // SADD Key Field
	EffectSRem                            // SREM Key Field
	EffectZAdd                            // ZADD Key Value(score) Field(member)
	EffectZRem                            // ZREM Key Field
	EffectSetRange                        // SETRANGE Key Field=offset Value: write Value at the offset of a string, growing it with zeros (strings_range.go)
)

// String names the kind for logs.
func (k EffectKind) String() string {
	switch k {
	case EffectSet:
		return "set"
	case EffectDel:
		return "del"
	case EffectExpire:
		return "expire"
	case EffectHSet:
		return "hset"
	case EffectHDel:
		return "hdel"
	case EffectFlushSlot:
		return "flushslot"
	case EffectListSet:
		return "listset"
	case EffectListTrim:
		return "listtrim"
	case EffectSAdd:
		return "sadd"
	case EffectSRem:
		return "srem"
	case EffectZAdd:
		return "zadd"
	case EffectZRem:
		return "zrem"
	case EffectSetRange:
		return "setrange"
	}
	return "effect(" + strconv.Itoa(int(k)) + ")"
}

// Effect is one idempotent mutation, as applied on a primary, for replication.
// Byte slices handed to an EffectSink alias store memory: a sink that keeps
// an effect must copy it (Clone) before returning.
type Effect struct {
	Kind     EffectKind
	Slot     uint16
	Key      []byte
	Field    []byte
	Value    []byte
	ExpireAt int64 // unix milliseconds; 0 = no expiry
}

// EffectSink receives the effects of each committed Tx, slot by slot, in
// apply order, while the slot's lock is still held.
type EffectSink func(slot uint16, effects []Effect)

// Clone returns a copy of e that owns its bytes (in one allocation).
func (e Effect) Clone() Effect {
	buf := make([]byte, 0, len(e.Key)+len(e.Field)+len(e.Value))
	own := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		n := len(buf)
		buf = append(buf, b...)
		return buf[n:len(buf):len(buf)]
	}
	e.Key, e.Field, e.Value = own(e.Key), own(e.Field), own(e.Value)
	return e
}

// Args returns e as a Redis command (for example SET k v PXAT 1700000000000).
// EffectFlushSlot has no Redis equivalent and renders as meshcache's
// internal FLUSHSLOT <slot>; the list effects as LISTSET key position
// element and LISTTRIM key first end; EffectSetRange as Redis's own
// SETRANGE key offset value, which means the same.
func (e Effect) Args() [][]byte {
	switch e.Kind {
	case EffectSet:
		if e.ExpireAt != 0 {
			return [][]byte{[]byte("SET"), e.Key, e.Value, []byte("PXAT"), strconv.AppendInt(nil, e.ExpireAt, 10)}
		}
		return [][]byte{[]byte("SET"), e.Key, e.Value}
	case EffectDel:
		return [][]byte{[]byte("DEL"), e.Key}
	case EffectExpire:
		if e.ExpireAt == 0 {
			return [][]byte{[]byte("PERSIST"), e.Key}
		}
		return [][]byte{[]byte("PEXPIREAT"), e.Key, strconv.AppendInt(nil, e.ExpireAt, 10)}
	case EffectHSet:
		return [][]byte{[]byte("HSET"), e.Key, e.Field, e.Value}
	case EffectHDel:
		return [][]byte{[]byte("HDEL"), e.Key, e.Field}
	case EffectFlushSlot:
		return [][]byte{[]byte("FLUSHSLOT"), strconv.AppendUint(nil, uint64(e.Slot), 10)}
	case EffectListSet:
		return [][]byte{[]byte("LISTSET"), e.Key, e.Field, e.Value}
	case EffectListTrim:
		return [][]byte{[]byte("LISTTRIM"), e.Key, e.Field, e.Value}
	case EffectSAdd:
		return [][]byte{[]byte("SADD"), e.Key, e.Field}
	case EffectSRem:
		return [][]byte{[]byte("SREM"), e.Key, e.Field}
	case EffectZAdd:
		return [][]byte{[]byte("ZADD"), e.Key, e.Value, e.Field}
	case EffectZRem:
		return [][]byte{[]byte("ZREM"), e.Key, e.Field}
	case EffectSetRange:
		return [][]byte{[]byte("SETRANGE"), e.Key, e.Field, e.Value}
	}
	return nil
}

// emit records e for the sink, copying its bytes into the Tx's buffer: the
// arena bytes it names may be overwritten later in the same Tx. Nothing is
// recorded without a sink.
func (tx *Tx) emit(e Effect) {
	if tx.sink == nil {
		return
	}
	e.Key, e.Field, e.Value = tx.keep(e.Key), tx.keep(e.Field), tx.keep(e.Value)
	tx.effects = append(tx.effects, e)
}

// keep copies b into tx.buf. Earlier slices of buf stay valid when append
// moves it: their bytes are never written again before Close.
func (tx *Tx) keep(b []byte) []byte {
	if b == nil {
		return nil
	}
	n := len(tx.buf)
	tx.buf = append(tx.buf, b...)
	return tx.buf[n:len(tx.buf):len(tx.buf)]
}

// Apply replays effects (replication, slot transfer). It takes the locks of
// every slot the effects touch (so it must not be called while holding a
// Tx), applies them in order, and does not emit them again to the sink.
// Keys are placed by their own slot; Effect.Slot is used for
// EffectFlushSlot only. Expiry is the primary's decision: Apply stores keys
// whose PXAT has passed on this store's clock and leaves them to the
// primary's DEL (as a Redis replica does), so a late stream converges. An HSET over a string replaces the string, so that
// replaying a stream over any earlier state converges.
func (s *Store) Apply(effects []Effect) error {
	_, err := s.ApplyUnless(effects, nil)
	return err
}

// ApplyUnless is Apply for the effects of the slots skip does not name
// (nil: every slot), and returns the slots it skipped. skip is asked once
// per slot with every slot of the batch locked, so a decision that other
// writers of those slots order after it (a replica that has become the
// slot's primary takes no more of the old primary's stream) cannot change
// between the question and the apply: any command, snapshot or transfer of
// the slot runs wholly before or wholly after. skip must not take a slot
// lock.
func (s *Store) ApplyUnless(effects []Effect, skip func(slot uint16) bool) (skipped []uint16, err error) {
	if len(effects) == 0 {
		return nil, nil
	}
	slots := make([]uint16, 0, len(effects))
	for _, e := range effects {
		if e.Kind == EffectFlushSlot {
			if int(e.Slot) >= ring.SlotCount {
				return nil, fmt.Errorf("apply flushslot: slot %d out of range", e.Slot)
			}
			slots = append(slots, e.Slot)
		} else {
			slots = append(slots, ring.KeySlot(e.Key))
		}
	}
	tx := s.LockSlots(slots)
	tx.sink = nil
	tx.replay = true
	defer tx.Close()
	if skip != nil {
		for _, sn := range tx.slots { // each slot once
			if skip(sn) {
				skipped = append(skipped, sn)
			}
		}
	}
	// A batch's keys are in random slots, each lookup a cache miss or
	// two: fetch ahead as a pipeline's commands do (server/prefetch's
	// Window.Ahead), the index word two effects on and the entry one on.
	var hs [3]uint64
	ahead := func(j int) {
		if j < len(effects) && effects[j].Kind != EffectFlushSlot {
			hs[j%3] = s.PrefetchKey(slots[j], effects[j].Key)
		}
	}
	ahead(0)
	ahead(1)
	for i, e := range effects {
		ahead(i + 2)
		if j := i + 1; j < len(effects) && effects[j].Kind != EffectFlushSlot {
			s.PrefetchEntry(slots[j], hs[j%3])
		}
		if slices.Contains(skipped, slots[i]) {
			continue
		}
		if e.Kind == EffectSet && (i == 0 || slots[i-1] != slots[i]) {
			tx.reserveRun(effects[i:], slots[i:])
		}
		if err := tx.apply(e); err != nil {
			return skipped, fmt.Errorf("apply effect %d (%s): %w", i, e.Kind, err)
		}
	}
	return skipped, nil
}

// reserveRun makes room at once for a run of SETs into an empty slot: the
// snapshot of a slot transfer arrives as thousands of new keys, and growing
// the arena an eighth at a time would copy each byte about eight times and
// leave as much garbage for the collector. The run is effects up to the
// first one on another slot or a flush; slots[i] is the slot of effects[i].
func (tx *Tx) reserveRun(effects []Effect, slots []uint16) {
	sl := &tx.s.slots[slots[0]]
	if sl.t != nil && len(sl.t.arena) > 0 {
		return
	}
	keys, n := 0, 0
	for i := range effects {
		e := &effects[i]
		if slots[i] != slots[0] || e.Kind == EffectFlushSlot {
			break
		}
		if e.Kind == EffectSet {
			keys++
			n += hdrSize + len(e.Key) + len(e.Value)
		}
	}
	sl.table().reserve(keys, n)
}

// apply applies one effect inside tx.
func (tx *Tx) apply(e Effect) error {
	var err error
	switch e.Kind {
	case EffectSet:
		err = tx.Put(e.Key, e.Value, e.ExpireAt)
	case EffectDel:
		_, err = tx.Delete(e.Key)
	case EffectExpire:
		_, err = tx.SetExpireAt(e.Key, e.ExpireAt)
	case EffectHSet:
		_, err = tx.hset(e.Key, e.Field, e.Value, true)
	case EffectHDel:
		_, err = tx.HDel(e.Key, e.Field)
		if err == ErrWrongType {
			err = nil // nothing to delete from a string: converged
		}
	case EffectFlushSlot:
		tx.flushSlot(e.Slot)
	case EffectListSet, EffectListTrim:
		err = tx.applyList(e)
	case EffectSAdd, EffectSRem:
		err = tx.applySet(e)
	case EffectZAdd, EffectZRem:
		err = tx.applyZSet(e)
	case EffectSetRange:
		err = tx.applySetRange(e)
	default:
		err = fmt.Errorf("unknown effect kind %d", e.Kind)
	}
	return err
}

// SnapshotSlot calls fn with effects that rebuild every live key of slot
// from nothing (SET with PXAT for strings; DEL, the collection's rebuild
// effects and PEXPIREAT for collections), under the slot's lock, until fn returns false. It is the
// snapshot half of a slot transfer; the effects alias store memory and are
// valid only during fn, which must not call into the store.
func (s *Store) SnapshotSlot(slot uint16, fn func(e Effect) bool) {
	sl := &s.slots[slot]
	sl.mu.Lock()
	defer sl.mu.Unlock()
	s.snapshotLocked(sl, slot, fn)
}

// snapshotLocked is SnapshotSlot with the slot's lock already held.
func (s *Store) snapshotLocked(sl *slot, slot uint16, fn func(e Effect) bool) {
	t := sl.t
	if t == nil {
		return
	}
	now := s.NowMS()
	a := t.arena
	for _, w := range t.idx.Words() {
		if w == 0 {
			continue
		}
		off := index.Off(w)
		exp := eExpire(a, off)
		if expired(exp, now) {
			continue
		}
		key := eKey(a, off)
		if eType(a, off) == TypeString {
			if !fn(Effect{Kind: EffectSet, Slot: slot, Key: key, Value: eVal(a, off), ExpireAt: exp}) {
				return
			}
			continue
		}
		if !fn(Effect{Kind: EffectDel, Slot: slot, Key: key}) {
			return
		}
		if !t.obj(off).rebuild(slot, key, fn) {
			return
		}
		if exp != 0 && !fn(Effect{Kind: EffectExpire, Slot: slot, Key: key, ExpireAt: exp}) {
			return
		}
	}
}
